"""Bounds on every input. Each is checked where the input is read, and breaking one raises `LimitExceeded`."""

from __future__ import annotations

import attrs


@attrs.frozen(slots=True)
class Limits:
    """Bounds on a program's text and the values in it. Pass your own to `scint.parse(text, limits=...)`."""

    max_program_chars: int = 1_000_000
    max_statements: int = 10_000
    max_depth: int = 32  # nesting of brackets: a call's parentheses count as one level
    max_string_chars: int = 262_144
    max_items: int = 10_000  # elements of one list or dict, arguments of one call
    max_int_bits: int = 63  # integers lie in (-2**63, 2**63)


DEFAULT_LIMITS = Limits()
