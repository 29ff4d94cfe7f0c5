"""Two agents talking through messages: one's steps are taken by its model (the real `openai` client against the
loopback OpenAI-compatible server), the other's by a registered Python function. Replaying the exchange, or
reopening the store, sends no request and calls no function."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import scint
from scint.llm import OpenAIProvider
from tests.backends.conftest import Calls
from tests.llm.conftest import FakeOpenAI

Register = Callable[[str, Callable[..., Any]], None]


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    yield server
    server.close()


def oracle(message: dict[str, Any], view: Any) -> Any:
    if message["kind"] == "goal":
        return scint.parse('send(to="writer", content="which number do you need?", kind="query")')
    if message["kind"] == "query":
        return "42"
    return None  # a reply to its own query: noted, nothing to do


@pytest.mark.parametrize("api", ["chat", "responses"])
def test_a_model_and_a_function_exchange_queries_and_replay_asks_neither(
    s: scint.Session, store_url: str, fake_openai: FakeOpenAI, backends: tuple[Calls, Register], api: str
) -> None:
    calls, register = backends
    register("oracle", oracle)
    s.llm = OpenAIProvider("test-model", api=api, base_url=fake_openai.base_url, api_key="test", max_retries=0)
    s.run(
        'create_context("oracle", type="Process", goal="help the writer", backend="python:oracle")\n'
        'create_context("writer", type="Process", goal="get the number from the oracle")'
    )
    fake_openai.enqueue(
        {"program": 'reply(to="m1", content="the one you know"); send(to="oracle", content="the number?", '
                    'kind="query")'},
        "I asked the oracle.",
        "The number is 42.",
    )  # fmt: skip
    assert s.run("oracle.run()").value is None  # its goal: it asks the writer (m1)
    assert s.run("writer.run()").value == "I asked the oracle."  # answers m1 (m2), asks the oracle (m3)
    assert "which number do you need?" in json.dumps(fake_openai.requests[0][1])
    assert s.run("oracle.run()").value is None  # notes m2, answers m3 with 42 (m4)
    assert [m["kind"] for m in calls.of("oracle")] == ["goal", "reply", "query"]
    assert calls.of("oracle")[1]["content"] == "the one you know"
    assert s.run("writer.run()").value == "The number is 42."
    assert "42" in json.dumps(fake_openai.requests[2][1]) and "42" not in json.dumps(fake_openai.requests[1][1])
    messages = s.inbox("writer", unread=False) + s.inbox("oracle", unread=False)
    assert sorted((m["id"], m["from"], m["kind"]) for m in messages) == [
        ("m1", "oracle", "query"),
        ("m2", "writer", "reply"),
        ("m3", "writer", "query"),
        ("m4", "oracle", "reply"),
    ]
    view = s.view()
    assert (view.get("writer")["answer"], view.get("oracle")["status"]) == ("The number is 42.", "done")
    requests, made = len(fake_openai.requests), len(calls)
    assert (requests, made) == (3, 3)
    assert s.replay().to_json() == view.to_json()
    s.close()
    with scint.open(store_url) as again:
        assert again.view().to_json() == view.to_json()
        assert again.replay().to_json() == view.to_json()
        assert again.inbox("writer") == [] and again.inbox("oracle") == []
    assert (len(fake_openai.requests), len(calls)) == (requests, made)
