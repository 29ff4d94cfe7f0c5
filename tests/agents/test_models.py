"""Models by name and templates (SPEC section 9): a process's steps go to its declared endpoint, through the real
`openai` client, with its key read from the environment when it runs (never recorded); a process spawns children
from the templates it lists, with at most its own capabilities."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scint
from scint.core.capabilities import Capabilities
from scint.errors import ActionError, BadArguments, LLMError, PermissionDenied
from scint.llm import MockProvider
from scint.llm.process import run_thread
from tests.conftest import url_for
from tests.llm.conftest import FakeOpenAI

KEY_A = "sk-alpha-0123456789abcdefghijklmnop"
KEY_B = "sk-bravo-9876543210zyxwvutsrqponmlk"


def _toml(big: str, small: str) -> str:
    return f"""
schema = 1

[models.big]
model = "big-model"
base_url = "{big}"
api_key_env = "SCINT_TEST_KEY_A"

[models.small]
model = "small-model"
base_url = "{small}"
api = "responses"
api_key_env = "SCINT_TEST_KEY_B"

[contexts.desk]
type = "Thread"

[processes."desk.lead"]
goal = "get a summary written"
model = "big"
can = ["self.**", "desk.post"]
templates = ["summarizer", "wide"]

[templates.summarizer]
goal = "summarise what you are given"
model = "small"
can = ["self.**"]
budget = {{ steps = 3 }}
templates = ["summarizer", "elsewhere"]

[templates.wide]
goal = "do anything"
model = "small"
can = ["**"]

[templates.elsewhere]
goal = "not listed by the lead"
"""


@pytest.fixture
def declared(
    tmp_path: Path, servers: tuple[FakeOpenAI, FakeOpenAI], monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.setenv("SCINT_TEST_KEY_A", KEY_A)
    monkeypatch.setenv("SCINT_TEST_KEY_B", KEY_B)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    path = tmp_path / "scint.toml"
    path.write_text(_toml(servers[0].base_url, servers[1].base_url), encoding="utf-8")
    return path


@pytest.mark.parametrize("backend", ["lmdb", "sqlite"])
def test_a_parent_and_its_spawned_child_run_on_their_own_endpoints(
    backend: str, tmp_path: Path, declared: Path, servers: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    big, small = servers
    big.enqueue(
        {"program": 'self.spawn(name="s1", template="summarizer", goal="summarise: eggs are good")'},
        {"program": "self.s1.run(max_steps=3)"},
        "the summary is written",
    )
    small.enqueue("eggs: good")
    url = url_for(backend, tmp_path)
    with scint.open(url) as s:
        s.llm = MockProvider()  # the session's provider never hides a declared endpoint
        s.up(declared)
        assert s.run("desk.lead.run(max_steps=5)").value == "the summary is written"
        child = s.view().get("desk.lead.s1")
        assert child["endpoint"]["name"] == "small" and child["budget"] == {"steps": 3}
        assert child["can"] == ["self.**"] and child["answer"] == "eggs: good"
        # what it may spawn in turn: its template's list, among those its parent may spawn
        assert list(child["templates"]) == ["summarizer"]
        lead = s.view().get("desk.lead")
        assert [e["model"] for e in lead["transcript"] if "model" in e] == ["big-model"] * 3
        assert child["transcript"][0]["model"] == "small-model"
        starts = [e.request for e in s.log() if isinstance(e.request, dict) and "run" in e.request]
        assert {(r["run"], r["endpoint"], r["model"]) for r in starts} == {
            ("desk.lead", "big", "big-model"), ("desk.lead.s1", "small", "small-model"),
        }  # fmt: skip
        assert all(e.actor.startswith(("process:", "file:", "human")) for e in s.log())
        s.export(tmp_path / "run.jsonl")
    assert [(p, body["model"]) for p, body in big.requests] == [("/v1/chat/completions", "big-model")] * 3
    assert [(p, body["model"]) for p, body in small.requests] == [("/v1/responses", "small-model")]
    assert big.keys == [f"Bearer {KEY_A}"] * 3 and small.keys == [f"Bearer {KEY_B}"]
    for secret in (KEY_A, KEY_B):  # the keys were read when the run needed them, and never recorded
        for p in tmp_path.rglob("*"):
            if p.is_file() and p.name != "scint.toml":
                assert secret.encode() not in p.read_bytes(), p
    asked = len(big.requests), len(small.requests)
    with scint.open(url) as again:  # replay folds the events: no model is called
        assert again.replay().get("desk.lead.s1")["answer"] == "eggs: good"
        assert again.view().get("desk.lead")["answer"] == "the summary is written"
    with scint.load(tmp_path / "run.jsonl") as copy:
        assert copy.view().get("desk.lead.s1")["endpoint"]["api_key_env"] == "SCINT_TEST_KEY_B"
    assert (len(big.requests), len(small.requests)) == asked


def test_a_session_provider_serves_processes_without_an_endpoint(session: scint.Session, declared: Path) -> None:
    session.up(declared)
    session.run('create_context(name="free", type="Process", parent="desk", goal="g")')
    session.llm = MockProvider(["free's answer"], model="mocked")
    assert session.run("desk.free.run()").value == "free's answer"
    assert session.view().get("desk.free")["transcript"][-1]["model"] == "mocked"
    # a provider set for a model's name serves the processes that declare it
    session.models["big"] = named = MockProvider(["lead's answer"], model="big-model")
    assert session.run("desk.lead.run()").value == "lead's answer"
    assert [r.model for r in named.history] == ["big-model"] and session.llm.pending == 0
    del session.models["big"]
    assert "big" not in session.models
    with pytest.raises(BadArguments, match=r"takes a scint\.llm provider"):
        session.models["big"] = "a provider"  # type: ignore[assignment]


def test_a_missing_key_is_a_clear_error_and_the_run_records_nothing(
    session: scint.Session, declared: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session.up(declared)
    monkeypatch.delenv("SCINT_TEST_KEY_A")
    version = session.version
    with pytest.raises(LLMError, match="SCINT_TEST_KEY_A, which is not set"):
        session.run("desk.lead.run()")
    assert session.version == version and session.view().get("desk.lead")["status"] == "idle"


def test_spawn_from_a_template(session: scint.Session, declared: Path) -> None:
    session.up(declared)
    lead = "process:desk.lead"
    path = session.run('self.spawn(name="s1", template="summarizer", goal="")', actor=lead).value
    child = session.view().get(path)
    assert path == "desk.lead.s1" and child["goal"] == "summarise what you are given"
    assert child["model"] == "small-model" and child["endpoint"]["model"] == "small-model"
    path = session.run('self.spawn(name="s2", template="summarizer", goal="g", model="tiny")', actor=lead).value
    assert session.view().get(path)["model"] == "tiny"
    # without a template a child declares nothing of its own (run inside its parent's run, it uses the parent's)
    path = session.run('self.spawn(name="p", goal="g")', actor=lead).value
    plain = session.view().get(path)
    assert plain["endpoint"] is None and plain["can"] is None and plain["templates"] == {}
    version = session.version
    with pytest.raises(ActionError, match=r'may not spawn the template "sumarizer" \(did you mean `summarizer`'):
        session.run('self.spawn(name="x", template="sumarizer", goal="g")', actor=lead)
    with pytest.raises(ActionError, match="it may spawn only the templates it lists; they are: summarizer, wide"):
        session.run('self.spawn(name="x", template="elsewhere", goal="g")', actor=lead)
    # a child spawns only what its template lists among what its parent may: `elsewhere` is not among them
    with pytest.raises(ActionError, match=r"they are: summarizer$"):
        session.run('self.spawn(name="x", template="elsewhere", goal="g")', actor="process:desk.lead.s1")
    assert session.version == version


@pytest.mark.parametrize("actor", ["human", "process:desk.lead"])
def test_a_template_wider_than_its_parent_is_refused(session: scint.Session, declared: Path, actor: str) -> None:
    session.up(declared)
    version = session.version
    with pytest.raises(PermissionDenied, match=r'the template "wide" grants more than desk\.lead has'):
        session.run('desk.lead.spawn(name="w", template="wide", goal="g")', actor=actor)
    assert session.version == version and "desk.lead.w" not in session.view()


GLOBS = st.sampled_from(
    ["self.**", "self.*", "self.x.get", "**", "notes.*", "notes.get", "notes.**", "a.**", "a.p.**", "a.p.c.*", "help"]
)
TARGETS = [
    ("a.p.c", "run"), ("a.p.c.x", "get"), ("a.p", "put"), ("notes", "get"), ("notes.x", "get"), ("", "help"),
    ("a", "post"), ("a.p.c.x.y", "get"),
]  # fmt: skip


@given(st.lists(GLOBS, min_size=0, max_size=4), st.lists(GLOBS, min_size=0, max_size=4))
@settings(max_examples=120, deadline=None)
def test_a_child_spawned_from_a_template_never_has_more_than_its_parent(parent: list, granted: list) -> None:
    with scint.open("memory://") as s:
        s.run(
            'create_context("a", type="Thread")\n'
            f'create_context(name="p", type="Process", parent="a", can={json.dumps(parent)}, '
            f'templates={{"t": {{"goal": "g", "can": {json.dumps(granted)}}}}})'
        )
        try:
            s.run('a.p.spawn(name="c", template="t", goal="work")')
        except PermissionDenied as exc:
            assert 'the template "t" grants more than a.p has' in str(exc) and "a.p.c" not in s.view()
            return
        assert s.view().get("a.p.c")["can"] == granted
        mine, theirs = Capabilities(granted, self_path="a.p.c"), Capabilities(parent, self_path="a.p")
        for path, action in TARGETS:
            assert not mine.allows(path, action) or theirs.allows(path, action), (path, action)


def test_processes_on_two_endpoints_run_concurrently_without_a_session_provider(
    session: scint.Session, declared: Path, servers: tuple[FakeOpenAI, FakeOpenAI], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # no session provider could be made: none is needed
    big, small = servers
    big.enqueue("plain's answer")
    small.enqueue("summary's answer")
    session.up(declared)
    big_endpoint = json.dumps(session.view().get("desk.lead")["endpoint"])
    session.run(
        'desk.lead.spawn(name="s1", template="summarizer", goal="x")\n'
        f'create_context(name="s2", type="Process", parent="desk.lead", goal="y", endpoint={big_endpoint})'
    )
    answers = run_thread(session, "desk.lead", max_steps=2)
    assert answers == {"desk.lead.s1": "summary's answer", "desk.lead.s2": "plain's answer"}
    assert [b["model"] for _, b in big.requests] == ["big-model"]
    assert [b["model"] for _, b in small.requests] == ["small-model"]


def test_a_child_without_a_template_run_in_its_parents_run_uses_the_parents_endpoint(
    session: scint.Session, declared: Path, servers: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    big, small = servers
    big.enqueue({"program": 'self.spawn(name="p", goal="count to two")'}, {"program": "self.p.run()"}, "two", "done")
    session.up(declared)
    assert session.run("desk.lead.run(max_steps=4)").value == "done"
    assert session.view().get("desk.lead.p")["answer"] == "two"
    assert [b["model"] for _, b in big.requests] == ["big-model"] * 4 and small.requests == []
