"""Hostile inputs: nothing reaches Python internals or undeclared attributes; every failure is a ScintError."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import scint
from scint.contexts import registry

SETUP = 'create_context("notes"); notes.put(key="a", value=1); create_context("t", type="Task")'


@pytest.fixture
def s(session: scint.Session) -> scint.Session:
    session.run(SETUP)
    return session


@pytest.fixture(scope="module")
def shared() -> Iterator[scint.Session]:
    """One in-memory session for the long list below (the interpreter is under test, not the store; every
    program in it must fail and change nothing, which the test checks)."""
    with scint.open("memory://") as session:
        session.run(SETUP)
        yield session


EXPECTED = (
    '{"notes":{"state":{"data":{"a":1}},"type":"Container"},"t":{"state":{"assignee":null,"detail":null,'
    '"reason":null,"result":null,"status":"todo","title":""},"type":"Task"}}'
)
HOSTILE = [
    "notes.__class__()",
    "notes.__dict__",
    "notes.__dict__()",
    "notes.__init__()",
    'notes.__getattribute__(name="data")',
    'notes._remember(key="x")',
    'notes._existing(key="a")',
    "notes.state()",
    "notes.restore()",
    "notes.path()",
    "notes.name()",
    "notes.now()",
    "notes.data()",
    'notes.create_child(name="x", type_name="Container")',
    'notes.child(name="x")',
    "notes.children()",
    'notes.spec(name="put", where="x")',
    "notes.specs()",
    "notes.doc()",
    "notes.initial_state(config={})",
    "notes.__scint_checkpoint__()",
    "notes.__scint_restore__(token={})",
    "notes.__scint_specs__()",
    "notes.put.__globals__()",
    't._move(frm="todo", to="done", verb="x")',
    "t.STATUSES()",
    'create_context("x", type="Context")',
    'create_context("x", type="MapAccess")',
    'create_context("x", type="object")',
    'create_context("x", type="__builtins__")',
    'create_context("x", type="Container", _scint_map=1)',
    'create_context("x", type="Container", __dict__={})',
    'create_context("x", type="Container", __class__="Task")',
    'help(topic="__import__")',
    'help(topic="Container.__init__")',
    'help(topic="Container._remember")',
    'help(topic="Container.__class__.__subclasses__")',
    '__import__("os")',
    'eval("1")',
    'exec("import os")',
    'open("/etc/passwd")',
    "getattr()",
    "print()",
    "history.__class__()",
    "history._iter_log()",
    'x = notes.get(key="a"); notes.put(key="b", value=$x.__class__)',
    'x = notes.keys(); notes.put(key="b", value=$x.__len__)',
    'x = notes.items(); notes.put(key="b", value=$x.__class__)',
    'x = notes.items(); notes.put(key="b", value=$x["__class__"])',
    'notes.put(key="b", value=$__builtins__)',
    'notes.put(key="b", value=$__class__)',
    'drop_context(path="__class__")',
    'drop_context(path="")',
    'drop_context(path="notes.__dict__")',
    'notes.put(key="b", value=1e999)',
    'notes.put(key="b", value=123456789012345678901234567890)',
    'notes.put(key="b", value=-9223372036854775809)',
    'notes.put(key="b", value=' + "[" * 200 + "]" * 200 + ")",
    'notes.put(key="b", value=' + '{"a": ' * 100 + "1" + "}" * 100 + ")",
    'notes.put(key="b", value="\\ud800")',
    'notes.put(key="b", value=NaN)',
    'notes.put(key="b", value=Infinity)',
    'notes.put(key="b", value=b"x")',
    'notes.put(key="b", value=(1, 2))',
    'notes.put(key="b", value={1, 2})',
    'notes.put(key="b", value={1: 2})',
    'notes.put(key="b", value=lambda: 1)',
    'notes.put(key="b", value=notes.get(key="a"))',
    'notes.put(key="b", value=notes)',
    "import os",
    'notes.put(**{"key": "b"})',
    'notes["data"]',
    'notes.put(key="b", value=1).__class__',
    'self.put(key="b", value=1)',
]


@pytest.mark.parametrize("program", HOSTILE)
def test_hostile_programs_raise_scint_errors_and_change_nothing(shared: scint.Session, program: str) -> None:
    before = shared.view().render("json"), shared.version
    with pytest.raises(scint.ScintError) as info:
        shared.run(program)
    assert "internal error" not in str(info.value)
    assert (shared.view().render("json"), shared.version) == before == (EXPECTED, 3)


def test_only_declared_actions_are_reachable(shared: scint.Session) -> None:
    declared = set(registry.get_type("Container").specs())
    for attribute in sorted(set(dir(registry.get_type("Container"))) - declared):
        with pytest.raises((scint.UnknownAction, scint.ScintSyntaxError)):
            shared.run(f"notes.{attribute}()")
    assert shared.view().render("json") == EXPECTED


def test_huge_inputs_hit_limits_not_memory(s: scint.Session) -> None:
    with pytest.raises(scint.LimitExceeded):
        s.run('notes.put(key="b", value="' + "x" * 300_000 + '")')
    with pytest.raises(scint.LimitExceeded):
        s.run('notes.put(key="b", value=[' + ",".join(["1"] * 20_000) + "])")
    with pytest.raises(scint.LimitExceeded):
        s.run("\n".join(["notes.keys()"] * 10_001))
    with pytest.raises(scint.LimitExceeded):
        s.run("#" * 1_000_001)


def test_a_program_may_not_run_forever(s: scint.Session) -> None:
    s.run('create_context("c", type="Composer")')
    # wide recursion: each level runs the next workflow many times, far beyond the statement budget if unbounded
    s.run('c.define(name="w0", body="notes.keys()")')
    for i in range(1, 8):
        body = "; ".join([f'c.run(name=\\"w{i - 1}\\")'] * 10)
        s.run(f'c.define(name="w{i}", body="{body}")')
    with pytest.raises(scint.LimitExceeded, match="more than 100,000 statements"):
        s.run('c.run(name="w7")')


def test_a_big_but_legal_value_round_trips(s: scint.Session) -> None:
    value = {f"k{i}": [i, str(i) * 10, {"n": None}] for i in range(2_000)}
    text = repr(value).replace("'", '"').replace("None", "null")
    s.run(f'notes.put(key="big", value={text})')
    assert s.run('notes.get(key="big")').value == value


def test_strange_but_legal_keys_and_strings(s: scint.Session) -> None:
    for key in ["__class__", "__dict__", "_remember", "", " ", "ключ", "a.b", "$x", "\\u0000"]:
        s.run(f'notes.put(key="{key}", value="{key}")')
    keys = s.run("notes.keys()").value
    assert "__class__" in keys and "\x00" in keys and "" in keys
    assert s.run('notes.get(key="__class__")').value == "__class__"
