"""Every error Scint raises on purpose, in one tree.

```
ScintError                      the root: catch this to catch everything Scint raises
├── ScintSyntaxError            the text is not Scint (line, column, caret, what was expected, a hint)
├── LimitExceeded               an input is over one of the configured bounds
├── ResolutionError             a statement names something that does not exist or does not fit
│   ├── UnknownContext          no context at that path ("did you mean")
│   ├── UnknownAction           the context has no such action or query ("did you mean")
│   └── BadArguments            missing, unknown or mistyped arguments ("did you mean")
├── ActionError                 the context refused (e.g. a Task started twice, a missing key)
├── ConflictError               the head moved on and retrying did not help; or a name is taken
├── PermissionDenied            the actor may not touch that context
│   └── NeedsApproval           the program calls an action that needs approval: recorded as a proposal
├── StoreError                  the store could not be opened, read or written
├── ModuleError                 an extension module is missing, circular, broken, or its init/exit hook failed
├── HistoryError                a version, branch or exported history is invalid
├── ConfigError                 a `scint.toml` is invalid (every problem: file, line, dotted key, "did you mean")
└── LLMError                    the model could not produce a valid program, or its service failed
```

Messages are written for people and for LLMs alike: they say what was wrong, where, and what would be right.
"""

from __future__ import annotations

__all__ = [
    "ActionError",
    "BadArguments",
    "ConfigError",
    "ConflictError",
    "HistoryError",
    "LLMError",
    "LimitExceeded",
    "ModuleError",
    "NeedsApproval",
    "PermissionDenied",
    "ResolutionError",
    "ScintError",
    "ScintSyntaxError",
    "StoreError",
    "UnknownAction",
    "UnknownContext",
]


class ScintError(Exception):
    """The root of every error Scint raises on purpose.

    `statement` (1-based index) and `source` (the statement's text) are set when the error belongs to one
    statement of a program.
    """

    def __init__(self, message: str, *, statement: int | None = None, source: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.statement = statement
        self.source = source

    def at_statement(self, index: int, source: str) -> ScintError:
        """Name the statement this error belongs to (once; the innermost statement wins)."""
        if self.statement is None:
            self.statement = index
            self.source = source
            self.args = (f"statement {index} `{_clip(source)}`: {self.message}",)
        return self

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else self.message


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ScintSyntaxError(ScintError):
    """The text is not a Scint program.

    Carries `line` and `column` (1-based), `context` (the offending line with a caret under the column),
    `expected` (sorted names of what would have been accepted) and `hint` (a targeted suggestion, or None).
    """

    def __init__(
        self,
        message: str,
        *,
        line: int,
        column: int,
        context: str = "",
        expected: tuple[str, ...] = (),
        hint: str | None = None,
    ) -> None:
        self.line = line
        self.column = column
        self.context = context
        self.expected = expected
        self.hint = hint
        self.reason = message
        text = f"line {line}, column {column}: {message}"
        if hint:
            text += f"\n  hint: {hint}"
        if context:
            text += "\n" + context
        super().__init__(text)


class LimitExceeded(ScintError):
    """An input is larger than a configured bound (program size, statements, nesting, strings, lists, numbers)."""


class ResolutionError(ScintError):
    """A statement names something that does not exist or does not fit its signature."""


class UnknownContext(ResolutionError):
    """No context exists at the path a statement names."""


class UnknownAction(ResolutionError):
    """The context exists but has no action or query by that name."""


class BadArguments(ResolutionError):
    """Arguments are missing, unknown, duplicated or of the wrong type."""


class ActionError(ScintError):
    """The context refused the action (its own rules said no)."""


class ConflictError(ScintError):
    """A concurrent change won and retrying did not help, or a name is already taken."""


class PermissionDenied(ScintError):
    """The actor may not change or read that context."""


class NeedsApproval(PermissionDenied):
    """The program calls an action that needs a person's approval (a process's `approve` globs, or
    `ask(..., approve=True)`): nothing was applied; it was recorded as a proposal instead.

    `proposal` holds the proposal as plain data (id, proposer, program, version, status, error)."""

    def __init__(self, message: str, *, proposal: dict | None = None) -> None:
        super().__init__(message)
        self.proposal = proposal or {}


class StoreError(ScintError):
    """The store could not be opened, read or written."""


class ModuleError(ScintError):
    """An extension module (or backend) is not installed, requires one that is not, is part of a dependency
    cycle, cannot be loaded, or its init/exit hook failed; the message names the module."""


class HistoryError(ScintError):
    """A version, branch or exported history is invalid (unknown, out of range, truncated or tampered)."""


class ConfigError(ScintError):
    """A declaration file (`scint.toml`) is not valid; nothing was written.

    `problems` holds every problem found (up to a bound) as (line, dotted key, message) triples; the message
    names the file and lists them, one per line: `scint.toml:12: processes."research.lit".modle: ...`.
    """

    def __init__(self, message: str, *, problems: tuple[tuple[int | None, str, str], ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class LLMError(ScintError):
    """The model did not produce a valid program within the retries, or its service failed."""
