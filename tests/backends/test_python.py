"""`python:NAME` backends (SPEC 11): a registered function takes a process's steps, one message at a time; what
it returned and what ran is recorded, so replay and a reopened store never call it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

import scint
from scint.core.view import ContextMapView
from scint.llm import MockProvider, arun_process, arun_processes
from tests.backends.conftest import Calls

Register = Callable[[str, Callable[..., Any]], None]
GOAL = "find out how many eggs there are"
TWO = (
    f'create_context("asker", type="Process", goal="{GOAL}", backend="python:asker")\n'
    'create_context("counter", type="Process", backend="python:counter")'
)


def asker(message: dict[str, Any], view: Any) -> Any:
    if message["kind"] == "goal":
        return scint.parse('send(to="counter", content="how many eggs?", kind="query")')
    return f"the counter says {message['content']}"


def counter(message: dict[str, Any], view: Any) -> Any:
    return "12" if message["kind"] == "query" else None


@pytest.fixture
def exchange(s: scint.Session, backends: tuple[Calls, Register]) -> Calls:
    calls, register = backends
    register("asker", asker)
    register("counter", counter)
    s.run(TWO)
    return calls


def test_two_python_processes_exchange_a_query_and_its_reply(s: scint.Session, exchange: Calls) -> None:
    assert s.run("asker.run()").value is None  # its goal: it asked, and has nothing more to handle now
    [goal] = exchange.of("asker")
    assert goal == {"id": None, "from": "human", "to": "asker", "kind": "goal", "content": GOAL, "reply_to": None}
    assert s.view().get("asker")["status"] == "done"
    assert s.run("counter.run()").value is None
    [query] = exchange.of("counter")
    assert (query["id"], query["from"], query["to"], query["kind"]) == ("m1", "asker", "counter", "query")
    assert isinstance(exchange.views[-1], ContextMapView) and "asker" in exchange.views[-1]
    [answer] = s.inbox("asker")
    assert (answer["from"], answer["kind"], answer["reply_to"], answer["content"]) == ("counter", "reply", "m1", "12")
    assert s.run("asker.run()").value == "the counter says 12"
    state = s.view().get("asker")
    assert (state["status"], state["answer"]) == ("done", "the counter says 12")
    assert [e["goal"] for e in state["transcript"] if "goal" in e] == [GOAL]
    # everything was recorded: the reply program in the log, by the process
    reply = next(e for e in s.log() if e.source.startswith("reply("))
    assert reply.actor == "process:counter" and reply.request["backend"] == "python:counter"
    assert len(exchange) == 3
    # nothing is left to handle: a run takes no step, calls nothing, records nothing
    version = s.version
    assert s.run("counter.run()").value is None and s.run("asker.run()").value is None
    assert (s.version, len(exchange)) == (version, 3)


def test_replay_and_a_reopened_store_call_no_backend(s: scint.Session, exchange: Calls, store_url: str) -> None:
    for path in ("asker", "counter", "asker"):
        s.run(f"{path}.run()")
    view = s.view()
    assert len(exchange) == 3
    assert s.replay().to_json() == view.to_json()
    s.close()
    with scint.open(store_url) as again:
        assert again.view().to_json() == view.to_json()
        assert again.inbox("asker", unread=False)[0]["content"] == "12"
    assert len(exchange) == 3


def test_an_async_backend_is_awaited_in_async_and_sync_runs(s: scint.Session, backends: tuple[Calls, Register]) -> None:
    calls, register = backends
    register("asker", asker)

    async def slow_counter(message: dict[str, Any], view: Any) -> str:
        await asyncio.sleep(0)
        return "7"

    register("counter", slow_counter)
    s.run(TWO)
    answers = asyncio.run(arun_processes(s, ["asker", "counter"]))  # asker asks; counter answers
    assert answers == [None, None]
    assert asyncio.run(arun_process(s, "asker")) == "the counter says 7"
    assert len(calls) == 3
    # a synchronous run awaits an async function too (no event loop is running here)
    s.send("counter", "and now?", "query", actor="process:asker")
    s.run("counter.run()")
    assert s.inbox("asker")[-1]["content"] == "7"


def test_a_program_it_returns_runs_as_the_process_within_its_grants(
    s: scint.Session, backends: tuple[Calls, Register]
) -> None:
    calls, register = backends
    programs = iter(['notes.put(key="k", value=1)', 'self.add_task(title="tidy")'])
    register("worker", lambda message, view: scint.parse(next(programs)))
    s.run('create_context("notes")\ncreate_context("worker", type="Process", goal="work", backend="python:worker")')
    s.send("worker", "also this", actor="human")
    assert s.run("worker.run()").value is None
    assert len(calls) == 2
    state = s.view()
    assert state.get("notes")["data"] == {}  # outside its grants (self.** and messages): refused
    first, second = (e for e in state.get("worker")["transcript"] if "calls" in e)
    assert first["goal"] == "work" and first["outputs"][0].startswith("error: PermissionDenied")
    assert "notes.put" in first["outputs"][0]
    assert second["message"] == "m1" and second["outputs"][0].startswith("ok (committed")
    assert state.get("worker.t1")["title"] == "tidy"
    assert next(e for e in s.log() if "add_task" in e.source).actor == "process:worker"


@pytest.mark.parametrize(
    ("fn", "name", "words"),
    [
        (lambda m, v: 1 / 0, "broken", "backend python:broken raised ZeroDivisionError: division by zero"),
        (lambda m, v: {"text": "hi"}, "shapeless", "backend python:shapeless returned a dict; it returns a str"),
        (None, "ghost", "no backend `ghost` is registered"),
    ],
)
def test_a_failing_backend_fails_the_run_recorded_never_a_crash(
    s: scint.Session, backends: tuple[Calls, Register], fn: Any, name: str, words: str
) -> None:
    calls, register = backends
    if fn is not None:
        register(name, fn)
    s.run(f'create_context("p", type="Process", goal="g", backend="python:{name}")')
    with pytest.raises(scint.ScintError, match="the run of p failed") as caught:
        s.run("p.run()")
    assert words in str(caught.value)
    state = s.view().get("p")
    assert state["status"] == "failed" and words in state["transcript"][-1]["error"]
    assert len(calls) == (0 if fn is None else 1)
    with pytest.raises(scint.ScintError, match="failed"):
        asyncio.run(arun_process(s, "p"))  # on an event loop too (the goal is not marked handled: asked again)
    assert s.run("contexts()").value  # the session goes on


def test_a_goal_is_handed_over_once_and_again_when_it_changes(
    s: scint.Session, backends: tuple[Calls, Register]
) -> None:
    calls, register = backends
    register("quiet", lambda m, v: None)
    s.run('create_context("p", type="Process", goal="first", backend="python:quiet")')
    s.run("p.run()")
    version = s.version
    s.run("p.run()")
    assert (len(calls), s.version) == (1, version)
    s.run('p.configure(settings={"goal": "second"})')
    s.run("p.run()")
    assert [m["content"] for m in calls.of("quiet")] == ["first", "second"]


def test_each_step_handles_one_message_within_max_steps(s: scint.Session, backends: tuple[Calls, Register]) -> None:
    calls, register = backends
    register("echo", lambda m, v: f"echo {m['content']}")
    s.run('create_context("p", type="Process", backend="python:echo")')
    for word in ("a", "b", "c"):
        s.send("p", word, "query")
    assert s.run("p.run(max_steps=2)").value is None
    assert s.view().get("p")["status"] == "stopped" and len(calls) == 2
    assert [m["content"] for m in s.inbox()] == ["echo a", "echo b"]
    s.run("p.run(max_steps=2)")
    assert s.view().get("p")["status"] == "done" and [m["content"] for m in s.inbox()][-1] == "echo c"
    assert s.view().get("p")["used"]["steps"] == 3
    with pytest.raises(scint.BadArguments, match="1 to 10 messages"):
        s.deliver_messages("p", limit=0)


def test_a_stop_message_ends_the_run_at_that_step(s: scint.Session, backends: tuple[Calls, Register]) -> None:
    calls, register = backends
    register("echo", lambda m, v: f"echo {m['content']}")
    s.run('create_context("p", type="Process", backend="python:echo")')
    s.send("p", "one", "query")
    s.send("p", "that is all", "stop")
    s.send("p", "two", "query")
    assert s.run("p.run()").value is None
    state = s.view().get("p")
    assert state["status"] == "done" and state["transcript"][-1] == {"finished": "stop message m2 from human"}
    assert [m["content"] for m in calls.of("echo")] == ["one"]  # the stop is not handed to it, nor what follows
    assert [m["id"] for m in s.inbox("p")] == ["m3"]


def test_a_stop_message_ends_a_model_run_without_a_model_call(s: scint.Session) -> None:
    s.run('create_context("p", type="Process", goal="g")')
    s.send("p", "finish your work", "stop", actor="human")
    s.llm = mock = MockProvider()
    assert s.run("p.run(max_steps=3)").value is None
    state = s.view().get("p")
    assert state["status"] == "done" and state["transcript"][-1]["finished"] == "stop message m1 from human"
    assert mock.history == []


def test_its_steps_count_against_its_budget(s: scint.Session, backends: tuple[Calls, Register]) -> None:
    calls, register = backends
    register("echo", lambda m, v: f"echo {m['content']}")
    s.run('create_context("p", type="Process", backend="python:echo", budget={"steps": 1})')
    s.send("p", "one", "query")
    s.send("p", "two", "query")
    s.run("p.run()")
    state = s.view().get("p")
    assert len(calls) == 1 and state["status"] == "stopped" and "budget" in state["transcript"][-1]["stopped"]


def test_ctrl_c_in_a_backend_leaves_the_process_stopped_and_the_session_usable(
    s: scint.Session, backends: tuple[Calls, Register]
) -> None:
    calls, register = backends

    def interrupted(message: dict[str, Any], view: Any) -> str:
        raise KeyboardInterrupt

    register("ctrl_c", interrupted)
    s.run('create_context("p", type="Process", goal="g", backend="python:ctrl_c")')
    with pytest.raises(KeyboardInterrupt):
        s.run("p.run()")
    state = s.view().get("p")
    assert state["status"] == "stopped" and "interrupted" in state["transcript"][-1]["stopped"] and len(calls) == 1
    assert s.run('create_context("after")').value == "after"


def test_the_scheduler_runs_python_processes_until_none_has_work(
    s: scint.Session, exchange: Calls, backends: tuple[Calls, Register]
) -> None:
    _, register = backends
    register("broken", lambda m, v: 1 / 0)
    s.run('create_context("broken", type="Process", goal="g", backend="python:broken")')
    asked, counted, broken = s.agents.run(max_steps=5)
    assert (asked.status, asked.steps, asked.answer) == ("done", 2, "the counter says 12")
    assert (counted.status, counted.steps) == ("done", 1)
    assert "backend python:broken raised ZeroDivisionError" in broken.reason
    assert len(exchange.of("asker")) == 2 and len(exchange.of("counter")) == 1 and len(exchange.of("broken")) == 1
