"""A loopback OpenAI-compatible server for the integration tests: the real `openai` client talks HTTP to it.

It serves /v1/chat/completions and /v1/responses with scripted replies, rendered in each API's shape, and records
every request body. A scripted reply is a string (text, no tool call), `{"program": P}` (a function tool call),
`{"custom": P}` (a custom tool call), a list of such dicts, `{"raw": DOC}` (DOC sent as it is, whatever its
shape), `{"status": 500}` (the service fails with that status), or a function of the request body returning one
of these. With `refuse_tool_choice` set, a request that names a `tool_choice` gets a 400 saying it is unsupported."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import scint
from tests.conftest import url_for


class FakeOpenAI:
    def __init__(self) -> None:
        self.replies: deque[Any] = deque()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.keys: list[str | None] = []  # the Authorization header of each request
        self._lock = threading.Lock()
        self._n = 0
        self.refuse_tool_choice = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                server.keys.append(self.headers.get("Authorization"))
                status, doc = server.answer(self.path, body)
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def enqueue(self, *replies: Any) -> FakeOpenAI:
        self.replies.extend(replies)
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append((path, body))
            if self.refuse_tool_choice and "tool_choice" in body:
                return 400, {"error": {"message": "tool_choice is not supported", "type": "invalid_request_error"}}
            if not self.replies:
                return 400, {"error": {"message": "no scripted reply left", "type": "invalid_request_error"}}
            reply = self.replies.popleft()
            self._n += 1
            n = self._n
        if callable(reply):  # a function of the request body: the reply to it
            reply = reply(body)
        if isinstance(reply, dict) and "raw" in reply:
            return 200, reply["raw"]
        if isinstance(reply, dict) and "status" in reply:  # the service fails
            return reply["status"], {"error": {"message": reply.get("message", "server error"), "type": "server_error"}}
        text, calls = _split(reply)
        model = body.get("model", "fake")
        if path.endswith("/chat/completions"):
            return 200, _chat(n, model, text, calls)
        if path.endswith("/responses"):
            return 200, _responses(n, model, text, calls)
        return 404, {"error": {"message": f"no endpoint {path}", "type": "invalid_request_error"}}


def _split(reply: Any) -> tuple[str | None, list[tuple[str, str]]]:
    if isinstance(reply, str):
        return reply, []
    items = reply if isinstance(reply, list) else [reply]
    calls = [("custom", d["custom"]) if "custom" in d else ("function", d["program"]) for d in items]
    return None, calls


def _chat(n: int, model: str, text: str | None, calls: list[tuple[str, str]]) -> dict[str, Any]:
    tool_calls = []
    for i, (kind, program) in enumerate(calls):
        cid = f"call_{n}_{i}"
        if kind == "custom":
            tool_calls.append({"id": cid, "type": "custom", "custom": {"name": "scint", "input": program}})
        else:
            args = json.dumps({"program": program})
            tool_calls.append({"id": cid, "type": "function", "function": {"name": "scint", "arguments": args}})
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": f"chatcmpl-{n}",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "finish_reason": "tool_calls" if calls else "stop", "message": message}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
    }


def _responses(n: int, model: str, text: str | None, calls: list[tuple[str, str]]) -> dict[str, Any]:
    output: list[dict[str, Any]] = []
    if text is not None:
        content = [{"type": "output_text", "text": text, "annotations": []}]
        output.append(
            {"type": "message", "id": f"msg_{n}", "role": "assistant", "status": "completed", "content": content}
        )
    for i, (kind, program) in enumerate(calls):
        cid = f"call_{n}_{i}"
        if kind == "custom":
            output.append(
                {"type": "custom_tool_call", "id": f"ctc_{n}_{i}", "call_id": cid, "name": "scint", "input": program}
            )
        else:
            args = json.dumps({"program": program})
            output.append(
                {
                    "type": "function_call",
                    "id": f"fc_{n}_{i}",
                    "call_id": cid,
                    "name": "scint",
                    "arguments": args,
                    "status": "completed",
                }
            )
    return {
        "id": f"resp_{n}",
        "object": "response",
        "created_at": 0,
        "model": model,
        "status": "completed",
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {"input_tokens": 100, "output_tokens": 10, "total_tokens": 110},
    }


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    yield server
    server.close()


@pytest.fixture(params=["sqlite", "lmdb"])
def stored(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[scint.Session]:
    """A session on a store that encodes every event: SQLite, then LMDB."""
    with scint.open(url_for(request.param, tmp_path)) as session:
        yield session


@pytest.fixture
def s() -> Iterator[scint.Session]:
    with scint.open("memory://") as session:
        yield session
