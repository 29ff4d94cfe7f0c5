"""Handles (SPEC section 14): a statement result too large to show a model whole is kept as a handle (`h1`, `h2`
... per branch, one `handle` event each, scint/core/mail.py) and reaches the model as the handle, a preview and
its size; the built-in `read(handle, page=1)` returns one page of it.

A handle belongs to the process whose tool call produced it; that process and every process below it may read
it (children inherit their parent's handles). People, and actors that are not processes, may read any.
"""

from __future__ import annotations

from typing import Any

from scint.contexts.base import did_you_mean
from scint.core.interpreter import Interpreter
from scint.core.mail import address_of
from scint.errors import ActionError, BadArguments, LimitExceeded, PermissionDenied

__all__ = ["MAX_HANDLES", "MAX_HANDLE_CHARS", "PAGE_CHARS", "pages_of", "read"]

PAGE_CHARS = 3_000  # characters of one page that `read` returns
MAX_HANDLE_CHARS = 1_000_000  # characters one handle keeps (a longer result is cut, and says so)
MAX_HANDLES = 100_000  # handles on one branch


def pages_of(chars: int) -> int:
    return max(1, -(-chars // PAGE_CHARS))


def may_read(actor: str, owner: str) -> bool:
    """Whether `actor` may read a handle that `owner` (a process path) holds: its own, or an ancestor's."""
    if not actor.startswith("process:"):
        return True
    me = address_of(actor)
    return me == owner or me.startswith(owner + ".")


def read(it: Interpreter, handle: str, page: int = 1) -> dict[str, Any]:
    """One page (3,000 characters) of a result too large to show whole, kept as `handle` ("h3"): returns
    handle, page, pages, chars and text. A tool output names the handle and its size."""
    mail = it.state.mail
    found = mail.handle(handle)
    if found is None or not may_read(it.actor, found["owner"]):
        mine = [h["id"] for h in mail.handles if may_read(it.actor, h["owner"])][-20:]
        if found is not None:
            raise PermissionDenied(
                f"{handle} belongs to {found['owner']}: {it.actor} may read only its own handles and those of the "
                "processes above it"
            )
        raise ActionError(
            f"there is no handle {handle!r:.40}{did_you_mean(str(handle), mine)}; yours: {', '.join(mine) or 'none'}"
        )
    text = found["text"]
    pages = pages_of(len(text))
    if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= pages:
        plural = "s" if pages != 1 else ""
        raise BadArguments(f"{handle} has {pages} page{plural}: page is from 1 to {pages}, not {page!r:.40}")
    start = (page - 1) * PAGE_CHARS
    piece = text[start : start + PAGE_CHARS]
    return {"handle": handle, "page": page, "pages": pages, "chars": len(text), "text": piece}


def keep(it: Interpreter, owner: str, text: str) -> str:
    """Record a handle for `owner` holding `text` (cut to MAX_HANDLE_CHARS); returns its id. The runtime calls
    this (a process's tool call made a large result), never a program."""
    if len(it.state.mail.handles) >= MAX_HANDLES:
        raise LimitExceeded(f"a branch holds at most {MAX_HANDLES:,} handles")
    if len(text) > MAX_HANDLE_CHARS:
        text = text[: MAX_HANDLE_CHARS - 60] + f"... (cut: {len(text):,} characters in all)"
    return it.record("", "handle", {"owner": owner, "text": text})
