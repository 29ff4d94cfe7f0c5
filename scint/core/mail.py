"""A branch's messages, proposals and handles (SPEC sections 11, 12 and 14): state kept beside the contexts,
changed only by applying recorded events, so replay rebuilds it with no model, backend or person called.

Messages (`m1`, `m2` ... per branch) and proposals (`p1`, `p2` ...) live here rather than in a context: they are
addressed to processes and to people (`human`, `human:<name>`), who have no context, and `render("json")` holds
the contexts' state only. A handle (`h1`, `h2` ...) keeps a statement result too large to show a model whole, for
`read(handle, page)` (scint/core/handles.py); it belongs to the process whose call produced it. The events are
recorded at the root (path ""): `send`, `reply`, `deliver`, `propose`, `proposal_error`, `decide` and `handle`.
`Mail` takes part in a program's transaction like a context: it is checkpointed before its first change (the
lengths of its lists and a copy of each entry it changes) and put back on rollback.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from scint.contexts.types import copy_value
from scint.errors import HistoryError

__all__ = ["MAIL_ACTIONS", "PROPOSAL_STATUSES", "Mail", "address_of"]

MAIL_ACTIONS = frozenset({"send", "reply", "deliver", "propose", "proposal_error", "decide", "handle"})
PROPOSAL_STATUSES = ("pending", "approved", "rejected")
KINDS = ("query", "read", "stop", "reply")


def address_of(actor: str) -> str:
    """Where an actor's messages go: a process's path, `human` / `human:<name>` for people; any other actor
    (a model answering `ask`, a worker) acts for the person who asked: `human`."""
    if actor.startswith("process:"):
        return actor[len("process:") :]
    if actor == "human" or actor.startswith("human:"):
        return actor
    return "human"


def is_person(address: str) -> bool:
    return address == "human" or address.startswith("human:")


def addressed_to(message: dict[str, Any], address: str) -> bool:
    """Whether `message` is in `address`'s inbox: its own, and for people also those to any person (`human`);
    `human` (the person at the command line) reads every person's."""
    to = message["to"]
    if address == "human":
        return is_person(to)
    return to == address or (to == "human" and is_person(address))


class Mail:
    """Every message, proposal and handle of a branch, in the order recorded."""

    __slots__ = ("_journal", "_unread", "handles", "messages", "proposals")

    def __init__(
        self,
        messages: list[dict[str, Any]] | None = None,
        proposals: list[dict[str, Any]] | None = None,
        handles: list[dict[str, Any]] | None = None,
    ):
        self.messages: list[dict[str, Any]] = messages or []
        self.proposals: list[dict[str, Any]] = proposals or []
        self.handles: list[dict[str, Any]] = handles or []  # only ever appended
        self._journal: dict[tuple[str, int], dict[str, Any]] | None = None
        # Unread messages per recipient (their indices, oldest first), built when first asked: a step asks for its
        # own without scanning every message of the branch.
        self._unread: dict[str, dict[int, None]] | None = None

    def __bool__(self) -> bool:
        return bool(self.messages or self.proposals or self.handles)

    def to_data(self) -> dict[str, Any]:
        data = {"messages": self.messages, "proposals": self.proposals}
        if self.handles:
            data["handles"] = self.handles
        return data

    @classmethod
    def from_data(cls, data: Any) -> Mail:
        if type(data) is not dict:
            return cls()
        return cls(*(list(data.get(k) or []) for k in ("messages", "proposals", "handles")))

    # -- transactions (MapState calls these as it does a context's) ------------------------------------------

    def __scint_checkpoint__(self) -> tuple[int, int, int, dict[tuple[str, int], dict[str, Any]]]:
        self._journal = {}
        return len(self.messages), len(self.proposals), len(self.handles), self._journal

    def __scint_restore__(self, token: Any) -> None:
        messages, proposals, handles, journal = token
        for (which, i), old in journal.items():
            entries = self.messages if which == "m" else self.proposals
            if i < len(entries):
                entries[i] = old
        del self.messages[messages:]
        self._unread = None  # rebuilt when next asked
        del self.proposals[proposals:]
        del self.handles[handles:]
        self._journal = None

    def __scint_commit__(self) -> None:
        self._journal = None

    def _change(self, which: str, i: int) -> dict[str, Any]:
        """The entry to change in place, its old value journaled first."""
        entries = self.messages if which == "m" else self.proposals
        journal = self._journal
        if journal is not None and (which, i) not in journal:
            journal[(which, i)] = entries[i]
        entries[i] = dict(entries[i])
        return entries[i]

    # -- reading -----------------------------------------------------------------------------------------------

    def message(self, mid: Any) -> dict[str, Any] | None:
        i = _number(mid, "m")
        return self.messages[i - 1] if i is not None and i <= len(self.messages) else None

    def proposal(self, pid: Any) -> dict[str, Any] | None:
        i = _number(pid, "p")
        return self.proposals[i - 1] if i is not None and i <= len(self.proposals) else None

    def handle(self, hid: Any) -> dict[str, Any] | None:
        i = _number(hid, "h")
        return self.handles[i - 1] if i is not None and i <= len(self.handles) else None

    def inbox(self, address: str, unread: bool = True, also: Collection[str] = ()) -> list[dict[str, Any]]:
        """`address`'s messages (and those sent to the addresses in `also`), oldest first."""
        if unread and not also and not is_person(address):
            return self.unread(address)  # a process's own: no scan
        return [
            m for m in self.messages if (addressed_to(m, address) or m["to"] in also) and not (unread and m["read"])
        ]

    def unread(self, to: str) -> list[dict[str, Any]]:
        """The unread messages sent to `to` exactly (a process path or a person's address), oldest first."""
        return [self.messages[i] for i in self._index().get(to, ())]

    def unread_count(self, to: str) -> int:
        return len(self._index().get(to, ()))

    def _index(self) -> dict[str, dict[int, None]]:
        if self._unread is None:
            index: dict[str, dict[int, None]] = {}
            for i, m in enumerate(self.messages):
                if not m["read"]:
                    index.setdefault(m["to"], {})[i] = None
            self._unread = index
        return self._unread

    def _mark_read(self, i: int) -> None:
        entry = self._change("m", i)
        entry["read"] = True
        if self._unread is not None:
            self._unread.get(entry["to"], {}).pop(i, None)

    def pending(self, proposer: str | None = None) -> list[dict[str, Any]]:
        return [
            p for p in self.proposals if p["status"] == "pending" and (proposer is None or p["proposer"] == proposer)
        ]

    # -- changing (only from recorded events) --------------------------------------------------------------------

    def apply(self, action: str, args: dict[str, Any], now: str) -> Any:
        try:
            return getattr(self, "_" + action)(now=now, **args)
        except (TypeError, KeyError, IndexError, AttributeError) as exc:
            raise HistoryError(f"the history records `{action}` with arguments it does not take: {exc}") from None

    def _post(self, *, now: str, sender: str, to: str, kind: str, content: str, reply_to: str | None = None) -> str:
        if kind not in KINDS or type(content) is not str:
            raise HistoryError(f"the history records a message of kind {kind!r}")
        mid = f"m{len(self.messages) + 1}"
        self.messages.append(
            {
                "id": mid,
                "from": sender,
                "to": to,
                "kind": kind,
                "content": content,
                "reply_to": reply_to,
                "answer": None,
                "read": False,
                "time": now,
            }
        )
        if self._unread is not None:
            self._unread.setdefault(to, {})[len(self.messages) - 1] = None
        return mid

    def _send(self, *, now: str, to: str, content: str, kind: str, sender: str) -> str:
        return self._post(now=now, sender=sender, to=to, kind=kind, content=content)

    def _reply(self, *, now: str, to: str, content: str, sender: str, process: str | None = None) -> str:
        """`sender` answers query `to`; `process`: the person answers for the process whose steps they take (its
        backend is `human`), and the reply goes out from it."""
        i = _number(to, "m")
        query = self.messages[i - 1]  # type: ignore[operator]
        frm = process if process is not None else sender
        mid = self._post(now=now, sender=frm, to=query["from"], kind="reply", content=content, reply_to=to)
        self._mark_read(i - 1)  # type: ignore[operator]
        self.messages[i - 1]["answer"] = mid  # type: ignore[operator]
        return mid

    def _deliver(self, *, now: str, ids: list[str]) -> int:
        for mid in ids:
            i = _number(mid, "m")
            if i is None or i > len(self.messages):
                raise HistoryError(f"the history delivers message {mid!r}, which does not exist")
            self._mark_read(i - 1)
        return len(ids)

    def _propose(self, *, now: str, proposer: str, program: str, version: int, self_path: str | None) -> str:
        pid = f"p{len(self.proposals) + 1}"
        self.proposals.append(
            {
                "id": pid,
                "proposer": proposer,
                "program": program,
                "version": version,
                "status": "pending",
                "error": None,
                "self_path": self_path,
                "decided_by": None,
                "reason": None,
                "time": now,
            }
        )
        return pid

    def _proposal_error(self, *, now: str, id: str, error: str) -> str:
        i = _number(id, "p")
        self._change("p", i - 1)["error"] = error  # type: ignore[operator]
        return id

    def _decide(self, *, now: str, id: str, status: str, by: str, reason: str | None = None) -> str | None:
        """Approve or reject a proposal; the proposer hears of it (a `read` message). Returns that message's id."""
        if status not in PROPOSAL_STATUSES[1:]:
            raise HistoryError(f"the history decides a proposal with status {status!r}")
        i = _number(id, "p")
        p = self._change("p", i - 1)  # type: ignore[operator]
        p.update(status=status, decided_by=by, reason=reason)
        if status == "approved":
            p["error"] = None
            text = f"your proposal {id} was approved by {by} and applied"
        else:
            text = f"your proposal {id} was rejected by {by}: {reason}"
        return self._post(now=now, sender=address_of(by), to=address_of(p["proposer"]), kind="read", content=text)

    def _handle(self, *, now: str, owner: str, text: str) -> str:
        """Keep a statement result too large to show a model whole (`text`, its JSON) for `owner` (a process)."""
        if type(text) is not str or type(owner) is not str:
            raise HistoryError("the history records a handle that is not text")
        hid = f"h{len(self.handles) + 1}"
        self.handles.append({"id": hid, "owner": owner, "text": text, "time": now})
        return hid

    def copy(self) -> Mail:
        return Mail(copy_value(self.messages), copy_value(self.proposals), list(self.handles))


def _number(ident: Any, letter: str) -> int | None:
    """The number in `m12` / `p3`, or None."""
    if type(ident) is not str or len(ident) < 2 or len(ident) > 12 or ident[0] != letter or not ident[1:].isdigit():
        return None
    n = int(ident[1:])
    return n if n >= 1 and ident[1] != "0" else None
