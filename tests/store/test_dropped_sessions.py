"""Sessions dropped without close() are harmless: opened again and again in a loop (a notebook cell re-run), with
the garbage collector running at any moment, in one thread or many, nothing hangs and nothing says "closed".

They used to: a dropped LMDB session's lease was released twice (its finalizer and its Application's __del__ both
let it go), so the store's reference count fell to zero under a live session, whose store was then closed under
it ("LMDB store is closed") or whose own read transaction the closing waited for, forever."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import scint
from scint.store._env import Lease, Settings
from tests.conftest import url_for

# Each child re-opens sessions without closing them; gc thresholds of 1 collect at nearly every allocation, so
# collections (and the finalizers they run) land inside store transactions of the live session.
LOOP = """
import gc, sys, threading
import scint

url, threads, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with scint.open(url) as s:
    s.run('create_context("a"); create_context("b")')

def work(k):
    for i in range(rounds):
        s = scint.open(url)
        if i % 3 == 0:
            gc.set_threshold(1, 1, 1)
        while True:  # four writers on one branch, slowed by the collections: contention may outlast the retries
            try:
                s.run(f'a.put(key="t{k}-{i}", value={i})')
                break
            except scint.ConflictError:
                pass
        s.view()
        s.log(limit=1)
        if i % 3 == 0:
            gc.set_threshold(700, 10, 10)
        if i % 4 == 1:
            gc.collect()

workers = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
gc.collect()
with scint.open(url) as s:
    print(len(s.view().get("a")["data"]))
"""


@pytest.mark.parametrize("backend", ["lmdb", "sqlite"])
@pytest.mark.parametrize(("threads", "rounds"), [(1, 60), (4, 15)])
def test_sessions_dropped_in_a_loop_never_hang_or_close_the_store(
    backend: str, threads: int, rounds: int, tmp_path: Path
) -> None:
    url = url_for(backend, tmp_path)
    try:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(LOOP), url, str(threads), str(rounds)],
            capture_output=True,
            text=True,
            timeout=240,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("dropped sessions made the process hang")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "closed" not in done.stderr
    assert done.stdout.split() == [str(threads * rounds)]


class _App:
    """Like eventsourcing's Application: closes its lease in __del__, and sits in a reference cycle."""

    def __init__(self, lease: Lease) -> None:
        self.lease = lease
        self.cycle = self

    def __del__(self) -> None:
        self.lease.close()


@pytest.mark.parametrize("close_first", [False, True])
def test_a_lease_let_go_twice_releases_its_store_once(tmp_path: Path, close_first: bool) -> None:
    settings = Settings(path=str(tmp_path / "l"))
    live = Lease(settings)
    for _ in range(3):
        dropped = _App(Lease(settings))
        if close_first:
            dropped.lease.close()
        del dropped
        gc.collect()
    store = live.store
    assert not store.stale
    assert store.refs == 1
    assert store.read(lambda txn: txn.stat()["entries"]) == 0
    live.close()
    assert store.stale


def test_a_session_dropped_while_another_reads_the_same_store(tmp_path: Path) -> None:
    url = url_for("lmdb", tmp_path)
    live = scint.open(url)
    live.run('create_context("a")')
    for i in range(5):
        scint.open(url).run(f'a.put(key="k{i}", value={i})')  # dropped at once
        gc.collect()
        assert live.view().get("a")["data"][f"k{i}"] == i
    live.close()
