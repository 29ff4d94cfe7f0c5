"""Program boundaries: which versions of a branch's history are states someone saw.

A program commits all its events at once, so the versions inside a multi-statement program (its events but the
last) are states nobody saw. Every event records its program's id in its provenance (`meta["program"]`); a
version v is inside a program when the events v and v + 1 along the branch's lineage (its fork ancestry first)
belong to the same program, as `Session.log` groups them. Finding that reads the two events next to v and, only
when v is inside a program, pages outwards to the program's first and last event.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from eventsourcing.application import Application

from scint.core.map import branch_id
from scint.errors import HistoryError

__all__ = ["check_boundary", "inside_message", "program_span", "running_message"]

_PAGE = 256
_FIRST_PAGE = 4

# One segment of a lineage: (aggregate id, its fork version, the last version of it the lineage holds or None).
Segment = tuple[uuid.UUID, int, int | None]


def _lineage(app: Application, name: str) -> list[Segment]:
    """The segments of branch `name`'s lineage, the branch itself first, then its base, and so on."""
    out: list[Segment] = []
    upto: int | None = None
    while True:
        agg_id = branch_id(name)
        started = next(iter(app.events.get(agg_id, lte=1)), None)
        if started is None:
            return out
        out.append((agg_id, started.base_version, upto))
        if started.base_branch is None:
            return out
        upto = started.base_version
        name = started.base_branch


def _programs(
    lineage: list[Segment], app: Application, lo: int, hi: int | None, desc: bool
) -> Iterator[tuple[int, Any]]:
    """(version, program id) of the lineage's events with lo < version <= hi (None: no upper bound), newest
    first if `desc`."""
    for agg_id, base, upto in lineage if desc else reversed(lineage):
        top = upto if hi is None else hi if upto is None else min(hi, upto)
        bottom = max(lo, base)
        if top is not None and top <= bottom:
            continue
        gt = bottom - base + 1  # originator versions; 1 is the branch's Started event
        lte = None if top is None else top - base + 1
        page = _FIRST_PAGE  # most walks stop after a few events: pages grow from a few events to _PAGE
        while lte is None or gt < lte:
            events = list(app.events.get(agg_id, gt=gt, lte=lte, desc=desc, limit=page))
            for event in events:
                yield base + event.originator_version - 1, event.meta.get("program")
            if len(events) < page:
                break
            page = min(page * 4, _PAGE)
            if desc:
                lte = events[-1].originator_version - 1
            else:
                gt = events[-1].originator_version


def program_span(app: Application, name: str, version: int) -> tuple[int, int] | None:
    """The first and last version of the recorded program that `version` of branch `name` lies inside, or None
    if `version` is a program boundary (0, a program's last event, the recorded head, or not recorded)."""
    if version <= 0:
        return None
    lineage = _lineage(app, name)
    here = next(_programs(lineage, app, version - 1, version, True), None)
    after = next(_programs(lineage, app, version, version + 1, False), None)
    if here is None or after is None or here[1] != after[1]:
        return None
    program = here[1]
    first = version
    for v, p in _programs(lineage, app, 0, version - 1, True):
        if p != program:
            break
        first = v
    last = version + 1
    for v, p in _programs(lineage, app, version + 1, None, False):
        if p != program:
            break
        last = v
    return first, last


def inside_message(name: str, version: int, first: int, last: int) -> str:
    """For a version inside a recorded program: the states before and after the program are the ones seen."""
    return (
        f"version {version} of {name} is inside the program that made versions {first}-{last}; "
        f"use {first - 1} or {last}"
    )


def check_boundary(app: Application, name: str, version: int) -> None:
    """Refuse a version inside a recorded multi-statement program with a HistoryError naming the program's first
    and last version."""
    span = program_span(app, name, version)
    if span is not None:
        raise HistoryError(inside_message(name, version, *span))


def running_message(name: str, version: int, started: int, now: int) -> str:
    """For a version the running program made on `name` (it started at `started` and is at `now`)."""
    return (
        f"version {version} of {name} is inside this program, which has made versions {started + 1}-{now} so far; "
        f"use {started} or {now}"
    )
