"""`scint.Module`: what an extension package brings (its name, what it needs, its hooks, types, backends and
commands), checked when it is declared so a bad declaration fails where it is written."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from scint.contexts.base import Context
from scint.errors import ModuleError

__all__ = ["MAX_ITEMS", "Module", "check_name"]

NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}\Z")  # module and backend names, as entry-point names allow
COMMAND = re.compile(r"[a-z][a-z0-9-]{0,39}\Z")  # a `scint <command>` name
MAX_ITEMS = 256  # requires, types, backends, commands and names asked for: each at most this many


def check_name(name: object, what: str = "module") -> str:
    """`name` if it is a valid module (or backend) name, else ModuleError saying what would be."""
    if not isinstance(name, str) or not NAME.match(name):
        shown = repr(name)[:80]
        raise ModuleError(
            f"{what} name {shown} is not valid: a {what} name is 1 to 64 letters, digits, `_`, `.` or `-`"
        )
    return name


def _names(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ModuleError(f"`requires` is a list of module names, not {type(value).__name__}")
    out = tuple(value)
    if len(out) > MAX_ITEMS:
        raise ModuleError(f"`requires` names {len(out)} modules; at most {MAX_ITEMS}")
    for name in out:
        check_name(name)
    return tuple(dict.fromkeys(out))


def _types(value: object) -> tuple[type[Context], ...]:
    if not isinstance(value, Iterable):
        raise ModuleError(f"`types` is a list of scint.Context subclasses, not {type(value).__name__}")
    out = tuple(value)
    if len(out) > MAX_ITEMS:
        raise ModuleError(f"`types` holds {len(out)} classes; at most {MAX_ITEMS}")
    for cls in out:
        if not (isinstance(cls, type) and issubclass(cls, Context)) or cls is Context:
            raise ModuleError(f"`types` holds {cls!r:.80}, which is not a subclass of scint.Context")
    return out


def _callables(what: str, pattern: re.Pattern[str], rule: str) -> Callable[[object], Mapping[str, Any]]:
    def convert(value: object) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise ModuleError(f"`{what}` maps names to callables, not {type(value).__name__}")
        if len(value) > MAX_ITEMS:
            raise ModuleError(f"`{what}` holds {len(value)} entries; at most {MAX_ITEMS}")
        for name, fn in value.items():
            if not isinstance(name, str) or not pattern.match(name):
                raise ModuleError(f"`{what}` has the name {name!r:.80}, which is not valid: {rule}")
            if not callable(fn):
                raise ModuleError(f"`{what}` maps `{name}` to {fn!r:.80}, which is not callable")
        return MappingProxyType(dict(value))

    return convert


def _hook(value: object) -> Callable[[Any], object] | None:
    if value is not None and not callable(value):
        raise ModuleError(f"a module's init and exit hooks are callables taking the session, not {value!r:.80}")
    if inspect.iscoroutinefunction(value):
        raise ModuleError(f"a module's init and exit hooks are plain functions, not coroutines: {value!r:.80}")
    return value  # type: ignore[return-value]


def _check_name(_: object, __: object, value: object) -> None:
    check_name(value)


def _check_flag(_: object, __: object, value: object) -> None:
    if not isinstance(value, bool):
        raise ModuleError(f"`autoload` is True or False, not {value!r:.80}")


@attrs.frozen(eq=False)
class Module:
    """An extension module, after Linux's loadable kernel modules.

    Declare one in your package and name it in the `scint.modules` entry-point group (or call
    `scint.register_module(module)`); a session loads it when opened with `scint.open(url, modules=[name])`
    (or always, with `autoload=True`), after the modules it `requires`, and exits it in reverse order on close.

    - `name`: how it is named (`modules = ["name"]` in scint.toml); the entry point's name is the same.
    - `requires`: the names of the modules it needs loaded first.
    - `init(session)` / `exit(session)`: called when a session loads it and when that session closes.
    - `types`: scint.Context subclasses, registered when it loads.
    - `backends`: name -> function, registered as `python:NAME` backends when it loads (scint.register_backend).
    - `commands`: name -> a typer command function, added to the command line as `scint NAME`.
    - `autoload`: load in every session, without being named.
    """

    name: str = attrs.field(validator=_check_name)
    requires: tuple[str, ...] = attrs.field(default=(), converter=_names)
    init: Callable[[Any], object] | None = attrs.field(default=None, converter=_hook)
    exit: Callable[[Any], object] | None = attrs.field(default=None, converter=_hook)
    types: tuple[type[Context], ...] = attrs.field(default=(), converter=_types)
    backends: Mapping[str, Callable[..., Any]] = attrs.field(
        factory=dict, converter=_callables("backends", NAME, "1 to 64 letters, digits, `_`, `.` or `-`")
    )
    commands: Mapping[str, Callable[..., Any]] = attrs.field(
        factory=dict, converter=_callables("commands", COMMAND, "lower-case letters, digits and `-`, up to 40")
    )
    autoload: bool = attrs.field(default=False, validator=_check_flag)

    def __attrs_post_init__(self) -> None:
        if self.name in self.requires:
            raise ModuleError(f"module `{self.name}` requires itself")
