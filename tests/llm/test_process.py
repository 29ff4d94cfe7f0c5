"""Process.run with MockProvider: model steps as commits, scope, children, limits, replay without a model,
concurrency."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import scint
from scint.llm import MockProvider, Reply, RunLimits, ToolCall, Usage, arun_processes, run_process


@pytest.fixture
def p(s: scint.Session) -> scint.Session:
    s.run('create_context("notes"); create_context("research", type="Thread"); research.spawn(name="lit", goal="find")')
    return s


def test_a_run_works_the_goal_and_records_every_step(p: scint.Session) -> None:
    p.llm = mock = MockProvider([{"program": 't = self.add_task(title="search"); self.t1.start()'}, "found three"])
    r = p.run("research.lit.run(max_steps=5)")
    assert r.value == "found three"
    state = p.view().get("research.lit")
    assert (state["status"], state["answer"]) == ("done", "found three")
    assert p.view().get("research.lit.t1")["status"] == "doing"
    step, answer = state["transcript"]
    assert step["calls"][0]["kind"] == "function" and step["outputs"] == [
        'ok (committed, version 6): ["research.lit.t1","doing"]'
    ]
    assert answer["text"] == "found three"
    actors = {e.actor for e in p.log()}
    assert actors == {"human", "process:research.lit"}
    program = next(e for e in p.log() if e.source.startswith("t = research.lit.add_task"))
    assert (
        program.source == 't = research.lit.add_task(title="search")\nresearch.lit.t1.start()\n'
    )  # `self` spelled out
    assert program.request == {"process": "research.lit", "step": 1, "model": "mock", "call": "call_1"}
    # the model read its goal, its subtree, and in step 2 its own call and the output
    first, second = mock.history
    assert (
        first.messages[1]["content"] == "Your goal: find" and "research.lit (Process)" in first.messages[0]["content"]
    )
    assert "notes (Container)" not in first.messages[0]["content"]
    assert second.messages[-1]["role"] == "tool" and second.messages[-1]["content"].startswith("ok")


def test_max_steps_stops_with_the_status_recorded(p: scint.Session) -> None:
    p.llm = MockProvider([{"program": 'self.add_task(title="x")'}] * 2)
    assert p.run("research.lit.run(max_steps=2)").value is None
    state = p.view().get("research.lit")
    assert state["status"] == "stopped" and state["transcript"][-1] == {"stopped": "max_steps=2 reached"}


def test_a_process_may_call_only_what_its_capabilities_allow(p: scint.Session) -> None:
    """Deny by default (SPEC section 10): a process's default capabilities are its own subtree and its messages."""
    p.llm = mock = MockProvider(
        [{"program": 'notes.put(key="x", value=1)'}, {"program": "notes.keys()"}, {"program": "self.tasks()"}, "ok"]
    )
    p.run("research.lit.run()")
    transcript = p.view().get("research.lit")["transcript"]
    outputs = [step["outputs"][0] for step in transcript if "outputs" in step]
    assert "nudge" in transcript[2]  # two failing steps in a row: the third prompt says so (SPEC 14)
    assert outputs[0].startswith("error: PermissionDenied: statement 1")
    assert "lacks the capability `notes.put`" in outputs[0]
    assert "lacks the capability `notes.keys`" in outputs[1]  # reading another context needs a capability too
    assert outputs[2].startswith("ok")
    assert p.view().get("notes")["data"] == {}
    assert len(mock.history) == 4
    with pytest.raises(scint.PermissionDenied, match="outside it"):
        p.run("research.lit.run()", actor="process:other", scope="other")
    with pytest.raises(scint.PermissionDenied, match=r"research\.lit\.run"):
        p.run("research.lit.run()", actor="process:other")


def test_a_process_granted_more_may_call_it(p: scint.Session) -> None:
    p.run('research.lit.configure(settings={"can": ["notes.*", "self.**"]})')
    p.llm = MockProvider([{"program": 'notes.put(key="x", value=1); notes.keys()'}, "ok"])
    p.run("research.lit.run()")
    assert p.view().get("notes")["data"] == {"x": 1}
    assert p.log()[1].actor == "process:research.lit"


def test_a_process_spawns_and_runs_a_child(p: scint.Session) -> None:
    p.llm = mock = MockProvider(
        [
            {"program": 'self.spawn(name="sub", goal="read one paper")'},
            {"program": "self.sub.run(max_steps=3)"},
            {"program": 'self.add_task(title="read")'},  # the child's first step
            "the paper says X",  # the child's answer
            "summary: X",
        ]
    )
    assert p.run("research.lit.run()").value == "summary: X"
    view = p.view()
    assert view.get("research.lit.sub")["answer"] == "the paper says X"
    assert view.get("research.lit.sub.t1")["title"] == "read"
    assert view.get("research.lit")["transcript"][1]["outputs"] == ['ok (committed, version 11): "the paper says X"']
    child_step = next(e for e in p.log() if e.source == 'research.lit.sub.add_task(title="read")')
    assert child_step.actor == "process:research.lit.sub"
    assert "You are the process `research.lit.sub`" in mock.history[2].messages[0]["content"]


def test_depth_and_budget_limits(p: scint.Session) -> None:
    mock = MockProvider([{"program": 'self.spawn(name="sub", goal="g")'}, {"program": "self.sub.run()"}, "done"])
    run_process(p, "research.lit", provider=mock, limits=RunLimits(max_depth=1))
    out = p.view().get("research.lit")["transcript"][1]["outputs"][0]
    assert out.startswith("error: LimitExceeded") and "1 deep" in out
    big = Reply(tool_calls=(ToolCall.function("contexts()"),), usage=Usage(900, 100))
    spent = MockProvider([big, big, big])
    assert run_process(p, "research.lit.sub", provider=spent, limits=RunLimits(max_tokens=1500)) is None
    state = p.view().get("research.lit.sub")
    assert state["status"] == "stopped" and state["transcript"][-1] == {"stopped": "the run used its 1,500 tokens"}
    assert len(spent.history) == 2


def test_run_must_be_a_program_of_its_own(p: scint.Session) -> None:
    p.llm = mock = MockProvider()
    with pytest.raises(scint.ActionError, match=r"research.lit.run\(\) must be the only statement"):
        p.run('create_context("x"); research.lit.run()')
    with pytest.raises(scint.BadArguments, match=r"`max_steps` must be from 1"):
        p.run("research.lit.run(max_steps=0)")
    with pytest.raises(scint.BadArguments, match="constant arguments"):
        p.run("research.lit.run(max_steps=$n)")
    assert p.run("research.lit.run()", dry_run=True).value is None
    assert mock.history == [] and p.view().get("research.lit")["status"] == "idle"
    p.run('create_context("c", type="Composer"); c.define(name="w", body="notes.keys()")')
    assert p.run('c.run(name="w")').value == []  # other contexts' `run` is untouched


def test_replay_and_export_call_no_model_but_rerun_does(p: scint.Session, tmp_path: Path) -> None:
    p.llm = mock = MockProvider([{"program": 'self.add_task(title="a")'}, "answer"])
    p.run("research.lit.run()")
    calls = len(mock.history)
    assert p.replay().to_json() == p.view().to_json()
    p.export(tmp_path / "run.jsonl")
    with scint.load(tmp_path / "run.jsonl") as loaded:
        assert loaded.view().to_json() == p.view().to_json()
        assert loaded.view().get("research.lit")["answer"] == "answer"
    assert len(mock.history) == calls  # replay and export/load never call the model
    # rerun re-executes with the current code: the process runs again and its model is asked again.
    mock.enqueue({"program": 'self.add_task(title="b")'}, "second answer")
    since = p.log()[-1].version  # after the setup program
    report = p.rerun(since=since, branch="again")
    assert report.failures == ()
    assert len(mock.history) == calls + 2
    p.checkout("again")
    lit = p.view().get("research.lit")
    assert lit["answer"] == "second answer"
    assert [t["title"] for t in p.run("research.lit.tasks()").value] == ["b"]


def test_a_second_run_continues_from_the_transcript(p: scint.Session) -> None:
    p.llm = mock = MockProvider(["first answer", "second answer"])
    p.run("research.lit.run()")
    assert p.run("research.lit.run()").value == "second answer"
    messages = mock.history[1].messages
    assert messages[-2] == {"role": "assistant", "content": "first answer"}
    assert messages[-1]["role"] == "user"


def test_a_failing_service_marks_the_run_failed(p: scint.Session) -> None:
    p.llm = MockProvider([ConnectionError("down")])
    with pytest.raises(scint.LLMError, match="down"):
        p.run("research.lit.run()")
    assert p.view().get("research.lit")["status"] == "failed"


class Rendezvous:
    """An async provider whose first replies wait until `n` requests are in flight at once."""

    model, api, tool_kind = "rv", "chat", "function"

    def __init__(self, n: int) -> None:
        self.barrier = asyncio.Barrier(n)
        self.seen: list[str] = []

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Reply:
        raise AssertionError("the concurrent run must not block on a synchronous call")

    async def acomplete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Reply:
        me = messages[0]["content"].split("`")[1]
        self.seen.append(me)
        if self.seen.count(me) == 1:
            await asyncio.wait_for(self.barrier.wait(), timeout=10)
            return Reply(tool_calls=(ToolCall.function('self.add_task(title="t")'),), model="rv")
        return Reply(text=f"{me} done", model="rv")


def test_a_threads_processes_run_concurrently(p: scint.Session) -> None:
    p.run('research.spawn(name="b", goal="g2"); research.spawn(name="c", goal="g3")')
    rv = Rendezvous(3)
    paths = ["research.lit", "research.b", "research.c"]
    answers = asyncio.run(arun_processes(p, paths, provider=rv))
    assert answers == [f"{x} done" for x in paths]
    assert all(p.view().get(f"{x}.t1")["title"] == "t" for x in paths)
    assert all(p.view().get(x)["status"] == "done" for x in paths)


def test_a_process_may_not_switch_or_create_branches(p: scint.Session) -> None:
    p.llm = MockProvider([{"program": 'history.checkout(name="x")'}, {"program": 'history.branch(name="x")'}, "ok"])
    p.run("research.lit.run()")
    outputs = [e["outputs"][0] for e in p.view().get("research.lit")["transcript"][:2]]
    assert outputs[0].startswith("error: PermissionDenied") and "lacks the capability `history.checkout`" in outputs[0]
    assert outputs[1].startswith("error: PermissionDenied") and "lacks the capability `history.branch`" in outputs[1]
    assert [b["name"] for b in p.branches()] == ["main"]
