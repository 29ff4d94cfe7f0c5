"""Session.ask with MockProvider: errors go back to the model, bounded retries, provenance, atomicity."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

import scint
from scint.llm import MockProvider, ToolCall


def test_ask_runs_the_program_with_provenance(s: scint.Session) -> None:
    mock = MockProvider([{"program": 'create_context("notes"); notes.put(key="eggs", value=2)'}], model="m1")
    r = s.ask("put two eggs in my notes", provider=mock)
    assert r.program == 'create_context("notes"); notes.put(key="eggs", value=2)' and r.attempts == 1
    assert r.result.version == 2 and s.view().get("notes") == {"data": {"eggs": 2}}
    entry = s.log()[0]
    assert entry.actor == "llm:m1"
    assert entry.request == {"text": "put two eggs in my notes", "model": "m1", "attempt": 1}
    request = mock.history[0]
    assert request.messages[-1] == {"role": "user", "content": "put two eggs in my notes"}
    assert "The current state" in request.messages[0]["content"]
    assert request.tools[0]["function"]["description"].startswith("Scint:")  # the cheat sheet


def test_the_model_sees_the_state(s: scint.Session) -> None:
    s.run('create_context("notes"); notes.put(key="milk", value=1)')
    mock = MockProvider([{"program": 'notes.get(key="milk")'}])
    assert s.ask("how much milk?", provider=mock).result.value == 1
    system = mock.history[0].messages[0]["content"]
    assert "notes (Container)" in system and '"milk": 1' in system


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ('create_context("notes")\nnotes.put(key="eggs" value=2)', "ScintSyntaxError: line 2, column 22"),
        ('create_context("notes"); notes.pot(key="eggs", value=2)', "UnknownAction: statement 2"),
        ('create_context("notes"); notes.put(key="eggs", valu=2)', "BadArguments: statement 2"),
    ],
)
def test_an_error_goes_back_to_the_model_then_the_fix_runs(s: scint.Session, bad: str, error: str) -> None:
    good = 'create_context("notes"); notes.put(key="eggs", value=2)'
    mock = MockProvider([{"program": bad}, {"program": good}])
    r = s.ask("two eggs", provider=mock)
    assert (r.program, r.attempts) == (good, 2)
    feedback = mock.history[1].messages[-1]
    assert feedback["role"] == "tool" and feedback["tool_call_id"] == "call_1"
    assert feedback["content"].startswith("error: " + error)
    assert [e.request["attempt"] for e in s.log()] == [2]
    assert s.version == 2


def test_retries_are_bounded_and_nothing_changes(s: scint.Session) -> None:
    mock = MockProvider([{"program": 'create_context("n"); n.nope()'}] * 3)
    with pytest.raises(scint.LLMError, match=r"(?s)in 3 attempts.*UnknownAction"):
        s.ask("do it", provider=mock, max_retries=2)
    assert len(mock.history) == 3 and s.version == 0 and s.log() == []


def test_a_text_reply_is_read_as_a_program(s: scint.Session) -> None:
    mock = MockProvider(['Here you go:\n```scint\ncreate_context("notes")\n```\n', 'notes.put(key="a", value=1)'])
    assert s.ask("make notes", provider=mock).program == 'create_context("notes")\n'
    assert s.ask("put a", provider=mock).result.version == 2
    empty = MockProvider(["", ToolCall.custom('create_context("x")')])
    assert s.ask("x", provider=empty).attempts == 2
    assert empty.history[1].messages[-1] == {"role": "user", "content": empty.history[1].messages[-1]["content"]}


def test_dry_run_validates_and_records_nothing(s: scint.Session) -> None:
    mock = MockProvider([{"program": 'create_context("notes")'}])
    r = s.ask("make notes", provider=mock, dry_run=True)
    assert r.program == 'create_context("notes")' and r.result.value == "notes"
    assert s.version == 0


def test_session_llm_is_used_by_default_and_async_works(s: scint.Session) -> None:
    s.llm = MockProvider([{"program": 'create_context("a")'}, {"program": 'create_context("b")'}])
    s.ask("a")
    asyncio.run(s.aask("b"))
    assert [c["path"] for c in s.run("contexts()").value] == ["a", "b"]


def test_mock_provider_script(s: scint.Session) -> None:
    mock = MockProvider().enqueue(RuntimeError("boom"))
    with pytest.raises(scint.LLMError, match="the model service failed: boom"):
        s.ask("x", provider=mock)
    with pytest.raises(scint.LLMError, match="no scripted reply left"):
        s.ask("x", provider=mock)
    calls = MockProvider([lambda req: {"program": f'create_context("n{len(req.messages)}")'}], tool_kind="custom")
    assert s.ask("x", provider=calls).program == 'create_context("n2")'
    assert calls.history[0].tools[0]["type"] == "custom" and calls.pending == 0


def test_no_service_configured_is_a_clear_error(s: scint.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(scint.LLMError, match="no model service is configured"):
        s.ask("anything")


def test_import_scint_does_not_import_openai() -> None:
    code = "import scint, scint.llm, sys; scint.open('memory://'); print('openai' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
