"""A store outlives its session: reopening gives the same state, versions, log, and works with snapshots."""

from __future__ import annotations

import pytest

import scint
from scint.core.map import branch_id

PROGRAM = """
create_context("notes"); notes.put(key="milk", value={"qty": 2})
create_context("research", type="Thread"); research.post(role="user", content="hi")
research.spawn(name="lit", goal="g"); research.lit.add_task(title="search"); research.lit.t1.start()
create_context("composer", type="Composer")
composer.define(name="restock", params=["item"], body="notes.put(key=$item, value=0)")
composer.run(name="restock", item="eggs")
"""


def test_reopening_gives_the_same_state(persistent_url: str) -> None:
    with scint.open(persistent_url) as s:
        first = s.run(PROGRAM, actor="human").version
        s.run('notes.delete(key="milk")', actor="llm:m")
        rendered, version, log = s.view().render("json"), s.version, s.log()
        after_first = s.view(at=first).render("json")
    with scint.open(persistent_url) as s:
        assert (s.view().render("json"), s.version, s.log()) == (rendered, version, log)
        assert s.view(at=first).render("json") == after_first
        assert s.run('composer.run(name="restock", item="milk")').version == version + 1
    with scint.open(persistent_url) as s:
        assert s.run('notes.get(key="milk")').value == 0


def test_two_sessions_on_one_store_see_each_other(persistent_url: str) -> None:
    with scint.open(persistent_url) as a, scint.open(persistent_url) as b:
        a.run('create_context("n"); n.put(key="x", value=1)')
        assert b.run('n.get(key="x")').value == 1
        b.run('n.put(key="x", value=2)')
        assert a.run('n.get(key="x")').value == 2
        assert a.version == b.version == 3
        assert a.view().render("json") == b.view().render("json")


def test_a_failed_program_writes_nothing_to_the_store(persistent_url: str) -> None:
    with scint.open(persistent_url) as s:
        s.run('create_context("n")')
        with pytest.raises(scint.ActionError):
            s.run('n.put(key="a", value=1); n.get(key="zz")')
        s.run('n.put(key="b", value=1)', dry_run=True)
        s.run("n.keys()")
    with scint.open(persistent_url) as s:
        assert s.version == 1 and s.view().get("n") == {"data": {}}
        assert len(list(s.app.events.get(branch_id("main")))) == 2  # Started + one Applied


def test_reopening_after_many_events_uses_snapshots_and_agrees_with_replay(persistent_url: str) -> None:
    with scint.open(persistent_url) as s:
        s.run('create_context("n"); create_context("t", type="Thread")')
        for i in range(250):
            s.run(f'n.put(key="k{i % 17}", value={i}); t.post(role="user", content="m{i}")')
        rendered, version = s.view().render("json"), s.version
        middle = s.view(at=124).render("json")
    with scint.open(persistent_url) as s:
        assert s.app.snapshots is not None
        assert list(s.app.snapshots.get(branch_id("main"))), "expected at least one snapshot after 500 events"
        assert (s.view().render("json"), s.version) == (rendered, version)
        assert s.view(at=124).render("json") == middle
        assert s.replay().render("json") == rendered
        assert s.replay(to=124).render("json") == middle
