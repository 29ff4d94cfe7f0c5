"""A counterfactual rerun through the real `openai` client over HTTP (SPEC 11): two processes exchange messages on
one loopback server; the rerun gives one of them a `[models]` entry on a second server. Each server gets exactly
the requests of the processes on it, and replay, views, diff and export send no request at all."""

from __future__ import annotations

from pathlib import Path

import pytest

import scint
from scint.llm import OpenAIProvider
from tests.conftest import url_for

from .conftest import FakeOpenAI

CAN = '["self.**", "send", "reply", "inbox", "notes.*"]'


@pytest.mark.parametrize("backend", ["lmdb", "sqlite"])
@pytest.mark.parametrize("api", ["chat", "responses"])
def test_another_model_on_another_server_and_replay_sends_nothing(
    servers: tuple[FakeOpenAI, FakeOpenAI], api: str, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    main, other = servers
    monkeypatch.setenv("SCINT_TEST_RERUN_KEY", "sk-test")
    url = url_for(backend, tmp_path)
    with scint.open(url) as s:
        s.run(
            'create_context("notes"); create_context("team", type="Thread")\n'
            f'create_context("a", type="Process", parent="team", goal="note b\'s count", can={CAN})\n'
            f'create_context("b", type="Process", parent="team", goal="answer", can={CAN})'
        )
        since = s.version
        s.llm = OpenAIProvider("main-model", api=api, base_url=main.base_url, api_key="test", max_retries=0)
        main.enqueue(
            {"program": 'send(to="team.b", content="how many?", kind="query")'}, "asked",
            {"program": 'reply(to="m1", content="two")'}, "answered",
            {"program": 'notes.put(key="n", value=2)'}, "noted",
        )  # fmt: skip
        for p in ("team.a", "team.b", "team.a"):
            s.run(f"{p}.run(max_steps=3)")
        assert len(main.requests) == 6 and s.view().get("notes")["data"] == {"n": 2}
        main.enqueue({"program": 'reply(to="m1", content="two")'}, "answered")
        other.enqueue(
            {"program": 'send(to="team.b", content="how many?", kind="query")'}, "asked",
            {"program": 'notes.put(key="n", value=20)'}, "noted",
        )  # fmt: skip
        entry = {"model": "other-model", "base_url": other.base_url, "api": api, "api_key_env": "SCINT_TEST_RERUN_KEY"}

        report = s.rerun(since, branch="other", models={"team.a": "other"}, endpoints={"other": entry})

        assert report.failures == () and report.programs == 3
        assert (len(main.requests), len(other.requests)) == (8, 4)
        assert {body["model"] for _, body in other.requests} == {"other-model"}
        assert {body["model"] for _, body in main.requests} == {"main-model"}
        assert set(other.keys) == {"Bearer sk-test"}  # the key read from the variable the entry names
        with scint.open(url, branch="other") as alt:
            a = alt.view().get("team.a")
            assert a["endpoint"] == {"name": "other", **entry} and "sk-test" not in alt.view().render("json")
            assert {e["model"] for e in a["transcript"] if "model" in e} == {"other-model"}
            assert alt.view().get("notes")["data"] == {"n": 20}
            assert alt.replay().render("json") == alt.view().render("json")
            alt.export(tmp_path / "other.jsonl")
        assert s.diff("main", "other").changed["notes"] == {"data": {"changed": {"n": {"from": 2, "to": 20}}}}
        assert s.replay().get("notes")["data"] == {"n": 2}
        s.export(tmp_path / "main.jsonl")
        with scint.load(tmp_path / "other.jsonl") as loaded:
            assert loaded.view().get("team.a")["answer"] == "noted"
        assert (len(main.requests), len(other.requests)) == (8, 4)  # replay, views, diff, export: not one request
