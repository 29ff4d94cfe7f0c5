"""Before a process spawns a child (SPEC section 9): what the child will be granted is checked first.

`self.spawn(name="s1", template="summarizer", goal=...)` gives the child the template's declaration. Its `can`
must be within the spawning process's own capabilities (and its parents': `actor_capabilities` of that process),
whoever asks for the spawn, and within the actor's when the actor is held to capabilities: a template that grants
more is PermissionDenied naming the template. An unknown or unlisted template is refused by the spawn itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scint.contexts.builtin import Process
from scint.core.capabilities import actor_capabilities, check_grant
from scint.errors import PermissionDenied

__all__ = ["check_spawn"]


def check_spawn(process: Process, bound: dict[str, Any], contexts: Mapping[str, Any], grant: Any) -> None:
    """Check the child `process.spawn(**bound)` would make. `grant(path, settings)` is the actor's own check
    (the interpreter's `check_grant`: valid globs, no more than the actor has)."""
    settings = process.spawned(bound["goal"], bound.get("model"), bound.get("template"))
    child = f"{process.path}.{bound['name']}"
    granted = settings.get("can")
    if granted is None:
        return  # the default: held to its parents' capabilities on every call anyway
    grant(child, {"approve": settings.get("approve")})  # valid globs
    own = actor_capabilities(f"process:{process.path}", contexts)
    try:
        check_grant(own, f"process:{process.path}", child, granted)
    except PermissionDenied as exc:
        raise PermissionDenied(
            f'the template "{bound["template"]}" grants more than {process.path} has: {exc.message}'
        ) from None
    grant(child, {"can": granted})  # and no more than the actor asking for the spawn has
