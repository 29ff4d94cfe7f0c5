"""`ask` keeps "a program is atomic": a process run (many commits) is refused in an ask program and in a tool
call from outside a process; a model that answers in words is told to write a program, and its words are what
the user reads; ask forces the `scint` tool where the API can."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scint
from scint.llm import MockProvider, OpenAIProvider, Reply, ToolCall
from scint.llm.ask import looks_like_prose

from .conftest import FakeOpenAI

SETUP = (
    'create_context("notes"); create_context("research", type="Thread"); research.spawn(name="lit", goal="g"); '
    'research.lit.spawn(name="sub", goal="h"); create_context("c", type="Composer"); '
    'c.define(name="w", body="notes.put(key=\\"w\\", value=1)")'
)
GOOD = 'notes.put(key="eggs", value=2)'

RUNS = [
    "research.lit.run()",
    "research.lit.run(max_steps=2)",
    "x = research.lit.run(max_steps=1)",
    "research.lit.sub.run()",
    "research.lit.run(max_steps=0)",  # refused before its arguments are even looked at
]


def _setup(s: scint.Session) -> int:
    s.run(SETUP)
    s.llm = MockProvider()  # a process run would ask it, and it has no reply: it must never be asked
    return s.version


@pytest.mark.parametrize("run", RUNS)
@pytest.mark.parametrize("dry_run", [False, True])
def test_a_process_run_in_an_ask_program_is_refused_and_the_model_hears_why(
    stored: scint.Session, run: str, dry_run: bool
) -> None:
    before = _setup(stored)
    mock = MockProvider([{"program": run}, {"program": GOOD}])
    r = stored.ask("run the survey, then note two eggs", provider=mock, dry_run=dry_run)
    assert (r.program, r.attempts) == (GOOD, 2)
    feedback = mock.history[1].messages[-1]
    assert feedback["role"] == "tool" and feedback["content"].startswith("error: ActionError")
    assert "cannot be part of an `ask` program" in feedback["content"] and ".run(max_steps=N)" in feedback["content"]
    assert stored.llm.history == []  # the process's model was never asked
    for path in ("research.lit", "research.lit.sub"):
        assert stored.view().get(path)["status"] == "idle" and stored.view().get(path)["transcript"] == []
    assert stored.version == (before if dry_run else before + 1)
    assert [e.source for e in stored.log()][: 0 if dry_run else 1] == ([] if dry_run else [GOOD])


def test_an_ask_that_only_runs_processes_fails_and_leaves_no_trace(stored: scint.Session) -> None:
    before = _setup(stored)
    log = stored.log()
    mock = MockProvider([{"program": r} for r in RUNS[:3]])
    with pytest.raises(scint.LLMError, match=r"(?s)in 3 attempts.*cannot be part of an `ask` program"):
        stored.ask("run the survey", provider=mock, max_retries=2)
    assert stored.version == before and stored.log() == log
    assert stored.replay().render("json") == stored.view().render("json")


def test_other_contexts_run_actions_still_work_in_ask(stored: scint.Session) -> None:
    _setup(stored)
    r = stored.ask("run the workflow", provider=MockProvider([{"program": 'c.run(name="w")'}]))
    assert r.attempts == 1 and stored.view().get("notes")["data"] == {"w": 1}


@pytest.mark.parametrize("run", RUNS[:4])
def test_a_tool_call_from_outside_a_process_may_not_run_one(stored: scint.Session, run: str) -> None:
    before = _setup(stored)
    out = stored.handle(ToolCall.function(run))
    assert out.startswith("error: ActionError") and "cannot be part of a tool call" in out
    assert stored.version == before and stored.llm.history == []


def test_a_process_still_runs_its_child_and_hears_honestly_when_the_child_breaks(stored: scint.Session) -> None:
    """Inside a process's run (many commits by design) a step may run a child. If the child's run breaks after
    taking steps, the parent's model is not told "nothing was changed": the child's steps stay recorded."""
    _setup(stored)
    stored.llm = mock = MockProvider(
        [
            {"program": "self.sub.run(max_steps=3)"},
            {"program": 'self.add_task(title="child work")'},  # the child's first step
            ConnectionError("service down"),  # the child's second step breaks
            "the parent is done",
        ]
    )
    assert stored.run("research.lit.run(max_steps=3)").value == "the parent is done"
    view = stored.view()
    assert view.get("research.lit.sub")["status"] == "failed"
    assert "service down" in view.get("research.lit.sub")["transcript"][-1]["error"]
    assert view.get("research.lit.sub.t1")["title"] == "child work"
    output = view.get("research.lit")["transcript"][0]["outputs"][0]
    assert output.startswith("error: RunFailed: the run of research.lit.sub failed")
    assert "stay recorded" in output and "Nothing was changed" not in output
    assert mock.history[3].messages[-1]["content"] == output
    assert view.get("research.lit")["status"] == "done"


# -- prose ----------------------------------------------------------------------------------------------------------

PROSE = [
    "Sure, I can do that, but first tell me more.",
    "I cannot do that.",
    "The notes hold two eggs",
    "Voilà : c'est fait, 2 œufs.",
    "Okay!\nI put two eggs in your notes.",
    "  \n  Here is what I would do: put the eggs in the notes.",
    "Done",
    "¿Qué?",
]
NOT_PROSE = [
    'notes.put(key="eggs" value=2)',
    "x = ",
    "notes.put(",
    'notes . put(key="a")) ',
    "# only a comment\nnotes.put(key=)",
    "$x = notes.keys(",
]


@pytest.mark.parametrize("words", PROSE)
@pytest.mark.parametrize("how", ["text", "tool call"])
def test_prose_is_reported_as_the_models_words(s: scint.Session, words: str, how: str) -> None:
    s.run('create_context("notes")')
    reply: Any = words if how == "text" else {"program": words}
    mock = MockProvider([reply, reply])
    with pytest.raises(scint.LLMError, match="the model answered in prose instead of writing a program") as info:
        s.ask("two eggs", provider=mock, max_retries=1)
    assert info.value.answer == words.strip()  # type: ignore[attr-defined]
    assert "«" + words.strip() + "»" in str(info.value) and "ScintSyntaxError" not in str(info.value)
    retry = mock.history[1].messages[-1]["content"]
    assert retry.startswith("error: that was prose, not a Scint program") and "calling the `scint` tool" in retry
    assert s.version == 1


@pytest.mark.parametrize("words", PROSE)
def test_after_prose_the_model_may_still_write_the_program(s: scint.Session, words: str) -> None:
    s.run('create_context("notes")')
    r = s.ask("two eggs", provider=MockProvider([words, {"program": GOOD}]))
    assert (r.program, r.attempts) == (GOOD, 2) and s.view().get("notes")["data"] == {"eggs": 2}


@pytest.mark.parametrize("broken", NOT_PROSE)
def test_a_broken_program_is_still_a_syntax_error_for_the_model(s: scint.Session, broken: str) -> None:
    assert not looks_like_prose(broken)
    s.run('create_context("notes")')
    mock = MockProvider([broken, broken])
    with pytest.raises(scint.LLMError, match="did not write a program that runs") as info:
        s.ask("two eggs", provider=mock, max_retries=1)
    assert "ScintSyntaxError" in str(info.value) and not hasattr(info.value, "answer")
    assert mock.history[1].messages[-1]["content"].startswith("error: ScintSyntaxError")


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=200))
def test_any_text_reply_is_run_or_fed_back_never_an_escape(text: str) -> None:
    """Whatever the model writes, ask either runs it (it was a program) or says why to the model; its next
    reply, a good program, then runs. No other exception, and a refused attempt changes nothing."""
    with scint.open("memory://") as fresh:
        fresh.run('create_context("notes")')
        mock = MockProvider([text, {"program": GOOD}])
        r = fresh.ask("two eggs", provider=mock)
        assert r.attempts in (1, 2)
        if r.attempts == 2:
            assert mock.history[1].messages[-1]["content"].startswith("error")
            assert [e.source for e in fresh.log()] == [GOOD, 'create_context("notes")']


# -- tool_choice ----------------------------------------------------------------------------------------------------


def test_ask_requires_the_tool_and_a_process_run_does_not(s: scint.Session) -> None:
    s.run('create_context("research", type="Thread"); research.spawn(name="lit", goal="g")')
    mock = MockProvider([{"program": 'create_context("n")'}, "answer"])
    s.ask("make n", provider=mock)
    s.llm = mock
    s.run("research.lit.run()")
    assert [r.tool_choice for r in mock.history] == ["required", "auto"]


class OldProvider:
    """A provider written against the first protocol: complete(messages, tools), no tool_choice."""

    model, api, tool_kind = "old", "chat", "function"

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Reply:
        return Reply(tool_calls=(ToolCall.function('create_context("n")'),))

    async def acomplete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Reply:
        return self.complete(messages, tools)


def test_a_provider_without_tool_choice_still_works(s: scint.Session) -> None:
    assert s.ask("make n", provider=OldProvider()).result.value == "n"


@pytest.mark.parametrize("api", ["chat", "responses"])
@pytest.mark.parametrize("kind", ["function", "custom"])
def test_the_openai_provider_forces_the_scint_tool_in_ask(
    s: scint.Session, fake_openai: FakeOpenAI, api: str, kind: str
) -> None:
    provider = OpenAIProvider("m", api=api, tool_kind=kind, base_url=fake_openai.base_url, max_retries=0)
    s.run('create_context("research", type="Thread"); research.spawn(name="lit", goal="g")')
    fake_openai.enqueue({"custom" if kind == "custom" else "program": 'create_context("n")'}, "answer")
    s.ask("make n", provider=provider)
    s.llm = provider
    s.run("research.lit.run()")
    (_, ask_body), (_, run_body) = fake_openai.requests
    expected = {"type": kind, kind: {"name": "scint"}} if api == "chat" else {"type": kind, "name": "scint"}
    assert ask_body["tool_choice"] == expected
    assert "tool_choice" not in run_body  # a process answers in words when it is done


@pytest.mark.parametrize("api", ["chat", "responses"])
def test_a_server_that_refuses_tool_choice_is_asked_without_it(
    s: scint.Session, fake_openai: FakeOpenAI, api: str
) -> None:
    provider = OpenAIProvider("m", api=api, base_url=fake_openai.base_url, max_retries=0)
    fake_openai.refuse_tool_choice = True
    fake_openai.enqueue({"program": 'create_context("a")'}, {"program": 'create_context("b")'})
    assert s.ask("make a", provider=provider).attempts == 1
    assert s.ask("make b", provider=provider).attempts == 1
    assert ["tool_choice" in body for _, body in fake_openai.requests] == [True, False, False]
    assert [c["path"] for c in s.run("contexts()").value] == ["a", "b"]
