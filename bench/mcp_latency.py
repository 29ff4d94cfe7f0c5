"""Round-trip latency of the MCP server's `run` tool against Session.run in-process, measured in the same run.

  session   Session.run('c.put(key="k", value=i)') in this process (the baseline)
  inproc    the same program through mcp.Client on the MCPServer object (no transport: the SDK's dispatch,
            argument validation, result conversion, the worker thread and the session lock)
  stdio     through `scint mcp` as a child process over stdin/stdout (JSON-RPC lines through two pipes)
  http      through `scint mcp --http 127.0.0.1:0` (streamable HTTP, stateless, JSON responses)
  ... log   the `log(limit=1)` tool on the same transport: the protocol's cost with almost no Scint work

Every case uses its own memory:// store (the figures measure the protocol, not the disk). Median and p90 of
`--calls` sequential calls after `--warmup` calls. (Named mcp_latency.py, not mcp.py: a script named mcp.py puts
its own directory first on sys.path and would shadow the `mcp` package.)

Run: python bench/mcp_latency.py [--calls 500] [--warmup 50]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

import scint
from scint.mcp import server

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = 'c.put(key="k", value={i})'


def stats(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[int(len(samples) * 0.9)]


def session_case(calls: int, warmup: int) -> list[float]:
    s = scint.open("memory://")
    s.run('create_context("c")')
    out = []
    for i in range(warmup + calls):
        t = time.perf_counter()
        s.run(PROGRAM.format(i=i), "mcp:bench")
        out.append(time.perf_counter() - t)
    s.close()
    return out[warmup:]


async def client_case(client: Client, calls: int, warmup: int, tool: str) -> list[float]:
    out = []
    async with client as c:
        await c.call_tool("run", {"program": 'create_context("c")'})
        for i in range(warmup + calls):
            arguments: dict[str, Any] = {"program": PROGRAM.format(i=i)} if tool == "run" else {"limit": 1}
            t = time.perf_counter()
            result = await c.call_tool(tool, arguments)
            out.append(time.perf_counter() - t)
            assert not result.is_error, result.content
    return out[warmup:]


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "scint.cli", "--store", "memory://", "mcp", *args]


def stdio_client() -> Client:
    cmd = command()
    return Client(StdioServerParameters(command=cmd[0], args=cmd[1:], cwd=ROOT, env=dict(os.environ)))


class HttpServer:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            command("--http", "127.0.0.1:0"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT
        )
        line = self.proc.stderr.readline()  # type: ignore[union-attr]
        if "serving" not in line:
            self.stop()
            raise SystemExit(f"the HTTP server did not start: {line}")
        self.url = line.split()[-1]
        threading.Thread(target=self.proc.stderr.read, daemon=True).start()  # type: ignore[union-attr]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


async def thread_hops(n: int) -> list[float]:
    """The worker-thread hop each call makes (a Session call must not block the event loop)."""
    out = []
    for _ in range(n):
        t = time.perf_counter()
        await anyio.to_thread.run_sync(lambda: None)
        out.append(time.perf_counter() - t)
    return out


def run_case(make: Callable[[], Awaitable[list[float]]]) -> list[float]:
    return anyio.run(make)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--warmup", type=int, default=50)
    args = ap.parse_args()
    n, w = args.calls, args.warmup
    print(f"Python {platform.python_version()}, mcp {version('mcp')}, {n} calls after {w} warm-up, memory:// stores")
    results: dict[str, list[float]] = {"session": session_case(n, w)}

    async def inproc(tool: str) -> list[float]:
        s = scint.open("memory://")
        try:
            return await client_case(Client(server(s)), n, w, tool)
        finally:
            s.close()

    async def http(tool: str, url: str) -> list[float]:
        async with httpx2.AsyncClient() as web:
            return await client_case(Client(streamable_http_client(url, http_client=web)), n, w, tool)

    for tool in ("run", "log"):
        suffix = "" if tool == "run" else " log"
        results["inproc" + suffix] = run_case(lambda tool=tool: inproc(tool))
        results["stdio" + suffix] = run_case(lambda tool=tool: client_case(stdio_client(), n, w, tool))
        web = HttpServer()
        try:
            results["http" + suffix] = run_case(lambda tool=tool, url=web.url: http(tool, url))
        finally:
            web.stop()
    base, _ = stats(results["session"])
    print(f"{'case':12} {'median':>10} {'p90':>10} {'x Session.run':>14}")
    for name, samples in results.items():
        med, p90 = stats(samples)
        print(f"{name:12} {med * 1e6:8.0f}us {p90 * 1e6:8.0f}us {med / base:13.1f}x")
    hop = stats(run_case(lambda: thread_hops(n + w)))[0]
    med = {name: stats(samples)[0] for name, samples in results.items()}
    print("where a `run` call's time goes (medians):")
    print(f"  Session.run itself                                  {base * 1e6:8.0f}us")
    print(f"  the SDK in-process (dispatch, validation, results)  {(med['inproc'] - base) * 1e6:8.0f}us"
          f"  (of which the worker-thread hop: {hop * 1e6:.0f}us)")
    print(f"  stdio on top (JSON-RPC lines, two pipes, processes) {(med['stdio'] - med['inproc']) * 1e6:8.0f}us")
    print(f"  HTTP on top (a request, uvicorn, starlette)         {(med['http'] - med['inproc']) * 1e6:8.0f}us")

if __name__ == "__main__":
    main()
