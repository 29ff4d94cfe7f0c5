"""Crash safety: a child runs two-statement programs in a loop and acknowledges each one after `run` returns;
the test kills it with SIGKILL at random moments and checks that every acknowledged program is there exactly
once and that no partial program is visible (SPEC §7: durable by default)."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

import scint
from tests.support.workers import kill_after

KILLS = int(os.environ.get("SCINT_CRASH_KILLS", "20"))


def check_store(url: str, acked: set[int]) -> int:
    """Every acked program applied exactly once, no partial program; returns how many programs are there."""
    with scint.open(url) as s:
        log = s.view().get("log")["data"]
        tasks = s.run("p.tasks()").value
        titles = [t["title"] for t in tasks]
        assert len(titles) == len(set(titles)), "a program applied twice"
        assert set(titles) == set(log), "a partial program is visible (a task without its log entry or the reverse)"
        for title in titles:
            assert log[title] == next(t["path"] for t in tasks if t["title"] == title)
        done = {int(t[3:]) for t in titles}
        missing = acked - done
        assert not missing, f"acknowledged programs lost after SIGKILL: {sorted(missing)[:10]}"
        assert s.view().get("p")["next_task"] == len(titles) + 1
        return len(titles)


@pytest.mark.parametrize("kind", ["lmdb", "sqlite"])
def test_sigkill_loses_no_acknowledged_program(kind: str, tmp_path: Path) -> None:
    url = f"lmdb:///{tmp_path}/store" if kind == "lmdb" else f"sqlite:///{tmp_path}/store.db"
    with scint.open(url) as s:
        s.run('create_context("p", type="Process", goal="crash test"); create_context("log")')
    rng = random.Random(20261122)
    acked: set[int] = set()
    start = 0
    for _ in range(KILLS):
        kill_after(url, start, rng.randint(1, 25), acked)
        count = check_store(url, acked)
        start = count + 1000 * (_ + 1)  # fresh titles for the next child, whatever the last one managed
    assert len(acked) >= KILLS


def test_sigkill_of_eight_writer_threads_loses_no_acknowledged_program(tmp_path: Path) -> None:
    """Group commit (LMDB): 8 threads over two sessions in the child, their commits shared; killed at random
    moments, nothing acknowledged is lost, nothing doubled, nothing partial."""
    url = f"lmdb:///{tmp_path}/store"
    with scint.open(url) as s:
        s.run('create_context("p", type="Process", goal="crash test"); create_context("log")')
    rng = random.Random(20261130)
    acked: set[int] = set()
    start = 0
    for k in range(1, KILLS // 2 + 1):
        kill_after(url, start, rng.randint(8, 60), acked, threads=8)
        count = check_store(url, acked)
        start = count + 1000 * k
    assert len(acked) >= 8 * (KILLS // 2)
