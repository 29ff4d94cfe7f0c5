"""Human approval (SPEC section 12): a program that calls an action matching its actor's `approve` globs (or any
action, inside `ask(..., approve=True)`) becomes a proposal instead of a change.

The program runs as usual in its transaction; before it is recorded, `hold` looks at the events it made. If one
needs approval, the transaction is rolled back and `propose` records the proposal (id, proposer, program text, the
version it was written against) as an event of its own; the caller gets NeedsApproval. A process with a pending
proposal is `waiting` (scint/core/state.py sets it) and takes no model steps until it is decided.

`approve` runs the proposal's program (or an edited one) now, as the approver, with the proposer in its
provenance (the request), and records the decision in the same transaction, so the program and the decision
are applied together or not at all. If it fails on today's head, the error is recorded on the proposal, which
stays pending, and returned. `reject` records the decision; the reason reaches the proposer as a message.
Approving never calls a model.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from scint.contexts.base import did_you_mean
from scint.core.capabilities import Capabilities
from scint.core.interpreter import EventRecord, Interpreter
from scint.core.mail import PROPOSAL_STATUSES
from scint.dsl import Program, format_program, parse
from scint.errors import ActionError, BadArguments, LimitExceeded, NeedsApproval, ScintError
from scint.llm.process import is_run_call

if TYPE_CHECKING:
    from scint.session.facade import Session

__all__ = ["Held", "approve", "asking_approval", "hold", "proposals", "propose", "reject"]

MAX_PENDING = 100  # pending proposals one proposer may have
MAX_PROPOSALS = 10_000  # proposals on one branch
MAX_REASON = 4_000
_PUBLIC = ("id", "proposer", "program", "version", "status", "error", "decided_by", "reason", "time")

# Globs that need approval whoever the actor is, while `ask(..., approve=True)` runs (["**"]: every action).
_ASKED: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("scint_approve", default=())


@contextmanager
def asking_approval(globs: tuple[str, ...] = ("**",)) -> Iterator[None]:
    """Within this block, every program that calls an action matching `globs` becomes a proposal."""
    token = _ASKED.set(globs)
    try:
        yield
    finally:
        _ASKED.reset(token)


class Held(ScintError):
    """Raised inside a program's transaction when it needs approval (turned into NeedsApproval by `propose`)."""

    def __init__(self, program: Program, it: Interpreter, hits: list[EventRecord]) -> None:
        first = hits[0]
        self.what = f"{first.path}.{first.action}" if first.path else first.action
        super().__init__(f"{self.what} needs approval")
        self.program = program
        self.actor = it.actor
        self.self_path = it.self_path
        self.version = it.events[0].version - 1  # the head the program ran on


def _globs(it: Interpreter) -> tuple[str, ...]:
    globs = _ASKED.get()
    if it.self_path is not None and it.actor == f"process:{it.self_path}":
        own = getattr(it.state.contexts.get(it.self_path), "approve", None)
        if isinstance(own, list) and own:
            globs = (*globs, *own)
    return globs


def hold(it: Interpreter, program: Program) -> None:
    """After a program ran, before it is recorded: Held if one of its events needs approval."""
    globs = _globs(it)
    if not globs or not it.events:
        return
    try:
        caps = Capabilities(globs, self_path=it.self_path)
    except ScintError:  # a stored glob no longer valid: everything needs approval
        caps = Capabilities(("**",))
    hits = [e for e in it.events if caps.allows(e.path, e.action)]
    if hits:
        raise Held(program, it, hits)


def _public(p: dict[str, Any]) -> dict[str, Any]:
    return {k: p.get(k) for k in _PUBLIC}


def propose(s: Session, held: Held) -> NeedsApproval:
    """Record `held`'s program as a pending proposal (its own program); returns the error that says so."""
    text = held.program.source or format_program(held.program)
    args = {"proposer": held.actor, "program": text, "version": held.version, "self_path": held.self_path}

    def record(it: Interpreter) -> str:
        mail = it.state.mail
        if len(mail.proposals) >= MAX_PROPOSALS:
            raise LimitExceeded(f"a branch holds at most {MAX_PROPOSALS:,} proposals")
        if len(mail.pending(held.actor)) >= MAX_PENDING:
            raise LimitExceeded(f"{held.actor} has {MAX_PENDING} pending proposals; wait until they are decided")
        return it.record("", "propose", args)

    pid = _runtime(s, held.actor, record, self_path=held.self_path)
    proposal = _public(s._guard(s._current).state.mail.proposal(pid))
    return NeedsApproval(
        f"{held.what} needs a person's approval: the program was not applied; it is recorded as proposal {pid} "
        f"(written against version {held.version}). Wait until it is approved or rejected; you will get a message.",
        proposal=proposal,
    )


def _runtime(s: Session, actor: str, step: Any, *, self_path: str | None = None) -> Any:
    """Run the runtime's own `step(it)` as a program of its own (nothing for the actor to write)."""
    from scint.session import running

    out: list[Any] = []  # the step's value, from the attempt that was recorded (the last one)

    def hook(it: Interpreter) -> None:
        out.append(step(it))

    running.run(
        s, Program(()), actor, params=None, request=None, scope=None, self_path=self_path, dry_run=False,
        internal=True, check=hook,
    )  # fmt: skip
    return out[-1]


def proposals(s: Session, status: str | None = "pending") -> list[dict[str, Any]]:
    if status is not None and status not in PROPOSAL_STATUSES:
        raise BadArguments(f"status is one of {', '.join(PROPOSAL_STATUSES)} or None (all), not {status!r:.40}")
    head = s._guard(s._current)
    if head is None:
        return []
    return [_public(p) for p in head.state.mail.proposals if status is None or p["status"] == status]


def _pending(s: Session, pid: Any) -> dict[str, Any]:
    head = s._guard(s._current)
    mail = head.state.mail if head is not None else None
    p = mail.proposal(pid) if mail is not None else None
    if p is None:
        known = [q["id"] for q in mail.pending()] if mail is not None else []
        raise ActionError(
            f"there is no proposal {pid!r:.40}{did_you_mean(str(pid), known)}; pending: {', '.join(known) or 'none'}"
        )
    if p["status"] != "pending":
        raise ActionError(f"proposal {pid} was already {p['status']} by {p['decided_by']}")
    return p


def approve(s: Session, pid: Any, edit: str | None, actor: str) -> dict[str, Any]:
    from scint.session import running

    if edit is not None and (not isinstance(edit, str) or not edit.strip()):
        raise BadArguments("edit is the program to run instead, as text")
    p = _pending(s, pid)
    text = edit if edit is not None else p["program"]
    if edit is not None and is_run_call(parse(edit, limits=s.limits)):
        raise BadArguments("an approved program is one atomic program: it cannot be a process run (x.run())")
    request = {"proposal": p["id"], "proposer": p["proposer"], "edited": edit is not None}

    def decide(it: Interpreter) -> None:
        if it.state.mail.proposal(pid)["status"] != "pending":  # type: ignore[index]  # decided meanwhile
            raise ActionError(f"proposal {pid} was decided meanwhile")
        it.record("", "decide", {"id": p["id"], "status": "approved", "by": actor, "reason": None})

    try:
        result = running.run(
            s, text, actor, params=None, request=request, scope=None, self_path=p["self_path"], dry_run=False,
            internal=False, check=decide,
        )  # fmt: skip
    except ScintError as exc:
        error = str(exc)[:MAX_REASON]
        _runtime(s, actor, lambda it: it.record("", "proposal_error", {"id": p["id"], "error": error}))
        out = _public({**p, "error": error})
        out["applied"] = False
        return out
    out = _public(s._guard(s._current).state.mail.proposal(pid))
    out.update(applied=True, result_version=result.version, value=result.value)
    return out


def reject(s: Session, pid: Any, reason: str, actor: str) -> dict[str, Any]:
    if not isinstance(reason, str) or not reason.strip():
        raise BadArguments("reject needs a reason (text): the proposer receives it")
    if len(reason) > MAX_REASON:
        raise LimitExceeded(f"a reason holds at most {MAX_REASON:,} characters")
    p = _pending(s, pid)
    _runtime(s, actor, lambda it: it.record("", "decide", {"id": p["id"], "status": "rejected", "by": actor,
                                                           "reason": reason}))  # fmt: skip
    return _public(s._guard(s._current).state.mail.proposal(pid))
