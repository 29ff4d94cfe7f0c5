"""Names that collide: a task name taken by another child is skipped; a workflow parameter that run() itself takes
is refused when the workflow is defined (it could never be passed)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scint


@settings(max_examples=30, deadline=None)
@given(taken=st.sets(st.integers(1, 8), max_size=5), tasks=st.integers(1, 5))
def test_add_task_skips_names_already_taken(taken: set[int], tasks: int) -> None:
    with scint.open("memory://") as s:
        s.run('create_context("p", type="Process", goal="g")')
        for n in sorted(taken):
            s.run(f'create_context("t{n}", parent="p")')  # a child that is not a task, named like one
        made = [s.run('p.add_task(title="x")').value for _ in range(tasks)]
        assert len(set(made)) == tasks
        assert not {f"p.t{n}" for n in taken} & set(made)
        assert [t["path"] for t in s.run("p.tasks()").value] == made
        assert s.replay().render("json") == s.view().render("json")


def test_add_task_after_a_child_named_t1_on_every_store(session: scint.Session) -> None:
    session.run('create_context("p", type="Process", goal="g")\ncreate_context("t1", parent="p")')
    assert session.run('p.add_task(title="a")').value == "p.t2"
    assert session.run('p.add_task(title="b")').value == "p.t3"
    assert session.replay().render("json") == session.view().render("json")


@pytest.mark.parametrize("params", ['["name"]', '["item", "name"]'])
def test_a_workflow_parameter_run_takes_itself_is_refused_at_define(session: scint.Session, params: str) -> None:
    session.run('create_context("c", type="Composer")')
    before = session.version
    with pytest.raises(scint.BadArguments, match="cannot be called `name`"):
        session.run(f'c.define(name="w", params={params}, body="c.list()")')
    assert session.version == before
    session.run('c.define(name="w", params=["label"], body="c.show(name=$label)")')
    assert session.run('c.run(name="w", label="w")').value["params"] == ["label"]
