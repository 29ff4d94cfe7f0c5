"""A process's model writes whatever it writes: lone surrogates (JSON's "\\ud800"), huge tool inputs, huge
answers. None of it may break the run (no exception, status failed), and none of it changes state outside the
process: the run records what it can and goes on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import scint
from scint.llm import MockProvider
from scint.llm.provider import Reply, ToolCall

SETUP = (
    'create_context("research", type="Thread"); '
    'create_context("lit", type="Process", parent="research", goal="g"); create_context("other")'
)


@pytest.fixture
def s(tmp_path) -> Iterator[scint.Session]:  # type: ignore[no-untyped-def]
    with scint.open(f"sqlite:///{tmp_path}/s.db") as session:  # a store that encodes every event
        session.run(SETUP)
        yield session


def run(s: scint.Session, *replies: object) -> object:
    s.llm = MockProvider(list(replies))
    return s.run("research.lit.run(max_steps=3)").value


def call(program: str, id: str = "c1") -> Reply:
    return Reply(tool_calls=(ToolCall.function(program, id),))


CASES = {
    "a lone surrogate in the answer": [Reply(text="done \ud800")],
    "a lone surrogate in the model's name": [Reply(text="done", model="m\udfff")],
    "a lone surrogate in a tool call id": [call('other.put(key="a", value=1)', id="c\ud800"), "done"],
    "a lone surrogate in a tool name": [Reply(tool_calls=(ToolCall(id="c", name="x\ud800", input="{}"),)), "done"],
    "a tool input over the string limit": [call('other.put(key="a", value="' + "x" * 300_000 + '")'), "done"],
    "a tool input over the program limit": [call("#" + "x" * 1_100_000), "done"],
    "a tool input of NULs": [call('research.lit.add_task(title="' + "\x00" * 20_000 + '")'), "done"],
    "an answer over the program limit": [Reply(text="y" * 2_000_000)],
    "many tool calls": [
        Reply(tool_calls=tuple(ToolCall.custom("#" + "z" * 16_000, f"c{i}") for i in range(80))),
        "done",
    ],
}


@pytest.mark.parametrize("label", list(CASES))
def test_malformed_model_output_does_not_break_the_run(s: scint.Session, label: str) -> None:
    answer = run(s, *CASES[label])
    state = s.view().get("research.lit")
    assert state["status"] == "done"
    assert answer == state["answer"]
    assert s.view().get("other") == {"data": {}}
    assert s.replay().render("json") == s.view().render("json")


def test_the_recorded_answer_is_clipped_and_is_what_run_returns(s: scint.Session) -> None:
    answer = run(s, Reply(text="y" * 2_000_000))
    assert isinstance(answer, str) and 2_000 < len(answer) < 2_000_000
    assert answer.endswith("(2,000,000 characters in all)")


def test_a_tool_call_with_a_surrogate_in_its_id_still_runs_its_program(s: scint.Session) -> None:
    run(s, call('self.add_task(title="x")', id="c\ud800"), "done")
    assert "research.lit.t1" in s.view()


def test_a_process_runs_under_tight_user_limits(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with scint.open("memory://", limits=scint.dsl.Limits(max_program_chars=2_000, max_string_chars=200)) as s:
        s.run(SETUP)
        answer = run(s, call('self.add_task(title="' + "t" * 150 + '")'), "a" * 1_000)
        assert answer == "a" * 1_000
        assert s.view().get("research.lit")["status"] == "done"
