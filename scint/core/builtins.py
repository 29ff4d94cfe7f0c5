"""The language's built-in functions (`create_context`, `drop_context`, `contexts`, `help`) and the `history`
context, as Specs the interpreter binds and type-checks like any action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from scint.contexts.base import Spec, _spec
from scint.contexts.help import cheat_sheet, topic_help
from scint.contexts.registry import registered
from scint.core.interpreter import Builtins, Interpreter

__all__ = ["HistoryAccess", "make_builtins"]


class HistoryAccess(Protocol):
    """What the `history` context needs from the session."""

    def log_entries(self, limit: int | None) -> list[dict[str, Any]]: ...


def _specs(*fns: Callable[..., Any], kinds: dict[str, str]) -> dict[str, Spec]:
    return {fn.__name__: _spec(Interpreter, fn.__name__, fn, kinds.get(fn.__name__, "query")) for fn in fns}


def create_context(
    it: Interpreter, name: str, type: str = "Container", parent: str | None = None, **config: Any
) -> str:
    """Create a context called `name` of `type`, under `parent` if given; other arguments set its state."""
    path = f"{parent}.{name}" if parent else name
    it.check_scope(path, "create_context")
    return it.record("", "create_context", {"name": name, "type": type, "parent": parent, "config": config})


def drop_context(it: Interpreter, path: str) -> list[str]:
    """Remove the context at `path` and everything below it; returns the removed paths."""
    it.state.require(path)
    it.check_scope(path, "drop_context")
    return it.record("", "drop_context", {"path": path})


def contexts(it: Interpreter) -> list[dict[str, str]]:
    """Every context's path and type, parents before children."""
    return [{"path": path, "type": ctx.__scint_type__} for path, ctx in it.state.contexts.items()]


def make_builtins(history: HistoryAccess) -> Builtins:
    """The built-ins for one session."""

    def help(it: Interpreter, topic: str | None = None) -> str:
        """This cheat sheet; or the full documentation of a type or action, e.g. help("Container.put")."""
        if topic is None:
            return cheat_sheet(registered(), functions, history_specs)
        return topic_help(topic, registered(), functions, history_specs)

    def log(it: Interpreter, limit: int = 20) -> list[dict[str, Any]]:
        """The latest programs that changed state, newest first: version, actor, source, time."""
        return history.log_entries(limit)

    kinds = {"create_context": "action", "drop_context": "action"}
    functions = _specs(create_context, drop_context, contexts, help, kinds=kinds)
    history_specs = _specs(log, kinds=kinds)
    return Builtins(functions, history_specs)
