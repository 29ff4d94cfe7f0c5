"""Tool calls in every shape a client or a model might produce: none raises anything but a ScintError, and none
that carries no valid program changes state."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import scint
from scint.llm.provider import ToolCall


@pytest.fixture
def s() -> Iterator[scint.Session]:
    with scint.open("memory://") as session:
        session.run('create_context("notes")')
        yield session


PROGRAM = 'notes.put(key="a", value=1)'
DEEP = "[" * 100_000 + "]" * 100_000

NO_PROGRAM: dict[str, Any] = {
    "chat function, arguments an int": {"type": "function", "function": {"name": "scint", "arguments": 5}},
    "chat function, arguments a list": {"type": "function", "function": {"name": "scint", "arguments": [PROGRAM]}},
    "chat function, arguments deeply nested JSON": {
        "type": "function",
        "function": {"name": "scint", "arguments": DEEP},
    },
    "chat function, arguments a JSON list": {"type": "function", "function": {"name": "scint", "arguments": "[1]"}},
    "chat function, program an int": {"type": "function", "function": {"name": "scint", "arguments": '{"program": 5}'}},
    "responses function, arguments an int": {"type": "function_call", "name": "scint", "arguments": 7},
    "responses function, deep": {"type": "function_call", "call_id": "c", "name": "scint", "arguments": DEEP},
    "chat custom, input a list": {"type": "custom", "custom": {"name": "scint", "input": [PROGRAM]}},
    "responses custom, input a dict": {"type": "custom_tool_call", "name": "scint", "input": {"program": PROGRAM}},
    "a ToolCall whose input is not text": ToolCall(id="c", kind="function", input=5),  # type: ignore[arg-type]
    "a custom ToolCall whose input is not text": ToolCall(id="c", kind="custom", input=[PROGRAM]),  # type: ignore[arg-type]
    "unknown tool": {"type": "function", "function": {"name": "eval", "arguments": json.dumps({"program": PROGRAM})}},
}


@pytest.mark.parametrize("label", list(NO_PROGRAM))
def test_a_call_without_a_program_is_an_error_for_the_model(s: scint.Session, label: str) -> None:
    out = s.handle(NO_PROGRAM[label])
    assert out.startswith("error"), out
    assert s.version == 1
    assert s.view().get("notes") == {"data": {}}


@pytest.mark.parametrize(
    "call",
    [
        {"type": "function", "function": {"name": "scint", "arguments": {"program": PROGRAM}}},
        {"type": "function_call", "call_id": "c", "name": "scint", "arguments": {"program": PROGRAM}},
    ],
    ids=["chat", "responses"],
)
def test_already_parsed_arguments_are_accepted(s: scint.Session, call: dict[str, Any]) -> None:
    out = s.handle(call)
    assert out.startswith("ok (committed, version 2)"), out
    assert s.view().get("notes") == {"data": {"a": 1}}
