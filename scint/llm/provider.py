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

__all__ = ["Message", "Provider", "Reply", "Request", "ToolCall", "Usage"]

Message = dict[str, Any]

TOOL_NAME = "scint"


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


@attrs.frozen
class Usage:
    """Tokens the service reported for one request."""

    input_tokens: int = 0
    output_tokens: int = 0

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


@runtime_checkable
class Provider(Protocol):
    """A language model behind Scint.

    `api` is the shape of tool definitions it takes ("chat" or "responses"); `tool_kind` is the tool Scint offers
    it ("function": a `program` string parameter; "custom": a grammar-constrained tool, gpt-5 family)."""

    model: str
    api: str
    tool_kind: str

    def complete(self, messages: list[Message], tools: list[dict[str, Any]]) -> Reply:
        """Send the conversation and return the model's reply; raises LLMError if the service fails."""
        ...

    async def acomplete(self, messages: list[Message], tools: list[dict[str, Any]]) -> Reply:
        """`complete`, without blocking the event loop."""
        ...
