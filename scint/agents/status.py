"""What `scint agents` lists: one row per process on the session's branch (SPEC section 9).

A row: path, status, why it may take no step now (`held`: its own or an ancestor's pause or stop, or its
budget), backend, model, what it has spent over its whole life (`used`) against its `budget`, and its unread
messages and pending proposals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scint.contexts.builtin import Process
from scint.contexts.usage import BUDGET_KEYS, why_not

if TYPE_CHECKING:
    from scint.session import Session

__all__ = ["agents"]


def agents(session: Session) -> list[dict[str, Any]]:
    """The processes of the session's branch, parents before children, as rows (plain data)."""
    view = session.view()
    processes = {p: view.get(p) for p in view.paths() if view.type_of(p) == Process.__scint_type__}
    pending: dict[str, int] = {}
    for proposal in session.proposals(status="pending"):
        proposer = str(proposal.get("proposer", ""))
        pending[proposer] = pending.get(proposer, 0) + 1
    rows = []
    for path, state in processes.items():
        used = state.get("used") if isinstance(state.get("used"), dict) else {}
        budget = state.get("budget") if isinstance(state.get("budget"), dict) else {}
        endpoint = state.get("endpoint") if isinstance(state.get("endpoint"), dict) else {}
        refused = why_not(processes.get, path)
        rows.append(
            {
                "path": path,
                "status": state.get("status"),
                "held": refused[0] if refused is not None else None,
                "backend": state.get("backend"),
                "model": state.get("model") or endpoint.get("model"),
                "used": {k: used.get(k, 0) for k in BUDGET_KEYS},
                "budget": {k: budget.get(k) for k in BUDGET_KEYS},
                "unread": len(session.inbox(path)),
                "proposals": pending.get(f"process:{path}", 0),
            }
        )
    return rows
