"""`Session.ask`: natural language -> one Scint program -> validated -> run atomically, with provenance.

The model reads the cheat sheet (in the tool) and the current state (within a token budget) and writes one
program, through the tool or as text. A program that does not parse or does not run (unknown action, bad
arguments, refused action...) changes nothing: the exact error goes back to the model, which tries again, up to
`max_retries` times; then `ask` raises LLMError. The program that runs is recorded with actor `llm:<model>` and
the request (the user's text, the model, the attempt).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from scint.errors import LLMError, ScintError
from scint.llm.docs import ASK_INSTRUCTIONS, describe_state
from scint.llm.loop import Conversation, adrive, assistant_message, drive, program_in, tool_message
from scint.llm.provider import Message, Provider, Reply
from scint.llm.tools import call_problem, format_error, tools

if TYPE_CHECKING:
    from scint.llm.host import Host, RunResult

__all__ = ["AskResult", "aask", "ask", "ask_conversation"]

MAX_RETRIES = 3


@attrs.frozen
class AskResult:
    """What `Session.ask` returns: the program the model wrote, its Result, the attempts it took, the model."""

    program: str
    result: RunResult
    attempts: int = 1
    model: str = ""

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
    last = "the model wrote no program"
    for attempt in range(1, max_retries + 2):
        reply: Reply = yield messages, tools(session, kind=provider.tool_kind, api=provider.api)
        messages.append(assistant_message(reply))
        model = reply.model or provider.model
        call = reply.tool_calls[0] if reply.tool_calls else None
        problem = call_problem(call) if call is not None else None
        program = None if problem else (call.program if call is not None else program_in(reply.text))
        result: Any = None
        if program is None:
            problem = problem or f"error: no program; call the `scint` tool with one (attempt {attempt})"
        else:
            request = {"text": text, "model": model, "attempt": attempt}
            try:
                result = session.run(program, actor=f"llm:{model}", request=request, dry_run=dry_run)
            except ScintError as exc:
                problem = format_error(exc)
        if problem is None:
            return AskResult(program=program or "", result=result, attempts=attempt, model=model)
        last = problem
        if reply.tool_calls:
            messages.append(tool_message(reply.tool_calls[0], problem))
            messages += [tool_message(c, "not run: one program per reply") for c in reply.tool_calls[1:]]
        else:
            messages.append({"role": "user", "content": problem})
    raise LLMError(
        f"the model did not write a program that runs in {max_retries + 1} attempts; the last error:\n{last}"
    )
