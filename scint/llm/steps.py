"""Recording a process's steps, whoever takes them (its model, a Python backend, a person): each record is a
program of its own, run by the runtime as the process (`record` and `set_status` are internal actions), so the
transcript holds everything a replay needs and nothing is ever asked again.

Also what every kind of step reads from the head before it starts: whether the process may step now (held, out
of budget), whether it waits for a proposal, its backend, and its unread messages delivered into its transcript.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from scint.contexts.builtin import Process
from scint.contexts.types import copy_value
from scint.contexts.usage import why_not
from scint.dsl import Limits, literal, parse
from scint.errors import LLMError, ScintError
from scint.llm import control

if TYPE_CHECKING:
    from scint.llm.host import Host, RunResult

__all__ = [
    "MAX_ANSWER",
    "MAX_TEXT",
    "backend_of",
    "clip",
    "deliver",
    "delivered_in",
    "failed",
    "finish",
    "live",
    "record",
    "refused_start",
    "spent",
    "stop_in",
    "waiting",
    "why_not_now",
]

MAX_TEXT = 16_000  # characters of a reply or an output kept in the transcript
MAX_ANSWER = 200_000  # characters of a final answer kept (and returned)
# Bounds for parsing the runtime's own records: every string in them is clipped above, but a reply may carry many
# tool calls, and escapes (\u0000) lengthen the text.
_RECORD_LIMITS = Limits(max_program_chars=100_000_000, max_string_chars=8 * MAX_ANSWER, max_items=1_000_000)


def record(
    session: Host,
    path: str,
    actor: str,
    *,
    entry: dict[str, Any] | None = None,
    status: str | None = None,
    answer: str | None = None,
    request: Any = None,
    used: dict[str, Any] | None = None,
) -> RunResult:
    """Record a transcript entry (and what its step spent) and/or a status change on the process, as one program."""
    statements = []
    if entry is not None:
        cost = f", used={literal(used)}" if used else ""
        statements.append(f"{path}.record(entry={literal(copy_value(entry))}{cost})")
    if status is not None:
        statements.append(f"{path}.set_status(status={literal(status)}, answer={literal(answer)})")
    try:
        # The runtime writes these, from clipped output: a user's tighter Limits are for programs.
        program = parse("\n".join(statements), limits=_RECORD_LIMITS)
        return session.run(program, actor=actor, request=request, _internal=True)
    except ScintError as exc:
        raise LLMError(f"could not record the run of {path}: {exc}") from exc


def failed(session: Host, path: str, reason: str, status: str) -> None:
    """The run broke (the model service failed, a backend raised, recording did, Ctrl-C...): say so on the
    process, if it still exists and the store still takes it."""
    try:
        if path in session.view():
            entry = {"stopped" if status == "stopped" else "error": clip(reason)}
            record(session, path, f"process:{path}", entry=entry, status=status)
    except ScintError:
        pass  # the original error is the one to report


def clip(text: str | None, limit: int = MAX_TEXT) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 40] + f"... ({len(text):,} characters in all)"


def spent(started: float, tokens: int) -> dict[str, Any]:
    """What one step spent: measured now, recorded in its event (replay never measures again)."""
    return {"steps": 1, "tokens": tokens, "seconds": round(max(control.clock() - started, 0.0), 3)}


def live(session: Host, path: str) -> Process | None:
    """The live process at `path` on the head, read only (a view would copy the whole map)."""
    ctx = session.callables()[0].get(path)
    return ctx if isinstance(ctx, Process) else None


def waiting(session: Host, path: str) -> bool:
    """Whether a proposal of the process is pending (SPEC 12): it takes no steps until it is decided."""
    ctx = live(session, path)
    return ctx is not None and ctx.status == "waiting"


def backend_of(session: Host, path: str) -> str:
    """Who takes the process's steps: "llm", "human" or "python:NAME" (as declared; checked when it steps)."""
    ctx = live(session, path)
    backend = ctx.backend if ctx is not None else "llm"
    return backend if isinstance(backend, str) else "llm"


def why_not_now(session: Host, path: str) -> tuple[str, bool] | None:
    """Why the process may take no step now (held, or out of budget), read from the head; or None."""

    def process(p: str) -> dict[str, Any] | None:
        ctx = live(session, p)
        return ctx.__dict__ if ctx is not None else None

    return why_not(process, path)


def deliver(session: Host, path: str, limit: int | None = None) -> list[Any]:
    """Deliver the process its unread messages (the oldest first; at most `limit`, else the session's per-step
    number) into its transcript, as one program; returns the events. A host without messages delivers none."""
    send = getattr(session, "deliver_messages", None)
    if send is None:
        return []
    return send(path) if limit is None else send(path, limit=limit)


def delivered_in(events: list[Any], path: str) -> list[dict[str, Any]]:
    """The messages a delivery (its events) put into the transcript of the process at `path`."""
    out: list[dict[str, Any]] = []
    for e in events:
        args = getattr(e, "args", None)
        if getattr(e, "path", None) == path and getattr(e, "action", None) == "record" and isinstance(args, dict):
            entry = args.get("entry")
            if isinstance(entry, dict) and isinstance(entry.get("messages"), list):
                out += entry["messages"]
    return out


def refused_start(session: Host, path: str, note: Callable[..., None]) -> bool:
    """Whether the process may not begin a run now: a proposal of its is pending (SPEC 12; nothing recorded), or
    it is held or out of budget (`note` records why; out of budget, its status becomes `stopped`)."""
    if waiting(session, path):
        return True
    refused = why_not_now(session, path)
    if refused is None:
        return False
    reason, budget = refused
    note(entry={"stopped": reason}, status="stopped" if budget else None)
    return True


def stop_in(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first `stop` message among those just delivered, if any."""
    return next((m for m in messages if m.get("kind") == "stop"), None)


def finish(note: Callable[..., None], stop: dict[str, Any]) -> None:
    """A `stop` message (SPEC 11: "finish your work") ends the run at this step, calling nothing: its status is
    `done` (the work is finished at the sender's word, so nothing runs it again for its goal; `stopped` is for a
    run cut short that may go on), and the transcript says which message ended it."""
    note(entry={"finished": f"stop message {stop.get('id')} from {stop.get('from')}"}, status="done")
