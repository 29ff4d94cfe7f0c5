"""`diff` is type-strict: Python's `True == 1 == 1.0` (and `0.0 == -0.0`) once hid a change from `true` to `1`,
from `1` to `1.0`, at the top of a field or nested in lists and dicts, because the diff compared values with `==`.
Now every comparison the diff makes goes through `same_value`: two values differ exactly when their JSON differs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scint
from scint.core.history import diff_views, same_value
from scint.core.view import ContextMapView
from scint.dsl import literal

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**62), 2**62),
    st.sampled_from([0, 1, -1, 0.0, -0.0, 1.0, -1.0, True, False]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text("ab1é", max_size=3),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text("abc", max_size=2), inner, max_size=4)
    ),
    max_leaves=12,
)


def strict(a: Any, b: Any) -> bool:
    """The oracle: equal JSON text (key order aside)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def view(value: Any) -> ContextMapView:
    return ContextMapView({"n": ("Container", {"data": {"k": value}})}, path=None, version=0, branch="main")


def similar(draw: st.DrawFn, value: Any) -> Any:
    """`value` with one scalar somewhere swapped for one Python finds equal (true/1/1.0, 0.0/-0.0), if any."""
    twins: dict[Any, list[Any]] = {}
    for group in ([True, 1, 1.0], [False, 0, 0.0, -0.0]):
        for x in group:
            twins[json.dumps(x)] = [y for y in group if json.dumps(y) != json.dumps(x)]
    if type(value) is list and value:
        i = draw(st.integers(0, len(value) - 1))
        return [*value[:i], similar(draw, value[i]), *value[i + 1 :]]
    if type(value) is dict and value:
        k = draw(st.sampled_from(sorted(value)))
        return {**value, k: similar(draw, value[k])}
    options = twins.get(json.dumps(value)) if type(value) in (bool, int, float) else None
    return draw(st.sampled_from(options)) if options else value


@st.composite
def pairs(draw: st.DrawFn) -> tuple[Any, Any]:
    a = draw(json_values)
    return a, draw(st.one_of(json_values, st.just(a), st.builds(lambda: similar(draw, a))))


@settings(max_examples=400, deadline=None)
@given(pair=pairs())
def test_diff_is_empty_exactly_when_the_values_are_type_strictly_equal(pair: tuple[Any, Any]) -> None:
    a, b = pair
    d = diff_views(view(a), view(b))
    assert same_value(a, b) == strict(a, b)
    assert (not d["changed"]) == strict(a, b), d
    assert d["added"] == d["removed"] == {}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (True, 1),
        (1, 1.0),
        (False, 0),
        (0, 0.0),
        (0.0, -0.0),
        ([True], [1]),
        ([1, [2]], [1, [2.0]]),
        ({"x": 1}, {"x": True}),
        ({"x": {"y": [0]}}, {"x": {"y": [False]}}),
        ([1, 2], [1.0, 2, 3]),  # not an append: the old prefix changed type
    ],
)
def test_type_changes_that_python_calls_equal_are_differences(a: Any, b: Any) -> None:
    d = diff_views(view(a), view(b))["changed"]["n"]["data"]
    assert d != {} and "appended" not in d
    assert diff_views(view(a), view(a))["changed"] == {}


def test_a_nested_type_change_is_shown_where_it_is() -> None:
    d = diff_views(view({"x": 1, "y": [True]}), view({"x": 1, "y": [1]}))
    assert d["changed"]["n"]["data"] == {"changed": {"k": {"from": {"x": 1, "y": [True]}, "to": {"x": 1, "y": [1]}}}}


@pytest.mark.parametrize("backend", ["lmdb", "sqlite", "memory"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pair=pairs())
def test_session_diff_of_stored_values_is_type_strict(
    backend: str, pair: tuple[Any, Any], new_store_url: Callable[[str], str]
) -> None:
    a, b = pair
    with scint.open(new_store_url(backend)) as s:
        s.run('create_context("n")')
        s.run(f'n.put(key="k", value={literal(a)})')
        s.run(f'n.put(key="k", value={literal(b)})')
        d = s.diff(2, 3)
        assert bool(d) == (not strict(a, b)), d.render()
        if d:
            assert json.dumps(d.changed["n"]["data"], sort_keys=True) != "{}"
            assert "k" in d.render()
        inside = s.run('history.diff(a=2, b="main")').value
        assert (inside["changed"] == {}) == strict(a, b)
