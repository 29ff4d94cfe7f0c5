"""SPEC 10: a workflow runs with the narrower capabilities of whoever defined it and whoever runs it, so a workflow
cannot carry a call past a scope: the definer's scope is stored with the definition and applied at run time."""

from __future__ import annotations

import pytest

import scint

SETUP = (
    'create_context("notes")\nnotes.put(key="a", value=1)\n'
    'create_context("research", type="Thread")\n'
    'create_context("lit", type="Process", parent="research", goal="g")\n'
    'create_context("flows", type="Composer", parent="research.lit")\n'
    'create_context("box", parent="research.lit")'
)
AS_PROCESS = {"actor": "process:research.lit", "scope": "research.lit", "self_path": "research.lit"}

OUTSIDE = [  # bodies that reach past research.lit
    'drop_context(path="notes")',
    'notes.put(key="a", value=2)',
    'notes.delete(key="a")',
    'create_context("evil")',
    'create_context("x", parent="research")',
    'research.post(role="user", content="hi")',
    'self.box.put(key="k", value=1)\nnotes.put(key="a", value=3)',
    'self.flows.run(name="inner")',  # through a second workflow defined by the same process
]


@pytest.mark.parametrize("body", OUTSIDE)
@pytest.mark.parametrize("runner", [{}, {"actor": "human"}, AS_PROCESS])
def test_a_scoped_definers_workflow_never_leaves_its_scope(
    session: scint.Session, body: str, runner: dict[str, str]
) -> None:
    s = session
    s.run(SETUP)
    s.run('self.flows.define(name="inner", body="notes.put(key=\\"a\\", value=4)")', **AS_PROCESS)
    s.run(f"self.flows.define(name=\"w\", body={scint.dsl.quote(body)})", **AS_PROCESS)
    before = s.version, s.view().render("json")
    with pytest.raises(scint.PermissionDenied, match=r"research\.lit"):
        s.run('research.lit.flows.run(name="w")', **runner)
    assert (s.version, s.view().render("json")) == before


def test_inside_its_scope_the_workflow_runs_for_anyone(session: scint.Session) -> None:
    s = session
    s.run(SETUP)
    s.run('self.flows.define(name="w", params=["v"], body="self.box.put(key=\\"k\\", value=$v)")', **AS_PROCESS)
    assert s.run('research.lit.flows.show(name="w")').value["scope"] == "research.lit"
    s.run('research.lit.flows.run(name="w", v=1)')
    s.run('self.flows.run(name="w", v=2)', **AS_PROCESS)
    assert s.run('research.lit.box.get(key="k")').value == 2
    again = s.replay()
    assert again.render("json") == s.view().render("json")


def test_a_person_may_restrict_a_workflow_and_a_process_may_not_widen_its_own(session: scint.Session) -> None:
    s = session
    s.run(SETUP)
    s.run('research.lit.flows.define(name="w", body="notes.keys()\\nnotes.delete(key=\\"a\\")", scope="research")')
    with pytest.raises(scint.PermissionDenied, match="`research`"):
        s.run('research.lit.flows.run(name="w")')
    s.run('research.lit.flows.define(name="free", body="notes.put(key=\\"b\\", value=1)")')
    s.run('research.lit.flows.run(name="free")')  # a person's unscoped workflow, run by a person
    with pytest.raises(scint.PermissionDenied):  # ... and by a scoped process: its own scope still holds
        s.run('self.flows.run(name="free")', **AS_PROCESS)
    with pytest.raises(scint.PermissionDenied, match=r"outside `research\.lit`"):
        s.run('self.flows.define(name="wide", body="notes.keys()", scope="notes")', **AS_PROCESS)
    s.run('self.flows.define(name="narrow", body="self.box.keys()", scope="research")', **AS_PROCESS)
    assert s.run('research.lit.flows.show(name="narrow")').value["scope"] == "research.lit"
    with pytest.raises(scint.BadArguments, match="context path"):
        s.run('research.lit.flows.define(name="bad", body="notes.keys()", scope="..x")')
