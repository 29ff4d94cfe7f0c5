"""The real `openai` client over HTTP against a loopback OpenAI-compatible server, for both APIs."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import openai
import pytest

import scint
import scint.llm
from scint.llm import OpenAIProvider

from .conftest import FakeOpenAI

APIS = ["chat", "responses"]
GOOD = 'create_context("notes"); notes.put(key="eggs", value=2)'


def provider(server: FakeOpenAI, api: str, **kwargs: object) -> OpenAIProvider:
    return OpenAIProvider("test-model", api=api, base_url=server.base_url, api_key="test", max_retries=0, **kwargs)


def sent_messages(body: dict) -> list[dict]:
    return body["messages"] if "messages" in body else body["input"]


@pytest.mark.parametrize("api", APIS)
def test_a_syntax_error_then_a_fix(s: scint.Session, fake_openai: FakeOpenAI, api: str) -> None:
    fake_openai.enqueue({"program": 'create_context("notes")\nnotes.put(key="eggs" value=2)'}, {"program": GOOD})
    r = s.ask("two eggs", provider=provider(fake_openai, api))
    assert (r.program, r.attempts, r.model) == (GOOD, 2, "test-model")
    path, body = fake_openai.requests[1]
    assert path.endswith("/chat/completions" if api == "chat" else "/responses")
    feedback = sent_messages(body)[-1]
    if api == "chat":
        assert feedback["role"] == "tool" and feedback["tool_call_id"] == "call_1_0"
        assert body["tools"][0]["function"]["name"] == "scint"
        text = feedback["content"]
    else:
        assert feedback["type"] == "function_call_output" and feedback["call_id"] == "call_1_0"
        assert sent_messages(body)[-2]["type"] == "function_call"
        assert body["tools"][0]["name"] == "scint"
        text = feedback["output"]
    assert text.startswith("error: ScintSyntaxError: line 2, column 22")
    assert s.log()[0].actor == "llm:test-model" and s.log()[0].request["attempt"] == 2


@pytest.mark.parametrize("api", APIS)
def test_an_unknown_action_then_a_fix_through_the_custom_tool(
    s: scint.Session, fake_openai: FakeOpenAI, api: str
) -> None:
    fake_openai.enqueue({"custom": 'create_context("notes"); notes.pot(key="eggs", value=2)'}, {"custom": GOOD})
    r = s.ask("two eggs", provider=provider(fake_openai, api, tool_kind="custom"))
    assert r.program == GOOD and s.view().get("notes")["data"] == {"eggs": 2}
    body = fake_openai.requests[1][1]
    tool = body["tools"][0]
    grammar = tool["custom"]["format"]["grammar"]["definition"] if api == "chat" else tool["format"]["definition"]
    assert '"create_context"' in grammar
    feedback = sent_messages(body)[-1]
    text = feedback["content"] if api == "chat" else feedback["output"]
    assert "UnknownAction" in text and "did you mean `put`?" in text
    if api == "responses":
        assert feedback["type"] == "custom_tool_call_output" and sent_messages(body)[-2]["type"] == "custom_tool_call"


@pytest.mark.parametrize("api", APIS)
def test_a_tool_call_loop_written_with_the_sdk(s: scint.Session, fake_openai: FakeOpenAI, api: str) -> None:
    """What a user's own agent loop looks like: scint.llm.tools + session.handle, nothing else."""
    fake_openai.enqueue(
        {"program": 'create_context("notes"); notes.put(key="a", value=1)'},
        {"custom": 'notes.get(key="a")'},
        "a is 1",
    )
    client = openai.OpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    tools = scint.llm.tools(s, api=api)
    if api == "chat":
        messages: list = [{"role": "user", "content": "store a=1 and read it"}]
        while True:
            msg = client.chat.completions.create(model="m", messages=messages, tools=tools).choices[0].message
            messages.append(msg.model_dump(exclude_none=True))
            if not msg.tool_calls:
                break
            for call in msg.tool_calls:
                messages.append({"role": "tool", "tool_call_id": call.id, "content": s.handle(call)})
        answer = msg.content
        outputs = [m["content"] for m in messages if m.get("role") == "tool"]
    else:
        items: list = [{"role": "user", "content": "store a=1 and read it"}]
        while True:
            resp = client.responses.create(model="m", input=items, tools=tools)
            calls = [o for o in resp.output if o.type in ("function_call", "custom_tool_call")]
            items += [o.model_dump(exclude_none=True) for o in resp.output]
            if not calls:
                break
            for call in calls:
                kind = "function_call_output" if call.type == "function_call" else "custom_tool_call_output"
                items.append({"type": kind, "call_id": call.call_id, "output": s.handle(call)})
        answer = resp.output_text
        outputs = [i["output"] for i in items if i.get("type", "").endswith("_output")]
    assert answer == "a is 1"
    assert outputs == ['ok (committed, version 2): ["notes",null]', "ok (version 2): 1"]
    assert len(fake_openai.requests) == 3


@pytest.mark.parametrize("api", APIS)
def test_a_process_spawns_a_child_and_a_replay_sends_no_request(
    s: scint.Session, fake_openai: FakeOpenAI, api: str, tmp_path: Path
) -> None:
    s.llm = provider(fake_openai, api)
    s.run('create_context("research", type="Thread"); research.spawn(name="lit", goal="survey")')
    fake_openai.enqueue(
        {"program": 'self.spawn(name="sub", goal="one paper")'},
        {"program": "self.sub.run(max_steps=2)"},
        {"program": 'self.add_task(title="read")'},
        "paper: X",
        "survey: X",
    )
    assert s.run("research.lit.run(max_steps=4)").value == "survey: X"
    assert len(fake_openai.requests) == 5
    child_request = fake_openai.requests[2][1]
    assert "You are the process `research.lit.sub`" in json.dumps(child_request)
    view = s.view()
    assert view.get("research.lit.sub")["answer"] == "paper: X" and view.get("research.lit")["status"] == "done"
    # replay and export/load rebuild it all from events: not one request
    assert s.replay().to_json() == view.to_json()
    s.export(tmp_path / "h.jsonl")
    with scint.load(tmp_path / "h.jsonl") as loaded:
        assert loaded.view().to_json() == view.to_json()
    assert len(fake_openai.requests) == 5
    # rerun runs the process again with the current code, so its model (and its child's) is asked again
    fake_openai.enqueue(
        {"program": 'self.spawn(name="sub", goal="one paper")'},
        {"program": "self.sub.run(max_steps=2)"},
        "paper: Y",
        "survey: Y",
    )
    assert s.rerun(since=2, branch="again").failures == ()
    assert len(fake_openai.requests) == 9
    s.checkout("again")
    assert s.view().get("research.lit")["answer"] == "survey: Y"


@pytest.mark.parametrize("api", APIS)
def test_the_environment_configures_the_default_provider(
    s: scint.Session, fake_openai: FakeOpenAI, api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("SCINT_MODEL", "llama-3-8b")
    monkeypatch.setenv("SCINT_LLM_API", api)
    fake_openai.enqueue({"program": GOOD})
    assert s.ask("two eggs").model == "llama-3-8b"
    path, body = fake_openai.requests[0]
    assert body["model"] == "llama-3-8b" and path.endswith("/chat/completions" if api == "chat" else "/responses")


@pytest.mark.parametrize("api", APIS)
def test_async_ask(s: scint.Session, fake_openai: FakeOpenAI, api: str) -> None:
    fake_openai.enqueue({"program": GOOD})
    r = asyncio.run(s.aask("two eggs", provider=provider(fake_openai, api)))
    assert r.result.version == 2


def test_a_service_error_is_an_llm_error(s: scint.Session, fake_openai: FakeOpenAI) -> None:
    with pytest.raises(scint.LLMError, match="the model service failed"):
        s.ask("anything", provider=provider(fake_openai, "chat"))
    assert s.version == 0
