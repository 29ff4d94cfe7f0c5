"""The clock a process run measures its steps by (SPEC section 9: a budget's `seconds`).

Every step's wall time is `clock()` after the step minus `clock()` before it, resolved while the run goes and
stored in the step's event, so replay never measures again. Tests replace `clock` (monkeypatch
`scint.llm.control.clock`) to spend seconds without waiting for them.
"""

from __future__ import annotations

import time

__all__ = ["clock"]


def clock() -> float:
    """Seconds on a monotonic clock (only differences mean anything)."""
    return time.monotonic()
