"""A loopback OpenAI-compatible model server for the scheduler's tests, talked to by the real `openai` client
(tests/llm/conftest.py's server, answering by a function instead of a queue).

Each request is answered by `respond(path, body)` (`path`: the process that asked, read from its system prompt),
in the Chat Completions shape of tests/llm/conftest.py. A request first waits at `hold(path, body)` if one is
given: the tests keep model calls in flight until they have seen what they wait for, synchronising on threading
primitives, never on sleeps (a model's latency the server plays is the server's behaviour, not a test's wait).
`wait_for(n)` blocks until n requests have arrived."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from tests.llm.conftest import FakeOpenAI, _chat, _split

PROCESS = re.compile(r"You are the process `([^`]+)`")


def process_of(body: dict[str, Any]) -> str:
    found = PROCESS.search(body["messages"][0]["content"])
    return found.group(1) if found else "?"


def tool_results(body: dict[str, Any]) -> int:
    """How many tool outputs the conversation holds: the steps the process took before this one."""
    return sum(1 for m in body["messages"] if m.get("role") == "tool")


class ModelServer(FakeOpenAI):
    def __init__(
        self,
        respond: Callable[[str, dict[str, Any]], Any],
        hold: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        self.respond = respond
        self.hold = hold
        self.asked: list[str] = []  # the process of each request, in order
        self.cond = threading.Condition()
        super().__init__()

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        process = process_of(body)
        with self.cond:
            self.asked.append(process)
            n = len(self.asked)
            self.cond.notify_all()
        if self.hold is not None:
            self.hold(process, body)
        text, calls = _split(self.respond(process, body))
        return 200, _chat(n, body.get("model", "fake"), text, calls)

    def wait_for(self, n: int, timeout: float = 60) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.asked) >= n, timeout), f"{len(self.asked)} of {n} requests"

    def per_process(self) -> Counter[str]:
        with self.cond:
            return Counter(self.asked)

    def env(self) -> dict[str, str]:
        """The environment that points a `scint` child process at this server."""
        return {
            "OPENAI_BASE_URL": self.base_url,
            "OPENAI_API_KEY": "test",
            "SCINT_MODEL": "test-model",
            "SCINT_LLM_API": "chat",
            "SCINT_LLM_TOOL": "function",
        }
