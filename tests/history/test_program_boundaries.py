"""History at program boundaries (SPEC §3): the versions inside a multi-statement program (its events but the
last) are states nobody saw. Every way of naming a past version — view(at=), replay(to=), branch(at=), diff
with versions and branch@N, history.at / history.branch / history.diff in the language, rerun(since=) — refuses
them with a HistoryError naming the program's first and last version; the states before and after a program
stay reachable. The expected spans come from each run's Result (its events and version), not from the store."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scint
from scint.core.boundaries import program_span

Span = tuple[int, int]


def run(s: scint.Session, text: str, spans: dict[int, Span], seen: list[int]) -> None:
    """Run `text`, noting the versions inside it (with its span) and the boundary after it."""
    r = s.run(text)
    if r.events:
        first = r.version - len(r.events) + 1
        spans.update({v: (first, r.version) for v in range(first, r.version)})
        seen.append(r.version)


def refusals(s: scint.Session, v: int) -> list[Callable[[], object]]:
    """Every way to name version `v` of the session's branch."""
    name = s.branch_name
    return [
        lambda: s.view(at=v),
        lambda: s.replay(to=v),
        lambda: s.diff(f"{name}@{v}", name),
        lambda: s.diff(v, s.version),
        lambda: s.run(f"history.at(version={v})"),
        lambda: s.run(f'history.diff(a="{name}@{v}", b={v})'),
        lambda: s.branch(f"at-{v}", at=v),
    ]


def check_every_version(s: scint.Session, spans: dict[int, Span]) -> None:
    for v in range(s.version + 1):
        if v in spans:
            first, last = spans[v]
            message = f"version {v} of {s.branch_name} is inside the program that made versions {first}-{last}; "
            for call in refusals(s, v):
                with pytest.raises(scint.HistoryError, match=re.escape(message + f"use {first - 1} or {last}")):
                    call()
            assert program_span(s.app, s.branch_name, v) == (first, last)
        else:
            for call in refusals(s, v):
                call()
            assert s.replay(to=v).render("json") == s.view(at=v).render("json")
            assert program_span(s.app, s.branch_name, v) is None


put = st.builds(lambda k, v: f"n.put(key={json.dumps(k)}, value={v})", st.sampled_from("abc"), st.integers(0, 9))
program = st.lists(put, min_size=1, max_size=4).map("; ".join)


@pytest.mark.parametrize("backend", ["lmdb", "sqlite", "memory"])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.lists(program, min_size=1, max_size=5), after=st.lists(program, max_size=3), data=st.data())
def test_every_version_is_refused_exactly_when_it_is_inside_a_program(
    backend: str, before: list[str], after: list[str], data: st.DataObject, new_store_url: Callable[[str], str]
) -> None:
    with scint.open(new_store_url(backend)) as s:
        spans: dict[int, Span] = {}
        seen = [0]
        run(s, 'create_context("n")', spans, seen)
        for text in before:
            run(s, text, spans, seen)
        if data.draw(st.booleans(), label="fork"):  # a branch at a boundary: its lineage is main's programs below
            at = data.draw(st.sampled_from(seen[1:]), label="at")  # after `n` exists
            s.branch("fork", at=at)
            s.checkout("fork")
            spans = {v: span for v, span in spans.items() if span[1] <= at}
        for text in after:
            run(s, text, spans, seen)
        check_every_version(s, spans)
        log = s.log()  # the log groups events the same way
        assert {e.version - e.events + 1: e.version for e in log if e.events > 1} == dict(sorted(set(spans.values())))


def test_a_program_across_a_fork_is_one_program_on_the_new_branch(session: scint.Session) -> None:
    session.run('create_context("n")')
    r = session.run(
        'n.put(key="a", value=1); history.branch(name="x"); history.checkout(name="x"); n.put(key="b", value=2)'
    )
    assert session.branch_name == "x" and r.version == 3
    message = "version 2 of x is inside the program that made versions 2-3; use 1 or 3"
    with pytest.raises(scint.HistoryError, match=re.escape(message)):
        session.view(at=2)
    assert session.log()[0].events == 2
    session.checkout("main")  # on main, the program made version 2 only: its last event there
    assert session.view(at=2).get("n")["data"] == {"a": 1} and session.diff(1, 2).changed


def test_versions_this_program_made_so_far_are_inside_it(session: scint.Session) -> None:
    session.run('create_context("n")')
    start = 'n.put(key="a", value=1); n.put(key="b", value=2); n.put(key="c", value=3); '
    message = re.escape("version 3 of main is inside this program, which has made versions 2-4 so far; use 1 or 4")
    statements = ("history.at(version=3)", 'history.branch(name="y", at=3)', "history.diff(a=3, b=4)")
    for stmt in (*statements, 'history.diff(a="main@3", b="main")'):
        with pytest.raises(scint.HistoryError, match=message):
            session.run(start + stmt)
    assert session.version == 1 and [b["name"] for b in session.branches()] == ["main"]  # nothing was recorded
    r = session.run(
        start + 'history.branch(name="before", at=1); history.branch(name="now", at=4); history.at(version=4)'
    )
    assert r.value["n"]["state"]["data"] == {"a": 1, "b": 2, "c": 3}
    assert {b["name"]: b["at"] for b in session.branches()} == {"main": 0, "before": 1, "now": 4}


def test_long_programs_are_found_across_pages(session: scint.Session) -> None:
    session.run('create_context("n")')
    session.run("; ".join(f'n.put(key="k{i}", value={i})' for i in range(600)))  # versions 2-601
    session.run('n.put(key="z", value=0)')
    for v in (2, 300, 600):
        with pytest.raises(scint.HistoryError, match="made versions 2-601; use 1 or 601"):
            session.view(at=v)
    assert session.view(at=601).get("n")["data"]["k599"] == 599
    with pytest.raises(scint.HistoryError, match="made versions 2-601; use 1 or 601"):
        session.rerun(since=5)
