"""The scheduler (SPEC section 11) with MockProvider: which processes have work, messages waking a process that
had answered, the bounds, claims between schedulers, cancelling, progress, and the errors of its arguments."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from typing import Any

import pytest

import scint
from scint.agents import AgentReport, claims
from scint.llm import MockProvider, Reply, ToolCall
from tests.agents.loopback import PROCESS


def per_process(script: dict[str, list[Any]]) -> MockProvider:
    """A provider answering each process from its own list of scripted replies."""
    queues = {p: deque(r) for p, r in script.items()}

    def reply(request: Any) -> Any:
        return queues[PROCESS.search(request.messages[0]["content"]).group(1)].popleft()  # type: ignore[union-attr]

    return MockProvider([reply] * 1000)


def asked(mock: MockProvider) -> dict[str, int]:
    """How many model calls each process made."""
    out: dict[str, int] = {}
    for r in mock.history:
        path = PROCESS.search(r.messages[0]["content"]).group(1)  # type: ignore[union-attr]
        out[path] = out.get(path, 0) + 1
    return out


def by_path(reports: list[AgentReport]) -> dict[str, AgentReport]:
    return {r.path: r for r in reports}


@pytest.fixture
def m() -> scint.Session:
    with scint.open("memory://") as s:
        yield s


def test_every_process_with_work_runs_and_each_gets_a_report(session: scint.Session) -> None:
    s = session
    s.run(
        'create_context("team", type="Thread"); team.spawn(name="a", goal="ga"); team.spawn(name="b", goal="gb")\n'
        'create_context("person", type="Process", goal="gp", backend="human")\n'
        'create_context("held", type="Process", goal="gh"); held.pause(reason="lunch")\n'
        'create_context("poor", type="Process", goal="gx", budget={"steps": 0})\n'
        'create_context("finished", type="Process", goal="gf"); create_context("empty", type="Process")'
    )
    s.llm = MockProvider(["old answer"])
    s.run("finished.run()")
    s.llm = mock = per_process({"team.a": [{"program": 'self.add_task(title="x")'}, "A done"], "team.b": ["B done"]})
    reports = by_path(s.agents.run())
    assert list(reports) == ["team.a", "team.b", "person", "held", "poor", "finished", "empty"]
    assert asked(mock) == {"team.a": 2, "team.b": 1}  # nobody else was asked anything
    a, b = reports["team.a"], reports["team.b"]
    assert (a.steps, a.status, a.answer, a.reason) == (2, "done", "A done", None)
    assert (b.steps, b.status, b.answer) == (1, "done", "B done")
    assert reports["person"].steps == 0 and "waits for a person" in str(reports["person"].reason)
    assert (reports["held"].status, reports["held"].reason) == ("paused", "paused by human: lunch")
    assert reports["poor"].reason == "budget: 0 of 0 steps used"
    assert (reports["finished"].steps, reports["finished"].answer) == (0, "old answer")
    assert reports["empty"].reason == "no goal and no unread messages"
    assert str(a) == "team.a: done after 2 steps: A done"
    assert all(s.view().get(p)["claimed"] is None for p in reports)  # every claim released
    owner = {e.actor for e in s.log() if e.actor.startswith("scheduler:")}
    assert len(owner) == 1  # the claims are recorded, by the scheduler's owner id
    assert s.agents.run() and asked(mock) == {"team.a": 2, "team.b": 1}  # nothing has work now: no model call
    assert s.replay().render("json") == s.view().render("json")  # the whole run replays with no model


def test_a_message_gives_a_process_that_answered_work_again(m: scint.Session) -> None:
    m.run('create_context("a", type="Process", goal="ask b"); create_context("b", type="Process", goal="answer")')
    m.llm = MockProvider(["ready"])
    m.run("b.run()")  # b has answered: it has no work until a message comes
    m.llm = mock = per_process(
        {
            "a": [{"program": 'send(to="b", content="what is 6*7?", kind="query")'}, "asked", "got 42"],
            "b": [{"program": 'reply(to="m1", content="42")'}, "replied"],
        }
    )
    reports = by_path(m.agents.run())
    assert asked(mock) == {"a": 3, "b": 2}
    assert (reports["a"].steps, reports["a"].answer) == (3, "got 42")
    assert (reports["b"].steps, reports["b"].answer) == (2, "replied")
    delivered = [e["messages"] for e in m.view().get("a")["transcript"] if "messages" in e]
    assert delivered == [[{"id": "m2", "from": "b", "kind": "reply", "content": "42", "reply_to": "m1"}]]
    assert m.inbox("a") == [] and m.inbox("b") == []


def test_a_spawned_process_with_a_goal_is_run_too(m: scint.Session) -> None:
    m.run('create_context("team", type="Thread"); team.spawn(name="lead", goal="lead")')
    m.llm = mock = per_process(
        {"team.lead": [{"program": 'self.spawn(name="kid", goal="help")'}, "led"], "team.lead.kid": ["helped"]}
    )
    reports = by_path(m.agents.run(["team"]))
    assert asked(mock) == {"team.lead": 2, "team.lead.kid": 1}
    assert reports["team.lead.kid"].answer == "helped"


def test_max_steps_bounds_each_process_and_total_steps_all_of_them(m: scint.Session) -> None:
    m.run('create_context("a", type="Process", goal="loop"); create_context("b", type="Process", goal="loop")')
    m.llm = MockProvider([{"program": 'self.add_task(title="again")'}] * 100)
    reports = by_path(m.agents.run(max_steps=3))
    assert [(r.steps, r.status, r.reason) for r in reports.values()] == [(3, "stopped", "max_steps=3 reached")] * 2
    reports = by_path(m.agents.run(total_steps=4, max_steps=10))
    assert sum(r.steps for r in reports.values()) == 4
    assert {r.reason for r in reports.values()} == {"the run used its 4 model steps"}


def test_paths_choose_the_processes(m: scint.Session) -> None:
    m.run('create_context("x", type="Thread"); x.spawn(name="p", goal="g")')
    m.run('create_context("y", type="Process", goal="g")')
    m.llm = mock = MockProvider(["done"] * 5)
    assert [r.path for r in m.agents.run(["y"])] == ["y"]
    assert asked(mock) == {"y": 1}
    assert [r.path for r in m.agents.run("x")] == ["x.p"]


def test_progress_is_told_each_step_and_nothing_is_printed(m: scint.Session, capsys: pytest.CaptureFixture) -> None:
    m.run('create_context("a", type="Process", goal="g")')
    m.llm = MockProvider([{"program": 'self.add_task(title="t")'}, {"program": 'self.add_task(title="u")'}, "ok"])
    seen: list[AgentReport] = []
    m.agents.run(progress=seen.append)
    assert [(r.steps, r.running) for r in seen] == [(0, True), (1, True), (2, True), (3, True), (3, False)]
    assert seen[-1].status == "done"
    assert capsys.readouterr() == ("", "")


def other_claims(s: scint.Session, path: str, owner: str = "scheduler:other") -> list[str]:
    yes: Callable[..., bool] = lambda *_: True  # noqa: E731
    return claims.claim_work(s, owner, wanted=lambda p: p == path, eligible=yes, limit=1)


def test_a_process_claimed_by_another_scheduler_waits_until_the_claim_lapses(
    m: scint.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    m.run('create_context("a", type="Process", goal="g")')
    assert other_claims(m, "a") == ["a"]
    m.llm = mock = MockProvider(["done"])
    report = m.agents.run()[0]
    assert mock.history == [] and report.reason == "run by another scheduler (scheduler:other)"
    assert other_claims(m, "a", "scheduler:third") == []  # nobody else may take it either
    now = claims.wall()
    monkeypatch.setattr(claims, "wall", lambda: now + claims.TTL + 1)  # the other scheduler crashed long ago
    report = m.agents.run()[0]
    assert (report.steps, report.answer) == (1, "done") and m.view().get("a")["claimed"] is None


def test_a_process_a_scheduler_runs_cannot_be_run_by_hand_meanwhile(m: scint.Session) -> None:
    m.run('create_context("lead", type="Process", goal="g"); lead.spawn(name="kid", goal="k")')
    assert other_claims(m, "lead.kid") == ["lead.kid"]
    m.llm = MockProvider([{"program": "self.kid.run(max_steps=2)"}, "gave up on kid", "kid done"])
    with pytest.raises(scint.ActionError, match=r"lead\.kid is being run by scheduler:other"):
        m.run("lead.kid.run()")
    assert m.run("lead.run(max_steps=2)").value == "gave up on kid"
    output = m.view().get("lead")["transcript"][0]["outputs"][0]
    assert "is being run by scheduler:other" in output  # the lead's model is told, and goes on
    assert m.view().get("lead.kid")["transcript"] == []


def test_a_claim_committed_meanwhile_makes_the_claiming_program_retry_and_leave_it(
    open_session: Callable[..., scint.Session], backend: str
) -> None:
    if backend == "memory":  # a store of one session: nobody else can commit meanwhile
        return
    s1, s2 = open_session(), open_session()
    s1.run('create_context("a", type="Process", goal="g"); create_context("b", type="Process", goal="g")')
    looked: list[str] = []

    def eligible(path: str, state: dict, unread: int) -> bool:
        looked.append(path)
        if looked == ["a"]:  # another scheduler claims `a` while this program runs
            assert other_claims(s2, "a") == ["a"]
        return True

    taken = claims.claim_work(s1, "scheduler:me", wanted=lambda p: True, eligible=eligible, limit=5)
    assert taken == ["b"]  # the first attempt (which took `a` too) failed on the version; the retry saw the claim
    assert looked == ["a", "b", "b"]
    assert s1.view().get("a")["claimed"]["by"] == "scheduler:other"
    assert s1.view().get("b")["claimed"]["by"] == "scheduler:me"


class Stuck:
    """A provider whose calls never return (a slow model), and that says when `n` are in flight."""

    model, api, tool_kind = "stuck", "chat", "function"

    def __init__(self, n: int) -> None:
        self.n = n
        self.calls = 0
        self.in_flight = asyncio.Event()

    def complete(self, messages: Any, tools: Any) -> Reply:
        raise AssertionError("the scheduler calls acomplete")

    async def acomplete(self, messages: Any, tools: Any) -> Reply:
        self.calls += 1
        if self.calls == self.n:
            self.in_flight.set()
        if len(messages) > 2:  # the step after the first: it waits forever
            await asyncio.Event().wait()
        program = json.dumps({"program": 'self.add_task(title="t")'})
        call = ToolCall(id="c1", name="scint", kind="function", input=program)
        return Reply(tool_calls=[call])


def test_cancelling_arun_stops_the_runs_cleanly(persistent_url: str) -> None:
    with scint.open(persistent_url) as s:
        s.run('create_context("a", type="Process", goal="g"); create_context("b", type="Process", goal="g")')
        stuck = Stuck(4)  # both took their first step and are in their second model call

        async def main() -> None:
            task = asyncio.ensure_future(s.agents.arun(provider=stuck))
            await stuck.in_flight.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(main())
        for p in ("a", "b"):
            state = s.view().get(p)
            assert state["status"] == "stopped" and state["claimed"] is None
            assert [list(e) for e in state["transcript"]] == [
                ["text", "tokens", "model", "calls", "outputs"],  # the first step, whole
                ["stopped"],
            ]
            assert state["transcript"][-1]["stopped"] == "interrupted (CancelledError)"
            assert state["transcript"][0]["outputs"][0].startswith("ok") and s.view(p).paths() == [p, p + ".t1"]
        assert s.run('create_context("after")').version > 0  # the session is usable
    with scint.open(persistent_url) as again:  # and the store holds exactly that
        assert again.view().get("a")["status"] == "stopped"


def test_arguments_are_checked(m: scint.Session) -> None:
    m.run('create_context("notes"); create_context("a", type="Process", goal="g")')
    for kwargs, message in [
        ({"max_steps": 0}, "max_steps must be a whole number from 1 to 1,000"),
        ({"max_steps": "3"}, "max_steps must be"),
        ({"paths": ["nosuch"]}, "there is no context `nosuch`"),
        ({"paths": ["notes"]}, "`notes` is a Container with no process at or under it"),
        ({"paths": [3]}, "a path is text"),
        ({"paths": 3}, "paths is a list of context paths"),
        ({"progress": 3}, "progress must be a function"),
        ({"concurrency": 0}, "concurrency must be"),
        ({"provider": "gpt"}, "provider must be a scint.llm provider"),
        ({"actor": ""}, "actor must be text"),
    ]:
        with pytest.raises(scint.BadArguments, match=message):
            m.agents.run(**kwargs)

    async def inside_a_loop() -> None:
        m.agents.run()

    with pytest.raises(scint.ScintError, match=r"await session\.agents\.arun"):
        asyncio.run(inside_a_loop())


def test_a_run_that_cannot_start_is_reported_and_the_others_go_on(m: scint.Session) -> None:
    m.run('create_context("a", type="Process", goal="g"); create_context("b", type="Process", goal="g")')
    m.run('a.configure(settings={"endpoint": {"name": "gone", "model": "x", "base_url": "http://127.0.0.1:9/v1"}})')
    m.llm = MockProvider(["b done"])
    reports = by_path(m.agents.run())
    assert reports["b"].answer == "b done"
    a = reports["a"]
    assert (a.steps, a.status) == (0, "failed") and "the run of a failed" in str(a.reason)


def test_a_claim_is_renewed_only_by_its_holder(m: scint.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    m.run('create_context("a", type="Process", goal="g")')
    monkeypatch.setattr(claims, "wall", lambda: 1000.0)
    assert other_claims(m, "a", "scheduler:me") == ["a"]
    monkeypatch.setattr(claims, "wall", lambda: 1500.0)
    yes: Callable[..., bool] = lambda *_: True  # noqa: E731
    claims.claim_work(m, "scheduler:me", wanted=yes, eligible=yes, limit=0, renew=["a"])
    assert m.view().get("a")["claimed"] == {"by": "scheduler:me", "at": 1500.0, "ttl": claims.TTL}
    claims.claim_work(m, "scheduler:other", wanted=yes, eligible=yes, limit=0, renew=["a"])  # not its claim
    claims.claim_work(m, "scheduler:other", wanted=yes, eligible=yes, limit=0, release=["a"])
    assert m.view().get("a")["claimed"]["by"] == "scheduler:me"
    with pytest.raises(scint.ScintError, match="has no action `claim`"):
        m.run('a.claim(by="x", at=0, ttl=1)')  # the language cannot reach it
    claims.claim_work(m, "scheduler:me", wanted=yes, eligible=yes, limit=0, release=["a"])
    assert m.view().get("a")["claimed"] is None


def test_a_scheduled_run_reruns_on_a_new_branch_without_its_claims(m: scint.Session) -> None:
    m.run('create_context("a", type="Process", goal="ga"); create_context("b", type="Process", goal="gb")')
    since = m.version
    m.llm = MockProvider([{"program": 'self.add_task(title="x")'}, "A", "B"])
    m.agents.run()
    m.llm = again = MockProvider([{"program": 'self.add_task(title="y")'}, "A2", "B2"])
    assert m.rerun(since=since, branch="again").failures == ()
    assert len(again.history) == 3  # each run asked its model again
    m.checkout("again")
    assert [(m.view().get(p)["answer"], m.view().get(p)["claimed"]) for p in "ab"] == [("A2", None), ("B2", None)]
    assert not any(e.actor.startswith("scheduler:") for e in m.log())  # the claims belonged to the first run
