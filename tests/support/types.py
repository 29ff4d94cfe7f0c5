"""Context types used by tests in several processes (registered by whoever uses them, never on import)."""

from __future__ import annotations

import scint


class WorkCounter(scint.Context):
    """Counts things (the SPEC's Counter, under its own name so the registry stays clean for other tests)."""

    n: int = 0
    seen: list[str] = []

    @scint.action
    def incr(self, by: int = 1, who: str | None = None) -> int:
        """Add `by` to the counter and return the new value."""
        self.n += by
        if who is not None:
            self.seen.append(who)
        return self.n

    @scint.query
    def value(self) -> int:
        """The current count."""
        return self.n
