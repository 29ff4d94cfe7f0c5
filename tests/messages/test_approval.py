"""Human approval (SPEC 12): proposals instead of changes, approve (with edit), reject, waiting processes."""

from __future__ import annotations

import pytest

import scint
from scint.llm import MockProvider


@pytest.fixture
def guarded(session: scint.Session) -> scint.Session:
    session.run(
        'create_context("notes"); create_context("lit", type="Process", goal="write", approve=["notes.put"], '
        'can=["self.**", "notes.*", "send", "reply", "inbox"])'
    )
    return session


def _propose(s: scint.Session, program: str = 'notes.put(key="k", value=1)') -> dict:
    with pytest.raises(scint.NeedsApproval, match="proposal p") as caught:
        s.run(program, actor="process:lit")
    return caught.value.proposal


def test_a_matching_action_becomes_a_proposal_not_a_change(guarded: scint.Session) -> None:
    v = guarded.version
    p = _propose(guarded, 'notes.put(key="a", value=1); notes.put(key="k", value=1)')
    assert guarded.view().get("notes")["data"] == {}
    assert (p["id"], p["proposer"], p["version"], p["status"], p["error"]) == ("p1", "process:lit", v, "pending", None)
    assert "notes.put" in p["program"]
    assert guarded.proposals() == [p]
    assert guarded.view().get("lit")["status"] == "waiting"
    # an action outside the globs runs as usual
    guarded.run('lit.add_task(title="t")', actor="process:lit")


def test_approve_runs_it_as_the_approver_with_the_proposer_in_provenance(guarded: scint.Session) -> None:
    _propose(guarded)
    out = guarded.approve("p1")
    assert (out["status"], out["applied"], out["decided_by"]) == ("approved", True, "human")
    assert guarded.view().get("notes")["data"] == {"k": 1}
    entry = guarded.log(limit=1)[0]
    assert entry.actor == "human"
    assert guarded.view().get("lit")["status"] == "idle"
    assert guarded.proposals() == [] and guarded.proposals(status="approved")[0]["id"] == "p1"
    assert "approved" in guarded.inbox("lit")[-1]["content"]
    assert guarded.replay().render("json") == guarded.view().render("json")


def test_approve_with_an_edit_runs_the_edit(guarded: scint.Session) -> None:
    _propose(guarded)
    guarded.approve("p1", edit='notes.put(key="k", value=2)')
    assert guarded.view().get("notes")["data"] == {"k": 2}


def test_reject_delivers_the_reason_and_changes_nothing(guarded: scint.Session) -> None:
    _propose(guarded)
    out = guarded.reject("p1", "not now")
    assert (out["status"], out["reason"]) == ("rejected", "not now")
    assert guarded.view().get("notes")["data"] == {}
    [m] = guarded.inbox("lit")
    assert "not now" in m["content"] and m["from"] == "human"
    with pytest.raises(scint.ActionError, match="already rejected"):
        guarded.approve("p1")


def test_a_proposal_that_no_longer_runs_stays_pending_with_its_error(guarded: scint.Session) -> None:
    guarded.run('lit.add_task(title="a")')
    _propose(guarded, 'lit.t1.start(); notes.put(key="k", value=1)')
    guarded.run("lit.t1.start()")  # now the proposal's first statement fails
    out = guarded.approve("p1")
    assert out["applied"] is False and "t1 is doing" in out["error"]
    assert guarded.proposals()[0]["error"] == out["error"] and guarded.proposals()[0]["status"] == "pending"
    assert guarded.view().get("notes")["data"] == {}


def test_bad_ids_and_inputs(guarded: scint.Session) -> None:
    _propose(guarded)
    with pytest.raises(scint.ActionError, match="did you mean `p1`"):
        guarded.approve("p11")
    with pytest.raises(scint.BadArguments):
        guarded.reject("p1", "")
    with pytest.raises(scint.BadArguments):
        guarded.approve("p1", edit=3)  # type: ignore[arg-type]
    with pytest.raises(scint.BadArguments):
        guarded.proposals(status="maybe")


def test_a_waiting_process_takes_no_steps_until_decided(guarded: scint.Session) -> None:
    guarded.llm = mock = MockProvider([{"program": 'notes.put(key="k", value=1)'}, "never asked"])
    assert guarded.run("lit.run(max_steps=5)").value is None
    assert len(mock.history) == 1  # the step that proposed; no more
    state = guarded.view().get("lit")
    assert state["status"] == "waiting" and "proposal p1" in state["transcript"][-1]["outputs"][0]
    guarded.run("lit.run(max_steps=5)")
    assert len(mock.history) == 1  # still waiting: no model call
    guarded.approve("p1")
    assert len(mock.history) == 1  # approving never calls a model
    assert guarded.run("lit.run(max_steps=5)").value == "never asked"
    assert "approved" in mock.history[1].messages[-1]["content"]


def test_ask_with_approve_proposes(guarded: scint.Session) -> None:
    guarded.llm = MockProvider([{"program": 'notes.put(key="z", value=1)'}])
    r = guarded.ask("put z", approve=True)
    assert r.proposal["id"] == "p1" and r.result is None
    assert guarded.view().get("notes")["data"] == {}
    guarded.approve("p1")
    assert guarded.view().get("notes")["data"] == {"z": 1}
