"""A loopback OpenAI-compatible model server for the scheduler's tests, talked to by the real `openai` client.

Each request is answered by `respond(path, body)` (`path`: the process that asked, read from its system prompt),
in the Chat Completions shape of tests/llm/conftest.py. A request first waits at `hold(path, body)` if one is
given: the tests make model calls slow, or keep them in flight until they have seen what they wait for, with
threading primitives (never sleeps). `wait_for(n)` blocks until n requests have arrived."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.llm.conftest import _chat, _split

PROCESS = re.compile(r"You are the process `([^`]+)`")


def process_of(body: dict[str, Any]) -> str:
    found = PROCESS.search(body["messages"][0]["content"])
    return found.group(1) if found else "?"


def tool_results(body: dict[str, Any]) -> int:
    """How many tool outputs the conversation holds: the steps the process took before this one."""
    return sum(1 for m in body["messages"] if m.get("role") == "tool")


class ModelServer:
    def __init__(
        self,
        respond: Callable[[str, dict[str, Any]], Any],
        hold: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        self.respond = respond
        self.hold = hold
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.cond = threading.Condition()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                path = process_of(body)
                with server.cond:
                    server.requests.append((path, body))
                    n = len(server.requests)
                    server.cond.notify_all()
                if server.hold is not None:
                    server.hold(path, body)
                text, calls = _split(server.respond(path, body))
                data = json.dumps(_chat(n, body.get("model", "fake"), text, calls)).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client went away (an interrupted run): nobody to answer
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def wait_for(self, n: int, timeout: float = 60) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.requests) >= n, timeout), f"{len(self.requests)} of {n} requests"

    def per_process(self) -> Counter[str]:
        with self.cond:
            return Counter(p for p, _ in self.requests)

    def env(self) -> dict[str, str]:
        """The environment that points a `scint` child process at this server."""
        return {
            "OPENAI_BASE_URL": self.base_url,
            "OPENAI_API_KEY": "test",
            "SCINT_MODEL": "test-model",
            "SCINT_LLM_API": "chat",
            "SCINT_LLM_TOOL": "function",
        }

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
