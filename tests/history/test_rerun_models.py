"""Counterfactual reruns (SPEC 11): `rerun(since, models={path: name})` re-runs a multi-agent history on a new
branch with one process's model swapped; the branch records the swap and which model took each step, the two
branches diff, and replaying or viewing either calls no model. People are asked again: a person's reply or
decision is not replayed, and proposals wait for a person again."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import scint
from scint.llm import MockProvider
from scint.modules import unregister_backend
from tests.conftest import url_for

CAN = '["self.**", "send", "reply", "inbox", "notes.*"]'
ASK_B = {"program": 'send(to="team.b", content="how many eggs?", kind="query")'}


@pytest.fixture(params=["lmdb", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return url_for(request.param, tmp_path)


@pytest.fixture
def s(url: str) -> Iterator[scint.Session]:
    with scint.open(url) as session:
        session.run(
            'create_context("notes"); create_context("team", type="Thread")\n'
            'create_context("a", type="Process", parent="team", goal="note how many eggs b has", can=' + CAN + ")\n"
            'create_context("b", type="Process", parent="team", goal="answer questions", can=' + CAN + ")"
        )
        yield session


def steps_models(state: dict[str, Any]) -> list[str]:
    """The model each model step of a transcript was taken by."""
    return [e["model"] for e in state["transcript"] if "model" in e]


def calls(*providers: MockProvider) -> list[int]:
    return [len(p.history) for p in providers]


def two_agents(s: scint.Session) -> tuple[int, MockProvider]:
    """team.a asks team.b a query, b replies, a notes the answer: three runs on the session's model."""
    since = s.version
    s.llm = main = MockProvider(
        [ASK_B, "asked b", {"program": 'reply(to="m1", content="two")'}, "answered",
         {"program": 'notes.put(key="eggs", value=2)'}, "noted: 2"],
        model="main-model",
    )  # fmt: skip
    s.run("team.a.run(max_steps=3)")
    s.run("team.b.run(max_steps=3)")
    s.run("team.a.run(max_steps=3)")
    assert s.view().get("notes")["data"] == {"eggs": 2} and main.pending == 0
    return since, main


def test_a_rerun_with_another_model_for_one_process(s: scint.Session, url: str, tmp_path: Path) -> None:
    since, main = two_agents(s)
    before = s.view().render("json")
    s.models["other"] = other = MockProvider(
        [ASK_B, "asked b", {"program": 'notes.put(key="eggs", value=12)'}, "noted: a dozen"], model="other-model"
    )
    main.enqueue({"program": 'reply(to="m1", content="two")'}, "answered")  # b, on its own model, again

    report = s.rerun(since, branch="other", models={"team.a": "other"})

    assert report.failures == () and report.programs == 3 and report.models == (("team.a", "other"),)
    assert "with team.a -> other" in str(report)
    assert calls(main, other) == [8, 4] and main.pending == other.pending == 0
    assert s.branch_name == "main" and s.view().render("json") == before  # the original is untouched
    with scint.open(url, branch="other") as alt:
        view = alt.view()
        assert steps_models(view.get("team.a")) == ["other-model"] * 4  # two runs, two steps each
        assert steps_models(view.get("team.b")) == ["main-model"] * 2  # b kept its own model
        assert view.get("team.a")["endpoint"]["name"] == "other" and view.get("team.a")["answer"] == "noted: a dozen"
        assert view.get("notes")["data"] == {"eggs": 12}
        # the swap is recorded on the new branch, before a step, with the rerun in its provenance
        swap = next(e for e in alt.log() if "configure" in e.source)
        assert swap.version == since + 1 and swap.actor == "human"
        assert swap.request == {"rerun": {"branch": "main", "since": since, "models": {"team.a": "other"}}}
        # the query a's run sent again is a new message of this branch, answered by b on it
        messages = alt.view().get("team.b")["transcript"][0]["messages"]
        assert messages[0]["content"] == "how many eggs?" and messages[0]["from"] == "team.a"
    assert steps_models(s.view().get("team.a")) == ["main-model"] * 4
    diff = s.diff("main", "other")
    assert diff.changed["notes"] == {"data": {"changed": {"eggs": {"from": 2, "to": 12}}}}
    assert "team.a" in diff.changed and "transcript" in str(diff.changed["team.a"])
    # replay, views, diff and export of both branches call no model
    with scint.open(url, branch="other") as alt:
        assert alt.replay().render("json") == alt.view().render("json")
        alt.export(tmp_path / "other.jsonl")
    assert s.replay().render("json") == before
    s.export(tmp_path / "main.jsonl")
    with scint.load(tmp_path / "other.jsonl") as loaded:
        assert loaded.view().get("notes")["data"] == {"eggs": 12}
    assert calls(main, other) == [8, 4]


def test_a_history_where_a_process_received_a_message_exports_and_loads(s: scint.Session, tmp_path: Path) -> None:
    """Delivering messages recorded `record(entry=...)` without its `used` argument, which an import refuses as
    damaged: no history in which a process had read a message could be loaded again."""
    s.send("team.b", "hello")
    s.llm = MockProvider(["read it"])
    s.run("team.b.run(max_steps=1)")
    s.export(tmp_path / "h.jsonl")
    with scint.load(tmp_path / "h.jsonl") as loaded:
        assert loaded.view().render("json") == s.view().render("json")
        assert loaded.view().get("team.b")["transcript"][0]["messages"][0]["content"] == "hello"


def test_a_person_is_asked_again(s: scint.Session, url: str) -> None:
    """A query to a person waits again in the inbox of the new branch; the person's reply is not replayed."""
    since = s.version
    s.llm = main = MockProvider(
        [{"program": 'send(to="human", content="how many eggs?", kind="query")'}, "asked a person",
         {"program": 'notes.put(key="eggs", value=2)'}, "noted: 2"],
        model="main-model",
    )  # fmt: skip
    s.run("team.a.run(max_steps=3)")
    s.reply("m1", "two")
    s.run("team.a.run(max_steps=3)")
    s.models["other"] = other = MockProvider(
        [{"program": 'send(to="human", content="how many eggs, please?", kind="query")'}, "asked a person",
         "still waiting for the person"],
        model="other-model",
    )  # fmt: skip

    report = s.rerun(since, branch="again", models={"team.a": "other"})

    assert report.failures == () and report.programs == 2
    [(_, version, what)] = report.people
    assert version == next(e.version for e in s.log() if e.source.startswith("reply("))
    assert what == "human replied to m1" and "asked again" in str(report)
    assert calls(main, other) == [4, 3]
    with scint.open(url, branch="again") as alt:
        [query] = alt.inbox()  # waiting for the person on the new branch, unanswered
        assert (query["id"], query["from"], query["content"], query["answer"]) == (
            "m1", "team.a", "how many eggs, please?", None
        )  # fmt: skip
        assert alt.view().get("notes")["data"] == {}
        alt.reply("m1", "a dozen")  # the person answers on the new branch
        assert alt.inbox("team.a")[0]["content"] == "a dozen"
    assert s.inbox() == [] and s.inbox(unread=False)[0]["answer"] == "m2"  # the original keeps its answer


def guard(s: scint.Session) -> None:
    s.run('team.a.configure(settings={"approve": ["notes.put"]})')


def test_a_proposal_waits_again_and_an_approval_is_not_replayed(s: scint.Session, url: str) -> None:
    guard(s)
    since = s.version
    s.llm = main = MockProvider([{"program": 'notes.put(key="eggs", value=2)'}, "approved: done"], model="main-model")
    s.run("team.a.run(max_steps=3)")
    assert s.proposals()[0]["id"] == "p1" and s.view().get("team.a")["status"] == "waiting"
    s.approve("p1")
    s.run("team.a.run(max_steps=3)")
    assert s.view().get("notes")["data"] == {"eggs": 2} and len(main.history) == 2
    s.models["other"] = other = MockProvider([{"program": 'notes.put(key="eggs", value=12)'}], model="other-model")

    report = s.rerun(since, branch="again", models={"team.a": "other"})

    assert report.failures == ()
    assert [what for _, _, what in report.people] == ["human approved p1"]
    assert len(other.history) == 1  # the second run takes no step: its proposal waits for a person
    with scint.open(url, branch="again") as alt:
        [p] = alt.proposals()
        assert (p["id"], p["proposer"], p["program"].strip(), p["status"]) == (
            "p1", "process:team.a", 'notes.put(key="eggs", value=12)', "pending"
        )  # fmt: skip
        assert alt.view().get("team.a")["status"] == "waiting" and alt.view().get("notes")["data"] == {}
        alt.approve("p1")  # a person decides on the new branch
        assert alt.view().get("notes")["data"] == {"eggs": 12}
    assert calls(main, other) == [2, 1]


def test_a_proposal_recorded_outside_a_run_is_proposed_again_not_applied(s: scint.Session, url: str) -> None:
    guard(s)
    since = s.version
    with pytest.raises(scint.NeedsApproval):
        s.run('notes.put(key="eggs", value=2)', actor="process:team.a")
    with pytest.raises(scint.NeedsApproval):
        s.run('notes.put(key="ham", value=1)', actor="process:team.a")
    s.approve("p1")
    s.reject("p2", "no ham")

    report = s.rerun(since, branch="again")

    assert report.failures == () and report.programs == 2
    assert [what for _, _, what in report.people] == ["human approved p1", "human rejected p2"]
    assert [new for _, _, new in report.proposed] == ["p1", "p2"] and "proposed again: 2" in str(report)
    with scint.open(url, branch="again") as alt:
        pending = alt.proposals()
        assert [(p["id"], p["program"], p["proposer"]) for p in pending] == [
            ("p1", 'notes.put(key="eggs", value=2)', "process:team.a"),
            ("p2", 'notes.put(key="ham", value=1)', "process:team.a"),
        ]
        assert alt.view().get("notes")["data"] == {} and alt.inbox("team.a") == []
    assert s.view().get("notes")["data"] == {"eggs": 2}


def test_an_ask_that_proposed_is_proposed_again(s: scint.Session, url: str) -> None:
    since = s.version
    s.llm = mock = MockProvider([{"program": 'notes.put(key="eggs", value=2)'}], model="m")
    assert s.ask("two eggs", approve=True).proposal["id"] == "p1"
    report = s.rerun(since, branch="again")
    assert [new for _, _, new in report.proposed] == ["p1"] and len(mock.history) == 1
    with scint.open(url, branch="again") as alt:
        assert [(p["proposer"], p["status"]) for p in alt.proposals()] == [("llm:m", "pending")]
        assert alt.view().get("notes")["data"] == {}


def test_a_swap_to_a_backend_is_recorded_with_the_processes_own_validation(s: scint.Session, url: str) -> None:
    since = s.version
    s.send("team.b", "hello")
    scint.register_backend("echo_rerun", lambda message, view: "ok")
    try:
        report = s.rerun(since, branch="people", models={"team.a": "human", "team.b": "python:echo_rerun"})
    finally:
        unregister_backend("echo_rerun")
    assert report.models == (("team.a", "human"), ("team.b", "python:echo_rerun")) and report.failures == ()
    with scint.open(url, branch="people") as alt:
        view = alt.view()
        assert (view.get("team.a")["backend"], view.get("team.b")["backend"]) == ("human", "python:echo_rerun")
        swap, sent = [e.source for e in reversed(alt.log()) if e.version > since]
        assert swap.splitlines() == [
            'team.a.configure(settings={"backend": "human"})',
            'team.b.configure(settings={"backend": "python:echo_rerun"})',
        ]
        assert sent.startswith("send(") and alt.inbox("team.b")[0]["content"] == "hello"
    assert s.view().get("team.a")["backend"] == "llm"


def test_a_process_created_later_gets_its_swap_when_it_appears(s: scint.Session, url: str) -> None:
    since = s.version
    s.run('team.spawn(name="c", goal="count")')
    s.llm = main = MockProvider(["counted"], model="main-model")
    s.run("team.c.run(max_steps=1)")
    s.models["other"] = other = MockProvider(["counted again"], model="other-model")
    report = s.rerun(since, branch="again", models={"team.c": "other"})
    assert report.failures == () and calls(main, other) == [1, 1]
    with scint.open(url, branch="again") as alt:
        sources = [e.source for e in reversed(alt.log()) if e.version > since]
        assert sources[0].startswith("team.spawn") and sources[1].startswith("team.c.configure")
        assert steps_models(alt.view().get("team.c")) == ["other-model"]


BAD = [
    ({"team.z": "other"}, scint.UnknownContext, "no process `team.z` to swap"),
    ({"notes": "other"}, scint.UnknownContext, "the processes at version"),
    ({"team.a": "othr"}, scint.BadArguments, "did you mean `other`"),
    ({"team.a": "nothing"}, scint.BadArguments, '"llm", "human", "python:NAME"'),
    ({"team.a": "python:no such"}, scint.BadArguments, 'backend must be "llm", "human" or "python:NAME"'),
    ({"team.a": "python:unregistered"}, scint.ModuleError, "no backend `unregistered` is registered"),
    ({"team.a": ""}, scint.BadArguments, "a model name or a backend"),
    ({"team a": "other"}, scint.BadArguments, "is not a process path"),
    (["team.a"], scint.BadArguments, "models maps process paths to model names"),
]


@pytest.mark.parametrize(("models", "error", "words"), BAD)
def test_bad_swaps_are_refused_before_anything_is_written(
    s: scint.Session, models: Any, error: type[Exception], words: str
) -> None:
    s.models["other"] = MockProvider([], model="other-model")
    branches, version = s.branches(), s.version
    with pytest.raises(error, match=re.escape(words)):
        s.rerun(0, branch="never", models=models)
    assert s.branches() == branches and s.version == version


def test_a_version_inside_a_program_is_refused_before_the_swaps_are_read(s: scint.Session) -> None:
    with pytest.raises(scint.HistoryError, match="inside"):
        s.rerun(1, branch="never", models={"team.a": "other"})
    assert [b["name"] for b in s.branches()] == ["main"]


def test_a_model_recorded_on_another_process_is_swapped_in_with_its_whole_entry(s: scint.Session, url: str) -> None:
    big = {"name": "big", "model": "big-model", "base_url": "http://127.0.0.1:9/v1", "api": "responses"}
    s.run(f"team.b.configure(settings={{'endpoint': {json.dumps(big)}, 'model': 'big-model'}})")
    s.send("team.a", "hello")
    s.models["big"] = MockProvider([], model="big-model")  # set for the name: the recorded entry still wins
    report = s.rerun(s.version - 1, branch="big", models={"team.a": "big"})
    assert report.failures == ()
    with scint.open(url, branch="big") as alt:
        a = alt.view().get("team.a")
        assert (a["endpoint"], a["model"], a["backend"]) == (big, "big-model", "llm")
