"""`parse(text) -> Program`: Lark's LALR tables for `grammar/scint.lark`, driven by a lean loop.

Lark compiles the grammar into terminals and an LALR parse table; this module uses both as they are (the grammar
stays the single source of truth) but replaces Lark's per-token machinery (Token objects, tree nodes, a
transformer pass) with one loop that lexes with a single compiled regex and builds the frozen AST directly in
the reductions. Tests check that it accepts exactly what Lark accepts and builds the same tree.

How the loop stays cheap:
- Symbols are small integers and each parser state is a list indexed by them (no hashing of Lark's names).
- Only tokens that carry something push a value; `,` `=` `.` `:` `;` and line breaks push nothing.
- Inlined rules (`_name`, `?value` and Lark's generated repetitions) build nothing: their children stay where
  they are on the value stack, and a `heights` stack (the value-stack height where each parser-stack entry
  began) tells a building rule where its children start. So only the nine rules that make a node run Python.
- Nodes are made with `fast_constructor` (same frozen attrs objects, without attrs' per-field setattr lookups).
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from lark.parsers.lalr_analysis import Shift

from scint.dsl.ast import Assign, Call, Const, DictValue, Keyword, ListValue, Program, Ref, Span, fast_constructor
from scint.dsl.grammar import lark_parser
from scint.dsl.limits import DEFAULT_LIMITS, Limits, check_limits
from scint.dsl.scan import open_brackets, viable
from scint.dsl.syntax_errors import lex_error, parse_error
from scint.errors import LimitExceeded, ScintError, ScintSyntaxError

__all__ = ["parse"]

_new_const = fast_constructor(Const)
_new_list = fast_constructor(ListValue)
_new_dict = fast_constructor(DictValue)
_new_ref = fast_constructor(Ref)
_new_keyword = fast_constructor(Keyword)
_new_call = fast_constructor(Call)
_new_assign = fast_constructor(Assign)
_new_program = fast_constructor(Program)
_new_span = fast_constructor(Span)

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


# Punctuation whose offset the builders need (to end spans).
_KEEP_OFFSET = frozenset({"RPAR", "LSQB", "RSQB", "LBRACE", "RBRACE"})
_OPENERS = frozenset({"LPAR", "LSQB", "LBRACE"})
_CLOSERS = frozenset({"RPAR", "RSQB", "RBRACE"})
# Horizontal white space: the characters _WS is made of (checked against the grammar when the tables are built).
_SPACE = " \t\f\r"


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
        lexed = []
        for t in ordered:
            if t.pattern.type == "str":
                owner = next((r for r in regexes if re.fullmatch(r.pattern.to_regexp(), t.pattern.value)), None)
                if owner is not None:
                    self.keywords.setdefault(owner.name, {})[t.pattern.value] = t.name
                    continue
            parts.append(f"(?P<{t.name}>{t.pattern.to_regexp()})")
            lexed.append(t.name)
        self.regex = re.compile("|".join(parts))
        # Single characters that are whole tokens skip the regex.
        self.punctuation = {
            t.pattern.value: t.name
            for t in ordered
            if t.pattern.type == "str" and len(t.pattern.value) == 1 and t.name not in self.ignore
        }

        # The parse table, by name (for error reporting): per state, terminal or rule name -> action.
        # (Lark's names are str subclasses with a slow __eq__; plain str keys make every lookup cheap.)
        rules = list({id(r): r for acts in table.states.values() for a, r in acts.values() if a is not Shift}.values())
        number = {id(r): i for i, r in enumerate(rules)}
        # A shift (or goto) is the next state (>= 0); a reduction is ~rule number (< 0).
        self.actions: dict[int, dict[str, int]] = {
            state: {str(sym): arg if act is Shift else ~number[id(arg)] for sym, (act, arg) in acts.items()}
            for state, acts in table.states.items()
        }
        self.rules = [(len(r.expansion), str(r.origin.name)) for r in rules]

        # The same table by number, for the loop: symbol ids index a list per state (None: a syntax error).
        names = sorted({s for acts in self.actions.values() for s in acts} | set(lexed) | {"$END"})
        self.ids = ids = {name: i for i, name in enumerate(names)}
        self.names = names
        assert max(self.actions) < len(self.actions) and min(self.actions) == 0
        self.table: list[list[int | None]] = [[None] * len(names) for _ in self.actions]
        for state, acts in self.actions.items():
            row = self.table[state]
            for sym, act in acts.items():
                row[ids[sym]] = act
        # Per rule, at index ~action: (length, left-hand side id, builder or None for rules that build nothing);
        # index 0 (action -1) is the syntax error, so the loop tests one integer per step.
        self.reductions = [(-1, -1, None)] + [(len(r.expansion), ids[str(r.origin.name)], _builder(r)) for r in rules]
        for row in self.table:
            for sym, act in enumerate(row):
                row[sym] = -1 if act is None else act if act >= 0 else act - 1
        self._fold_unit_reductions()
        # Token kinds by regex group number (`lastindex` is the outermost group that matched: the terminal's).
        self.group_ids: list[int | None] = [None] * (self.regex.groups + 1)
        for name, index in self.regex.groupindex.items():
            self.group_ids[index] = ids[name]
        self.keyword_ids = {
            ids[owner]: {word: ids[kind] for word, kind in words.items()} for owner, words in self.keywords.items()
        }
        self.ignore_ids = frozenset(ids[name] for name in self.ignore)

        # White space. The fast paths below assume what the grammar says; check it rather than trust it.
        # 1. A run of _SPACE characters not followed by a line break or `#` is only ignored _WS tokens (_NL needs a
        #    line break, and COMMENT starts with `#`), so the loop skips the whole run at once. That also keeps the
        #    lexer linear: the alternation tries _NL first, which scans the whole run before failing.
        # 2. A run followed by a line break or `#` lexes (when it is _NL) exactly as _NL matched at the run's end
        #    with the run in front: _NL may begin with any _SPACE characters.
        #    (With today's grammar _NL never starts with white space, so the run is _WS and then _NL; with one
        #    whose _NL did, the run would be part of it. Both give the same tokens to the parser.)
        for probe, kinds in ((" \t\f\r x", {"_WS"}), ("\t \n x", {"_WS", "_NL"}), ("# c\n", {"_NL"})):
            m = self.regex.match(probe)
            if m is None or m.lastgroup not in kinds:
                raise AssertionError(f"the grammar's white space changed: {probe!r} does not lex as {kinds}")
        for probe in ("\t \n x", " # c\n x"):
            m = self.regex.match(probe, len(probe) - len(probe.lstrip(_SPACE)))
            if m is None or m.lastgroup != "_NL" or m.end() != len(probe) - 1:
                raise AssertionError(f"the grammar's white space changed: {probe!r} does not end in _NL")
        if "_WS" not in self.ignore or "COMMENT" not in self.ignore:
            raise AssertionError("the loop assumes _WS and COMMENT are %ignore'd")
        if any(n == 0 and build is None for n, _lhs, build in self.reductions):
            raise AssertionError("an empty inlined rule: the loop assumes every empty rule builds a node")

        # What the loop reads, in one tuple (one unpacking per parse instead of a dozen attribute lookups).
        self.loop = (
            self.regex.match,
            {  # a single character -> (terminal id, whether its offset is kept, change in nesting depth)
                ch: (ids[name], name in _KEEP_OFFSET, (name in _OPENERS) - (name in _CLOSERS))
                for ch, name in self.punctuation.items()
            },
            self.group_ids,
            self.ignore_ids,
            self.keyword_ids.get(ids["NAME"], {}),
            self.table,
            self.reductions,
            self.end_state,
            ids["NAME"],
            ids["STRING"],
            ids["_NL"],
            ids["$END"],
            ids["INT"],
        )

    def _fold_unit_reductions(self) -> None:
        """Shift (or go) straight past states whose only move is to rename their one child (`value: STRING`).

        Such a state reduces by a one-symbol rule that builds nothing, whatever comes next; the state under it is
        the one we came from, so the move can go directly to where that reduction's goto would lead. The stack is
        the one the unfolded parse would have after the reduction, so errors and results are unchanged.
        """
        unit: dict[int, int] = {}
        for state, row in enumerate(self.table):
            acts = {a for a in row if a != -1}
            if len(acts) == 1 and (act := acts.pop()) < 0:
                n, lhs, build = self.reductions[~act]
                if n == 1 and build is None:
                    unit[state] = lhs
        for row in self.table:
            for sym, act in enumerate(row):
                seen = 0
                while act in unit:
                    act = row[unit[act]]
                    seen += 1
                    assert act >= 0 and seen <= len(unit)
                row[sym] = act


def _builder(rule: Any) -> Callable[..., Any] | None:
    """The node builder for a rule that makes one (`keyword`, `call`, ...); None for a rule that is inlined."""
    name = str(rule.origin.name)
    if name.startswith("_") or rule.options.expand1:
        return None
    return getattr(_Parser, "b_" + name)


_TABLES: _Tables | None = None


def _load_tables() -> _Tables:
    global _TABLES
    if _TABLES is None:
        _TABLES = _Tables()
    return _TABLES


def _tables() -> _Tables:
    return _TABLES or _load_tables()


def parse(text: str, *, limits: Limits | None = None) -> Program:
    """Parse Scint source into a Program, or raise ScintSyntaxError / LimitExceeded."""
    if not isinstance(text, str):
        raise ScintSyntaxError(
            f"a program is text, not {type(text).__name__}", line=1, column=1, context="", expected=()
        )
    limits = check_limits(limits)
    if len(text) > limits.max_program_chars:
        raise LimitExceeded(f"the program is {len(text):,} characters; the limit is {limits.max_program_chars:,}")
    if not text.isascii() and (bad := _SURROGATE.search(text)) is not None:
        # Text decoded from UTF-8 never holds these; they cannot be stored or sent on, so refuse them here.
        raise _syntax_at(
            text, bad.start(), f"U+{ord(bad.group()):04X} is half of a UTF-16 surrogate pair, not a character"
        )
    if len(text) <= _CACHE_TEXT:
        key: Any = text if limits is DEFAULT_LIMITS else (text, limits)  # hashing Limits costs more than the text
        program = _CACHE.get(key)
        if program is None:
            program = _parse(text, limits)
            if len(_CACHE) >= _CACHE_SIZE:
                try:
                    _CACHE.popitem(last=False)  # forget the oldest (O(1): a dict's first key is found by a scan)
                except KeyError:  # another thread emptied it: no matter
                    pass
            _CACHE[key] = program
        return program
    return _parse(text, limits)


# Programs are immutable, so a short program seen again (a loop, a poll, a retried model call) is parsed once.
_CACHE: OrderedDict[Any, Program] = OrderedDict()  # text (default limits) or (text, limits) -> its program
_CACHE_SIZE = 512
_CACHE_TEXT = 2048


def _parse(text: str, limits: Limits) -> Program:
    try:
        return _Parser(text, limits).run()
    except ScintError:
        raise
    except RecursionError:  # pragma: no cover - the loop is iterative; kept as a last line of defence
        raise LimitExceeded("the program is nested too deeply") from None


_SURROGATE = re.compile("[\ud800-\udfff]")
_SPACE_RUN = re.compile(f"[{re.escape(_SPACE)}]*")


class _Parser:
    __slots__ = ("limits", "max_int", "text")

    def __init__(self, text: str, limits: Limits) -> None:
        self.text = text
        self.limits = limits
        self.max_int = 1 << limits.max_int_bits

    def run(self) -> Program:
        t = _TABLES or _load_tables()
        (
            match,
            punctuation,
            group_ids,
            ignore,
            name_words,
            table,
            reductions,
            end_state,
            id_name,
            id_string,
            id_nl,
            id_end,
            id_int,
        ) = t.loop
        max_int = self.max_int
        text = self.text
        space_run = _SPACE_RUN.match
        spaces = _SPACE
        space_next = _SPACE_NEXT
        convert = self.convert
        string = self.string
        new_const = _new_const
        state = t.start_state
        states = [state]
        heights = [0]
        values: list[Any] = []
        push = values.append
        pos = 0
        size = len(text)
        depth = 0
        max_depth = self.limits.max_depth
        while True:
            if pos < size:
                ch = text[pos]
                if ch in spaces:
                    if text[pos + 1 : pos + 2] not in space_next:
                        pos += 1  # one space before a token: the commonest case
                        continue
                    run = space_run(text, pos).end()
                    if run == size or text[run] not in "\n#":
                        pos = run  # a run of ignored _WS tokens (see _Tables)
                        continue
                    m = match(text, run)
                    if m is None or m.lastgroup != "_NL":
                        pos = run
                        continue
                    tid = id_nl
                    end = m.end()
                    val = None
                elif (info := punctuation.get(ch)) is not None:
                    tid, keep, nesting = info
                    end = pos + 1
                    val = pos if keep else None
                    if nesting:
                        depth += nesting
                        if depth > max_depth:
                            raise LimitExceeded(
                                f"brackets are nested {depth} deep at offset {pos}; the limit is {max_depth}"
                            )
                else:
                    m = match(text, pos)
                    if m is None:
                        raise lex_error(text, pos, open_brackets(text, pos))
                    tid = group_ids[m.lastindex]
                    end = m.end()
                    if tid == id_name:
                        word = m.group()
                        kw = name_words.get(word)
                        if kw is None:
                            val = (word, pos)
                        else:
                            tid = kw
                            val = convert(tid, pos, end)
                    elif tid == id_string:
                        val = new_const(string(pos, end), _new_span(pos, end, text))
                    elif tid == id_int and -max_int < (number := int(m.group())) < max_int:
                        val = new_const(number, _new_span(pos, end, text))
                    elif tid == id_nl:
                        val = None
                    elif tid in ignore:
                        pos = end
                        continue
                    else:
                        val = convert(tid, pos, end)
            else:
                tid = id_end
                end = pos
                val = None
            # Feed the token: reduce as far as the table says, then shift it (or accept at the end).
            while True:
                act = table[state][tid]
                if act >= 0:
                    state = act
                    states.append(state)
                    heights.append(len(values))
                    if val is not None:
                        push(val)
                    break
                n, lhs, build = reductions[~act]
                if build is None:  # an inlined rule: its children stay on the value stack
                    if n > 1:
                        del states[1 - n :]
                        del heights[1 - n :]
                    elif n < 0:
                        raise parse_error(text, pos, end, t.names[tid], viable(states), open_brackets(text, pos))
                    state = states[-1] = table[states[-2]][lhs]
                    continue
                if n == 1:
                    base = heights[-1]
                    states.pop()
                elif n:
                    base = heights[-n]
                    del states[-n:]
                    del heights[1 - n :]
                else:
                    base = len(values)
                    heights.append(base)
                value = build(self, values[base:])
                del values[base:]
                push(value)
                state = table[states[-1]][lhs]
                if state == end_state:
                    return value
                states.append(state)
            pos = end

    # -- terminals -> values ------------------------------------------------------------------------------

    def convert(self, tid: int, start: int, end: int) -> Any:
        typ = _tables().names[tid]
        text = self.text
        if typ == "INT":
            n = int(text[start:end])
            if not -self.max_int < n < self.max_int:
                raise LimitExceeded(
                    f"{text[start:end]} is outside the integer range (-2**{self.limits.max_int_bits}, "
                    f"2**{self.limits.max_int_bits})"
                )
            return _new_const(n, _new_span(start, end, text))
        if typ == "FLOAT":
            x = float(text[start:end])
            if math.isinf(x):
                raise LimitExceeded(f"{text[start:end]} is too large for a floating-point number")
            return _new_const(x, _new_span(start, end, text))
        if typ == "REF":
            return (text[start + 1 : end], start)
        if typ == "TRUE":
            return _new_const(True, _new_span(start, end, text))
        if typ == "FALSE":
            return _new_const(False, _new_span(start, end, text))
        if typ == "NULL":
            return _new_const(None, _new_span(start, end, text))
        raise AssertionError(f"no value for terminal {typ}")  # pragma: no cover - every lexed kind is handled

    def string(self, start: int, end: int) -> str:
        text = self.text
        q = 3 if end - start >= 6 and text.startswith('"""', start) else 1
        raw = text[start + q : end - q]
        if "\\" in raw:
            raw = _unescape(raw, start, text)  # the program's length bounds the work; the limit is on the value
        if len(raw) > self.limits.max_string_chars:
            raise LimitExceeded(f"a string of {len(raw):,} characters; the limit is {self.limits.max_string_chars:,}")
        return raw

    # -- rules -> nodes (each gets its rule's kept children, inlined rules' children spliced in) -----------------

    def _items(self, count: int, what: str) -> None:
        if count > self.limits.max_items:
            raise LimitExceeded(f"{what} has {count:,} items; the limit is {self.limits.max_items:,}")

    def b_start(self, kids: list[Any]) -> Program:
        if len(kids) > self.limits.max_statements:
            raise LimitExceeded(
                f"the program has {len(kids):,} statements; the limit is {self.limits.max_statements:,}"
            )
        return _new_program(tuple(kids), self.text)

    def _name(self, kid: Any) -> tuple[str, int]:
        """A NAME token's (text, offset); `true`/`false`/`null` where a name is expected are names too."""
        if type(kid) is tuple:
            return kid
        return self.text[kid.span.start : kid.span.end], kid.span.start

    def b_path(self, kids: list[Any]) -> tuple[tuple[str, ...], int]:
        if len(kids) == 2 and type(kids[0]) is tuple and type(kids[1]) is tuple:
            return (kids[0][0], kids[1][0]), kids[0][1]
        names = [self._name(k) for k in kids]
        return tuple([name for name, _ in names]), names[0][1]

    def b_call(self, kids: list[Any]) -> Call:
        path, start = kids[0]
        end = kids[-1] + 1  # offset of ")"
        if len(kids) == 2:
            return _new_call(path, (), (), _new_span(start, end, self.text))
        args = []
        kwargs = []
        seen = set()
        for i in range(1, len(kids) - 1):
            arg = kids[i]
            if type(arg) is Keyword:
                if arg.name in seen:
                    raise _syntax_at(self.text, arg.span.start, f"the argument `{arg.name}` is given twice")
                seen.add(arg.name)
                kwargs.append(arg)
            else:
                args.append(arg)
        if len(kids) - 2 > self.limits.max_items:
            self._items(len(kids) - 2, f"the call {'.'.join(path)}(...)")
        return _new_call(path, tuple(args), tuple(kwargs), _new_span(start, end, self.text))

    def b_assign(self, kids: list[Any]) -> Assign:
        (name, start), call = self._name(kids[0]), kids[1]
        return _new_assign(name, call, _new_span(start, call.span.end, self.text))

    def b_keyword(self, kids: list[Any]) -> Keyword:
        (name, start), value = self._name(kids[0]), kids[1]
        return _new_keyword(name, value, _new_span(start, value.span.end, self.text))

    def b_list(self, kids: list[Any]) -> ListValue:
        if len(kids) - 2 > self.limits.max_items:
            self._items(len(kids) - 2, "a list")
        return _new_list(tuple(kids[1:-1]), _new_span(kids[0], kids[-1] + 1, self.text))

    def b_dict(self, kids: list[Any]) -> DictValue:
        pairs = kids[1:-1]
        self._items(len(pairs), "a dict")
        seen = set()
        for key, _value, offset in pairs:
            if key in seen:
                raise _syntax_at(self.text, offset, f"the key {key!r} appears twice in one dict")
            seen.add(key)
        return _new_dict(tuple([(k, v) for k, v, _ in pairs]), _new_span(kids[0], kids[-1] + 1, self.text))

    def b_pair(self, kids: list[Any]) -> tuple[str, Any, int]:
        key, value = kids
        if type(key) is Const and type(key.value) is str:
            return key.value, value, key.span.start
        name, start = self._name(key)
        return name, value, start

    def b_ref(self, kids: list[Any]) -> Ref:
        (name, start), *path = kids
        end = path[-1][1] if path else start + 1 + len(name)
        return _new_ref(name, tuple([p for p, _ in path]), _new_span(start, end, self.text))

    def b_field(self, kids: list[Any]) -> tuple[str, int]:
        name, start = self._name(kids[0])
        return name, start + len(name)

    def b_index(self, kids: list[Any]) -> tuple[str | int, int]:
        _lsqb, key, end = kids
        return key.value, end + 1


# After one space, these mean the space may start a longer run of white space (or a line break) to look at.
_SPACE_NEXT = frozenset(_SPACE + "\n#") | {""}
