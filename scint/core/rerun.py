"""What a rerun does with the history statements of the programs it re-runs.

A rerun writes only to its own new branch. A recorded `history.branch(...)` or `history.checkout(...)` inside a
re-run program would create or move to another branch (and move the store's current branch), so in a rerun they
do nothing: the program goes on on the rerun branch, and the RerunReport lists each statement ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["RerunGuard"]


class RerunGuard:
    """Set on the session a rerun runs its programs in: notes the history statements ignored, per program."""

    def __init__(self) -> None:
        self.program: tuple[str, int] = ("", 0)  # the re-run program's id and original version
        # (program id, version, statement number, statement): a set that keeps order, so a program run again
        # after a write conflict adds nothing
        self._ignored: dict[tuple[str, int, int, str], None] = {}
        # Called with the session after each program it commits (a rerun's swaps of models: scint/session/swaps.py)
        self.after: Callable[[Any], None] | None = None

    def ignore(self, it: Any, name: str) -> str:
        """Note the statement the interpreter `it` is at as ignored in the current program; returns `name`, what
        the statement returns."""
        source, index = it._where
        self._ignored[(*self.program, index, source)] = None
        return name

    @property
    def ignored(self) -> tuple[tuple[str, int, str], ...]:
        """(program id, original version, statement) of every history statement ignored, in order."""
        return tuple((pid, version, source) for pid, version, _, source in self._ignored)
