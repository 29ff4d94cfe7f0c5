"""User-defined types end to end: the SPEC's Counter, bodies that fail, return or store what Scint cannot keep."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import scint
from scint.contexts.registry import unregister
from scint.core.map import branch_id


def test_the_spec_counter(session: scint.Session, counter: type) -> None:
    session.run('create_context("c", type="Counter")')
    assert session.run("c.incr(by=2)").value == 2
    assert session.run('c.incr(); c.incr(by=3, who="ann")').values == (3, 6)
    assert session.run("c.value()").value == 6
    assert session.view().get("c") == {"n": 6, "seen": ["ann"]}
    with pytest.raises(scint.BadArguments, match=r'c\.incr\(\): `by` must be int, not str "x"'):
        session.run('c.incr(by="x")')
    with pytest.raises(scint.BadArguments, match=r"`by` must be int, not bool"):
        session.run("c.incr(by=true)")
    with pytest.raises(scint.BadArguments, match=r"`who` must be str \| null, not int"):
        session.run("c.incr(who=1)")
    with pytest.raises(scint.UnknownAction, match=r"c \(Counter\) has no action `n`; it has: incr, value"):
        session.run("c.n()")
    assert session.run("c.value()").value == 6


def test_counter_settings(session: scint.Session, counter: type) -> None:
    session.run('create_context("c", type="Counter", n=10, seen=["x"])')
    assert session.run("c.incr()").value == 11
    with pytest.raises(scint.BadArguments, match=r"`seen` must be list\[str\]"):
        session.run('create_context("d", type="Counter", seen=[1])')


def test_each_counter_has_its_own_list(session: scint.Session, counter: type) -> None:
    session.run('create_context("a", type="Counter"); create_context("b", type="Counter"); a.incr(who="x")')
    assert session.view().get("b")["seen"] == [] and session.view().get("a")["seen"] == ["x"]


def test_counter_appears_in_help(session: scint.Session, counter: type) -> None:
    assert "Counter: Counts things." in session.run("help()").value


class Odd(scint.Context):
    """A type whose bodies misbehave."""

    n: int = 0
    items: list[str] = []
    blob: Any = None

    @scint.action
    def boom(self) -> int:
        """Changes state, then raises."""
        self.n += 100
        raise ValueError("kaput")

    @scint.action
    def key_error(self) -> None:
        """Raises KeyError."""
        self.items.append("half")
        {}["missing"]

    @scint.action
    def refuse(self) -> None:
        """A deliberate refusal."""
        self.n += 1
        raise scint.ActionError("no, thank you")

    @scint.action
    def returns_set(self) -> Any:
        """Returns something that is not JSON."""
        self.n += 1000
        return {1, 2}

    @scint.action
    def returns_nan(self) -> Any:
        self.n += 1
        return float("nan")

    @scint.query
    def query_set(self) -> Any:
        return {1}

    @scint.action
    def keep(self, items: list[str]) -> None:
        """Keeps the argument itself in its state."""
        self.items = items

    @scint.action
    def push(self, x: str) -> int:
        self.items.append(x)
        return len(self.items)

    @scint.query
    def all(self) -> list[str]:
        """Returns the live list."""
        return self.items


@pytest.fixture
def odd(session: scint.Session, register_type: Callable[[type], type]) -> scint.Session:
    register_type(Odd)
    session.run('create_context("o", type="Odd")')
    return session


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        ("o.boom()", scint.ActionError, r"o\.boom\(\) failed: ValueError: kaput"),
        ("o.key_error()", scint.ActionError, r"o\.key_error\(\) failed: KeyError: 'missing'"),
        ("o.refuse()", scint.ActionError, r"statement 2 `o\.refuse\(\)`: no, thank you"),
        ("o.returns_set()", scint.ActionError, r"o\.returns_set\(\) returned set, which Scint cannot store or show"),
        ("o.returns_nan()", scint.ActionError, r"o\.returns_nan\(\) returned float"),
        ("o.query_set()", scint.ActionError, r"o\.query_set\(\) returned set"),
    ],
)
def test_misbehaving_bodies_become_action_errors_and_change_nothing(
    odd: scint.Session, call: str, error: type, message: str
) -> None:
    before = odd.view().render("json"), odd.version, odd.log()
    with pytest.raises(error, match=message) as info:
        odd.run(f'o.push(x="first"); {call}; o.push(x="after")')
    assert type(info.value) is error and info.value.statement == 2
    assert (odd.view().render("json"), odd.version, odd.log()) == before
    assert odd.run("o.push(x='ok')").value == 1  # the live state was rolled back, not just the store


def test_an_earlier_query_result_is_not_changed_by_later_statements(odd: scint.Session) -> None:
    r = odd.run('o.push(x="a"); o.all(); o.push(x="b"); o.all()')
    assert r.values == (1, ["a"], 2, ["a", "b"])


def test_arguments_kept_in_state_do_not_change_the_recorded_event(odd: scint.Session) -> None:
    odd.run('o.keep(items=["a"]); o.push(x="b")')
    events = list(odd.app.events.get(branch_id("main")))
    assert events[-2].args == {"items": ["a"]}
    assert odd.view().get("o")["items"] == ["a", "b"]
    assert odd.replay().render("json") == odd.view().render("json")


def test_a_store_using_an_unregistered_type_says_which(persistent_url: str) -> None:
    class Temp(scint.Context):
        n: int = 0

    scint.register(Temp)
    try:
        with scint.open(persistent_url) as s:
            s.run('create_context("t", type="Temp")')
    finally:
        unregister("Temp")
    with scint.open(persistent_url) as s:  # reading works (the state as data); changing it names the type
        assert s.view().type_of("t") == "Temp"
        with pytest.raises(scint.ScintError, match="`Temp`"):
            s.run('create_context("u")')
