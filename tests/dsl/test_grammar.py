"""`grammar/scint.lark` is valid for OpenAI's constrained decoding (llguidance) as well as for Lark, and the two
accept the same programs, byte by byte."""

from __future__ import annotations

import re

import lark
import llguidance
import llguidance.tiktoken
import pytest
import tiktoken
from hypothesis import HealthCheck, given, settings
from llguidance import LLMatcher

import scint
from scint.dsl import grammar_text, lark_parser
from tests.dsl.strategies import texts


@pytest.fixture(scope="module")
def tokenizer() -> llguidance.LLTokenizer:
    enc = tiktoken.Encoding(
        name="bytes",
        pat_str=r"[\s\S]",
        mergeable_ranks={bytes([i]): i for i in range(256)},
        special_tokens={"<|endoftext|>": 256},
    )
    return llguidance.tiktoken.lltokenizer_from_encoding(enc)


@pytest.fixture(scope="module")
def compiled() -> str:
    return LLMatcher.grammar_from_lark(grammar_text())


def guidance_accepts(tokenizer: llguidance.LLTokenizer, compiled: str, text: str) -> bool:
    matcher = LLMatcher(tokenizer, compiled)
    return matcher.consume_tokens(tokenizer.tokenize_str(text)) and matcher.is_accepting()


def lark_accepts(text: str) -> bool:
    try:
        lark_parser().parse(text)
    except lark.exceptions.LarkError:
        return False
    return True


def test_llguidance_validates_the_grammar_without_warnings() -> None:
    assert LLMatcher.validate_grammar_with_warnings(LLMatcher.grammar_from_lark(grammar_text())) == (False, [])


@pytest.mark.parametrize("terminal", ["/a(?=b)/", "/a(?!b)/", "/(?<=a)b/"])
def test_llguidance_reports_a_broken_grammar(terminal: str) -> None:
    """The check above can fail: grammars with lookarounds are refused. (llguidance takes lazy quantifiers,
    which OpenAI does not: the text check below covers those.)"""
    try:
        is_error, messages = LLMatcher.validate_grammar_with_warnings(
            LLMatcher.grammar_from_lark(f"start: ODD\nODD: {terminal}\n")
        )
    except ValueError:
        return  # refused outright
    assert is_error or messages


def _code(text: str) -> str:
    """The grammar without comments (so that prose about the rules does not trip the checks)."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


def test_the_grammar_uses_only_what_constrained_decoding_supports() -> None:
    code = _code(grammar_text())
    regexes = re.findall(r"/((?:[^/\\\n]|\\.)+)/", code)
    assert regexes, "the check found no regex terminals"
    for rx in regexes:
        assert "(?=" not in rx and "(?!" not in rx and "(?<" not in rx, f"lookaround in /{rx}/"
        assert not re.search(r"[*+?}]\?", rx.replace("\\?", "")), f"lazy quantifier in /{rx}/"
        assert not re.search(r"(?<!\\)[*+](?![^\[]*\])", rx) or "]*" not in rx, f"unbounded repetition in /{rx}/"
    assert not re.search(r"^\s*[A-Za-z_]+\.\-?\d+\s*:", code, re.M), "terminal or rule priority"
    assert not re.search(r"^\s*[?!]?_?[a-z_]+\{", code, re.M), "template"
    assert "%declare" not in code
    for imp in re.findall(r"^\s*%import\s+(\S+)", code, re.M):
        assert imp.startswith("common."), imp
    # every terminal is bounded: no `*` or `+` in a regex except inside a character class
    for rx in regexes:
        outside_classes = re.sub(r"\[(?:[^\]\\]|\\.)*\]", "", rx)
        assert "*" not in outside_classes and "+" not in outside_classes.replace("\\+", ""), f"unbounded /{rx}/"


def test_lark_builds_an_lalr_parser_from_the_grammar() -> None:
    parser = lark.Lark(grammar_text(), parser="lalr", lexer="basic")
    assert parser.parse("a.b(1)").data == "start"


AGREED = [
    # valid
    "",
    "a.b()",
    "  a.b()",
    "\ta.b()",
    "# leading comment\na.b()",
    "   # indented leading comment\n\n a.b()\n",
    "# only a comment",
    "a.b() # trailing comment",
    "a.b() # c\nc.d()",
    "a.b(x=1)#",
    "a.b()\n# closing comment",
    "#\n#",
    "a.b(); # c",
    'x = notes.put(key="a", value=[1, 2.5, -3e2, true, false, null, {a: 1, "b": $m.c[0]["d"]}])',
    "a.b(1, 2, k=3,)",
    "a.b(\n  1,\n  k=[\n    2,\n  ],\n)",
    "a.b(x={\n  a: 1,  # c\n  'b': 2\n})",
    'a.b(x="""multi\nline "quoted" ""twice"" """)',
    "a.b(x='it\\'s \\u00e9 \\ud83d\\ude00')",
    "a.b(); c.d();; e.f()",
    "a.b()\r\n\r\nc.d()",
    "a.b(x=-0, y=1e5, z=1.5E-3)",
    "nullable.trueish(falsey=1)",
    "a.b(x=$_)",
    # invalid
    "a.b(",
    "a.b(True)",
    "a.b(key: 1)",
    "a.b(key=milk)",
    "notes->put()",
    "a.b(x=\u201cq\u201d)",
    "a.b(x=c.d())",
    "a.b(x=1, 2)",
    "a.b(x=007)",
    "a.b(x=1.)",
    "a.b(x=- 1)",
    'a.b(x="\\q")',
    'a.b(x="abc)',
    'a.b(x="a\nb")',
    "a.b() c.d()",
    "x = 1",
    "a.b(,)",
    "a..b()",
    "x" * 129 + ".b()",
    "a.b(" + "1" * 65 + ")",
    'a.b(x="""a"""")',
]


@pytest.mark.parametrize("text", AGREED)
def test_llguidance_and_lark_agree(tokenizer: llguidance.LLTokenizer, compiled: str, text: str) -> None:
    assert guidance_accepts(tokenizer, compiled, text) == lark_accepts(text)


# Where a name is wanted, llguidance lexes `true` as a name; the grammar makes true/false/null names there too
# (`_name`), so Lark and Scint accept what constrained decoding can produce.
KEYWORDS_AS_NAMES = ["true.b()", "a.b(null=1)", "a.b(x={true: 1})", "a.b(x=$m.false)", "null = a.b(true)"]


@pytest.mark.parametrize("text", KEYWORDS_AS_NAMES)
def test_keywords_where_names_are_wanted(tokenizer: llguidance.LLTokenizer, compiled: str, text: str) -> None:
    assert guidance_accepts(tokenizer, compiled, text)
    assert lark_accepts(text)
    assert scint.parse(text) == scint.parse(scint.format(scint.parse(text)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts())
def test_llguidance_and_lark_agree_on_generated_programs(
    tokenizer: llguidance.LLTokenizer, compiled: str, text: str
) -> None:
    assert guidance_accepts(tokenizer, compiled, text) == lark_accepts(text), text
