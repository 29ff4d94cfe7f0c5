"""`parse(text) -> Program`: Lark's LALR tables for `grammar/scint.lark`, driven by a lean loop.

Lark compiles the grammar into terminals and an LALR parse table; this module uses both as they are (the grammar
stays the single source of truth) but replaces Lark's per-token machinery (Token objects, tree nodes, a
transformer pass) with one loop that lexes with a single compiled regex and builds the frozen AST directly in
the reductions. Tests check that it accepts exactly what Lark accepts and builds the same tree.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any

from lark.parsers.lalr_analysis import Shift

from scint.dsl.ast import Assign, Call, Const, DictValue, Keyword, ListValue, Program, Ref, Span
from scint.dsl.grammar import lark_parser
from scint.dsl.limits import DEFAULT_LIMITS, Limits
from scint.dsl.syntax_errors import lex_error, parse_error
from scint.errors import LimitExceeded, ScintError, ScintSyntaxError

__all__ = ["parse"]


class _Splice(list):
    """Children of an inlined rule (`_name` or a generated repetition), spliced into the parent."""

    __slots__ = ()


_ESCAPES = {
    '"': '"',
    "'": "'",
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "\n": "",  # a backslash at the end of a line inside a triple-quoted string joins the lines
}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.S)


def _unescape(raw: str, start: int, source: str) -> str:
    def one(m: re.Match[str]) -> str:
        code = m.group(1)
        if code[0] == "u" and len(code) == 5:
            return chr(int(code[1:], 16))
        return _ESCAPES[code]

    text = _ESCAPE_RE.sub(one, raw)
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        text = _join_surrogates(text, start, source)
    return text


def _join_surrogates(text: str, start: int, source: str) -> str:
    try:
        return text.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        raise _syntax_at(source, start, "a \\u escape names half of a surrogate pair; give both halves") from None


def _syntax_at(source: str, offset: int, message: str) -> ScintSyntaxError:
    from scint.dsl.syntax_errors import make_error

    return make_error(source, offset, message)


class _Tables:
    """Everything the loop needs, derived once from Lark's compiled grammar."""

    def __init__(self) -> None:
        lk = lark_parser()
        table = lk.parser.parser.parser.parse_table
        self.start_state: int = table.start_states["start"]
        self.end_state: int = table.end_states["start"]
        self.ignore = frozenset(lk.ignore_tokens)
        terminals = {t.name: t for t in lk.terminals}
        self.terminals = terminals

        # The lexer: Lark's own terminal order (its basic lexer's), as one alternation. String terminals that a
        # regex terminal also matches (`true` and NAME) become keywords of that terminal, as Lark does.
        ordered = [terminals[t.name] for t in lk.parser.lexer.terminals]
        regexes = [t for t in ordered if t.pattern.type == "re"]
        self.keywords: dict[str, dict[str, str]] = {}
        parts = []
        for t in ordered:
            if t.pattern.type == "str":
                owner = next((r for r in regexes if re.fullmatch(r.pattern.to_regexp(), t.pattern.value)), None)
                if owner is not None:
                    self.keywords.setdefault(owner.name, {})[t.pattern.value] = t.name
                    continue
            parts.append(f"(?P<{t.name}>{t.pattern.to_regexp()})")
        self.regex = re.compile("|".join(parts))

        # A single space followed by anything but these is always one ignored token (checked, not assumed).
        self.space_followers = frozenset(" \t\f\r\n#") | {""}
        probe = self.regex.match(" x")
        self.skip_space = probe is not None and probe.lastgroup in self.ignore and probe.end() == 1
        # Single characters that are whole tokens skip the regex.
        self.punctuation = {
            t.pattern.value: t.name
            for t in ordered
            if t.pattern.type == "str" and len(t.pattern.value) == 1 and t.name not in self.ignore
        }

        # The parse table: per state, terminal or rule name -> action.
        # (Lark's names are str subclasses with a slow __eq__; plain str keys make every lookup cheap.)
        rules = list({id(r): r for acts in table.states.values() for a, r in acts.values() if a is not Shift}.values())
        number = {id(r): i for i, r in enumerate(rules)}
        # A shift (or goto) is the next state (>= 0); a reduction is ~rule number (< 0).
        self.actions: dict[int, dict[str, int]] = {
            state: {str(sym): arg if act is Shift else ~number[id(arg)] for sym, (act, arg) in acts.items()}
            for state, acts in table.states.items()
        }
        self.rules = [(len(r.expansion), str(r.origin.name), *_reducer(r)) for r in rules]


_PASS, _SPLICE, _BUILD = 0, 1, 2


def _reducer(rule: Any) -> tuple[int, Callable[..., Any] | None]:
    """How one rule combines its children: pass through (`?value`), inline (splice) or build a node."""
    keep = tuple(i for i, s in enumerate(rule.expansion) if not (s.is_term and s.filter_out) or s.name in _KEEP_OFFSET)
    name = rule.origin.name
    inline = name.startswith("_") or rule.options.expand1
    if inline and len(keep) == 1 and len(rule.expansion) == 1:
        return _PASS, None
    if inline and len(keep) == 1:
        only = keep[0]
        return _SPLICE, lambda kids: kids[only]
    if inline:

        def splice(kids: list[Any]) -> _Splice:
            out: _Splice | None = None
            for i in keep:
                v = kids[i]
                if type(v) is _Splice:
                    if out is None:
                        out = v  # left recursion: extend the growing list in place (linear, not quadratic)
                    else:
                        out.extend(v)
                elif out is None:
                    out = _Splice((v,))
                else:
                    out.append(v)
            return out if out is not None else _Splice()

        return _SPLICE, splice

    build = getattr(_Parser, "b_" + str(name))

    def flatten(kids: list[Any], parser: _Parser) -> Any:
        out: list[Any] = []
        for i in keep:
            v = kids[i]
            if type(v) is _Splice:
                out.extend(v)
            else:
                out.append(v)
        return build(parser, out)

    return _BUILD, flatten


@functools.cache
def _tables() -> _Tables:
    return _Tables()


def parse(text: str, *, limits: Limits | None = None) -> Program:
    """Parse Scint source into a Program, or raise ScintSyntaxError / LimitExceeded."""
    if not isinstance(text, str):
        raise ScintSyntaxError(
            f"a program is text, not {type(text).__name__}", line=1, column=1, context="", expected=()
        )
    limits = limits or DEFAULT_LIMITS
    if len(text) > limits.max_program_chars:
        raise LimitExceeded(f"the program is {len(text):,} characters; the limit is {limits.max_program_chars:,}")
    try:
        return _Parser(text, limits).run()
    except ScintError:
        raise
    except RecursionError:  # pragma: no cover - the loop is iterative; kept as a last line of defence
        raise LimitExceeded("the program is nested too deeply") from None


_OPENERS = frozenset({"LPAR", "LSQB", "LBRACE"})
_CLOSERS = frozenset({"RPAR", "RSQB", "RBRACE"})


def _viable(states: list[int]) -> set[str]:
    """The terminals that can really come next (LALR states merge lookaheads; simulate each one's reductions)."""
    t = _tables()
    out = set()
    for typ in t.actions[states[-1]]:
        if not (typ.isupper() or typ == "$END"):
            continue
        stack = list(states)
        while True:
            act = t.actions[stack[-1]].get(typ)
            if act is None:
                break
            if act >= 0 or (typ == "$END" and t.rules[~act][1] == "start"):
                out.add(typ)
                break
            n, origin = t.rules[~act][:2]
            if n:
                del stack[-n:]
            stack.append(t.actions[stack[-1]][origin])
    return out


def _open_brackets(text: str, stop: int) -> list[int]:
    """Offsets of the brackets still open at `stop` (for "missing )" hints; only computed for errors)."""
    t = _tables()
    opens: list[int] = []
    pos = 0
    while pos < stop:
        m = t.regex.match(text, pos)
        if m is None:
            break
        if m.lastgroup in _OPENERS:
            opens.append(pos)
        elif m.lastgroup in _CLOSERS and opens:
            opens.pop()
        pos = m.end()
    return opens


class _Parser:
    __slots__ = ("limits", "max_int", "text")

    def __init__(self, text: str, limits: Limits) -> None:
        self.text = text
        self.limits = limits
        self.max_int = 1 << limits.max_int_bits

    def run(self) -> Program:
        t = _tables()
        text = self.text
        match = t.regex.match
        punctuation = t.punctuation
        ignore = t.ignore
        keywords = t.keywords
        actions = t.actions
        rules = t.rules
        end_state = t.end_state
        convert = self.convert
        state = t.start_state
        states = [state]
        values: list[Any] = []
        pos = 0
        size = len(text)
        depth = 0
        max_depth = self.limits.max_depth
        skip_space = t.skip_space
        space_followers = t.space_followers
        while True:
            if pos < size:
                ch = text[pos]
                if ch == " " and skip_space and text[pos + 1 : pos + 2] not in space_followers:
                    pos += 1  # one ignored space before a token: the commonest case, without the regex
                    continue
                typ = punctuation.get(ch)
                if typ is not None:
                    end = pos + 1
                    val = pos
                    if typ in _OPENERS:
                        depth += 1
                        if depth > max_depth:
                            raise LimitExceeded(
                                f"brackets are nested {depth} deep at offset {pos}; the limit is {max_depth}"
                            )
                    elif typ in _CLOSERS:
                        depth -= 1
                else:
                    m = match(text, pos)
                    if m is None:
                        raise lex_error(text, pos, _open_brackets(text, pos))
                    typ = m.lastgroup
                    end = m.end()
                    if typ in ignore:
                        pos = end
                        continue
                    if typ in keywords:
                        typ = keywords[typ].get(text[pos:end], typ)
                    val = convert(typ, pos, end)
            else:
                typ = "$END"
                end = pos
                val = None
            # Feed the token: reduce as far as the table says, then shift it (or accept at the end).
            while True:
                act = actions[state].get(typ)
                if act is None:
                    raise parse_error(text, pos, end, typ, _viable(states), _open_brackets(text, pos))
                if act >= 0:
                    state = act
                    states.append(state)
                    values.append(val)
                    break
                n, origin, kind, reduce = rules[~act]
                if kind == _PASS:  # one child, passed up as it is
                    state = actions[states[-2]][origin]
                    states[-1] = state
                    continue
                if n:
                    kids = values[-n:]
                    del values[-n:]
                    del states[-n:]
                else:
                    kids = []
                value = reduce(kids) if kind == _SPLICE else reduce(kids, self)
                state = actions[states[-1]][origin]
                if state == end_state:
                    return value
                states.append(state)
                values.append(value)
            pos = end

    # -- terminals -> values ------------------------------------------------------------------------------

    def convert(self, typ: str, start: int, end: int) -> Any:
        text = self.text
        if typ == "NAME":
            return (text[start:end], start)
        if typ == "STRING":
            return Const(self.string(start, end), span=Span(start, end, text))
        if typ == "INT":
            n = int(text[start:end])
            if not -self.max_int < n < self.max_int:
                raise LimitExceeded(
                    f"{text[start:end]} is outside the integer range (-2**{self.limits.max_int_bits}, "
                    f"2**{self.limits.max_int_bits})"
                )
            return Const(n, span=Span(start, end, text))
        if typ == "FLOAT":
            x = float(text[start:end])
            if math.isinf(x):
                raise LimitExceeded(f"{text[start:end]} is too large for a floating-point number")
            return Const(x, span=Span(start, end, text))
        if typ == "REF":
            return (text[start + 1 : end], start)
        if typ == "TRUE":
            return Const(True, span=Span(start, end, text))
        if typ == "FALSE":
            return Const(False, span=Span(start, end, text))
        if typ == "NULL":
            return Const(None, span=Span(start, end, text))
        return start if typ in _KEEP_OFFSET else None

    def string(self, start: int, end: int) -> str:
        text = self.text
        q = 3 if text.startswith('"""', start) and end - start >= 6 else 1
        raw = text[start + q : end - q]
        if len(raw) > self.limits.max_string_chars:
            raise LimitExceeded(f"a string of {len(raw):,} characters; the limit is {self.limits.max_string_chars:,}")
        if "\\" in raw:
            return _unescape(raw, start, text)
        return raw

    # -- rules -> nodes -----------------------------------------------------------------------------------

    def _span(self, start: int, end: int) -> Span:
        return Span(start, end, self.text)

    def _items(self, count: int, what: str) -> None:
        if count > self.limits.max_items:
            raise LimitExceeded(f"{what} has {count:,} items; the limit is {self.limits.max_items:,}")

    def b_start(self, kids: list[Any]) -> Program:
        if len(kids) > self.limits.max_statements:
            raise LimitExceeded(
                f"the program has {len(kids):,} statements; the limit is {self.limits.max_statements:,}"
            )
        return Program(tuple(kids), self.text)

    def b_path(self, kids: list[Any]) -> tuple[tuple[str, ...], int]:
        return tuple(name for name, _ in kids), kids[0][1]

    def b_call(self, kids: list[Any]) -> Call:
        (path, start), _lpar, *rest = kids
        end = rest.pop() + 1  # offset of ")"
        args = []
        kwargs = []
        seen = set()
        for arg in rest:
            if type(arg) is Keyword:
                if arg.name in seen:
                    raise _syntax_at(self.text, arg.span.start, f"the argument `{arg.name}` is given twice")
                seen.add(arg.name)
                kwargs.append(arg)
            else:
                args.append(arg)
        self._items(len(rest), f"the call {'.'.join(path)}(...)")
        return Call(path, tuple(args), tuple(kwargs), span=self._span(start, end))

    def b_assign(self, kids: list[Any]) -> Assign:
        (name, start), call = kids
        return Assign(name, call, span=self._span(start, call.span.end))

    def b_keyword(self, kids: list[Any]) -> Keyword:
        (name, start), value = kids
        return Keyword(name, value, span=self._span(start, value.span.end))

    def b_list(self, kids: list[Any]) -> ListValue:
        start, *items = kids[:-1]
        self._items(len(items), "a list")
        return ListValue(tuple(items), span=self._span(start, kids[-1] + 1))

    def b_dict(self, kids: list[Any]) -> DictValue:
        start, *pairs = kids[:-1]
        self._items(len(pairs), "a dict")
        seen = set()
        for key, _value, offset in pairs:
            if key in seen:
                raise _syntax_at(self.text, offset, f"the key {key!r} appears twice in one dict")
            seen.add(key)
        return DictValue(tuple((k, v) for k, v, _ in pairs), span=self._span(start, kids[-1] + 1))

    def b_pair(self, kids: list[Any]) -> tuple[str, Any, int]:
        key, value = kids
        if type(key) is Const:
            return key.value, value, key.span.start
        return key[0], value, key[1]

    def b_ref(self, kids: list[Any]) -> Ref:
        (name, start), *path = kids
        end = path[-1][1] if path else start + 1 + len(name)
        return Ref(name, tuple(p for p, _ in path), span=self._span(start, end))

    def b_field(self, kids: list[Any]) -> tuple[str, int]:
        name, start = kids[0]
        return name, start + len(name)

    def b_index(self, kids: list[Any]) -> tuple[str | int, int]:
        _lsqb, key, end = kids
        return key.value, end + 1


# Punctuation whose offset the builders need (to end spans and to report brackets).
_KEEP_OFFSET = frozenset({"LPAR", "RPAR", "LSQB", "RSQB", "LBRACE", "RBRACE"})
