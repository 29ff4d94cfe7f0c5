"""MockProvider: a scripted model for tests, notebooks and benchmarks. It calls no service."""

from __future__ import annotations

import copy
import json
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from scint.errors import LLMError, ScintError
from scint.llm.provider import Message, Reply, Request, ToolCall, Usage

__all__ = ["MockProvider"]

Scripted = str | dict[str, Any] | ToolCall | Reply | BaseException | Callable[[Request], Any]


class MockProvider:
    """Replays scripted replies in order and records every request in `history`.

    A scripted reply is one of: a string (a text answer, no tool call); `{"program": "..."}` (a tool call
    carrying that program, of this provider's `tool_kind`); a list of such dicts (several tool calls); a
    `ToolCall`; a `Reply`; an exception (raised, as LLMError unless it is a ScintError); or a function of the
    `Request` returning any of these.

    ```python
    mock = scint.llm.MockProvider(['notes.put(key="eggs", value=2)'])
    s.ask("put two eggs in my notes", provider=mock)
    mock.history[0].messages[-1]["content"]   # "put two eggs in my notes"
    ```
    """

    def __init__(
        self,
        replies: Iterable[Scripted] = (),
        *,
        model: str = "mock",
        api: str = "chat",
        tool_kind: str = "function",
    ) -> None:
        if api not in ("chat", "responses"):
            raise LLMError(f'api must be "chat" or "responses", not {api!r}')
        if tool_kind not in ("function", "custom"):
            raise LLMError(f'tool_kind must be "function" or "custom", not {tool_kind!r}')
        self.model = model
        self.api = api
        self.tool_kind = tool_kind
        self._replies: deque[Scripted] = deque(replies)
        self.history: list[Request] = []
        self._calls = 0

    def enqueue(self, *replies: Scripted) -> MockProvider:
        """Add replies to the end of the script; returns the provider."""
        self._replies.extend(replies)
        return self

    @property
    def pending(self) -> int:
        """Scripted replies not yet used."""
        return len(self._replies)

    def complete(self, messages: list[Message], tools: list[dict[str, Any]], *, tool_choice: str = "auto") -> Reply:
        """The next scripted reply. `tool_choice` is recorded in the Request, not obeyed: a script may answer
        in words where a real model was asked for a tool call, as some servers do."""
        request = Request(
            messages=copy.deepcopy(messages), tools=copy.deepcopy(tools), model=self.model, tool_choice=tool_choice
        )
        self.history.append(request)
        if not self._replies:
            raise LLMError(f"MockProvider has no scripted reply left for request {len(self.history)}")
        item = self._replies.popleft()
        if callable(item) and not isinstance(item, (ToolCall, Reply, BaseException)):
            item = item(request)
        if isinstance(item, BaseException):
            if isinstance(item, ScintError):
                raise item
            raise LLMError(f"the model service failed: {item}") from item
        reply = self._reply(item)
        if reply.usage == Usage():
            used = Usage(_tokens(json.dumps(messages)) + _tokens(json.dumps(tools)), _tokens(repr(item)))
            reply = Reply(reply.text, reply.tool_calls, used, reply.model or self.model, reply.raw)
        return reply

    async def acomplete(
        self, messages: list[Message], tools: list[dict[str, Any]], *, tool_choice: str = "auto"
    ) -> Reply:
        return self.complete(messages, tools, tool_choice=tool_choice)

    def _reply(self, item: Any) -> Reply:
        if isinstance(item, Reply):
            return item
        if isinstance(item, str):
            return Reply(text=item, model=self.model)
        if isinstance(item, ToolCall):
            return Reply(tool_calls=(item,), model=self.model)
        if isinstance(item, dict):
            item = [item]
        if isinstance(item, list) and all(isinstance(d, dict) and "program" in d for d in item):
            calls = []
            for d in item:
                self._calls += 1
                cid = d.get("id", f"call_{self._calls}")
                kind = d.get("kind", self.tool_kind)
                calls.append(
                    ToolCall.custom(d["program"], cid) if kind == "custom" else ToolCall.function(d["program"], cid)
                )
            return Reply(text=item[0].get("text"), tool_calls=tuple(calls), model=self.model)
        raise LLMError(f"MockProvider cannot replay {item!r}")

    def __repr__(self) -> str:
        return f"<MockProvider {self.model} ({self.api}, {self.tool_kind}): {len(self._replies)} replies left>"


def _tokens(text: str) -> int:
    return (len(text) + 3) // 4
