"""Values built at run time are bounded (Limits.max_value_*, max_run_*): references copied into arguments, action
and query results, workflow arguments, values read back from state and history. Breaking a bound is a fast
LimitExceeded that writes nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scint
from scint.core.budget import MAX_VALUE_DEPTH, Budget
from scint.errors import BadArguments, LimitExceeded

DOUBLE = 'a = c.get(key="x")\nc.put(key="x", value=[$a, $a])'


def _fresh(s: scint.Session) -> scint.Session:
    s.run('create_context("c")\ncreate_context("w", type="Composer")\nc.put(key="x", value=[1])')
    return s


def _unchanged(s: scint.Session, run: Callable[[], Any]) -> LimitExceeded:
    before = s.version, s.view().render("json")
    with pytest.raises(LimitExceeded) as info:
        run()
    assert (s.version, s.view().render("json")) == before
    return info.value


def test_the_doubling_program_fails_fast_and_writes_nothing(session: scint.Session) -> None:
    s = _fresh(session)
    program = "\n".join([DOUBLE] * 20)
    assert len(program) < 1_000
    start = time.perf_counter()
    error = _unchanged(s, lambda: s.run(program))
    # unbounded, this took 19 s and 727 MB; bounded, it stops at 100,000 items (well under a second when idle)
    assert time.perf_counter() - start < 10
    assert "Limits.max_value_items" in str(error)


GET = 'c.get(key="x")'
ROUTES = {  # (too big, fits, how $a is read)
    "a list of references": ('c.put(key="y", value=[$a, $a, $a])', 'c.put(key="y", value=[$a])', GET),
    "a dict of references": ('c.put(key="y", value={"p": $a, "q": $a})', 'c.put(key="y", value={"p": $a})', GET),
    "a reference into a field": ('c.put(key="y", value=[$a.x, $a.x])', 'c.put(key="y", value=[$a.x])', "c.items()"),
    "positional arguments": ('c.put("y", [$a, $a, $a])', 'c.put("y", [$a])', GET),
    "a workflow's arguments": ('w.run(name="keep", v=[$a, $a])', 'w.run(name="keep", v=$a)', GET),
    "create_context": ('create_context("n", data={"p": $a, "q": $a})', 'create_context("n", data={"p": $a})', GET),
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_every_route_into_an_argument_is_bounded(open_session: Callable[..., scint.Session], route: str) -> None:
    s = _fresh(open_session(limits=scint.Limits(max_value_items=1_000)))
    s.run('w.define(name="keep", params=["v"], body="c.put(key=\\"kept\\", value=$v)")')
    s.run('c.put(key="x", value=[' + ",".join(["1"] * 600) + "])")
    too_big, fits, read = ROUTES[route]
    _unchanged(s, lambda: s.run(f"a = {read}\n{too_big}"))
    s.run(f"a = {read}\n{fits}")  # one copy fits


def test_values_read_back_from_state_are_bounded(open_session: Callable[..., scint.Session]) -> None:
    s = _fresh(open_session(limits=scint.Limits(max_value_items=1_000)))
    for i in range(4):  # each program stays under the bound; together they hold more than it
        s.run(f'c.put(key="k{i}", value=[' + ",".join(["1"] * 300) + "])")
    error = _unchanged(s, lambda: s.run("c.items()"))
    assert "the result of c.items()" in str(error)
    _unchanged(s, lambda: s.run('history.at(version=7, path="c")'))
    assert len(s.run('c.get(key="k0")').value) == 300


def test_a_types_action_result_is_bounded(open_session: Callable[..., scint.Session], register_type: Any) -> None:
    class Spewer(scint.Context):
        n: int = 0

        @scint.action
        def spew(self, k: int) -> list[int]:
            self.n += 1
            return list(range(k))

        @scint.query
        def peek(self, k: int) -> str:
            return "x" * k

    register_type(Spewer)
    s = open_session(limits=scint.Limits(max_value_items=1_000, max_value_chars=5_000))
    s.run('create_context("sp", type="Spewer")')
    _unchanged(s, lambda: s.run("sp.spew(k=2000)"))
    _unchanged(s, lambda: s.run("sp.peek(k=6000)"))
    assert s.run("sp.spew(k=900)").value == list(range(900))
    assert s.run("sp.peek(k=4000)").value == "x" * 4000


def test_a_program_as_a_whole_is_bounded(open_session: Callable[..., scint.Session]) -> None:
    s = _fresh(open_session(limits=scint.Limits(max_value_items=1_000, max_run_items=3_000)))
    s.run("c.put(key=\"x\", value=[" + ",".join(["1"] * 900) + "])")
    def copies(n: int) -> str:
        return "\n".join(['a = c.get(key="x")', *(f'c.put(key="k{i}", value=$a)' for i in range(n))])

    s.run(copies(2))  # about 2,700 items built and read back
    error = _unchanged(s, lambda: s.run(copies(3)))
    assert "Limits.max_run_items" in str(error)


def test_nesting_built_through_references_is_bounded_not_a_crash(session: scint.Session) -> None:
    s = _fresh(session)
    program = "\n".join(['a = c.get(key="x")', *(["a = c.put(key=\"x\", value=[$a])\na = c.get(key=\"x\")"] * 70)])
    error = _unchanged(s, lambda: s.run(program))
    assert f"nested more than {MAX_VALUE_DEPTH} deep" in str(error)


@pytest.mark.parametrize(
    "field", ["max_value_items", "max_value_chars", "max_run_items", "max_run_chars", "max_depth"]
)
@pytest.mark.parametrize("bad", [0, -1, "5", 2.5, True, None])
def test_limits_are_validated(field: str, bad: Any) -> None:
    with pytest.raises(BadArguments, match=f"Limits.{field}"):
        scint.Limits(**{field: bad})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=5), inner, max_size=6),
    max_leaves=60,
)


def _size(value: Any) -> tuple[int, int]:
    if type(value) is list:
        parts = [_size(v) for v in value]
        return 1 + sum(p[0] for p in parts), sum(p[1] for p in parts)
    if type(value) is dict:
        parts = [_size(v) for v in value.values()]
        return 1 + len(value) + sum(p[0] for p in parts), sum(len(k) for k in value) + sum(p[1] for p in parts)
    return 1, len(value) if type(value) is str else 0


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values, items=st.integers(1, 80), chars=st.integers(0, 120))
def test_a_copy_is_exact_or_refused_exactly_at_the_bound(value: Any, items: int, chars: int) -> None:
    n_items, n_chars = _size(value)
    budget = Budget(scint.Limits(max_value_items=items, max_value_chars=max(chars, 1)))
    if n_items <= items and n_chars <= max(chars, 1):
        copy = budget.copy(value, "v")
        assert copy == value
        assert (budget.items, budget.chars) == (n_items, n_chars)
    else:
        with pytest.raises(LimitExceeded):
            budget.copy(value, "v")
        assert (budget.items, budget.chars) == (0, 0)
