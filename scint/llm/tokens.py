"""Counting tokens where the tokenizer is known.

OpenAI's current models read o200k tokens. `bpe-openai` ships that table, so counting needs no network; tiktoken
is not used here because it downloads its table on first use. Without `bpe-openai`, `o200k()` is None and a token
budget is taken as four characters a token: characters stay the contract (SPEC 14).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

__all__ = ["CHARS_PER_TOKEN", "o200k"]

CHARS_PER_TOKEN = 4  # the estimate when no tokenizer is installed


@functools.cache
def o200k() -> Callable[[str], int] | None:
    """A function counting the o200k tokens of a text, or None when no tokenizer is installed."""
    try:
        import bpe_openai

        encoding = bpe_openai.get_encoding("o200k_base")
    except Exception:  # not installed, or its table would not load: fall back to the estimate
        return None
    return lambda text: len(encoding.encode_ordinary(text))
