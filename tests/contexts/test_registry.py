"""The registry: scint.register as decorator and call, unregister, lookup errors, the `scint.contexts` entry points."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import metadata
from typing import Any

import pytest

import scint
from scint.contexts import registry


class Gadget(scint.Context):
    """A test type."""

    on: bool = False


class Plugged(scint.Context):
    """Comes from an entry point."""


@pytest.fixture
def forget() -> Iterator[Callable[[str], None]]:
    names: list[str] = []
    yield names.append
    for name in names:
        registry.unregister(name)


def test_register_as_a_decorator_returns_the_class(forget: Callable[[str], None]) -> None:
    forget("Deco")

    @scint.register
    class Deco(scint.Context):
        """Decorated."""

    assert registry.get_type("Deco") is Deco
    assert "Deco" in registry.registered()


def test_register_as_a_call_and_unregister(forget: Callable[[str], None]) -> None:
    forget("Gadget")
    assert scint.register(Gadget) is Gadget
    assert registry.get_type("Gadget") is Gadget
    registry.unregister("Gadget")
    with pytest.raises(scint.BadArguments, match="no context type `Gadget`"):
        registry.get_type("Gadget")
    registry.unregister("Gadget")  # forgetting twice is fine


def test_registering_a_name_again_replaces_the_class(forget: Callable[[str], None]) -> None:
    forget("Gadget")
    scint.register(Gadget)

    class Gadget2(scint.Context):
        type_name = "Gadget"

    scint.register(Gadget2)
    assert registry.get_type("Gadget") is Gadget2


@pytest.mark.parametrize("thing", [scint.Context, int, object(), "Container", Gadget()])
def test_register_takes_only_context_subclasses(thing: Any) -> None:
    with pytest.raises(scint.BadArguments, match=r"register\(\) takes a subclass of scint\.Context"):
        scint.register(thing)


def test_unknown_type_lists_the_types_and_suggests() -> None:
    with pytest.raises(scint.BadArguments) as info:
        registry.get_type("Contaner")
    message = str(info.value)
    assert "no context type `Contaner` (did you mean `Container`?)" in message
    for name in ("Composer", "Container", "Process", "Task", "Thread"):
        assert name in message


def test_builtin_types_are_registered() -> None:
    assert {"Composer", "Container", "Process", "Task", "Thread"} <= set(registry.registered())
    assert list(registry.registered()) == sorted(registry.registered())


class _EntryPoint:
    def __init__(self, name: str, obj: Any = None, error: Exception | None = None) -> None:
        self.name = name
        self._obj = obj
        self._error = error

    def load(self) -> Any:
        if self._error is not None:
            raise self._error
        return self._obj


@pytest.fixture
def entry_points(monkeypatch: pytest.MonkeyPatch, forget: Callable[[str], None]) -> list[_EntryPoint]:
    """Fake `scint.contexts` entry points, loaded afresh by the registry."""
    points: list[_EntryPoint] = []
    groups: list[str] = []

    def fake(*, group: str) -> list[_EntryPoint]:
        groups.append(group)
        return points if group == "scint.contexts" else []

    monkeypatch.setattr(metadata, "entry_points", fake)
    monkeypatch.setattr(registry, "_entry_points_loaded", False)
    forget("Plugged")
    return points


def test_entry_points_register_types_on_first_miss(entry_points: list[_EntryPoint]) -> None:
    entry_points.append(_EntryPoint("plugged", Plugged))
    assert registry.get_type("Plugged") is Plugged
    assert "Plugged" in registry.registered()


def test_registered_loads_entry_points(entry_points: list[_EntryPoint]) -> None:
    entry_points.append(_EntryPoint("plugged", Plugged))
    assert registry.registered()["Plugged"] is Plugged


def test_broken_or_foreign_entry_points_are_ignored(entry_points: list[_EntryPoint]) -> None:
    entry_points += [
        _EntryPoint("broken", error=ImportError("no such module")),
        _EntryPoint("not-a-type", 42),
        _EntryPoint("not-a-context", dict),
        _EntryPoint("plugged", Plugged),
    ]
    assert registry.get_type("Plugged") is Plugged
    with pytest.raises(scint.BadArguments):
        registry.get_type("dict")


def test_an_entry_point_does_not_replace_a_registered_type(entry_points: list[_EntryPoint]) -> None:
    class Fake(scint.Context):
        type_name = "Container"

    entry_points.append(_EntryPoint("fake", Fake))
    registry.registered()
    assert registry.get_type("Container") is not Fake


def test_entry_point_types_work_in_a_session(entry_points: list[_EntryPoint]) -> None:
    entry_points.append(_EntryPoint("plugged", Plugged))
    with scint.open("memory://") as s:
        s.run('create_context("p", type="Plugged")')
        assert s.view().type_of("p") == "Plugged"
