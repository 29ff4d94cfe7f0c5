"""The `MCP` context type: an MCP server's tools as a context's actions (SPEC section 13).

The tools are not known when the type is written, so they are not declared methods: the context's state holds
the tool list recorded when the server was connected (`tools`: name -> description and JSON input schema), and
`tool_spec` builds each tool's Spec from its schema. The interpreter binds a call like `files.read_file(path=
"x")` against that Spec, asks the session to make the call (the only non-deterministic step), and records the
internal action `call(tool, arguments, result)`: applying it only counts the call and returns the recorded
result, so views, replay and export never contact the server.
"""

from __future__ import annotations

from typing import Any, Literal

from scint.contexts.base import MISSING, NAME_RE, Context, Param, Spec, did_you_mean, internal, query
from scint.contexts.registry import register
from scint.contexts.types import check
from scint.errors import BadArguments, UnknownAction

__all__ = ["MCP", "server_description", "tool_params", "up_to_date"]

MAX_TOOLS = 256
MAX_ENUM = 64
_SCALAR_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "array": list[Any],
    "object": dict[str, Any],
    "null": None,
}


def _annotation(schema: Any) -> Any:
    """The annotation a property's JSON schema maps to (Any for what it does not say plainly)."""
    if not isinstance(schema, dict):
        return Any
    enum = schema.get("enum")
    if isinstance(enum, list) and 0 < len(enum) <= MAX_ENUM and all(type(v) in (str, int, bool) for v in enum):
        return Literal[tuple(enum)]  # type: ignore[valid-type]
    kind = schema.get("type")
    if isinstance(kind, str) and kind in _SCALAR_TYPES:
        return _SCALAR_TYPES[kind]
    if isinstance(kind, list) and kind and all(isinstance(k, str) and k in _SCALAR_TYPES for k in kind):
        out: Any = None
        for i, k in enumerate(kind):
            out = _SCALAR_TYPES[k] if i == 0 else _or(out, _SCALAR_TYPES[k])
        return out
    return Any


def _or(a: Any, b: Any) -> Any:
    """`a | b` for annotations, either of which may be None (or Any, which takes everything)."""
    if a is Any or b is Any:
        return Any
    if a is None:
        return b | None if b is not None else None
    return a | b


def tool_params(schema: Any) -> tuple[Param, ...]:
    """A tool's parameters from its JSON input schema: the required properties first, then the optional ones
    (default null, so a call that leaves one out does not send it); `**extra` only when the schema says it
    takes more properties (`additionalProperties` true or a schema), so a misspelt name is refused here."""
    if not isinstance(schema, dict):
        return (Param("arguments", Any, MISSING, variadic=True),)
    props = schema.get("properties")
    props = props if isinstance(props, dict) else {}
    listed = schema.get("required")
    required = [n for n in listed if isinstance(n, str) and n in props] if isinstance(listed, list) else []
    params = []
    for name in [*required, *(n for n in props if n not in required)]:
        annotation = _annotation(props[name])
        if name in required:
            params.append(Param(name, annotation))
        else:
            params.append(Param(name, _or(annotation, None), None))
    more = schema.get("additionalProperties", False)
    if more is True or isinstance(more, dict):
        params.append(Param("extra", Any, MISSING, variadic=True))
    return tuple(params)


def server_description(
    command: str | None = None, args: list[str] | None = None, env: dict[str, str] | None = None, url: str | None = None
) -> dict[str, Any]:
    """What an MCP context records of how its server is reached: the command and its arguments with the NAMES of
    the environment variables it is given (never their values), or the url."""
    if command is not None:
        return {"command": command, "args": list(args or []), "env": sorted(env or {})}
    return {"url": url}


def up_to_date(state: dict[str, Any] | None, server: dict[str, Any], tools: list[str] | None) -> bool:
    """Whether an MCP context's recorded `state` already describes `server` offering the selection `tools`
    (None: all of its tools), so connecting again needs to record nothing."""
    if not isinstance(state, dict) or state.get("server") != server or not isinstance(state.get("tools"), dict):
        return False
    return tools is None or set(state["tools"]) == set(tools)


def _call_tool(ctx: Context, **arguments: Any) -> Any:  # never run: the interpreter records `call` instead
    raise BadArguments(f"{ctx.path}: an MCP tool is called through the interpreter")


@register
class MCP(Context):
    """The tools of an MCP server, as actions: each call is made once and its result recorded in its event."""

    server: dict[str, Any] = {}  # how it was reached: command and args, or url (never its environment's values)
    tools: dict[str, Any] = {}  # name -> {"description": str, "input_schema": JSON schema}
    calls: int = 0  # calls recorded

    def tool_spec(self, name: str) -> Spec:
        """The Spec of tool `name` (parameters from its input schema), or UnknownAction with suggestions."""
        tool = self.tools.get(name)
        if not isinstance(tool, dict) or not NAME_RE.fullmatch(name):
            options = sorted(self.tools)
            raise UnknownAction(
                f"{self.path} (MCP) has no tool `{name}`{did_you_mean(name, options)}; "
                f"its tools are: {', '.join(options) or 'none'}"
            )
        doc = tool.get("description") if isinstance(tool.get("description"), str) else ""
        return Spec(name, "action", tool_params(tool.get("input_schema")), Any, doc, _call_tool)

    def tool_specs(self) -> dict[str, Spec]:
        """Every callable tool's Spec by name, sorted (a tool named like one of the type's own actions is not
        reachable, nor one whose name is not a plain name)."""
        own = type(self).__scint_specs__
        return {t: self.tool_spec(t) for t in sorted(self.tools) if t not in own and NAME_RE.fullmatch(t)}

    @query
    def list_tools(self) -> list[str]:
        """The server's tools, each with its parameters and description, one line each."""
        lines = []
        for spec in self.tool_specs().values():
            summary = spec.summary()
            lines.append(f"{self.path}.{spec.signature()}" + (f" - {summary}" if summary else ""))
        return lines

    @internal
    def refresh(self, server: dict[str, Any], tools: dict[str, Any]) -> None:
        """The server was connected again with another description or tool list: record the new ones."""
        self.server = server
        self.tools = tools

    @internal
    def call(self, tool: str, arguments: dict[str, Any], result: Any) -> Any:
        """A tool call the session made before recording it: `result` is what the server returned."""
        if not check(result, Any):
            raise BadArguments(f"{self.path}.{tool}: the recorded result is not JSON")
        self.calls += 1
        return result
