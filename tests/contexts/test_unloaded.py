"""A store that uses a type this process has not registered: reading works and shows the state as data, writing
to it (or to a state that could not be replayed) is an error naming the type and how to load it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import scint
from scint.contexts import registry
from scint.errors import ActionError, ScintError, UnknownAction
from scint.session.facade import SNAPSHOT_EVERY
from tests.conftest import Counter


def _write(url: str, register: Callable[..., object], increments: int) -> str:
    register(Counter)
    with scint.open(url) as s:
        s.run('create_context("c", type="Counter"); create_context("notes")')
        s.run("\n".join(f'c.incr(by=1, who="w{i}")' for i in range(increments)))
        state = s.view().render("json")
    registry.unregister("Counter")
    return state


def test_a_snapshotted_state_of_a_missing_type_reads_exactly_and_other_contexts_stay_writable(
    persistent_url: str, register_type: Callable[..., object]
) -> None:
    state = _write(persistent_url, register_type, SNAPSHOT_EVERY + 5)  # the program's commit takes a snapshot
    with scint.open(persistent_url) as s:
        assert s.view().render("json") == state  # the same state, as data, with the same type name
        assert s.view().get("c")["n"] == SNAPSHOT_EVERY + 5
        assert s.log(limit=1)[0].events == SNAPSHOT_EVERY + 5
        with pytest.raises(UnknownAction, match=r"`Counter` is not registered here.*--import MODULE"):
            s.run("c.incr()")
        with pytest.raises(UnknownAction, match="Counter"):
            s.run("c.value()")  # a query needs the type's code too
        s.run('notes.put(key="k", value=1)')  # the placeholder is exact: the rest of the map is writable
        assert s.view().get("c")["n"] == SNAPSHOT_EVERY + 5
    with scint.open(persistent_url) as s:  # and its state was kept as it was
        assert s.view().get("c")["n"] == SNAPSHOT_EVERY + 5
    register_type(Counter)
    with scint.open(persistent_url) as s:
        assert s.run("c.incr(by=2)").value == SNAPSHOT_EVERY + 7


def test_a_state_that_cannot_be_replayed_is_read_only(
    persistent_url: str, register_type: Callable[..., object]
) -> None:
    _write(persistent_url, register_type, 3)  # no snapshot: `c`'s actions cannot be replayed here
    with scint.open(persistent_url) as s:
        assert s.view().type_of("c") == "Counter"
        assert s.view().get("notes") == {"data": {}}
        assert [e.events for e in s.log()] == [3, 2]
        assert [b["name"] for b in s.branches()] == ["main"]
        before = s.version
        for program in ('notes.put(key="k", value=1)', 'drop_context(path="c")', 'create_context("x")'):
            with pytest.raises(ActionError, match=r"can be read but not changed.*`Counter` is not registered"):
                s.run(program)
        assert s.version == before
        s.branch("other")  # branches and checkouts change no context
        s.checkout("other")
    register_type(Counter)
    with scint.open(persistent_url, branch="main") as s:
        assert s.view().get("c")["n"] == 3  # nothing was lost
        s.run('notes.put(key="k", value=1)')


def test_an_export_of_a_missing_type_is_refused_by_import(
    persistent_url: str, register_type: Callable[..., object], tmp_path: object
) -> None:
    _write(persistent_url, register_type, 2)
    path = f"{tmp_path}/run.jsonl"
    with scint.open(persistent_url) as s:
        assert s.export(path) == 4  # reading commands work
    with pytest.raises(ScintError, match=r"`c` is created with an unknown type.*`Counter` is not registered"):
        scint.load(path)
    register_type(Counter)
    with scint.load(path) as s:
        assert s.view().get("c")["n"] == 2
