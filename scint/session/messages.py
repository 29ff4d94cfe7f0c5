"""The Session's messages and approvals (SPEC sections 11 and 12): what people, the CLI, the magics and the web
view call. Messages are sent and answered by running the built-ins (`send`, `reply`, `inbox`) as the given actor,
so capabilities hold here as everywhere; proposals are decided by scint/session/approval.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from scint.core.handles import keep, pages_of
from scint.core.interpreter import Interpreter
from scint.errors import BadArguments
from scint.modules import get_backend
from scint.session import approval

if TYPE_CHECKING:
    from scint.session.facade import Session

__all__ = ["DELIVER_PER_STEP", "Messaging", "format_message", "format_proposal"]

DELIVER_PER_STEP = 10  # unread messages a process's step receives (the oldest first; the rest in later steps)


class Messaging:
    """Session methods for messages and proposals (mixed into scint.Session)."""

    def inbox(self: Session, path: str | None = None, unread: bool = True, *, actor: str = "human") -> list[dict]:
        """The messages sent to `path` (a process path, or "human"; default: the actor's own), oldest first; only
        the unread ones unless `unread` is False."""
        params = {"path": path, "unread": unread}
        return self.run("inbox(path=$path, unread=$unread)", actor, params=params, read_only=True).value

    def send(self: Session, to: str, content: str, kind: str = "read", *, actor: str = "human") -> str:
        """Send a message as `actor`; returns its id (m1, m2 ...)."""
        params = {"to": to, "content": content, "kind": kind}
        return self.run("send(to=$to, content=$content, kind=$kind)", actor, params=params).value

    def reply(self: Session, to: str, content: str, *, actor: str = "human") -> str:
        """Answer the query `to` (a message id) as `actor`; returns the reply's id."""
        return self.run("reply(to=$to, content=$content)", actor, params={"to": to, "content": content}).value

    def proposals(self: Session, status: str | None = "pending") -> list[dict[str, Any]]:
        """The proposals with `status` (pending, approved, rejected; None: all), oldest first, as plain data:
        id, proposer, program, version, status, error, decided_by, reason, time."""
        self._check_open()
        return approval.proposals(self, status)

    def approve(self: Session, id: str, edit: str | None = None, *, actor: str = "human") -> dict[str, Any]:
        """Run proposal `id`'s program (or `edit`, a program to run instead) now, atomically, as `actor`, with the
        proposer in its provenance. Returns the proposal as plain data, with `applied`: if the program fails on
        today's head, the proposal stays pending with the `error`, which is returned. Never calls a model."""
        self._check_open()
        with self._lock:
            return approval.approve(self, id, edit, actor)

    def reject(self: Session, id: str, reason: str, *, actor: str = "human") -> dict[str, Any]:
        """Reject proposal `id`; the `reason` is delivered to the proposer as a message."""
        self._check_open()
        with self._lock:
            return approval.reject(self, id, reason, actor)

    def deliver_messages(self: Session, path: str, limit: int = DELIVER_PER_STEP) -> list[Any]:
        """Deliver the process at `path` its unread messages, the oldest first (at most `limit`: DELIVER_PER_STEP
        for a model's step, one for a Python backend's): recorded in its transcript (its model sees them in the
        step about to run) and marked read, in one program. Returns its events."""
        self._check_open()
        if type(limit) is not int or not 1 <= limit <= DELIVER_PER_STEP:
            raise BadArguments(f"a step receives 1 to {DELIVER_PER_STEP} messages, not {limit!r:.40}")

        def deliver(it: Interpreter) -> list[Any]:
            mine = it.state.mail.unread(path)[:limit]
            if not mine or getattr(it.state.contexts.get(path), "__scint_type__", None) != "Process":
                return []
            shown = [{k: m[k] for k in ("id", "from", "kind", "content", "reply_to")} for m in mine]
            it.record(path, "record", {"entry": {"messages": shown}, "used": None})  # every parameter, as bound
            it.record("", "deliver", {"ids": [m["id"] for m in mine]})
            return list(it.events)

        with self._lock:
            return approval._runtime(self, f"process:{path}", deliver, self_path=path)

    def keep_handle(self: Session, path: str, text: str) -> tuple[dict[str, Any], list[Any]]:
        """Keep `text` (a statement result too large to show a model whole) as a handle of the process at
        `path`, in a program of its own (SPEC 14); returns {"handle": "h3", "chars", "pages"} and its events."""
        self._check_open()

        def kept(it: Interpreter) -> tuple[dict[str, Any], list[Any]]:
            hid = keep(it, path, text)
            chars = len(it.state.mail.handle(hid)["text"])  # type: ignore[index]
            return {"handle": hid, "chars": chars, "pages": pages_of(chars)}, list(it.events)

        with self._lock:
            return approval._runtime(self, f"process:{path}", kept, self_path=path)

    def backend_function(self: Session, name: str) -> Callable[..., Any]:
        """The function registered as the backend `python:NAME` (scint.register_backend or the `scint.backends`
        entry points); ModuleError naming the registered ones if there is none. Only registered names: no file or
        program can name arbitrary code."""
        return get_backend(name)


def format_message(m: dict[str, Any]) -> str:
    """A message as a person reads it (the CLI, the magics)."""
    about = f" (answering {m['reply_to']})" if m.get("reply_to") else ""
    state = "" if m.get("kind") != "query" else " [answered]" if m.get("answer") else " [waiting for your reply]"
    return f"{m['id']}  {m['kind']} from {m['from']} to {m['to']}{about}{state}\n    {m['content']}"


def format_proposal(p: dict[str, Any]) -> str:
    """A proposal as a person reads it (the CLI, the magics)."""
    lines = [f"{p['id']}  {p['status']}  by {p['proposer']}  (written at version {p['version']})"]
    lines += [f"    {line}" for line in str(p["program"]).splitlines()]
    if p.get("error"):
        lines.append(f"    last attempt failed: {p['error']}")
    if p.get("reason"):
        lines.append(f"    reason: {p['reason']}")
    return "\n".join(lines)
