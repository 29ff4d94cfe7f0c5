"""Documentation generated from the registered types: the concise cheat sheet (an LLM's documentation of the
language, so every word counts), per-topic help, and JSON schemas of actions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from scint.contexts import types as T
from scint.contexts.base import Context, Spec, did_you_mean
from scint.contexts.external import MCP
from scint.errors import BadArguments

__all__ = ["LANGUAGE", "cheat_sheet", "schema", "tool_lines", "topic_help"]

LANGUAGE = """\
Scint: one statement per line (or separated by ;): context.action(arg, key=value)
Values: "text", 'text', \"\"\"multi-line\"\"\", 12, -2.5e3, true, false, null, [1, 2], {"key": value}
name = context.action(...) binds a result; $name, $name.field, $name[0], $name["key"], $_ (previous result) read it.
A program is atomic: if one statement fails, nothing changes. Child contexts are addressed by dotted paths."""


def _line(spec: Spec, prefix: str = "") -> str:
    mark = " (query)" if spec.is_query else ""
    summary = spec.summary()
    return f"  {prefix}{spec.signature()}{mark}" + (f" - {summary}" if summary else "")


def _settings(cls: type[Context]) -> str:
    return ", ".join(f"{n}: {T.describe(a)}" for n, (a, _) in cls.__scint_fields__.items())


def cheat_sheet(
    types: dict[str, type[Context]],
    functions: dict[str, Spec],
    history: dict[str, Spec],
    only: Iterable[str] = (),
    allowed: Callable[[str, str], bool] | None = None,
    tools: Iterable[str] = (),
) -> str:
    """The language, the built-ins and every type's actions, one line each. `only` limits the types shown;
    `allowed(type name, action)` the actions (a type none of whose actions is allowed is left out); `tools`
    are the MCP contexts' tool lines (`tool_lines`)."""
    chosen = set(only)
    lines = [LANGUAGE, "", "Built-ins:"]
    lines += [_line(s) for s in functions.values()]
    lines += [_line(s, "history.") for s in history.values()]
    for name, cls in types.items():
        if chosen and name not in chosen:
            continue
        specs = [s for s in cls.__scint_specs__.values() if s.public and (allowed is None or allowed(name, s.name))]
        if not specs:
            continue
        doc = cls.doc().splitlines()[0] if cls.doc() else ""
        lines += ["", f"{name}: {doc}" + (f" State: {_settings(cls)}." if cls.__scint_fields__ else "")]
        lines += [_line(s) for s in specs]
    shown = list(tools)
    if shown:
        lines += ["", "MCP tools (actions of MCP contexts; each call's result is recorded):", *shown]
    return "\n".join(lines)


def tool_lines(contexts: dict[str, Context], allows: Callable[[str, str], bool] | None = None) -> list[str]:
    """One line per tool of every MCP context (its parameters from the recorded input schema) that
    `allows(path, tool)` (None: all)."""
    lines = []
    for path, ctx in contexts.items():
        if isinstance(ctx, MCP):
            lines += [_line(s, f"{path}.") for t, s in ctx.tool_specs().items() if allows is None or allows(path, t)]
    return lines


def topic_help(
    topic: str, types: dict[str, type[Context]], functions: dict[str, Spec], history: dict[str, Spec]
) -> str:
    """Full documentation of a type (`Container`), an action (`Container.put`, `create_context`, `history.log`)."""
    type_name, _, action = topic.partition(".")
    if type_name == "history" and action in history:
        return _full(history[action], "history.")
    if topic in functions:
        return _full(functions[topic])
    cls = types.get(type_name)
    if cls is None:
        options = [*types, *functions, *(f"history.{h}" for h in history)]
        raise BadArguments(f"no help on `{topic}`{did_you_mean(topic, options)}; topics: {', '.join(options)}")
    if action:
        spec = cls.__scint_specs__.get(action)
        if spec is None or not spec.public:
            raise BadArguments(f"{type_name} has no action `{action}`{did_you_mean(action, cls.__scint_specs__)}")
        return _full(spec, f"{type_name}.")
    lines = [f"{type_name}: {cls.doc()}"]
    if cls.__scint_fields__:
        lines.append(f"State: {_settings(cls)}")
    settings = ", setting=value..." if cls.__scint_fields__ else ""
    lines.append(f'Create: create_context("name", type="{type_name}"{settings})')
    for spec in cls.__scint_specs__.values():
        if not spec.public:
            continue
        lines.append(_full(spec, "  ."))
    return "\n".join(lines)


def _full(spec: Spec, prefix: str = "") -> str:
    kind = "query" if spec.is_query else "action"
    doc = "\n".join("    " + ln for ln in spec.doc.splitlines()) if spec.doc else ""
    return f"{prefix}{spec.signature()} -> {T.describe(spec.returns)}  [{kind}]" + (f"\n{doc}" if doc else "")


def schema(spec: Spec) -> dict[str, Any]:
    """JSON Schema of an action's parameters (for function-calling tools)."""
    props: dict[str, Any] = {}
    required = []
    for p in spec.params:
        if p.variadic:
            continue
        props[p.name] = T.json_schema(p.annotation)
        if p.required:
            required.append(p.name)
    out: dict[str, Any] = {"type": "object", "properties": props, "required": required}
    if spec.variadic is None:
        out["additionalProperties"] = False
    return out
