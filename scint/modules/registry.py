"""Where modules and backends come from: the `scint.modules` and `scint.backends` entry-point groups (read
lazily, the first time they are needed, never at `import scint`) and what was registered in this process.
Only names are looked up, so no file or program can name arbitrary code."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from importlib import metadata
from typing import Any

import attrs

from scint.contexts.base import did_you_mean
from scint.errors import ModuleError
from scint.modules.declaration import Module, check_name

__all__ = [
    "Installed",
    "get_backend",
    "installed",
    "refresh",
    "register_backend",
    "register_module",
    "registered_backends",
    "shown",
    "unregister_backend",
    "unregister_module",
]

log = logging.getLogger("scint")

MODULES_GROUP = "scint.modules"
BACKENDS_GROUP = "scint.backends"


@attrs.frozen
class Installed:
    """One installed module: its declaration, or why it cannot be loaded; and where it comes from."""

    name: str
    source: str  # "registered", or "entry point NAME = pkg.mod:obj (distribution)"
    module: Module | None = None
    problem: str | None = None


_LOCK = threading.RLock()
_MODULES: dict[str, Module] = {}
_BACKENDS: dict[str, Callable[..., Any]] = {}
_scanned_modules: dict[str, Installed] | None = None
_scanned_backends: dict[str, Callable[..., Any] | str] | None = None  # a str: why it did not load


def shown(names: list[str] | tuple[str, ...], limit: int = 20) -> str:
    """`a, b, c` (the first `limit`, then how many more), or `none`."""
    if not names:
        return "none"
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _source(ep: metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    where = f" ({dist.name} {dist.version})" if dist is not None else ""
    return f"entry point {ep.name} = {ep.value}{where}"


def _load(ep: metadata.EntryPoint) -> tuple[Any, str | None]:
    """The object an entry point names, or (None, why it failed); an installed package's error stays its own."""
    try:
        return ep.load(), None
    except Exception as exc:
        return None, f"its entry point `{ep.value}` failed to load: {type(exc).__name__}: {exc}"


def _entry_points(group: str) -> dict[str, list[metadata.EntryPoint]]:
    by_name: dict[str, list[metadata.EntryPoint]] = {}
    for ep in metadata.entry_points(group=group):
        by_name.setdefault(ep.name, []).append(ep)
    return by_name


def _scan_modules() -> dict[str, Installed]:
    found: dict[str, Installed] = {}
    for name, eps in _entry_points(MODULES_GROUP).items():
        source = _source(eps[0])
        try:
            check_name(name)
        except ModuleError as exc:
            found[name] = Installed(name, source, problem=str(exc))
            continue
        if len(eps) > 1:
            problem = f"{len(eps)} installed entry points declare it: {shown([_source(ep) for ep in eps])}"
            found[name] = Installed(name, source, problem=problem)
            continue
        obj, problem = _load(eps[0])
        if problem is None and not isinstance(obj, Module):
            problem = f"its entry point `{eps[0].value}` names {type(obj).__name__}, not a scint.Module"
        elif problem is None and obj.name != name:
            problem = f"its entry point `{eps[0].value}` holds the module `{obj.name}`; the names must match"
        if problem is not None:
            log.warning("scint: module `%s` cannot be loaded: %s", name, problem)
        found[name] = Installed(name, source, obj if problem is None else None, problem)
    return found


def installed() -> dict[str, Installed]:
    """Every installed module by name: the entry-point group (read once) and those registered in this process
    (a registered module replaces an entry point of the same name)."""
    global _scanned_modules
    with _LOCK:
        if _scanned_modules is None:
            _scanned_modules = _scan_modules()
        found = dict(_scanned_modules)
        found.update((name, Installed(name, "registered", module)) for name, module in _MODULES.items())
    return dict(sorted(found.items()))


def register_module(module: Module) -> Module:
    """Install a module in this process, by its name (replacing an earlier one of that name); returns it."""
    if not isinstance(module, Module):
        raise ModuleError(f"register_module() takes a scint.Module, not {type(module).__name__}")
    with _LOCK:
        _MODULES[module.name] = module
    return module


def unregister_module(name: str) -> None:
    """Forget a module registered in this process (entry points stay)."""
    with _LOCK:
        _MODULES.pop(name, None)


def refresh() -> None:
    """Read the entry-point groups again on next use (after installing or removing a package)."""
    global _scanned_modules, _scanned_backends
    with _LOCK:
        _scanned_modules = None
        _scanned_backends = None


# -- backends: `python:NAME` in a process's `backend` -------------------------------------------------------------


def register_backend(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Make `fn` the backend `python:NAME`: called with a message (the process's goal once, then each message sent
    to it) and a read-only view, it returns the reply text (a str; for anything but a query, the process's answer),
    a scint.Program to run as the process, or None. Registering a name again replaces it. Returns `fn`."""
    check_name(name, "backend")
    if not callable(fn):
        raise ModuleError(f"backend `{name}` must be a function, not {type(fn).__name__}")
    with _LOCK:
        _BACKENDS[name] = fn
    return fn


def unregister_backend(name: str) -> None:
    """Forget a backend registered in this process."""
    with _LOCK:
        _BACKENDS.pop(name, None)


def _backend_entry_points() -> dict[str, Callable[..., Any] | str]:
    global _scanned_backends
    if _scanned_backends is None:
        found: dict[str, Callable[..., Any] | str] = {}
        for name, eps in _entry_points(BACKENDS_GROUP).items():
            obj, problem = _load(eps[0]) if len(eps) == 1 else (None, f"{len(eps)} entry points declare it")
            if problem is None and not callable(obj):
                problem = f"its entry point `{eps[0].value}` names {type(obj).__name__}, not a function"
            found[name] = obj if problem is None else problem
        _scanned_backends = found
    return _scanned_backends


def registered_backends() -> dict[str, Callable[..., Any]]:
    """Every usable backend by name: registered in this process, or from the `scint.backends` entry points."""
    with _LOCK:
        found = {n: fn for n, fn in _backend_entry_points().items() if not isinstance(fn, str)}
        found.update(_BACKENDS)
    return dict(sorted(found.items()))


def get_backend(name: str) -> Callable[..., Any]:
    """The backend `python:NAME`, or ModuleError saying which names are registered (or why it did not load)."""
    check_name(name, "backend")
    with _LOCK:
        fn = _BACKENDS.get(name)
        if fn is not None:
            return fn
        found = _backend_entry_points().get(name)
    if isinstance(found, str):
        raise ModuleError(f"backend `{name}` cannot be used: {found}")
    if found is None:
        names = list(registered_backends())
        raise ModuleError(f"no backend `{name}` is registered{did_you_mean(name, names)}; registered: {shown(names)}")
    return found
