"""Round trips and equivalence with Lark, by property.

- Texts generated from the grammar: whenever `scint.parse` accepts one, `parse(format(p)) == p`.
- ASTs built directly: `parse(format(p)) == p`.
- `scint.parse` (its own LALR driver) accepts exactly what Lark's reference parser accepts, and builds the AST a
  small, independent transformer builds from Lark's tree.
- Equivalent spellings format identically.
"""

from __future__ import annotations

import random

import lark
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scint
from scint.dsl import Assign, Call, Const, DictValue, Keyword, Limits, ListValue, Program, Ref, lark_parser
from scint.errors import LimitExceeded, ScintSyntaxError
from tests.dsl.strategies import programs, texts

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Bounds out of the way, so that the only limit left is the one no bound can lift: floats that overflow.
NO_LIMITS = Limits(
    max_program_chars=10**9,
    max_statements=10**9,
    max_depth=200,  # the ceiling Limits allows
    max_string_chars=10**9,
    max_items=10**9,
    max_int_bits=10**6,
)


# -- a reference transformer: Lark's tree -> Program, written independently of scint/dsl/parser.py ----------------


class Rejected(Exception):
    """The text parses, but is not a program: a duplicate key or argument, or half a surrogate pair."""


class Overflow(Exception):
    """A float literal overflows."""


_SIMPLE_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def ref_string(token: str) -> str:
    body = token[3:-3] if len(token) >= 6 and token.startswith('"""') else token[1:-1]
    out = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
        elif body[i + 1] == "u":
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        elif body[i + 1] == "\n":  # line continuation inside a triple-quoted string
            i += 2
        else:
            out.append(_SIMPLE_ESCAPES[body[i + 1]])
            i += 2
    text = "".join(out)
    try:
        return text.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        raise Rejected("lone surrogate") from None


def ref_value(node: lark.Tree | lark.Token) -> object:
    if isinstance(node, lark.Token):
        kind = node.type
        if kind == "STRING":
            return Const(ref_string(str(node)))
        if kind == "INT":
            return Const(int(node))
        if kind == "FLOAT":
            x = float(node)
            if x in (float("inf"), float("-inf")):
                raise Overflow(str(node))
            return Const(x)
        return Const({"TRUE": True, "FALSE": False, "NULL": None}[kind])
    if node.data == "list":
        return ListValue(tuple(ref_value(c) for c in node.children))
    if node.data == "dict":
        items = []
        for pair in node.children:
            key_tok, value = pair.children
            key = ref_string(str(key_tok)) if key_tok.type == "STRING" else str(key_tok)
            if key in [k for k, _ in items]:
                raise Rejected("duplicate key")
            items.append((key, ref_value(value)))
        return DictValue(tuple(items))
    if node.data == "ref":
        name = str(node.children[0])[1:]
        path = []
        for step in node.children[1:]:
            (tok,) = step.children
            if step.data == "field":
                path.append(str(tok))
            elif tok.type == "INT":
                path.append(int(tok))
            else:
                path.append(ref_string(str(tok)))
        return Ref(name, tuple(path))
    raise AssertionError(node)


def ref_call(tree: lark.Tree) -> Call:
    path_tree, *arguments = tree.children
    args, kwargs = [], []
    for a in arguments:
        if isinstance(a, lark.Tree) and a.data == "keyword":
            name, value = a.children
            if str(name) in [k.name for k in kwargs]:
                raise Rejected("duplicate argument")
            kwargs.append(Keyword(str(name), ref_value(value)))
        else:
            args.append(ref_value(a))
    return Call(tuple(str(n) for n in path_tree.children), tuple(args), tuple(kwargs))


def ref_program(tree: lark.Tree) -> Program:
    out = []
    for stmt in tree.children:
        if stmt.data == "assign":
            out.append(Assign(str(stmt.children[0]), ref_call(stmt.children[1])))
        else:
            out.append(ref_call(stmt))
    return Program(tuple(out))


def reference(text: str) -> Program | type[Exception]:
    """What the language says `text` is: a Program, or the kind of error it must raise."""
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        return ScintSyntaxError  # not Unicode text (Lark takes it; Scint refuses it)
    try:
        tree = lark_parser().parse(text)
    except lark.exceptions.LarkError:
        return ScintSyntaxError
    try:
        return ref_program(tree)
    except Rejected:
        return ScintSyntaxError
    except Overflow:
        return LimitExceeded


def check_equivalent(text: str) -> None:
    expected = reference(text)
    try:
        got: object = scint.parse(text, limits=NO_LIMITS)
    except LimitExceeded as e:
        # Ours converts literals as it reads them, so an overflowing float may be reported before a syntax error
        # Lark would find further on; it must really be an overflowing float.
        assert "too large for a floating-point number" in str(e), str(e)
        assert expected in (LimitExceeded, ScintSyntaxError), (text, expected)
        return
    except ScintSyntaxError:
        got = ScintSyntaxError
    assert got == expected, (text, got, expected)
    if isinstance(got, Program):
        assert got.source == text


# -- properties -------------------------------------------------------------------------------------------------


@SETTINGS
@given(texts(comments=False))
def test_generated_text_round_trips(text: str) -> None:
    try:
        program = scint.parse(text)
    except (ScintSyntaxError, LimitExceeded):
        return
    canonical = scint.format(program)
    again = scint.parse(canonical)
    assert again == program
    assert scint.format(again) == canonical  # the canonical form is a fixed point


@SETTINGS
@given(programs)
def test_ast_round_trips(program: Program) -> None:
    canonical = scint.format(program)
    assert scint.parse(canonical) == program
    assert scint.format(scint.parse(canonical)) == canonical


@SETTINGS
@given(texts())
def test_accepts_what_lark_accepts_and_builds_the_same_tree(text: str) -> None:
    check_equivalent(text)


def _mutate(text: str, rnd: random.Random) -> str:
    """Small edits that break programs in the ways people and models do (and some they don't)."""
    pieces = ['"', "'", "(", ")", "[", "]", "{", "}", ",", "=", ":", ".", ";", "\n", " ", "#", "\\", "$", "-", "1", "x"]
    chars = list(text)
    for _ in range(rnd.randint(1, 3)):
        op = rnd.randrange(3)
        at = rnd.randint(0, len(chars))
        if op == 0 or not chars:
            chars.insert(at, rnd.choice(pieces))
        elif op == 1:
            del chars[min(at, len(chars) - 1)]
        else:
            chars[min(at, len(chars) - 1)] = rnd.choice(pieces)
    return "".join(chars)


@SETTINGS
@given(texts(comments=False), st.randoms(use_true_random=False))
def test_broken_texts_are_rejected_exactly_when_lark_rejects_them(text: str, rnd: random.Random) -> None:
    check_equivalent(_mutate(text, rnd))


@SETTINGS
@given(programs)
def test_canonical_texts_agree_with_lark(program: Program) -> None:
    check_equivalent(scint.format(program))


# -- fixed cases ------------------------------------------------------------------------------------------------

EQUIVALENT = [
    ("notes.put(key='a')", 'notes.put(key="a")'),
    ('x.y(v=$m["k"])', "x.y(v=$m.k)"),
    ("x.y(v=$m['k'][0]['z'])", "x.y(v=$m.k[0].z)"),
    ('x.y(v=$m["true"]["a b"]["1"])', 'x.y(v=$m["true"]["a b"]["1"])'),
    ("x.y(v={k: 1})", 'x.y(v={"k": 1})'),
    ("x.y(v={k: 1,},)", 'x.y(v={"k": 1})'),
    ("x.y(v=[1,2,],)", "x.y(v=[1, 2])"),
    ("x.y('\\u00e9')", 'x.y("é")'),
    ("x.y('\\ud83d\\ude00')", 'x.y("😀")'),
    ('x.y("""one line""")', 'x.y("one line")'),
    ("x.y('it\\'s')", 'x.y("it\'s")'),
    ('x.y("\\/")', 'x.y("/")'),
    ("x.y(1.50)", "x.y(1.5)"),
    ("x.y(-3e2)", "x.y(-300.0)"),
    ("x.y(1E+3)", "x.y(1000.0)"),
    ("  # lead\n\n a.b() ; c.d()\n\n", "a.b()\nc.d()"),
    ("a.b(\n  1,\n  k=2,\n)", "a.b(1, k=2)"),
    ("m   =   a.b( )", "m = a.b()"),
]


@pytest.mark.parametrize(("one", "other"), EQUIVALENT)
def test_equivalent_spellings_format_identically(one: str, other: str) -> None:
    a, b = scint.parse(one), scint.parse(other)
    assert a == b
    assert scint.format(a) == scint.format(b)
    assert scint.format(a).rstrip("\n") == other


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a()",
        " # c",
        "# c\n",
        'x = a.b(1, "s", k=[1, {"a": $x.y[0]["z z"]}])',
        "a.b(\n\n\n)",
        "a.b(1\n,\n2\n)",
        "a.b(1,\n# comment inside\n2)",
        'a.b("""x\ny""")',
        'a.b("""x\\\ny""")',
        'a.b("""a""b""")',
        "a.b() a.c()",
        "a.b(k: 1)",
        "a.b(1, k=2, 3)",
        "a.b(x={1: 2})",
        "a.b(x=$y[-1])",
        "a.b(x=$y.true)",
        "true.b()",
        "a.b(x=trueish, y=nullable)",
        "a.b(x=007)",
        "a.b(x=1.)",
        "\t \f\r\n a.b()",
        'a.b("\\ud800")',
        'a.b("\ud800")',
        'a.b("\ud83d\ude00")',
        "# \udfff\na.b()",
        "a.b(x={a: 1, 'a': 2})",
        "a.b(x=1, x=2)",
        "x" * 129 + ".b()",
        "a.b(" + "1" * 65 + ")",
    ],
)
def test_fixed_texts_agree_with_lark(text: str) -> None:
    check_equivalent(text)
