"""Scanning source text outside the parser's loop: the tokens before an offset (for error hints), the terminals
that can really come next, and the comments a program holds (for the formatter, which keeps them).

Off the hot path: these run for errors and for `scint fmt`, on text the parser's own tables lex."""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["comments", "open_brackets", "tokens", "viable"]

_OPENERS = frozenset({"LPAR", "LSQB", "LBRACE"})
_CLOSERS = frozenset({"RPAR", "RSQB", "RBRACE"})
_COMMENT = re.compile(r"#[^\n]*")


def tokens(text: str, stop: int | None = None) -> Iterator[tuple[str, int, int]]:
    """(terminal name, start, end) of the tokens that start before `stop`, ignored ones included, as the parser
    lexes them. Stops early at text that does not lex."""
    from scint.dsl.parser import _SPACE, _SPACE_RUN, _tables

    regex = _tables().regex
    stop = len(text) if stop is None else stop
    pos = 0
    while pos < stop:
        if text[pos] in _SPACE:  # a run of white space at once, as the parser does (linear, not quadratic)
            run = _SPACE_RUN.match(text, pos).end()
            yield "_WS", pos, run
            pos = run
            if run == len(text) or text[run] not in "\n#":
                continue
        m = regex.match(text, pos)
        if m is None:
            return
        yield m.lastgroup or "", pos, m.end()
        pos = m.end()


def open_brackets(text: str, stop: int) -> list[int]:
    """Offsets of the brackets still open at `stop` (for "missing )" hints)."""
    opens: list[int] = []
    for kind, start, _end in tokens(text, stop):
        if kind in _OPENERS:
            opens.append(start)
        elif kind in _CLOSERS and opens:
            opens.pop()
    return opens


def comments(text: str) -> list[tuple[int, str]]:
    """(offset, text) of every comment in `text`, in order; a `#` inside a string is not one."""
    out: list[tuple[int, str]] = []
    for kind, start, end in tokens(text):
        if kind == "COMMENT":
            out.append((start, text[start:end]))
        elif kind == "_NL" and "#" in text[start:end]:
            out.extend((m.start(), m.group()) for m in _COMMENT.finditer(text, start, end))
    return out


def viable(states: list[int]) -> set[str]:
    """The terminals that can really come next (LALR states merge lookaheads; simulate each one's reductions)."""
    from scint.dsl.parser import _tables

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
            n, origin = t.rules[~act]
            if n:
                del stack[-n:]
            stack.append(t.actions[stack[-1]][origin])
    return out
