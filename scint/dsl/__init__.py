"""The Scint language: grammar, parser, AST, canonical formatter and syntax errors."""

from scint.dsl.ast import Assign, Call, Const, DictValue, Keyword, ListValue, Program, Ref, Span
from scint.dsl.formatter import format_program, format_statement, format_value, literal, quote
from scint.dsl.grammar import grammar_path, grammar_text, lark_parser
from scint.dsl.limits import DEFAULT_LIMITS, Limits
from scint.dsl.parser import parse

__all__ = [
    "DEFAULT_LIMITS",
    "Assign",
    "Call",
    "Const",
    "DictValue",
    "Keyword",
    "Limits",
    "ListValue",
    "Program",
    "Ref",
    "Span",
    "format_program",
    "format_statement",
    "format_value",
    "grammar_path",
    "grammar_text",
    "lark_parser",
    "literal",
    "parse",
    "quote",
]
