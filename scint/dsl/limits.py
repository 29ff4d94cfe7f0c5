"""Bounds on every input. Each is checked where the input is read, and breaking one raises `LimitExceeded`."""

from __future__ import annotations

import attrs

from scint.errors import BadArguments

# Nesting is walked recursively after parsing (formatting, comparing, evaluating): keep it well inside Python's
# recursion limit whatever a caller configures.
MAX_DEPTH_CEILING = 200


def _positive(instance: object, attribute: attrs.Attribute, value: int) -> None:  # type: ignore[type-arg]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadArguments(f"Limits.{attribute.name} must be a whole number of at least 1, not {value!r}")


def _depth(instance: object, attribute: attrs.Attribute, value: int) -> None:  # type: ignore[type-arg]
    _positive(instance, attribute, value)
    if value > MAX_DEPTH_CEILING:
        raise BadArguments(f"Limits.max_depth is at most {MAX_DEPTH_CEILING}, not {value}")


@attrs.frozen(slots=True, cache_hash=True)  # the parse cache hashes it per program
class Limits:
    """Bounds on a program's text and on the values it builds at run time. Pass your own to
    `scint.parse(text, limits=...)` or `scint.open(url, limits=...)`.

    Run-time values (a call's arguments once `$references` are filled in, an action's or query's result, a value
    read back from state) are measured in items (every null, bool, number, string, list, dict and dict entry
    counts one) and characters (of their strings and keys). `max_value_*` bound one value, `max_run_*` the
    sum over everything one program builds and reads back (its events' arguments included). Breaking one is a
    `LimitExceeded` raised before the value is copied further, and the program records nothing.
    """

    max_program_chars: int = attrs.field(default=1_000_000, validator=_positive)
    max_statements: int = attrs.field(default=10_000, validator=_positive)
    max_depth: int = attrs.field(default=32, validator=_depth)  # nesting of brackets; a call's parentheses count
    max_string_chars: int = attrs.field(default=262_144, validator=_positive)
    max_items: int = attrs.field(default=10_000, validator=_positive)  # of one list or dict, arguments of a call
    max_int_bits: int = attrs.field(default=63, validator=_positive)  # integers lie in (-2**63, 2**63)
    max_value_items: int = attrs.field(default=100_000, validator=_positive)
    max_value_chars: int = attrs.field(default=4_000_000, validator=_positive)
    max_run_items: int = attrs.field(default=1_000_000, validator=_positive)
    max_run_chars: int = attrs.field(default=32_000_000, validator=_positive)
    # What a model reads: a statement result longer than this (as JSON) reaches a process's model as a handle (`h3`)
    # with a preview and its size; `read(handle, page=1)` returns one page (SPEC 14).
    result_chars: int = attrs.field(default=4_000, validator=_positive)


DEFAULT_LIMITS = Limits()


def check_limits(limits: object) -> Limits:
    """`limits`, or the defaults for None; anything else is BadArguments."""
    if limits is None:
        return DEFAULT_LIMITS
    if not isinstance(limits, Limits):
        raise BadArguments(f"limits must be a scint.Limits or None, not {type(limits).__name__} {limits!r:.60}")
    return limits
