"""Long runs (SPEC 14) with MockProvider: a process's prompt stays bounded (summaries, recorded and reused), large
results reach its model as handles read page by page, and nudges after failing or repeated steps."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import scint
from scint.llm import MockProvider, RunLimits, arun_processes, run_process
from scint.llm.prompt import (
    CALLS_SHOWN,
    ITEM_CHARS,
    NUDGE_FAILED,
    NUDGE_REPEATED,
    SUMMARY_ITEMS,
    WINDOW_ITEMS,
    WINDOW_MAX,
    messages,
)
from scint.llm.provider import Request

LIT = "research.lit"


@pytest.fixture
def p(stored: scint.Session) -> scint.Session:
    """A process on SQLite, then LMDB (every event encoded and decoded)."""
    stored.run('create_context("research", type="Thread"); research.spawn(name="lit", goal="count")')
    return stored


def script(steps: int, summaries: list[str] | None = None) -> Callable[[Request], Any]:
    """A model that writes a summary when asked without tools, else steps through distinct programs, then answers."""
    done = {"steps": 0, "summaries": 0}

    def reply(request: Request) -> Any:
        if not request.tools:
            done["summaries"] += 1
            text = f"summary {done['summaries']}: counted up to step {done['steps']}"
            if summaries is not None:
                summaries.append(request.messages[-1]["content"])
            return text
        done["steps"] += 1
        if done["steps"] > steps:
            return "counted"
        return {"program": f'self.add_task(title="step {done["steps"]}")'}

    return reply


def sizes(mock: MockProvider) -> list[int]:
    return [sum(len(str(m.get("content") or "")) for m in r.messages) for r in mock.history if r.tools]


def transcript(s: scint.Session) -> list[dict[str, Any]]:
    return s.view().get(LIT)["transcript"]


def test_a_long_run_keeps_its_prompt_bounded_with_recorded_summaries(p: scint.Session) -> None:
    seen: list[str] = []
    reply = script(80, seen)
    p.llm = mock = MockProvider([reply] * 200)
    assert run_process(p, LIT, 90, limits=RunLimits(max_steps=200)) == "counted"
    entries = transcript(p)
    steps = [e for e in entries if "calls" in e]
    assert len(steps) == 80 and entries[-1]["text"] == "counted"  # raw history is all there
    summaries = [e for e in entries if "summary" in e]
    assert len(summaries) >= 4 and all(e["covers"][0] == 0 for e in summaries)
    assert [e["covers"][1] for e in summaries] == sorted({e["covers"][1] for e in summaries})
    # a summary of summaries: each request shows the previous summary and the entries after it
    assert "summary 1: counted up to step" in seen[1] and "The summary so far" in seen[1]
    assert "The summary so far" not in seen[0]
    # the prompt: the latest summary, then at most WINDOW_MAX entries
    last = mock.history[-1].messages
    assert any(f"summary {len(summaries)}:" in str(m["content"]) for m in last)
    assert sum(1 for m in last if m["role"] == "assistant") <= WINDOW_MAX
    n = sizes(mock)
    assert max(n[60:80]) <= 1.2 * max(n[20:40])
    # views and replay build the same prompt from the recorded summaries: no model call
    calls = len(mock.history)
    state = p.replay().get(LIT)
    assert state["transcript"] == entries
    assert messages(p, LIT, state)[2]["content"] == messages(p, LIT, p.view().get(LIT))[2]["content"]
    assert len(mock.history) == calls
    # a later run goes on from the latest summary
    p.llm = later = MockProvider(["still counted"])
    assert p.run(f"{LIT}.run(max_steps=1)").value == "still counted"
    assert f"summary {len(summaries)}:" in later.history[0].messages[2]["content"]


def test_a_summary_call_that_keeps_failing_loses_nothing(p: scint.Session) -> None:
    reply = script(40)
    failing = {"n": 0}

    def flaky(request: Request) -> Any:
        if not request.tools and failing["n"] < 2:  # the first summary: both attempts fail
            failing["n"] += 1
            raise ConnectionError("the service is down")
        return reply(request)

    p.llm = mock = MockProvider([flaky] * 100)
    assert run_process(p, LIT, 50) == "counted"
    entries = transcript(p)
    assert len([e for e in entries if "calls" in e]) == 40
    failed = [i for i, e in enumerate(entries) if "summary_failed" in e]
    assert len(failed) == 1 and "the service is down" in entries[failed[0]]["summary_failed"]
    # the step after it went on, with the newest entries and a note that older ones are left out
    after = next(r for r in mock.history if r.tools and any("left out" in str(m["content"]) for m in r.messages))
    assert sum(1 for m in after.messages if m["role"] == "assistant") == WINDOW_ITEMS
    # a later attempt succeeded and covers everything the failed one would have
    summary = next(e for e in entries[failed[0] :] if "summary" in e)
    assert summary["covers"][0] == 0 and summary["covers"][1] >= entries[failed[0]]["covers"][1]


def test_an_async_run_summarises_and_survives_a_failing_summary(p: scint.Session) -> None:
    reply = script(30)
    calls = {"summaries": 0}

    def flaky(request: Request) -> Any:
        if not request.tools:
            calls["summaries"] += 1
            if calls["summaries"] == 1:
                raise ConnectionError("a blip")  # the first attempt fails, the second writes it
        return reply(request)

    p.llm = MockProvider([flaky] * 40)
    assert asyncio.run(arun_processes(p, [LIT], 31)) == ["counted"]
    entries = transcript(p)
    assert [e["summary"] for e in entries if "summary" in e] == ["summary 1: counted up to step 25"]
    assert not any("summary_failed" in e for e in entries)  # retried within the step


def test_summaries_go_to_the_summaries_model_when_one_is_set(p: scint.Session) -> None:
    p.models["summaries"] = summariser = MockProvider(["short summary"] * 5, model="small")
    p.llm = mock = MockProvider([script(30)] * 40)
    assert p.run(f"{LIT}.run(max_steps=31)").value == "counted"
    assert all(r.tools for r in mock.history) and len(mock.history) == 31
    assert len(summariser.history) == 1 and not summariser.history[0].tools
    (summary,) = [e for e in transcript(p) if "summary" in e]
    assert (summary["summary"], summary["model"]) == ("short summary", "small")


def test_large_results_reach_the_model_as_handles(p: scint.Session) -> None:
    p.llm = mock = MockProvider(
        [
            {"program": "help()"},  # about 6,600 characters: more than result_chars
            {"program": 'read(handle="h1", page=2)'},
            {"program": 'read(handle="h1", page=9)'},
            {"program": 'read(handle="h7")'},
            {"program": 'self.spawn(name="sub", goal="read h1")'},
            {"program": "self.sub.run(max_steps=2)"},
            {"program": 'read(handle="h1", page=1)'},  # the child's step: it inherits its parent's handles
            "read it",
            "done",
        ]
    )
    assert p.run(f"{LIT}.run(max_steps=8)").value == "done"
    outputs = [e["outputs"][0] for e in transcript(p) if "outputs" in e]
    first, page, bad_page, unknown = outputs[:4]
    assert '"handle":"h1"' in first and '"pages":3' in first and 'read(handle="h1", page=1)' in first
    assert len(first) < 1_000  # a preview, not the result
    assert page.startswith("ok") and '"page":2' in page and '"pages":3' in page
    assert "BadArguments" in bad_page and "page is from 1 to 3, not 9" in bad_page
    assert "ActionError" in unknown and "there is no handle 'h7'" in unknown and "yours: h1" in unknown
    child = p.view().get(f"{LIT}.sub")["transcript"][0]["outputs"][0]
    assert child.startswith("ok") and '"page":1' in child
    # the handle is recorded: the whole text, read back after replay
    pages = [p.run(f'read(handle="h1", page={i})').value for i in (1, 2, 3)]
    whole = "".join(page["text"] for page in pages)
    assert whole.startswith("Scint: one statement") and len(whole) == pages[0]["chars"] > 6_000
    assert p.replay().to_json() == p.view().to_json()
    # another process may not read it
    p.run('research.spawn(name="other", goal="x")')
    with pytest.raises(scint.PermissionDenied, match=r"belongs to research\.lit"):
        p.run('read(handle="h1")', actor="process:research.other")
    assert len(mock.history) == 9


def test_result_chars_is_a_limit_of_the_session() -> None:
    with scint.open("memory://", limits=scint.Limits(result_chars=100)) as s:
        s.run('create_context("research", type="Thread"); research.spawn(name="lit", goal="g")')
        s.llm = MockProvider([{"program": 'self.add_task(title="a"); self.add_task(title="b"); self.tasks()'}, "ok"])
        s.run(f"{LIT}.run(max_steps=2)")
        out = s.view().get(LIT)["transcript"][0]["outputs"][0]
        assert '"research.lit.t1"' in out and '{"handle":"h1"' in out  # the short results whole, the long one kept
        assert s.run('read(handle="h1")').value["text"].startswith('[{"path":"research.lit.t1"')
    with pytest.raises(scint.BadArguments, match="result_chars"):
        scint.Limits(result_chars=0)


def test_nudges_after_two_failures_and_three_repeats(p: scint.Session) -> None:
    p.llm = mock = MockProvider(
        [
            {"program": "self.nope()"},
            {"program": "self.nope()"},
            {"program": "self.tasks()"},
            {"program": "self.tasks()"},
            {"program": "self.tasks()"},
            "done",
        ]
    )
    assert p.run(f"{LIT}.run(max_steps=6)").value == "done"
    nudges = [e["nudge"] for e in transcript(p) if "nudge" in e]
    assert nudges == [NUDGE_FAILED, NUDGE_REPEATED]
    third, sixth = mock.history[2].messages, mock.history[5].messages
    assert third[-1]["content"] == f"Note: {NUDGE_FAILED}"
    assert sixth[-1]["content"] == f"Note: {NUDGE_REPEATED}"
    assert not any("Note:" in str(m["content"]) for m in mock.history[1].messages)


def test_one_step_with_many_long_calls_shows_a_bounded_part_of_them(p: scint.Session) -> None:
    long = "self.tasks()  # " + "x" * 9_000
    p.llm = mock = MockProvider([[{"program": long}] + [{"program": f"self.tasks()  # {i}"} for i in range(11)], "ok"])
    p.run(f"{LIT}.run(max_steps=2)")
    step = transcript(p)[0]
    assert len(step["calls"]) == 12 and len(step["outputs"]) == 12  # all recorded
    second = mock.history[1].messages
    (assistant,) = [m for m in second if m["role"] == "assistant"]
    assert len(assistant["tool_calls"]) == CALLS_SHOWN
    shown = json.loads(assistant["tool_calls"][0]["input"])["program"]  # still a function call's JSON
    assert shown.startswith("self.tasks()  # xxx") and len(shown) <= ITEM_CHARS
    assert sum(m["role"] == "tool" for m in second) == CALLS_SHOWN
    assert second[-1]["content"] == "(4 more tool calls of that step are not shown here.)"


def test_handles_and_summaries_outlive_the_session(persistent_url: str) -> None:
    with scint.open(persistent_url) as s:
        s.run('create_context("research", type="Thread"); research.spawn(name="lit", goal="count")')
        s.llm = MockProvider([{"program": "help()"}, *[script(30)] * 40])
        s.run(f"{LIT}.run(max_steps=32)")
        before = s.view().get(LIT)
        page = s.run('read(handle="h1", page=3)').value
    with scint.open(persistent_url) as again:  # a new session: the store's snapshot and events, no model
        assert again.run('read(handle="h1", page=3)').value == page
        state = again.view().get(LIT)
        assert state["transcript"] == before["transcript"] and any("summary" in e for e in state["transcript"])
        assert messages(again, LIT, state)[2]["content"].startswith("A summary of your earlier work")


def test_a_long_backlog_is_summarised_in_bounded_requests(p: scint.Session) -> None:
    p.models["summaries"] = MockProvider([ConnectionError("down")] * 100)  # no summary for 100 steps
    p.llm = MockProvider([script(100)] * 101)
    run_process(p, LIT, 100, limits=RunLimits(max_steps=300))
    entries = transcript(p)
    assert not any("summary" in e for e in entries) and sum("summary_failed" in e for e in entries) >= 10
    p.models["summaries"] = summariser = MockProvider([f"summary {i}" for i in range(1, 5)])
    p.llm = mock = MockProvider([script(3)] * 4)
    run_process(p, LIT, 3)
    covers = [e["covers"] for e in transcript(p) if "summary" in e]
    assert len(covers) == 2 and covers[0][0] == covers[1][0] == 0 and covers[0][1] < covers[1][1]
    items = [i for i, e in enumerate(entries) if "calls" in e or "text" in e]
    assert covers[0][1] == items[SUMMARY_ITEMS - 1]  # one request covers at most SUMMARY_ITEMS entries
    assert all(len(r.messages[-1]["content"]) < 70_000 for r in summariser.history)
    assert "not yet summarised" in str(mock.history[0].messages)
    assert "not yet summarised" not in str(mock.history[1].messages)


def test_the_prompt_carries_the_declared_system_text_and_capabilities(p: scint.Session) -> None:
    p.run(f'{LIT}.configure(settings={{"system": "You are a careful librarian.", "can": ["self.**", "read"]}})')
    p.llm = mock = MockProvider(["done"])
    p.run(f"{LIT}.run(max_steps=1)")
    system = mock.history[0].messages[0]["content"]
    assert "You are a careful librarian." in system and "Your capabilities: self.**, read" in system


def test_a_result_that_cannot_be_kept_is_cut_and_says_why(p: scint.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("scint.core.handles.MAX_HANDLES", 0)
    p.llm = MockProvider([{"program": "help()"}, "done"])
    assert p.run(f"{LIT}.run(max_steps=2)").value == "done"
    out = transcript(p)[0]["outputs"][0]
    assert out.startswith("ok") and '"preview":"Scint: one statement' in out and len(out) < 1_000
    assert "could not be kept (a branch holds at most 0 handles)" in out


def test_handles_summaries_and_nudges_export_load_and_rerun(p: scint.Session, tmp_path: Path) -> None:
    p.llm = MockProvider(
        [{"program": "help()"}, {"program": "self.nope()"}, {"program": "self.nope()"}, *[script(30)] * 40]
    )
    p.run(f"{LIT}.run(max_steps=34)")
    entries = transcript(p)
    assert any("summary" in e for e in entries) and any("nudge" in e for e in entries)
    page = p.run('read(handle="h1", page=2)').value
    p.export(tmp_path / "run.jsonl")
    with scint.load(tmp_path / "run.jsonl") as loaded:  # no model: the recorded summaries and handles
        assert loaded.view().get(LIT)["transcript"] == entries
        assert loaded.run('read(handle="h1", page=2)').value == page
    # a rerun asks the model again: the handle is made again on the new branch, not copied
    p.llm = again = MockProvider([{"program": "help()"}, "done"])
    report = p.rerun(since=p.log()[-1].version, branch="again")
    assert report.failures == () and len(again.history) == 2
    p.checkout("again")
    assert p.run('read(handle="h1", page=2)').value == page
    assert not any("summary" in e for e in transcript(p))
