"""Values bound from outside a program: `session.run(text, params={"v": 41})` makes `$v` readable in it.

Params are checked here like the literals of a program's text (JSON-like values within the session's Limits), so
a value that arrives as a param could also have been written in the program. `free_names` says which names a
program reads before assigning them: the surfaces (REPL, IPython) carry earlier inputs' bindings by passing just
those as params, and a program's provenance records just the params it reads.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from scint.contexts.types import copy_value
from scint.dsl import Assign, DictValue, Limits, ListValue, Program, Ref
from scint.errors import BadArguments, LimitExceeded

__all__ = ["JSON_KINDS", "check_params", "free_names", "is_param_name", "kind_of", "program_params", "statement_refs"]

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
MAX_PARAMS = 10_000  # names bound at once (a REPL's or a notebook's variables)
JSON_KINDS = "null, bools, numbers, strings, lists and dicts with string keys"


def free_names(program: Program) -> list[str]:
    """The names the program reads (`$name`) before any of its statements assigns them, in order of first use.
    `$_` (the previous statement's result) is never free."""
    assigned: set[str] = {"_"}
    free: dict[str, None] = {}
    for stmt in program.statements:
        for name in statement_refs(stmt):
            if name not in assigned:
                free[name] = None
        if type(stmt) is Assign:
            assigned.add(stmt.name)
    return list(free)


def statement_refs(stmt: Any) -> list[str]:
    """The names a statement's arguments read (`$name`), in order, repeats included."""
    call = stmt.call if type(stmt) is Assign else stmt
    return [name for value in (*call.args, *(k.value for k in call.kwargs)) for name in _refs(value)]


def _refs(node: Any) -> list[str]:
    t = type(node)
    if t is Ref:
        return [node.name]
    if t is ListValue:
        return [r for v in node.items for r in _refs(v)]
    if t is DictValue:
        return [r for _, v in node.items for r in _refs(v)]
    return []


def is_param_name(name: Any) -> bool:
    """Whether `name` can be bound from outside: a DSL name other than `_`."""
    return type(name) is str and name != "_" and _NAME_RE.fullmatch(name) is not None


def kind_of(value: Any) -> str:
    """A value's Python type, as an error message names it."""
    t = type(value)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def check_params(params: Any, limits: Limits) -> dict[str, Any]:
    """A checked copy of `params`: a dict of DSL names (not `_`) to JSON-like values within `limits`.
    Raises BadArguments (wrong shape) or LimitExceeded (too large), naming the `$name` at fault."""
    if not isinstance(params, Mapping):
        raise BadArguments(f"params must be a dict of names to values, such as {{'v': 41}}, not {kind_of(params)}")
    if len(params) > MAX_PARAMS:
        raise LimitExceeded(f"{len(params):,} params; the limit is {MAX_PARAMS:,}")
    checked: dict[str, Any] = {}
    for name, value in params.items():
        if not is_param_name(name):
            if name == "_":
                raise BadArguments("params: `_` cannot be bound: $_ is always the previous statement's result")
            raise BadArguments(
                f"params: {name!r:.80} is not a Scint name (a letter or _, then letters, digits or _; "
                "at most 128 characters)"
            )
        _check_value(value, f"${name}", limits, 2)  # as deep as in `call(x=...)`: the parentheses count
        checked[name] = copy_value(value)
    total = sum(len(json.dumps(v, ensure_ascii=False)) for v in checked.values())
    if total > limits.max_program_chars:
        raise LimitExceeded(
            f"the params take {total:,} characters as text; the limit is {limits.max_program_chars:,} (a program's)"
        )
    return checked


def program_params(program: Program, params: Any, limits: Limits) -> dict[str, Any]:
    """`params` checked, keeping those the program reads (what it records in its provenance)."""
    if params is None:
        return {}
    checked = check_params(params, limits)
    return {name: checked[name] for name in free_names(program) if name in checked}


def _check_value(value: Any, where: str, limits: Limits, depth: int) -> None:
    t = type(value)
    if value is None or t is bool:
        return
    if t is int:
        bound = 1 << limits.max_int_bits
        if not -bound < value < bound:
            bits = limits.max_int_bits
            raise LimitExceeded(f"{where} is outside the integer range (-2**{bits}, 2**{bits})")
        return
    if t is float:
        if not math.isfinite(value):
            raise BadArguments(f"{where} is {value}; Scint holds finite numbers only")
        return
    if t is str:
        _check_text(value, where, limits)
        return
    if t is not list and t is not dict:
        kind = kind_of(value)
        article = "an" if kind[0] in "aeiouAEIOU" else "a"
        raise BadArguments(f"{where} is {article} {kind}; Scint takes JSON-like values only: {JSON_KINDS}")
    if depth > limits.max_depth:
        raise LimitExceeded(f"{where} is nested more than {limits.max_depth - 1} deep")
    if len(value) > limits.max_items:
        raise LimitExceeded(f"{where} has {len(value):,} items; the limit is {limits.max_items:,}")
    if t is list:
        for i, item in enumerate(value):
            _check_value(item, f"{where}[{i}]", limits, depth + 1)
        return
    for key, item in value.items():
        if type(key) is not str:
            raise BadArguments(f"{where} has the key {key!r:.80} ({kind_of(key)}); a dict's keys must be strings")
        _check_text(key, f"a key of {where}", limits)
        _check_value(item, f"{where}[{json.dumps(key[:40], ensure_ascii=False)}]", limits, depth + 1)


def _check_text(text: str, where: str, limits: Limits) -> None:
    if len(text) > limits.max_string_chars:
        limit = limits.max_string_chars
        raise LimitExceeded(f"{where} is a string of {len(text):,} characters; the limit is {limit:,}")
    try:
        text.encode()
    except UnicodeEncodeError:
        raise BadArguments(f"{where} is not valid text (it holds a lone surrogate)") from None
