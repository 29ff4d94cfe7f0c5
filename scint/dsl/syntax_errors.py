"""Syntax errors written for the people and models who make them: where, what was expected, and a hint for the
mistakes that really happen (Python's `True`/`None`, JSON's `key: value`, unquoted strings, a missing `)`,
`notes->put` and other stand-ins for the dot, smart quotes, nested calls, positional after keyword arguments)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from scint.errors import ScintSyntaxError

_VALUE_START = {"STRING", "INT", "FLOAT", "TRUE", "FALSE", "NULL", "LSQB", "LBRACE", "REF"}

_NAMES = {
    "NAME": "a name",
    "STRING": "a string",
    "INT": "an integer",
    "FLOAT": "a number",
    "TRUE": "true",
    "FALSE": "false",
    "NULL": "null",
    "REF": "a reference ($name)",
    "_NL": "a new line",
    "SEMICOLON": "';'",
    "EQUAL": "'='",
    "LPAR": "'('",
    "RPAR": "')'",
    "DOT": "'.'",
    "COMMA": "','",
    "LSQB": "'['",
    "RSQB": "']'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "COLON": "':'",
    "$END": "the end of the program",
}
_CLOSERS = {"(": ")", "[": "]", "{": "}"}
_SMART = "\u201c\u201d\u2018\u2019\u00ab\u00bb\u201e\u2032"
_CONTEXT_WIDTH = 100


def describe_expected(expected: Iterable[str]) -> tuple[str, ...]:
    """Readable names for the terminals a parser state accepts, with the value terminals folded into one."""
    names = set(expected)
    out = []
    if names >= _VALUE_START:
        names -= _VALUE_START
        out.append("a value")
    out.extend(sorted(_NAMES.get(n, n) for n in names if n in _NAMES))
    return tuple(out)


def _join(words: tuple[str, ...]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def locate(text: str, offset: int) -> tuple[int, int, str]:
    """1-based line and column of `offset`, and the line with a caret under it (clipped around long lines)."""
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    stop = text.find("\n", offset)
    stop = len(text) if stop < 0 else stop
    column = offset - start + 1
    shown = text[start:stop]
    caret_at = column - 1
    if len(shown) > _CONTEXT_WIDTH:
        left = max(0, caret_at - _CONTEXT_WIDTH // 2)
        shown = ("..." if left else "") + shown[left : left + _CONTEXT_WIDTH] + "..."
        caret_at = caret_at - left + (3 if left else 0)
    shown = "".join(ch if ch.isprintable() or ch == "\t" else "?" for ch in shown)
    pad = "".join("\t" if ch == "\t" else " " for ch in shown[:caret_at])
    return line, column, f"  {shown}\n  {pad}^"


def make_error(
    text: str, offset: int, message: str, expected: tuple[str, ...] = (), hint: str | None = None
) -> ScintSyntaxError:
    line, column, context = locate(text, offset)
    return ScintSyntaxError(message, line=line, column=column, context=context, expected=expected, hint=hint)


def _missing_closer(text: str, opens: list[int]) -> str:
    where = opens[-1]
    line, column, _ = locate(text, where)
    ch = text[where]
    return f"missing '{_CLOSERS[ch]}' to close the '{ch}' at line {line}, column {column}"


# After a name: more `.name`s and an opening parenthesis, i.e. the name starts a call.
_CALL_AFTER = re.compile(r"[ \t]*(?:\.[ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*)*\(")


def _word_before(text: str, offset: int) -> str:
    """The name that ends just before `offset` (white space between allowed), or ''."""
    end = offset
    while end > 0 and text[end - 1] in " \t":
        end -= 1
    start = end
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    return text[start:end]


_PATH_BEFORE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[ \t]*\.[ \t]*[A-Za-z_][A-Za-z0-9_]*)*[ \t]*\Z")
_NAME_AFTER = re.compile(r"[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*(\(?)")
# What people write between a context and its action instead of a dot.
_NOT_A_DOT = ("->", "/", "\\", "|")


def _meant_call(text: str, pos: int, found: str) -> str | None:
    """For `notes->put(...)` (`found` is what stands where the dot should be): the call the user meant."""
    line_start = text.rfind("\n", 0, pos) + 1
    before = _PATH_BEFORE.search(text, line_start, pos)
    after = _NAME_AFTER.match(text, pos + len(found))
    if before is None or after is None:
        return None
    path = re.sub(r"[ \t]+", "", before.group())
    args = "(...)" if after.group(2) else ""
    return f"did you mean `{path}.{after.group(1)}{args}`? An action is called with a dot: context.action(...)"


def lex_error(text: str, pos: int, opens: list[int]) -> ScintSyntaxError:
    """No terminal matches at `pos`."""
    ch = text[pos]
    hint = None
    if ch in _SMART:
        message = f"unexpected {ch!r}: curly quotes are not string delimiters"
        hint = "use straight quotes: \"text\" or 'text'"
    elif ch in "\"'":
        message, hint, pos = _bad_string(text, pos)
    elif (sep := next((sep for sep in _NOT_A_DOT if text.startswith(sep, pos)), None)) and (
        hint := _meant_call(text, pos, sep)
    ):
        message = f"unexpected {sep!r}"
    elif text.startswith("->", pos):
        message = "unexpected '->'"
        hint = "call an action with a dot: context.action(...)"
    elif ch == "-" or ch == "+":
        message = f"unexpected {ch!r}"
        hint = "numbers are written like 12, -3, 2.5 or -1e3 (no leading '+', no space after '-')"
    elif ch.isdigit():
        message = "a number with too many digits"
        hint = "integers have at most 64 digits; write very large or precise values as strings"
    else:
        shown = ch if ch.isprintable() else f"U+{ord(ch):04X}"
        message = f"unexpected character {shown!r}"
        if ch == "$":
            hint = "a reference is $ and a name: $x reads what `x = ...` bound, $_ the previous result"
        elif ch == "@" or ch == "`":
            hint = "Scint statements look like context.action(key=value)"
    return make_error(text, pos, message, hint=hint)


_ESCAPE_OK = r"\\(?:[\"'\\/bfnrt]|u[0-9a-fA-F]{4})"
# The longest well-formed prefix of a string's body (after its opening quote), per kind of string.
_BODY = {
    '"': re.compile(rf'(?:[^"\\\n]|{_ESCAPE_OK})*'),
    "'": re.compile(rf"(?:[^'\\\n]|{_ESCAPE_OK})*"),
    '"""': re.compile(rf'(?:[^"\\]|\\\n|{_ESCAPE_OK}|"(?!""))*'),
}


def _bad_string(text: str, pos: int) -> tuple[str, str, int]:
    """Why the string starting at `pos` did not lex: (message, hint, offset to report)."""
    quote = text[pos]
    if quote == '"' and text.startswith('""', pos - 2) and not text.startswith('"', pos + 1):
        # `""` lexed as an empty string and this is the third quote: it is really a triple-quoted string.
        quote, pos, opener = '"""', pos - 2, 3
    else:
        opener = 1
    stop = _BODY[quote].match(text, pos + opener).end()
    nxt = text[stop + 1 : stop + 2]
    if text.startswith("\\", stop) and nxt:
        if nxt == "u":
            return "a \\u escape needs four hex digits", "write \\u followed by 4 hex digits, e.g. \\u00e9", stop
        shown = nxt if nxt and nxt.isprintable() else "?"
        return (
            f"unknown escape '\\{shown}' in a string",
            "escapes are \\\" \\' \\\\ \\n \\t \\r \\b \\f \\/ \\uXXXX; write \\\\ for a backslash",
            stop,
        )
    if quote == '"""':
        return "unterminated triple-quoted string", 'close it with """', pos
    return (
        "unterminated string",
        f'close the string with {quote} on the same line, or use triple quotes """...""" for text that spans lines',
        pos,
    )


def parse_error(
    text: str, pos: int, end: int, typ: str, expected_terms: set[str], opens: list[int]
) -> ScintSyntaxError:
    """The token `typ` at `pos` is not accepted in the current parser state; `expected_terms` would be."""
    expected = describe_expected(expected_terms)
    found = text[pos:end]
    if typ == "$END":
        what = "end of the program"
    else:
        shown = found if len(found) <= 40 else found[:37] + "..."
        what = "a new line" if typ == "_NL" else repr(shown)
    message = f"unexpected {what}; expected {_join(expected)}" if expected else f"unexpected {what}"
    hint = _hint(text, pos, typ, found, expected_terms, opens)
    if typ == "_NL":
        pos = pos + len(found) - len(found.lstrip(" \t\f\r"))  # point at the line break itself
    return make_error(text, pos, message, expected, hint)


def _hint(text: str, pos: int, typ: str, found: str, expected: set[str], opens: list[int]) -> str | None:
    wants_value = "STRING" in expected and "INT" in expected
    if typ == "NAME" and found in ("True", "False", "None") and wants_value:
        return "write true, false and null in lowercase"
    if expected == {"EQUAL"} and typ in ("RPAR", "COMMA", "_NL", "$END"):
        # A bare name as a positional argument: `put(None)`, `put(milk)`; the parser wanted `name=value`.
        word = _word_before(text, pos)
        if word in ("True", "False", "None"):
            return "write true, false and null in lowercase"
        if word:
            return f'strings need quotes: "{word}" (or use ${word} to read an assigned result, or {word}=value)'
    if opens and ({"RPAR", "RSQB", "RBRACE"} & expected):
        line_start = text.rfind("\n", 0, pos) + 1
        if typ in ("$END", "_NL") or (line_start and not text[line_start:pos].strip()):
            return _missing_closer(text, opens)  # at the end, or at the start of the next line
    if typ == "NAME" and wants_value:
        if (inner := _CALL_AFTER.match(text, pos + len(found))) is not None:
            call = re.sub(r"[ \t(]+", "", found + inner.group())
            return f"calls cannot be nested: bind the inner call first, e.g. x = {call}(...), then pass $x"
        return f'strings need quotes: "{found}"' + (" (or use $name to read an assigned result)" if found else "")
    if typ == "LPAR" and "EQUAL" in expected:
        return "calls cannot be nested: bind the inner call first, e.g. x = context.action(...), then pass $x"
    if typ == "COLON" and {"EQUAL", "DOT"} <= expected:
        meant = _meant_call(text, pos, "::" if text.startswith("::", pos) else ":")
        if meant:
            return meant
    if typ == "COLON" and "EQUAL" in expected:
        return "arguments are written key=value, not key: value"
    if typ == "COLON" and "RPAR" in expected:
        return 'arguments are written key=value, not "key": value'
    if typ == "COLON" and "RSQB" in expected:
        return 'a dict is written in braces: {"key": value}'
    if typ == "EQUAL" and "COLON" in expected:
        return 'dict entries are written {"key": value}'
    if "NAME" in expected and not wants_value and (typ in _VALUE_START) and "RPAR" in expected:
        return "positional arguments come before keyword arguments"
    if "COMMA" in expected and (typ in _VALUE_START or typ == "NAME"):
        return "separate arguments, list items and dict entries with ','"
    if typ == "NAME" and "DOT" in expected and "LPAR" in expected:
        return (
            "separate statements with a new line or ';'"
            if text[:pos].rstrip().endswith(")")
            else _meant_call(text, pos, "") or f"did you mean .{found}(...)? Actions are called as context.action(...)"
        )
    if typ in ("NAME", "REF") and {"SEMICOLON", "_NL", "$END"} & expected:
        return "separate statements with a new line or ';'"
    if typ in _VALUE_START and "LPAR" in expected and "EQUAL" not in expected:
        return "an assignment binds the result of a call: name = context.action(...)"
    if typ in _VALUE_START and "NAME" in expected and "LPAR" not in expected and text[:pos].rstrip().endswith("="):
        return "an assignment binds the result of a call: name = context.action(...)"
    if typ == "LPAR" and "NAME" in expected:
        return "a statement starts with a context or built-in name, e.g. notes.put(...) or contexts()"
    return None
