"""`scint mcp` as a child process: over stdio (and nothing but protocol on its stdout) and over streamable HTTP
(stateless, bearer tokens), with programs recorded as `mcp:<client name>`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

import scint
from tests.scint_mcp.helpers import (
    ROOT,
    TOKEN,
    HttpServer,
    drive,
    http_client,
    info,
    stdio_client,
    structured,
    tool_error,
)

SETUP = 'create_context("notes"); notes.put(key="eggs", value=2)'


@pytest.fixture(params=["sqlite", "lmdb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/s.db" if request.param == "sqlite" else f"lmdb:///{tmp_path}/lmdb"


def test_stdio_round_trip(store: str) -> None:
    async def body() -> None:
        async with stdio_client(store, name="stdio client") as c:
            assert (await structured(c, "run", program=SETUP))["committed"]
            assert "UnknownAction" in await tool_error(c, "run", program='notes.put(key="x", value=1); notes.nope()')
            assert (await structured(c, "view", path="notes"))["contexts"]["notes"]["state"] == {"data": {"eggs": 2}}
            assert (await c.read_resource("scint://state/notes")).contents

    drive(body)
    with scint.open(store) as s:
        assert [(e.actor, e.source) for e in s.log()] == [("mcp:stdio-client", SETUP)]


def test_stdio_read_only_and_can_refuse(store: str) -> None:
    with scint.open(store) as s:
        s.run(SETUP)
        before = s.version

    async def body() -> None:
        async with stdio_client(store, "--read-only") as c:
            assert (await structured(c, "run", program='notes.get(key="eggs")'))["value"] == 2
            assert await tool_error(c, "run", program='notes.put(key="eggs", value=3)')
        async with stdio_client(store, "--can", "notes.get", "--can", "notes.keys") as c:
            assert (await structured(c, "run", program="notes.keys()"))["value"] == ["eggs"]
            assert "notes.put" in await tool_error(c, "run", program='notes.put(key="eggs", value=3)')

    drive(body)
    with scint.open(store) as s:
        assert s.version == before


# A server whose handlers and session opening print (as a careless module might): the prints must reach stderr.
NOISY = """
import os, sys
import scint.session.facade as facade
run, init = facade.Session.run, facade.Session.__init__
def noisy_run(self, *a, **k):
    print("stray print in a handler")
    os.write(1, b"stray write to fd 1\\n")
    return run(self, *a, **k)
def noisy_init(self, *a, **k):
    print("stray print while opening")
    init(self, *a, **k)
facade.Session.run, facade.Session.__init__ = noisy_run, noisy_init
from scint.cli import main
main(sys.argv[1:])
"""

REQUESTS = [
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}},
    },
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "run", "arguments": {"program": SETUP}}},
    {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "run", "arguments": {"program": "x.y("}}},
    {"jsonrpc": "2.0", "id": 5, "method": "resources/read", "params": {"uri": "scint://state"}},
    {"jsonrpc": "2.0", "id": 6, "method": "tools/call", "params": {"name": "log", "arguments": {}}},
]


def test_stdout_carries_nothing_but_protocol(store: str) -> None:
    """Every byte the client reads is a JSON-RPC message answering one of its requests (sent one at a time, each
    answer awaited, then stdin closed and stdout read to its end)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", NOISY, "--store", store, "mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    received = b""
    try:
        for request in REQUESTS:
            proc.stdin.write(json.dumps(request).encode() + b"\n")  # type: ignore[union-attr]
            proc.stdin.flush()  # type: ignore[union-attr]
            while "id" in request:  # read up to this request's answer
                line = proc.stdout.readline()  # type: ignore[union-attr]
                assert line, proc.stderr.read().decode()[-3000:]  # type: ignore[union-attr]
                received += line
                if json.loads(line).get("id") == request["id"]:
                    break
        proc.stdin.close()  # type: ignore[union-attr]
        received += proc.stdout.read()  # type: ignore[union-attr]
        errors = proc.stderr.read().decode()  # type: ignore[union-attr]
        assert proc.wait(timeout=60) == 0, errors[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            pipe.close()  # type: ignore[union-attr]
    assert received.endswith(b"\n")
    messages = [json.loads(line) for line in received.decode().splitlines()]
    assert all(m.get("jsonrpc") == "2.0" for m in messages)
    answers = {m["id"]: m for m in messages if "id" in m}
    assert sorted(answers) == [1, 2, 3, 4, 5, 6]
    assert not any("error" in m for m in answers.values())
    assert answers[3]["result"]["structuredContent"]["committed"] is True
    assert answers[4]["result"]["isError"] is True and "ScintSyntaxError" in answers[4]["result"]["content"][0]["text"]
    assert answers[6]["result"]["structuredContent"]["entries"][0]["actor"] == "mcp:raw"
    for stray in ("stray print in a handler", "stray write to fd 1", "stray print while opening"):
        assert stray in errors and stray.encode() not in received


def test_http_round_trip_is_stateless(store: str, http_server: Callable[..., HttpServer]) -> None:
    server = http_server(store)
    assert server.url.endswith("/mcp")

    async def body() -> None:
        client, web = http_client(server.url, name="web app")
        async with web, client as c:
            assert (await structured(c, "run", program=SETUP))["committed"]
            assert "UnknownContext" in await tool_error(c, "run", program='nope.put(key="a", value=1)')
            log = await structured(c, "log")
            assert [e["actor"] for e in log["entries"]] == ["mcp:web-app"]
        client, web = http_client(server.url, name="second")  # a new connection sees what the first recorded
        async with web, client as c:
            assert (await structured(c, "run", program='notes.get(key="eggs")'))["value"] == 2

    drive(body)


def test_http_token(store: str, http_server: Callable[..., HttpServer]) -> None:
    server = http_server(store, "--token", TOKEN)
    hello = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    wrong = ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"})
    for headers in wrong:
        answer = httpx2.post(server.url, json=hello, headers=headers, timeout=30)
        assert answer.status_code == 401 and "Bearer" in answer.headers["www-authenticate"]

    async def refused() -> None:
        client, web = http_client(server.url, token="wrong-token-of-enough-length")
        async with web, client as c:
            await c.list_tools()

    with pytest.raises(ExceptionGroup) as refusal:  # the client's error for the 401, inside its task groups
        drive(refused)
    assert refusal.group_contains(MCPError, match="error response", depth=2)

    async def accepted() -> None:
        client, web = http_client(server.url, token=TOKEN)
        async with web, client as c:
            assert (await structured(c, "run", program=SETUP))["committed"]

    drive(accepted)
    with scint.open(store) as s:
        assert [e.actor for e in s.log()] == ["mcp:http-test"]


@pytest.mark.parametrize("address", ["0.0.0.0:0", "192.0.2.1:0", "example.com:0"])
def test_a_non_loopback_host_needs_a_token(address: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scint.cli", "--store", f"sqlite:///{tmp_path}/s.db", "mcp", "--http", address],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "SCINT_MCP_TOKEN"},
    )
    assert proc.returncode == 1 and "requires a token" in proc.stderr and "SCINT_MCP_TOKEN" in proc.stderr
    assert not (tmp_path / "s.db").exists()  # refused before anything was opened


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.1:99999", "host:port", ":", "a" * 400])
def test_bad_addresses_are_refused(address: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scint.cli", "--store", f"sqlite:///{tmp_path}/s.db", "mcp", "--http", address],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 1 and proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr


def test_without_the_mcp_package_the_command_says_what_to_install(tmp_path: Path) -> None:
    code = "import sys; sys.modules['mcp'] = None; from scint.cli import main; main(sys.argv[1:])"
    proc = subprocess.run(
        [sys.executable, "-c", code, "--store", f"sqlite:///{tmp_path}/s.db", "mcp"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 1 and "pip install 'scint[mcp]'" in proc.stderr, proc.stderr


def test_the_readme_registration_snippet_starts_a_server(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    snippets = [json.loads(b) for b in re.findall(r"^```json\n(.*?)^```", readme, re.M | re.S) if "mcpServers" in b]
    assert len(snippets) == 1
    entry = snippets[0]["mcpServers"]["scint"]
    assert entry["command"] == "scint" and entry["args"][:2] == ["mcp", "--store"]
    store = f"lmdb:///{tmp_path}/notes.scint"
    args = [*entry["args"][:2], store, *entry["args"][3:]]
    command = str(Path(sys.executable).with_name("scint"))  # the console script, as a client would start it

    async def body() -> None:
        params = StdioServerParameters(command=command, args=args, env=dict(os.environ), cwd=tmp_path)
        async with Client(params, client_info=info("desktop")) as c:
            assert (await structured(c, "run", program=SETUP))["committed"]

    drive(body)
    with scint.open(store) as s:
        assert s.log()[0].actor == "mcp:desktop"


def test_concurrent_http_calls_all_land(store: str, http_server: Callable[..., HttpServer]) -> None:
    with scint.open(store) as s:
        s.run('create_context("c")')
    server = http_server(store)
    clients = 6

    async def one(i: int) -> None:
        client, web = http_client(server.url, name=f"client{i}")
        async with web, client as c:
            for j in range(3):
                await structured(c, "run", program=f'c.put(key="k{i}_{j}", value={j})')

    async def body() -> None:
        async with anyio.create_task_group() as group:
            for i in range(clients):
                group.start_soon(one, i)

    drive(body)
    with scint.open(store) as s:
        assert len(s.view("c").get("c")["data"]) == clients * 3  # no program lost
        assert len(s.log(limit=100)) == clients * 3 + 1  # none applied twice
        assert {e.actor for e in s.log(limit=100) if e.actor.startswith("mcp:")} == {f"mcp:client{i}" for i in range(6)}


def test_branch_and_a_bad_capability_on_the_command_line(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/s.db"
    with scint.open(store) as s:
        s.run(SETUP)
        s.branch("what-if")

    async def body() -> None:
        args = ("--store", store, "--branch", "what-if")  # after `mcp`, as client configurations write them
        command = ["-m", "scint.cli", "mcp", *args]
        params = StdioServerParameters(command=sys.executable, args=command, env=dict(os.environ), cwd=ROOT)
        async with Client(params) as c:
            out = await structured(c, "run", program='notes.put(key="eggs", value=3)')
            assert out["branch"] == "what-if"

    drive(body)
    with scint.open(store) as s:
        assert s.view("notes").get("notes")["data"] == {"eggs": 2}
    with scint.open(store, branch="what-if") as s:
        assert s.view("notes").get("notes")["data"] == {"eggs": 3}
    proc = subprocess.run(
        [sys.executable, "-m", "scint.cli", "--store", store, "mcp", "--can", "notes.pu t"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 1 and "not a name" in proc.stderr and not proc.stdout


def test_sigterm_stops_the_http_server_like_ctrl_c(store: str, http_server: Callable[..., HttpServer]) -> None:
    server = http_server(store)

    async def body() -> None:
        client, web = http_client(server.url)
        async with web, client as c:
            assert (await structured(c, "run", program=SETUP))["committed"]

    drive(body)
    server.stop()  # SIGTERM
    assert server.proc.returncode == 130, "".join(server.errors)
    assert "Traceback" not in "".join(server.errors)
    with scint.open(store) as s:  # the store is whole and usable
        assert s.view("notes").get("notes")["data"] == {"eggs": 2}
        s.run('notes.put(key="more", value=1)')
