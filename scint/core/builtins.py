"""The language's built-in functions (`create_context`, `drop_context`, `contexts`, `help`, the messages: `send`,
`reply`, `inbox`, `set_backend`, and `read` for handles) and the `history` context, as Specs the interpreter binds
and type-checks like any action."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any, Protocol

from scint.contexts.base import Spec, _spec
from scint.contexts.builtin import Process, check_backend
from scint.contexts.help import cheat_sheet, tool_lines, topic_help
from scint.contexts.registry import registered
from scint.contexts.usage import check_budget
from scint.core.handles import read
from scint.core.interpreter import Builtins, Interpreter
from scint.core.messages import inbox, reply, send
from scint.errors import BadArguments, PermissionDenied

__all__ = ["HistoryAccess", "make_builtins"]


class HistoryAccess(Protocol):
    """What the `history` context needs from the session."""

    def log_entries(self, limit: int | None) -> list[dict[str, Any]]: ...

    def branch_in(self, it: Interpreter, name: str, at: int | None) -> str: ...

    def checkout_in(self, it: Interpreter, name: str) -> str: ...

    def branches_list(self, it: Interpreter | None = None) -> list[dict[str, Any]]: ...

    def diff_dict(self, a: Any, b: Any, it: Interpreter | None = None) -> dict[str, Any]: ...

    def at_dict(self, version: int, path: str | None, it: Interpreter | None = None) -> dict[str, Any]: ...


def _specs(*fns: Callable[..., Any], kinds: dict[str, str]) -> dict[str, Spec]:
    return {fn.__name__: _spec(Interpreter, fn.__name__, fn, kinds.get(fn.__name__, "query")) for fn in fns}


def create_context(
    it: Interpreter, name: str, type: str = "Container", parent: str | None = None, **config: Any
) -> str:
    """Create a context called `name` of `type`, under `parent` if given; other arguments set its state."""
    path = f"{parent}.{name}" if parent else name
    it.check_scope(path, "create_context")
    it.check_grant(path, config)
    made = registered().get(type)
    if isinstance(made, builtins.type) and issubclass(made, Process):  # checked as configure checks them
        if "budget" in config:
            check_budget(config["budget"], f"create_context({name!r:.80})")
        if "backend" in config:
            check_backend(config["backend"], f"create_context({name!r:.80})")
    return it.record("", "create_context", {"name": name, "type": type, "parent": parent, "config": config})


def drop_context(it: Interpreter, path: str) -> list[str]:
    """Remove the context at `path` and everything below it; returns the removed paths."""
    it.state.require(path)
    it.check_scope(path, "drop_context")
    for works_in in (it.self_path, *it.scopes):
        if works_in is not None and (works_in == path or works_in.startswith(path + ".")):
            raise PermissionDenied(f"{it.actor} may not drop `{path}`: it works in `{works_in}`")
    return it.record("", "drop_context", {"path": path})


def contexts(it: Interpreter) -> list[dict[str, str]]:
    """Every context's path and type, parents before children."""
    return [{"path": path, "type": ctx.__scint_type__} for path, ctx in it.state.contexts.items()]


def make_builtins(history: HistoryAccess, find_backend: Callable[[str], Any] | None = None) -> Builtins:
    """The built-ins for one session. `find_backend(NAME)` returns the function registered as `python:NAME` or
    raises (scint.modules.get_backend: the session passes it, as this layer may not import the registry)."""

    def set_backend(it: Interpreter, path: str, backend: str) -> str:
        """Change who takes the steps of the process at `path`: "llm" (its model), "human" (a person answers
        its queries from their inbox) or "python:NAME" (a function registered under NAME). Returns the backend."""
        ctx = it.state.require(path)
        if not isinstance(ctx, Process):
            raise BadArguments(f"`{path}` is a {ctx.__scint_type__}, not a Process: only a process has a backend")
        it.check_scope(path, "set_backend")
        it.check_grant(path, {"backend": backend}, configure=True)  # no process changes its own, or one above it
        check_backend(backend, f"set_backend({path!r:.80})")
        if backend.startswith("python:"):  # only a name registered now: no program names arbitrary code
            if find_backend is None:
                raise BadArguments("this session has no registered backends: use llm or human")
            find_backend(backend[len("python:") :])
        it.record(path, "configure", {"settings": {"backend": backend}})  # validated there too: one path
        return backend

    def help(it: Interpreter, topic: str | None = None) -> str:
        """This cheat sheet; or the full documentation of a type or action, e.g. help("Container.put")."""
        if topic is None:
            allows = it.caps.allows if it.caps is not None else None
            return cheat_sheet(registered(), functions, history_specs, tools=tool_lines(it.state.contexts, allows))
        return topic_help(topic, registered(), functions, history_specs)

    def log(it: Interpreter, limit: int = 20) -> list[dict[str, Any]]:
        """The latest programs that changed state, newest first: version, actor, source, time."""
        return history.log_entries(limit)

    def branches(it: Interpreter) -> list[dict[str, Any]]:
        """Every branch: name, base branch, fork version, head version, and whether it is current."""
        return history.branches_list(it)

    def branch(it: Interpreter, name: str, at: int | None = None) -> str:
        """Create branch `name` from this branch at version `at` (default: now), without switching to it."""
        it.check_scope("", "history.branch")  # a scoped actor (a process) changes only its subtree
        return history.branch_in(it, name, at)

    def checkout(it: Interpreter, name: str) -> str:
        """Switch to branch `name`: the rest of the program, and later programs, work there."""
        it.check_scope("", "history.checkout")
        return history.checkout_in(it, name)

    def diff(it: Interpreter, a: str | int, b: str | int) -> dict[str, Any]:
        """What changed from `a` to `b` (a branch, a version of this branch, or "branch@version")."""
        return history.diff_dict(a, b, it)

    def at(it: Interpreter, version: int, path: str | None = None) -> dict[str, Any]:
        """The state as of `version` (only the contexts under `path`, if given)."""
        return history.at_dict(version, path, it)

    kinds = {"create_context": "action", "drop_context": "action", "branch": "action", "checkout": "action"}
    kinds.update(send="action", reply="action", set_backend="action")
    functions = _specs(
        create_context, drop_context, contexts, help, send, reply, inbox, set_backend, read, kinds=kinds
    )
    history_specs = _specs(log, branches, branch, checkout, diff, at, kinds=kinds)
    return Builtins(functions, history_specs)
