"""scint.llm.tools and Session.handle: both API shapes, both tool kinds, results and errors for the model."""

from __future__ import annotations

import json

import pytest
from openai.types.chat import ChatCompletionMessageCustomToolCall, ChatCompletionMessageFunctionToolCall
from openai.types.responses import ResponseCustomToolCall, ResponseFunctionToolCall

import scint
import scint.llm
from scint.llm import MockProvider, ToolCall


def test_function_tool_in_both_shapes(s: scint.Session) -> None:
    chat = scint.llm.tools(s, kind="function", api="chat")
    responses = scint.llm.tools(s, kind="function", api="responses")
    fn = chat[0]["function"]
    assert chat[0]["type"] == "function" and fn["name"] == "scint"
    assert fn["description"] == s.run("help()").value  # the cheat sheet
    assert fn["parameters"]["required"] == ["program"] and list(fn["parameters"]["properties"]) == ["program"]
    assert responses == [{"type": "function", **fn}]


def test_custom_tool_in_both_shapes(s: scint.Session) -> None:
    s.run('create_context("notes")')
    chat = scint.llm.tools(s, kind="custom", api="chat")[0]
    responses = scint.llm.tools(s, kind="custom", api="responses")[0]
    grammar = chat["custom"]["format"]["grammar"]
    assert chat["type"] == "custom" and chat["custom"]["name"] == "scint" and grammar["syntax"] == "lark"
    assert '"notes.put"' in grammar["definition"]
    assert responses["type"] == "custom" and responses["name"] == "scint"
    assert responses["format"] == {"type": "grammar", "syntax": "lark", "definition": grammar["definition"]}


def test_api_defaults_to_the_environment(s: scint.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCINT_LLM_API", "responses")
    assert "function" not in scint.llm.tools(s)[0]
    monkeypatch.setenv("SCINT_LLM_API", "chat")
    assert "function" in scint.llm.tools(s)[0]
    monkeypatch.setenv("SCINT_LLM_API", "soap")
    with pytest.raises(scint.LLMError, match="SCINT_LLM_API"):
        scint.llm.tools(s)
    with pytest.raises(scint.LLMError, match="kind"):
        scint.llm.tools(s, kind="xml", api="chat")


PROGRAM = 'create_context("notes"); notes.put(key="eggs", value=2); notes.get(key="eggs")'
ARGS = json.dumps({"program": PROGRAM})


@pytest.mark.parametrize(
    "call",
    [
        ChatCompletionMessageFunctionToolCall(id="c1", type="function", function={"name": "scint", "arguments": ARGS}),
        ChatCompletionMessageCustomToolCall(id="c1", type="custom", custom={"name": "scint", "input": PROGRAM}),
        ResponseFunctionToolCall(type="function_call", call_id="c1", name="scint", arguments=ARGS),
        ResponseCustomToolCall(type="custom_tool_call", call_id="c1", name="scint", input=PROGRAM),
        {"id": "c1", "type": "function", "function": {"name": "scint", "arguments": ARGS}},
        {"type": "custom_tool_call", "call_id": "c1", "name": "scint", "input": PROGRAM},
        ToolCall.function(PROGRAM, "c1"),
    ],
    ids=["chat-function", "chat-custom", "responses-function", "responses-custom", "dict", "dict-custom", "ToolCall"],
)
def test_handle_runs_every_shape(s: scint.Session, call: object) -> None:
    out = s.handle(call)
    assert out == 'ok (committed, version 2): ["notes",null,2]'
    entry = s.log()[0]
    assert entry.actor == "llm:gpt-5-mini" and entry.request == {"tool_call": "c1"}


def test_handle_reports_errors_for_the_model_and_changes_nothing(s: scint.Session) -> None:
    out = s.handle(ToolCall.function('create_context("notes"); notes.pot(key="a", value=1)'))
    assert out.startswith("error: UnknownAction: statement 2")
    assert "did you mean `put`?" in out and "Nothing was changed" in out
    assert s.version == 0
    assert s.handle(ToolCall.function("notes.put(key=")).startswith("error: ScintSyntaxError: line 1")
    assert s.handle(ToolCall("c", "scint", "function", "{not json")).startswith("error: the `scint` tool takes")
    assert s.handle(ToolCall("c", "python", "function", ARGS)).startswith("error: there is no tool `python`")
    assert s.version == 0
    with pytest.raises(scint.LLMError, match="not a tool call"):
        s.handle(42)


def test_handle_names_the_sessions_model(s: scint.Session) -> None:
    s.llm = MockProvider(model="local-llama")
    s.handle(ToolCall.custom('create_context("n")'))
    assert s.log()[0].actor == "llm:local-llama"
