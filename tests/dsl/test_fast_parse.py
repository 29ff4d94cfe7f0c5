"""The parser's shortcut for plain call lines (`_fast_parse`) builds exactly what the table-driven parser builds,
spans included, and leaves everything else to it (so every error is the full parser's)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scint.dsl import Limits, Program
from scint.dsl.limits import DEFAULT_LIMITS
from scint.dsl.parser import _fast_parse, _Parser
from scint.errors import ScintError

from .strategies import texts


def spans(node: Any) -> list[Any]:
    """Every node's class and (start, end), depth first: equality of ASTs ignores spans, this does not."""
    out = []
    span = getattr(node, "span", None)
    out.append((type(node).__name__, None if span is None else (span.start, span.end)))
    for name in getattr(type(node), "__slots__", ()):
        if name == "span" or name.startswith("_"):
            continue
        value = getattr(node, name, None)
        for child in value if isinstance(value, tuple) else (value,):
            if isinstance(child, tuple):
                for grandchild in child:
                    out.extend(spans(grandchild))
            elif hasattr(child, "__slots__"):
                out.extend(spans(child))
    return out


def agree(text: str, limits: Limits = DEFAULT_LIMITS) -> bool:
    """Check the shortcut against the parser on `text`; True if the shortcut took it."""
    fast = _fast_parse(text, limits)
    if fast is None:
        return False
    full = _Parser(text, limits).run()
    assert isinstance(fast, Program)
    assert fast == full
    assert fast.source == full.source == text
    assert spans(fast) == spans(full)
    assert [fast.statement_source(i) for i in range(len(fast.statements))] == [
        full.statement_source(i) for i in range(len(full.statements))
    ]
    return True


NAMES = ["c", "notes", "a_b", "true", "null", "false", "_", "x" * 128, "x" * 129, "A9"]
VALUES = ['"v"', '""', '"é \t\r ü"', '"a\\"b"', '"""t"""', "0", "-0", "12", "-7", "01", "1.5", "1e3", "true", "[1]"]
VALUES += [str(2**63 - 1), str(2**63), str(-(2**63) + 1), str(-(2**63)), "9" * 64, "9" * 65, "'s'", '"\\n"']
SEPS = [", ", ",", ",  ", " , ", ",\n"]

pieces = st.sampled_from


@st.composite
def lines(draw: st.DrawFn) -> str:
    path = ".".join(draw(st.lists(pieces(NAMES), min_size=1, max_size=3)))
    args = []
    for _ in range(draw(st.integers(0, 4))):
        value = draw(pieces(VALUES))
        args.append(f"{draw(pieces(NAMES))}={value}" if draw(st.booleans()) else value)
    seps = [draw(pieces(SEPS)) for _ in args]
    body = "".join(a + s for a, s in zip(args, seps, strict=True))
    if draw(st.booleans()):
        body = body.rstrip(", \n")
    return f"{path}({body})"


@settings(max_examples=600)
@given(st.lists(lines(), min_size=1, max_size=4), st.sampled_from(["\n", "\n\n", ";", "\n "]), st.booleans())
def test_plain_call_lines_agree(statements: list[str], sep: str, trailing: bool) -> None:
    text = sep.join(statements) + ("\n" if trailing else "")
    try:
        agree(text)
    except ScintError:
        raise AssertionError(f"the shortcut accepted {text!r}, which the parser rejects") from None


@settings(max_examples=300)
@given(texts(comments=False))
def test_grammar_texts_agree(text: str) -> None:
    try:
        agree(text)
    except ScintError:
        raise AssertionError(f"the shortcut accepted {text!r}, which the parser rejects") from None


def test_the_common_shapes_take_the_shortcut() -> None:
    assert agree('c.put(key="k", value="' + "x" * 60 + '")')
    assert agree('create_context("c")\nc.put(key="k1", value=1)\nc.get("k1")\nnotes.a.b.clear()')
    assert agree("c.f(1,-2,k=0)")


def test_limits_leave_it_to_the_parser() -> None:
    small = Limits(max_string_chars=3, max_items=2, max_statements=1, max_int_bits=4)
    assert _fast_parse('c.f("abc")', small) is not None
    for text in ['c.f("abcd")', "c.f(1, 2, 3)", "c.f()\nc.g()", "c.f(16)", "c.f(-16)", "c.f(k=1, k=2)", "c.f(k=1, 2)"]:
        assert _fast_parse(text, small) is None, text
    assert _fast_parse("c.f(15)", small) is not None
