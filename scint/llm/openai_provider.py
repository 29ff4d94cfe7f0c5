"""OpenAIProvider: OpenAI, or any OpenAI-compatible server (vLLM, Ollama, llama.cpp...), through the official
`openai` SDK. This is the only module of Scint that imports `openai` (install `scint[llm]`).

Configuration (arguments win over the environment): OPENAI_API_KEY, OPENAI_BASE_URL (a compatible server; a key
is then optional), SCINT_MODEL (default gpt-5-mini), SCINT_LLM_API (`chat`, the default, for Chat Completions,
or `responses` for the Responses API) and SCINT_LLM_TOOL (`function`, the default, or `custom` for the grammar
tool of the gpt-5 family).
"""

from __future__ import annotations

import copy
import os
from typing import Any

from scint.errors import LLMError
from scint.llm.provider import Message, Reply, ToolCall, Usage

__all__ = ["DEFAULT_MODEL", "OpenAIProvider"]

DEFAULT_MODEL = "gpt-5-mini"


def _openai() -> Any:
    try:
        import openai
    except ImportError:
        raise LLMError("the OpenAI provider needs the `openai` package: pip install 'scint[llm]'") from None
    return openai


class OpenAIProvider:
    """A Provider over the OpenAI SDK, for the Chat Completions (`api="chat"`) or Responses (`api="responses"`)
    API. Pass `client` / `async_client` to reuse configured SDK clients."""

    def __init__(
        self,
        model: str | None = None,
        *,
        api: str | None = None,
        tool_kind: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        client: Any = None,
        async_client: Any = None,
        timeout: float | None = None,
        max_retries: int = 2,
    ) -> None:
        env = os.environ
        self.model = model or env.get("SCINT_MODEL") or DEFAULT_MODEL
        self.api = (api or env.get("SCINT_LLM_API") or "chat").strip().lower()
        self.tool_kind = (tool_kind or env.get("SCINT_LLM_TOOL") or "function").strip().lower()
        if self.api not in ("chat", "responses"):
            raise LLMError(f'SCINT_LLM_API (api) must be "chat" or "responses", not {self.api!r}')
        if self.tool_kind not in ("function", "custom"):
            raise LLMError(f'SCINT_LLM_TOOL (tool_kind) must be "function" or "custom", not {self.tool_kind!r}')
        self.base_url = base_url or env.get("OPENAI_BASE_URL") or None
        self._api_key = api_key or env.get("OPENAI_API_KEY") or None
        if client is None and async_client is None and self._api_key is None and self.base_url is None:
            raise LLMError(
                "no model service is configured: set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (an "
                "OpenAI-compatible server such as vLLM, Ollama or llama.cpp), or pass provider= / set session.llm"
            )
        self._options: dict[str, Any] = {"max_retries": max_retries}
        if timeout is not None:
            self._options["timeout"] = timeout
        self._client = client
        self._async_client = async_client
        if client is None and async_client is None:
            _openai()  # fail now, with the install hint, rather than at the first request

    @classmethod
    def from_env(cls) -> OpenAIProvider:
        """A provider configured from the environment alone."""
        return cls()

    def with_model(self, model: str) -> OpenAIProvider:
        """The same service and clients, another model."""
        other = copy.copy(self)
        other.model = model
        return other

    # -- clients --------------------------------------------------------------------------------------------------

    def _kwargs(self) -> dict[str, Any]:
        # A local server usually needs no key, but the SDK insists on one.
        key = self._api_key or ("not-needed" if self.base_url else None)
        return {"api_key": key, "base_url": self.base_url, **self._options}

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = _openai().OpenAI(**self._kwargs())
        return self._client

    @property
    def async_client(self) -> Any:
        if self._async_client is None:
            self._async_client = _openai().AsyncOpenAI(**self._kwargs())
        return self._async_client

    # -- requests -------------------------------------------------------------------------------------------------

    def complete(self, messages: list[Message], tools: list[dict[str, Any]]) -> Reply:
        openai = _openai()
        try:
            if self.api == "chat":
                resp = self.client.chat.completions.create(**self._chat_request(messages, tools))
                return self._chat_reply(resp)
            resp = self.client.responses.create(**self._responses_request(messages, tools))
            return self._responses_reply(resp)
        except openai.OpenAIError as exc:
            raise LLMError(f"the model service failed ({self.model}, {self.api} API): {exc}") from exc

    async def acomplete(self, messages: list[Message], tools: list[dict[str, Any]]) -> Reply:
        openai = _openai()
        try:
            if self.api == "chat":
                resp = await self.async_client.chat.completions.create(**self._chat_request(messages, tools))
                return self._chat_reply(resp)
            resp = await self.async_client.responses.create(**self._responses_request(messages, tools))
            return self._responses_reply(resp)
        except openai.OpenAIError as exc:
            raise LLMError(f"the model service failed ({self.model}, {self.api} API): {exc}") from exc

    # -- Chat Completions -------------------------------------------------------------------------------------------

    def _chat_request(self, messages: list[Message], tools: list[dict[str, Any]]) -> dict[str, Any]:
        out = []
        for m in messages:
            role = m["role"]
            if role == "tool":
                out.append({"role": "tool", "tool_call_id": m["tool_call_id"], "content": m["content"]})
            elif role == "assistant" and m.get("tool_calls"):
                calls = [_chat_call(ToolCall(**c)) for c in m["tool_calls"]]
                out.append({"role": "assistant", "content": m.get("content"), "tool_calls": calls})
            else:
                out.append({"role": role, "content": m.get("content") or ""})
        request: dict[str, Any] = {"model": self.model, "messages": out}
        if tools:
            request["tools"] = tools
        return request

    def _chat_reply(self, resp: Any) -> Reply:
        if not getattr(resp, "choices", None):
            raise LLMError(f"the model service sent no choices ({self.model})")
        msg = resp.choices[0].message
        calls = []
        for tc in msg.tool_calls or ():
            if tc.type == "custom":
                calls.append(ToolCall(tc.id, tc.custom.name, "custom", tc.custom.input or ""))
            else:
                calls.append(ToolCall(tc.id, tc.function.name, "function", tc.function.arguments or ""))
        u = resp.usage
        usage = Usage(u.prompt_tokens or 0, u.completion_tokens or 0) if u is not None else Usage()
        return Reply(msg.content, tuple(calls), usage, resp.model or self.model, resp)

    # -- Responses ----------------------------------------------------------------------------------------------------

    def _responses_request(self, messages: list[Message], tools: list[dict[str, Any]]) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        for m in messages:
            role = m["role"]
            if role == "tool":
                kind = "custom_tool_call_output" if m.get("kind") == "custom" else "function_call_output"
                items.append({"type": kind, "call_id": m["tool_call_id"], "output": m["content"]})
                continue
            if m.get("content"):
                items.append({"role": role, "content": m["content"]})
            for c in m.get("tool_calls") or ():
                call = ToolCall(**c)
                if call.kind == "custom":
                    items.append(
                        {"type": "custom_tool_call", "call_id": call.id, "name": call.name, "input": call.input}
                    )
                else:
                    items.append(
                        {"type": "function_call", "call_id": call.id, "name": call.name, "arguments": call.input}
                    )
        request: dict[str, Any] = {"model": self.model, "input": items}
        if tools:
            request["tools"] = tools
        return request

    def _responses_reply(self, resp: Any) -> Reply:
        texts, calls = [], []
        for item in resp.output or ():
            if item.type == "message":
                texts += [part.text for part in item.content or () if getattr(part, "type", "") == "output_text"]
            elif item.type == "function_call":
                calls.append(ToolCall(item.call_id, item.name, "function", item.arguments or ""))
            elif item.type == "custom_tool_call":
                calls.append(ToolCall(item.call_id, item.name, "custom", item.input or ""))
        u = resp.usage
        usage = Usage(u.input_tokens or 0, u.output_tokens or 0) if u is not None else Usage()
        return Reply("".join(texts) if texts else None, tuple(calls), usage, resp.model or self.model, resp)

    def __repr__(self) -> str:
        where = self.base_url or "api.openai.com"
        return f"<OpenAIProvider {self.model} ({self.api} API, {self.tool_kind} tool) at {where}>"


def _chat_call(call: ToolCall) -> dict[str, Any]:
    if call.kind == "custom":
        return {"id": call.id, "type": "custom", "custom": {"name": call.name, "input": call.input}}
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.input}}
