"""Live state, a reopened store and replay always agree, whatever a type's own code does: a query that changes its
context, a child or the tree (then raises or not), an action that changes a child or a built-in context it reaches
and a later statement that fails."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scint
from scint.contexts import registry


class Node(scint.Context):
    """A context whose own code reaches into its children and misbehaves on request."""

    n: int = 0
    log: list[int] = []

    def _meddle(self, k: int, child: str | None) -> None:
        self.n += k
        self.log.append(k)
        other = self.child(child) if child else None
        if isinstance(other, Node):
            other.n += k
            other.log.append(-k)
        elif other is not None:  # a built-in child: through its action, and behind its journal's back
            other.put(f"k{k}", k)  # type: ignore[attr-defined]
            other.data[f"raw{k}"] = [k]  # type: ignore[attr-defined]

    @scint.action
    def bump(self, k: int, child: str | None = None, fail: bool = False) -> int:
        """Change this context and a child, then maybe fail."""
        self._meddle(k, child)
        if fail:
            raise ValueError("asked to fail")
        return self.n

    @scint.action
    def grow(self, name: str, kind: str = "Node") -> str:
        """Add a child."""
        return self.create_child(name, kind)

    @scint.query
    def peek(self, k: int, child: str | None = None, fail: bool = False) -> int:
        """A query that changes state anyway (and maybe raises)."""
        self._meddle(k, child)
        if fail:
            raise ValueError("asked to fail")
        return self.n

    @scint.query
    def sprout(self, name: str) -> str:
        """A query that tries to create a child."""
        return self.create_child(name, "Node")


@pytest.fixture(autouse=True)
def _node() -> Iterator[None]:
    scint.register(Node)
    yield
    registry.unregister("Node")


def _agree(s: scint.Session, reopen: Callable[[], scint.Session] | None) -> None:
    live = s.view().render("json")
    assert s.replay().render("json") == live
    if reopen is not None:
        with reopen() as again:
            assert again.view().render("json") == live
            assert again.replay().render("json") == live


SETUP = 'create_context("a", type="Node")\na.grow(name="b")\na.grow(name="box", kind="Container")'


@pytest.mark.parametrize(
    "program",
    [
        "a.peek(k=1, fail=true)",  # mutates, then raises
        "a.peek(k=1)",  # mutates, returns
        'a.peek(k=1, child="b")',  # mutates a child
        'a.peek(k=1, child="box", fail=true)',  # mutates a built-in child
        'a.sprout(name="c")',  # creates a child
        'a.bump(k=1, child="b")\na.nope()',  # an action changes a child; a later statement fails
        'a.bump(k=2, child="box")\na.box.put(key="x", value=1)\na.nope()',
        'a.box.put(key="k2", value=0)\na.bump(k=2, child="box")\na.box.delete(key="raw2")\na.nope()',
        'a.bump(k=3, child="b", fail=true)',
        'a.grow(name="c")\na.c.bump(k=1)\na.bump(k=1, child="c")\na.nope()',
    ],
)
def test_nothing_a_failed_program_or_a_query_did_stays(
    open_session: Callable[..., scint.Session], store_url: str, program: str
) -> None:
    s = open_session()
    s.run(SETUP)
    s.run('a.bump(k=5, child="b")\na.box.put(key="k2", value="old")')
    before = s.view().render("json")
    with pytest.raises(scint.ScintError):
        s.run(program)
    assert s.view().render("json") == before
    s.run('a.bump(k=7, child="box")')  # and the session goes on from the right state
    _agree(s, None if store_url == "memory://" else lambda: scint.open(store_url))


STATEMENTS = st.one_of(
    st.builds(
        "a{}.bump(k={}{}{})".format,
        st.sampled_from(["", ".b"]),
        st.integers(1, 9),
        st.sampled_from(["", ', child="b"', ', child="box"', ', child="zz"']),
        st.sampled_from(["", "", ", fail=true"]),
    ),
    st.builds(
        "a{}.peek(k={}{}{})".format,
        st.sampled_from(["", ".b"]),
        st.integers(1, 9),
        st.sampled_from(["", ', child="b"', ', child="box"']),
        st.sampled_from(["", ", fail=true"]),
    ),
    st.builds('a.grow(name="{}")'.format, st.sampled_from(["b", "c", "d"])),
    st.builds('a.sprout(name="{}")'.format, st.sampled_from(["c", "e"])),
    st.builds('a.box.put(key="k{}", value={})'.format, st.integers(1, 9), st.integers(0, 3)),
    st.builds('a.box.delete(key="k{}")'.format, st.integers(1, 9)),
    st.builds('a.box.update(key="k{}", patch={{"p": {}}})'.format, st.integers(1, 9), st.integers(0, 3)),
    st.just('drop_context("a.c")'),
)


@pytest.mark.parametrize("backend", ["memory", "sqlite", "lmdb"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(programs=st.lists(st.lists(STATEMENTS, min_size=1, max_size=5), min_size=1, max_size=6))
def test_random_programs_keep_live_reopened_and_replayed_state_equal(
    backend: str, programs: list[list[str]], new_store_url: Callable[[str], str]
) -> None:
    url = new_store_url(backend)
    with scint.open(url) as s:
        s.run(SETUP)
        for statements in programs:
            before = s.view().render("json")
            try:
                s.run("\n".join(statements))
            except scint.ScintError:
                assert s.view().render("json") == before  # a failed program changes nothing
            _agree(s, None if backend == "memory" else lambda: scint.open(url))
