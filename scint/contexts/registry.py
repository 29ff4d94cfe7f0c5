"""The registry of context types, by name: the built-ins, `@scint.register`ed classes and the `scint.contexts`
entry-point group (loaded the first time a name is not found)."""

from __future__ import annotations

import threading
from importlib import metadata
from typing import TypeVar

from scint.contexts.base import Context, did_you_mean
from scint.errors import BadArguments

__all__ = ["get_type", "register", "registered", "unregister"]

_TYPES: dict[str, type[Context]] = {}
_LOCK = threading.Lock()
_entry_points_loaded = False

C = TypeVar("C", bound=type[Context])


def register(cls: C) -> C:
    """Make a Context subclass available by its type name (the class name, or its `type_name` attribute).

    Usable as a decorator. Registering the same name again replaces the earlier class (handy in notebooks)."""
    if not (isinstance(cls, type) and issubclass(cls, Context)) or cls is Context:
        raise BadArguments(f"register() takes a subclass of scint.Context, not {cls!r:.80}")
    with _LOCK:
        _TYPES[cls.__scint_type__] = cls
    return cls


def unregister(name: str) -> None:
    """Forget a registered type (tests use this to keep the global registry clean)."""
    with _LOCK:
        _TYPES.pop(name, None)


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in metadata.entry_points(group="scint.contexts"):
        try:
            obj = ep.load()
        except Exception:  # a broken plug-in must not break Scint; it simply is not registered
            continue
        if isinstance(obj, type) and issubclass(obj, Context) and obj.__scint_type__ not in _TYPES:
            register(obj)


def get_type(name: str) -> type[Context]:
    """The context type called `name`, or BadArguments naming the types that exist."""
    cls = _TYPES.get(name)
    if cls is None:
        _load_entry_points()
        cls = _TYPES.get(name)
    if cls is None:
        names = sorted(_TYPES)
        raise BadArguments(
            f"no context type `{name}`{did_you_mean(name, names)}; the types are: {', '.join(names)} (a type of your "
            "own is registered by importing its module: on the command line, --import MODULE or SCINT_IMPORT)"
        )
    return cls


def registered() -> dict[str, type[Context]]:
    """All registered types by name (entry points included)."""
    _load_entry_points()
    return dict(sorted(_TYPES.items()))
