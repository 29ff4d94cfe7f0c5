"""Composer: workflows validated when defined, run with bound parameters, nested, bounded, listed and shown."""

from __future__ import annotations

import pytest

import scint
from scint.core.interpreter import MAX_COMPOSER_DEPTH


@pytest.fixture
def s(session: scint.Session) -> scint.Session:
    session.run('create_context("notes"); create_context("composer", type="Composer")')
    return session


def define(s: scint.Session, name: str, body: str, params: list[str] | None = None) -> scint.Result:
    p = "" if params is None else ", params=[" + ", ".join(f'"{x}"' for x in params) + "]"
    return s.run(f'composer.define(name="{name}"{p}, body="""{body}""")')


def test_define_and_run_with_bound_parameters(s: scint.Session) -> None:
    assert define(s, "restock", "notes.put(key=$item, value=$qty); notes.get(key=$item)", ["item", "qty"]).value == (
        "restock"
    )
    r = s.run('composer.run(name="restock", item="eggs", qty=12)')
    assert r.value == 12  # the workflow's last result
    assert [(e.path, e.action, e.args) for e in r.events] == [("notes", "put", {"key": "eggs", "value": 12})]
    assert s.run('notes.get(key="eggs")').value == 12


def test_parameters_can_be_navigated_and_assignments_used(s: scint.Session) -> None:
    define(
        s,
        "copy",
        'x = notes.get(key=$src.key); notes.put(key=$dst[0], value=$x.v); notes.put(key="last", value=$_)',
        ["src", "dst"],
    )
    s.run('notes.put(key="a", value={"v": 7})')
    s.run('composer.run(name="copy", src={"key": "a"}, dst=["b"])')
    assert s.run('notes.get("b")').value == 7
    assert s.run('notes.get("last")').value is None


def test_the_body_is_stored_verbatim(s: scint.Session) -> None:
    body = "\n  notes.put(key=$item, value=0)   # restock\n"
    define(s, "restock", body, ["item"])
    assert s.run('composer.show(name="restock")').value == {"name": "restock", "params": ["item"], "body": body}


def test_list_is_sorted(s: scint.Session) -> None:
    assert s.run("composer.list()").value == []
    define(s, "b", "notes.keys()")
    define(s, "a", "notes.keys()")
    assert s.run("composer.list()").value == ["a", "b"]


def test_redefining_replaces(s: scint.Session) -> None:
    define(s, "w", 'notes.put(key="x", value=1)')
    define(s, "w", 'notes.put(key="x", value=2)')
    s.run('composer.run(name="w")')
    assert s.run('notes.get("x")').value == 2


@pytest.mark.parametrize(
    ("body", "params", "message"),
    [
        ("notes.put(key=", [], r"the body of workflow `bad` is not valid Scint: line 1, column \d+"),
        ("notes.put(key=$nope, value=1)", [], r"reads \$nope in statement 1, but it is neither a parameter \(none\)"),
        ("notes.put(key=$k, value=$y); y = notes.keys()", ["k"], r"reads \$y in statement 1"),
        (
            'notes.put(key="a", value=[{"x": $ghost}])',
            ["k"],
            r"reads \$ghost in statement 1, but it is neither a parameter \(k\)",
        ),
    ],
)
def test_bodies_are_validated_when_defined(s: scint.Session, body: str, params: list[str], message: str) -> None:
    version = s.version
    with pytest.raises(scint.BadArguments, match=message):
        define(s, "bad", body, params)
    assert s.version == version
    assert s.run("composer.list()").value == []


def test_a_body_may_not_start_with_the_previous_result(s: scint.Session) -> None:
    with pytest.raises(
        scint.BadArguments, match=r"reads \$_ in its first statement, where there is no previous result"
    ):
        define(s, "bad", 'notes.put(key="a", value=$_)')


def test_body_may_read_earlier_assignments_and_the_previous_result(s: scint.Session) -> None:
    assert define(s, "ok", 'x = notes.keys(); notes.put(key="k", value=$x); notes.put(key="j", value=$_)').value == "ok"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ('composer.define(name="1x", body="notes.keys()")', "a workflow name must be a plain name"),
        ('composer.define(name="x", params=["a", "a"], body="notes.keys()")', "workflow parameters must be distinct"),
        ('composer.define(name="x", params=["a b"], body="notes.keys()")', "a workflow parameter must be a plain name"),
        ('composer.define(name="x", params="a", body="notes.keys()")', r"`params` must be list\[str\]"),
    ],
)
def test_bad_names_and_params(s: scint.Session, call: str, message: str) -> None:
    with pytest.raises(scint.BadArguments, match=message):
        s.run(call)


def test_missing_and_unknown_run_parameters(s: scint.Session) -> None:
    define(s, "restock", "notes.put(key=$item, value=0)", ["item"])
    with pytest.raises(
        scint.BadArguments, match=r'composer\.run\(name="restock"\): missing `item`; its parameters are: item'
    ):
        s.run('composer.run(name="restock")')
    with pytest.raises(scint.BadArguments, match=r"unknown `colour`; its parameters are: item"):
        s.run('composer.run(name="restock", item="a", colour="red")')


def test_running_an_unknown_workflow(s: scint.Session) -> None:
    define(s, "restock", "notes.keys()")
    with pytest.raises(
        scint.ActionError, match=r'composer has no workflow "restok" \(did you mean `restock`\?\); it has: restock'
    ):
        s.run('composer.run(name="restok")')
    with pytest.raises(scint.ActionError, match=r'composer has no workflow "zz"'):
        s.run('composer.show(name="zz")')


def test_an_error_inside_a_workflow_names_the_workflow_and_the_outer_statement(s: scint.Session) -> None:
    define(s, "w", 'notes.put(key="a", value=1); notes.get(key=$k)', ["k"])
    version = s.version
    with pytest.raises(scint.ActionError) as info:
        s.run('notes.put(key="before", value=0)\ncomposer.run(name="w", k="missing")')
    assert info.value.statement == 2
    assert info.value.source == 'composer.run(name="w", k="missing")'
    assert "in workflow composer/w: notes has no key" in str(info.value)
    assert s.version == version
    assert s.run("notes.keys()").value == []


def test_type_errors_surface_at_run_time(s: scint.Session) -> None:
    s.run('create_context("t", type="Task")')
    define(s, "w", "t.assign(to=$who)", ["who"])
    with pytest.raises(scint.BadArguments, match=r"in workflow composer/w: t\.assign\(\): `to` must be str, not int"):
        s.run('composer.run(name="w", who=1)')


def test_nested_workflows(s: scint.Session) -> None:
    define(s, "inner", "notes.put(key=$k, value=$v)", ["k", "v"])
    define(s, "outer", 'composer.run(name="inner", k=$k, v=1); composer.run(name="inner", k="also", v=$k)', ["k"])
    r = s.run('composer.run(name="outer", k="x")')
    assert len(r.events) == 2
    assert s.run("notes.items()").value == {"also": "x", "x": 1}
    entry = s.log(limit=1)[0]
    assert (entry.source, entry.events, entry.version) == ('composer.run(name="outer", k="x")', 2, r.version)


def test_the_log_shows_the_program_not_the_workflow_body(s: scint.Session) -> None:
    define(s, "w", 'notes.put(key=$k, value=1); notes.put(key="y", value=2)', ["k"])
    s.run('composer.run(name="w", k="x")')
    assert s.log(limit=1)[0].source == 'composer.run(name="w", k="x")'


def test_recursion_is_bounded(s: scint.Session) -> None:
    define(s, "loop", 'notes.put(key="x", value=1); composer.run(name="loop")')
    version = s.version
    with pytest.raises(scint.LimitExceeded, match=rf"workflows call workflows more than {MAX_COMPOSER_DEPTH} deep"):
        s.run('composer.run(name="loop")')
    assert s.version == version
    assert s.run("notes.keys()").value == []


def test_mutual_recursion_is_bounded(s: scint.Session) -> None:
    define(s, "ping", 'composer.run(name="pong")')
    define(s, "pong", 'composer.run(name="ping")')
    with pytest.raises(scint.LimitExceeded):
        s.run('composer.run(name="ping")')


def test_a_read_only_workflow_records_nothing(s: scint.Session) -> None:
    s.run('notes.put(key="a", value=1)')
    define(s, "peek", 'notes.get(key="a")')
    version = s.version
    r = s.run('composer.run(name="peek")')
    assert (r.value, r.events, s.version) == (1, (), version)


def test_a_workflow_can_change_the_composer_itself(s: scint.Session) -> None:
    define(s, "meta", 'composer.define(name=$n, body="notes.keys()")', ["n"])
    s.run('composer.run(name="meta", n="made")')
    assert s.run("composer.list()").value == ["made", "meta"]


def test_a_workflow_defined_inside_a_workflow_is_validated(s: scint.Session) -> None:
    define(s, "meta", 'composer.define(name="broken", body=$b)', ["b"])
    with pytest.raises(scint.BadArguments, match="the body of workflow `broken` is not valid Scint"):
        s.run('composer.run(name="meta", b="notes.put(")')
