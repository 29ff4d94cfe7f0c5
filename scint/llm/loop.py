"""Conversations as generators: a loop yields (messages, tools) and receives the model's Reply, so the same loop
runs synchronously (`drive`) or on an event loop (`adrive`), and tests can step it by hand."""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any

from scint.llm.provider import Message, Provider, Reply, ToolCall

__all__ = ["Conversation", "adrive", "assistant_message", "drive", "program_in", "tool_message"]

Conversation = Generator[tuple[list[Message], list[dict[str, Any]]], Reply, Any]

_FENCE = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\n(.*?)```", re.S)


def drive(conversation: Conversation, provider: Provider) -> Any:
    """Run a conversation to its end with `provider.complete`; returns its result."""
    try:
        request = next(conversation)
        while True:
            request = conversation.send(provider.complete(*request))
    except StopIteration as stop:
        return stop.value


async def adrive(conversation: Conversation, provider: Provider) -> Any:
    """Run a conversation to its end with `await provider.acomplete`; returns its result."""
    try:
        request = next(conversation)
        while True:
            request = conversation.send(await provider.acomplete(*request))
    except StopIteration as stop:
        return stop.value


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
