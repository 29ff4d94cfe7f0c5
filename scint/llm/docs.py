"""What the model reads: the cheat sheet generated from the registered types, the instructions, and a view of
the current state cut to a token budget."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scint.contexts.help import cheat_sheet, tool_lines
from scint.contexts.registry import registered

if TYPE_CHECKING:
    from scint.llm.host import Host

__all__ = ["ASK_INSTRUCTIONS", "PROCESS_INSTRUCTIONS", "STATE_BUDGET", "cheat", "describe_state", "state_text"]

STATE_BUDGET = 1_500  # tokens of state shown to the model (about 4 characters a token)

ASK_INSTRUCTIONS = """\
You work on shared state by writing Scint programs (the language is described in the `scint` tool). Turn the \
user's request into ONE program and call the `scint` tool with it. Use the contexts that exist; create contexts \
only when asked to keep something new. Bind results you need later (t = ...add_task(...)) and read them with \
$t, so the whole request is one program. Do not run processes (`<process>.run()`): a person starts those. If \
the tool reports an error, nothing was changed: fix the program and call the tool again."""

PROCESS_INSTRUCTIONS = """\
You are the process `{path}`. Work towards your goal by calling the `scint` tool with Scint programs (the \
language is described in the tool). In programs `self` names you ({path}); other paths are absolute. You may \
call only what your capabilities allow (the tool lists exactly that; by default: your own subtree `self.**`, \
help, contexts and your messages). Break the work into tasks (self.add_task), spawn \
child processes for sub-goals (self.spawn(name=..., goal=...)) and run one with `self.<name>.run(max_steps=N)` \
as a program of its own; its answer comes back as the result. Each program is atomic: on an error nothing \
changed, so fix it and try again. When the goal is reached, answer in plain text without calling the tool: \
that answer is your result."""


def cheat(session: Host, actor: str | None = None) -> str:
    """The cheat sheet: the language, the built-ins, and every registered type's actions, one line each; for an
    `actor` held to capabilities, only what it may call (an action counts when some context of its type, or a
    new one under the actor's own process, allows it)."""
    contexts, functions, history, allows = session.callables(actor)
    allowed = None
    if allows is not None:
        own = actor[len("process:") :] if actor and actor.startswith("process:") else None
        paths: dict[str, list[str]] = {}
        for path, ctx in contexts.items():
            paths.setdefault(type(ctx).__scint_type__, []).append(path)

        def allowed(type_name: str, action: str) -> bool:
            candidates = paths.get(type_name, [])
            if own is not None:
                candidates = [*candidates, f"{own}.new"]  # a context it could create under itself
            return any(allows(p, action) for p in candidates)

    return cheat_sheet(registered(), functions, history, allowed=allowed, tools=tool_lines(dict(contexts), allows))


def state_text(session: Host, path: str | None = None, budget_tokens: int = STATE_BUDGET) -> str:
    """The current state (under `path`) as an outline, within about `budget_tokens` tokens."""
    view = session.view(path=path)
    return view.render("text", max_chars=max(budget_tokens * 4, 40))


def describe_state(session: Host, path: str | None = None, budget_tokens: int = STATE_BUDGET) -> str:
    """The state as the model reads it: a heading and the outline."""
    label = f"The state under {path}" if path else "The current state"
    text = state_text(session, path, budget_tokens)
    return f"{label} (branch {session.branch_name}, version {session.version}):\n{text}"
