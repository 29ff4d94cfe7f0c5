"""`scint.parse`: every feature of the language (SPEC section 1) with the AST it must build, source spans, syntax
errors with their position, message and hint, and every bound in `Limits`."""

from __future__ import annotations

import attrs
import pytest

import scint
from scint.dsl import Assign, Call, Const, DictValue, Keyword, Limits, ListValue, Program, Ref, Span
from scint.dsl.ast import fast_constructor
from scint.errors import LimitExceeded, ScintError, ScintSyntaxError


def call(*path: str, args: tuple = (), **kwargs: object) -> Call:
    return Call(tuple(path), tuple(args), tuple(Keyword(k, v) for k, v in kwargs.items()))


def c(v: object) -> Const:
    return Const(v)


def one(text: str) -> Call | Assign:
    program = scint.parse(text)
    assert len(program.statements) == 1, program
    return program.statements[0]


def value(text: str) -> object:
    """The value of `v` in `a.b(v=<text>)`."""
    stmt = one(f"a.b(v={text})")
    return stmt.kwargs[0].value


# -- statements ---------------------------------------------------------------------------------------------------

STATEMENTS = [
    ("", ()),
    ("contexts()", (call("contexts"),)),
    ('create_context("notes", type="Container")', (call("create_context", args=(c("notes"),), type=c("Container")),)),
    ("a.b.c.d()", (call("a", "b", "c", "d"),)),
    ("m = notes.get(key=1)", (Assign("m", call("notes", "get", key=c(1))),)),
    ("a.b(); c.d()", (call("a", "b"), call("c", "d"))),
    ("a.b();;; c.d();", (call("a", "b"), call("c", "d"))),
    (";a.b()", (call("a", "b"),)),
    ("a.b()\nc.d()\n", (call("a", "b"), call("c", "d"))),
    ("a.b()\r\n\r\nc.d()", (call("a", "b"), call("c", "d"))),
    ("\n\n  a.b()  \n\n\n  c.d()  \n\n", (call("a", "b"), call("c", "d"))),
    ("a.b(1, 2, k=3, j=4)", (call("a", "b", args=(c(1), c(2)), k=c(3), j=c(4)),)),
    ("a.b(1,)", (call("a", "b", args=(c(1),)),)),
    ("a.b(k=1,)", (call("a", "b", k=c(1)),)),
    ("a  .  b  (  1  ,  k  =  2  )", (call("a", "b", args=(c(1),), k=c(2)),)),
    ("x=a.b()", (Assign("x", call("a", "b")),)),
    ("_x1 = _.b_2()", (Assign("_x1", call("_", "b_2")),)),
]


@pytest.mark.parametrize(("text", "statements"), STATEMENTS)
def test_statements(text: str, statements: tuple) -> None:
    program = scint.parse(text)
    assert program == Program(statements)
    assert program.statements == statements
    assert program.source == text


NEWLINES_INSIDE_BRACKETS = [
    "a.b(\n  1,\n  2,\n  k=[\n    3,\n    4,\n  ],\n  j={\n    x: 5,\n    'y':\n      6,\n  },\n)",
    "a.b(\n1\n,\n2\n,\nk=[\n3\n,\n4\n]\n,\nj={x: 5, 'y': 6}\n)",
    "a.b(  # the first\n  1,  # the second\n  2, k=[3, 4], j={x: 5, 'y': 6})",
    "a.b(1, 2, k=[3, 4], j={x: 5, 'y': 6})",
]


@pytest.mark.parametrize("text", NEWLINES_INSIDE_BRACKETS)
def test_newlines_and_comments_inside_brackets_are_white_space(text: str) -> None:
    expected = call("a", "b", args=(c(1), c(2)), k=ListValue((c(3), c(4))), j=DictValue((("x", c(5)), ("y", c(6)))))
    assert one(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "# only a comment",
        "# a comment\n",
        "   ",
        "  \t # indented comment",
        "\n\n\n",
        "# one\n# two\n\n   # three\n",
        ";",
        ";\n;",
    ],
)
def test_programs_without_statements(text: str) -> None:
    assert scint.parse(text) == Program(())


@pytest.mark.parametrize(
    "text",
    [
        "  a.b()",
        "\ta.b()",
        "# leading comment\na.b()",
        "   # indented leading comment\n   a.b()   # trailing comment",
        "\n\n# c1\n\n# c2\na.b()\n# c3",
        "\f\r a.b()",
    ],
)
def test_leading_white_space_and_comments(text: str) -> None:
    assert scint.parse(text).statements == (call("a", "b"),)


def test_the_spec_example() -> None:
    text = '''# a comment runs to the end of the line
create_context("notes", type="Container")
notes.put(key="milk", value={"qty": 2, "unit": "l"})
m = notes.get(key="milk")                  # assignment binds a result for later statements
notes.put(key="copy", value=$m.qty)        # $name reads it; .field and [0] / ["k"] navigate
notes.put(key="a", value=1); notes.put(key="b", value=[1, 2.5, -3e2, true, false, null])
t = research.lit.add_task(title="search", detail='single quotes work too')
composer.define(name="restock", params=["item"], body="""
  notes.put(key=$item, value=0)
""")
'''
    p = scint.parse(text)
    assert len(p.statements) == 8
    assert p.statements[0] == call("create_context", args=(c("notes"),), type=c("Container"))
    assert p.statements[1].kwargs[1].value == DictValue((("qty", c(2)), ("unit", c("l"))))
    assert p.statements[2] == Assign("m", call("notes", "get", key=c("milk")))
    assert p.statements[3].kwargs[1].value == Ref("m", ("qty",))
    assert p.statements[5].kwargs[1].value == ListValue((c(1), c(2.5), c(-300.0), c(True), c(False), c(None)))
    assert p.statements[6] == Assign(
        "t", call("research", "lit", "add_task", title=c("search"), detail=c("single quotes work too"))
    )
    assert p.statements[7].kwargs[2].value == c("\n  notes.put(key=$item, value=0)\n")


# -- values -------------------------------------------------------------------------------------------------------

VALUES = [
    # strings: both quotes, every escape
    ('"plain"', c("plain")),
    ("'single'", c("single")),
    ('""', c("")),
    ("''", c("")),
    ('"it\'s"', c("it's")),
    ("'say \"hi\"'", c('say "hi"')),
    (r'"\" \' \\ \/ \b \f \n \r \t"', c("\" ' \\ / \b \f \n \r \t")),
    (r"'\" \' \\'", c("\" ' \\")),
    (r'"\u00e9\u00E9"', c("éé")),
    (r'"\u0000"', c("\x00")),
    (r'"\ud83d\ude00"', c("😀")),
    (r'"\uD83D\uDE00!"', c("😀!")),
    ('"é 😀 日本"', c("é 😀 日本")),
    ('"#not a comment"', c("#not a comment")),
    ('"a;b"', c("a;b")),
    ('"tab\there"', c("tab\there")),
    # triple-quoted
    ('"""one\ntwo"""', c("one\ntwo")),
    ('"""\n  indented\n"""', c("\n  indented\n")),
    ('"""say "hi" and ""twice"" """', c('say "hi" and ""twice"" ')),
    ('"""joined \\\nline"""', c("joined line")),
    ('"""esc \\n \\u00e9 \\" """', c('esc \n é " ')),
    ('"""it\'s"""', c("it's")),
    ('""""""', c("")),
    # numbers
    ("0", c(0)),
    ("42", c(42)),
    ("-7", c(-7)),
    ("-0", c(0)),
    ("9223372036854775807", c(2**63 - 1)),
    ("-9223372036854775807", c(-(2**63) + 1)),
    ("2.5", c(2.5)),
    ("-0.5", c(-0.5)),
    ("0.0", c(0.0)),
    ("1e3", c(1000.0)),
    ("1E3", c(1000.0)),
    ("-3e2", c(-300.0)),
    ("2.5e-3", c(0.0025)),
    ("2.5E+3", c(2500.0)),
    ("1e-400", c(0.0)),
    # keywords
    ("true", c(True)),
    ("false", c(False)),
    ("null", c(None)),
    # lists
    ("[]", ListValue(())),
    ("[1]", ListValue((c(1),))),
    ("[1, 'a', true, null]", ListValue((c(1), c("a"), c(True), c(None)))),
    ("[1, 2,]", ListValue((c(1), c(2)))),
    ("[[], [[]]]", ListValue((ListValue(()), ListValue((ListValue(()),))))),
    # dicts
    ("{}", DictValue(())),
    ('{"a": 1}', DictValue((("a", c(1)),))),
    ("{a: 1, b_2: 2}", DictValue((("a", c(1)), ("b_2", c(2))))),
    ("{'a b': 1, \"c\": 2,}", DictValue((("a b", c(1)), ("c", c(2))))),
    ('{"true": 1, "": 2}', DictValue((("true", c(1)), ("", c(2))))),
    ("{z: 1, a: 2}", DictValue((("z", c(1)), ("a", c(2))))),  # source order
    (
        "{a: {b: [1, {c: $x}]}}",
        DictValue((("a", DictValue((("b", ListValue((c(1), DictValue((("c", Ref("x")),))))),))),)),
    ),
    # references
    ("$m", Ref("m")),
    ("$_", Ref("_")),
    ("$m.k", Ref("m", ("k",))),
    ("$m[0]", Ref("m", (0,))),
    ('$m["k"]', Ref("m", ("k",))),
    ("$m['a b']", Ref("m", ("a b",))),
    ('$_.items[2]["x"].y', Ref("_", ("items", 2, "x", "y"))),
    ("$true", Ref("true")),
    ('$m["0"]', Ref("m", ("0",))),
]


@pytest.mark.parametrize(("text", "expected"), VALUES)
def test_values(text: str, expected: object) -> None:
    assert value(text) == expected


@pytest.mark.parametrize(("text", "expected"), VALUES)
def test_values_as_positional_arguments_and_list_items(text: str, expected: object) -> None:
    assert one(f"a.b({text})").args == (expected,)
    assert one(f"a.b([{text}, {text}])").args == (ListValue((expected, expected)),)


def test_constants_compare_by_type_as_well_as_value() -> None:
    assert value("1") != value("1.0")
    assert value("1") != value("true")
    assert value("0") != value("false")
    assert value("0") != value("null")
    assert value("[1]") != value("[true]")
    assert value("$m[1]") != value('$m["1"]')
    assert value("1.0") == Const(1.0)
    assert type(value("1").value) is int
    assert type(value("1.0").value) is float
    assert type(value("1e3").value) is float


def test_the_ast_is_frozen_and_hashable() -> None:
    program = scint.parse('x = a.b(1, k=[1, {"a": $m.b}])')
    stmt = program.statements[0]
    for node in (program, stmt, stmt.call, stmt.call.args[0], stmt.call.kwargs[0], stmt.call.kwargs[0].value):
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            node.span = None  # type: ignore[misc]
        assert hash(node) == hash(node)
    for node in (stmt, stmt.call, stmt.call.args[0], stmt.call.kwargs[0].value):
        for name in ("start", "end", "_source"):
            with pytest.raises(attrs.exceptions.FrozenInstanceError):
                setattr(node.span, name, 0)
        assert node.span.source is program.source
    assert hash(scint.parse("a.b(1)")) == hash(scint.parse("a.b( 1 )"))
    assert {scint.parse("a.b(1)"), scint.parse("a.b(\n1\n)")} == {scint.parse("a.b(1)")}


@pytest.mark.parametrize("cls", [Const, ListValue, DictValue, Ref, Keyword, Call, Assign, Program])
def test_fast_constructor_builds_the_same_frozen_objects(cls: type) -> None:
    fields = attrs.fields(cls)
    samples = {
        Const: ("x", None),
        ListValue: ((Const(1),), None),
        DictValue: ((("k", Const(1)),), None),
        Ref: ("m", ("k", 0), None),
        Keyword: ("k", Const(1), None),
        Call: (("a", "b"), (Const(1),), (Keyword("k", Const(2)),), None),
        Assign: ("x", Call(("a", "b")), None),
        Program: ((Call(("a", "b")),), "a.b()"),
    }[cls]
    assert len(samples) == len(fields)
    fast = fast_constructor(cls)(*samples)
    slow = cls(*samples[: len(fields)]) if cls is Program else cls(*samples[:-1], span=samples[-1])
    assert type(fast) is cls
    assert fast == slow
    assert hash(fast) == hash(slow)
    assert repr(fast) == repr(slow)
    for f in fields:
        assert getattr(fast, f.name) == getattr(slow, f.name)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(fast, fields[0].name, None)
    with pytest.raises(TypeError):
        fast_constructor(cls)(*samples, None)


# -- spans --------------------------------------------------------------------------------------------------------


def test_statement_spans() -> None:
    text = "# head\n  a.b(1)\nx = c.d(k=2,\n  j=3)  ; e.f()\n"
    p = scint.parse(text)
    s1, s2, s3 = p.statements
    assert (s1.span.line, s1.span.column, s1.span.end_line, s1.span.end_column) == (2, 3, 2, 9)
    assert (s2.span.line, s2.span.column, s2.span.end_line, s2.span.end_column) == (3, 1, 4, 7)
    assert (s2.call.span.line, s2.call.span.column) == (3, 5)
    assert (s3.span.line, s3.span.column) == (4, 11)
    assert [p.statement_source(i) for i in range(3)] == ["a.b(1)", "x = c.d(k=2,\n  j=3)", "e.f()"]
    assert repr(s1.span) == "Span(2:3-2:9)"


def test_keyword_and_value_spans() -> None:
    text = 'a.b(\n  key="v",\n  other=[1, {"x": $m.y[0]}]\n)'
    call_ = scint.parse(text).statements[0]
    key, other = call_.kwargs
    assert (key.span.line, key.span.column, key.span.end_column) == (2, 3, 10)
    assert text[key.value.span.start : key.value.span.end] == '"v"'
    assert text[other.span.start : other.span.end] == 'other=[1, {"x": $m.y[0]}]'
    lst = other.value
    assert text[lst.items[0].span.start : lst.items[0].span.end] == "1"
    d = lst.items[1]
    assert text[d.span.start : d.span.end] == '{"x": $m.y[0]}'
    ref = d.items[0][1]
    assert text[ref.span.start : ref.span.end] == "$m.y[0]"
    assert (ref.span.line, ref.span.column) == (3, 19)
    assert text[call_.span.start : call_.span.end] == text


def test_spans_do_not_affect_equality() -> None:
    a = scint.parse("a.b(k=1)")
    b = scint.parse("\n\n   a.b(  k = 1  )")
    assert a == b
    assert a.statements[0].span.column != b.statements[0].span.column
    assert Span(0, 1, "x").line == 1


def test_statement_source_without_spans_is_canonical() -> None:
    p = Program((call("a", "b", k=c("v")),))
    assert p.statement_source(0) == 'a.b(k="v")'


# -- syntax errors --------------------------------------------------------------------------------------------------

# (text, line, column, words in the message, words in the hint)
ERRORS = [
    # Python's True / False / None
    ("notes.put(key=True)", 1, 15, "unexpected 'True'", "lowercase"),
    ("notes.put(value=None)", 1, 17, "unexpected 'None'", "lowercase"),
    ("notes.put(x=[1, False])", 1, 17, "unexpected 'False'", "lowercase"),
    ("notes.put(None)", 1, 15, "unexpected ')'", "lowercase"),
    # JSON's `key: value` in arguments
    ("notes.put(key: 1)", 1, 14, "unexpected ':'; expected '='", "key=value, not key: value"),
    ('notes.put("key": 1)', 1, 16, "unexpected ':'", 'key=value, not "key": value'),
    ('notes.put(x=["a": 1])', 1, 17, "unexpected ':'", "{"),
    ('a.b(x={"k"=1})', 1, 11, "unexpected '='; expected ':'", '{"key": value}'),
    # unquoted strings
    ("notes.put(key=milk)", 1, 15, "unexpected 'milk'; expected a value", 'strings need quotes: "milk"'),
    ("notes.put(milk)", 1, 15, "unexpected ')'; expected '='", 'strings need quotes: "milk"'),
    ("notes.put(x=[eggs])", 1, 14, "unexpected 'eggs'", 'strings need quotes: "eggs"'),
    # a missing `)` at the end
    ("notes.put(key=1", 1, 16, "unexpected end of the program", "missing ')' to close the '(' at line 1, column 10"),
    ('a.b(x="a")\nc.d(', 2, 5, "unexpected end of the program", "missing ')' to close the '(' at line 2, column 4"),
    ("a.b(\n  k=1,\n", 3, 1, "unexpected end of the program", "missing ')' to close the '(' at line 1, column 4"),
    ("a.b(x=[1, 2", 1, 12, "unexpected end of the program", "missing ']' to close the '[' at line 1, column 7"),
    ('a.b(x={"a": 1', 1, 14, "unexpected end of the program", "missing '}' to close the '{' at line 1, column 7"),
    ("a.b(x=[1\nc.d()", 2, 1, "unexpected 'c'", "missing ']' to close the '[' at line 1, column 7"),
    # `notes->put`
    ("notes->put(key=1)", 1, 6, "unexpected '->'", "did you mean `notes.put(...)`?"),
    ('notes->put(key="a", value=1)', 1, 6, "unexpected '->'", "did you mean `notes.put(...)`?"),
    ("research.lit -> add_task(title='x')", 1, 14, "unexpected '->'", "did you mean `research.lit.add_task(...)`?"),
    ("x = a.b->c()", 1, 8, "unexpected '->'", "did you mean `a.b.c(...)`?"),
    ("notes::put(key=1)", 1, 6, "unexpected ':'", "did you mean `notes.put(...)`?"),
    ("notes:put(key=1)", 1, 6, "unexpected ':'", "did you mean `notes.put(...)`?"),
    ("notes/put(key=1)", 1, 6, "unexpected '/'", "did you mean `notes.put(...)`?"),
    ("notes put()", 1, 7, "unexpected 'put'", "did you mean `notes.put(...)`?"),
    ("notes->", 1, 6, "unexpected '->'", "call an action with a dot"),
    # smart quotes
    ("notes.put(key=\u201cmilk\u201d)", 1, 15, "curly quotes", "straight quotes"),
    ("notes.put(key=\u2018milk\u2019)", 1, 15, "curly quotes", "straight quotes"),
    ("\u201ca.b()", 1, 1, "curly quotes", "straight quotes"),
    # nested calls
    ("notes.put(value=notes.get(key=1))", 1, 17, "unexpected 'notes'", "e.g. x = notes.get(...), then pass $x"),
    ("notes.put(value=contexts())", 1, 17, "unexpected 'contexts'", "e.g. x = contexts(...), then pass $x"),
    ("a.b(v=[research . lit.tasks ()])", 1, 8, "unexpected 'research'", "x = research.lit.tasks(...), then"),
    ("notes.put(notes.get())", 1, 16, "unexpected '.'", None),
    # positional after keyword
    ("a.b(x=1, 2)", 1, 10, "unexpected '2'", "positional arguments come before keyword arguments"),
    ('a.b(x=1, "s")', 1, 10, "unexpected '\"s\"'", "positional arguments come before keyword arguments"),
    # duplicates
    ("a.b(x=1, x=2)", 1, 10, "the argument `x` is given twice", None),
    ("a.b(\n  x=1,\n  y=2,\n  x=3)", 4, 3, "the argument `x` is given twice", None),
    ('a.b(v={"a": 1, a: 2})', 1, 16, "the key 'a' appears twice in one dict", None),
    ("a.b(v=[{k: 1, 'k': 2}])", 1, 15, "the key 'k' appears twice", None),
    # bad escapes
    (r'a.b("\q")', 1, 6, "unknown escape '\\q'", "escapes are"),
    (r"a.b('\x41')", 1, 6, "unknown escape '\\x'", "escapes are"),
    (r'a.b("ok \u12")', 1, 9, "\\u escape needs four hex digits", "4 hex digits"),
    (r'a.b("\uzzzz")', 1, 6, "\\u escape needs four hex digits", "4 hex digits"),
    ('a.b("""bad \\q""")', 1, 12, "unknown escape '\\q'", "escapes are"),
    # unterminated strings
    ('a.b("abc)', 1, 5, "unterminated string", 'close the string with "'),
    ("a.b('abc)", 1, 5, "unterminated string", "close the string with '"),
    ('a.b("abc\ndef")', 1, 5, "unterminated string", "triple quotes"),
    ('a.b("abc\\', 1, 5, "unterminated string", None),
    ('a.b(x="""abc\n', 1, 7, "unterminated triple-quoted string", 'close it with """'),
    # lone surrogates
    (r'a.b("\ud800")', 1, 5, "half of a surrogate pair", None),
    (r'a.b("\udc00\ud800")', 1, 5, "half of a surrogate pair", None),
    (r'a.b("x\ud83d")', 1, 5, "half of a surrogate pair", None),
    ('a.b("\ud800")', 1, 6, "U+D800 is half of a UTF-16 surrogate pair", None),
    ("# \udfff\na.b()", 1, 3, "U+DFFF", None),
    # other mistakes
    ("a.b(1 2)", 1, 7, "unexpected '2'", "separate arguments"),
    ("a.b(x=1 y=2)", 1, 9, "unexpected 'y'", "separate arguments"),
    ("a.b()c.d()", 1, 6, "unexpected 'c'", "separate statements"),
    ("x = 1", 1, 5, "unexpected '1'", "an assignment binds the result of a call"),
    ("a.b(x=+1)", 1, 7, "unexpected '+'", "no leading '+'"),
    ("a.b($)", 1, 5, "unexpected character '$'", "a reference is $"),
    ("a.b(@x)", 1, 5, "unexpected character '@'", "context.action(key=value)"),
    ("a..b()", 1, 3, "unexpected '.'; expected a name", None),
    ("a.b(\x00)", 1, 5, "unexpected character 'U+0000'", None),
    ("a.b(x=1)\n\n  c.d(,)", 3, 7, "unexpected ','", None),
]


@pytest.mark.parametrize(("text", "line", "column", "message", "hint"), ERRORS)
def test_syntax_errors(text: str, line: int, column: int, message: str, hint: str | None) -> None:
    with pytest.raises(ScintSyntaxError) as info:
        scint.parse(text)
    e = info.value
    assert (e.line, e.column) == (line, column), str(e)
    assert message in e.reason
    if hint is None:
        assert e.hint is None or isinstance(e.hint, str)
    else:
        assert e.hint is not None and hint in e.hint, e.hint
        assert f"hint: {e.hint}" in str(e)
    assert f"line {line}, column {column}: " in str(e)
    # The context shows the offending line with a caret under the column.
    shown, caret = e.context.split("\n")
    assert caret.index("^") - 2 == len(shown[2:][: column - 1].expandtabs(1)) or len(shown) > 100
    assert isinstance(e, ScintError)


def test_errors_name_what_was_expected() -> None:
    with pytest.raises(ScintSyntaxError) as info:
        scint.parse("a.b(k=)")
    assert info.value.expected == ("a value",)
    with pytest.raises(ScintSyntaxError) as info:
        scint.parse("a.b(1")
    assert set(info.value.expected) == {"')'", "','", "a new line"}
    assert "expected ')', ',' or a new line" in str(info.value)


def test_the_caret_points_into_long_lines() -> None:
    text = "a.b(" + ", ".join(str(i) for i in range(100)) + ", @)"
    with pytest.raises(ScintSyntaxError) as info:
        scint.parse(text)
    shown, caret = info.value.context.split("\n")
    assert shown[caret.index("^")] == "@"
    assert len(shown) < 120


# -- limits -------------------------------------------------------------------------------------------------------

D = Limits()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a.b()" + " " * D.max_program_chars, "characters; the limit is 1,000,000"),
        ("a.b()\n" * (D.max_statements + 1), "10,001 statements; the limit is 10,000"),
        ("a.b(" + "[" * D.max_depth + "]" * D.max_depth + ")", "nested 33 deep"),
        ("a.b(x=" + "{a: " * D.max_depth + "1" + "}" * D.max_depth + ")", "nested 33 deep"),
        ('a.b("' + "x" * (D.max_string_chars + 1) + '")', "a string of 262,145 characters"),
        ('a.b("""' + "x" * (D.max_string_chars + 1) + '""")', "a string of 262,145 characters"),
        ("a.b([" + "1," * (D.max_items + 1) + "])", "a list has 10,001 items"),
        ("a.b({" + "".join(f"k{i}: 1," for i in range(D.max_items + 1)) + "})", "a dict has 10,001 items"),
        ("a.b(" + "1," * (D.max_items + 1) + ")", "the call a.b(...) has 10,001 items"),
        ("a.b(x=9223372036854775808)", "outside the integer range"),
        ("a.b(x=-9223372036854775808)", "outside the integer range"),
        ("a.b(x=1e400)", "too large for a floating-point number"),
        ("a.b(x=-1.5e9999)", "too large for a floating-point number"),
    ],
)
def test_every_default_limit(text: str, message: str) -> None:
    with pytest.raises(LimitExceeded, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        scint.parse(text)


def test_values_at_the_limits_are_accepted() -> None:
    assert len(scint.parse("a.b()\n" * D.max_statements).statements) == D.max_statements
    assert scint.parse("a.b(" + "[" * (D.max_depth - 1) + "]" * (D.max_depth - 1) + ")")
    assert value('"' + "x" * D.max_string_chars + '"') == c("x" * D.max_string_chars)
    assert len(value("[" + "1," * D.max_items + "]").items) == D.max_items
    assert value("9223372036854775807") == c(2**63 - 1)
    assert value("1.7976931348623157e308") == c(1.7976931348623157e308)


@pytest.mark.parametrize(
    ("limits", "ok", "too_much", "message"),
    [
        (Limits(max_program_chars=10), "a.b(12345)", "a.b(123456)", "11 characters; the limit is 10"),
        (Limits(max_statements=2), "a.b();a.b()", "a.b();a.b();a.b()", "3 statements; the limit is 2"),
        (Limits(max_depth=2), "a.b([1])", "a.b([[1]])", "nested 3 deep"),
        (Limits(max_string_chars=3), 'a.b("abc")', 'a.b("abcd")', "a string of 4 characters; the limit is 3"),
        (Limits(max_string_chars=3), 'a.b("\\n\\n\\n")', 'a.b("\\n\\n\\n\\n")', "the limit is 3"),
        (Limits(max_items=2), "a.b([1, 2])", "a.b([1, 2, 3])", "a list has 3 items; the limit is 2"),
        (Limits(max_items=2), "a.b(1, k=2)", "a.b(1, k=2, j=3)", "has 3 items"),
        (Limits(max_int_bits=8), "a.b(255, -255)", "a.b(256)", "outside the integer range"),
        (Limits(max_int_bits=200), f"a.b({2**199})", f"a.b({2**200})", "2\\*\\*200"),
    ],
)
def test_custom_limits(limits: Limits, ok: str, too_much: str, message: str) -> None:
    assert scint.parse(ok, limits=limits).statements
    with pytest.raises(LimitExceeded, match=message):
        scint.parse(too_much, limits=limits)
    if limits.max_int_bits > 63:
        with pytest.raises(LimitExceeded):
            scint.parse(too_much)  # the default is stricter
    else:
        assert scint.parse(too_much).statements  # the default is looser


def test_limit_exceeded_is_a_scint_error_not_a_syntax_error() -> None:
    with pytest.raises(LimitExceeded) as info:
        scint.parse("a.b(x=1e999)")
    assert isinstance(info.value, ScintError)
    assert not isinstance(info.value, ScintSyntaxError)


# -- input types --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("thing", [None, b"a.b()", bytearray(b"a.b()"), 42, ["a.b()"], object()])
def test_non_text_input_raises_a_scint_error(thing: object) -> None:
    with pytest.raises(ScintError, match="a program is text"):
        scint.parse(thing)  # type: ignore[arg-type]


def test_str_subclasses_are_text() -> None:
    class Text(str):
        pass

    assert scint.parse(Text("a.b(1)")) == scint.parse("a.b(1)")


def test_format_rejects_non_programs() -> None:
    with pytest.raises(scint.BadArguments, match="takes a Program"):
        scint.format("a.b()")  # type: ignore[arg-type]
