"""The Session: where the layers meet. `scint.open(url)` returns one.

A session holds one branch's ContextMap in memory and keeps it current: before each program it reads any
events other sessions or processes recorded since (usually none: one cheap read), runs the program in a
transaction, and saves all its events in one store transaction. If another writer got there first the save
fails on the aggregate version; the session rolls back, catches up, and runs the program again (bounded), so
no update is lost and no program applies twice.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, PersistenceError, Transcoder

from scint.contexts import builtin as _builtin  # noqa: F401 - registers the built-in types
from scint.contexts.types import copy_value, is_json
from scint.core.bindings import program_params
from scint.core.builtins import make_builtins
from scint.core.history import (
    INDEX_ID,
    BranchIndex,
    check_branch_name,
    check_imported,
    diff_views,
    export_lines,
    fast_lineage,
    lineage_events,
    load_map,
    read_export,
    render_diff,
)
from scint.core.interpreter import EventRecord, Interpreter
from scint.core.map import ContextMap, ScintTranscoder, branch_id, fast_mapper, stored_events
from scint.core.state import MapState
from scint.core.view import ContextMapView
from scint.dsl import Assign, Limits, Program, parse, quote
from scint.errors import BadArguments, ConflictError, HistoryError, ScintError, StoreError
from scint.llm import process as _llm_process

__all__ = ["Diff", "LogEntry", "RerunReport", "Result", "Session", "load", "open"]

log = logging.getLogger("scint")

MAX_ATTEMPTS = 64  # optimistic-concurrency retries of one program
SNAPSHOT_EVERY = 100  # events between snapshots, at least
EVENT_BYTES = 200  # a typical stored event; snapshots wait until the events since the last one add up to its size


class ScintApp(Application):
    """The eventsourcing Application behind a session (one per store)."""

    name = "Scint"
    is_snapshotting_enabled = True

    def construct_transcoder(self) -> Transcoder:
        return ScintTranscoder()


@attrs.frozen
class Result:
    """What `Session.run` returns: the last statement's value, every statement's value, the branch version
    after the program, and the events it recorded (empty for a read-only program). After a dry run, `events`
    are the ones the program would have recorded, and `version` is the unchanged head. `bindings` are the
    names the program assigned (`m = notes.get(...)`) with their values: a REPL or a notebook passes them back
    as `params` of its next program, so the session itself keeps no one's variables."""

    value: Any
    values: tuple[Any, ...]
    version: int
    events: tuple[EventRecord, ...]
    program_id: str
    branch: str
    bindings: dict[str, Any] = attrs.field(factory=dict)

    def __str__(self) -> str:
        from scint.core.render import render_result

        return render_result(self)

    def _repr_html_(self) -> str:
        from scint.core.render import render_result_html

        return render_result_html(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython's plain-text display
        printer.text(str(self))


@attrs.frozen
class LogEntry:
    """One program that changed state: the branch version after it, who ran it, its text, when, its id."""

    version: int
    actor: str
    source: str
    time: datetime
    program_id: str
    events: int
    request: Any = None
    params: Any = None  # the values bound from outside that the program read (`run(text, params=...)`)

    def as_dict(self) -> dict[str, Any]:
        entry = {
            "version": self.version,
            "actor": self.actor,
            "source": self.source,
            "time": self.time.isoformat(),
            "program_id": self.program_id,
        }
        if self.params is not None:
            entry["params"] = self.params
        return entry


@attrs.frozen
class Diff:
    """The difference between two states: contexts added and removed, and per changed context its fields."""

    a: str
    b: str
    added: dict[str, str]
    removed: dict[str, str]
    changed: dict[str, Any]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def as_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "added": self.added, "removed": self.removed, "changed": self.changed}

    def render(self) -> str:
        return render_diff(self.as_dict(), self.a, self.b)

    def __str__(self) -> str:
        return self.render()

    def _repr_html_(self) -> str:
        import html

        return f"<pre class='scint-diff'>{html.escape(self.render())}</pre>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython's plain-text display
        printer.text(str(self))


@attrs.frozen
class RerunReport:
    """What `Session.rerun` did: the new branch, the programs it re-ran, and those that now fail."""

    branch: str
    since: int
    programs: int
    failures: tuple[tuple[str, int, str], ...]  # (program id, original version, error)

    def __str__(self) -> str:
        head = f"re-ran {self.programs} programs after version {self.since} on branch {self.branch}"
        if not self.failures:
            return head + ": all succeeded"
        lines = [head + f": {len(self.failures)} failed"]
        lines += [f"  {pid} (was version {v}): {err}" for pid, v, err in self.failures]
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython's plain-text display
        printer.text(str(self))


_PATH_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}(\.[A-Za-z][A-Za-z0-9_]{0,63}){0,16}")


_VERSION_RE = re.compile(r"[0-9]{1,18}")


def _parse_ref(ref: Any) -> tuple[str | None, int | None]:
    """A history reference: an int version (this branch), "branch", or "branch@version"."""
    if isinstance(ref, bool):
        raise HistoryError(f"{ref!r} is not a branch or version")
    if isinstance(ref, int):
        return None, ref
    if not isinstance(ref, str):
        raise HistoryError(f"{ref!r} is not a branch or version")
    name, sep, at = ref.partition("@")
    if sep:
        if not _VERSION_RE.fullmatch(at):  # ASCII digits only: "²".isdigit() is True, and int("²") fails
            raise HistoryError(f"{ref!r}: write branch@version with a whole number, e.g. main@12")
        return check_branch_name(name), int(at)
    return check_branch_name(name), None


class Session:
    """A connection to a Scint store, on one branch."""

    def __init__(
        self,
        url: str | None = None,
        *,
        branch: str | None = None,
        limits: Limits | None = None,
        env: dict[str, str] | None = None,
        _app: ScintApp | None = None,
    ) -> None:
        if _app is not None:
            self.url = url or "custom://"
            self.app = _app
        else:
            if env is None:
                from scint.store.urls import default_url, environment_for_url

                self.url = url or default_url()
                env = environment_for_url(self.url)
            else:
                self.url = url or "custom://"
            self.app = _open_app(env, self.url)
        self._owns_app = _app is None
        self.limits = limits or Limits()
        self._head: ContextMap | None = None
        self._index: BranchIndex | None = None
        self._snapshot_at: dict[Any, int] = {}
        self._snapshot_bytes: dict[Any, int] = {}
        self._builtins = make_builtins(self)
        self._closed = False
        # An in-memory store belongs to this session alone: nobody else can have written to it.
        self._private = type(self.app.recorder).__module__ == "eventsourcing.popo"
        # A store that can say cheaply whether anything was committed since (LMDB: its last transaction id) spares
        # the catch-up read before each program: `_seen` is (head, token) while that head holds every commit up
        # to that token.
        self._token_of: Callable[[], Any] | None = getattr(self.app.recorder, "change_token", None)
        self._seen: tuple[ContextMap, Any] | None = None
        # Events are encoded here, straight to StoredEvents, when the mapper is ours without compression/cipher.
        self._fast_mapper = fast_mapper(self.app.mapper)
        index = self._guard(self._load_index)
        if branch is None:
            self.branch_name = index.current if index is not None else "main"
        else:
            check_branch_name(branch)
            if branch != "main" and (index is None or branch not in index.branches):
                known = ", ".join(index.branches) if index is not None else "main"
                raise HistoryError(f"there is no branch `{branch}` in {self.url}; the branches are: {known}")
            self.branch_name = branch

    # -- the head ------------------------------------------------------------------------------------------

    def _load_index(self) -> BranchIndex | None:
        try:
            return self.app.repository.get(INDEX_ID)
        except AggregateNotFoundError:
            return None

    def _index_for_update(self) -> BranchIndex:
        index = self._guard(self._load_index)
        return index if index is not None else BranchIndex.start()

    def _current(self) -> ContextMap | None:
        """The head, caught up with everything recorded since it was loaded."""
        head = self._head
        token_of = self._token_of
        if head is None:
            token = token_of() if token_of is not None else None  # read first: the load sees at least this
            head = self._head = load_map(self.app, self.branch_name)
            if head is not None:
                self._snapshot_at.setdefault(head.id, head.version)
                if token_of is not None:
                    self._seen = (head, token)
            return head
        if head.state.in_transaction:
            raise ScintError("the session is already running a program (a session is not shared between threads)")
        if self._private:
            return head
        if token_of is not None:
            token = token_of()
            seen = self._seen
            if seen is not None and seen[0] is head and seen[1] == token:
                return head  # nothing was committed since this head was current
        for event in self.app.events.get(head.id, gt=head.version):
            event.mutate(head)
        if token_of is not None:
            self._seen = (head, token)
        return head

    def _record(self, events: list[Any]) -> None:
        """Save events in one store transaction; keep the head marked current if that was the only commit."""
        seen = self._seen
        if self._fast_mapper:
            self.app.recorder.insert_events(stored_events(self.app.mapper, events))
        else:
            self.app.events.put(events)
        self._advance(seen)

    def _advance(self, seen: tuple[ContextMap, Any] | None) -> None:
        """After one write of ours: if it was the only commit since `seen`, the head stays marked current
        (LMDB numbers its write transactions 1, 2, 3...). Otherwise the next program catches up first."""
        if seen is None or self._token_of is None:
            return
        try:
            token = self._token_of()
        except Exception:  # the write is done; the next program will simply read
            return
        if token == seen[1] + 1:
            self._seen = (seen[0], token)

    @property
    def version(self) -> int:
        """The head version of this session's branch (events applied along its history)."""
        self._check_open()
        head = self._guard(self._current)
        return head.scint_version if head is not None and head.version > 0 else 0

    # -- running programs --------------------------------------------------------------------------------------

    def run(
        self,
        text: str | Program,
        actor: str = "human",
        *,
        params: Any = None,
        request: Any = None,
        scope: str | None = None,
        self_path: str | None = None,
        dry_run: bool = False,
        _internal: bool = False,
    ) -> Result:
        """Run a program atomically and return its Result. `params` ({"v": 41}) binds JSON-like values as `$v`
        (the program's own assignments come first); those it reads are recorded with it. With `dry_run`, validate
        and execute it but record nothing. `scope` limits which contexts it may change; `self_path` is what `self`
        names in it."""
        self._check_open()
        if not isinstance(actor, str) or not actor or not _storable(actor):
            raise ScintError("actor must be a non-empty string of valid text such as 'human' or 'llm:gpt-5-mini'")
        for name, value in (("scope", scope), ("self_path", self_path)):
            if value is not None and not (isinstance(value, str) and _PATH_RE.fullmatch(value)):
                raise BadArguments(f"{name} must be a context path such as 'research.lit', not {value!r:.80}")
        if request is not None and not _storable(request):
            raise BadArguments("request must be JSON-like data: text, finite numbers, lists, dicts with string keys")
        program = text if isinstance(text, Program) else parse(text, limits=self.limits)
        params = program_params(program, params, self.limits)
        if _llm_process.is_run_call(program):  # `<process>.run()`: each model step commits on its own (scint/llm)
            ran = self._run_process(program, actor, scope=scope, self_path=self_path, dry_run=dry_run)
            if ran is not None:
                return ran
        program_id = os.urandom(8).hex()
        for attempt in range(MAX_ATTEMPTS):
            txn = _Txn(self)
            head = self._guard(self._current) or ContextMap.start(self.branch_name)
            txn.enter(head)
            it = Interpreter(
                head,
                self._builtins,
                actor=actor,
                program_id=program_id,
                request=request,
                params=params,
                scope=scope,
                self_path=self_path,
                internal=_internal,
            )
            it.txn = txn  # type: ignore[attr-defined]  # for the history built-ins
            try:
                values = it.run(program)
                events = txn.pending()
                if dry_run or not (it.events or txn.touched_history):
                    txn.undo()
                    return self._result(values, it, program_id, committed=False)
                # All pending events of every aggregate the program touched, in one recorder transaction (what
                # app.save does, without its generic protocol checks and hooks; snapshots are taken on commit).
                self._record(events)
            except IntegrityError:
                txn.undo()
                txn.forget_unsaved()
                log.info("program %s: the head moved on; retrying (attempt %d)", program_id, attempt + 2)
                if attempt >= 2:  # contention: back off (randomised, growing) so that every writer gets through
                    time.sleep(random.uniform(0, min(0.001 * 2 ** (attempt - 2), 0.1)))
                continue
            except ScintError:
                txn.undo()
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
                self._head = None  # the interrupt may have come after the store committed: reload what it holds
                raise
            txn.commit()
            log.info("program %s by %s: %d events, version %d", program_id, actor, len(it.events), self._head_version())
            return self._result(values, it, program_id, committed=True)
        raise ConflictError(f"gave up after {MAX_ATTEMPTS} attempts: other writers kept changing the branch")

    def _result(self, values: list[Any], it: Interpreter, program_id: str, committed: bool) -> Result:
        vals = tuple(copy_value(v) for v in values)
        return Result(
            value=vals[-1] if vals else None,
            values=vals,
            version=self._head_version(),
            events=tuple(it.events),
            program_id=program_id,
            branch=self.branch_name,
            bindings={k: copy_value(v) for k, v in it.bindings.items() if k != "_"},
        )

    def _head_version(self) -> int:
        head = self._head
        return head.scint_version if head is not None and head.version > 0 else 0

    def _maybe_snapshot(self, head: ContextMap) -> None:
        """Snapshot the head when replaying the events since the last snapshot would cost more than reading a
        new one: at least SNAPSHOT_EVERY events, and at least as many event-sized bytes as the last snapshot
        took, so snapshots add a bounded number of bytes per event however large the state grows."""
        since = head.version - self._snapshot_at.get(head.id, 0)
        if since < SNAPSHOT_EVERY or since * EVENT_BYTES < self._snapshot_bytes.get(head.id, 0):
            return
        try:
            snapshot = ContextMap.Snapshot.take(head)
            stored = self.app.mapper.to_stored_event(snapshot)
            seen = self._seen
            self.app.snapshots.recorder.insert_events([stored])  # type: ignore[union-attr]
            self._advance(seen)
            self._snapshot_at[head.id] = head.version
            self._snapshot_bytes[head.id] = len(stored.state)
        except Exception:  # a snapshot is an optimisation: failing to take one loses nothing
            log.exception("could not take a snapshot at version %d", head.version)

    # -- history operations inside programs (the `history` context) ------------------------------------------

    def branch_in(self, it: Interpreter, name: str, at: int | None) -> str:
        txn: _Txn = it.txn  # type: ignore[attr-defined]
        check_branch_name(name)
        head = it.head
        current = head.scint_version if head.version > 0 else 0
        if at is None:
            at = current
        if at < 0 or at > current:
            raise HistoryError(f"cannot branch at version {at}: {head.branch} is at version {current}")
        index = txn.enter(txn.index or self._index_for_update())
        txn.index = index
        index.add(name, head.branch, at)
        if head.version == 0:  # the base branch has not been recorded yet: record its start with this program
            txn.touched_history = True
        txn.enter(ContextMap.start(name, head.branch, at))
        txn.touched_history = True
        return name

    def checkout_in(self, it: Interpreter, name: str) -> str:
        txn: _Txn = it.txn  # type: ignore[attr-defined]
        check_branch_name(name)
        index = txn.enter(txn.index or self._index_for_update())
        txn.index = index
        index.switch(name)
        txn.touched_history = True
        if name != it.head.branch:
            target = txn.find(branch_id(name))
            if target is None:
                target = self._guard(lambda: load_map(self.app, name)) or ContextMap.start(name)
                txn.enter(target)
            elif target.version == 1 and target.base_branch is not None:
                # Created by this very program: give it the base's state at the fork before working on it.
                target.state = self._fork_state(txn, target.base_branch, target.base_version)
                target.state.begin()
            it.head = target
            it.state = target.state
        txn.switch_to = name
        return name

    def _fork_state(self, txn: _Txn, base: str, at: int) -> MapState:
        head = txn.find(branch_id(base))
        if head is not None and (head.scint_version if head.version > 0 else 0) == at:
            return MapState.from_data(copy_value(head.state.to_data()))
        loaded = self._guard(lambda: load_map(self.app, base, at))
        if loaded is None or loaded.scint_version != at:
            raise HistoryError(
                f"version {at} of {base} is not recorded yet; commit this program before checking out the new branch"
            )
        return loaded.state

    def _switch(self, name: str, head: ContextMap | None) -> None:
        if name != self.branch_name:
            self.branch_name = name
            self._head = head

    def branches_list(self, it: Interpreter | None = None) -> list[dict[str, Any]]:
        txn = getattr(it, "txn", None)
        index = txn.index if txn is not None and txn.index is not None else self._guard(self._load_index)
        entries = index.branches if index is not None else {"main": {"base": None, "at": 0}}
        current = index.current if index is not None else "main"
        out = []
        for name, info in entries.items():
            pending = txn.find(branch_id(name)) if txn is not None else None
            if pending is not None:
                version = pending.scint_version if pending.version > 0 else 0
            else:
                last = next(iter(self.app.events.get(branch_id(name), desc=True, limit=1)), None)
                version = (info["at"] + last.originator_version - 1) if last is not None else info["at"]
            out.append(
                {"name": name, "base": info["base"], "at": info["at"], "version": version, "current": name == current}
            )
        return out

    def diff_dict(self, a: Any, b: Any, it: Interpreter | None = None) -> dict[str, Any]:
        return self._diff(a, b, it).as_dict()

    def at_dict(self, version: int, path: str | None, it: Interpreter | None = None) -> dict[str, Any]:
        view = self._view_of(it.head.branch if it is not None else self.branch_name, _int(version, "version"), it)
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

    # -- history: the Python API ------------------------------------------------------------------------------

    def branch(self, name: str, at: int | None = None) -> str:
        """Create branch `name` from this branch at version `at` (default: the head), without switching to it.
        Costs the same whatever the history's length: nothing is copied."""
        at_text = "null" if at is None else str(_int(at, "at"))
        self.run(f"history.branch(name={quote(check_branch_name(name))}, at={at_text})")
        return name

    def checkout(self, name: str) -> None:
        """Switch this session, and the store's current branch, to branch `name`."""
        self.run(f"history.checkout(name={quote(check_branch_name(name))})")

    def branches(self) -> list[dict[str, Any]]:
        """Every branch: name, base branch, fork version, head version, and whether it is the current one."""
        self._check_open()
        return self.branches_list()

    def diff(self, a: Any, b: Any) -> Diff:
        """What changed from `a` to `b`: each a branch name ("what-if"), a version of this branch (12) or
        "branch@version"."""
        self._check_open()
        return self._diff(a, b, None)

    def _diff(self, a: Any, b: Any, it: Interpreter | None) -> Diff:
        here = it.head.branch if it is not None else self.branch_name
        views = []
        for ref in (a, b):
            name, version = _parse_ref(ref)
            views.append(self._view_of(name or here, version, it))
        d = diff_views(views[0], views[1])
        return Diff(a=f"{views[0].branch}@{views[0].version}", b=f"{views[1].branch}@{views[1].version}", **d)

    def _view_of(self, name: str, version: int | None, it: Interpreter | None = None) -> ContextMapView:
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
            if version == 0:
                return ContextMapView.of(MapState(), path=None, version=0, branch=name)
            old = self._guard(lambda: load_map(self.app, name, version))
            if old is None or old.scint_version != version:
                raise HistoryError(f"version {version} of {name} is not recorded yet")
            return ContextMapView.of(old.state, path=None, version=version, branch=name)
        if name == self.branch_name and it is None:
            return self.view(at=version)
        index = self._guard(self._load_index)
        if name != "main" and (index is None or name not in index.branches):
            txn = getattr(it, "txn", None)
            pending = txn.find(branch_id(name)) if txn is not None else None
            if pending is None:
                raise HistoryError(f"there is no branch `{name}`")
        other = Session(self.url, branch=name, limits=self.limits, _app=self.app) if name != "main" else None
        if other is None:
            other = Session.__new__(Session)
            other.__dict__.update(self.__dict__)
            other._head, other.branch_name = None, "main"
        return other.view(at=version)

    def replay(self, to: int | None = None, progress: Callable[[int], None] | None = None) -> ContextMapView:
        """The state at version `to` (default: the head) rebuilt from the events alone: no snapshot, no parsing,
        no model call. Equal to `view(at=to)`. `progress` is called with the number of events applied so far."""
        self._check_open()
        current = self.version
        to = current if to is None else _int(to, "to")
        if not 0 <= to <= current:
            raise HistoryError(f"cannot replay to version {to}: {self.branch_name} is at version {current}")
        state = self._guard(lambda: self._replay_state(to, progress))
        if progress is not None:
            progress(to)
        return ContextMapView.of(state, path=None, version=to, branch=self.branch_name)

    def _replay_state(self, to: int, progress: Callable[[int], None] | None = None) -> MapState:
        state = MapState()
        apply = state.apply
        for n, (_, e) in enumerate(fast_lineage(self.app, self.branch_name, to), 1):
            state.time = e["timestamp"]
            apply(e["path"], e["action"], e["args"], e["meta"].get("tv", 1), True)  # decoded just now: no copy
            if progress is not None and n % 5_000 == 0:
                progress(n)
        return state

    def rerun(self, since: int, branch: str | None = None) -> RerunReport:
        """Re-execute the programs recorded after version `since` on a new branch forked at `since`, with the
        current code (unlike replay, which re-applies recorded events). LLM-driven steps call the model again:
        a program written by `ask` is asked again from its request text, and a process run is run again (the
        programs its model wrote are not re-executed verbatim). Programs that now fail are reported."""
        self._check_open()
        since = _int(since, "since")
        entries = [e for e in self.log() if e.version > since]
        entries.reverse()
        if entries and entries[0].version - entries[0].events < since:
            first = entries[0]
            raise HistoryError(
                f"version {since} falls inside program {first.program_id} (versions "
                f"{first.version - first.events + 1}-{first.version}); rerun from {first.version - first.events} "
                f"or {first.version}"
            )
        name = branch or f"rerun-{since}-{uuid.uuid4().hex[:6]}"
        self.branch(name, at=since)
        other = Session(self.url, branch=name, limits=self.limits, _app=self.app)
        if getattr(self, "_llm", None) is not None:
            other.llm = self._llm
        failures = []
        rerun_processes: list[str] = []  # process runs redone: their model's programs are not re-executed
        count = 0
        for entry in entries:
            request = entry.request if isinstance(entry.request, dict) else {}
            actor = entry.actor
            if actor.startswith("process:"):  # written during a run being redone (a child's run included)
                owner = actor[len("process:") :]
                if any(owner == p or owner.startswith(p + ".") for p in rerun_processes):
                    continue
            count += 1
            try:
                if "run" in request and actor.startswith("process:"):  # a process run starts: run it again
                    run, steps, by = request["run"], request.get("max_steps", 10), request.get("by") or "human"
                    if not isinstance(run, str) or not _PATH_RE.fullmatch(run) or type(steps) is not int:
                        raise HistoryError(f"the recorded process run {request!r} is damaged; it cannot be run again")
                    rerun_processes.append(run)
                    other.run(f"{run}.run(max_steps={steps})", actor=by if isinstance(by, str) else "human")
                elif actor.startswith("llm:") and isinstance(request.get("text"), str):  # written by ask
                    other.ask(request["text"])
                else:
                    other.run(entry.source, actor=actor, request=entry.request, params=entry.params)
            except ScintError as exc:
                failures.append((entry.program_id, entry.version, str(exc)))
        return RerunReport(branch=name, since=since, programs=count, failures=tuple(failures))

    def export(self, path: str | os.PathLike[str], progress: Callable[[int], None] | None = None) -> int:
        """Write this branch's whole history (inherited prefix included) as JSON Lines with a checksummed
        trailer; returns the number of events. The file appears complete or not at all."""
        self._check_open()
        target = _path(path)
        tmp = target.with_name(target.name + ".partial")
        version = self.version
        count = 0
        events = self._guard(lambda: lineage_events(self.app, self.branch_name, version))
        try:
            with tmp.open("w", encoding="utf-8") as fh:
                for line in export_lines(self.branch_name, version, events):
                    fh.write(line + "\n")
                    count += 1
                    if progress is not None and count % 1000 == 0:
                        progress(count)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise HistoryError(f"cannot write {target}: {exc}") from None
        return max(count - 2, 0)

    # -- reading ---------------------------------------------------------------------------------------------

    def view(self, path: str | None = None, at: int | None = None) -> ContextMapView:
        """A read-only view of the contexts under `path` as of version `at` (default: the head)."""
        self._check_open()
        if path is not None and not isinstance(path, str):
            raise BadArguments(f"path must be a context path such as 'notes', not {path!r:.80}")
        if at is None:
            head = self._guard(self._current)
            if head is None:  # nothing recorded yet: an empty map, where no path exists
                return ContextMapView.of(MapState(), path=path, version=0, branch=self.branch_name)
            return ContextMapView.of(head.state, path=path, version=head.scint_version, branch=self.branch_name)
        at = _int(at, "at")
        current = self.version
        if not 0 <= at <= current:
            raise HistoryError(f"version {at} does not exist: {self.branch_name} is at version {current}")
        if at == current:
            return self.view(path)
        if at == 0:
            return ContextMapView.of(MapState(), path=path, version=0, branch=self.branch_name)
        head = self._guard(lambda: load_map(self.app, self.branch_name, at))
        return ContextMapView.of(head.state, path=path, version=at, branch=self.branch_name)

    def log(self, limit: int | None = None) -> list[LogEntry]:
        """The programs that changed state, newest first (at most `limit`), along the branch's whole history."""
        self._check_open()
        if limit is not None:
            limit = _int(limit, "limit")
            if limit < 0:
                raise HistoryError("limit must be zero or more")
        return list(self._iter_log(limit))

    def log_entries(self, limit: int | None) -> list[dict[str, Any]]:
        if limit is not None and limit < 0:
            raise HistoryError("limit must be zero or more")
        return [e.as_dict() for e in self._iter_log(limit)]

    def _iter_log(self, limit: int | None) -> Iterator[LogEntry]:
        if limit == 0:
            return
        count = 0
        group: list[tuple[int, Any]] = []
        for version, event in self._events_newest_first(self.branch_name, None):
            if group and event.meta.get("program") != group[0][1].meta.get("program"):
                yield self._entry(group)
                count += 1
                if limit is not None and count >= limit:
                    return
                group = []
            group.append((version, event))
        if group:
            yield self._entry(group)

    def _events_newest_first(self, name: str, upto: int | None) -> Iterator[tuple[int, Any]]:
        agg_id = branch_id(name)
        started = self._guard(lambda: next(iter(self.app.events.get(agg_id, lte=1)), None))
        if started is None:
            return
        base = started.base_version
        top = None if upto is None else upto - base + 1
        page = 256
        while top is None or top >= 2:
            events = self._guard(lambda top=top: list(self.app.events.get(agg_id, lte=top, desc=True, limit=page)))
            for event in events:
                if event.originator_version > 1:
                    yield base + event.originator_version - 1, event
            if len(events) < page or events[-1].originator_version <= 2:
                break
            top = events[-1].originator_version - 1
        if started.base_branch is not None:
            yield from self._events_newest_first(started.base_branch, base if upto is None else min(upto, base))

    def _entry(self, group: list[tuple[int, Any]]) -> LogEntry:
        version, newest = group[0]
        first = group[-1][1]
        meta = first.meta
        return LogEntry(
            version=version,
            actor=meta.get("actor", ""),
            source=meta.get("text") or "\n".join(e.meta.get("source", "") for _, e in reversed(group)),
            time=newest.timestamp,
            program_id=meta.get("program", ""),
            events=len(group),
            request=meta.get("request"),
            params=meta.get("params"),
        )

    def language(self) -> dict[str, Any]:
        """What programs may call: {"functions": {name: Spec}, "history": {name: Spec}, "types": {type name:
        {action: Spec}}} (the built-ins, the history context, and every registered type's public actions).
        Completion in the REPL and other tools read this."""
        from scint.contexts.registry import registered

        return {
            "functions": dict(self._builtins.functions),
            "history": dict(self._builtins.history),
            "types": {
                name: {a: spec for a, spec in cls.__scint_specs__.items() if spec.public}
                for name, cls in registered().items()
            },
        }

    # -- plumbing ---------------------------------------------------------------------------------------------

    def _guard(self, fn: Any) -> Any:
        try:
            return fn()
        except ScintError:
            raise
        except PersistenceError as exc:
            raise StoreError(f"the store failed: {exc}") from exc

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("this session is closed")

    def close(self) -> None:
        """Close the store connection (idempotent)."""
        if not self._closed:
            self._closed = True
            if self._owns_app:
                self.app.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<scint.Session {self.url} branch={self.branch_name}>"

    # -- LLM: ask, tool calls, process runs (scint/llm does the work) -----------------------------------------

    @property
    def llm(self) -> Any:
        """The session's model provider (a `scint.llm.Provider`): by default an OpenAIProvider configured from
        OPENAI_API_KEY, OPENAI_BASE_URL, SCINT_MODEL and SCINT_LLM_API, made on first use."""
        provider = getattr(self, "_llm", None)
        if provider is None:
            from scint.llm.openai_provider import OpenAIProvider

            provider = self._llm = OpenAIProvider.from_env()
        return provider

    @llm.setter
    def llm(self, provider: Any) -> None:
        self._llm = provider

    def ask(self, text: str, *, provider: Any = None, dry_run: bool = False, max_retries: int = 3) -> Any:
        """Ask the model to turn `text` into one program and run it; -> AskResult(.program, .result). Errors go
        back to the model (at most `max_retries` times), then LLMError; a failed attempt changes nothing."""
        from scint.llm.ask import ask

        self._check_open()
        return ask(self, text, provider or self.llm, dry_run=dry_run, max_retries=max_retries)

    async def aask(self, text: str, *, provider: Any = None, dry_run: bool = False, max_retries: int = 3) -> Any:
        """`ask` for asyncio: the model call does not block the event loop."""
        from scint.llm.ask import aask

        self._check_open()
        return await aask(self, text, provider or self.llm, dry_run=dry_run, max_retries=max_retries)

    def up(self, path: str | Path = "scint.toml", plan: bool = False) -> Any:
        """Make this branch match a `scint.toml` (SPEC section 9) in one atomic program, or with `plan=True` only
        say what would change. Returns an UpReport (`.changes`, `.up_to_date`, `.result`); str() reads well."""
        self._check_open()
        from scint.agents.up import up  # the agents room sits above the session: imported when used

        return up(self, path, plan=plan)

    def handle(self, tool_call: Any, *, actor: str | None = None) -> str:
        """Run a model's `scint` tool call (Chat or Responses, function or custom) and return the tool output:
        the results, or the error for the model to fix."""
        from scint.llm.tools import handle

        self._check_open()
        return handle(self, tool_call, actor=actor)

    def _run_process(
        self, program: Program, actor: str, *, scope: str | None, self_path: str | None, dry_run: bool
    ) -> Result | None:
        head = self._guard(self._current)
        if head is None:
            return None
        found = _llm_process.find_run(head.state, program, actor=actor, scope=scope, self_path=self_path)
        if found is None:
            return None
        answer = None if dry_run else _llm_process.run_process(self, found[0], found[1], actor=actor)
        stmt = program.statements[0]
        return Result(
            value=answer,
            values=(answer,),
            version=self.version,
            events=(),
            program_id=uuid.uuid4().hex[:16],
            branch=self.branch_name,
            bindings={stmt.name: copy_value(answer)} if type(stmt) is Assign else {},
        )


def _open_app(env: dict[str, str], url: str) -> ScintApp:
    """The Application on a store. Several processes opening a new store at once may race on creating its tables
    (PostgreSQL answers "tuple concurrently updated"); such a race is retried, anything else is reported."""
    for attempt in range(6):
        try:
            return ScintApp(env=env)
        except ScintError:
            raise
        except Exception as exc:
            text = str(exc).lower()
            if attempt < 5 and ("concurrently" in text or "deadlock" in text or "already exists" in text):
                time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
                continue
            raise StoreError(f"cannot open the store {url}: {exc}") from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _storable(value: Any) -> bool:
    """Whether a value given beside a program (its actor, its request) can be recorded: JSON-like data whose text
    is valid Unicode (no lone surrogate)."""
    if type(value) is str:  # the common case (an actor): valid text exactly when it encodes
        try:
            value.encode()
        except UnicodeEncodeError:
            return False
        return True
    if not is_json(value):
        return False
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except (UnicodeEncodeError, ValueError):
        return False
    return True


def _path(value: Any) -> Path:
    if not isinstance(value, (str, os.PathLike)):
        raise HistoryError(f"a file path is a string or a pathlib.Path, not {type(value).__name__}")
    return Path(value)


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise HistoryError(f"`{name}` must be a whole number, not {value!r}")
    return value


class _Txn:
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


def open(url: str | None = None, *, branch: str | None = None, limits: Limits | None = None) -> Session:
    """Open a Scint store: `lmdb:///dir` (the default, `./.scint`), `sqlite:///file.db`, `memory://` or
    `postgresql://user@host:5432/db`; on its current branch, or on `branch`."""
    return Session(url, branch=branch, limits=limits)


def load(
    path: str | os.PathLike[str],
    into: str = "memory://",
    *,
    branch: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Session:
    """Import a history written by `Session.export` into the store at `into` and return a session on it.

    The whole file is checked (format, order, count, checksum) and replayed in memory before anything is
    written; the import is one store transaction, so a bad file changes nothing. `progress` is called with
    (events replayed, events in the file)."""
    try:
        with _path(path).open("rb") as fh:
            header, events = read_export(fh)
    except OSError as exc:
        raise HistoryError(f"cannot read {path}: {exc}") from None
    name = check_branch_name(branch or header.get("branch") or "main")
    session = Session(into)
    try:
        if session._guard(lambda: load_map(session.app, name)) is not None:
            raise HistoryError(
                f"{session.url} already has a branch `{name}`; import into an empty store or pass branch="
            )
        head = ContextMap.start(name)
        for n, doc in enumerate(events, 1):
            if progress is not None and n % 5_000 == 0:
                progress(n, len(events))
            try:
                check_imported(head.state, doc)
            except HistoryError as exc:
                raise HistoryError(f"event {n} of {path}: {exc}; the file is damaged or edited") from None
            head.trigger_event(
                ContextMap.Applied,
                path=doc["path"],
                action=doc["action"],
                args=doc["args"],
                meta=doc["meta"],
                timestamp=doc["time"],
            )
        pending = head.collect_events()
        extra: list[Any] = []
        if name != "main":
            index = session._index_for_update()
            index.add(name, None, 0) if name not in index.branches else None
            index.switch(name)
            extra = index.collect_events()
        session._guard(lambda: session.app.events.put([*extra, *pending]))
    except ScintError as exc:
        session.close()
        if isinstance(exc, HistoryError):
            raise
        raise HistoryError(f"the export does not replay: {exc}") from exc
    except IntegrityError:
        session.close()
        raise HistoryError(f"{into} changed while importing; nothing was imported") from None
    except Exception as exc:  # the file is the input: whatever it holds, the caller gets a ScintError
        session.close()
        raise HistoryError(f"the export does not replay: {type(exc).__name__}: {exc}") from exc
    session.branch_name = name
    session._head = head
    session._maybe_snapshot(head)
    if progress is not None:
        progress(len(events), len(events))
    return session
