"""Load `grammar/scint.lark`, the single source of truth for the language.

In a wheel the file is package data (`scint/grammar/scint.lark`); in an editable install or a source checkout
it is read from the repository's top-level `grammar/` folder.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import lark

GRAMMAR_NAME = "scint.lark"


def grammar_path() -> Path:
    """Where the grammar file is read from."""
    packaged = resources.files("scint").joinpath("grammar").joinpath(GRAMMAR_NAME)
    if packaged.is_file():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "grammar" / GRAMMAR_NAME
    if checkout.is_file():
        return checkout
    raise FileNotFoundError(f"Scint's grammar {GRAMMAR_NAME} is missing from the installation")


@functools.cache
def grammar_text() -> str:
    """The text of `grammar/scint.lark`."""
    return grammar_path().read_text(encoding="utf-8")


@functools.cache
def lark_parser() -> lark.Lark:
    """Lark's LALR parser for the grammar (the reference implementation; `scint.parse` drives its tables)."""
    return lark.Lark(grammar_text(), parser="lalr", lexer="basic", maybe_placeholders=False)
