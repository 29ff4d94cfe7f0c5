"""Group commit in the LMDB store (scint/store/_group.py): bodies queued together share one write transaction,
each is rolled back alone if it fails, a body submitted after a failed one fails too, and every caller is
answered only once its batch is durable."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import DataError, IntegrityError

from scint.store import _env
from scint.store.lmdb import LMDBApplicationRecorder
from tests.store.test_lmdb_store import app_recorder, ev, make_factory


@pytest.fixture
def store(tmp_path: Path) -> Any:
    settings = _env.Settings(path=str(tmp_path / "store"))
    s = _env.acquire(settings)
    yield s
    _env.release(s)


def _put(key: bytes, fail: BaseException | None = None) -> Any:
    def body(txn: Any) -> bytes:
        txn.put(key, b"v")
        if fail is not None:
            raise fail
        return key

    return body


def _stored(store: Any, keys: list[bytes]) -> list[bytes]:
    return store.read(lambda txn: [k for k in keys if txn.get(k) is not None])


def test_bodies_queued_together_share_one_transaction(store: Any) -> None:
    before = store.last_txnid()
    tickets = [store.submit(_put(f"k{i}".encode())) for i in range(5)]
    assert store.wait(tickets[-1]) == b"k4"  # the last waiter leads the batch holding all five
    assert all(t.done for t in tickets)
    assert [store.wait(t) for t in tickets] == [f"k{i}".encode() for i in range(5)]
    assert {t.txnid for t in tickets} == {before + 1}
    assert store.last_txnid() == before + 1  # one commit: one pair of barriers for five writes


def test_a_failing_body_is_rolled_back_alone(store: Any) -> None:
    keys = [f"k{i}".encode() for i in range(4)]
    tickets = [store.submit(_put(k, ValueError("boom") if k == b"k2" else None)) for k in keys]
    store.wait(tickets[0])
    with pytest.raises(ValueError, match="boom"):
        store.wait(tickets[2])
    assert [store.wait(t) for t in (tickets[0], tickets[1], tickets[3])] == [b"k0", b"k1", b"k3"]
    assert _stored(store, keys) == [b"k0", b"k1", b"k3"]  # k2's put was rolled back with its body


def test_a_body_after_a_failed_one_fails_without_running(store: Any) -> None:
    first = store.submit(_put(b"a", ValueError("boom")))
    dependent = store.submit(_put(b"b"), after=first)
    other = store.submit(_put(b"c"))
    later = store.submit(_put(b"d"), after=dependent)  # transitively
    store.wait(other)
    with pytest.raises(IntegrityError, match="not recorded"):
        store.wait(dependent)
    with pytest.raises(IntegrityError):
        store.wait(later)
    assert _stored(store, [b"a", b"b", b"c", b"d"]) == [b"c"]
    # after a recorded one, and in a later batch: it runs
    assert store.wait(store.submit(_put(b"e"), after=other)) == b"e"


def test_a_batch_in_which_every_body_fails_commits_nothing(store: Any) -> None:
    before = store.last_txnid()
    t = store.submit(_put(b"x", ValueError("only")))
    with pytest.raises(ValueError):
        store.wait(t)
    assert store.last_txnid() == before and _stored(store, [b"x"]) == []


def test_an_lmdb_error_in_one_body_fails_only_that_body(store: Any) -> None:
    too_long = b"k" * 600  # over LMDB's key limit: BadValsizeError inside the body
    tickets = [store.submit(_put(b"ok1")), store.submit(_put(too_long)), store.submit(_put(b"ok2"))]
    store.wait(tickets[0])
    with pytest.raises(DataError):
        store.wait(tickets[1])
    assert store.wait(tickets[2]) == b"ok2"
    assert _stored(store, [b"ok1", b"ok2"]) == [b"ok1", b"ok2"]


def test_a_full_map_grows_and_the_whole_batch_is_retried(tmp_path: Path) -> None:
    settings = _env.Settings(path=str(tmp_path / "small"), map_size=1 << 20)
    store = _env.acquire(settings)
    try:
        keys = [f"k{i}".encode() for i in range(40)]
        tickets = [store.submit(lambda txn, k=k: txn.put(k, b"x" * 60_000)) for k in keys]
        for t in tickets:
            store.wait(t)
        assert _stored(store, keys) == keys
        assert store.env.info()["map_size"] > 1 << 20
    finally:
        _env.release(store)


def test_duplicate_events_in_one_batch_fail_the_second_writer_only(tmp_path: Path) -> None:
    factory = make_factory(tmp_path / "store")
    try:
        a, b = app_recorder(factory), app_recorder(factory)
        agg = uuid4()
        pa = a.submit_events([ev(agg, 1, b'{"by":"a"}')])
        pb = b.submit_events([ev(agg, 1, b'{"by":"b"}')])
        pc = b.submit_events([ev(uuid4(), 1)])
        ids_a, txn_a = a.settle(pa)
        with pytest.raises(IntegrityError, match="already recorded"):
            b.settle(pb)
        ids_c, txn_c = b.settle(pc)
        assert txn_a == txn_c and ids_c == [ids_a[0] + 1]  # one batch, contiguous notification ids
        assert [e.state for e in a.select_events(agg)] == [b'{"by":"a"}']
        assert [n.id for n in a.select_notifications(1, 10)] == [1, 2]
    finally:
        factory.close()


def test_many_threads_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    factory = make_factory(tmp_path / "store")
    threads, per_thread = 8, 60
    errors: list[BaseException] = []
    txnids: list[int] = []
    try:
        recorder: LMDBApplicationRecorder = app_recorder(factory)
        ids = [uuid4() for _ in range(threads)]
        start = threading.Barrier(threads)

        def work(k: int) -> None:
            try:
                start.wait()
                for v in range(1, per_thread + 1):
                    txnids.append(recorder.settle(recorder.submit_events([ev(ids[k], v)]))[1])
            except BaseException as e:  # reported below
                errors.append(e)

        workers = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=120)
        assert errors == []
        for agg in ids:
            assert [e.originator_version for e in recorder.select_events(agg)] == list(range(1, per_thread + 1))
        notes = recorder.select_notifications(1, threads * per_thread + 10)
        assert [n.id for n in notes] == list(range(1, threads * per_thread + 1))
        assert len(txnids) == threads * per_thread and max(txnids) <= recorder.change_token()
    finally:
        factory.close()


def test_a_retried_body_goes_first_in_its_batch_unless_it_depends_on_another(store: Any) -> None:
    order: list[str] = []

    def body(name: str) -> Any:
        return lambda txn: order.append(name)

    a = store.submit(body("a"))
    b = store.submit(body("b"), after=a)  # depends on a: stays after it
    c = store.submit(body("c"), priority=3)  # a program's fourth attempt
    d = store.submit(body("d"), priority=1)
    store.wait(d)
    assert order == ["c", "d", "a", "b"]
    assert len({t.txnid for t in (a, b, c, d)}) == 1
