"""`session.run(text, params=...)`: values bound from outside as `$name`, checked like a program's literals,
recorded with the program (rerun and export keep them); `Result.bindings` holds what the program assigned."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scint
from scint.core.bindings import check_params, free_names
from scint.llm import MockProvider
from tests.review.test_hostile_exports import CREATE, put, write_export


@pytest.fixture
def s(session: scint.Session) -> scint.Session:
    session.run('create_context("notes"); notes.put(key="milk", value={"qty": 2})')
    return session


def get(s: scint.Session, key: str) -> Any:
    return s.run(f'notes.get(key="{key}")').value


def test_params_bind_dollar_names_and_the_program_reads_its_own_first(s: scint.Session) -> None:
    r = s.run(
        'notes.put(key="a", value=$v); v = notes.get(key="milk"); notes.put(key="b", value=[$v.qty, $w.x[1]])',
        params={"v": 41, "w": {"x": [0, "one"]}},
    )
    assert get(s, "a") == 41 and get(s, "b") == [2, "one"]
    assert r.bindings == {"v": {"qty": 2}}  # what the program assigned: not the params, not $_


def test_only_the_params_a_program_reads_are_recorded(s: scint.Session) -> None:
    before = s.version
    s.run('notes.put(key="a", value=$v)', params={"v": [1, 2.5, None, True, "x"], "unused": 7})
    assert s.log(limit=1)[0].params == {"v": [1, 2.5, None, True, "x"]}
    assert s.log(limit=1)[0].as_dict()["params"] == {"v": [1, 2.5, None, True, "x"]}
    assert s.run("history.log(limit=1)").value[0]["params"] == {"v": [1, 2.5, None, True, "x"]}
    s.run('notes.put(key="b", value=1)', params={"unused": 7})
    assert s.log(limit=1)[0].params is None and "params" not in s.log(limit=1)[0].as_dict()
    s.run("x = notes.get(key=$k)", params={"k": "a"})  # read-only: not logged
    assert s.version == before + 2


def test_the_caller_keeps_its_objects_and_the_result_its_own(s: scint.Session) -> None:
    value = {"list": [1, 2]}
    r = s.run('notes.put(key="a", value=$v); got = notes.get(key="a")', params={"v": value})
    value["list"].append(3)
    r.bindings["got"]["list"].append(4)
    assert get(s, "a") == {"list": [1, 2]}
    assert s.log(limit=1)[0].params == {"v": {"list": [1, 2]}}


def test_rerun_and_export_keep_the_params(s: scint.Session, tmp_path: Path) -> None:
    since = s.version
    s.run('notes.put(key="a", value=$v)', params={"v": {"n": 41}})
    s.run('notes.update(key="a", patch={"m": $m})', params={"m": "x"})
    report = s.rerun(since=since, branch="again")
    assert not report.failures and report.programs == 2
    s.export(tmp_path / "h.jsonl")
    s.checkout("again")
    assert get(s, "a") == {"n": 41, "m": "x"}
    assert [e.params for e in s.log(limit=2)] == [{"m": "x"}, {"v": {"n": 41}}]
    loaded = scint.load(tmp_path / "h.jsonl", into=f"sqlite:///{tmp_path}/copy.db")
    try:
        assert [e.params for e in loaded.log(limit=2)] == [{"m": "x"}, {"v": {"n": 41}}]
        assert not loaded.rerun(since=since, branch="again").failures
        loaded.checkout("again")
        assert loaded.view().get("notes")["data"]["a"] == {"n": 41, "m": "x"}
    finally:
        loaded.close()


def test_dry_run_checks_params_and_records_nothing(s: scint.Session) -> None:
    version = s.version
    r = s.run('notes.put(key="a", value=$v); x = notes.get(key="a")', params={"v": 1}, dry_run=True)
    assert r.bindings == {"x": 1} and s.version == version
    with pytest.raises(scint.BadArguments, match=r"\$v is a set"):
        s.run('notes.put(key="a", value=$v)', params={"v": {1}}, dry_run=True)


def test_workflows_see_their_own_arguments_not_the_params(s: scint.Session) -> None:
    s.run('create_context("c", type="Composer")')
    s.run('c.define(name="w", params=["item"], body="i = notes.get(key=$item)\\nnotes.put(key=\\"w\\", value=$i)")')
    r = s.run('c.run(name="w", item=$k)', params={"k": "milk", "i": "outer"})
    assert get(s, "w") == {"qty": 2} and r.bindings == {}
    with pytest.raises(scint.BadArguments, match=r"reads \$v in statement 1"):
        s.run('c.define(name="x", body="notes.put(key=\\"x\\", value=$v)")', params={"v": 1})


BAD = [
    ([1], scint.BadArguments, "params must be a dict"),
    ("v=1", scint.BadArguments, "params must be a dict"),
    ({1: 2}, scint.BadArguments, "is not a Scint name"),
    ({"1a": 2}, scint.BadArguments, "is not a Scint name"),
    ({"a-b": 2}, scint.BadArguments, "is not a Scint name"),
    ({"x" * 129: 2}, scint.BadArguments, "is not a Scint name"),
    ({"_": 2}, scint.BadArguments, r"\$_ is always the previous statement's result"),
    ({"v": object()}, scint.BadArguments, r"\$v is an object"),
    ({"v": (1, 2)}, scint.BadArguments, r"\$v is a tuple"),
    ({"v": b"x"}, scint.BadArguments, r"\$v is a bytes"),
    ({"v": {"k": [1, {2}]}}, scint.BadArguments, r'\$v\["k"\]\[1\] is a set'),
    ({"v": {"k": float("nan")}}, scint.BadArguments, "finite numbers only"),
    ({"v": float("-inf")}, scint.BadArguments, "finite numbers only"),
    ({"v": {3: 1}}, scint.BadArguments, "keys must be strings"),
    ({"v": "\ud800"}, scint.BadArguments, "lone surrogate"),
    ({"v": {"\udfff": 1}}, scint.BadArguments, "lone surrogate"),
    ({"v": 2**63}, scint.LimitExceeded, "integer range"),
    ({"v": -(2**63)}, scint.LimitExceeded, "integer range"),
    ({"v": "x" * 262_145}, scint.LimitExceeded, "262,145 characters"),
    ({"v": {"x" * 262_145: 1}}, scint.LimitExceeded, "262,145 characters"),
    ({"v": list(range(10_001))}, scint.LimitExceeded, "10,001 items"),
    ({"v": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}, scint.LimitExceeded, "nested more than"),
    ({f"v{i}": 0 for i in range(10_001)}, scint.LimitExceeded, "params; the limit"),
    ({f"v{i}": "x" * 200_000 for i in range(6)}, scint.LimitExceeded, "characters as text"),
]


@pytest.mark.parametrize(("params", "error", "words"), BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_params_are_clear_errors_and_change_nothing(
    s: scint.Session, params: Any, error: type, words: str
) -> None:
    version = s.version
    with pytest.raises(error, match=words):
        s.run('notes.put(key="a", value=$v)', params=params)
    assert s.version == version and s.run("notes.keys()").value == ["milk"]


def test_the_session_limits_apply(store_url: str) -> None:
    with scint.open(store_url, limits=scint.Limits(max_string_chars=5, max_items=2, max_depth=3)) as s:
        s.run('create_context("n")')
        s.run('n.put(key="a", value=$v)', params={"v": ["12345", [1, 2]]})
        for v, words in ((["123456"], "6 characters"), ([1, 2, 3], "3 items"), ([[[1]]], "nested more than 2 deep")):
            with pytest.raises(scint.LimitExceeded, match=words):
                s.run('n.put(key="a", value=$v)', params={"v": v})
            text = "n.put(key=\"a\", value=" + json.dumps(v) + ")"  # the same value written in the program: refused too
            with pytest.raises(scint.LimitExceeded):
                s.run(text)


def test_an_unbound_name_still_says_so(s: scint.Session) -> None:
    with pytest.raises(scint.BadArguments, match=r"statement 2 .*\$vv is not defined"):
        s.run('notes.put(key="a", value=$v); notes.put(key="a", value=$vv)', params={"v": 1})
    assert s.run("notes.keys()").value == ["milk"]


def test_free_names_are_read_before_assigned() -> None:
    program = scint.parse("a = n.get(key=$x); n.put(key=$a, value=[$y, $_, $x]); y = n.keys(); n.put(value=$y)")
    assert free_names(program) == ["x", "y"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63) + 1, 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values)
def test_any_json_value_round_trips_through_a_param(s: scint.Session, value: Any) -> None:
    s.run('notes.put(key="p", value=$v)', params={"v": value})
    assert get(s, "p") == value
    assert s.log(limit=1)[0].params == {"v": value}


python_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5) | st.binary(max_size=3)
    | st.complex_numbers() | st.decimals() | st.fractions() | st.dates() | st.builds(object) | st.just(...),
    lambda inner: st.lists(inner, max_size=3) | st.tuples(inner) | st.frozensets(st.integers(), max_size=2)
    | st.dictionaries(st.text(max_size=3) | st.integers() | st.none(), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(params=st.dictionaries(st.text(max_size=4) | st.integers(), python_values, max_size=3))
def test_any_python_params_are_accepted_or_a_scint_error(params: dict[Any, Any]) -> None:
    try:
        checked = check_params(params, scint.Limits())
    except scint.ScintError:
        return
    assert checked == params and json.loads(json.dumps(checked)) == checked  # accepted: plain JSON, unchanged


def test_an_export_with_damaged_params_is_refused(tmp_path: Path) -> None:
    def export(name: str, params: Any) -> Path:
        meta = {"actor": "human", "source": "x", "program": "p2", "n": 1, "params": params}
        return write_export(tmp_path / name, [CREATE, put({"key": "a", "value": 1}, meta=meta)])

    for params in ([1], {"1a": 1}, "x", {"_": 1}):
        with pytest.raises(scint.HistoryError, match="params"):
            scint.load(export("h.jsonl", params))
    path = export("ok.jsonl", {"v": 1})
    with scint.load(path) as loaded:
        assert loaded.log(limit=1)[0].params == {"v": 1}


def test_a_process_run_binds_its_answer_when_assigned(session: scint.Session) -> None:
    session.run('create_context("lit", type="Process", goal="g")')
    session.llm = MockProvider(["found three"])
    r = session.run("answer = lit.run(max_steps=2)")
    assert r.value == "found three" and r.bindings == {"answer": "found three"}
    session.llm = MockProvider(["again"])
    assert session.run("lit.run(max_steps=2)").bindings == {}
