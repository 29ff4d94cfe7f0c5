"""History operations of a session: branches, checkouts and views of past versions (in programs, through the
`history` built-ins, and from Python), diff, replay and the log. Each function takes the Session it works on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from scint.contexts.types import copy_value
from scint.core.boundaries import check_boundary, running_message
from scint.core.codec import source_of
from scint.core.history import check_branch_name, diff_views, fast_lineage, load_map
from scint.core.interpreter import Interpreter
from scint.core.map import ContextMap, branch_id
from scint.core.state import MapState
from scint.core.view import ContextMapView
from scint.errors import BadArguments, HistoryError
from scint.session.checks import as_int, parse_ref
from scint.session.results import Diff, LogEntry

if TYPE_CHECKING:
    from scint.session.facade import Session
    from scint.session.running import Txn


class History:
    """What the `history` built-ins need from the session (scint.core.builtins.HistoryAccess)."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def log_entries(self, limit: int | None) -> list[dict[str, Any]]:
        return log_entries(self.s, limit)

    def branch_in(self, it: Interpreter, name: str, at: int | None) -> str:
        return branch_in(self.s, it, name, at)

    def checkout_in(self, it: Interpreter, name: str) -> str:
        return checkout_in(self.s, it, name)

    def branches_list(self, it: Interpreter | None = None) -> list[dict[str, Any]]:
        return branches_list(self.s, it)

    def diff_dict(self, a: Any, b: Any, it: Interpreter | None = None) -> dict[str, Any]:
        return diff_dict(self.s, a, b, it)

    def at_dict(self, version: int, path: str | None, it: Interpreter | None = None) -> dict[str, Any]:
        return at_dict(self.s, version, path, it)


def branch_in(s: Session, it: Interpreter, name: str, at: int | None) -> str:
    txn: Txn = it.txn  # type: ignore[attr-defined]
    check_branch_name(name)
    if s._rerun is not None:
        return s._rerun.ignore(it, name)
    head = it.head
    current = head.scint_version if head.version > 0 else 0
    if at is None:
        at = current
    if at < 0 or at > current:
        raise HistoryError(f"cannot branch at version {at}: {head.branch} is at version {current}")
    check_seen(s, head.branch, at, it)
    index = txn.enter(txn.index or s._index_for_update())
    txn.index = index
    index.add(name, head.branch, at)
    if head.version == 0:  # the base branch has not been recorded yet: record its start with this program
        txn.touched_history = True
    txn.enter(ContextMap.start(name, head.branch, at))
    txn.touched_history = True
    return name


def checkout_in(s: Session, it: Interpreter, name: str) -> str:
    txn: Txn = it.txn  # type: ignore[attr-defined]
    check_branch_name(name)
    if s._rerun is not None:
        return s._rerun.ignore(it, name)
    index = txn.enter(txn.index or s._index_for_update())
    txn.index = index
    index.switch(name)
    txn.touched_history = True
    if name != it.head.branch:
        target = txn.find(branch_id(name))
        if target is None:
            target = s._guard(lambda: load_map(s.app, name)) or ContextMap.start(name)
            txn.enter(target)
        elif target.version == 1 and target.base_branch is not None:
            # Created by this very program: give it the base's state at the fork before working on it.
            target.state = fork_state(s, txn, target.base_branch, target.base_version)
            target.state.begin()
        it.head = target
        it.state = target.state
    txn.switch_to = name
    return name


def fork_state(s: Session, txn: Txn, base: str, at: int) -> MapState:
    head = txn.find(branch_id(base))
    if head is not None and (head.scint_version if head.version > 0 else 0) == at:
        return MapState.from_data(copy_value(head.state.to_data()))
    loaded = s._guard(lambda: load_map(s.app, base, at))
    if loaded is None or loaded.scint_version != at:
        raise HistoryError(
            f"version {at} of {base} is not recorded yet; commit this program before checking out the new branch"
        )
    return loaded.state


def check_seen(s: Session, name: str, version: int, it: Interpreter | None = None) -> None:
    """Refuse `version` of branch `name` if it lies inside a program (scint/core/boundaries.py). Inside a
    program, the versions it has made so far on that branch, but the one it is at, lie inside it too."""
    txn = getattr(it, "txn", None)
    agg = txn.find(branch_id(name)) if txn is not None else None
    if agg is not None:
        now = agg.scint_version if agg.version > 0 else 0
        recorded = agg.base_version + txn.marks[agg.id][1][0] - 1  # where this program started
        if version == now:
            return
        if version > recorded:
            raise HistoryError(running_message(name, version, recorded, now))
    if version > 0:
        s._guard(lambda: check_boundary(s.app, name, version))


def branches_list(s: Session, it: Interpreter | None = None) -> list[dict[str, Any]]:
    txn = getattr(it, "txn", None)
    index = txn.index if txn is not None and txn.index is not None else s._guard(s._load_index)
    entries = index.branches if index is not None else {"main": {"base": None, "at": 0}}
    current = index.current if index is not None else "main"
    out = []
    for name, info in entries.items():
        pending = txn.find(branch_id(name)) if txn is not None else None
        if pending is not None:
            version = pending.scint_version if pending.version > 0 else 0
        else:
            last = next(iter(s.app.events.get(branch_id(name), desc=True, limit=1)), None)
            version = (info["at"] + last.originator_version - 1) if last is not None else info["at"]
        out.append(
            {"name": name, "base": info["base"], "at": info["at"], "version": version, "current": name == current}
        )
    return out


def diff_dict(s: Session, a: Any, b: Any, it: Interpreter | None = None) -> dict[str, Any]:
    return diff(s, a, b, it).as_dict()


def at_dict(s: Session, version: int, path: str | None, it: Interpreter | None = None) -> dict[str, Any]:
    view = view_of(s, it.head.branch if it is not None else s.branch_name, as_int(version, "version"), it)
    if path is not None:
        view = ContextMapView(
            {p: (view.type_of(p), view.get(p)) for p in view.paths() if p == path or p.startswith(path + ".")},
            path=path,
            version=view.version,
            branch=view.branch,
        )
        if not len(view):
            raise HistoryError(f"there was no context `{path}` at version {version}")
    return {p: {"type": view.type_of(p), "state": view.get(p)} for p in view.paths()}


def diff(s: Session, a: Any, b: Any, it: Interpreter | None) -> Diff:
    here = it.head.branch if it is not None else s.branch_name
    views = []
    for ref in (a, b):
        name, version = parse_ref(ref)
        views.append(view_of(s, name or here, version, it))
    d = diff_views(views[0], views[1])
    return Diff(a=f"{views[0].branch}@{views[0].version}", b=f"{views[1].branch}@{views[1].version}", **d)


def view_of(s: Session, name: str, version: int | None, it: Interpreter | None = None) -> ContextMapView:
    """Branch `name` at `version` (default: its head); inside a program, its branch as the program sees it."""
    txn = getattr(it, "txn", None)
    touched = txn.find(branch_id(name)) if txn is not None else None
    if it is not None and (name == it.head.branch or touched is not None):
        head = it.head if name == it.head.branch else touched
        current = head.scint_version if head.version > 0 else 0
        if version is None or version == current:
            return ContextMapView.of(head.state, path=None, version=current, branch=name)
        if not 0 <= version <= current:
            raise HistoryError(f"version {version} does not exist: {name} is at version {current}")
        check_seen(s, name, version, it)
        if version == 0:
            return ContextMapView.of(MapState(), path=None, version=0, branch=name)
        old = s._guard(lambda: load_map(s.app, name, version))
        if old is None or old.scint_version != version:
            raise HistoryError(f"version {version} of {name} is not recorded yet")
        return ContextMapView.of(old.state, path=None, version=version, branch=name)
    if name == s.branch_name and it is None:
        return s.view(at=version)
    index = s._guard(s._load_index)
    if name != "main" and (index is None or name not in index.branches):
        txn = getattr(it, "txn", None)
        pending = txn.find(branch_id(name)) if txn is not None else None
        if pending is None:
            raise HistoryError(f"there is no branch `{name}`")
    other = type(s)(s.url, branch=name, limits=s.limits, _app=s.app) if name != "main" else None
    if other is None:
        other = type(s).__new__(type(s))
        other.__dict__.update(s.__dict__)
        other._head, other.branch_name = None, "main"
    return other.view(at=version)


def replay(s: Session, to: int | None = None, progress: Callable[[int], None] | None = None) -> ContextMapView:
    """The state at version `to` (default: the head) rebuilt from the events alone: no snapshot, no parsing,
    no model call. Equal to `view(at=to)`. `progress` is called with the number of events applied so far."""
    s._check_open()
    current = s.version
    to = current if to is None else as_int(to, "to")
    if not 0 <= to <= current:
        raise HistoryError(f"cannot replay to version {to}: {s.branch_name} is at version {current}")
    if to < current:
        check_seen(s, s.branch_name, to)
    state = s._guard(lambda: replay_state(s, to, progress))
    if progress is not None:
        progress(to)
    return ContextMapView.of(state, path=None, version=to, branch=s.branch_name)


def replay_state(s: Session, to: int, progress: Callable[[int], None] | None = None) -> MapState:
    state = MapState()
    apply = state.apply
    for n, (_, e) in enumerate(fast_lineage(s.app, s.branch_name, to), 1):
        state.time = e["timestamp"]
        apply(e["path"], e["action"], e["args"], e["meta"].get("tv", 1), True)  # decoded just now: no copy
        if progress is not None and n % 5_000 == 0:
            progress(n)
    return state


def log_entries(s: Session, limit: int | None) -> list[dict[str, Any]]:
    if limit is not None and limit < 0:
        raise HistoryError("limit must be zero or more")
    return [e.as_dict() for e in iter_log(s, limit)]


def iter_log(s: Session, limit: int | None) -> Iterator[LogEntry]:
    if limit == 0:
        return
    for count, group in enumerate(iter_programs(s), 1):
        yield entry(s, group)
        if limit is not None and count >= limit:
            return


def iter_programs(s: Session) -> Iterator[list[tuple[int, Any]]]:
    """The branch's programs, newest first, each as its (version, event) pairs, newest first (`entry` reads
    one as a LogEntry; a rerun also reads what its events did)."""
    group: list[tuple[int, Any]] = []
    for version, event in events_newest_first(s, s.branch_name, None):
        if group and event.meta.get("program") != group[0][1].meta.get("program"):
            yield group
            group = []
        group.append((version, event))
    if group:
        yield group


def events_newest_first(s: Session, name: str, upto: int | None) -> Iterator[tuple[int, Any]]:
    agg_id = branch_id(name)
    started = s._guard(lambda: next(iter(s.app.events.get(agg_id, lte=1)), None))
    if started is None:
        return
    base = started.base_version
    top = None if upto is None else upto - base + 1
    page = 256
    while top is None or top >= 2:
        events = s._guard(lambda top=top: list(s.app.events.get(agg_id, lte=top, desc=True, limit=page)))
        for event in events:
            if event.originator_version > 1:
                yield base + event.originator_version - 1, event
        if len(events) < page or events[-1].originator_version <= 2:
            break
        top = events[-1].originator_version - 1
    if started.base_branch is not None:
        yield from events_newest_first(s, started.base_branch, base if upto is None else min(upto, base))


def entry(s: Session, group: list[tuple[int, Any]]) -> LogEntry:
    version, newest = group[0]
    first = group[-1][1]
    meta = first.meta
    return LogEntry(
        version=version,
        actor=meta.get("actor", ""),
        source=meta.get("text") or "\n".join(source_of(e.path, e.action, e.args, e.meta) for _, e in reversed(group)),
        time=newest.timestamp,
        program_id=meta.get("program", ""),
        events=len(group),
        request=meta.get("request"),
        params=meta.get("params"),
    )


def view(s: Session, path: str | None = None, at: int | None = None) -> ContextMapView:
    """`Session.view`: the contexts under `path` as of version `at` (default: the head)."""
    if path is not None and not isinstance(path, str):
        raise BadArguments(f"path must be a context path such as 'notes', not {path!r:.80}")
    if at is None:
        head = s._guard(s._current)
        if head is None:  # nothing recorded yet: an empty map, where no path exists
            return ContextMapView.of(MapState(), path=path, version=0, branch=s.branch_name)
        return ContextMapView.of(head.state, path=path, version=head.scint_version, branch=s.branch_name)
    at = as_int(at, "at")
    current = s.version
    if not 0 <= at <= current:
        raise HistoryError(f"version {at} does not exist: {s.branch_name} is at version {current}")
    if at == current:
        return view(s, path)
    check_seen(s, s.branch_name, at)
    if at == 0:
        return ContextMapView.of(MapState(), path=path, version=0, branch=s.branch_name)
    head = s._guard(lambda: load_map(s.app, s.branch_name, at))
    return ContextMapView.of(head.state, path=path, version=at, branch=s.branch_name)


def log(s: Session, limit: int | None = None) -> list[LogEntry]:
    """`Session.log`: the programs that changed state, newest first (at most `limit`)."""
    if limit is not None:
        limit = as_int(limit, "limit")
        if limit < 0:
            raise HistoryError("limit must be zero or more")
    return list(iter_log(s, limit))
