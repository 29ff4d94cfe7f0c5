"""Group commit through sessions on LMDB: threads sharing a session and several sessions in one process write at
once; every acknowledged program is in the store afterwards (reopened), exactly once, at contiguous versions, and
a program that fails while being recorded takes no other program of its batch with it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import DataError

import scint
from scint.errors import StoreError
from scint.store.lmdb import LMDBApplicationRecorder

PROGRAMS = 25


def _run_threads(targets: list[Callable[[], None]]) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as exc:  # reported to the test
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
        assert not t.is_alive(), "a thread hung"
    return errors


def _writer(s: scint.Session, name: str, acked: dict[str, int], start: threading.Barrier) -> Callable[[], None]:
    def work() -> None:
        start.wait()
        for i in range(PROGRAMS):
            key = f"{name}-{i}"
            acked[key] = s.run(f'log.put(key="{key}", value={i})').version

    return work


def _check(url: str, acked: dict[str, int], first: int) -> None:
    """Reopened: every acknowledged program there once, at the version it was acknowledged with; no gaps."""
    with scint.open(url) as s:
        data = s.view().get("log")["data"]
        assert set(acked) <= set(data), f"acknowledged programs lost: {sorted(set(acked) - set(data))[:5]}"
        entries = sorted(s.log(), key=lambda e: e.version)
        versions = [e.version for e in entries]
        assert versions == list(range(1, len(versions) + 1)), "versions are not contiguous"
        by_key = {e.source.split('"')[1]: e.version for e in entries if e.source.startswith("log.put")}
        assert len(by_key) == len(versions) - first  # each program once
        assert {k: by_key[k] for k in acked} == acked
        assert s.version == len(versions)


def test_threads_sharing_a_session_and_several_sessions_lose_nothing(tmp_path: Path) -> None:
    url = f"lmdb:///{tmp_path}/store"
    sessions = [scint.open(url) for _ in range(3)]
    try:
        sessions[0].run('create_context("log")')
        # 8 threads share sessions[0]; 2 threads each share sessions[1] and sessions[2]; all on one branch
        plan = [(sessions[0], f"a{k}") for k in range(8)] + [(sessions[1 + k % 2], f"b{k}") for k in range(4)]
        acked: dict[str, int] = {}
        start = threading.Barrier(len(plan))
        assert _run_threads([_writer(s, name, acked, start) for s, name in plan]) == []
        assert len(acked) == len(plan) * PROGRAMS
        assert sorted(acked.values()) == list(range(2, len(acked) + 2))  # one version each, no two the same
    finally:
        for s in sessions:
            s.close()
    _check(url, acked, first=1)


def test_sessions_on_their_own_branches_share_commits(tmp_path: Path) -> None:
    url = f"lmdb:///{tmp_path}/store"
    with scint.open(url) as s:
        s.run('create_context("log")')
        for b in range(4):
            s.branch(f"w{b}")
    sessions = [scint.open(url, branch=f"w{b}") for b in range(4)]
    acked: list[dict[str, int]] = [{} for _ in sessions]
    try:
        start = threading.Barrier(len(sessions) * 2)
        targets = [_writer(s, f"{b}x{t}", acked[b], start) for b, s in enumerate(sessions) for t in range(2)]
        assert _run_threads(targets) == []
    finally:
        for s in sessions:
            s.close()
    for b in range(4):
        with scint.open(url, branch=f"w{b}") as s:
            data = s.view().get("log")["data"]
            assert set(data) == set(acked[b])  # each branch holds its own programs, all of them, no others
            assert sorted(acked[b].values()) == list(range(2, 2 * PROGRAMS + 2))


def test_a_program_failing_in_its_batch_fails_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An injected store failure in one program: that caller gets StoreError; the others of its batch (and the
    programs that ran on top of it in the session, which are run again) are all recorded."""
    write = LMDBApplicationRecorder._write

    def failing_write(self: Any, txn: Any, handles: Any, records: Any, tracking: Any) -> Any:
        if any(b"poison" in value for _, value in records):
            raise DataError("injected failure")
        return write(self, txn, handles, records, tracking)

    monkeypatch.setattr(LMDBApplicationRecorder, "_write", failing_write)
    url = f"lmdb:///{tmp_path}/store"
    acked: dict[str, int] = {}
    failures: list[BaseException] = []
    with scint.open(url) as s, scint.open(url) as other:
        s.run('create_context("log")')
        start = threading.Barrier(9)

        def poisoner() -> None:
            start.wait()
            for i in range(PROGRAMS):
                target = s if i % 2 else other
                try:
                    target.run(f'log.put(key="poison-{i}", value=0)')
                except StoreError as exc:
                    failures.append(exc)

        writers = [_writer(s if k < 6 else other, f"a{k}", acked, start) for k in range(8)]
        assert _run_threads([*writers, poisoner]) == []
    assert len(failures) == PROGRAMS and all("injected failure" in str(f) for f in failures)
    assert len(acked) == 8 * PROGRAMS
    _check(url, acked, first=1)
    with scint.open(url) as s:
        assert not any(k.startswith("poison") for k in s.view().get("log")["data"])


def test_a_batch_shared_with_another_sessions_program_does_not_hide_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A's snapshot and B's program on the same branch commit in one batch: A must not take its head for current
    at that batch (it lacks B's program) - it used to, and then never read the store again."""
    from scint.core.map import ContextMap
    from scint.session import running
    from scint.store import _env

    url = f"lmdb:///{tmp_path}/store"
    with scint.open(url) as a, scint.open(url) as b:
        a.run('create_context("log"); log.put(key="k", value="a")')
        assert b.run('log.get(key="k")').value == "a" and a.run('log.get(key="k")').value == "a"
        store = a.app.recorder._lease.store  # type: ignore[attr-defined]
        queued = threading.Semaphore(0)
        real_submit = _env.Store.submit

        def counting_submit(self: Any, *args: Any, **kwargs: Any) -> Any:
            ticket = real_submit(self, *args, **kwargs)
            queued.release()
            return ticket

        go = threading.Event()

        def blocker(txn: Any) -> None:
            go.wait(60)
            raise RuntimeError("nothing to record")  # a failed batch commits nothing: the txn id does not move

        held = store.submit(blocker)

        def lead() -> None:
            with pytest.raises(RuntimeError):
                store.wait(held)

        leader = threading.Thread(target=lead)
        leader.start()
        monkeypatch.setattr(_env.Store, "submit", counting_submit)
        head = a._head
        stored = a.app.mapper.to_stored_event(ContextMap.Snapshot.take(head))
        snap = threading.Thread(target=running.write_after, args=(a, a.app.snapshots.recorder, [stored]))
        prog = threading.Thread(target=lambda: b.run('log.put(key="k", value="from b")'))
        snap.start()
        assert queued.acquire(timeout=60)
        prog.start()
        assert queued.acquire(timeout=60)  # both are queued behind the blocker: they form one batch
        go.set()
        for t in (leader, snap, prog):
            t.join(timeout=60)
            assert not t.is_alive()
        assert a.run('log.get(key="k")').value == "from b"
        a.run('log.put(key="k", value="a again")')
        assert b.run('log.get(key="k")').value == "a again"


def test_asyncio_tasks_running_programs_in_threads_share_commits(tmp_path: Path) -> None:
    """A scheduler's tasks on one event loop: each hands `run` to a worker thread (asyncio.to_thread), so the
    loop is not blocked while a commit is made durable and their programs share batches; none is lost."""
    import asyncio

    url = f"lmdb:///{tmp_path}/store"
    acked: dict[str, int] = {}

    async def task(s: scint.Session, k: int) -> None:
        for i in range(PROGRAMS):
            key = f"t{k}-{i}"
            acked[key] = (await asyncio.to_thread(s.run, f'log.put(key="{key}", value={i})')).version

    async def main(s: scint.Session) -> None:
        await asyncio.gather(*(task(s, k) for k in range(8)))

    with scint.open(url) as s:
        s.run('create_context("log")')
        asyncio.run(main(s))
    assert sorted(acked.values()) == list(range(2, 8 * PROGRAMS + 2))
    _check(url, acked, first=1)
