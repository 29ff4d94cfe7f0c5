"""Capability globs (SPEC section 10): matching, narrowing, the subset test for spawned children, bad globs."""

from __future__ import annotations

import contextlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scint.core.capabilities import (
    PROCESS_DEFAULT,
    Capabilities,
    actor_capabilities,
    check_call,
    check_grant,
    parse_glob,
)
from scint.errors import BadArguments, PermissionDenied, ScintError

NAMES = ["a", "b", "c", "self"]
names = st.sampled_from(["a", "b", "c"])
segments = st.sampled_from(["a", "b", "c", "*", "**"])
globs = st.lists(segments, min_size=1, max_size=4).map(".".join)
self_globs = st.lists(segments, min_size=0, max_size=3).map(lambda s: ".".join(["self", *s]))
any_glob = st.one_of(globs, self_globs)
glob_sets = st.lists(any_glob, min_size=0, max_size=4)
self_paths = st.one_of(st.none(), st.lists(names, min_size=1, max_size=2).map(".".join))
calls = st.tuples(st.lists(names, min_size=0, max_size=4).map(".".join), names)


def _reference(glob: str, self_path: str | None, path: str, action: str) -> bool:
    """An independent matcher: segment lists compared recursively."""
    parts = glob.split(".")
    if parts[0] == "self":
        if self_path is None:
            return False
        parts = [*self_path.split("."), *parts[1:]]
    name = (f"{path}.{action}" if path else action).split(".")

    def match(i: int, j: int) -> bool:
        if i == len(parts):
            return j == len(name)
        if parts[i] == "**":
            return any(match(i + 1, k) for k in range(j, len(name) + 1))
        return j < len(name) and parts[i] in ("*", name[j]) and match(i + 1, j + 1)

    return match(0, 0)


@pytest.mark.parametrize(
    ("glob", "path", "action", "allowed"),
    [
        ("research.*", "research", "post", True),
        ("research.*", "research.lit", "x", False),  # `*` is one name, never two
        ("research.**", "research.lit", "x", True),
        ("research.**", "research", "post", True),
        ("research.**", "", "research", True),  # `**` may be empty: the bare name matches too
        ("**", "", "create_context", True),
        ("*", "", "help", True),
        ("*", "notes", "get", False),
        ("create_context", "", "create_context", True),
        ("create_context", "x", "create_context", False),
        ("history.log", "history", "log", True),
        ("history.log", "history", "branch", False),
        ("**.get", "notes", "get", True),
        ("**.get", "a.b.c", "get", True),
        ("**.get", "", "get", True),  # `**` may be empty
        ("a.**.z", "a", "z", True),
        ("a.**.z", "a.b.c", "z", True),
        ("a.**.z", "a.b", "y", False),
        ("notes.get", "notes", "gets", False),
    ],
)
def test_glob_matching(glob: str, path: str, action: str, allowed: bool) -> None:
    assert Capabilities([glob]).allows(path, action) is allowed
    assert (Capabilities([glob]).missing(path, action) == "") is allowed


def test_self_is_the_process_path() -> None:
    caps = Capabilities(PROCESS_DEFAULT, self_path="research.lit")
    assert caps.allows("research.lit", "add_task")
    assert caps.allows("research.lit.t1", "start")
    assert not caps.allows("research", "post")
    assert not caps.allows("research.literature", "run")  # a name that starts the same is another context
    assert caps.allows("", "help") and caps.allows("", "send") and caps.allows("", "inbox")
    assert not caps.allows("", "create_context")
    assert caps.missing("notes", "put") == "notes.put"
    # Without a process, `self` names nothing: such a glob allows nothing.
    assert not Capabilities(["self.**"]).allows("self", "x")
    assert Capabilities.process_default("p").globs == (PROCESS_DEFAULT,)


@given(any_glob, self_paths, calls)
@settings(max_examples=400, deadline=None)
def test_matching_agrees_with_a_reference(glob: str, self_path: str | None, call: tuple[str, str]) -> None:
    path, action = call
    assert Capabilities([glob], self_path=self_path).allows(path, action) == _reference(glob, self_path, path, action)


@given(glob_sets, glob_sets, self_paths, calls)
@settings(max_examples=300, deadline=None)
def test_narrowing_never_widens(a: list[str], b: list[str], self_path: str | None, call: tuple[str, str]) -> None:
    ca, cb = Capabilities(a, self_path=self_path), Capabilities(b, self_path=self_path)
    both = ca.narrow(cb)
    assert both.allows(*call) == (ca.allows(*call) and cb.allows(*call))
    assert both.within(ca) and both.within(cb)
    assert bool(both.missing(*call)) == (not both.allows(*call))


def _all_calls() -> list[tuple[str, str]]:
    out = []
    for depth in range(4):
        paths = [""] if depth == 0 else [".".join(p) for p in _product(["a", "b", "c", "z"], depth)]
        out.extend((p, act) for p in paths for act in ("a", "b", "c", "z"))
    return out


def _product(items: list[str], n: int) -> list[tuple[str, ...]]:
    return [()] if n == 0 else [(x, *rest) for x in items for rest in _product(items, n - 1)]


ALL_CALLS = _all_calls()


@given(glob_sets, self_paths, glob_sets, self_paths)
@settings(max_examples=300, deadline=None)
def test_within_is_sound(child: list[str], child_self: str | None, parent: list[str], parent_self: str | None) -> None:
    c, p = Capabilities(child, self_path=child_self), Capabilities(parent, self_path=parent_self)
    if c.within(p):
        for call in ALL_CALLS:  # every name up to four parts deep over the alphabet (and one name no glob has)
            assert not c.allows(*call) or p.allows(*call), call


@given(glob_sets, self_paths, glob_sets, glob_sets)
@settings(max_examples=200, deadline=None)
def test_within_of_narrowed_sets_is_sound(a: list[str], self_path: str | None, b: list[str], c: list[str]) -> None:
    child = Capabilities(a, self_path=self_path)
    parent = Capabilities(b, self_path=self_path).narrow(Capabilities(c))
    if child.within(parent):
        for call in ALL_CALLS:
            assert not child.allows(*call) or parent.allows(*call), call


@pytest.mark.parametrize(
    ("child", "parent"),
    [
        (["a.b"], ["a.*"]),
        (["a.*.c"], ["a.**"]),
        (["a.**"], ["**"]),
        (["a.b.**"], ["a.**"]),
        (["a.**.c"], ["a.**"]),
        (["self.**"], ["p.**"]),
        ([], []),
        (["x.y", "z"], ["*", "x.*"]),
    ],
)
def test_within_says_yes_where_it_should(child: list[str], parent: list[str]) -> None:
    assert Capabilities(child, self_path="p.k").within(Capabilities(parent, self_path="p"))


@pytest.mark.parametrize(
    ("child", "parent"),
    [(["a.*"], ["a.b"]), (["a.**"], ["a.*"]), (["a.**"], ["a.*.**"]), (["**"], ["a.**"]), (["b"], [])],
)
def test_within_says_no_where_it_must(child: list[str], parent: list[str]) -> None:
    assert not Capabilities(child).within(Capabilities(parent))


@pytest.mark.parametrize(
    ("glob", "words"),
    [
        ("", "1 to"),
        ("notes..get", "empty part"),
        ("notes.", "empty part"),
        ("notes.get*", "whole names"),
        ("a.self", "only come first"),
        ("no tes", "not a name"),
        ("1abc", "not a name"),
        ("a." * 40 + "b", "dotted parts"),
        ("x" * 300, "1 to"),
    ],
)
def test_bad_globs_are_refused_clearly(glob: str, words: str) -> None:
    with pytest.raises(BadArguments, match=re.escape(words)):
        parse_glob(glob)
    with pytest.raises(BadArguments):
        Capabilities([glob])


@given(st.one_of(st.text(max_size=40), st.integers(), st.none(), st.lists(st.text(max_size=5), max_size=3)))
@settings(max_examples=200, deadline=None)
def test_any_input_is_a_capability_or_a_scint_error(value: object) -> None:
    builds = (lambda: Capabilities([value]), lambda: Capabilities(value), lambda: Capabilities([], self_path=value))
    for build in builds:
        with contextlib.suppress(ScintError):
            assert isinstance(build(), Capabilities)


def test_check_call_names_the_lacking_capability() -> None:
    caps = Capabilities(["notes.get", "self.**"], self_path="research.lit")
    check_call(caps, "process:research.lit", "notes", "get")
    check_call(None, "human", "notes", "put")
    with pytest.raises(PermissionDenied, match=r"lacks the capability `notes\.put`.*notes\.get, self\.\*\*"):
        check_call(caps, "process:research.lit", "notes", "put")
    narrowed = caps.narrow(Capabilities(["notes.*"]))
    with pytest.raises(PermissionDenied, match=r"\(notes\.get, self\.\*\*\) AND \(notes\.\*\)"):
        check_call(narrowed, "process:research.lit", "research.lit", "run")


def test_checks_are_cached_and_the_cache_is_bounded() -> None:
    caps = Capabilities(["n.*"])
    for i in range(10_000):
        assert caps.allows("n", f"a{i}")
    assert caps.allows("n", "a1") and not caps.allows("m", "a1")
    assert 0 < len(caps._sets[0].cache) <= 4096


class _Proc:
    def __init__(self, can: list[str] | None) -> None:
        self.can = can


def test_actor_capabilities_come_from_the_process_and_can_narrow_them() -> None:
    contexts = {"r.lit": _Proc(["notes.get", "self.**"]), "r.idle": _Proc(None)}
    assert actor_capabilities("human", contexts) is None
    lit = actor_capabilities("process:r.lit", contexts)
    assert lit is not None and lit.allows("notes", "get") and lit.allows("r.lit.t1", "start")
    assert not lit.allows("notes", "put")
    idle = actor_capabilities("process:r.idle", contexts)
    assert idle is not None and idle.allows("", "send") and idle.allows("r.idle", "run")
    assert not idle.allows("notes", "get")
    ghost = actor_capabilities("process:gone", contexts)  # no such process: the default, for a path of nothing
    assert ghost is not None and not ghost.allows("notes", "get")
    bad = actor_capabilities("process:not a path", contexts)
    assert bad is not None and not bad.allows("", "help")
    narrowed = actor_capabilities("process:r.lit", contexts, can=["notes.*"])
    assert narrowed is not None and narrowed.allows("notes", "get") and not narrowed.allows("r.lit", "run")
    mcp = actor_capabilities("mcp:client", contexts, can=["notes.get"])
    assert mcp is not None and mcp.allows("notes", "get") and not mcp.allows("notes", "put")


def test_no_process_widens_its_own_or_gives_a_child_more() -> None:
    caps = Capabilities(["notes.get", "self.**"], self_path="r.lit")
    check_grant(caps, "process:r.lit", "r.lit", ["notes.get"])  # narrowing itself is fine
    check_grant(caps, "process:r.lit", "r.lit.kid", ["self.**"])  # a child's self is inside the parent's
    check_grant(None, "human", "r.lit", ["**"])
    with pytest.raises(PermissionDenied, match=r"may not give r\.lit the capabilities \(notes\.put"):
        check_grant(caps, "process:r.lit", "r.lit", ["notes.put"])
    with pytest.raises(PermissionDenied):
        check_grant(caps, "process:r.lit", "r.other", None)  # the default: another self, and help, send ...
