"""Declarations are checked where they are written; resolution puts every module after what it requires and
names a missing dependency or a cycle."""

from __future__ import annotations

import itertools
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scint
from scint.modules import Installed, Module, load_order, register_module


def found(*modules: Module, broken: dict[str, str] | None = None) -> dict[str, Installed]:
    out = {m.name: Installed(m.name, "registered", m) for m in modules}
    out.update({n: Installed(n, "entry point", problem=p) for n, p in (broken or {}).items()})
    return dict(sorted(out.items()))


async def _later(session: object) -> None:
    """An async hook: refused, since nothing would await it."""


class Thing(scint.Context):
    """A test type."""


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "module name '' is not valid"),
        ({"name": "a b"}, "module name 'a b' is not valid"),
        ({"name": "x" * 65}, "is not valid"),
        ({"name": 3}, "module name 3 is not valid"),
        ({"name": "a", "requires": "b"}, "`requires` is a list of module names, not str"),
        ({"name": "a", "requires": 5}, "not int"),
        ({"name": "a", "requires": ["b/c"]}, "module name 'b/c' is not valid"),
        ({"name": "a", "requires": ["b"] * 257}, "at most 256"),
        ({"name": "a", "requires": ["a"]}, "module `a` requires itself"),
        ({"name": "a", "init": "print"}, "hooks are callables"),
        ({"name": "a", "exit": 1}, "hooks are callables"),
        ({"name": "a", "init": _later}, "hooks are plain functions, not coroutines"),
        ({"name": "a", "types": [int]}, "not a subclass of scint.Context"),
        ({"name": "a", "types": [scint.Context]}, "not a subclass of scint.Context"),
        ({"name": "a", "types": 4}, "`types` is a list"),
        ({"name": "a", "backends": ["f"]}, "`backends` maps names to callables, not list"),
        ({"name": "a", "backends": {"f": 1}}, "maps `f` to 1, which is not callable"),
        ({"name": "a", "backends": {"a b": print}}, "the name 'a b', which is not valid"),
        ({"name": "a", "commands": {"Run": print}}, "the name 'Run', which is not valid"),
        ({"name": "a", "commands": {1: print}}, "the name 1, which is not valid"),
        ({"name": "a", "autoload": "yes"}, "`autoload` is True or False"),
    ],
)
def test_a_bad_declaration_is_a_module_error(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(scint.ModuleError, match=None) as info:
        Module(**kwargs)
    assert message in str(info.value)


@given(name=st.one_of(st.text(max_size=70), st.integers(), st.none(), st.binary(max_size=5)))
def test_any_name_is_accepted_or_refused_clearly(name: object) -> None:
    try:
        Module(name)  # type: ignore[arg-type]
    except scint.ModuleError as exc:
        assert "is not valid" in str(exc)
    else:
        assert isinstance(name, str) and 1 <= len(name) <= 64 and " " not in name


def test_a_declaration_is_frozen_and_normalised() -> None:
    m = Module("a", requires=["b", "b", "c"], types=[Thing], backends={"echo": str})
    assert m.requires == ("b", "c") and m.types == (Thing,)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        m.name = "b"  # type: ignore[misc]
    with pytest.raises(TypeError):  # a read-only mapping: what was declared is what loads
        m.backends["x"] = str  # type: ignore[index]


@st.composite
def dags(draw: st.DrawFn) -> list[Module]:
    n = draw(st.integers(1, 12))
    modules = []
    for i in range(n):
        requires = draw(st.lists(st.integers(0, i - 1), unique=True, max_size=i)) if i else []
        modules.append(Module(f"m{i}", requires=[f"m{j}" for j in requires]))
    return draw(st.permutations(modules))


@settings(max_examples=200)
@given(modules=dags(), data=st.data())
def test_every_module_loads_after_what_it_requires(modules: list[Module], data: st.DataObject) -> None:
    wanted = data.draw(st.lists(st.sampled_from([m.name for m in modules]), max_size=4))
    order = load_order(wanted, found=found(*modules))
    names = [m.name for m in order]
    assert len(names) == len(set(names))
    assert set(wanted) <= set(names)
    for position, module in enumerate(order):
        assert all(names.index(r) < position for r in module.requires)
    # nothing is loaded that was not asked for, directly or through requires
    reach = set(wanted)
    for module in reversed(order):
        if module.name in reach:
            reach.update(module.requires)
    assert set(names) == reach
    assert load_order(wanted, found=found(*modules)) == order  # the same every time


def test_a_missing_dependency_names_itself() -> None:
    everything = found(Module("a"), Module("b", requires=["c"]))
    with pytest.raises(scint.ModuleError) as info:
        load_order(["a", "b"], found=everything)
    assert str(info.value) == "module `b` requires `c`, which is not installed; installed: a, b"


def test_a_module_not_installed_names_itself_and_what_is() -> None:
    with pytest.raises(scint.ModuleError) as info:
        load_order(["notes"], found=found(Module("nots"), Module("zzz")))
    assert str(info.value) == "no module `notes` is installed (did you mean `nots`?); installed: nots, zzz"
    with pytest.raises(scint.ModuleError, match="installed: none"):
        load_order(["x"], found={})


def test_a_module_that_cannot_load_is_named_with_its_reason() -> None:
    everything = found(Module("a", requires=["b"]), broken={"b": "its entry point `p:m` failed to load: boom"})
    with pytest.raises(scint.ModuleError) as info:
        load_order(["a"], found=everything)
    assert str(info.value) == (
        "module `b` (required by `a`) cannot be loaded: its entry point `p:m` failed to load: boom"
    )


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({"a": ["b"], "b": ["a"]}, "a -> b -> a"),
        ({"a": ["b"], "b": ["c"], "c": ["a"]}, "a -> b -> c -> a"),
        ({"x": ["a"], "a": ["b"], "b": ["c"], "c": ["b"]}, "b -> c -> b"),
    ],
)
def test_a_cycle_names_itself(graph: dict[str, list[str]], cycle: str) -> None:
    everything = found(*(Module(n, requires=r) for n, r in graph.items()))
    with pytest.raises(scint.ModuleError) as info:
        load_order([next(iter(graph))], found=everything)
    assert str(info.value) == f"modules {cycle} form a cycle"


@settings(max_examples=200)
@given(edges=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)).filter(lambda e: e[0] != e[1]), max_size=20))
def test_any_graph_orders_or_names_a_real_cycle(edges: list[tuple[int, int]]) -> None:
    requires: dict[str, set[str]] = {f"m{i}": set() for i in range(8)}
    for a, b in edges:
        requires[f"m{a}"].add(f"m{b}")
    everything = found(*(Module(n, requires=sorted(r)) for n, r in requires.items()))
    try:
        order = [m.name for m in load_order(list(requires), found=everything)]
    except scint.ModuleError as exc:
        text = str(exc)
        assert text.startswith("modules ") and text.endswith(" form a cycle")
        chain = text[len("modules ") : -len(" form a cycle")].split(" -> ")
        assert chain[0] == chain[-1] and len(chain) >= 3
        assert all(b in requires[a] for a, b in itertools.pairwise(chain))
    else:
        assert sorted(order) == sorted(requires)
        assert all(order.index(r) < order.index(n) for n, rs in requires.items() for r in rs)


@pytest.mark.parametrize("names", ["a", 7, [1], ["x y"], None])
def test_modules_must_be_a_list_of_names(names: Any) -> None:
    with pytest.raises(scint.ModuleError):
        load_order(names, found=found(Module("a")))


def test_too_many_names_is_refused() -> None:
    with pytest.raises(scint.ModuleError, match="more than 256 modules"):
        load_order([f"m{i}" for i in range(300)], found={})


def test_autoload_modules_join_the_named_ones() -> None:
    register_module(Module("base"))
    register_module(Module("auto", requires=["base"], autoload=True))
    register_module(Module("other"))
    assert [m.name for m in load_order()] == ["base", "auto"]
    assert [m.name for m in load_order(["other"])] == ["other", "base", "auto"]
    assert [m.name for m in load_order(["other"], autoload=False)] == ["other"]


def test_register_module_takes_a_module() -> None:
    with pytest.raises(scint.ModuleError, match=r"takes a scint\.Module, not str"):
        register_module("a")  # type: ignore[arg-type]
