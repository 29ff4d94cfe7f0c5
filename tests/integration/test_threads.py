"""One Session shared between threads: programs take turns, so every program succeeds and none is lost, and reads
(view, log, version) made while other threads write never fail (a shared session used to raise a bare
`RuntimeError: a transaction is already open`)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

import scint
from tests.support.types import WorkCounter

THREADS = 6
PROGRAMS = 40


@pytest.fixture(autouse=True)
def work_counter(register_type: Callable[[type[scint.Context]], type[scint.Context]]) -> None:
    register_type(WorkCounter)


def _run_threads(targets: list[Callable[[], None]]) -> list[BaseException]:
    """Run each target in its own thread; the exceptions they raised."""
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
        t.join(timeout=120)
        assert not t.is_alive(), "a thread hung"
    return errors


def test_threads_sharing_a_session_lose_no_program(session: scint.Session) -> None:
    session.run('create_context("c", type="WorkCounter")')
    seen: list[int] = []
    writers_done = threading.Event()
    reads: list[int] = []

    def writer(k: int) -> Callable[[], None]:
        def work() -> None:
            for _ in range(PROGRAMS):
                seen.append(session.run(f'c.incr(who="t{k}")').value)

        return work

    def reader() -> None:
        while not writers_done.is_set():
            view = session.view()
            state = view.get("c")
            assert state["n"] == len(state["seen"]), "a view showed a program half-applied"
            assert session.version >= 1
            session.log(limit=2)
            reads.append(state["n"])

    read_thread = threading.Thread(target=lambda: reads_errors.extend(_run_threads([reader])))
    reads_errors: list[BaseException] = []
    read_thread.start()
    errors = _run_threads([writer(k) for k in range(THREADS)])
    writers_done.set()
    read_thread.join(timeout=120)
    assert not read_thread.is_alive()
    assert errors == [] and reads_errors == []
    assert sorted(seen) == list(range(1, THREADS * PROGRAMS + 1)), "two programs saw the same count"
    assert session.run("c.value()").value == THREADS * PROGRAMS
    assert reads == sorted(reads), "a reader saw the counter go back"
    state = session.view().get("c")
    for k in range(THREADS):
        assert state["seen"].count(f"t{k}") == PROGRAMS
    assert session.replay().render("json") == session.view().render("json")


def test_threads_mixing_failing_programs_dry_runs_and_history_leave_an_exact_state(session: scint.Session) -> None:
    session.run('create_context("c", type="WorkCounter")')

    def work(k: int) -> Callable[[], None]:
        def run() -> None:
            for i in range(PROGRAMS // 2):
                session.run("c.incr()")
                session.run("c.incr(by=100)", dry_run=True)
                with pytest.raises(scint.ScintError):
                    session.run("c.incr(by=1000); c.nope()")  # fails after a change: rolled back
                if i % 5 == 0:
                    session.view(at=1)
                    session.diff(1, session.version)

        return run

    assert _run_threads([work(k) for k in range(4)]) == []
    assert session.run("c.value()").value == 4 * (PROGRAMS // 2)
    assert session.replay().render("json") == session.view().render("json")
