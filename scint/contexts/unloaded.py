"""Contexts whose type is not registered in this process (a store written by a program that registered a type
this one has not imported): their stored state is kept as plain data, so that reading works (`scint show`,
`log`, `export`), and any attempt to use them says which type is missing and how to load it."""

from __future__ import annotations

import threading
from typing import Any

from scint.contexts.base import Context, Spec
from scint.contexts.registry import get_type
from scint.contexts.types import copy_value
from scint.errors import BadArguments, UnknownAction

__all__ = ["Unloaded", "is_unloaded", "not_loaded", "stored_type"]

_LOCK = threading.Lock()
_PLACEHOLDERS: dict[tuple[str, int], type[Unloaded]] = {}


def not_loaded(type_name: str) -> str:
    """How to load a missing type, for every surface."""
    return (
        f"the context type `{type_name}` is not registered here; load the module that registers it (command line: "
        "--import MODULE or SCINT_IMPORT=MODULE; Python: import it before opening the store)"
    )


class Unloaded(Context):
    """The stand-in for a context of a type that is not registered here: its state as data, read-only."""

    __slots__ = ()

    @classmethod
    def initial_state(cls, config: dict[str, Any], where: str = "") -> dict[str, Any]:
        # Replaying `create_context`: the recorded settings are all that is known (not the type's defaults).
        return copy_value(config)

    @classmethod
    def spec(cls, name: str, where: str) -> Spec:
        type_name = cls.__scint_type__
        raise UnknownAction(f"cannot call `{where}.{name}`: {where} is a {type_name}, and {not_loaded(type_name)}")


def is_unloaded(ctx: Context) -> bool:
    return isinstance(ctx, Unloaded)


def stored_type(type_name: str, version: int = 1) -> tuple[type[Context], bool]:
    """The registered type called `type_name`, or (when it is not registered) a read-only stand-in that keeps the
    state as stored, with the schema version it was stored with; and whether it is the stand-in."""
    try:
        return get_type(type_name), False
    except BadArguments:
        pass
    if not isinstance(type_name, str) or not isinstance(version, int):
        raise BadArguments(f"a stored context type is named by text, not {type(type_name).__name__}")
    key = (type_name, version)
    with _LOCK:
        cls = _PLACEHOLDERS.get(key)
        if cls is None:
            cls = type(type_name, (Unloaded,), {"type_name": type_name, "schema_version": version, "__slots__": ()})
            cls.__module__ = __name__
            _PLACEHOLDERS[key] = cls
    return cls, True
