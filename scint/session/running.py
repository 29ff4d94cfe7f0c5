"""Running one program: the transaction over every aggregate it touches, the optimistic-concurrency retry loop,
and the Result. A program's events are saved in one store transaction, or not at all."""

from __future__ import annotations

import logging
import os
import random
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import IntegrityError, PersistenceError

from scint.contexts.builtin import claim_holder
from scint.contexts.types import copy_value
from scint.core.bindings import program_params
from scint.core.capabilities import Capabilities, actor_capabilities, check_call
from scint.core.history import BranchIndex
from scint.core.interpreter import Interpreter
from scint.core.map import ContextMap, branch_id, stored_events
from scint.dsl import Assign, Program, parse
from scint.errors import ActionError, BadArguments, ConflictError, PermissionDenied, ScintError, StoreError
from scint.llm import process as llm_process
from scint.session import approval
from scint.session.checks import PATH_RE, storable
from scint.session.results import Result
from scint.store.interrupts import shielded

if TYPE_CHECKING:
    from scint.session.facade import Session

log = logging.getLogger("scint")

MAX_ATTEMPTS = 64  # optimistic-concurrency retries of one program


def run(
    s: Session,
    text: str | Program,
    actor: str,
    *,
    params: Any,
    request: Any,
    scope: str | None,
    self_path: str | None,
    dry_run: bool,
    internal: bool,
    can: Any = None,
    read_only: bool = False,
    check: Callable[[Interpreter], None] | None = None,
) -> Result:
    """`Session.run`: check what comes beside the program, parse it, and run it atomically."""
    if not isinstance(actor, str) or not actor or not storable(actor):
        raise ScintError("actor must be a non-empty string of valid text such as 'human' or 'llm:gpt-5-mini'")
    for name, value in (("scope", scope), ("self_path", self_path)):
        if value is not None and not (isinstance(value, str) and PATH_RE.fullmatch(value)):
            raise BadArguments(f"{name} must be a context path such as 'research.lit', not {value!r:.80}")
    if request is not None and not storable(request):
        raise BadArguments("request must be JSON-like data: text, finite numbers, lists, dicts with string keys")
    if can is not None:
        Capabilities(can)  # checked before anything runs: a bad glob is BadArguments
    if type(read_only) is not bool:
        raise BadArguments(f"read_only is True or False, not {read_only!r:.40}")
    if self_path is None and actor.startswith("process:") and PATH_RE.fullmatch(actor[len("process:") :]):
        self_path = actor[len("process:") :]  # a process's programs say `self` for it
    writes = Capabilities(()) if read_only else None
    program = text if isinstance(text, Program) else parse(text, limits=s.limits)
    params = program_params(program, params, s.limits)
    if llm_process.is_run_call(program):  # `<process>.run()`: each model step commits on its own (scint/llm)
        with s._lock:
            ran = run_process(
                s, program, actor, scope=scope, self_path=self_path, dry_run=dry_run, can=can, read_only=read_only
            )
        if ran is not None:
            return ran
    program_id = os.urandom(8).hex()
    for attempt in range(MAX_ATTEMPTS):
        # The program runs while the session's lock is held. If other threads wait for it, the program's commit
        # becomes durable after the lock is let go (group commit: they run theirs meanwhile, on top of it); it is
        # acknowledged only then. Alone, it waits for the commit with the lock held, as it always did.
        entered = False
        with s._waiting_lock:
            s._waiting += 1
        try:
            with s._lock:
                with s._waiting_lock:
                    s._waiting -= 1
                    entered = True
                ran = attempt_once(
                    s,
                    program,
                    actor,
                    program_id=program_id,
                    request=request,
                    params=params,
                    scope=scope,
                    self_path=self_path,
                    internal=internal,
                    can=can,
                    writes=writes,
                    dry_run=dry_run,
                    check=check,
                    attempt=attempt,
                )
        finally:
            if not entered:
                with s._waiting_lock:
                    s._waiting -= 1
        if ran is not None:
            outcome, pending = ran
            try:
                if pending is not None:
                    settle(s, pending)
                log.info(
                    "program %s by %s: %d events, version %d", program_id, actor, len(outcome.events), outcome.version
                )
                return outcome
            except IntegrityError:
                pass
            except PersistenceError as exc:
                raise StoreError(f"the store could not record the program: {exc}") from exc
            except Exception as exc:
                log.exception("program %s failed unexpectedly", program_id)
                raise ScintError(f"internal error while recording the program: {type(exc).__name__}: {exc}") from exc
        log.info("program %s: the head moved on; retrying (attempt %d)", program_id, attempt + 2)
        if attempt >= 2:  # contention: back off (randomised, growing) so that every writer gets through
            time.sleep(random.uniform(0, min(0.001 * 2 ** (attempt - 2), 0.1)))
    raise ConflictError(f"gave up after {MAX_ATTEMPTS} attempts: other writers kept changing the branch")


def attempt_once(
    s: Session,
    program: Program,
    actor: str,
    *,
    program_id: str,
    request: Any,
    params: Any,
    scope: str | None,
    self_path: str | None,
    internal: bool,
    can: Any,
    writes: Capabilities | None,
    dry_run: bool,
    check: Callable[[Interpreter], None] | None,
    attempt: int = 0,
) -> tuple[Result, Any] | None:
    """One attempt, under the session's lock: (the Result, what to settle) or None if the head moved on."""
    txn = Txn(s)
    head = s._guard(s._head_to_run) or ContextMap.start(s.branch_name)
    txn.enter(head)
    it = Interpreter(
        head,
        s._builtins,
        actor=actor,
        program_id=program_id,
        request=request,
        params=params,
        scope=scope,
        self_path=self_path,
        internal=internal,
        caps=actor_capabilities(actor, head.state.contexts, can),
        writes=writes,
        restrict=list(can) if can is not None else None,
        limits=s.limits,
        dry_run=dry_run,
    )
    it.txn = txn  # type: ignore[attr-defined]  # for the history built-ins
    try:
        values = it.run(program)
        if check is not None:  # the runtime's own step, in the same transaction (scint/session/approval.py)
            check(it)
        elif not (internal or dry_run):
            approval.hold(it, program)  # an action that needs approval: a proposal instead (SPEC 12)
        events = txn.pending()
        if dry_run or not (it.events or txn.touched_history):
            txn.undo()
            return result(s, values, it, program_id), None
        # All pending events of every aggregate the program touched, in one recorder transaction (what
        # app.save does, without its generic protocol checks and hooks; snapshots are taken on commit).
        pending = s._record(events, attempt)
        if pending is not None and not s._waiting:  # nobody to run meanwhile: wait here, undo on a conflict
            pending = shielded(_settle_held, s, pending)
    except IntegrityError:
        txn.undo()
        txn.forget_unsaved()
        return None
    except ScintError as exc:
        txn.undo()
        if isinstance(exc, approval.Held):
            raise approval.propose(s, exc) from None
        raise
    except PersistenceError as exc:
        txn.undo()
        raise StoreError(f"the store could not record the program: {exc}") from exc
    except Exception as exc:
        txn.undo()
        log.exception("program %s failed unexpectedly", program_id)
        raise ScintError(f"internal error while running the program: {type(exc).__name__}: {exc}") from exc
    except BaseException:  # KeyboardInterrupt (Ctrl-C in a notebook), SystemExit: the session stays usable
        txn.undo()
        reload(s)  # the interrupt may have come after the store committed: reload what it holds
        raise
    txn.commit()
    return result(s, values, it, program_id), pending


# -- group commit: submit under the session's lock, settle after it ----------------------------------------------


def submit(s: Session, events: list[Any], attempt: int = 0) -> Any:
    """Queue a program's events for the store's next group commit, after the session's previous batch (it is
    recorded only if that one is). Called with the session's lock held, so batches queue in program order."""
    # The head stays marked current after the batch only if that batch holds one of the head's own events: then
    # any other write to this branch in it would have failed (it would repeat a version), while a batch holding
    # only, say, the branch index of ours may hold another session's program on this branch.
    seen = s._seen
    mine = seen is not None and any(e.originator_id == seen[0].id for e in events)
    recorder: Any = s.app.recorder
    pending = recorder.submit_events(stored_events(s.app.mapper, events), after=s._pending, priority=attempt)
    s._pending = pending
    return pending, seen, mine, s._epoch


def settle(s: Session, submitted: Any) -> None:
    """Wait until a submitted program is durable; if it was not recorded, drop the head that holds it (the retry
    loop reloads it) and raise. Ctrl-C waits until the batch is settled."""
    shielded(_settle, s, submitted)


def _settle(s: Session, submitted: Any) -> None:
    pending, seen, mine, epoch = submitted
    try:
        _, txnid = s.app.recorder.settle(pending)  # type: ignore[attr-defined]
    except BaseException:
        with s._lock:
            if s._epoch == epoch:  # nobody has dropped the head holding it yet
                reload(s)
        raise
    _advance(s, seen, mine or pending.alone, txnid)


def _settle_held(s: Session, submitted: Any) -> None:
    """`_settle` with the session's lock held and the program's transaction still open (undone if it fails)."""
    pending, seen, mine, _ = submitted
    try:
        _, txnid = s.app.recorder.settle(pending)  # type: ignore[attr-defined]
    except BaseException:
        if pending.ticket.after is None:
            s._pending = None  # the head holds nothing else in flight: undoing the program restores it
        else:
            reload(s)  # it ran on programs in flight that were not recorded
        raise
    _advance(s, seen, mine or pending.alone, txnid)


def _advance(s: Session, seen: Any, exclusive: bool, txnid: int) -> None:
    """After a batch of ours: if it was the only commit since the head was last current (`seen`), the head still
    is (see Session._advance). A batch holds other writers' events too, so it counts only if no other write to
    this branch can be in it: it held the head's own next event (another write would repeat that version and
    fail), or nothing but ours. A racing thread at worst leaves an older mark, which costs one catch-up read."""
    if exclusive and seen is not None and txnid == seen[1] + 1 and s._seen is seen:
        s._seen = (seen[0], txnid)


def drain(s: Session) -> None:
    """With the session's lock held: wait for its last batch, so that the head holds only recorded programs."""
    pending = s._pending
    if pending is None:
        return
    try:
        s.app.recorder.settle(pending)  # type: ignore[attr-defined]
    except PersistenceError:
        reload(s)  # its own caller reports the failure (and retries the program)
    s._pending = None


def write_after(s: Session, recorder: Any, stored: list[Any]) -> None:
    """Record `stored` (a snapshot) durably, but only if the session's batches in flight are recorded. The head
    stays marked current only if that batch held nothing else (it may hold another session's program)."""
    seen = s._seen
    pending = recorder.submit_events(stored, after=s._pending)
    _, txnid = recorder.settle(pending)
    _advance(s, seen, pending.alone, txnid)


def reload(s: Session) -> None:
    """Drop the head (and the batch chain it ran on): the next program loads what the store holds."""
    s._epoch += 1
    s._head = s._seen = None
    s._pending = None


def result(s: Session, values: list[Any], it: Interpreter, program_id: str) -> Result:
    vals = tuple(copy_value(v) for v in values)
    return Result(
        value=vals[-1] if vals else None,
        values=vals,
        version=s._head_version(),
        events=tuple(it.events),
        program_id=program_id,
        branch=s.branch_name,
        bindings={k: copy_value(v) for k, v in it.bindings.items() if k != "_"},
    )


def run_process(
    s: Session,
    program: Program,
    actor: str,
    *,
    scope: str | None,
    self_path: str | None,
    dry_run: bool,
    can: Any = None,
    read_only: bool = False,
) -> Result | None:
    """`<process>.run(...)`: the process's model works its goal, each step its own program (scint/llm)."""
    head = s._guard(s._current)
    if head is None:
        return None
    found = llm_process.find_run(head.state, program, actor=actor, scope=scope, self_path=self_path)
    if found is None:
        return None
    check_call(actor_capabilities(actor, head.state.contexts, can), actor, found[0], "run")
    if read_only:
        raise PermissionDenied(f"{actor} may only read: {found[0]}.run() records the process's steps")
    holder = claim_holder(getattr(head.state.contexts.get(found[0]), "claimed", None), time.time())
    if holder is not None:  # a scheduler is taking its steps (scint/agents/claims.py): never two runs at once
        raise ActionError(
            f"{found[0]} is being run by {holder} (`scint agents run`); its answer is recorded when that run ends"
        )
    events: list[Any] = []  # what its steps (each a program of its own) recorded, for every surface
    answer = None if dry_run else llm_process.run_process(s, found[0], found[1], actor=actor, events=events)
    stmt = program.statements[0]
    return Result(
        value=answer,
        values=(answer,),
        version=s.version,
        events=tuple(events),
        program_id=uuid.uuid4().hex[:16],
        branch=s.branch_name,
        bindings={stmt.name: copy_value(answer)} if type(stmt) is Assign else {},
    )


class Txn:
    """Every aggregate one program touches (branch heads, the branch index), with the marks to undo them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.marks: dict[Any, tuple[Any, tuple[int, Any, int]]] = {}
        self.index: BranchIndex | None = None
        self.touched_history = False
        self.switch_to: str | None = None

    def enter(self, agg: Any) -> Any:
        if agg.id not in self.marks:
            self.marks[agg.id] = (agg, (agg._version, agg._modified_on, len(agg._pending_events)))
            if isinstance(agg, ContextMap):
                self.session._dirty = True
                agg.state.begin()
        return agg

    def find(self, agg_id: Any) -> Any:
        entry = self.marks.get(agg_id)
        return entry[0] if entry is not None else None

    def pending(self) -> list[Any]:
        return [e for agg, _ in self.marks.values() for e in agg._pending_events]

    def undo(self) -> None:
        for agg, (version, modified, pending) in self.marks.values():
            if isinstance(agg, ContextMap):
                agg.state.rollback()
            agg._version, agg._modified_on = version, modified
            del agg._pending_events[pending:]
        self.session._dirty = False

    def forget_unsaved(self) -> None:
        """After a conflict: drop the cached head if it was never saved, so it is loaded afresh."""
        s = self.session
        if s._head is not None and s._head.version <= 1 and not s._head._pending_events:
            s._head = None

    def commit(self) -> None:
        s = self.session
        for agg, _ in self.marks.values():
            agg.collect_events()
            if isinstance(agg, ContextMap):
                agg.state.commit()
                if agg.branch == s.branch_name:
                    s._head = agg
                s._maybe_snapshot(agg)
        if self.switch_to is not None:
            s._switch(self.switch_to, self.find(branch_id(self.switch_to)))
        s._dirty = False
