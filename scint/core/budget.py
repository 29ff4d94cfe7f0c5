"""Bounds on the values a program builds and reads back at run time (`Limits.max_value_*`, `max_run_*`).

Program text is bounded by the parser, but references let a short program build large values: `[$a, $a]` doubles
`$a`. Every value that enters the interpreter (a call's arguments, an action's or query's result, a built-in's
answer) is copied through `Budget.copy`, which counts items and characters as it copies and stops at the first
one past a bound, so an oversized value costs at most the bound to refuse, never its own size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scint.dsl import DEFAULT_LIMITS, Limits
from scint.errors import LimitExceeded

__all__ = ["MAX_VALUE_DEPTH", "Budget"]

MAX_VALUE_DEPTH = 64  # nesting of one value (as scint.contexts.types.is_json); keeps copies off Python's stack limit


class _Over(Exception):
    """Internal: a copy went past a bound (which one is in `what`)."""

    def __init__(self, what: str) -> None:
        self.what = what


class Budget:
    """What one program may still build and read back: counts items and characters of every value it copies."""

    __slots__ = ("chars", "items", "limits")

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or DEFAULT_LIMITS
        self.items = 0  # counted so far, over the whole program
        self.chars = 0

    def copy(self, value: Any, what: str | Callable[[], str]) -> Any:
        """A deep copy of one value (lists and dicts copied; other values shared), counted against the bounds of
        one value and of the program; `what` names the value in the error (or makes its name: the hot path of
        every statement formats it only when there is an error)."""
        lim = self.limits
        item_cap = min(lim.max_value_items, lim.max_run_items - self.items)
        char_cap = min(lim.max_value_chars, lim.max_run_chars - self.chars)
        counter = [0, 0]
        try:
            out = _copy(value, counter, item_cap, char_cap, 0)
        except _Over as over:
            raise self._error(over.what, what if type(what) is str else what()) from None
        self.items += counter[0]
        self.chars += counter[1]
        return out

    def _error(self, kind: str, what: str) -> LimitExceeded:
        lim = self.limits
        if kind == "depth":
            return LimitExceeded(f"{what} is nested more than {MAX_VALUE_DEPTH} deep")
        one = lim.max_value_items if kind == "items" else lim.max_value_chars
        total = lim.max_run_items if kind == "items" else lim.max_run_chars
        spent = self.items if kind == "items" else self.chars
        unit = "items" if kind == "items" else "characters of text"
        if total - spent < one:
            return LimitExceeded(
                f"{what} would take the program past {total:,} {unit} built and read back in all "
                f"(Limits.max_run_{kind}); split the work into several programs"
            )
        return LimitExceeded(
            f"{what} holds more than {one:,} {unit} (Limits.max_value_{kind}); "
            "store and read it in smaller parts"
        )


def _copy(value: Any, counter: list[int], item_cap: int, char_cap: int, depth: int) -> Any:
    """Copy `value`, adding its items and characters to `counter`; raise _Over past a cap. Scalars in a list or
    dict are counted in place (no call per item): this is the hot path of every statement."""
    t = type(value)
    if t is str:
        counter[0] += 1
        counter[1] += len(value)
    elif t is list or t is dict:
        if depth > MAX_VALUE_DEPTH:
            raise _Over("depth")
        counter[0] += 1 + (len(value) if t is list else 2 * len(value))
        if counter[0] > item_cap:  # refuse a long list or dict before walking it
            raise _Over("items")
        if t is list:
            out: Any = []
            add = out.append
            for v in value:
                tv = type(v)
                if tv is list or tv is dict:
                    counter[0] -= 1  # counted again by the call
                    add(_copy(v, counter, item_cap, char_cap, depth + 1))
                else:
                    if tv is str:
                        counter[1] += len(v)
                    add(v)
        else:
            out = {}
            for k, v in value.items():
                if type(k) is str:
                    counter[1] += len(k)
                tv = type(v)
                if tv is list or tv is dict:
                    counter[0] -= 1
                    out[k] = _copy(v, counter, item_cap, char_cap, depth + 1)
                else:
                    if tv is str:
                        counter[1] += len(v)
                    out[k] = v
        if counter[1] > char_cap:
            raise _Over("chars")
        return out
    else:
        counter[0] += 1
    if counter[0] > item_cap:
        raise _Over("items")
    if counter[1] > char_cap:
        raise _Over("chars")
    return value
