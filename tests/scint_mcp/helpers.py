"""Helpers of the MCP tests: clients in-process, over stdio and over HTTP; an HTTP server in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.types import Implementation

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "s3cret-token-for-tests-0123456789"
T = TypeVar("T")


def drive(fn: Callable[[], Awaitable[T]]) -> T:
    """Run one async test body to its end."""
    return anyio.run(fn)


def info(name: str) -> Implementation:
    return Implementation(name=name, version="1.0")


def scint_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "scint.cli", *args]


def stdio_client(store: str, *args: str, name: str = "stdio-test") -> Client:
    args_ = scint_command("--store", store, "mcp", *args)[1:]
    params = StdioServerParameters(command=sys.executable, args=args_, env=dict(os.environ), cwd=ROOT)
    return Client(params, client_info=info(name))


def http_client(url: str, token: str | None = None, name: str = "http-test") -> tuple[Client, httpx2.AsyncClient]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    web = httpx2.AsyncClient(headers=headers)
    return Client(streamable_http_client(url, http_client=web), client_info=info(name)), web


class HttpServer:
    """`scint mcp --http 127.0.0.1:0` in a child process: `url` once it listens; its stderr kept in `errors`."""

    def __init__(self, store: str, *args: str) -> None:
        self.proc = subprocess.Popen(
            scint_command("--store", store, "mcp", "--http", "127.0.0.1:0", *args),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        first = self.proc.stderr.readline()  # type: ignore[union-attr] - the line saying where it serves, or EOF
        self.errors: list[str] = [first]
        self.drain = threading.Thread(target=self._drain, daemon=True)
        self.drain.start()
        if not first.startswith("scint mcp: serving http://127.0.0.1:"):
            self.stop()
            raise AssertionError(f"the server did not start: {''.join(self.errors)}")
        self.url = first.split()[-1]

    def _drain(self) -> None:
        for line in self.proc.stderr:  # type: ignore[union-attr]
            self.errors.append(line)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.drain.join(timeout=20)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


async def structured(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """A tool's structured result; the test fails when the call is a tool error."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def tool_error(client: Client, tool: str, **arguments: Any) -> str:
    """The message of a call that must be a tool error."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    return " ".join(getattr(c, "text", "") for c in result.content)
