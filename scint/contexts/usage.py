"""A process's budget and holds, read from plain state (SPEC section 9): what its steps have spent over its whole
life against its `budget`, and whether a pause or stop (its own, or of a process above it) holds it.

`budget` and `used` are {"steps": int, "tokens": int, "seconds": number}; a key missing from `budget` is no
limit. The runner (scint/llm/process.py) asks `why_not(lookup, path)` before every step, and `scint agents` shows
the same answers; both read states as stored, so a stored value of the wrong shape counts as no limit, never as
an error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from scint.errors import BadArguments

__all__ = ["BUDGET_KEYS", "add_usage", "check_budget", "held", "over_budget", "why_not"]

BUDGET_KEYS = ("steps", "tokens", "seconds")
MAX_BUDGET = 10**15


def _amount(value: Any) -> float | None:
    """A budget or usage figure, or None when the stored value is not one."""
    if type(value) in (int, float) and math.isfinite(value) and value >= 0:
        return value
    return None


def check_budget(budget: Any, where: str) -> None:
    """A budget as a person or a file gives it: steps and tokens whole numbers, seconds a number, none negative."""
    if not isinstance(budget, dict):
        raise BadArguments(f"{where}: a budget is a dict such as {{steps = 20, tokens = 50000, seconds = 600}}")
    for key, value in budget.items():
        if key not in BUDGET_KEYS:
            raise BadArguments(f"{where}: a budget has steps, tokens and seconds, not `{str(key)[:40]}`")
        kinds = (int,) if key != "seconds" else (int, float)
        if type(value) not in kinds or _amount(value) is None or value > MAX_BUDGET:
            what = "a whole number" if key != "seconds" else "a number"
            raise BadArguments(f"{where}: budget `{key}` must be {what} from 0 to {MAX_BUDGET:,}, not {value!r:.40}")


def add_usage(used: Any, step: dict[str, Any]) -> dict[str, Any]:
    """`used` plus what one step spent (a new dict; seconds kept to the millisecond)."""
    base = used if isinstance(used, dict) else {}
    out = {}
    for key in BUDGET_KEYS:
        total = (_amount(base.get(key)) or 0) + (_amount(step.get(key)) or 0)
        out[key] = round(total, 3) if key == "seconds" else int(total)
    return out


def _figure(key: str, value: float) -> str:
    return f"{value:,.1f}" if key == "seconds" and value != int(value) else f"{int(value):,}"


def over_budget(state: dict[str, Any]) -> str | None:
    """Why the process whose state this is may take no more steps ("budget: 20 of 20 steps used"), or None."""
    budget = state.get("budget")
    used = state.get("used")
    if not isinstance(budget, dict):
        return None
    used = used if isinstance(used, dict) else {}
    for key in BUDGET_KEYS:
        limit = _amount(budget.get(key))
        spent = _amount(used.get(key)) or 0
        if limit is not None and spent >= limit:
            return f"budget: {_figure(key, spent)} of {_figure(key, limit)} {key} used"
    return None


def held(lookup: Callable[[str], dict[str, Any] | None], path: str) -> str | None:
    """Why the process at `path` is held ("paused by human: lunch", "research is stopped by human"), or None.
    `lookup(p)` is the state of the process at `p`, or None when `p` is not a process."""
    parts = path.split(".")
    for k in range(len(parts), 0, -1):
        above = ".".join(parts[:k])
        state = lookup(above)
        hold = state.get("hold") if state is not None else None
        if isinstance(hold, dict):
            what = f"{hold.get('status', 'paused')} by {hold.get('by', 'someone')}"
            reason = hold.get("reason")
            text = what + (f": {reason}" if isinstance(reason, str) and reason else "")
            return text if above == path else f"{above} is {text}"
    return None


def why_not(lookup: Callable[[str], dict[str, Any] | None], path: str) -> tuple[str, bool] | None:
    """Why the process at `path` may take no step now, and whether it is its budget (else a hold); or None."""
    reason = held(lookup, path)
    if reason is not None:
        return reason, False
    state = lookup(path)
    reason = over_budget(state) if state is not None else None
    return (reason, True) if reason is not None else None
