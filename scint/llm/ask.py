"""`Session.ask`: natural language -> one Scint program -> validated -> run atomically, with provenance.

The model reads the cheat sheet (in the tool) and the current state (within a token budget) and writes one
program through the tool: ask sets `tool_choice` so that a provider that can force the call does. A reply in
text is read as a program (its first fenced block, or all of it). A program that does not parse or does not run
(unknown action, bad arguments, refused action...) changes nothing: the exact error goes back to the model, which
tries again, up to `max_retries` times; then `ask` raises LLMError. Text that does not parse and reads as words
(not as a broken statement) is prose: the model is told to answer with a program, and if it never does, the
LLMError quotes its words (`.answer`). A reply the service garbled raises MalformedReply (an LLMError) at once.

An ask program is atomic, every attempt: a process run (`research.lit.run()`), which commits each of its model
steps on its own, is refused in it (ActionError, fed back to the model), so a failed attempt leaves no trace and a
successful one is one commit. A person runs a process with `research.lit.run(max_steps=N)` as a program of its own.

The program that runs is recorded with actor `llm:<model>` and the request (the user's text, the model, the
attempt).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import attrs

from scint.dsl import Program, parse
from scint.errors import LLMError, NeedsApproval, ScintError, ScintSyntaxError
from scint.llm.docs import ASK_INSTRUCTIONS, describe_state
from scint.llm.loop import Conversation, adrive, assistant_message, drive, program_in, tool_message
from scint.llm.provider import TOOL_NAME, Message, Provider, Reply
from scint.llm.tools import atomic_only, call_problem, format_error, tools

if TYPE_CHECKING:
    from scint.llm.host import Host, RunResult

__all__ = ["AskResult", "aask", "ask", "ask_conversation", "looks_like_prose"]

MAX_RETRIES = 3


@attrs.frozen
class AskResult:
    """What `Session.ask` returns: the program the model wrote, its Result, the attempts it took, the model."""

    program: str
    result: RunResult
    attempts: int = 1
    model: str = ""
    proposal: dict[str, Any] | None = None  # `ask(..., approve=True)`: the proposal recorded instead of a change

    def __str__(self) -> str:
        return self.program


def ask(
    session: Host, text: str, provider: Provider, *, dry_run: bool = False, max_retries: int = MAX_RETRIES
) -> AskResult:
    """Ask `provider` to turn `text` into a program and run it (see the module doc)."""
    return drive(ask_conversation(session, text, provider, dry_run=dry_run, max_retries=max_retries), provider)


async def aask(
    session: Host, text: str, provider: Provider, *, dry_run: bool = False, max_retries: int = MAX_RETRIES
) -> AskResult:
    """`ask` on an event loop: the model call does not block it."""
    conversation = ask_conversation(session, text, provider, dry_run=dry_run, max_retries=max_retries)
    return await adrive(conversation, provider)


def ask_conversation(
    session: Host, text: str, provider: Provider, *, dry_run: bool = False, max_retries: int = MAX_RETRIES
) -> Conversation:
    if not isinstance(text, str) or not text.strip():
        raise LLMError("ask needs a request in words")
    try:
        text.encode()
    except UnicodeEncodeError:
        raise LLMError("the request is not valid text: it holds half of a UTF-16 surrogate pair") from None
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or not 0 <= max_retries <= 20:
        raise LLMError("max_retries must be a whole number from 0 to 20")
    messages: list[Message] = [
        {"role": "system", "content": ASK_INSTRUCTIONS + "\n\n" + describe_state(session)},
        {"role": "user", "content": text},
    ]
    last, words = "the model wrote no program", None
    for attempt in range(1, max_retries + 2):
        # A model that can be made to call the tool is (tool_choice); one that answers in words anyway is told to
        # write a program. A malformed reply is raised out of here by the driver (MalformedReply).
        request = messages, tools(session, kind=provider.tool_kind, api=provider.api), {"tool_choice": "required"}
        reply: Reply = yield request
        messages.append(assistant_message(reply))
        model = reply.model or provider.model
        source, program, problem, words = _program(session, reply, attempt)
        result: Any = None
        if program is not None:
            request_doc = {"text": text, "model": model, "attempt": attempt}
            try:
                with atomic_only("an `ask` program"):  # a process run is many commits: refused in here
                    result = session.run(program, actor=f"llm:{model}", request=request_doc, dry_run=dry_run)
            except NeedsApproval as exc:  # recorded as a proposal: done, nothing for the model to fix
                return AskResult(source or "", None, attempt, model, exc.proposal)  # type: ignore[arg-type]
            except ScintError as exc:
                problem = format_error(exc)
        if problem is None:
            return AskResult(program=source or "", result=result, attempts=attempt, model=model)
        last = problem
        if reply.tool_calls:
            messages.append(tool_message(reply.tool_calls[0], problem))
            messages += [tool_message(c, "not run: one program per reply") for c in reply.tool_calls[1:]]
        else:
            messages.append({"role": "user", "content": problem})
    if words is not None:
        error = LLMError(f"the model answered in prose instead of writing a program: {_quote(words)}")
        error.answer = words  # type: ignore[attr-defined]  # the model's words, for a surface to show
        raise error
    raise LLMError(
        f"the model did not write a program that runs in {max_retries + 1} attempts; the last error:\n{last}"
    )


def _program(
    session: Host, reply: Reply, attempt: int
) -> tuple[str | None, Program | None, str | None, str | None]:
    """(the program's text, the program to run or the problem for the model, the model's words if it wrote
    prose instead)."""
    call = reply.tool_calls[0] if reply.tool_calls else None
    if call is not None and (problem := call_problem(call)) is not None:
        return None, None, problem, None
    text = call.program if call is not None else program_in(reply.text)
    if text is None:
        return None, None, f"error: no program; call the `{TOOL_NAME}` tool with one (attempt {attempt})", None
    try:
        return text, parse(text, limits=session.limits), None, None
    except ScintSyntaxError as exc:
        if not looks_like_prose(text):
            return text, None, format_error(exc), None
    except ScintError as exc:
        return text, None, format_error(exc), None
    words = (reply.text or text).strip() if call is None else text.strip()
    problem = (
        f"error: that was prose, not a Scint program: {_quote(words)}\nNothing was run. Answer only by calling "
        f"the `{TOOL_NAME}` tool with a Scint program (statements such as `notes.put(key=\"a\", value=1)`)."
    )
    return text, None, problem, words


_CODE_START = re.compile(r"\$?[A-Za-z_][A-Za-z0-9_]*\s*(=|\(|\.\s*[A-Za-z_])")


def looks_like_prose(text: str) -> bool:
    """Whether text that is not a program reads as words rather than a broken program: its first line that is
    not blank or a comment does not start like a statement (`name =`, `name(`, `path.action`)."""
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return _CODE_START.match(line) is None
    return False


def _quote(words: str, limit: int = 500) -> str:
    return "«" + (words if len(words) <= limit else words[: limit - 3] + "...") + "»"
