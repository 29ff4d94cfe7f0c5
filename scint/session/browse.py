"""Reading the history the way a browser of it does (scint.ui): a session on another branch of the same store,
a page of a branch's log before a version (each program with its newest EVENTS_SHOWN events), and the program
boundaries either side of a version, for stepping program by program. Each function takes the Session it works
on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scint.core.boundaries import program_span
from scint.errors import BadArguments, HistoryError
from scint.session.checks import as_int
from scint.session.history import entry, events_newest_first

if TYPE_CHECKING:
    from scint.session.facade import Session

__all__ = ["MAX_LOG_PAGE", "boundaries_around", "log_page", "on_branch", "sibling"]

MAX_LOG_PAGE = 200  # programs in one page of the log
EVENTS_SHOWN = 200  # events listed per program (the newest); `events_total` counts them all


def on_branch(s: Session, name: str) -> Session:
    """A session on branch `name` of `s`'s store, sharing its connection (closing it leaves the store open, so
    it lives no longer than `s`). `s` itself when it is on that branch."""
    if name == s.branch_name:
        return s
    return sibling(s, name)


def sibling(s: Session, name: str | None = None) -> Session:
    """A new session on branch `name` (default: `s`'s) of `s`'s store, sharing its connection: for another
    thread (a session is not shared between threads), living no longer than `s`."""
    return type(s)(s.url, branch=name or s.branch_name, limits=s.limits, _app=s.app)


def log_page(s: Session, limit: int, before: int | None = None) -> list[dict[str, Any]]:
    """At most `limit` programs of `s`'s branch, newest first, whose version is below `before` (None: from the
    head); each with the events it recorded (version, path, action, args)."""
    limit = as_int(limit, "limit")
    if not 1 <= limit <= MAX_LOG_PAGE:
        raise BadArguments(f"limit must be between 1 and {MAX_LOG_PAGE}, not {limit}")
    if before is not None:
        before = as_int(before, "before")
        if before < 1:
            raise BadArguments(f"before must be a version of 1 or more, not {before}")
    s._check_open()
    out: list[dict[str, Any]] = []
    group: list[tuple[int, Any]] = []
    skipping, skip = before is not None, None  # the program of version `before` is not below it as a whole
    for version, event in events_newest_first(s, s.branch_name, before):
        program = event.meta.get("program")
        if skipping:
            if skip is None and version == before:
                skip = (program,)
            if skip is not None and skip[0] == program:
                continue
            skipping = False
        if group and program != group[0][1].meta.get("program"):
            out.append(_entry_dict(s, group))
            group = []
            if len(out) >= limit:
                return out
        group.append((version, event))
    if group:
        out.append(_entry_dict(s, group))
    return out


def _entry_dict(s: Session, group: list[tuple[int, Any]]) -> dict[str, Any]:
    data = entry(s, group).as_dict()
    shown = group[:EVENTS_SHOWN]  # group is newest first
    data["events"] = [{"version": v, "path": e.path, "action": e.action, "args": e.args} for v, e in reversed(shown)]
    data["events_total"] = len(group)
    return data


def boundaries_around(s: Session, version: int) -> tuple[int | None, int | None]:
    """The program boundaries just before and just after `version` on `s`'s branch (None where there is none):
    the states one steps to, program by program."""
    version = as_int(version, "version")
    head = s.version
    if not 0 <= version <= head:
        raise HistoryError(f"version {version} does not exist: {s.branch_name} is at version {head}")
    before = log_page(s, 1, version) if version > 0 else []
    prev = before[0]["version"] if before else (0 if version > 0 else None)
    if version >= head:
        return prev, None
    span = s._guard(lambda: program_span(s.app, s.branch_name, version + 1))
    return prev, span[1] if span is not None else version + 1
