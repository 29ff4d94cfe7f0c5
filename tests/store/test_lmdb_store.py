"""scint.store.lmdb beyond the conformance suites: settings, growth, sharing, fork, processes, crashes."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import (
    ApplicationRecorder,
    DataError,
    InfrastructureFactory,
    IntegrityError,
    InterfaceError,
    StoredEvent,
    Tracking,
)
from eventsourcing.utils import Environment

from scint.errors import StoreError
from scint.store import _env
from scint.store.lmdb import LMDBApplicationRecorder, LMDBFactory

# -- helpers ------------------------------------------------------------------------------------------------------


def make_factory(path: Path | str, **settings: str) -> LMDBFactory:
    env = {"PERSISTENCE_MODULE": "scint.store.lmdb", "LMDB_PATH": str(path), **settings}
    factory = InfrastructureFactory.construct(env)
    assert isinstance(factory, LMDBFactory)
    return factory


def app_recorder(factory: LMDBFactory) -> LMDBApplicationRecorder:
    recorder = factory.application_recorder()
    assert isinstance(recorder, LMDBApplicationRecorder)
    return recorder


def ev(originator_id: UUID | str, version: int, state: bytes = b"{}", topic: str = "t") -> StoredEvent:
    return StoredEvent(originator_id=originator_id, originator_version=version, topic=topic, state=state)


@pytest.fixture
def factory(tmp_path: Path) -> Any:
    f = make_factory(tmp_path / "store")
    yield f
    f.close()


# -- settings -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["sometimes", "sync", "0", "durable!"])
def test_lmdb_sync_is_validated(tmp_path: Path, value: str) -> None:
    with pytest.raises(StoreError, match=r"LMDB_SYNC must be 'durable'.*or 'fast'"):
        make_factory(tmp_path, LMDB_SYNC=value)


@pytest.mark.parametrize(("value", "sync"), [("durable", True), ("FAST", False)])
def test_lmdb_sync_sets_flags(tmp_path: Path, value: str, sync: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Durable: the commit syncs the data pages (sync=True) and the meta page is synced after the writer lock
    is let go, before the write returns (metasync=False + Store.sync). Fast: neither."""
    f = make_factory(tmp_path, LMDB_SYNC=value)
    try:
        store = f._lease.store
        flags = store.env.flags()
        assert (flags["sync"], flags["metasync"]) == (sync, False)
        recorder = app_recorder(f)  # a new store: marks its key layout (a commit of its own)
        synced: list[int] = []
        real = store.env.sync
        monkeypatch.setattr(
            store, "env", _Spy(store.env, lambda force: synced.append(store.last_txnid()) or real(force))
        )
        recorder.insert_events([ev(uuid4(), 1)])
        assert synced == ([store.last_txnid()] if sync else [])  # after the commit, before insert_events returned
    finally:
        f.close()


class _Spy:
    """An environment whose `sync` is replaced (lmdb.Environment's attributes are read-only)."""

    def __init__(self, env: Any, sync: Any) -> None:
        self._env = env
        self.sync = sync

    def __getattr__(self, name: str) -> Any:
        return getattr(self._env, name)


def test_durable_is_the_default(factory: LMDBFactory) -> None:
    assert factory.settings.sync == "durable"
    assert factory._lease.store.env.flags()["sync"] is True


@pytest.mark.parametrize(
    ("text", "size"), [("1048576", 1 << 20), ("64M", 64 << 20), ("1GiB", 1 << 30), ("2t", 2 << 40), ("8kb", 8192)]
)
def test_map_size_parsing(text: str, size: int) -> None:
    assert _env.parse_size(text) == size


@pytest.mark.parametrize("text", ["big", "-1", "0", "1.5G", "G"])
def test_bad_map_size(tmp_path: Path, text: str) -> None:
    with pytest.raises(StoreError, match="LMDB_MAP_SIZE must be a positive number"):
        make_factory(tmp_path, LMDB_MAP_SIZE=text)


def test_app_prefixed_settings_and_missing_directory(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c"
    env = Environment("MyApp", {"PERSISTENCE_MODULE": "scint.store.lmdb", "MYAPP_LMDB_PATH": str(target)})
    f = InfrastructureFactory.construct(env)
    try:
        assert f.settings.path == str(target)
        assert (target / "data.mdb").exists()
    finally:
        f.close()


def test_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="cannot open the LMDB store"):
        make_factory(blocker / "store")


def test_string_and_uuid_ids_round_trip(factory: LMDBFactory) -> None:
    recorder = app_recorder(factory)
    recorder.insert_events([ev("notes/main", 1), ev(uuid5(NAMESPACE_URL, "x"), 1)])
    assert recorder.select_events("notes/main")[0].originator_id == "notes/main"
    ids = [n.originator_id for n in recorder.select_notifications(None, 10)]
    assert ids == ["notes/main", uuid5(NAMESPACE_URL, "x")]
    assert isinstance(ids[1], UUID)


def test_select_events_ranges(factory: LMDBFactory) -> None:
    recorder = app_recorder(factory)
    a, b = "a", "aa"  # one id is a prefix of the other: sequences must stay apart
    recorder.insert_events([ev(a, v) for v in range(1, 11)] + [ev(b, v) for v in range(1, 4)])
    versions = lambda **kw: [e.originator_version for e in recorder.select_events(a, **kw)]  # noqa: E731
    assert versions() == list(range(1, 11))
    assert versions(gt=3, lte=6) == [4, 5, 6]
    assert versions(desc=True, limit=3) == [10, 9, 8]
    assert versions(desc=True, lte=5, gt=2) == [5, 4, 3]
    assert versions(lte=0) == [] and versions(gt=10) == [] and versions(limit=0) == []
    assert [e.originator_version for e in recorder.select_events(b, desc=True)] == [3, 2, 1]


def test_integrity_error_leaves_nothing_behind(factory: LMDBFactory) -> None:
    recorder = app_recorder(factory)
    recorder.insert_events([ev("x", 1)])
    with pytest.raises(IntegrityError, match="event version 1 of 'x' is already recorded"):
        recorder.insert_events([ev("y", 1), ev("x", 1)])
    with pytest.raises(IntegrityError, match="holds event version 1 of 'z' more than once"):
        recorder.insert_events([ev("z", 1), ev("z", 1)])  # duplicate inside one batch
    assert recorder.select_events("y") == [] and recorder.select_events("z") == []
    assert recorder.max_notification_id() == 1
    assert recorder.insert_events([ev("y", 1)]) == [2]
    with pytest.raises(DataError, match="outside 0"):
        recorder.insert_events([ev("neg", -1)])
    with pytest.raises(DataError, match="at most 400"):
        recorder.insert_events([ev("n" * 500, 1)])


def test_process_recorder_tracking_conflict_is_atomic(factory: LMDBFactory) -> None:
    recorder = factory.process_recorder()
    recorder.insert_events([ev("p", 1)], tracking=Tracking("up", 5))
    with pytest.raises(IntegrityError):
        recorder.insert_events([ev("p", 2)], tracking=Tracking("up", 5))
    assert [e.originator_version for e in recorder.select_events("p")] == [1]
    assert recorder.max_tracking_id("up") == 5


# -- map size: grow and retry -------------------------------------------------------------------------------------


def test_map_full_grows_and_retries(tmp_path: Path) -> None:
    f = make_factory(tmp_path, LMDB_MAP_SIZE="64K", LMDB_SYNC="fast")
    try:
        recorder = app_recorder(f)
        store = f._lease.store
        initial = store.env.info()["map_size"]
        stop = threading.Event()
        errors: list[BaseException] = []

        def read() -> None:  # readers keep running while the map is resized under them
            try:
                while not stop.is_set():
                    recorder.select_notifications(None, 5)
                    recorder.max_notification_id()
            except BaseException as e:
                errors.append(e)

        reader = threading.Thread(target=read)
        reader.start()
        try:
            state = b"x" * 2000
            for batch in range(40):
                recorder.insert_events([ev(f"agg-{batch}", v, state) for v in range(1, 26)])
        finally:
            stop.set()
            reader.join()
        assert errors == []
        assert store.env.info()["map_size"] > initial * 8
        assert recorder.max_notification_id() == 1000
        assert len(recorder.select_events("agg-39")) == 25
    finally:
        f.close()


# -- one environment per path per process -------------------------------------------------------------------------


def test_two_factories_share_one_environment(tmp_path: Path) -> None:
    f1 = make_factory(tmp_path)
    f2 = make_factory(str(tmp_path) + "/./")
    try:
        assert f1._lease.store is f2._lease.store
        r1, r2 = app_recorder(f1), app_recorder(f2)
        r1.insert_events([ev("s", 1)])
        assert r2.insert_events([ev("s", 2)]) == [2]
        f1.close()
        f1.close()  # idempotent
        assert [e.originator_version for e in r2.select_events("s")] == [1, 2]
        with pytest.raises(InterfaceError):
            r1.select_events("s")
    finally:
        f2.close()
    assert os.path.realpath(tmp_path) not in _env._registry
    f3 = make_factory(tmp_path)  # reopens after the last close
    try:
        assert app_recorder(f3).max_notification_id() == 2
    finally:
        f3.close()


def test_conflicting_sync_modes_in_one_process(tmp_path: Path) -> None:
    f1 = make_factory(tmp_path)
    try:
        with pytest.raises(StoreError, match="already open in this process with LMDB_SYNC='durable'"):
            make_factory(tmp_path, LMDB_SYNC="fast")
    finally:
        f1.close()


def test_applications_in_one_store_are_kept_apart(tmp_path: Path) -> None:
    fa = InfrastructureFactory.construct(
        Environment("A", {"PERSISTENCE_MODULE": "scint.store.lmdb", "LMDB_PATH": str(tmp_path)})
    )
    fb = InfrastructureFactory.construct(
        Environment("B", {"PERSISTENCE_MODULE": "scint.store.lmdb", "LMDB_PATH": str(tmp_path)})
    )
    try:
        fa.application_recorder().insert_events([ev("x", 1)])
        assert fb.application_recorder().max_notification_id() is None
        assert fb.application_recorder().insert_events([ev("x", 1)]) == [1]
    finally:
        fa.close()
        fb.close()


# -- an eventsourcing Application on the module ------------------------------------------------------------------


class Counter(Aggregate):
    def __init__(self) -> None:
        self.count = 0

    @event("Incremented")
    def increment(self) -> None:
        self.count += 1


def test_application_round_trip_with_snapshots(tmp_path: Path) -> None:
    env = {"PERSISTENCE_MODULE": "scint.store.lmdb", "LMDB_PATH": str(tmp_path), "IS_SNAPSHOTTING_ENABLED": "y"}
    app = Application(env=env)
    counter = Counter()
    for _ in range(5):
        counter.increment()
    app.save(counter)
    app.take_snapshot(counter.id, version=3)
    app.close()

    app = Application(env=env)
    try:
        assert app.repository.get(counter.id).count == 5
        assert app.repository.get(counter.id, version=4).count == 3
        assert app.snapshots is not None
        assert len(list(app.snapshots.get(counter.id))) == 1
        assert [n.id for n in app.recorder.select_notifications(None, 10)] == [1, 2, 3, 4, 5, 6]
    finally:
        app.close()


# -- fork, processes, crashes -------------------------------------------------------------------------------------


def _child_inserts_with_inherited_recorder(recorder: ApplicationRecorder) -> None:
    recorder.insert_events([ev("forked", 2), ev("forked", 3)])
    assert [e.originator_version for e in recorder.select_events("forked")] == [1, 2, 3]


def test_fork_child_writes_parent_reads(factory: LMDBFactory) -> None:
    recorder = app_recorder(factory)
    recorder.insert_events([ev("forked", 1)])
    parent_store = factory._lease.store
    stop = threading.Event()
    errors: list[BaseException] = []

    def read() -> None:  # parent transactions in flight while forking: fork waits for them, never tears them
        try:
            while not stop.is_set():
                recorder.select_events("forked")
        except BaseException as e:
            errors.append(e)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        child = multiprocessing.get_context("fork").Process(
            target=_child_inserts_with_inherited_recorder, args=(recorder,)
        )
        child.start()
        child.join(timeout=60)
    finally:
        stop.set()
        reader.join()
    assert child.exitcode == 0
    assert errors == []
    assert factory._lease.store is parent_store  # the parent keeps its environment
    assert [e.originator_version for e in recorder.select_events("forked")] == [1, 2, 3]
    assert recorder.insert_events([ev("forked", 4)]) == [4]


def _increment_worker(path: str, originator_id: str, increments: int, barrier: Any, map_size: str) -> None:
    f = make_factory(path, LMDB_MAP_SIZE=map_size)
    recorder = app_recorder(f)
    barrier.wait()
    done = conflicts = 0
    while done < increments:
        head = recorder.select_events(originator_id, desc=True, limit=1)
        version = head[0].originator_version + 1 if head else 1
        try:
            recorder.insert_events([ev(originator_id, version, str(os.getpid()).encode().ljust(3000))])
        except IntegrityError:
            conflicts += 1
            continue
        done += 1
    f.close()


@pytest.mark.parametrize("map_size", ["1T", "64K"])  # 64K: processes also grow the map under each other
def test_four_processes_optimistic_concurrency(tmp_path: Path, map_size: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    processes, increments = 4, 40
    barrier = ctx.Barrier(processes)
    workers = [
        ctx.Process(target=_increment_worker, args=(str(tmp_path), "shared", increments, barrier, map_size))
        for _ in range(processes)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert [w.exitcode for w in workers] == [0] * processes
    f = make_factory(tmp_path)
    try:
        recorder = app_recorder(f)
        events = recorder.select_events("shared")
        assert [e.originator_version for e in events] == list(range(1, processes * increments + 1))
        assert len({e.state for e in events}) == processes  # every process won some races
        if map_size == "64K":
            assert f._lease.store.env.info()["map_size"] > 64 * 1024
        notifications = recorder.select_notifications(None, 1000)
        assert [n.id for n in notifications] == list(range(1, processes * increments + 1))
    finally:
        f.close()


def _insert_until_killed(path: str, conn: Any) -> None:
    f = make_factory(path)
    recorder = app_recorder(f)
    version = 0
    while True:
        version += 1
        recorder.insert_events([ev("crash", version)])
        conn.send(version)  # acknowledged only after insert_events returned


def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_insert_until_killed, args=(str(tmp_path), sender))
    child.start()
    acknowledged = 0
    while acknowledged < 25:
        acknowledged = receiver.recv()
    os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
    child.join()
    f = make_factory(tmp_path)
    try:
        versions = [e.originator_version for e in app_recorder(f).select_events("crash")]
        assert versions[:acknowledged] == list(range(1, acknowledged + 1))
        assert versions == list(range(1, len(versions) + 1))
    finally:
        f.close()


def _insert_later(path: str, barrier: Any) -> None:
    barrier.wait()  # the parent's subscription is running
    f = make_factory(path)
    app_recorder(f).insert_events([ev("remote", 1, topic="hello")])
    f.close()


def test_subscription_sees_other_processes(factory: LMDBFactory) -> None:
    recorder = app_recorder(factory)
    recorder.insert_events([ev("local", 1)])
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    child = ctx.Process(target=_insert_later, args=(factory.settings.path, barrier))
    child.start()
    with recorder.subscribe(gt=None) as subscription:
        first = next(subscription)
        barrier.wait()
        second = next(subscription)  # found by the bounded poll: the insert came from another process
    child.join(timeout=60)
    assert (first.originator_id, second.originator_id, second.topic) == ("local", "remote", "hello")
    assert child.exitcode == 0


def test_subscription_wakes_on_local_insert_from_another_factory(tmp_path: Path) -> None:
    f1, f2 = make_factory(tmp_path), make_factory(tmp_path)
    try:
        r1, r2 = app_recorder(f1), app_recorder(f2)
        with r1.subscribe(gt=None, topics=["wanted"]) as subscription:
            r2.insert_events([ev(uuid4(), 1, topic="other"), ev(uuid4(), 1, topic="wanted")])
            got = next(subscription)
        assert (got.id, got.topic) == (2, "wanted")
    finally:
        f1.close()
        f2.close()


# -- the hot path's shortcuts --------------------------------------------------------------------------------------


def test_change_token_moves_with_every_commit_by_anyone(tmp_path: Path) -> None:
    one, two = make_factory(tmp_path / "s"), make_factory(tmp_path / "s")
    try:
        a, b = app_recorder(one), app_recorder(two)
        oid = uuid4()
        start = a.change_token()
        assert a.change_token() == start == b.change_token()  # reading changes nothing
        a.insert_events([ev(oid, 1)])
        after = b.change_token()
        assert after != start
        b.insert_events([ev(oid, 2)])
        before = a.change_token()
        assert before not in (start, after)
        with pytest.raises(IntegrityError):
            a.insert_events([ev(oid, 2)])  # an aborted write commits nothing
        assert a.change_token() == before
    finally:
        one.close()
        two.close()


def test_single_and_batched_inserts_agree(factory: LMDBFactory) -> None:
    recorder = app_recorder(factory)
    oid, name = uuid4(), "a-string-id"
    assert recorder.insert_events([ev(oid, 1, b"x")]) == [1]
    assert recorder.insert_events([ev(name, 1, b"y"), ev(oid, 2, b"z")]) == [2, 3]
    assert recorder.insert_events([ev(name, 2, b"w")]) == [4]
    with pytest.raises(IntegrityError, match="already recorded"):
        recorder.insert_events([ev(oid, 2, b"again")])
    notes = recorder.select_notifications(1, 10)
    assert [(n.id, n.originator_id, n.originator_version, n.state) for n in notes] == [
        (1, oid, 1, b"x"),
        (2, name, 1, b"y"),
        (3, oid, 2, b"z"),
        (4, name, 2, b"w"),
    ]
    assert type(notes[1].originator_id) is str and type(notes[0].originator_id) is UUID
