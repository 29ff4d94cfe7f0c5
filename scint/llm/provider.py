"""The provider protocol: what Scint needs from a language model, whoever serves it.

A provider takes a conversation (neutral messages, below) and tool definitions (already in the shape of its
`api`, as `scint.llm.tools` builds them) and returns a normalised `Reply`: text and/or tool calls, the tokens
the service reported, and the model's name. `OpenAIProvider` talks to OpenAI or any OpenAI-compatible server;
`MockProvider` replays scripted replies and records every request.

Messages are plain dicts:

- `{"role": "system" | "user", "content": str}`
- `{"role": "assistant", "content": str | None, "tool_calls": [ToolCall.as_dict(), ...]}`
- `{"role": "tool", "tool_call_id": str, "kind": "function" | "custom", "content": str}` (a tool's output)
"""

from __future__ import annotations

import json
from typing import Any, Protocol, runtime_checkable

import attrs

from scint.errors import LLMError

__all__ = ["MalformedReply", "Message", "Provider", "Reply", "Request", "RunFailed", "ToolCall", "Usage", "checked"]

Message = dict[str, Any]

TOOL_NAME = "scint"
MAX_TOKENS = 10**12  # a count of tokens above this is not a count


class MalformedReply(LLMError):
    """The model service's reply cannot be read as a Reply: a tool call without its function or id, a field of
    the wrong type, no choices... `ask` raises it; a process run feeds it back to its model and goes on."""


class RunFailed(LLMError):
    """A process run broke after its first step was recorded: its status is `failed`, and what its steps did
    before stays recorded (each step is a program of its own)."""


def model_text(value: Any) -> Any:
    """Text from a model service as a store can hold it: a lone UTF-16 surrogate (JSON's "\\ud800" decodes to
    one) becomes U+FFFD. Anything that is not a string is left to the caller to refuse."""
    if type(value) is not str:
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


@attrs.frozen
class ToolCall:
    """One tool call of a reply: `kind` "function" (its `input` is the JSON arguments) or "custom" (its `input`
    is the program itself)."""

    id: str = attrs.field(converter=model_text)
    name: str = attrs.field(default=TOOL_NAME, converter=model_text)
    kind: str = attrs.field(default="function", converter=model_text)
    input: str = attrs.field(default="", converter=model_text)

    @property
    def program(self) -> str | None:
        """The Scint program the call carries, or None if it carries none."""
        if not isinstance(self.input, str):
            return None
        if self.kind == "custom":
            return self.input
        try:
            args = json.loads(self.input or "{}")
        except (ValueError, RecursionError):
            return None
        program = args.get("program") if isinstance(args, dict) else None
        return program if isinstance(program, str) else None

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "kind": self.kind, "input": self.input}

    @classmethod
    def function(cls, program: str, id: str = "call_1") -> ToolCall:
        """A function-tool call carrying `program`."""
        return cls(id=id, kind="function", input=json.dumps({"program": program}))

    @classmethod
    def custom(cls, program: str, id: str = "call_1") -> ToolCall:
        """A custom-tool (grammar) call carrying `program`."""
        return cls(id=id, kind="custom", input=program)


def _count(value: Any) -> int:
    """A token count as a service reported it: anything but a whole number from 0 to MAX_TOKENS counts 0."""
    return value if type(value) is int and 0 <= value <= MAX_TOKENS else 0


@attrs.frozen
class Usage:
    """Tokens the service reported for one request (a count that is not a whole number >= 0 reads as 0)."""

    input_tokens: int = attrs.field(default=0, converter=_count)
    output_tokens: int = attrs.field(default=0, converter=_count)

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens


@attrs.frozen
class Reply:
    """A model's reply, whatever the API: its text, its tool calls, the usage reported, the model that answered."""

    text: str | None = attrs.field(default=None, converter=model_text)
    tool_calls: tuple[ToolCall, ...] = attrs.field(default=(), converter=tuple)
    usage: Usage = Usage()
    model: str = attrs.field(default="", converter=model_text)
    raw: Any = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class Request:
    """What a provider was asked: the conversation, the tools and the model (MockProvider.history holds these)."""

    messages: list[Message]
    tools: list[dict[str, Any]]
    model: str
    tool_choice: str = "auto"


@runtime_checkable
class Provider(Protocol):
    """A language model behind Scint.

    `api` is the shape of tool definitions it takes ("chat" or "responses"); `tool_kind` is the tool Scint offers
    it ("function": a `program` string parameter; "custom": a grammar-constrained tool, gpt-5 family).

    `tool_choice` is "auto" (the model may answer in words) or "required" (it must call the `scint` tool: `ask`
    asks for that). It is optional: a provider whose methods do not take it is called without it."""

    model: str
    api: str
    tool_kind: str

    def complete(self, messages: list[Message], tools: list[dict[str, Any]], *, tool_choice: str = "auto") -> Reply:
        """Send the conversation and return the model's reply; raises LLMError if the service fails, and
        MalformedReply if its reply cannot be read."""
        ...

    async def acomplete(
        self, messages: list[Message], tools: list[dict[str, Any]], *, tool_choice: str = "auto"
    ) -> Reply:
        """`complete`, without blocking the event loop."""
        ...


def checked(reply: Any, provider: Any) -> Reply:
    """`reply` if it is a well-formed Reply; else MalformedReply saying what is wrong with it. Whatever a
    provider returns passes here before Scint reads it."""
    where = f"({getattr(provider, 'model', '?')!s:.80})"
    if not isinstance(reply, Reply):
        raise MalformedReply(f"the model provider returned a {type(reply).__name__}, not a scint.llm.Reply {where}")
    if reply.text is not None and type(reply.text) is not str:
        raise MalformedReply(f"the reply's text is a {type(reply.text).__name__}, not text {where}")
    for i, call in enumerate(reply.tool_calls, 1):
        if not isinstance(call, ToolCall):
            raise MalformedReply(f"tool call {i} of the reply is a {type(call).__name__}, not a ToolCall {where}")
        for field in ("id", "name", "kind", "input"):
            value = getattr(call, field)
            if type(value) is not str:
                raise MalformedReply(f"tool call {i} of the reply has a {type(value).__name__} as its {field} {where}")
        if call.kind not in ("function", "custom"):
            raise MalformedReply(f"tool call {i} of the reply is of kind {call.kind!r:.40} {where}")
    if not isinstance(reply.usage, Usage) or type(reply.model) is not str:
        usage = reply.usage if isinstance(reply.usage, Usage) else Usage()
        model = reply.model if type(reply.model) is str else ""
        reply = attrs.evolve(reply, usage=usage, model=model)
    return reply
