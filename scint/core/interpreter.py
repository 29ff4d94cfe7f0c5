"""The interpreter: runs a parsed program against a branch's ContextMap, statement by statement.

For each call it resolves the path (the longest prefix naming an existing context, then the action), evaluates
the arguments (constants, lists, dicts and `$references`), binds and type-checks them against the declared
signature, and then either answers a query, or records an action as an event (which applies it). Only declared
actions and queries are reachable. The caller owns the transaction: it opens one before `run` and commits or
rolls back after, so a program is atomic.
"""

from __future__ import annotations

import functools
from collections import ChainMap
from collections.abc import Callable, MutableMapping
from typing import Any

import attrs

from scint.contexts.base import NAME_RE, Context, Spec, call_spec, did_you_mean
from scint.contexts.builtin import Composer, Process
from scint.contexts.external import MCP
from scint.contexts.registry import get_type
from scint.contexts.types import is_json
from scint.core.bindings import statement_refs
from scint.core.budget import Budget
from scint.core.capabilities import Capabilities, actor_capabilities, check_call, check_grant
from scint.core.codec import call_text
from scint.core.map import ContextMap
from scint.core.spawning import check_spawn
from scint.core.state import MapState
from scint.dsl import Assign, Call, Const, DictValue, Limits, ListValue, Program, Ref, format_program, parse
from scint.errors import (
    ActionError,
    BadArguments,
    LimitExceeded,
    PermissionDenied,
    ScintError,
    ScintSyntaxError,
    UnknownAction,
    UnknownContext,
)

__all__ = ["Builtins", "EventRecord", "Interpreter"]

MAX_COMPOSER_DEPTH = 16
_BUILTIN_MODULE = Composer.__module__
MAX_STEPS = 100_000  # statements executed by one program, workflows included


@attrs.frozen(slots=True)
class EventRecord:
    """One event a program recorded: the branch version it produced, and what it applied."""

    version: int
    path: str
    action: str
    args: dict[str, Any]


class Builtins:
    """The built-in functions and the `history` context, supplied by the session (they need more than the map).

    Each entry of `functions` / `history` is a Spec whose func takes the interpreter first. `call_tool(path,
    tool, arguments)` makes an MCP tool call for the context at `path` and returns its JSON result (the session
    sets it; None: no tool can be called)."""

    def __init__(self, functions: dict[str, Spec], history: dict[str, Spec]) -> None:
        self.functions = functions
        self.history = history
        self.call_tool: Callable[[str, str, dict[str, Any]], Any] | None = None


class Interpreter:
    """Runs programs on one ContextMap for one actor."""

    def __init__(
        self,
        head: ContextMap,
        builtins: Builtins,
        *,
        actor: str,
        program_id: str,
        request: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        scope: str | None = None,
        self_path: str | None = None,
        caps: Capabilities | None = None,
        writes: Capabilities | None = None,
        restrict: list[str] | None = None,
        internal: bool = False,
        limits: Limits | None = None,
        dry_run: bool = False,
    ) -> None:
        self.head = head
        self.dry_run = dry_run  # nothing will be recorded: MCP tools are checked but not called
        self.budget = Budget(limits)  # bounds the values the program builds and reads back
        self.internal = internal  # the runtime itself is writing: internal actions are reachable
        self.state: MapState = head.state
        self.builtins = builtins
        self.actor = actor
        self.program_id = program_id
        self.request = request
        self.params = params or {}  # values bound from outside (checked): `$name` falls back to them
        self.bindings: dict[str, Any] = {}  # what the program's own statements assigned
        self.scope = scope
        # The restrictions in force: the actor's scope, and while a workflow runs, its definer's (SPEC 10: a
        # workflow runs with the narrower capabilities of whoever defined it and whoever runs it).
        self.scopes: list[str] = [scope] if scope is not None else []
        # Capabilities (scint/core/capabilities.py; None: unrestricted). `caps` is checked before every call,
        # query or action; `writes` before every call that changes state (a read-only session: none).
        self.caps = None if internal else caps
        self.restrict = restrict  # the `can=` the program was run with (kept with the workflows it defines)
        self.writes = None if internal else writes
        self.self_path = self_path
        self.events: list[EventRecord] = []
        self.steps = 0
        self._where: tuple[str, int] = ("", 0)  # the statement being run: its source and number
        self._text: str | None = None  # the whole program's text, kept with its first event
        self._sources: list[str] = []  # the statement of each event recorded
        self._first_meta: dict[str, Any] | None = None  # the provenance of the first event recorded

    # -- programs --------------------------------------------------------------------------------------------

    def run(self, program: Program) -> list[Any]:
        """Run every statement; returns their values. Raises the first error, naming its statement."""
        self.bindings = env = {}
        self._text = program.source
        scope = ChainMap(env, self.params) if self.params else env  # its own assignments first, then params
        values = self._statements(program, scope, depth=0, via=None)
        first = self._first_meta
        if first is not None and first.get("text") == "\n".join(self._sources):
            del first["text"]  # the program is its events' statements, one per line: the log joins them again
        return values

    def _statements(self, program: Program, env: MutableMapping[str, Any], depth: int, via: int | None) -> list[Any]:
        values = []
        for i, stmt in enumerate(program.statements, 1):
            source = program.statement_source(i - 1)
            self.steps += 1
            if self.steps > MAX_STEPS:
                raise LimitExceeded(f"the program ran more than {MAX_STEPS:,} statements (workflows included)")
            try:
                call = stmt.call if type(stmt) is Assign else stmt
                value = self._call(call, env, depth, source, via if via is not None else i)
            except ScintError as exc:
                raise exc.at_statement(i, source) if depth == 0 else exc
            env["_"] = value
            if type(stmt) is Assign:
                env[stmt.name] = value
            values.append(value)
        return values

    # -- calls -------------------------------------------------------------------------------------------------

    def _call(self, call: Call, env: MutableMapping[str, Any], depth: int, source: str, index: int) -> Any:
        self._where = (source, index)
        names = call.path
        if self.self_path is not None and names[0] == "self":
            names = (*self.self_path.split("."), *names[1:])
        # The arguments share the referenced values (`[$a, $a]` is two references, not two copies) until they are
        # copied here as one value, within the bounds: an oversized value is refused after at most the bound's work.
        args, kwargs = self.budget.copy(
            [[self._value(v, env) for v in call.args], {k.name: self._value(k.value, env) for k in call.kwargs}],
            lambda: f"the arguments of {'.'.join(call.path)}()",
        )
        if len(names) == 1:
            spec = self.builtins.functions.get(names[0])
            if spec is None:
                raise self._unknown_function(names[0])
            if spec.kind == "query":  # create_context and drop_context check the path they change (check_scope)
                check_call(self.caps, self.actor, "", spec.name)
            bound = spec.bind(args, kwargs, where="", plain=True)
            return self._plain(spec.func(self, **bound), f"{names[0]}()")
        if names[0] == "history" and len(names) == 2 and "history" not in self.state.contexts:
            spec = self.builtins.history.get(names[1])
            if spec is None:
                options = sorted(self.builtins.history)
                raise UnknownAction(
                    f"history has no action `{names[1]}`{did_you_mean(names[1], options)}; it has: {', '.join(options)}"
                )
            check_call(self.caps, self.actor, "history", spec.name)
            bound = spec.bind(args, kwargs, where="history", plain=True)
            return self._plain(spec.func(self, **bound), f"history.{names[1]}()")
        ctx, action = self._resolve(names)
        if isinstance(ctx, MCP) and action not in type(ctx).__scint_specs__:
            return self._tool(ctx, action, args, kwargs)
        spec = type(ctx).__scint_specs__.get(action) if self.internal else None
        if spec is None:
            spec = type(ctx).spec(action, where=ctx.path)
        check_call(self.caps, self.actor, ctx.path, spec.name)
        bound = spec.bind(args, kwargs, where=ctx.path, plain=True)
        if spec.kind == "query":
            return self._query(ctx, spec, bound)
        self.check_scope(ctx.path, spec.name)
        if isinstance(ctx, Process):
            self._process_action(ctx, spec.name, bound)
        if spec.kind == "macro":
            return self._macro(ctx, spec, bound, depth, index)
        if isinstance(ctx, Composer) and spec.name == "define":
            self._check_workflow(bound)
        return self.record(ctx.path, spec.name, bound)

    def _tool(self, ctx: MCP, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        # An MCP server's tool (scint/contexts/external.py): bound against the Spec built from its recorded input
        # schema, called by the session BEFORE anything is recorded (the one non-deterministic step), and recorded
        # as `call(tool, arguments, result)`, so replay never contacts the server.
        spec = ctx.tool_spec(name)
        check_call(self.caps, self.actor, ctx.path, name)
        bound = spec.bind(args, kwargs, where=ctx.path, plain=True)
        optional = {p.name for p in spec.params if not p.required and not p.variadic}
        arguments = {k: v for k, v in bound.items() if v is not None or k not in optional}  # null: not sent
        self.check_scope(ctx.path, name)
        if self.dry_run:
            return None  # a dry run changes nothing, here or on the server
        if self.builtins.call_tool is None:
            raise ActionError(f"{ctx.path}.{name}(): MCP tools cannot be called here")
        result = self.builtins.call_tool(ctx.path, name, arguments)
        return self.record(ctx.path, "call", {"tool": name, "arguments": arguments, "result": result})

    def _query(self, ctx: Context, spec: Spec, bound: dict[str, Any]) -> Any:
        # A query must not change state (nothing would be recorded, so replay would differ). The built-in types
        # are written not to; another type's query runs watched: whatever it changes is put back and refused.
        if type(ctx).__module__ == _BUILTIN_MODULE:
            return self._plain(call_spec(ctx, spec, bound), f"{ctx.path}.{spec.name}()", True)
        return self._plain(self.state.query(ctx, spec, bound), f"{ctx.path}.{spec.name}()")

    def _resolve(self, names: tuple[str, ...]) -> tuple[Context, str]:
        contexts = self.state.contexts
        for k in range(len(names) - 1, 0, -1):
            path = ".".join(names[:k])
            ctx = contexts.get(path)
            if ctx is not None:
                if k < len(names) - 1:
                    missing = names[k]
                    raise UnknownContext(
                        f"`{path}` has no child `{missing}`{did_you_mean(missing, self.state.children(path))}"
                        f" and `{'.'.join(names[k:])}` is not one of its actions"
                    )
                return ctx, names[k]
        root = names[0]
        roots = self.state.children("")
        raise UnknownContext(
            f"there is no context `{root}`{did_you_mean(root, roots)}; "
            + (f"the contexts are: {', '.join(roots[:20])}" if roots else "there are no contexts yet")
            + f' (create one with create_context("{root}", type="Container"))'
        )

    def _unknown_function(self, name: str) -> ScintError:
        if name in self.state.contexts:
            ctype = type(self.state.contexts[name])
            actions = ", ".join(sorted(ctype.__scint_specs__))
            return UnknownAction(f"`{name}` is a context; call one of its actions: {name}.<action>(...) ({actions})")
        options = sorted(self.builtins.functions)
        return UnknownAction(
            f"there is no built-in `{name}`{did_you_mean(name, options)}; the built-ins are: {', '.join(options)}; "
            "actions are called on a context: context.action(...)"
        )

    def check_scope(self, path: str, what: str) -> None:
        """Before a change: `what` (an action, or a built-in that changes state) on the context at `path` ("" for
        the root) must be within the actor's `writes` capabilities."""
        where, _, action = what.rpartition(".")
        caps = self.caps
        if not where and caps is not None and not caps.allows("", action):
            # a built-in changing the context at `path`: `create_context` allows it anywhere, and
            # `research.**` (or `self.**`) covers `research.x.create_context`
            check_call(caps, self.actor, path, action)
        writes = self.writes
        if writes is not None and not writes.allows(path or where, action):  # `history.branch` as history.branch
            raise PermissionDenied(
                f"{self.actor} may not change `{path or 'the root'}` ({what}): it may change only "
                f"{writes.describe() or 'nothing (read-only)'}"
            )
        for i, scope in enumerate(self.scopes):
            if not _inside(path, scope):
                who = self.actor if i == 0 and scope == self.scope else "this workflow (its definer's scope)"
                raise PermissionDenied(
                    f"{who} may only change contexts under `{scope}`; `{path or 'the root'}` is outside it ({what})"
                )


    def check_grant(self, path: str, settings: Any, *, configure: bool = False) -> None:
        """Before the process at `path` gets settings (created with them, or configured): its `can` and `approve`
        must be valid globs, and an actor held to capabilities may grant no more than it has itself, nor change
        the declaration of its own process or of one above it (no actor widens its own capabilities)."""
        if not isinstance(settings, dict):
            return
        bad = next((part for part in path.split(".") if not NAME_RE.fullmatch(part)), None)
        if bad is not None:  # said as creating it would say it (not as a capability's `self` path)
            raise BadArguments(
                f"a context name is a letter followed by letters, digits or _ (at most 64), not {bad!r:.80}"
            )
        for key in ("can", "approve"):
            if isinstance(settings.get(key), list):
                Capabilities(settings[key], self_path=path)  # a bad glob is BadArguments, before anything changes
        if self.caps is None:
            return
        own = self.self_path
        if configure and own is not None and (own == path or own.startswith(path + ".")):
            raise PermissionDenied(
                f"{self.actor} may not change the declaration of `{path}`: no process changes its own capabilities, "
                "budget or approvals, nor those of a process above it"
            )
        if "can" in settings:
            check_grant(self.caps, self.actor, path, settings["can"])

    def _process_action(self, ctx: Process, action: str, bound: dict[str, Any]) -> None:
        """A Process's own checks: its declaration's grants (configure), who holds it (pause, stop, resume: their
        `by` is the actor, whatever the program says), and a fork's new sibling (created where the actor may
        create, with capabilities the actor may grant)."""
        if action == "configure":
            self.check_grant(ctx.path, bound["settings"], configure=True)
        elif action == "spawn":
            check_spawn(ctx, bound, self.state.contexts, self.check_grant)
        elif action in Process.CONTROL:
            bound["by"] = self.actor
        elif action == "fork":
            parent = ctx.path.rpartition(".")[0]
            path = f"{parent}.{bound['name']}" if parent else str(bound["name"])
            self.check_scope(path, "create_context")
            self.check_grant(path, {"can": ctx.can})

    def record(self, path: str, action: str, args: dict[str, Any]) -> Any:
        """Record an action as an event (applying it) and return its result."""
        source, index = self._where
        # Lean provenance (scint/core/codec.py): the statement only when the call's arguments do not spell it.
        meta: dict[str, Any] = {"actor": self.actor, "program": self.program_id, "n": index}
        if "$" in source or source[-1:] != ")" or source != call_text(path, action, args):  # cheap tests first
            meta["source"] = source
        self._sources.append(source)
        target = get_type(args["type"]) if path == "" and action == "create_context" else self.state.contexts.get(path)
        if target is not None and target.schema_version > 1:
            meta["tv"] = target.schema_version  # which version of the type recorded this event
        if not self.events:
            self._first_meta = meta
            if self._text and self._text.strip() != source:  # unless the first event's statement says it all
                meta["text"] = self._text
            if self.request is not None:
                meta["request"] = self.request
            if self.params:
                meta["params"] = self.params
        trusted = type(target).__module__ == _BUILTIN_MODULE
        result = self._plain(
            self.head.record(path, action, args, meta), f"{path}.{action}()" if path else f"{action}()", trusted
        )
        for ctx in self.state.reached if path and not trusted else ():
            if not is_json(ctx.__dict__):
                # A type's own action left state (its own or a context it reached) that cannot be stored,
                # snapshotted or rendered (a set, a tuple, NaN, an int key): refuse it now, while the program can
                # still be rolled back.
                raise ActionError(
                    f"{path}.{action}() left {ctx.path}'s state holding a value Scint cannot store (only null, "
                    "bools, numbers, strings, lists and dicts with string keys); fix the type's action"
                )
        self.events.append(EventRecord(self.head.scint_version, path, action, args))
        return result

    # -- workflows ---------------------------------------------------------------------------------------------

    def _macro(self, ctx: Context, spec: Spec, bound: dict[str, Any], depth: int, index: int) -> Any:
        workflow = call_spec(ctx, spec, bound)
        if depth + 1 > MAX_COMPOSER_DEPTH:
            raise LimitExceeded(f"workflows call workflows more than {MAX_COMPOSER_DEPTH} deep")
        program = _parse_body(workflow["body"])
        env = {p: bound[p] for p in workflow["params"]}
        restriction = workflow.get("scope")  # absent in workflows defined before scopes were recorded
        if restriction is not None:
            self.scopes.append(restriction)
        runner_caps = self.caps
        definer = workflow.get("by")
        if definer is not None and not self.internal:  # its definer's capabilities hold too, whoever runs it
            definer_caps = actor_capabilities(definer, self.state.contexts, workflow.get("can"))
            if definer_caps is not None:
                self.caps = definer_caps if runner_caps is None else runner_caps.narrow(definer_caps)
        try:
            values = self._statements(program, env, depth + 1, via=index)
        except ScintError as exc:
            if not getattr(exc, "_scint_workflow", False):  # name the innermost workflow once
                exc.message = f"in workflow {ctx.path}/{bound['name']}: {exc.message}"
                exc.args = (exc.message,)
                exc._scint_workflow = True  # type: ignore[attr-defined]
            raise
        finally:
            self.caps = runner_caps
            if restriction is not None:
                self.scopes.pop()
        return values[-1] if values else None

    def _check_workflow(self, bound: dict[str, Any]) -> None:
        # The workflow keeps the narrowest restriction in force where it is defined (the definer's scope, and
        # the scope it asks for; the definer and the capabilities it was held to), and runs under it whoever
        # runs it.
        bound["by"] = self.actor if self.caps is not None else None
        bound["can"] = list(self.restrict) if self.caps is not None and self.restrict is not None else None
        for scope in self.scopes:
            asked = bound.get("scope")
            if asked is None or _inside(scope, asked):
                bound["scope"] = scope
            elif not _inside(asked, scope):
                raise PermissionDenied(
                    f"workflow `{bound['name']}` asks for scope `{asked}`, outside `{scope}` where it is defined"
                )
        try:
            program = _parse_body(bound["body"])
        except ScintSyntaxError as exc:
            raise BadArguments(f"the body of workflow `{bound['name']}` is not valid Scint: {exc}") from None
        known = set(bound["params"])
        for i, stmt in enumerate(program.statements):
            for ref in statement_refs(stmt):
                if ref == "_" and i == 0:
                    raise BadArguments(
                        f"the body of workflow `{bound['name']}` reads $_ in its first statement, "
                        "where there is no previous result"
                    )
                if ref not in known:
                    raise BadArguments(
                        f"the body of workflow `{bound['name']}` reads ${ref} in statement {i + 1}, "
                        f"but it is neither a parameter ({', '.join(bound['params']) or 'none'}) "
                        "nor assigned earlier in the body"
                    )
            known.add("_")
            if type(stmt) is Assign:
                known.add(stmt.name)
        if self.self_path is not None and any(_call_of(st).path[0] == "self" for st in program.statements):
            # `self` means the process defining the workflow, whoever runs it later: store the absolute path.
            bound["body"] = format_program(_without_self(program, self.self_path))

    # -- values ------------------------------------------------------------------------------------------------

    def _value(self, node: Any, env: MutableMapping[str, Any]) -> Any:
        t = type(node)
        if t is Const:
            return node.value
        if t is ListValue:
            return [self._value(v, env) for v in node.items]
        if t is DictValue:
            return {k: self._value(v, env) for k, v in node.items}
        if t is Ref:
            return _deref(node, env)  # shared, not copied: `_call` copies the arguments once, within bounds
        raise TypeError(f"not a value node: {node!r}")

    def _plain(self, value: Any, what: str, trusted: bool = False) -> Any:
        """A copy of a result (a body may return its live state, which later statements change), within the
        bounds, if it is JSON (`trusted`: it is, coming from a built-in type)."""
        out = self.budget.copy(value, lambda: f"the result of {what}")
        if not trusted and not is_json(out):
            raise ActionError(f"{what} returned {type(value).__name__}, which Scint cannot store or show")
        return out


def _inside(path: str, scope: str) -> bool:
    """Whether `path` is `scope` or below it."""
    return path == scope or path.startswith(scope + ".")


def _call_of(stmt: Any) -> Call:
    return stmt.call if type(stmt) is Assign else stmt


def _without_self(program: Program, self_path: str) -> Program:
    """The program with every `self...` call path written out from `self_path`."""
    prefix = tuple(self_path.split("."))

    def fix(call: Call) -> Call:
        return attrs.evolve(call, path=(*prefix, *call.path[1:])) if call.path[0] == "self" else call

    statements = [attrs.evolve(st, call=fix(st.call)) if type(st) is Assign else fix(st) for st in program.statements]
    return Program(tuple(statements))


def _deref(ref: Ref, env: MutableMapping[str, Any]) -> Any:
    if ref.name not in env:
        defined = [n for n in env if n != "_"]
        if ref.name == "_":
            raise BadArguments("$_ is the previous statement's result, and there is no previous statement")
        raise BadArguments(
            f"${ref.name} is not defined{did_you_mean(ref.name, defined)}; "
            f"assign it first: {ref.name} = context.action(...)"
        )
    value = env[ref.name]
    shown = "$" + ref.name
    for step in ref.path:
        if type(step) is int:
            if type(value) is not list:
                raise BadArguments(f"{shown} is {_kind(value)}, not a list: it has no [{step}]")
            if not -len(value) <= step < len(value):
                raise BadArguments(f"{shown} has {len(value)} items; [{step}] is out of range")
            value = value[step]
            shown += f"[{step}]"
        else:
            if type(value) is not dict:
                raise BadArguments(f"{shown} is {_kind(value)}, not a dict: it has no field `{step}`")
            if step not in value:
                raise BadArguments(
                    f"{shown} has no field `{step}`{did_you_mean(step, value)}; "
                    f"its fields are: {', '.join(list(value)[:20]) or 'none'}"
                )
            value = value[step]
            shown += f".{step}"
    return value


def _kind(value: Any) -> str:
    names = {type(None): "null", bool: "a bool", int: "an int", float: "a float", str: "a string"}
    return names.get(type(value), "a list" if type(value) is list else "a dict")


@functools.lru_cache(maxsize=256)
def _parse_body(body: str) -> Program:
    return parse(body)
