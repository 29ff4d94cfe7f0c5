"""Tokens and round trips: Scint programs against JSON function calling, for the same actions.

Measured offline (o200k_base, counted with the bpe-openai package; no model is called):

1. Documentation + calls. Scint: the `scint` function tool (its description is the cheat sheet) plus the programs.
   Function calling: one JSON-schema tool per action of every registered type and built-in (a `path` parameter
   names the context) plus one function call per statement, with the values the model would have copied from
   earlier results.
2. Round trips for tasks whose steps depend on each other (a later call needs an earlier result, such as the
   path `add_task` returns). Scint: one program with references, one request. Function calling: the model
   must see each result before the next call, one request per step. Both are driven through MockProvider
   against a real session, so the requests are counted, not assumed.
3. Conversation tokens: what each approach sends and receives over all its round trips (every request resends
   the tools and the conversation so far).

Run: .venv/bin/python bench/llm_tokens.py
"""

from __future__ import annotations

import json
from typing import Any

import bpe_openai

import scint
from scint.contexts.help import schema
from scint.contexts.registry import registered
from scint.dsl import Assign, Const, DictValue, ListValue, Ref, parse
from scint.llm import MockProvider, ToolCall, cheat, tools
from scint.llm.loop import assistant_message, tool_message
from scint.llm.process import literal
from scint.llm.tools import format_result

ENC = bpe_openai.get_encoding("o200k_base")

SETUP = 'create_context("research", type="Thread"); create_context("notes"); create_context("ops", type="Composer")'

TASKS: dict[str, str] = {
    "notes": """\
notes.put(key="milk", value={"qty": 2, "unit": "l"})
m = notes.get(key="milk")
notes.put(key="milk_copy", value=$m.qty)
notes.update(key="milk", patch={"qty": 3})""",
    "tasks": """\
p = research.spawn(name="lit", goal="find three papers on event sourcing")
t = research.lit.add_task(title="search arxiv", detail="event sourcing 2020-2026")
research.lit.t1.start()
research.lit.t1.complete(result={"found": 3})
research.post(role="assistant", content="search done")""",
    "workflow": """\
ops.define(name="restock", params=["item"], body="notes.put(key=$item, value=0)")
ops.run(name="restock", item="eggs")
k = notes.keys()
notes.put(key="count", value=$k)""",
}


def tokens(obj: Any) -> int:
    text = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return len(ENC.encode(text))


# -- the function-calling baseline -----------------------------------------------------------------------------


def function_tools(session: scint.Session) -> list[dict[str, Any]]:
    """One Chat Completions function tool per action: the conventional way to expose these actions."""
    out = []
    b = session._builtins
    for name, spec in [*b.functions.items(), *((f"history_{n}", s) for n, s in b.history.items())]:
        out.append(_tool(name, spec.summary(), schema(spec)))
    for type_name, cls in registered().items():
        for name, spec in cls.__scint_specs__.items():
            params = schema(spec)
            params = {
                **params,
                "properties": {"path": {"type": "string", "description": f"the {type_name}"}, **params["properties"]},
                "required": ["path", *params["required"]],
            }
            out.append(_tool(f"{type_name}_{name}", spec.summary(), params))
    return out


def _tool(name: str, description: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "description": description, "parameters": parameters}}


def function_calls(session: scint.Session, program: str) -> list[tuple[str, dict[str, Any], str]]:
    """Each statement as (function name, JSON arguments with references resolved, the Scint statement)."""
    parsed = parse(program)
    with scint.open("memory://") as scratch:  # run it once to learn each statement's value and each path's type
        scratch.run(SETUP)
        values = scratch.run(program).values
        state = scratch.view()
    env: dict[str, Any] = {}
    calls = []
    for i, stmt in enumerate(parsed.statements):
        call = stmt.call if type(stmt) is Assign else stmt
        args = [_value(v, env) for v in call.args]
        kwargs = {k.name: _value(k.value, env) for k in call.kwargs}
        names = call.path
        if len(names) == 1:
            name, spec, path = names[0], session._builtins.functions[names[0]], None
        else:
            path, action = ".".join(names[:-1]), names[-1]
            type_name = state.type_of(path)
            spec = registered()[type_name].__scint_specs__[action]
            name = f"{type_name}_{action}"
        named = [p.name for p in spec.params if not p.variadic]
        arguments = dict(zip(named, args, strict=False)) | kwargs
        if path is not None:
            arguments = {"path": path, **arguments}
        calls.append((name, arguments, parsed.statement_source(i)))
        env["_"] = values[i]
        if type(stmt) is Assign:
            env[stmt.name] = values[i]
    return calls


def as_statement(name: str, arguments: dict[str, Any]) -> str:
    """A function call as the one Scint statement it stands for (its values are literal)."""
    args = dict(arguments)
    path = args.pop("path", None)
    target = name if path is None else f"{path}.{name.split('_', 1)[1]}"
    return f"{target}({', '.join(f'{k}={literal(v)}' for k, v in args.items())})"


def _value(node: Any, env: dict[str, Any]) -> Any:
    t = type(node)
    if t is Const:
        return node.value
    if t is ListValue:
        return [_value(v, env) for v in node.items]
    if t is DictValue:
        return {k: _value(v, env) for k, v in node.items}
    if t is Ref:
        value = env[node.name]
        for step in node.path:
            value = value[step]
        return value
    raise TypeError(node)


# -- driving both through MockProvider ----------------------------------------------------------------------------


def scint_round_trips(program: str) -> tuple[int, int]:
    """(requests, conversation tokens) for one task done as one Scint program through `ask`."""
    with scint.open("memory://") as s:
        s.run(SETUP)
        mock = MockProvider([{"program": program}])
        result = s.ask("do the task", provider=mock).result
        sent = sum(tokens(r.tools) + tokens(r.messages) for r in mock.history)
        answer = assistant_message(mock._reply({"program": program, "id": "call_1"}))
        out = tool_message(ToolCall.function(program, "call_1"), format_result(result))
        return len(mock.history), sent + tokens(answer) + tokens(out)


def function_round_trips(program: str) -> tuple[int, int]:
    """(requests, conversation tokens) for the same task by function calling: one call per request, since each
    call may need the previous result."""
    with scint.open("memory://") as s:
        s.run(SETUP)
        fc_tools = function_tools(s)
        calls = function_calls(s, program)
        messages: list[dict[str, Any]] = [{"role": "user", "content": "do the task"}]
        sent = 0
        for i, (name, arguments, _) in enumerate(calls):
            sent += tokens(fc_tools) + tokens(messages)  # the request
            call = {
                "id": f"call_{i}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
            messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
            value = s.run(as_statement(name, arguments)).value  # what the function call does
            messages.append({"role": "tool", "tool_call_id": f"call_{i}", "content": json.dumps(value)})
        sent += tokens(fc_tools) + tokens(messages)  # the request after the last result
        return len(calls) + 1, sent + tokens(messages[1:])


def main() -> None:
    with scint.open("memory://") as s:
        s.run(SETUP)
        sheet = cheat(s)
        scint_tool = tools(s, kind="function", api="chat")
        fc_tools = function_tools(s)
        programs = sum(tokens(p) for p in TASKS.values())
        wire_programs = sum(tokens({"program": p}) for p in TASKS.values())
        fc_calls = sum(tokens(n) + tokens(a) for p in TASKS.values() for n, a, _ in function_calls(s, p))
    steps = sum(len(parse(p).statements) for p in TASKS.values())
    print("Scint vs JSON function calling, o200k_base tokens counted offline with bpe-openai")
    print(
        f"  Scint: 1 tool whose description is the cheat sheet; function calling: {len(fc_tools)} tools, one per action"
    )
    print(f"  {len(TASKS)} tasks, {steps} statements = {steps} function calls")
    print()
    rows = [
        ("cheat sheet + programs (text)", tokens(sheet) + programs),
        ("tool definition + tool-call arguments (JSON, as sent)", tokens(scint_tool) + wire_programs),
    ]
    base = tokens(fc_tools) + fc_calls
    print(f"  {'':55s} {'Scint':>7s} {'function calling':>17s} {'ratio':>6s}")
    for label, value in rows:
        print(f"  {label:55s} {value:7d} {base:17d} {value / base:5.2f}x")
    docs, fc_docs = tokens(sheet), tokens(fc_tools)
    print(f"  {'  of which documentation':55s} {docs:7d} {fc_docs:17d} {docs / fc_docs:5.2f}x")
    print(f"  {'  of which calls':55s} {programs:7d} {fc_calls:17d} {programs / fc_calls:5.2f}x")
    print()
    print("Round trips and conversation tokens per task (later steps need earlier results), via MockProvider")
    conv_s = conv_f = 0
    for name, program in TASKS.items():
        rs, ts = scint_round_trips(program)
        rf, tf = function_round_trips(program)
        conv_s, conv_f = conv_s + ts, conv_f + tf
        n = len(parse(program).statements)
        print(
            f"  {name:9s} {n} steps: Scint {rs} round trip ({ts:5d} tokens); "
            f"function calling {rf} round trips ({n} calls + the answer, {tf:5d} tokens); ratio {ts / tf:.2f}x"
        )
    print(f"  all tasks: conversation tokens Scint {conv_s}, function calling {conv_f}: {conv_s / conv_f:.2f}x")


if __name__ == "__main__":
    main()
