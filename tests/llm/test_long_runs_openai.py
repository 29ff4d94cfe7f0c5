"""A 300-step process run through the real `openai` client against the loopback server (SPEC 14): the requests
stay the same size however long the run, the summaries are recorded and replay reuses them without a request,
and a summary request the server fails (500) loses nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import scint
from scint.llm import OpenAIProvider, RunLimits, run_process
from tests.conftest import url_for

from .conftest import FakeOpenAI

LIT = "research.lit"
STEPS = 300


def model(steps: int, fail_summaries: int = 0) -> Any:
    """The server's replies: a summary when asked without tools (failing the first `fail_summaries` times with a
    500), else a distinct program per step, then an answer."""
    done = {"steps": 0, "summaries": 0}

    def reply(body: dict[str, Any]) -> Any:
        if "tools" not in body:
            done["summaries"] += 1
            if done["summaries"] <= fail_summaries:
                return {"status": 500, "message": "the summariser is down"}
            return f"summary {done['summaries']}: the tasks up to step {done['steps']} are added"
        done["steps"] += 1
        if done["steps"] > steps:
            return "all added"
        return {"program": f'self.add_task(title="step {done["steps"]}", detail="added at step {done["steps"]}")'}

    return reply


def open_run(s: scint.Session, server: FakeOpenAI, steps: int, fail_summaries: int = 0) -> str | None:
    s.run('create_context("research", type="Thread"); research.spawn(name="lit", goal="add the tasks")')
    server.enqueue(*[model(steps, fail_summaries)] * (2 * steps))
    provider = OpenAIProvider("test-model", base_url=server.base_url, api_key="test", max_retries=0)
    return run_process(s, LIT, steps + 1, provider=provider, limits=RunLimits(max_steps=2 * steps))


@pytest.fixture
def lmdb(tmp_path: Path) -> Iterator[scint.Session]:
    """The default store only: 300 steps take long enough once (the other tests run on SQLite and LMDB)."""
    with scint.open(url_for("lmdb", tmp_path)) as session:
        yield session


def test_300_steps_send_requests_of_a_flat_size(lmdb: scint.Session, fake_openai: FakeOpenAI) -> None:
    stored = lmdb
    assert open_run(stored, fake_openai, STEPS) == "all added"
    steps = [len(json.dumps(body)) for _, body in fake_openai.requests if "tools" in body]
    assert len(steps) == STEPS + 1
    early, late = max(steps[50:100]), max(steps[200:300])
    assert late <= 1.2 * early, (early, late)
    summaries = [len(json.dumps(body)) for _, body in fake_openai.requests if "tools" not in body]
    assert 20 <= len(summaries) <= 30 and max(summaries) < 2 * early
    entries = stored.view().get(LIT)["transcript"]
    assert len([e for e in entries if "calls" in e]) == STEPS  # every step stays recorded
    recorded = [e for e in entries if "summary" in e]
    assert len(recorded) == len(summaries) and recorded[-1]["model"] == "test-model"
    # replay rebuilds it all from the events, summaries included, with no request
    sent = len(fake_openai.requests)
    assert stored.replay().get(LIT)["transcript"] == entries
    assert len(fake_openai.requests) == sent


def test_a_failing_summary_request_loses_nothing(stored: scint.Session, fake_openai: FakeOpenAI) -> None:
    assert open_run(stored, fake_openai, 40, fail_summaries=2) == "all added"
    entries = stored.view().get(LIT)["transcript"]
    assert len([e for e in entries if "calls" in e]) == 40
    failed = [e for e in entries if "summary_failed" in e]
    assert len(failed) == 1 and "500" in failed[0]["summary_failed"]
    assert any("summary" in e for e in entries[entries.index(failed[0]) :])  # a later attempt succeeded
    statuses = ["left out" in json.dumps(body) for _, body in fake_openai.requests if "tools" in body]
    assert any(statuses)  # the step after the failure went on with its newest entries
    assert stored.view().get(LIT)["status"] == "done"


@pytest.mark.parametrize("api", ["chat", "responses"])
def test_a_summary_request_carries_no_tools(s: scint.Session, fake_openai: FakeOpenAI, api: str) -> None:
    s.run('create_context("research", type="Thread"); research.spawn(name="lit", goal="add the tasks")')
    fake_openai.enqueue(*[model(30)] * 60)
    provider = OpenAIProvider("test-model", api=api, base_url=fake_openai.base_url, api_key="test", max_retries=0)
    assert run_process(s, LIT, 31, provider=provider) == "all added"
    path, body = next((p, b) for p, b in fake_openai.requests if "tools" not in b)
    assert path.endswith("/chat/completions" if api == "chat" else "/responses")
    text = json.dumps(body)
    assert "working memory" in text and "The transcript entries 1 to" in text
