"""The Session: where the layers meet. `scint.open(url)` returns one.

A session holds one branch's ContextMap in memory and keeps it current: before each program it reads any
events other sessions or processes recorded since (usually none: one cheap read), runs the program in a
transaction, and saves all its events in one store transaction. If another writer got there first the save
fails on the aggregate version; the session rolls back, catches up, and runs the program again (bounded), so
no update is lost and no program applies twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import attrs
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, PersistenceError, Transcoder

from scint.contexts import builtin as _builtin  # noqa: F401 - registers the built-in types
from scint.contexts.types import copy_value
from scint.core.builtins import make_builtins
from scint.core.interpreter import EventRecord, Interpreter
from scint.core.map import ContextMap, ScintTranscoder, branch_id
from scint.core.view import ContextMapView
from scint.dsl import Limits, Program, parse
from scint.errors import ConflictError, HistoryError, ScintError, StoreError

__all__ = ["LogEntry", "Result", "Session", "open"]

log = logging.getLogger("scint")

MAX_ATTEMPTS = 64  # optimistic-concurrency retries of one program
SNAPSHOT_EVERY = 100  # events between snapshots, at least


class ScintApp(Application):
    """The eventsourcing Application behind a session (one per store)."""

    name = "Scint"
    is_snapshotting_enabled = True

    def construct_transcoder(self) -> Transcoder:
        return ScintTranscoder()


@attrs.frozen
class Result:
    """What `Session.run` returns: the last statement's value, every statement's value, the branch version
    after the program, and the events it recorded (empty for a read-only program)."""

    value: Any
    values: tuple[Any, ...]
    version: int
    events: tuple[EventRecord, ...]
    program_id: str
    branch: str

    def __str__(self) -> str:
        from scint.core.render import render_result

        return render_result(self)

    def _repr_html_(self) -> str:
        from scint.core.render import render_result_html

        return render_result_html(self)


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "actor": self.actor,
            "source": self.source,
            "time": self.time.isoformat(),
            "program_id": self.program_id,
        }


class Session:
    """A connection to a Scint store, on one branch."""

    def __init__(
        self,
        url: str | None = None,
        *,
        branch: str | None = None,
        limits: Limits | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        if env is None:
            from scint.store.urls import default_url, environment_for_url

            self.url = url or default_url()
            env = environment_for_url(self.url)
        else:
            self.url = url or "custom://"
        try:
            self.app = ScintApp(env=env)
        except ScintError:
            raise
        except Exception as exc:
            raise StoreError(f"cannot open the store {self.url}: {exc}") from exc
        self.limits = limits or Limits()
        self.branch_name = branch or "main"
        self._head: ContextMap | None = None
        self._snapshot_at = 0
        self._builtins = make_builtins(self)
        self._closed = False
        # An in-memory store belongs to this session alone: nobody else can have written to it.
        self._private = type(self.app.recorder).__module__ == "eventsourcing.popo"

    # -- the head ------------------------------------------------------------------------------------------

    def _load(self) -> ContextMap | None:
        try:
            head = self.app.repository.get(branch_id(self.branch_name))
        except AggregateNotFoundError:
            return None
        self._snapshot_at = head.version
        return head

    def _current(self) -> ContextMap | None:
        """The head, caught up with everything recorded since it was loaded."""
        head = self._head
        if head is None:
            head = self._head = self._load()
            return head
        if head.state.in_transaction:
            raise RuntimeError("the session is already running a program")
        if self._private:
            return head
        for event in self.app.events.get(head.id, gt=head.version):
            event.mutate(head)
        return head

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
        request: Any = None,
        scope: str | None = None,
        self_path: str | None = None,
        dry_run: bool = False,
    ) -> Result:
        """Run a program atomically and return its Result. With `dry_run`, validate and execute it but record
        nothing. `scope` limits which contexts it may change; `self_path` is what `self` names in it."""
        self._check_open()
        program = text if isinstance(text, Program) else parse(text, limits=self.limits)
        program_id = uuid.uuid4().hex[:16]
        for attempt in range(MAX_ATTEMPTS):
            head = self._guard(self._current)
            if head is None:
                head = ContextMap.start(self.branch_name)
                fresh = True
            else:
                fresh = False
            mark = (head._version, head._modified_on, len(head._pending_events))
            state = head.state
            state.begin()
            it = Interpreter(
                head,
                self._builtins,
                actor=actor,
                program_id=program_id,
                request=request,
                scope=scope,
                self_path=self_path,
            )
            try:
                values = it.run(program)
                if dry_run or not it.events:
                    raise _Discard
                # The pending events of this one aggregate, in one recorder transaction (what app.save does,
                # without its generic protocol checks and hooks; snapshots are taken below).
                self.app.events.put(head.collect_events())
            except _Discard:
                self._undo(head, mark)
                return self._result(values, head, it, program_id)
            except IntegrityError:
                self._undo(head, mark)
                if fresh:
                    self._head = None
                log.info("program %s: the head moved on; retrying (attempt %d)", program_id, attempt + 2)
                continue
            except ScintError:
                self._undo(head, mark)
                raise
            except PersistenceError as exc:
                self._undo(head, mark)
                raise StoreError(f"the store could not record the program: {exc}") from exc
            except Exception as exc:
                self._undo(head, mark)
                log.exception("program %s failed unexpectedly", program_id)
                raise ScintError(f"internal error while running the program: {type(exc).__name__}: {exc}") from exc
            state.commit()
            self._head = head
            log.info("program %s by %s: %d events, version %d", program_id, actor, len(it.events), head.scint_version)
            self._maybe_snapshot(head)
            return self._result(values, head, it, program_id)
        raise ConflictError(f"gave up after {MAX_ATTEMPTS} attempts: other writers kept changing the branch")

    def _undo(self, head: ContextMap, mark: tuple[int, Any, int]) -> None:
        head.state.rollback()
        head._version, head._modified_on = mark[0], mark[1]
        del head._pending_events[mark[2] :]

    def _result(self, values: list[Any], head: ContextMap, it: Interpreter, program_id: str) -> Result:
        vals = tuple(copy_value(v) for v in values)
        version = head.scint_version if head.version > 0 else 0
        return Result(
            value=vals[-1] if vals else None,
            values=vals,
            version=version,
            events=tuple(it.events),
            program_id=program_id,
            branch=self.branch_name,
        )

    def _maybe_snapshot(self, head: ContextMap) -> None:
        if head.version - self._snapshot_at < SNAPSHOT_EVERY:
            return
        try:
            snapshot = ContextMap.Snapshot.take(head)
            self.app.snapshots.put([snapshot])  # type: ignore[union-attr]
            self._snapshot_at = head.version
        except Exception:  # a snapshot is an optimisation: failing to take one loses nothing
            log.exception("could not take a snapshot at version %d", head.version)

    # -- reading ---------------------------------------------------------------------------------------------

    def view(self, path: str | None = None, at: int | None = None) -> ContextMapView:
        """A read-only view of the contexts under `path` as of version `at` (default: the head)."""
        self._check_open()
        if at is None:
            head = self._guard(self._current)
            if head is None:
                return ContextMapView({}, path=path, version=0, branch=self.branch_name)
            return ContextMapView.of(head.state, path=path, version=head.scint_version, branch=self.branch_name)
        head = self._at(at)
        return ContextMapView.of(head.state, path=path, version=at, branch=self.branch_name)

    def _at(self, version: int) -> ContextMap:
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise HistoryError(f"a version is a whole number from 0, not {version!r}")
        current = self.version
        if version > current:
            raise HistoryError(f"version {version} does not exist yet; {self.branch_name} is at version {current}")
        if version == 0:
            return ContextMap.start(self.branch_name)
        return self._guard(lambda: self.app.repository.get(branch_id(self.branch_name), version=version + 1))

    def log(self, limit: int | None = None) -> list[LogEntry]:
        """The programs that changed state, newest first (at most `limit`)."""
        self._check_open()
        return list(self._iter_log(limit))

    def log_entries(self, limit: int | None) -> list[dict[str, Any]]:
        if limit is not None and limit < 0:
            raise HistoryError("limit must be zero or more")
        return [e.as_dict() for e in self._iter_log(limit)]

    def _iter_log(self, limit: int | None) -> Iterator[LogEntry]:
        if limit == 0:
            return
        head = self._guard(self._current)
        if head is None:
            return
        count = 0
        group: list[ContextMap.Applied] = []
        top = head.version
        page = 256
        while top > 1:
            events = self._guard(
                lambda top=top: list(self.app.events.get(head.id, lte=top, gt=max(top - page, 1), desc=True))
            )
            for event in events:
                if group and event.meta.get("program") != group[0].meta.get("program"):
                    yield self._entry(head, group)
                    count += 1
                    if limit is not None and count >= limit:
                        return
                    group = []
                group.append(event)
            top -= page
        if group:
            yield self._entry(head, group)

    def _entry(self, head: ContextMap, group: list[ContextMap.Applied]) -> LogEntry:
        newest, first = group[0], group[-1]
        meta = first.meta
        return LogEntry(
            version=head.base_version + newest.originator_version - 1,
            actor=meta.get("actor", ""),
            source=meta.get("text") or "\n".join(e.meta.get("source", "") for e in reversed(group)),
            time=newest.timestamp,
            program_id=meta.get("program", ""),
            events=len(group),
            request=meta.get("request"),
        )

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
            self.app.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<scint.Session {self.url} branch={self.branch_name}>"


class _Discard(Exception):
    """Internal: the program ran, but nothing is to be recorded (dry run or read-only)."""


def open(url: str | None = None, *, branch: str | None = None, limits: Limits | None = None) -> Session:
    """Open a Scint store: `lmdb:///dir` (the default, `./.scint`), `sqlite:///file.db`, `memory://` or
    `postgresql://user@host:5432/db`."""
    return Session(url, branch=branch, limits=limits)
