"""`format(program) -> str`: the canonical text of a program.

One statement per line; double-quoted strings (triple-quoted when the text has line breaks); dict keys quoted;
`$name.field` where the key is a name, `["key"]` otherwise. `parse(format(p)) == p` for every program.
"""

from __future__ import annotations

import re
from typing import Any

from scint.dsl.ast import Assign, Call, Const, DictValue, Keyword, ListValue, Program, Ref, Statement, Value
from scint.errors import BadArguments

__all__ = ["format_program", "format_statement", "format_value", "literal", "quote"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_KEYWORDS = {"true", "false", "null"}
_SIMPLE = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\b": "\\b", "\f": "\\f"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f-\x9f\u2028\u2029]')
_TRIPLE_ESCAPE = re.compile(r'\\|"(?="|\Z)|[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]')


def _escape_char(ch: str) -> str:
    return _SIMPLE.get(ch) or f"\\u{ord(ch):04x}"


def quote(text: str) -> str:
    """A Scint string literal for `text`: triple-quoted if it spans lines, double-quoted otherwise."""
    if "\n" in text:
        body = _TRIPLE_ESCAPE.sub(lambda m: _escape_char(m.group()) if m.group() != '"' else '\\"', text)
        return f'"""{body}"""'
    return '"' + _NEEDS_ESCAPE.sub(lambda m: _escape_char(m.group()), text) + '"'


def _is_name(key: str) -> bool:
    return _NAME.fullmatch(key) is not None and key not in _KEYWORDS


def literal(value: Any) -> str:
    """A JSON-like Python value (None, bool, int, float, str, list, dict) as canonical Scint source."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{quote(k)}: {literal(v)}" for k, v in value.items()) + "}"
    raise BadArguments(f"not a JSON-like value: {type(value).__name__}")


def format_value(value: Value) -> str:
    """Canonical text of one value."""
    if type(value) is Const:
        return literal(value.value)
    if type(value) is ListValue:
        return "[" + ", ".join(format_value(v) for v in value.items) + "]"
    if type(value) is DictValue:
        return "{" + ", ".join(f"{quote(k)}: {format_value(v)}" for k, v in value.items) + "}"
    if type(value) is Ref:
        out = ["$", value.name]
        for step in value.path:
            if type(step) is int:
                out.append(f"[{step}]")
            elif _is_name(step):
                out.append(f".{step}")
            else:
                out.append(f"[{quote(step)}]")
        return "".join(out)
    raise TypeError(f"not a Scint value: {value!r}")


def _format_call(call: Call) -> str:
    parts = [format_value(v) for v in call.args]
    parts.extend(_format_keyword(k) for k in call.kwargs)
    return f"{call.dotted}({', '.join(parts)})"


def _format_keyword(kw: Keyword) -> str:
    return f"{kw.name}={format_value(kw.value)}"


def format_statement(stmt: Statement) -> str:
    """Canonical text of one statement."""
    if type(stmt) is Assign:
        return f"{stmt.name} = {_format_call(stmt.call)}"
    if type(stmt) is Call:
        return _format_call(stmt)
    raise TypeError(f"not a Scint statement: {stmt!r}")


def format_program(program: Program) -> str:
    """Canonical text of a program: one statement per line, ending with a newline if there are any."""
    if not isinstance(program, Program):
        raise BadArguments(f"format() takes a Program (from scint.parse), not {type(program).__name__}")
    return "".join(format_statement(s) + "\n" for s in program.statements)
