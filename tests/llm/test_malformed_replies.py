"""Replies a model service (or a provider) should never send, but may: a tool call without its function, fields
missing or of the wrong type, no choices, None where a list belongs... The real `openai` client reads them from
the loopback server. `ask` raises a clear ScintError and changes nothing; a process run feeds the problem back to
its model and goes on; and a process whose run breaks for any reason never stays `running`."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scint
from scint.llm import MockProvider, OpenAIProvider, Reply, ToolCall, Usage, arun_process
from scint.llm.provider import MalformedReply, RunFailed

from .conftest import FakeOpenAI

ARGS = json.dumps({"program": 'create_context("n")'})


def chat(message: Any = None, **top: Any) -> dict[str, Any]:
    doc = {"id": "x", "object": "chat.completion", "created": 0, "model": "m"}
    doc["choices"] = [{"index": 0, "finish_reason": "stop", "message": message}]
    doc.update(top)
    return doc


def chat_calls(*calls: Any) -> dict[str, Any]:
    return chat({"role": "assistant", "content": None, "tool_calls": list(calls)})


def responses(*output: Any, **top: Any) -> dict[str, Any]:
    doc = {"id": "r", "object": "response", "created_at": 0, "model": "m", "status": "completed"}
    doc["output"] = list(output)
    doc.update(top)
    return doc


FN = {"name": "scint", "arguments": ARGS}
MALFORMED: dict[str, tuple[str, Any]] = {
    "chat: a tool call without its function": ("chat", chat_calls({"id": "c1", "type": "function"})),
    "chat: function null": ("chat", chat_calls({"id": "c1", "type": "function", "function": None})),
    "chat: function a string": ("chat", chat_calls({"id": "c1", "type": "function", "function": "scint"})),
    "chat: function a list": ("chat", chat_calls({"id": "c1", "type": "function", "function": [FN]})),
    "chat: a tool call without an id": ("chat", chat_calls({"type": "function", "function": FN})),
    "chat: a tool call id an int": ("chat", chat_calls({"id": 7, "type": "function", "function": FN})),
    "chat: a function without a name": (
        "chat",
        chat_calls({"id": "c1", "type": "function", "function": {"arguments": ARGS}}),
    ),
    "chat: arguments an int": (
        "chat",
        chat_calls({"id": "c1", "type": "function", "function": {"name": "scint", "arguments": 5}}),
    ),
    "chat: arguments a list": (
        "chat",
        chat_calls({"id": "c1", "type": "function", "function": {"name": "scint", "arguments": [ARGS]}}),
    ),
    "chat: a custom call without its custom": ("chat", chat_calls({"id": "c1", "type": "custom"})),
    "chat: custom input an int": (
        "chat",
        chat_calls({"id": "c1", "type": "custom", "custom": {"name": "scint", "input": 3}}),
    ),
    "chat: tool_calls a string": ("chat", chat({"role": "assistant", "content": None, "tool_calls": "scint"})),
    "chat: tool_calls a dict": ("chat", chat({"role": "assistant", "content": None, "tool_calls": {"id": "c"}})),
    "chat: a tool call null": ("chat", chat_calls(None)),
    "chat: a tool call an int": ("chat", chat_calls(5)),
    "chat: content an int": ("chat", chat({"role": "assistant", "content": 5})),
    "chat: content a dict": ("chat", chat({"role": "assistant", "content": {"text": "hi"}})),
    "chat: content parts without text": ("chat", chat({"role": "assistant", "content": [{"type": "image"}]})),
    "chat: the message null": ("chat", chat(None)),
    "chat: the message a string": ("chat", chat("done")),
    "chat: no choices": ("chat", chat({"role": "assistant", "content": "x"}, choices=[])),
    "chat: choices null": ("chat", chat({"role": "assistant", "content": "x"}, choices=None)),
    "chat: choices a string": ("chat", chat({"role": "assistant", "content": "x"}, choices="x")),
    "chat: a choice null": ("chat", chat({"role": "assistant", "content": "x"}, choices=[None])),
    "chat: an empty document": ("chat", {}),
    "chat: the document a list": ("chat", [chat({"role": "assistant", "content": "x"})]),
    "chat: the document null": ("chat", None),
    "responses: the document a string": ("responses", "done"),
    "responses: the document a number": ("responses", 5),
    "responses: output null": ("responses", responses(output=None)),
    "responses: no output": ("responses", {"id": "r", "object": "response", "model": "m"}),
    "responses: output a string": ("responses", responses(output="done")),
    "responses: an output item null": ("responses", responses(None)),
    "responses: an item without a type": ("responses", responses({"call_id": "c", "name": "scint"})),
    "responses: a function call without call_id": (
        "responses",
        responses({"type": "function_call", "name": "scint", "arguments": ARGS}),
    ),
    "responses: a function call without a name": (
        "responses",
        responses({"type": "function_call", "call_id": "c", "arguments": ARGS}),
    ),
    "responses: arguments a list": (
        "responses",
        responses({"type": "function_call", "call_id": "c", "name": "scint", "arguments": [1]}),
    ),
    "responses: custom input a dict": (
        "responses",
        responses({"type": "custom_tool_call", "call_id": "c", "name": "scint", "input": {"p": 1}}),
    ),
    "responses: message content a string": (
        "responses",
        responses({"type": "message", "role": "assistant", "content": "done"}),
    ),
    "responses: output_text without text": (
        "responses",
        responses({"type": "message", "role": "assistant", "content": [{"type": "output_text"}]}),
    ),
    "responses: output_text an int": (
        "responses",
        responses({"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": 5}]}),
    ),
}

# Shapes that are odd but say clearly what they mean: read as meant.
TOLERATED: dict[str, tuple[str, Any]] = {
    "chat: usage of strings": ("chat", {**chat_calls({"id": "c", "type": "function", "function": FN}), "usage": "x"}),
    "chat: negative token counts": (
        "chat",
        {
            **chat_calls({"id": "c", "type": "function", "function": FN}),
            "usage": {"prompt_tokens": -5, "completion_tokens": "9", "total_tokens": None},
        },
    ),
    "chat: no model, no type": ("chat", {**chat_calls({"id": "c", "function": FN}), "model": None}),
    "chat: arguments already parsed": (
        "chat",
        chat_calls({"id": "c", "type": "function", "function": {"name": "scint", "arguments": json.loads(ARGS)}}),
    ),
    "responses: usage a list": (
        "responses",
        responses({"type": "function_call", "call_id": "c", "name": "scint", "arguments": ARGS}, usage=[1]),
    ),
    "responses: a reasoning item and an unknown item": (
        "responses",
        responses(
            {"type": "reasoning", "id": "rs", "summary": []},
            {"type": "something_new"},
            {"type": "function_call", "call_id": "c", "name": "scint", "arguments": ARGS},
        ),
    ),
}

SETUP = 'create_context("research", type="Thread"); research.spawn(name="lit", goal="g")'


def provider(server: FakeOpenAI, api: str) -> OpenAIProvider:
    return OpenAIProvider("m", api=api, base_url=server.base_url, max_retries=0)


@pytest.mark.parametrize("label", list(MALFORMED))
def test_ask_raises_a_clear_error_and_changes_nothing(s: scint.Session, fake_openai: FakeOpenAI, label: str) -> None:
    api, doc = MALFORMED[label]
    fake_openai.enqueue({"raw": doc})
    with pytest.raises(MalformedReply, match=r"the model service sent a reply Scint cannot read \(m, \w+ API\): "):
        s.ask("make n", provider=provider(fake_openai, api))
    assert s.version == 0 and len(fake_openai.requests) == 1


@pytest.mark.parametrize("label", list(TOLERATED))
def test_odd_but_clear_replies_are_read_as_meant(s: scint.Session, fake_openai: FakeOpenAI, label: str) -> None:
    api, doc = TOLERATED[label]
    fake_openai.enqueue({"raw": doc})
    r = s.ask("make n", provider=provider(fake_openai, api))
    assert r.result.value == "n" and r.model == "m"


@pytest.mark.parametrize("label", list(MALFORMED))
def test_a_process_run_feeds_a_malformed_reply_back_and_goes_on(
    stored: scint.Session, fake_openai: FakeOpenAI, label: str
) -> None:
    api, doc = MALFORMED[label]
    stored.run(SETUP)
    stored.llm = provider(fake_openai, api)
    fake_openai.enqueue({"raw": doc}, "done")
    assert stored.run("research.lit.run(max_steps=3)").value == "done"
    state = stored.view().get("research.lit")
    assert state["status"] == "done"
    assert state["transcript"][0]["unreadable"].startswith("the model service sent a reply Scint cannot read")
    second = json.dumps(fake_openai.requests[1][1])
    assert "Your last reply could not be read" in second
    assert stored.replay().render("json") == stored.view().render("json")


# -- what any provider may hand back or raise ---------------------------------------------------------------------


class Scripted:
    """A provider that returns (or raises) what it is given, whatever it is."""

    model, api, tool_kind = "p", "chat", "function"

    def __init__(self, *items: Any) -> None:
        self.items = list(items)

    def complete(self, messages: Any, tools: Any) -> Any:
        item = self.items.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    async def acomplete(self, messages: Any, tools: Any) -> Any:
        return self.complete(messages, tools)


BAD_REPLIES: dict[str, Any] = {
    "None": None,
    "a dict": {"text": "done"},
    "a string": "done",
    "text an int": Reply(text=5),  # type: ignore[arg-type]
    "text bytes": Reply(text=b"done"),  # type: ignore[arg-type]
    "a tool call that is a dict": Reply(tool_calls=({"id": "c", "input": ARGS},)),  # type: ignore[arg-type]
    "a tool call id an int": Reply(tool_calls=(ToolCall(id=5, input=ARGS),)),  # type: ignore[arg-type]
    "a tool call input None": Reply(tool_calls=(ToolCall(id="c", input=None),)),  # type: ignore[arg-type]
    "a tool call of an unknown kind": Reply(tool_calls=(ToolCall(id="c", kind="python", input="1"),)),
    "tool_calls a string": Reply(tool_calls="ab"),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("label", list(BAD_REPLIES))
def test_whatever_a_provider_returns_ask_says_so_clearly(s: scint.Session, label: str) -> None:
    with pytest.raises(MalformedReply):
        s.ask("make n", provider=Scripted(BAD_REPLIES[label]))
    assert s.version == 0


@pytest.mark.parametrize("label", list(BAD_REPLIES))
@pytest.mark.parametrize("asynchronous", [False, True])
def test_whatever_a_provider_returns_a_process_run_goes_on(
    stored: scint.Session, label: str, asynchronous: bool
) -> None:
    stored.run(SETUP)
    scripted = Scripted(BAD_REPLIES[label], Reply(text="done"))
    if asynchronous:
        assert asyncio.run(arun_process(stored, "research.lit", 2, provider=scripted)) == "done"
    else:
        stored.llm = scripted
        assert stored.run("research.lit.run(max_steps=2)").value == "done"
    assert "unreadable" in stored.view().get("research.lit")["transcript"][0]


def test_an_empty_reply_is_fed_back_not_taken_for_an_answer(stored: scint.Session) -> None:
    stored.run(SETUP)
    stored.llm = MockProvider([Reply(), "  \n", "done"])
    assert stored.run("research.lit.run(max_steps=3)").value == "done"
    unreadable = [e.get("unreadable") for e in stored.view().get("research.lit")["transcript"]]
    assert unreadable[:2] == ["the reply was empty: no words and no tool call"] * 2 and unreadable[2] is None


def test_bad_token_counts_count_nothing() -> None:
    assert Usage("9", -3).total == 0 and Usage(True, 10**13).total == 0 and Usage(2, 3).total == 5  # type: ignore[arg-type]


RAISED: dict[str, BaseException] = {
    "AttributeError": AttributeError("'NoneType' object has no attribute 'function'"),
    "TypeError": TypeError("unsupported operand"),
    "KeyError": KeyError("choices"),
    "RuntimeError": RuntimeError("event loop is closed"),
    "an LLMError": scint.LLMError("the model service failed: 503"),
    "a StoreError": scint.StoreError("disk gone"),
}


@pytest.mark.parametrize("label", list(RAISED))
@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_run_that_breaks_is_failed_with_the_reason(stored: scint.Session, label: str, asynchronous: bool) -> None:
    stored.run(SETUP)
    scripted = Scripted(Reply(tool_calls=(ToolCall.function('self.add_task(title="a")'),)), RAISED[label])
    with pytest.raises(RunFailed, match=r"(?s)the run of research.lit failed: .*Its status is now `failed`"):
        if asynchronous:
            asyncio.run(arun_process(stored, "research.lit", 3, provider=scripted))
        else:
            stored.llm = scripted
            stored.run("research.lit.run(max_steps=3)")
    state = stored.view().get("research.lit")
    assert state["status"] == "failed"
    assert str(RAISED[label]).strip("'") in state["transcript"][-1]["error"]
    assert stored.view().get("research.lit.t1")["title"] == "a"  # the step before stays recorded
    # and the process runs again, its model told what happened
    stored.llm = again = MockProvider(["recovered"])
    assert stored.run("research.lit.run()").value == "recovered"
    assert "Your last run failed" in again.history[0].messages[-1]["content"]


def test_a_service_error_before_any_step_is_recorded_as_failed_too(stored: scint.Session) -> None:
    stored.run(SETUP)
    stored.llm = Scripted(AttributeError("no"))
    with pytest.raises(RunFailed, match="AttributeError: no"):
        stored.run("research.lit.run()")
    assert stored.view().get("research.lit")["status"] == "failed"


def test_ctrl_c_during_a_run_leaves_it_stopped_and_the_session_usable(stored: scint.Session) -> None:
    stored.run(SETUP)
    stored.llm = Scripted(Reply(tool_calls=(ToolCall.function('self.add_task(title="a")'),)), KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        stored.run("research.lit.run(max_steps=3)")
    state = stored.view().get("research.lit")
    assert state["status"] == "stopped" and state["transcript"][-1] == {"stopped": "interrupted (KeyboardInterrupt)"}
    stored.llm = MockProvider(["done"])
    assert stored.run("research.lit.run()").value == "done"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
FIELDS = st.sampled_from(["id", "type", "function", "custom", "name", "arguments", "input", "content", "text"])
PARTS = st.dictionaries(FIELDS, JSON | st.just("scint") | st.just("function") | st.just(ARGS), max_size=5)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(call=PARTS, message=PARTS, api=st.sampled_from(["chat", "responses"]))
def test_any_reply_shape_is_read_or_refused_with_a_scint_error(
    fake_openai: FakeOpenAI, call: dict[str, Any], message: dict[str, Any], api: str
) -> None:
    """Random JSON where a tool call and a message belong: ask runs a program or raises a ScintError, nothing
    else; whatever it raised, it changed nothing."""
    if api == "chat":
        doc = chat({**message, "tool_calls": [call]} if "content" in message else {**message})
    else:
        doc = responses({**call, "type": call.get("type", "function_call")}, {**message, "type": "message"})
    with scint.open("memory://") as s:
        fake_openai.enqueue({"raw": doc}, {"program": 'create_context("n")'})
        try:
            s.ask("make n", provider=provider(fake_openai, api), max_retries=1)
        except scint.ScintError:
            assert s.version == 0
        fake_openai.replies.clear()
