"""Hypothesis strategies for Scint programs, shared by the DSL tests.

`texts()` generates program text from `grammar/scint.lark` itself (hypothesis.extra.lark), with every regex
terminal drawn from its own pattern, bounds shrunk so examples stay small. `programs()` builds ASTs directly.
"""

from __future__ import annotations

import re

from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from scint.dsl import Assign, Call, Const, DictValue, Keyword, ListValue, Program, Ref, lark_parser

UTF8 = st.characters(codec="utf-8")  # every code point but the surrogates


def shrink(pattern: str, most: int = 6) -> str:
    """The same regex with each large repetition bound `{a,N}` cut to `{a,most}` (keeping the language's shape)."""

    def cut(m: re.Match[str]) -> str:
        low, high = int(m.group(1)), int(m.group(2))
        return f"{{{low},{max(low, min(high, most))}}}"

    return re.sub(r"\{(\d+),(\d+)\}", cut, pattern)


def terminal_strategies(*, comments: bool = True) -> dict[str, st.SearchStrategy[str]]:
    """A strategy per regex terminal of the grammar, from the terminal's own (shrunk) pattern."""
    out = {}
    for t in lark_parser().terminals:
        if t.pattern.type == "re":
            out[t.name] = st.from_regex(shrink(t.pattern.to_regexp()), fullmatch=True, alphabet=UTF8)
    if not comments:
        # A comment swallows the rest of its line, so one dropped between two tokens usually breaks the text.
        out["COMMENT"] = st.just("")
    return out


def texts(*, comments: bool = True) -> st.SearchStrategy[str]:
    """Program texts derived from the grammar (most valid; some break a bound or lex differently)."""
    return from_lark(lark_parser(), start="start", explicit=terminal_strategies(comments=comments))


# -- ASTs -------------------------------------------------------------------------------------------------------

_KEYWORDS = {"true", "false", "null"}
names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True).filter(lambda s: s not in _KEYWORDS)
long_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,127}", fullmatch=True).filter(lambda s: s not in _KEYWORDS)
ref_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)  # $true is a fine reference
strings = st.text(UTF8, max_size=20) | st.sampled_from(['"', "'", '"""', "\\", "\n", '""', 'a"', '"\n"', "\\u"])
ints = st.integers(-(2**63) + 1, 2**63 - 1)
floats = st.floats(allow_nan=False, allow_infinity=False)

constants = st.builds(Const, strings | ints | floats | st.sampled_from([True, False, None]))
refs = st.builds(Ref, ref_names, st.lists(st.integers(0, 2**40) | strings, max_size=4).map(tuple))


def _dict(items: list[tuple[str, object]]) -> DictValue:
    seen: dict[str, object] = {}
    for k, v in items:
        seen.setdefault(k, v)
    return DictValue(tuple(seen.items()))


values = st.recursive(
    constants | refs,
    lambda inner: (
        st.builds(ListValue, st.lists(inner, max_size=4).map(tuple))
        | st.lists(st.tuples(strings | names, inner), max_size=4).map(_dict)
    ),
    max_leaves=12,
)


@st.composite
def calls(draw: st.DrawFn) -> Call:
    path = tuple(draw(st.lists(names, min_size=1, max_size=4)))
    args = tuple(draw(st.lists(values, max_size=3)))
    kw_names = draw(st.lists(names, max_size=3, unique=True))
    kwargs = tuple(Keyword(n, draw(values)) for n in kw_names)
    return Call(path, args, kwargs)


statements = calls() | st.builds(Assign, names, calls())
programs = st.builds(Program, st.lists(statements, max_size=5).map(tuple))
