"""Many processes on one branch: optimistic concurrency serialises them, so no update is lost and no program
applies twice (SPEC §7)."""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable

import pytest

import scint
from tests.support.types import WorkCounter
from tests.support.workers import increment


@pytest.fixture(autouse=True)
def work_counter(register_type: Callable[[type[scint.Context]], type[scint.Context]]) -> None:
    register_type(WorkCounter)


PROCESSES = 4
PROGRAMS = 150


def test_concurrent_read_modify_write_is_exact(shared_url: str) -> None:
    with scint.open(shared_url) as s:
        s.run('create_context("c", type="WorkCounter")')
    ctx = mp.get_context("spawn")
    with ctx.Pool(PROCESSES) as pool:
        results = pool.starmap(increment, [(shared_url, PROGRAMS, f"w{k}") for k in range(PROCESSES)])
    values = [v for r in results for v in r]
    assert len(values) == PROCESSES * PROGRAMS
    assert len(set(values)) == len(values), "two programs saw the same count: an update was lost"
    assert sorted(values) == list(range(1, PROCESSES * PROGRAMS + 1))
    with scint.open(shared_url) as s:
        assert s.run("c.value()").value == PROCESSES * PROGRAMS
        state = s.view().get("c")
        assert len(state["seen"]) == PROCESSES * PROGRAMS
        for k in range(PROCESSES):
            assert state["seen"].count(f"w{k}") == PROGRAMS
        # One log entry per program, each with its own actor.
        entries = s.log()
        assert len(entries) == PROCESSES * PROGRAMS + 1
        assert {e.actor for e in entries} == {"human"} | {f"worker:w{k}" for k in range(PROCESSES)}


def test_two_sessions_in_one_process_see_each_other(shared_url: str) -> None:
    with scint.open(shared_url) as a, scint.open(shared_url) as b:
        a.run('create_context("c", type="WorkCounter")')
        assert b.run("c.incr(by=2)").value == 2
        assert a.run("c.incr(by=3)").value == 5
        assert a.version == b.version == 3
        assert b.view().get("c")["n"] == 5
