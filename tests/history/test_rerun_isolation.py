"""A rerun writes only to its new branch. Re-running history that holds `history.checkout(...)` or
`history.branch(...)` once switched the rerun onto that branch: later programs landed in an unrelated existing
branch, the store's current branch moved, and the report said "all succeeded". Now those statements do nothing
in a rerun (the program goes on on the rerun branch) and the report lists each one under `ignored`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scint

NAMES = ["main", "b1", "b2"]
put = st.builds(lambda k, v: f"n.put(key={json.dumps(k)}, value={v})", st.sampled_from("abc"), st.integers(0, 99))
history_statement = st.one_of(
    st.builds(lambda b: f'history.branch(name="{b}")', st.sampled_from(NAMES[1:])),
    st.builds(lambda b: f'history.checkout(name="{b}")', st.sampled_from(NAMES)),
)
program = st.lists(st.one_of(put, put, history_statement), min_size=1, max_size=4).map("; ".join)
PUT_RE = re.compile(r'n\.put\(key="(\w)", value=(\d+)\)')


def snapshot(url: str, s: scint.Session) -> dict[str, Any]:
    """Every branch's head version and state, the store's current branch, and this session's branch."""
    branches = {b["name"]: b for b in s.branches()}
    out: dict[str, Any] = {"current": [n for n, b in branches.items() if b["current"]], "session": s.branch_name}
    for name, b in branches.items():
        with scint.open(url, branch=name) as other:
            out[name] = (b["version"], other.version, other.view().render("json"))
    return out


@pytest.mark.parametrize("backend", ["lmdb", "sqlite"])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(programs=st.lists(program, min_size=1, max_size=8), data=st.data())
def test_a_rerun_changes_nothing_but_its_own_branch(
    backend: str, programs: list[str], data: st.DataObject, new_store_url: Callable[[str], str]
) -> None:
    url = new_store_url(backend)
    with scint.open(url) as s:
        s.run('create_context("n")')
        for text in programs:
            try:
                s.run(text)
            except scint.HistoryError:
                pass  # a branch that exists already, a checkout of one that does not: nothing was recorded
        boundaries = sorted({0, *(e.version for e in s.log())})
        since = data.draw(st.sampled_from(boundaries), label="since")
        entries = [e for e in reversed(s.log()) if e.version > since]
        before = snapshot(url, s)

        report = s.rerun(since=since, branch="again")

        after = snapshot(url, s)
        assert after.pop("again")[0] == report_version(s, since, entries)
        assert after == before  # the current branch, this session, every other branch's version and state
        assert report.branch == "again" and report.since == since and not report.failures
        assert report.programs == len(entries)
        expected_ignored = [
            (e.program_id, e.version, stmt)
            for e in entries
            for stmt in re.findall(r'history\.(?:branch|checkout)\(name="\w+"\)', e.source)
        ]
        assert list(report.ignored) == expected_ignored
        assert ("ignored" in str(report)) == bool(expected_ignored) and "all succeeded" in str(report)
        with scint.open(url, branch="again") as again:
            data_then = s.view(at=since).get("n")["data"] if since else {}
            for e in entries:
                data_then.update({k: int(v) for k, v in PUT_RE.findall(e.source)})
            assert again.view().get("n")["data"] == data_then  # every put landed here, and only here


def report_version(s: scint.Session, since: int, entries: list[Any]) -> int:
    """The rerun branch's head: `since` plus one event per put (or create_context) of the re-run programs."""
    return since + sum(len(PUT_RE.findall(e.source)) + e.source.count("create_context(") for e in entries)


def test_a_recorded_checkout_does_not_carry_the_rerun_into_another_branch(open_session: Callable[..., Any]) -> None:
    s = open_session()
    s.run('create_context("n")')
    s.branch("other")
    s.run('n.put(key="a", value=1)')
    s.run('history.checkout(name="other"); history.checkout(name="main"); n.put(key="b", value=2)')
    s.run('n.put(key="c", value=3); history.branch(name="fresh")')
    other_before = s.diff("main@1", "other")
    report = s.rerun(since=2, branch="again")
    assert s.branch_name == "main" and [b["name"] for b in s.branches() if b["current"]] == ["main"]
    assert {b["name"] for b in s.branches()} == {"main", "other", "fresh", "again"}
    assert not s.diff("main@1", "other") and s.diff("main@1", "other").as_dict() == other_before.as_dict()
    assert [stmt for _, _, stmt in report.ignored] == [
        'history.checkout(name="other")',
        'history.checkout(name="main")',
        'history.branch(name="fresh")',
    ]
    assert not s.diff("main", "again")  # the same programs, the same state, all on `again`
    text = str(report)
    assert "re-ran 2 programs after version 2 on branch again: all succeeded" in text
    assert "ignored 3 history statements (a rerun writes only to its own branch)" in text
