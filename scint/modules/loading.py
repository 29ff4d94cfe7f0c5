"""Loading modules into a session: the dependency order (a missing or circular dependency names itself), the
types and backends they bring, `init` hooks in that order and `exit` hooks in reverse."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from scint.contexts.base import did_you_mean
from scint.contexts.registry import register, registered
from scint.errors import ModuleError, ScintError
from scint.modules.declaration import MAX_ITEMS, Module, check_name
from scint.modules.registry import Installed, installed, register_backend, shown

__all__ = ["Loaded", "load_modules", "load_order"]


def _wanted(names: Iterable[str], found: Mapping[str, Installed], autoload: bool) -> list[str]:
    if isinstance(names, str) or not isinstance(names, Iterable):
        raise ModuleError(f"modules= is a list of module names, not {type(names).__name__}")
    wanted: list[str] = []
    for name in names:
        if len(wanted) >= MAX_ITEMS:
            raise ModuleError(f"more than {MAX_ITEMS} modules are named")
        wanted.append(check_name(name))
    if autoload:
        wanted += [n for n, i in found.items() if i.module is not None and i.module.autoload]
    return list(dict.fromkeys(wanted))


def _module(name: str, found: Mapping[str, Installed], required_by: str | None) -> Module:
    entry = found.get(name)
    if entry is None:
        names = list(found)
        if required_by is None:
            raise ModuleError(f"no module `{name}` is installed{did_you_mean(name, names)}; installed: {shown(names)}")
        raise ModuleError(
            f"module `{required_by}` requires `{name}`, which is not installed; installed: {shown(names)}"
        )
    if entry.module is None:
        by = f" (required by `{required_by}`)" if required_by else ""
        raise ModuleError(f"module `{name}`{by} cannot be loaded: {entry.problem}")
    return entry.module


def load_order(
    names: Iterable[str] = (), *, autoload: bool = True, found: Mapping[str, Installed] | None = None
) -> list[Module]:
    """The modules named (and, with `autoload`, those marked autoload) with everything they require, each after
    its requirements. A module that is not installed, cannot load, or is part of a cycle raises ModuleError."""
    found = installed() if found is None else found
    order: list[Module] = []
    done: set[str] = set()
    for root in _wanted(names, found, autoload):
        if root in done:
            continue
        path = [root]  # the chain being visited, to name a cycle
        stack: list[tuple[Module, Iterator[str]]] = []
        module = _module(root, found, None)
        stack.append((module, iter(module.requires)))
        while stack:
            module, pending = stack[-1]
            need = next(pending, None)
            if need is None:
                stack.pop()
                path.pop()
                done.add(module.name)
                order.append(module)
            elif need in path:
                cycle = path[path.index(need) :]
                first = cycle.index(min(cycle))  # named from its smallest name, whichever module led into it
                cycle = [*cycle[first:], *cycle[:first], min(cycle)]
                raise ModuleError(f"modules {' -> '.join(cycle)} form a cycle")
            elif need not in done:
                child = _module(need, found, module.name)
                path.append(need)
                stack.append((child, iter(child.requires)))
    return order


def _call(module: Module, hook: str, session: Any) -> None:
    fn: Callable[[Any], object] | None = getattr(module, hook)
    if fn is None:
        return
    try:
        fn(session)
    except Exception as exc:  # the module's code: whatever it raises, the caller learns which module and hook
        detail = str(exc) if isinstance(exc, ScintError) else f"{type(exc).__name__}: {exc}"
        raise ModuleError(f"module `{module.name}`: its {hook} hook failed: {detail}") from exc


def _install(module: Module) -> None:
    """Register the module's context types and backends (process-wide, like `scint.register`)."""
    types = registered()
    for cls in module.types:
        known = types.get(cls.__scint_type__)
        if known is not None and known is not cls and known.__module__.startswith("scint."):
            raise ModuleError(f"module `{module.name}` brings the type `{cls.__scint_type__}`, a built-in type")
    for cls in module.types:
        register(cls)
    for name, fn in module.backends.items():
        register_backend(name, fn)


class Loaded:
    """The modules one session loaded, in order; `load()` adds more, `exit()` runs their exit hooks in reverse."""

    def __init__(self, session: Any) -> None:
        self._session = session
        self.modules: list[Module] = []

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.modules)

    def load(self, names: Iterable[str] = (), *, autoload: bool = False) -> tuple[str, ...]:
        """Load the modules named (and what they require) that are not loaded yet: types and backends
        registered, `init` hooks called in dependency order. If one fails, the ones this call initialised are
        exited (in reverse) and the ModuleError names the module that failed. Returns the names it loaded."""
        before = len(self.modules)
        loaded = set(self.names)
        try:
            for module in load_order(names, autoload=autoload):
                if module.name not in loaded:
                    _install(module)
                    _call(module, "init", self._session)
                    self.modules.append(module)
        except BaseException:  # Ctrl-C too: what this call initialised is exited
            try:
                self._exit(before)
            except ModuleError:
                pass  # the first failure is the one to report
            raise
        return self.names[before:]

    def exit(self) -> None:
        """Every loaded module's exit hook, last loaded first; each runs even if another fails, and the first
        failure is raised afterwards (naming its module)."""
        self._exit(0)

    def _exit(self, keep: int) -> None:
        failure: ModuleError | None = None
        while len(self.modules) > keep:
            module = self.modules.pop()
            try:
                _call(module, "exit", self._session)
            except ModuleError as exc:
                failure = failure or exc
        if failure is not None:
            raise failure


def load_modules(session: Any, names: Iterable[str] = ()) -> Loaded:
    """Load the modules named and the autoload ones into `session` (see `Loaded.load`)."""
    loaded = Loaded(session)
    loaded.load(names, autoload=True)
    return loaded
