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


def format_program(program: Program, *, comments: bool = False) -> str:
    """Canonical text of a program: one statement per line, ending with a newline if there are any.

    With `comments=True`, a program parsed from text keeps its comments and blank lines: a comment after a
    statement stays at the end of its line, one on its own line stays there, one inside a statement goes on its
    own line before it, and any run of blank lines between statements becomes one."""
    if not isinstance(program, Program):
        raise BadArguments(f"format() takes a Program (from scint.parse), not {type(program).__name__}")
    if not isinstance(comments, bool):
        raise BadArguments(f"format(comments=...) takes true or false, not {type(comments).__name__}")
    if comments and _spans_fit(program):
        return _with_comments(program)
    return "".join(format_statement(s) + "\n" for s in program.statements)


def _spans_fit(program: Program) -> bool:
    """Whether every statement's span points into the program's own text, in order (a Program built by hand,
    or with statements from elsewhere, has no comments to keep)."""
    last = 0
    for stmt in program.statements:
        span = stmt.span
        if span is None or span.source is not program.source or span.start < last or span.end > len(program.source):
            return False
        last = span.end
    return True


_BLANK_LINE = re.compile(r"\n[ \t\f\r]*\n")
_TRAILING_SPACE = " \t\f\r"


def _with_comments(program: Program) -> str:
    from scint.dsl.scan import comments

    text = program.source
    notes = comments(text)
    lines: list[str] = []
    end = 0  # where the previous line's text ended in the source
    i = 0  # the next comment
    statements = program.statements
    for n, stmt in enumerate(statements):
        span = stmt.span
        assert span is not None  # checked by _spans_fit
        while i < len(notes) and notes[i][0] < span.start:  # comments on lines of their own
            end = _line(lines, text, end, notes[i][0], notes[i][1].rstrip(_TRAILING_SPACE)) + len(notes[i][1])
            i += 1
        first = len(lines)
        while i < len(notes) and notes[i][0] < span.end:  # comments inside the statement: before it
            lines.append(notes[i][1].rstrip(_TRAILING_SPACE))
            i += 1
        if first and _BLANK_LINE.search(text, end, span.start):
            lines.insert(first, "")
        statement = format_statement(stmt)
        end = span.end
        if (  # a comment after the last statement on its line ends that line
            i < len(notes)
            and "\n" not in text[end : notes[i][0]]
            and (n + 1 == len(statements) or statements[n + 1].span.start > notes[i][0])  # type: ignore[union-attr]
        ):
            statement += "  " + notes[i][1].rstrip(_TRAILING_SPACE)
            end = notes[i][0] + len(notes[i][1])
            i += 1
        lines.append(statement)
    for offset, note in notes[i:]:
        end = _line(lines, text, end, offset, note.rstrip(_TRAILING_SPACE)) + len(note)
    return "".join(line + "\n" for line in lines)


def _line(lines: list[str], text: str, end: int, start: int, line: str) -> int:
    """Append `line` (a comment on its own line starting at `start`), after a blank line if the source had one
    since `end`; returns `start`."""
    if lines and _BLANK_LINE.search(text, end, start):
        lines.append("")
    lines.append(line)
    return start
