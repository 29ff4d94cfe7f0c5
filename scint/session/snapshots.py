"""Snapshots of a branch's head: when to take one, and where the count towards the next starts. A snapshot is an
optimisation: taking one may fail and lose nothing."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scint.core.map import ContextMap
from scint.session import running
from scint.store.interrupts import shielded

if TYPE_CHECKING:
    from scint.session.facade import Session

__all__ = ["EVENT_BYTES", "SNAPSHOT_EVERY", "count_from_stored", "maybe_take"]

log = logging.getLogger("scint")

SNAPSHOT_EVERY = 250  # events between snapshots, at least (a 5 KB state: 2 pages on LMDB, ~33 bytes per event)
EVENT_BYTES = 200  # a typical stored event; snapshots wait until the events since the last one add up to its size


def count_from_stored(s: Session, head: ContextMap) -> None:
    """Count the events towards the next snapshot from the newest one stored (not from this open): a session
    opened for one program at a time (the CLI) snapshots as often as a long-lived one."""
    if head.id in s._snapshot_at:
        return
    try:
        found = s.app.snapshots.recorder.select_events(head.id, desc=True, limit=1)  # type: ignore[union-attr]
    except Exception:  # an optimisation: if the store cannot say, count from here
        log.exception("could not read the newest snapshot of %s", head.id)
        found = []
    s._snapshot_at[head.id] = found[0].originator_version if found else 0
    s._snapshot_bytes[head.id] = len(found[0].state) if found else 0


def maybe_take(s: Session, head: ContextMap) -> None:
    """Snapshot the head when replaying the events since the last snapshot would cost more than reading a
    new one: at least SNAPSHOT_EVERY events, and at least as many event-sized bytes as the last snapshot
    took, so snapshots add a bounded number of bytes per event however large the state grows."""
    since = head.version - s._snapshot_at.get(head.id, 0)
    if head.state.stale:  # a type is not registered here: its state is not known, so not snapshotted
        return
    if since < SNAPSHOT_EVERY or since * EVENT_BYTES < s._snapshot_bytes.get(head.id, 0):
        return
    try:
        snapshot = ContextMap.Snapshot.take(head)
        stored = s.app.mapper.to_stored_event(snapshot)
        recorder = s.app.snapshots.recorder  # type: ignore[union-attr]
        if s._group:  # recorded only if the programs in flight below it are
            shielded(running.write_after, s, recorder, [stored])
        else:
            seen = s._seen
            shielded(recorder.insert_events, [stored])
            s._advance(seen)
        s._snapshot_at[head.id] = head.version
        s._snapshot_bytes[head.id] = len(stored.state)
    except Exception:  # a snapshot is an optimisation: failing to take one loses nothing
        log.exception("could not take a snapshot at version %d", head.version)
