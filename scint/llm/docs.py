"""What the model reads: the cheat sheet generated from the registered types, the instructions, and a view of
the current state within a budget of characters (and of tokens, where the tokenizer is known)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scint.contexts.help import cheat_sheet, tool_lines
from scint.contexts.registry import registered
from scint.errors import BadArguments
from scint.llm.tokens import CHARS_PER_TOKEN, o200k

if TYPE_CHECKING:
    from scint.llm.host import Host

__all__ = [
    "ASK_INSTRUCTIONS",
    "PROCESS_INSTRUCTIONS",
    "STATE_BUDGET",
    "STATE_CHARS",
    "cheat",
    "describe_state",
    "state_text",
]

STATE_CHARS = 6_000  # characters of state shown to the model (about 1,500 tokens)
STATE_BUDGET = STATE_CHARS  # its former name
LEAST_CHARS = 80  # the least budget of a view's text (scint.core.view.MIN_CHARS)

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


def state_text(
    session: Host, path: str | None = None, max_chars: int = STATE_CHARS, max_tokens: int | None = None
) -> str:
    """The current state (under `path`) as an outline within `max_chars` characters (SPEC 14: every context with
    its type and size, then values whole or summarised) and, if `max_tokens` is given, within that many o200k
    tokens (counted where `bpe-openai` is installed, else estimated at four characters a token)."""
    view = session.view(path=path)
    count = o200k() if max_tokens is not None else None
    if max_tokens is not None and count is None:
        max_chars = min(max_chars, max(max_tokens * CHARS_PER_TOKEN, LEAST_CHARS))
    text = view.render("text", max_chars=max_chars)
    if count is None or max_tokens is None or count(text) <= max_tokens:
        return text
    # The longest rendering within both budgets: a smaller character budget never shows more.
    lo, hi = LEAST_CHARS, max_chars  # render(lo) is the fallback, render(hi) is over the token budget
    best = view.render("text", max_chars=lo)
    while hi - lo > 16:
        mid = (lo + hi) // 2
        got = view.render("text", max_chars=mid)
        if count(got) <= max_tokens:
            lo, best = mid, got
        else:
            hi = mid
    return best


def describe_state(
    session: Host, path: str | None = None, max_chars: int = STATE_CHARS, max_tokens: int | None = None
) -> str:
    """The state as the model reads it: a heading and the outline, within `max_chars` characters in all (and
    `max_tokens` tokens for the outline, see `state_text`)."""
    label = f"The state under {path}" if path else "The current state"
    head = f"{label} (branch {session.branch_name}, version {session.version}):\n"
    least = len(head) + LEAST_CHARS
    if type(max_chars) is not int or max_chars < least:
        raise BadArguments(
            f"max_chars must be a whole number of at least {least} here (the heading and 80), not {max_chars!r}"
        )
    if max_tokens is not None and (type(max_tokens) is not int or max_tokens < 1):
        raise BadArguments(f"max_tokens must be a positive whole number, not {max_tokens!r}")
    return head + state_text(session, path, max_chars - len(head), max_tokens)
