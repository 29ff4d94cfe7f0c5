"""Which processes have work, and which scheduler takes their steps (SPEC section 11).

A process has work when it may step (not a person's: backend `human`; not `waiting` on a proposal; not held by
a pause or stop, its own or above it; not out of budget: scint/contexts/usage.py) and it has unread messages or
a goal it has not answered yet.

Several schedulers may share a store (OS processes on one LMDB directory, machines on one PostgreSQL database).
A scheduler takes a process by recording a claim on it (`Process.claim`: its owner id, the time by `wall()`, and
how long the claim lasts), in one program that first reads who holds each claim. Programs are optimistic: if
another scheduler committed its claims in the meantime, ours is run again on the new head, sees theirs, and
leaves those processes alone; so a process is never stepped by two schedulers at once. A scheduler releases its
claims when their runs end (in the same program as its next claims), renews them while a run goes on, and a
crashed scheduler's claims lapse after their time (`TTL`), so its processes can be run again. The claim's time is
the scheduler's wall clock, resolved before the event and stored in it (replay never reads a clock); machines
sharing a store should keep their clocks within a few seconds of each other.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from scint.contexts.builtin import Process, claim_holder
from scint.contexts.usage import why_not
from scint.core.interpreter import Interpreter
from scint.core.mail import Mail
from scint.session import approval

if TYPE_CHECKING:
    from scint.session import Session

__all__ = ["TTL", "claim_work", "new_owner", "no_work", "wall"]

TTL = 900.0  # seconds a claim lasts unless renewed (a scheduler renews its claims every TTL / 3)


def wall() -> float:
    """The clock claims are recorded by: seconds since the epoch, comparable between machines (tests replace
    it with monkeypatch to let a claim lapse without waiting)."""
    return time.time()


def new_owner() -> str:
    """A scheduler's owner id, unique among the schedulers sharing a store."""
    return f"scheduler:{os.getpid()}:{os.urandom(6).hex()}"


Lookup = Callable[[str], "dict[str, Any] | None"]


def no_work(state: dict[str, Any], lookup: Lookup, path: str, unread: int) -> str | None:
    """Why the process whose state this is has no work now, as a report says it; None when it has work."""
    if state.get("backend") == "human":
        return "waits for a person (backend human): its queries are in `scint inbox`"
    status = state.get("status")
    if status == "waiting":
        return "waiting: a proposal of its is pending (scint proposals)"
    refused = why_not(lookup, path)
    if refused is not None:
        return refused[0]
    if unread:
        return None
    if status == "done":
        return "done"
    if not state.get("goal"):
        return "no goal and no unread messages"
    return None


def _processes(contexts: dict[str, Any]) -> Lookup:
    def lookup(p: str) -> dict[str, Any] | None:
        ctx = contexts.get(p)
        return ctx.__dict__ if isinstance(ctx, Process) else None

    return lookup


def _unread(mail: Mail) -> Callable[[str], int]:
    """Unread messages per recipient (the mail keeps them indexed: no scan of every message)."""
    return mail.unread_count


def claim_work(
    session: Session,
    owner: str,
    *,
    wanted: Callable[[str], bool],
    eligible: Callable[[str, dict[str, Any], int], bool],
    limit: int,
    release: Iterable[str] = (),
    renew: Iterable[str] = (),
    only: set[str] | None = None,
    ttl: float = TTL,
) -> list[str]:
    """One program: release `owner`'s claims on `release`, renew them on `renew`, then claim up to `limit`
    processes that have work (`wanted(path)` and `eligible(path, state, unread)`, among `only` if given, else
    all), not claimed by another scheduler. Returns the paths claimed, parents before children."""
    release, renew = list(release), list(renew)

    def step(it: Interpreter) -> list[str]:
        now = wall()
        contexts = it.state.contexts
        lookup = _processes(contexts)
        for path in release:
            claimed = (lookup(path) or {}).get("claimed")
            if isinstance(claimed, dict) and claimed.get("by") == owner:  # lapsed or not: it is ours to end
                it.record(path, "unclaim", {"by": owner})
        for path in renew:  # unless another scheduler took it after it lapsed (then it is theirs)
            state = lookup(path)
            if state is not None and claim_holder(state.get("claimed"), now) in (None, owner):
                it.record(path, "claim", {"by": owner, "at": now, "ttl": ttl})
        taken: list[str] = []
        if limit <= 0:
            return taken
        candidates = contexts if only is None else sorted(p for p in only if p in contexts)
        unread = _unread(it.state.mail)
        for path in candidates:
            state = lookup(path)
            if state is None or not wanted(path) or claim_holder(state.get("claimed"), now) not in (None, owner):
                continue
            count = unread(path)
            if no_work(state, lookup, path, count) is None and eligible(path, state, count):
                it.record(path, "claim", {"by": owner, "at": now, "ttl": ttl})
                taken.append(path)
                if len(taken) >= limit:
                    break
        return taken

    with session._lock:  # the session's programs take turns (as Session.deliver_messages does)
        return approval._runtime(session, owner, step)
