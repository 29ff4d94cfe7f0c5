"""References: $name, $_, .field, [0], ["k"], negative indexes, and their errors."""

from __future__ import annotations

import pytest

import scint


@pytest.fixture
def s(session: scint.Session) -> scint.Session:
    session.run(
        'create_context("notes"); notes.put(key="doc", value={"l": [1, [2, 3]], "d": {"k": "v", "with space": 5}})'
    )
    return session


def put_ref(s: scint.Session, ref: str) -> object:
    s.run(f'x = notes.get(key="doc"); notes.put(key="out", value={ref})')
    return s.run('notes.get(key="out")').value


@pytest.mark.parametrize(
    ("ref", "value"),
    [
        ("$x", {"l": [1, [2, 3]], "d": {"k": "v", "with space": 5}}),
        ("$x.l", [1, [2, 3]]),
        ("$x.l[0]", 1),
        ("$x.l[1][0]", 2),
        ("$x.l[-1]", [2, 3]),
        ("$x.l[-1][-1]", 3),
        ("$x.l[-2]", 1),
        ('$x["d"]', {"k": "v", "with space": 5}),
        ('$x["d"]["with space"]', 5),
        ('$x.d["k"]', "v"),
        ('[$x.d.k, {"n": $x.l[0]}]', ["v", {"n": 1}]),
        ("$_", {"l": [1, [2, 3]], "d": {"k": "v", "with space": 5}}),
        ("$_.d.k", "v"),
    ],
)
def test_references_navigate(s: scint.Session, ref: str, value: object) -> None:
    assert put_ref(s, ref) == value


def test_dollar_underscore_is_the_previous_result(s: scint.Session) -> None:
    r = s.run('notes.keys(); notes.put(key="k", value=$_); notes.put(key="n", value=$_); notes.items()')
    assert r.value["k"] == ["doc"]
    assert r.value["n"] is None  # put returns null


def test_assignments_persist_through_the_program_only(s: scint.Session) -> None:
    s.run('a = notes.keys(); notes.put(key="b", value=1); notes.put(key="c", value=$a)')
    assert s.run('notes.get(key="c")').value == ["doc"]
    with pytest.raises(scint.BadArguments, match=r"\$a is not defined"):
        s.run('notes.put(key="d", value=$a)')


def test_reassignment_replaces(s: scint.Session) -> None:
    s.run('a = notes.keys(); notes.put(key="z", value=1); a = notes.keys(); notes.put(key="c", value=$a)')
    assert s.run('notes.get(key="c")').value == ["doc", "z"]


def test_a_reference_is_a_copy_of_the_value(s: scint.Session) -> None:
    s.run('x = notes.get(key="doc"); notes.put(key="copy", value=$x); notes.update(key="doc", patch={"d": 0})')
    assert s.run('notes.get(key="copy")').value["d"] == {"k": "v", "with space": 5}


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("$xx", r"\$xx is not defined \(did you mean `x`\?\); assign it first: xx = context.action\(\.\.\.\)"),
        ("$nothing", r"\$nothing is not defined; assign it first"),
        ("$x.nope", r"\$x has no field `nope`; its fields are: l, d"),
        ("$x.dd", r"\$x has no field `dd` \(did you mean `d`\?\)"),
        ("$x.l[2]", r"\$x\.l has 2 items; \[2\] is out of range"),
        ("$x.l[-3]", r"\$x\.l has 2 items; \[-3\] is out of range"),
        ("$x[0]", r"\$x is a dict, not a list: it has no \[0\]"),
        ("$x.l.k", r"\$x\.l is a list, not a dict: it has no field `k`"),
        ("$x.d.k.more", r"\$x\.d\.k is a string, not a dict: it has no field `more`"),
        ("$x.l[0][0]", r"\$x\.l\[0\] is an int, not a list: it has no \[0\]"),
        ('$x["missing"]', r"\$x has no field `missing`"),
        ("$x.__class__", r"\$x has no field `__class__`"),
        ("$x.l.__len__", r"\$x\.l is a list, not a dict: it has no field `__len__`"),
    ],
)
def test_reference_errors(s: scint.Session, ref: str, message: str) -> None:
    version = s.version
    with pytest.raises(scint.BadArguments, match=message) as info:
        s.run(f'x = notes.get(key="doc"); notes.put(key="out", value={ref})')
    assert info.value.statement == 2
    assert s.version == version


def test_dollar_underscore_without_a_previous_statement(s: scint.Session) -> None:
    with pytest.raises(scint.BadArguments, match=r"\$_ is the previous statement's result, and there is no previous"):
        s.run('notes.put(key="a", value=$_)')


def test_null_has_no_fields(s: scint.Session) -> None:
    with pytest.raises(scint.BadArguments, match=r"\$n is null, not a dict"):
        s.run('n = notes.put(key="a", value=1); notes.put(key="b", value=$n.x)')


def test_references_feed_type_checks(s: scint.Session) -> None:
    with pytest.raises(scint.BadArguments, match=r"notes\.put\(\): `key` must be str, not list"):
        s.run('x = notes.get(key="doc"); notes.put(key=$x.l, value=1)')


def test_references_in_builtins_and_paths_from_results(session: scint.Session) -> None:
    r = session.run(
        'create_context("t", type="Thread"); p = t.spawn(name="p", goal="g"); '
        'task = t.p.add_task(title=$p); create_context("box", parent=$p); t.p.box.put(key="task", value=$task)'
    )
    assert r.value is None
    assert session.view().get("t.p.t1")["title"] == "t.p"
    assert session.run('t.p.box.get(key="task")').value == "t.p.t1"
