"""Checks of the Python API's own arguments: a wrong type is a BadArguments naming the argument, never an
AttributeError or TypeError from deeper down."""

from __future__ import annotations

from typing import Any

from scint.errors import BadArguments

__all__ = ["check_callable", "check_flag", "check_provider", "check_type"]


def _shown(value: Any) -> str:
    return f"{type(value).__name__} {value!r:.60}"


def check_type(value: Any, name: str, *types: type, optional: bool = False) -> Any:
    """`value` if it is one of `types` (bools are not ints) or, with `optional`, None; else BadArguments."""
    if value is None and optional:
        return value
    if isinstance(value, types) and not (type(value) is bool and bool not in types):
        return value
    wanted = " or ".join(t.__name__ for t in types) + (" or None" if optional else "")
    raise BadArguments(f"{name} must be {wanted}, not {_shown(value)}")


def check_flag(value: Any, name: str) -> bool:
    return check_type(value, name, bool)


def check_callable(value: Any, name: str) -> Any:
    if value is not None and not callable(value):
        raise BadArguments(f"{name} must be a function or None, not {_shown(value)}")
    return value


def check_provider(value: Any, name: str = "provider") -> Any:
    """A language-model provider (scint.llm.Provider: `complete`, `api`, `tool_kind`), or None."""
    if value is not None and not (
        callable(getattr(value, "complete", None)) and hasattr(value, "api") and hasattr(value, "tool_kind")
    ):
        raise BadArguments(
            f"{name} must be a scint.llm provider (such as scint.llm.MockProvider or OpenAIProvider), "
            f"not {_shown(value)}"
        )
    return value
