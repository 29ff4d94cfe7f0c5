"""OpenAIProvider: OpenAI, or any OpenAI-compatible server (vLLM, Ollama, llama.cpp...), through the official
`openai` SDK. This is the only module of Scint that imports `openai` (install `scint[llm]`).

Configuration (arguments win over the environment): OPENAI_API_KEY, OPENAI_BASE_URL (a compatible server; a key
is then optional), SCINT_MODEL (default gpt-5-mini), SCINT_LLM_API (`chat`, the default, for Chat Completions,
or `responses` for the Responses API) and SCINT_LLM_TOOL (`function`, the default, or `custom` for the grammar
tool of the gpt-5 family).
"""

from __future__ import annotations

import copy
import json
import os
from typing import Any

from scint.errors import LLMError
from scint.llm.provider import TOOL_NAME, MalformedReply, Message, Reply, ToolCall, Usage

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
        self._no_tool_choice = False  # set when the server refused `tool_choice`
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

    def complete(self, messages: list[Message], tools: list[dict[str, Any]], *, tool_choice: str = "auto") -> Reply:
        openai = _openai()
        for choice in self._choices(tool_choice):
            try:
                if self.api == "chat":
                    resp = self.client.chat.completions.create(**self._chat_request(messages, tools, choice))
                    return self._chat_reply(resp)
                resp = self.client.responses.create(**self._responses_request(messages, tools, choice))
                return self._responses_reply(resp)
            except openai.OpenAIError as exc:
                self._failed(exc, choice)
        raise AssertionError("unreachable")  # pragma: no cover  (the last choice returns or raises)

    async def acomplete(
        self, messages: list[Message], tools: list[dict[str, Any]], *, tool_choice: str = "auto"
    ) -> Reply:
        openai = _openai()
        for choice in self._choices(tool_choice):
            try:
                if self.api == "chat":
                    request = self._chat_request(messages, tools, choice)
                    return self._chat_reply(await self.async_client.chat.completions.create(**request))
                request = self._responses_request(messages, tools, choice)
                return self._responses_reply(await self.async_client.responses.create(**request))
            except openai.OpenAIError as exc:
                self._failed(exc, choice)
        raise AssertionError("unreachable")  # pragma: no cover

    def _choices(self, tool_choice: str) -> tuple[bool, ...]:
        """Whether to force the tool, per try: a server that refuses `tool_choice` is asked again without it
        (and never again with it)."""
        if tool_choice != "required" or self._no_tool_choice:
            return (False,)
        return (True, False)

    def _failed(self, exc: Exception, forced: bool) -> None:
        """Translate a service error, or let the next try go without `tool_choice` if the server refused it."""
        if forced and getattr(exc, "status_code", None) in (400, 422) and "tool_choice" in str(exc).replace(" ", "_"):
            self._no_tool_choice = True
            return
        raise LLMError(f"the model service failed ({self.model}, {self.api} API): {exc}") from exc

    def _tool_choice(self, tools: list[dict[str, Any]]) -> dict[str, Any]:
        kind = tools[0].get("type", "function") if tools else "function"
        if self.api == "chat":
            return {"type": kind, kind: {"name": TOOL_NAME}}
        return {"type": kind, "name": TOOL_NAME}

    # -- Chat Completions -------------------------------------------------------------------------------------------

    def _chat_request(self, messages: list[Message], tools: list[dict[str, Any]], forced: bool) -> dict[str, Any]:
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
            if forced:
                request["tool_choice"] = self._tool_choice(tools)
        return request

    def _chat_reply(self, resp: Any) -> Reply:
        choices = _get(resp, "choices")
        if not isinstance(choices, (list, tuple)) or not choices:
            raise self._malformed("it has no choices")
        msg = _get(choices[0], "message")
        if not _is_object(msg):
            raise self._malformed("its first choice has no message")
        text = _text(_get(msg, "content"), "the message's content", self)
        if text is None:
            text = _text(_get(msg, "refusal"), "the message's refusal", self)
        calls = []
        for i, tc in enumerate(_items(_get(msg, "tool_calls"), "the message's tool_calls", self), 1):
            kind = "custom" if _get(tc, "type") == "custom" else "function"
            body = _get(tc, kind)
            if not _is_object(body):
                raise self._malformed(f"tool call {i} has no {kind} object")
            value = _get(body, "input" if kind == "custom" else "arguments")
            program = _input(value, self, i) if kind == "custom" else _arguments(value, self, i)
            calls.append(ToolCall(_name(tc, "id", self, i), _name(body, "name", self, i), kind, program))
        u = _get(resp, "usage")
        usage = Usage(_get(u, "prompt_tokens"), _get(u, "completion_tokens"))
        return Reply(text, tuple(calls), usage, self._model_of(resp), resp)

    # -- Responses ----------------------------------------------------------------------------------------------------

    def _responses_request(
        self, messages: list[Message], tools: list[dict[str, Any]], forced: bool
    ) -> dict[str, Any]:
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
            if forced:
                request["tool_choice"] = self._tool_choice(tools)
        return request

    def _responses_reply(self, resp: Any) -> Reply:
        output = _get(resp, "output")
        if not isinstance(output, (list, tuple)):
            raise self._malformed("it has no output list")
        texts, calls = [], []
        for i, item in enumerate(output, 1):
            kind = _get(item, "type")
            if not isinstance(kind, str):
                raise self._malformed(f"output item {i} has no type")
            if kind == "message":
                for part in _items(_get(item, "content"), f"output item {i}'s content", self):
                    field = {"output_text": "text", "refusal": "refusal"}.get(_get(part, "type"))
                    if field is not None:
                        value = _get(part, field)
                        if not isinstance(value, str):
                            raise self._malformed(f"output item {i} has a {field} part without its text")
                        texts.append(value)
            elif kind in ("function_call", "custom_tool_call"):
                custom = kind == "custom_tool_call"
                value = _get(item, "input" if custom else "arguments")
                program = _input(value, self, i) if custom else _arguments(value, self, i)
                cid = _name(item, "call_id", self, i)
                calls.append(ToolCall(cid, _name(item, "name", self, i), "custom" if custom else "function", program))
        u = _get(resp, "usage")
        usage = Usage(_get(u, "input_tokens"), _get(u, "output_tokens"))
        return Reply("".join(texts) if texts else None, tuple(calls), usage, self._model_of(resp), resp)

    def _model_of(self, resp: Any) -> str:
        model = _get(resp, "model")
        return model if isinstance(model, str) and model else self.model

    def _malformed(self, what: str) -> MalformedReply:
        where = f"{self.model}, {self.api} API"
        return MalformedReply(f"the model service sent a reply Scint cannot read ({where}): {what}")

    def __repr__(self) -> str:
        where = self.base_url or "api.openai.com"
        return f"<OpenAIProvider {self.model} ({self.api} API, {self.tool_kind} tool) at {where}>"


# -- reading a reply: SDK objects are built without validation, so every field is checked here --------------------


def _get(obj: Any, name: str) -> Any:
    """Field `name` of an SDK object or a dict; None if it has none."""
    if isinstance(obj, dict):
        return obj.get(name)
    if obj is None or isinstance(obj, (str, bytes, int, float, list, tuple)):
        return None
    try:
        return getattr(obj, name, None)
    except Exception:  # a property of a half-built SDK object
        return None


def _is_object(value: Any) -> bool:
    return value is not None and not isinstance(value, (str, bytes, int, float, bool, list, tuple))


def _items(value: Any, what: str, provider: OpenAIProvider) -> list[Any] | tuple[Any, ...]:
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise provider._malformed(f"{what} is a {type(value).__name__}, not a list")
    return value


def _text(value: Any, what: str, provider: OpenAIProvider) -> str | None:
    """Text, or None; a list of parts (some servers send them) is joined."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        parts = [_get(p, "text") for p in value]
        if all(isinstance(p, str) for p in parts):
            return "".join(parts)
    raise provider._malformed(f"{what} is a {type(value).__name__}, not text")


def _name(obj: Any, field: str, provider: OpenAIProvider, i: int) -> str:
    value = _get(obj, field)
    if not isinstance(value, str) or not value:
        raise provider._malformed(f"tool call {i} has no {field}")
    return value


def _arguments(value: Any, provider: OpenAIProvider, i: int) -> str:
    """A function call's JSON arguments (some servers send them parsed)."""
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, dict):
        try:
            return json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            pass
    raise provider._malformed(f"tool call {i} has a {type(value).__name__} as its arguments, not JSON text")


def _input(value: Any, provider: OpenAIProvider, i: int) -> str:
    if value is None or isinstance(value, str):
        return value or ""
    raise provider._malformed(f"tool call {i} has a {type(value).__name__} as its input, not text")


def _chat_call(call: ToolCall) -> dict[str, Any]:
    if call.kind == "custom":
        return {"id": call.id, "type": "custom", "custom": {"name": call.name, "input": call.input}}
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.input}}
