"""Ctrl-C (KeyboardInterrupt) while a program runs: the program is atomic, and the session stays usable (it was
left inside its transaction: every later call said "the session is already running a program")."""

from __future__ import annotations

import random
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import scint


class Interruptible(scint.Context):
    """Raises KeyboardInterrupt on demand."""

    n: int = 0

    @scint.action
    def inc(self) -> int:
        """Add one."""
        self.n += 1
        return self.n

    @scint.action
    def interrupt(self) -> None:
        """Change the state, then be interrupted."""
        self.n += 100
        raise KeyboardInterrupt


@pytest.fixture(params=["memory", "sqlite", "lmdb"])
def s(
    request: pytest.FixtureRequest, tmp_path: Path, register_type: Callable[[type[scint.Context]], Any]
) -> Iterator[scint.Session]:
    register_type(Interruptible)
    url = {"memory": "memory://", "sqlite": f"sqlite:///{tmp_path}/s.db", "lmdb": f"lmdb:///{tmp_path}/l"}
    with scint.open(url[request.param]) as session:
        session.run('create_context("o", type="Interruptible"); create_context("notes")')
        yield session


def test_an_interrupted_program_changes_nothing_and_the_session_goes_on(s: scint.Session) -> None:
    with pytest.raises(KeyboardInterrupt):
        s.run('notes.put(key="a", value=1); o.inc(); o.interrupt()')
    assert s.version == 2
    assert s.view().get("o") == {"n": 0}
    assert s.view().get("notes") == {"data": {}}
    assert s.run("o.inc()").value == 1
    assert s.version == 3


def test_an_interrupt_after_the_store_committed_leaves_the_session_on_what_the_store_holds(
    s: scint.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # LMDB hands a program's events to a group commit and waits for them in `settle`; the others insert them
    step = "settle" if hasattr(s.app.recorder, "submit_events") else "insert_events"
    record = getattr(s.app.recorder, step)

    def record_then_interrupt(*args: Any, **kwargs: Any) -> Any:
        record(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(s.app.recorder, step, record_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        s.run("o.inc()")
    monkeypatch.undo()
    assert s.version == 3
    assert s.view().get("o") == {"n": 1}
    assert s.run("o.inc()").value == 2
    assert s.replay().render("json") == s.view().render("json")


# -- interrupts at random moments ----------------------------------------------------------------------------------
# Each program changes two contexts; after an interrupt anywhere, both changes are recorded or neither, the session
# goes on, and it shows what a fresh session on the store shows.

SCINT_DIR = Path(scint.__file__).parent
# Where a KeyboardInterrupt is injected: every line of scint's own code a program runs, except the store drivers
# and the interrupt shield (a real Ctrl-C is held back there; see scint/store/interrupts.py).
_TRACED = {
    str(p)
    for p in SCINT_DIR.rglob("*.py")
    if p.parent.name != "store" and p.name != "interrupts.py"
}


class _InterruptAt:
    """A trace function that raises KeyboardInterrupt at the `n`-th line scint's own code runs (never if n is 0);
    counts the lines."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.lines = 0

    def __call__(self, frame: FrameType, event: str, arg: object) -> Any:
        return self._line if frame.f_code.co_filename in _TRACED else None

    def _line(self, frame: FrameType, event: str, arg: object) -> Any:
        if event == "line":
            self.lines += 1
            if self.lines == self.n:
                raise KeyboardInterrupt
        return self._line


def _program(i: int) -> str:
    return f'a.put(key="k{i}", value={i}); b.put(key="k{i}", value={i})'


def _check_whole(s: scint.Session, i: int, interrupted: bool) -> None:
    """Program `i` is recorded wholly or not at all (and surely if it was not interrupted); `s` shows the store."""
    live = s.view()
    keys = set(live.get("a")["data"])
    assert keys == set(live.get("b")["data"]), f"program {i} was recorded in part"
    assert interrupted or f"k{i}" in keys
    if s.url == "memory://":
        assert s.replay().render("json") == live.render("json")
        fresh_log = s.log()
    else:
        with scint.open(s.url) as fresh:
            assert fresh.version == s.version == live.version
            assert fresh.view().render("json") == live.render("json")
            fresh_log = fresh.log()
    assert all(e.events == 2 for e in fresh_log[:-1]), "a program's events were recorded in part"


@pytest.fixture
def two(s: scint.Session) -> scint.Session:
    s.run('create_context("a"); create_context("b")')
    return s


def test_an_interrupt_at_any_line_of_a_program_leaves_it_whole_or_absent(two: scint.Session) -> None:
    counter = _InterruptAt(0)
    sys.settrace(counter)
    try:
        two.run(_program(0))
    finally:
        sys.settrace(None)
    total = counter.lines
    assert total > 50
    interrupts = 0
    for i, n in enumerate(range(1, total + 25, max(1, total // 60)), start=1):
        tracer = _InterruptAt(n)
        interrupted = False
        sys.settrace(tracer)
        try:
            two.run(_program(i))
        except KeyboardInterrupt:
            interrupted = True
        finally:
            sys.settrace(None)
        interrupts += interrupted
        _check_whole(two, i, interrupted)
    assert interrupts > 30
    assert two.run(_program(10_000)).version == two.version


def _alarm(signum: int, frame: FrameType | None) -> None:
    signal.raise_signal(signal.SIGINT)


def test_ctrl_c_at_random_moments_leaves_every_program_whole_or_absent(two: scint.Session) -> None:
    """Every other program runs undisturbed (and is timed, so the delays follow the machine's load); the others
    get a SIGINT after a random delay of up to 1.5 times that."""
    rng = random.Random(7)
    per_program = 0.0
    previous = signal.signal(signal.SIGALRM, _alarm)
    interrupts = 0
    try:
        for i in range(120):
            interrupted = False
            started = time.perf_counter()
            try:
                if i % 2:
                    signal.setitimer(signal.ITIMER_REAL, rng.uniform(1e-6, 1.5 * per_program))
                try:
                    two.run(_program(i))
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            except KeyboardInterrupt:
                interrupted = True
            elapsed = time.perf_counter() - started
            if not i % 2:
                per_program = elapsed if i == 0 else 0.8 * per_program + 0.2 * elapsed
            assert not (interrupted and i % 2 == 0)
            interrupts += interrupted
            _check_whole(two, i, interrupted)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert interrupts >= 10
    assert two.run(_program(10_000)).version == two.version
