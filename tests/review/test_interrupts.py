"""Ctrl-C (KeyboardInterrupt) while a program runs: the program is atomic, and the session stays usable (it was
left inside its transaction: every later call said "the session is already running a program")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
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
    insert = s.app.recorder.insert_events

    def insert_then_interrupt(events: Any, **kwargs: Any) -> Any:
        insert(events, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(s.app.recorder, "insert_events", insert_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        s.run("o.inc()")
    monkeypatch.undo()
    assert s.version == 3
    assert s.view().get("o") == {"n": 1}
    assert s.run("o.inc()").value == 2
    assert s.replay().render("json") == s.view().render("json")
