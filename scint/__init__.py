"""Scint: one small, exact language for changing and inspecting shared state, with every change remembered."""

from scint.dsl import Program, parse
from scint.dsl import format_program as format
from scint.errors import (
    ActionError,
    BadArguments,
    ConflictError,
    HistoryError,
    LimitExceeded,
    LLMError,
    PermissionDenied,
    ResolutionError,
    ScintError,
    ScintSyntaxError,
    StoreError,
    UnknownAction,
    UnknownContext,
)

__version__ = "0.1.0"

__all__ = [
    "ActionError",
    "BadArguments",
    "ConflictError",
    "HistoryError",
    "LLMError",
    "LimitExceeded",
    "PermissionDenied",
    "Program",
    "ResolutionError",
    "ScintError",
    "ScintSyntaxError",
    "StoreError",
    "UnknownAction",
    "UnknownContext",
    "format",
    "parse",
]
