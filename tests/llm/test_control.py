"""Budgets over a process's whole life, pause/resume/stop, and fork (SPEC section 9): enforced before every model
step, recorded as events, and replayed exactly without a model."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scint
from scint.llm import MockProvider, Reply, ToolCall, Usage, control


def step(program: str, tokens: tuple[int, int] = (10, 5)) -> Reply:
    """A reply calling the scint tool with `program`, reporting `tokens` (input, output) as the API would."""
    return Reply(tool_calls=(ToolCall.function(program, "c"),), usage=Usage(*tokens))


def answer(text: str, tokens: tuple[int, int] = (10, 5)) -> Reply:
    return Reply(text=text, usage=Usage(*tokens))


@pytest.fixture
def p(stored: scint.Session) -> scint.Session:
    stored.run(
        'create_context("notes"); create_context("research", type="Thread")\n'
        'research.spawn(name="lit", goal="find")\nresearch.lit.add_task(title="search")'
    )
    return stored


def lit(p: scint.Session, path: str = "research.lit") -> dict[str, Any]:
    return p.view().get(path)


def configure(p: scint.Session, **settings: Any) -> None:
    p.run("research.lit.configure(settings=$s)", params={"s": settings})


def test_a_steps_budget_counts_across_runs_and_then_no_step_is_taken(p: scint.Session) -> None:
    configure(p, budget={"steps": 3})
    p.llm = mock = MockProvider([step('self.t1.start()'), step("self.tasks()"), step("self.tasks()")])
    assert p.run("research.lit.run(max_steps=2)").value is None
    assert lit(p)["used"] == {"steps": 2, "tokens": 30, "seconds": lit(p)["used"]["seconds"]}
    assert p.run("research.lit.run(max_steps=5)").value is None  # one more step, then the budget stops it
    state = lit(p)
    assert len(mock.history) == 3 and state["status"] == "stopped"
    assert state["transcript"][-1] == {"stopped": "budget: 3 of 3 steps used"}
    assert (state["used"]["steps"], state["used"]["tokens"]) == (3, 45)
    events = p.run("research.lit.run(max_steps=5)").events  # out of budget: returns at once, says why
    assert len(mock.history) == 3 and [e.action for e in events] == ["record", "set_status"]
    assert lit(p)["transcript"][-1] == {"stopped": "budget: 3 of 3 steps used"}
    assert p.run("research.lit.usage()").value["steps"] == {"used": 3, "limit": 3}
    configure(p, budget={"steps": 4})  # a person raises it: the process may step again
    mock.enqueue(answer("done"))
    assert p.run("research.lit.run()").value == "done" and lit(p)["used"]["steps"] == 4


def test_a_tokens_budget_stops_the_run_once_the_reported_tokens_reach_it(p: scint.Session) -> None:
    configure(p, budget={"tokens": 25})
    p.llm = mock = MockProvider([step("self.tasks()", (12, 3)), step("self.tasks()", (12, 3)), answer("never")])
    assert p.run("research.lit.run(max_steps=10)").value is None
    assert len(mock.history) == 2 and mock.pending == 1
    assert lit(p)["transcript"][-1] == {"stopped": "budget: 30 of 25 tokens used"}
    assert lit(p)["used"]["tokens"] == 30


def test_a_seconds_budget_measures_each_step_by_the_clock(p: scint.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(control, "clock", lambda: now[0])

    def slow(request: Any) -> Reply:  # the model takes 40 seconds to answer
        now[0] += 40.0
        return step("self.tasks()")

    configure(p, budget={"seconds": 60})
    p.llm = mock = MockProvider([slow, slow, slow])
    assert p.run("research.lit.run(max_steps=10)").value is None
    assert len(mock.history) == 2 and lit(p)["used"]["seconds"] == 80.0
    assert lit(p)["transcript"][-1] == {"stopped": "budget: 80 of 60 seconds used"}
    now[0] += 3600  # time between runs is not the process's: still 80 seconds used
    assert p.run("research.lit.run()").value is None and len(mock.history) == 2
    assert lit(p)["used"]["seconds"] == 80.0


@pytest.mark.parametrize(
    "budget",
    [{"steps": -1}, {"steps": 1.5}, {"tokens": "many"}, {"seconds": float("inf")}, {"minutes": 3}, {"steps": True}],
)
def test_a_budget_must_be_whole_steps_and_tokens_and_seconds(p: scint.Session, budget: dict[str, Any]) -> None:
    with pytest.raises(scint.BadArguments, match="budget"):
        configure(p, budget=budget)
    assert lit(p)["budget"] == {}


def test_pause_resume_and_stop_with_no_model_call_while_held(p: scint.Session) -> None:
    p.llm = mock = MockProvider()
    p.run('research.lit.pause(reason="lunch")')
    assert (lit(p)["status"], lit(p)["hold"]) == ("paused", {"status": "paused", "by": "human", "reason": "lunch"})
    assert p.run("research.lit.run()").value is None
    assert mock.history == [] and lit(p)["status"] == "paused"
    assert lit(p)["transcript"][-1] == {"stopped": "paused by human: lunch"}
    p.run('research.lit.spawn(name="sub", goal="help")')
    p.run("research.lit.sub.run()")  # a paused parent's children take no steps either
    assert mock.history == [] and lit(p, "research.lit.sub")["transcript"] == [
        {"stopped": "research.lit is paused by human: lunch"}
    ]
    assert p.run("research.lit.resume()").value == "idle" and lit(p)["hold"] is None
    mock.enqueue(answer("found"))
    assert p.run("research.lit.run()").value == "found" and len(mock.history) == 1
    p.run("research.lit.stop()")
    assert lit(p)["status"] == "stopped" and p.run("research.lit.run()").value is None
    assert len(mock.history) == 1 and lit(p)["transcript"][-1] == {"stopped": "stopped by human"}
    with pytest.raises(scint.ActionError, match="nothing to resume"):
        p.run("research.lit.sub.resume()")


def test_who_holds_a_process_is_the_actor_and_a_process_lifts_only_its_own_holds(p: scint.Session) -> None:
    p.run('research.lit.spawn(name="sub", goal="help")')
    p.run('research.lit.sub.pause(by="process:research.lit")')  # `by` is the caller, whatever the program says
    assert lit(p, "research.lit.sub")["hold"]["by"] == "human"
    with pytest.raises(scint.PermissionDenied, match="lifts only a hold that it or a process below it placed"):
        p.run("research.lit.sub.resume()", actor="process:research.lit")
    p.run("research.lit.sub.resume()")
    p.run("research.lit.sub.pause()", actor="process:research.lit")  # a parent pauses its child, and resumes it
    assert p.run("research.lit.sub.resume()", actor="process:research.lit").value == "idle"
    with pytest.raises(scint.PermissionDenied, match=r"lacks the capability `research\.lit\.pause`"):
        p.run("research.lit.pause()", actor="process:research.lit.sub")  # not its parent


def test_a_process_that_pauses_itself_stops_before_its_next_step(p: scint.Session) -> None:
    p.llm = mock = MockProvider([step('self.pause(reason="waiting for a person")'), answer("never")])
    assert p.run("research.lit.run(max_steps=5)").value is None
    state = lit(p)
    assert len(mock.history) == 1 and state["status"] == "paused"
    assert state["hold"]["by"] == "process:research.lit"
    assert state["transcript"][-1] == {"stopped": "paused by process:research.lit: waiting for a person"}
    p.run("research.lit.resume()")  # a person may lift any hold
    assert p.run("research.lit.run()").value == "never"


def test_fork_copies_a_process_and_both_go_on_their_own(p: scint.Session) -> None:
    configure(p, can=["self.**", "notes.get"], budget={"steps": 10})
    p.llm = mock = MockProvider([step("self.t1.start()")])
    p.run("research.lit.run(max_steps=1)")
    assert p.run('research.lit.fork(name="alt")').value == "research.alt"
    a, b = lit(p), lit(p, "research.alt")
    assert b["status"] == "idle" and b["hold"] is None
    for field in ("goal", "can", "budget", "used", "backend", "next_task"):
        assert a[field] == b[field]
    assert b["transcript"] == [*a["transcript"], {"forked": "research.lit"}]
    assert lit(p, "research.alt.t1")["status"] == "doing" and lit(p, "research.alt.t1")["title"] == "search"
    mock.enqueue(step('self.add_task(title="left")'), answer("a"), step('self.add_task(title="right")'), answer("b"))
    assert p.run("research.lit.run()").value == "a" and p.run("research.alt.run()").value == "b"
    assert [t["title"] for t in p.run("research.lit.tasks()").value] == ["search", "left"]
    assert [t["title"] for t in p.run("research.alt.tasks()").value] == ["search", "right"]
    assert lit(p)["used"]["steps"] == lit(p, "research.alt")["used"]["steps"] == 3
    with pytest.raises(scint.ConflictError, match="already exists"):
        p.run('research.lit.fork(name="alt")')
    with pytest.raises(scint.PermissionDenied, match=r"notes\.put"):  # the copy has at most the original's capabilities
        p.run('notes.put(key="x", value=1)', actor="process:research.alt")


def test_a_process_forks_only_where_it_may_create(p: scint.Session) -> None:
    p.run('research.lit.spawn(name="sub", goal="help")')
    with pytest.raises(scint.PermissionDenied, match=r"research\.twin\.create_context"):
        p.run('research.lit.fork(name="twin")', actor="process:research.lit")
    assert p.run('research.lit.sub.fork(name="sub2")', actor="process:research.lit").value == "research.lit.sub2"
    p.run('create_context("solo", type="Process", goal="alone")')
    assert p.run('solo.fork(name="solo2")').value == "solo2"  # a top-level process forks at the top
    with pytest.raises(scint.BadArguments, match="built-in name"):
        p.run('solo.fork(name="history")')


def test_replay_and_a_reopened_store_rebuild_it_all_without_a_model(
    p: scint.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [0.0]
    monkeypatch.setattr(control, "clock", lambda: now[0])

    def slow(request: Any) -> Reply:
        now[0] += 2.5
        return step("self.t1.start()")

    configure(p, budget={"steps": 3})
    p.llm = mock = MockProvider([slow, answer("x"), step("self.tasks()")])
    p.run("research.lit.run()")
    p.run('research.lit.fork(name="alt")')
    p.run("research.lit.pause()")
    p.run("research.lit.run()")
    p.run("research.alt.run()")
    p.run("research.alt.run()")  # out of budget
    calls = len(mock.history)
    assert p.replay().to_json() == p.view().to_json()
    with scint.open(p.url) as again:
        assert again.view().to_json() == p.view().to_json()
    assert len(mock.history) == calls == 3
    assert lit(p)["used"]["seconds"] == 2.5 and lit(p, "research.alt")["used"]["steps"] == 3


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=70))
def test_any_fork_name_makes_a_copy_or_is_refused_clearly(s: scint.Session, name: str) -> None:
    if "t" not in s.view():
        s.run('create_context("t", type="Thread"); t.spawn(name="a", goal="g")')
    before = s.view().to_json()
    try:
        path = s.run("t.a.fork(name=$n)", params={"n": name}).value
    except (scint.BadArguments, scint.ConflictError):
        assert s.view().to_json() == before
    else:
        assert path == f"t.{name}" and s.view().get(path)["goal"] == "g"
        s.run("drop_context(path=$p)", params={"p": path})


@settings(max_examples=25, deadline=None)
@given(limit=st.integers(1, 4), runs=st.lists(st.integers(1, 3), min_size=1, max_size=4))
def test_a_steps_budget_is_never_exceeded_whatever_the_runs(limit: int, runs: list[int]) -> None:
    with scint.open("memory://") as s:
        s.run('create_context("p", type="Process", goal="g", budget=$b)', params={"b": {"steps": limit}})
        s.llm = mock = MockProvider([step("self.tasks()")] * 20)
        for max_steps in runs:
            s.run(f"p.run(max_steps={max_steps})")
        assert len(mock.history) == s.view().get("p")["used"]["steps"] == min(limit, sum(runs))


@pytest.mark.parametrize("budget", [{"steps": -1}, {"hours": 1}, "20 steps"])
def test_a_process_created_with_a_bad_budget_is_refused(s: scint.Session, budget: Any) -> None:
    with pytest.raises(scint.BadArguments, match="budget"):
        s.run('create_context("p", type="Process", budget=$b)', params={"b": budget})
    assert "p" not in s.view()
