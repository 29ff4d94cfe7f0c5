"""Conversations as generators: a loop yields (messages, tools) or (messages, tools, options) and receives the
model's Reply, so the same loop runs synchronously (`drive`) or on an event loop (`adrive`), and tests can step it
by hand.

The drivers are where a provider's output enters Scint: whatever the provider returns is `checked`; a reply that
cannot be read is thrown into the conversation as MalformedReply (a process run feeds it back to its model, `ask`
lets it out), and anything but a ScintError that a provider raises becomes an LLMError. A request whose options
say `MAY_FAIL` (a process's summary call, scint/llm/prompt.py) has any LLMError thrown into the conversation
instead, which decides what to do; one that names a `PROVIDER` goes to that provider."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Generator
from typing import Any

from scint.errors import LLMError, ScintError
from scint.llm.provider import MalformedReply, Message, Provider, Reply, ToolCall, checked

__all__ = ["MAY_FAIL", "PROVIDER", "Conversation", "adrive", "assistant_message", "drive", "program_in", "tool_message"]

Conversation = Generator[tuple[Any, ...], Reply, Any]

# Request options for the drivers, never passed to a provider: a failure goes back to the conversation; the
# provider to ask instead of the driver's.
MAY_FAIL = "_may_fail"
PROVIDER = "_provider"
_OURS = (MAY_FAIL, PROVIDER)

_FENCE = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\n(.*?)```", re.S)


def drive(conversation: Conversation, provider: Provider) -> Any:
    """Run a conversation to its end with `provider.complete`; returns its result."""
    try:
        request = next(conversation)
        while True:
            try:
                model = _provider(request, provider)
                reply = checked(_call(model, model.complete, request), model)
            except LLMError as exc:
                if not (isinstance(exc, MalformedReply) or _may_fail(request)):
                    raise
                request = conversation.throw(exc)
            else:
                request = conversation.send(reply)
    except StopIteration as stop:
        return stop.value


async def adrive(conversation: Conversation, provider: Provider) -> Any:
    """Run a conversation to its end with `await provider.acomplete`; returns its result."""
    try:
        request = next(conversation)
        while True:
            try:
                model = _provider(request, provider)
                pending = _call(model, model.acomplete, request)
                reply = checked(await _awaited(model, pending), model)
            except LLMError as exc:
                if not (isinstance(exc, MalformedReply) or _may_fail(request)):
                    raise
                request = conversation.throw(exc)
            else:
                request = conversation.send(reply)
    except StopIteration as stop:
        return stop.value


def _may_fail(request: tuple[Any, ...]) -> bool:
    return len(request) > 2 and bool(request[2].get(MAY_FAIL))


def _provider(request: tuple[Any, ...], default: Provider) -> Provider:
    """The provider a request names (`PROVIDER`: a process's summaries may go to another model), else `default`."""
    named = request[2].get(PROVIDER) if len(request) > 2 else None
    return named if named is not None else default


def _call(provider: Provider, method: Callable[..., Any], request: tuple[Any, ...]) -> Any:
    messages, tools, *rest = request
    options = {k: v for k, v in (rest[0] if rest else {}).items() if k not in _OURS and _takes(method, k)}
    try:
        return method(messages, tools, **options)
    except ScintError:
        raise
    except Exception as exc:  # a provider is anyone's code: what it raises is a service failure to Scint
        raise _failure(provider, exc) from exc


async def _awaited(provider: Provider, pending: Any) -> Any:
    if not inspect.isawaitable(pending):
        raise MalformedReply(f"the model provider {provider!r:.80}: acomplete() must be a coroutine function")
    try:
        return await pending
    except ScintError:
        raise
    except Exception as exc:
        raise _failure(provider, exc) from exc


def _failure(provider: Provider, exc: Exception) -> LLMError:
    return LLMError(f"the model provider {provider!r:.80} failed: {type(exc).__name__}: {exc}")


def _takes(method: Callable[..., Any], name: str) -> bool:
    """Whether `method` accepts the keyword `name` (older providers take only messages and tools)."""
    try:
        params = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def assistant_message(reply: Reply) -> Message:
    msg: Message = {"role": "assistant", "content": reply.text}
    if reply.tool_calls:
        msg["tool_calls"] = [c.as_dict() for c in reply.tool_calls]
    return msg


def tool_message(call: ToolCall, output: str) -> Message:
    return {"role": "tool", "tool_call_id": call.id, "kind": call.kind, "content": output}


def program_in(text: str | None) -> str | None:
    """The program in a text reply: the first fenced block if there is one, else the whole text."""
    if not text or not text.strip():
        return None
    m = _FENCE.search(text)
    return m.group(1) if m else text.strip()
