"""Tool definitions for both OpenAI API shapes, and running a model's tool call against a session.

`tools(session, kind, api)` returns one tool named `scint`: a function tool whose single `program` parameter is
described by the cheat sheet, or a custom tool whose grammar is Scint's, specialised to what the session may
call now. `handle(session, tool_call)` runs a call of either kind from either API (SDK objects, their dicts,
or `ToolCall`) and returns the text the model reads next: the results, or the error to fix.
"""

from __future__ import annotations

import contextvars
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import attrs

from scint.dsl import Assign, Program, format_program, parse
from scint.errors import BadArguments, LLMError, ScintError
from scint.llm.docs import cheat
from scint.llm.grammar import specialise, targets
from scint.llm.provider import TOOL_NAME, RunFailed, ToolCall

if TYPE_CHECKING:
    from scint.llm.host import Host, RunResult

__all__ = [
    "atomic_only",
    "default_api",
    "format_error",
    "format_result",
    "handle",
    "program_grammar",
    "run_call",
    "to_tool_call",
    "tools",
]

MAX_OUTPUT_CHARS = 8_000
PREVIEW_CHARS = 300  # characters of a handle's value shown in the tool output
PROGRAM_PARAM = "A Scint program (statements separated by newlines or ;)."

# Set while a program that must be atomic runs (an `ask` attempt, a tool call from outside a process): it names
# the setting, and a process run (`<process>.run()`, many commits) is refused there. See scint.llm.process.
ATOMIC_ONLY: contextvars.ContextVar[str | None] = contextvars.ContextVar("scint_atomic_only", default=None)


@contextmanager
def atomic_only(setting: str) -> Iterator[None]:
    """Refuse process runs in the programs run inside this block (`setting` names it in the error)."""
    token = ATOMIC_ONLY.set(setting)
    try:
        yield
    finally:
        ATOMIC_ONLY.reset(token)


def default_api() -> str:
    """`SCINT_LLM_API` ("chat", the default, or "responses")."""
    api = os.environ.get("SCINT_LLM_API", "chat").strip().lower() or "chat"
    if api not in ("chat", "responses"):
        raise LLMError(f'SCINT_LLM_API must be "chat" or "responses", not {api!r}')
    return api


def program_grammar(
    session: Host, *, scope: str | None = None, self_path: str | None = None, actor: str | None = None
) -> str:
    """`grammar/scint.lark` specialised to the contexts, actions and parameter names the session may use now (and
    `actor` may call, when it is held to capabilities)."""
    contexts, functions, history, allows = session.callables(actor)
    return specialise(targets(contexts, functions, history, scope=scope, self_path=self_path, allows=allows))


def tools(
    session: Host,
    kind: str = "function",
    api: str | None = None,
    *,
    scope: str | None = None,
    self_path: str | None = None,
    actor: str | None = None,
) -> list[dict[str, Any]]:
    """The `scint` tool in the shape of `api` ("chat" or "responses"; default `SCINT_LLM_API`).

    kind="function": one `program` string parameter, described by the cheat sheet. kind="custom": a grammar
    tool whose Lark grammar admits only calls to existing contexts' actions with their parameter names (build
    it again after a program creates contexts). `scope` and `self_path` specialise it for a process; `actor`
    (e.g. "process:research.lit") lists in both only what that actor's capabilities allow."""
    if not (callable(getattr(session, "run", None)) and callable(getattr(session, "view", None))):
        raise BadArguments(f"tools() takes a scint.Session, not {type(session).__name__} {session!r:.60}")
    api = default_api() if api is None else api
    if api not in ("chat", "responses"):
        raise LLMError(f'api must be "chat" or "responses", not {api!r}')
    description = cheat(session, actor)
    if kind == "function":
        params = {
            "type": "object",
            "properties": {"program": {"type": "string", "description": PROGRAM_PARAM}},
            "required": ["program"],
            "additionalProperties": False,
        }
        fn = {"name": TOOL_NAME, "description": description, "parameters": params, "strict": True}
        return [{"type": "function", "function": fn}] if api == "chat" else [{"type": "function", **fn}]
    if kind == "custom":
        grammar = program_grammar(session, scope=scope, self_path=self_path, actor=actor)
        if api == "chat":
            fmt = {"type": "grammar", "grammar": {"syntax": "lark", "definition": grammar}}
            return [{"type": "custom", "custom": {"name": TOOL_NAME, "description": description, "format": fmt}}]
        fmt = {"type": "grammar", "syntax": "lark", "definition": grammar}
        return [{"type": "custom", "name": TOOL_NAME, "description": description, "format": fmt}]
    raise LLMError(f'kind must be "function" or "custom", not {kind!r}')


def to_tool_call(call: Any) -> ToolCall:
    """A tool call in any shape (Chat or Responses, function or custom; SDK object or dict) as a ToolCall."""
    if isinstance(call, ToolCall):
        return call
    if hasattr(call, "model_dump"):
        call = call.model_dump()
    if not isinstance(call, dict):
        raise LLMError(f"not a tool call: {type(call).__name__}")
    kind = call.get("type")
    if kind == "function" and isinstance(call.get("function"), dict):  # Chat
        fn = call["function"]
        return ToolCall(str(call.get("id", "")), str(fn.get("name", "")), "function", _arguments(fn.get("arguments")))
    if kind == "custom" and isinstance(call.get("custom"), dict):  # Chat
        c = call["custom"]
        return ToolCall(str(call.get("id", "")), str(c.get("name", "")), "custom", _input(c.get("input")))
    if kind == "function_call":  # Responses
        cid = call.get("call_id") or call.get("id") or ""
        return ToolCall(str(cid), str(call.get("name", "")), "function", _arguments(call.get("arguments")))
    if kind == "custom_tool_call":  # Responses
        cid = call.get("call_id") or call.get("id") or ""
        return ToolCall(str(cid), str(call.get("name", "")), "custom", _input(call.get("input")))
    if {"id", "kind", "input"} <= call.keys():  # ToolCall.as_dict()
        return ToolCall(str(call["id"]), str(call.get("name", TOOL_NAME)), str(call["kind"]), str(call["input"]))
    raise LLMError(f"not a tool call this version understands: type {kind!r}")


def _arguments(value: Any) -> str:
    """A function call's arguments as JSON text: some clients hand them over already parsed."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return repr(value)[:1000]


def _input(value: Any) -> str:
    """A custom call's input: the program text (anything else is no program, and the parser says so)."""
    return value if isinstance(value, str) else "" if value is None else repr(value)[:1000]


def call_problem(call: ToolCall) -> str | None:
    """Why a tool call cannot be run (written for the model), or None."""
    if call.name != TOOL_NAME:
        return f"error: there is no tool `{call.name}`; call `{TOOL_NAME}` with a Scint program"
    if call.program is None:
        return (
            f'error: the `{TOOL_NAME}` tool takes JSON arguments {{"program": "<Scint program>"}}; '
            f"got {str(call.input)[:200]!r}"
        )
    return None


def handle(
    session: Host,
    tool_call: Any,
    *,
    actor: str | None = None,
    scope: str | None = None,
    self_path: str | None = None,
    request: Any = None,
) -> str:
    """Run a tool call's program atomically and return the text for the model: results or an error to fix.

    The actor defaults to `llm:<model>` of the session's provider (or `SCINT_MODEL`). Outside a process
    (`self_path` None) the program must be atomic, so a process run in it is refused."""
    return run_call(session, tool_call, actor=actor, scope=scope, self_path=self_path, request=request)[0]


def run_call(
    session: Host,
    tool_call: Any,
    *,
    actor: str | None = None,
    scope: str | None = None,
    self_path: str | None = None,
    request: Any = None,
) -> tuple[str, RunResult | None]:
    """`handle`, also returning the program's Result (None if it did not run)."""
    call = to_tool_call(tool_call)
    problem = call_problem(call)
    if problem is not None:
        return problem, None
    if actor is None:
        provider = getattr(session, "_llm", None)
        actor = f"llm:{provider.model if provider is not None else os.environ.get('SCINT_MODEL', 'gpt-5-mini')}"
    if request is None:
        request = {"tool_call": call.id}
    try:
        program: str | Program = call.program or ""
        if self_path is not None:
            program = absolute(parse(program, limits=session.limits), self_path)
            result = session.run(program, actor=actor, request=request, scope=scope, self_path=self_path)
        else:
            with atomic_only("a tool call"):
                result = session.run(program, actor=actor, request=request, scope=scope)
    except ScintError as exc:
        return format_error(exc), None
    keep_handle = getattr(session, "keep_handle", None)  # a host without handles clips large results
    if self_path is None or keep_handle is None or not isinstance(program, Program):
        return format_result(result), result
    kept: list[Any] = []

    def keep(text: str) -> dict[str, Any]:
        handle, events = keep_handle(self_path, text)
        kept.extend(events)
        return handle

    reads = [_is_read(stmt) for stmt in program.statements]
    output = format_result(result, keep=keep, result_chars=session.limits.result_chars, exempt=reads)
    if kept and attrs.has(type(result)):  # the handles' events belong to the call's record
        result = attrs.evolve(result, events=(*result.events, *kept))
    return output, result


def _is_read(stmt: Any) -> bool:
    call = stmt.call if type(stmt) is Assign else stmt
    return tuple(call.path) == ("read",)


def absolute(program: Program, self_path: str) -> Program:
    """`program` with `self` spelled out as `self_path`, so the log (and a rerun) reads without a `self`."""
    prefix = tuple(self_path.split("."))
    statements = []
    for stmt in program.statements:
        call = stmt.call if type(stmt) is Assign else stmt
        if call.path[0] == "self":  # type: ignore[union-attr]
            call = attrs.evolve(call, path=(*prefix, *call.path[1:]))  # type: ignore[union-attr]
            stmt = attrs.evolve(stmt, call=call) if type(stmt) is Assign else call
        statements.append(stmt)
    return parse(format_program(attrs.evolve(program, statements=tuple(statements))))


def format_result(
    result: RunResult,
    *,
    keep: Callable[[str], dict[str, Any]] | None = None,
    result_chars: int = 4_000,
    exempt: list[bool] | None = None,
) -> str:
    """A program's results for the model: the branch version and each statement's value, as JSON.

    With `keep` (a process's call: it records a handle and returns its id, size and pages), a statement's value
    longer than `result_chars` is shown as its handle, a preview and its size (`exempt` statements, `read` calls,
    never are); an output still longer than MAX_OUTPUT_CHARS is kept whole as one handle. Without it, the output
    is cut."""
    values = list(result.values)
    notes: list[str] = []
    if keep is not None:
        values = [
            _handled(v, keep, result_chars, notes) if not (exempt and i < len(exempt) and exempt[i]) else v
            for i, v in enumerate(values)
        ]
    body = json.dumps(values[0] if len(values) == 1 else values, ensure_ascii=False, separators=(",", ":"))
    if len(body) > MAX_OUTPUT_CHARS:
        if keep is not None:
            notes = []
            body = json.dumps(_handle_of(body, keep, notes), ensure_ascii=False, separators=(",", ":"))
        else:
            body = body[: MAX_OUTPUT_CHARS - 40] + f"... ({len(body):,} characters in all)"
    changed = f"committed, version {result.version}" if result.events else f"version {result.version}"
    return "\n".join([f"ok ({changed}): {body}", *notes])


def _handled(value: Any, keep: Callable[[str], dict[str, Any]], limit: int, notes: list[str]) -> Any:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if len(text) <= limit:
        return value
    return _handle_of(value if isinstance(value, str) else text, keep, notes)  # text is kept as it is


def _handle_of(text: str, keep: Callable[[str], dict[str, Any]], notes: list[str]) -> dict[str, Any]:
    """`text` kept as a handle: what the model reads in its place, and a note on reading it."""
    try:
        kept = keep(text)
    except ScintError as exc:  # the program is committed: its output says what could not be kept, and why
        notes.append(f"a result of {len(text):,} characters is cut to a preview: it could not be kept ({exc})")
        return {"chars": len(text), "preview": text[:PREVIEW_CHARS]}
    hid, pages = kept["handle"], kept["pages"]
    notes.append(
        f"{hid}: a result of {len(text):,} characters, too long to show whole; "
        f'read(handle="{hid}", page=1) returns page 1 of {pages}'
    )
    return {"handle": hid, "chars": len(text), "pages": pages, "preview": text[:PREVIEW_CHARS]}


def format_error(exc: ScintError) -> str:
    """An error for the model: its class and Scint's own message, and what it changed: nothing, but for a
    process run that broke after taking steps."""
    if isinstance(exc, RunFailed):
        return f"error: {type(exc).__name__}: {exc}\nThe steps it took before stay recorded; the rest changed nothing."
    return f"error: {type(exc).__name__}: {exc}\nNothing was changed; fix the program and call the tool again."
