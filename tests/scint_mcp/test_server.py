"""The MCP server in-process (mcp.Client on the MCPServer itself), on every store backend: tools, resources,
errors that change nothing, capabilities, the actor."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mcp import Client
from mcp.shared.exceptions import MCPError

import scint
from scint.mcp import actor_for, check_bind, describe_run, server
from scint.mcp.server import MAX_CLIENT_NAME, MAX_LOG
from tests.scint_mcp.helpers import drive, info, structured, tool_error

SETUP = 'create_context("notes"); notes.put(key="eggs", value=2)'


def test_run_view_log_and_the_actor(session: scint.Session) -> None:
    async def body() -> None:
        async with Client(server(session), client_info=info("Claude Desktop")) as c:
            out = await structured(c, "run", program=SETUP)
            assert out["values"] == ["notes", None] and out["committed"] and out["events"] == 2
            assert out["version"] == session.version
            got = await structured(c, "run", program='notes.get(key="eggs")')
            assert got["value"] == 2 and not got["committed"] and got["version"] == out["version"]
            view = await structured(c, "view", path="notes")
            assert view["contexts"] == {"notes": {"type": "Container", "state": {"data": {"eggs": 2}}}}
            assert view["version"] == session.version and view["branch"] == "main"
            log = await structured(c, "log", limit=5)
            assert [e["actor"] for e in log["entries"]] == ["mcp:Claude-Desktop"]
            assert log["entries"][0]["source"] == SETUP

    drive(body)
    assert session.log()[0].actor == "mcp:Claude-Desktop"
    assert session.view("notes").get("notes") == {"data": {"eggs": 2}}


def test_view_at_a_version_and_a_dry_run(session: scint.Session) -> None:
    session.run(SETUP)
    first = session.version

    async def body() -> None:
        async with Client(server(session)) as c:
            dry = await structured(c, "run", program='notes.put(key="eggs", value=3)', dry_run=True)
            assert dry["events"] == 1 and not dry["committed"] and dry["version"] == first
            await structured(c, "run", program='notes.put(key="eggs", value=4)')
            old = await structured(c, "view", at=first)
            assert old["contexts"]["notes"]["state"]["data"] == {"eggs": 2} and old["version"] == first

    drive(body)
    assert session.view("notes").get("notes")["data"] == {"eggs": 4}


@pytest.mark.parametrize(
    "program",
    [
        'notes.put(key="eggs", value=9); notes.nope()',  # a statement after a change fails: all undone
        'notes.put(key="eggs", value=9); missing.put(key="a", value=1)',
        'notes.put(key="eggs", value=9); notes.delete(key="absent")',
        'notes.put(key="eggs", value=9); create_context("notes")',
        'notes.put(key="eggs" value=9)',  # not Scint at all
        'notes.put(key=1, value=9)',
    ],
)
def test_a_failing_program_is_a_tool_error_and_changes_nothing(session: scint.Session, program: str) -> None:
    session.run(SETUP)
    before, log_before = session.version, session.log()

    async def body() -> str:
        async with Client(server(session)) as c:
            return await tool_error(c, "run", program=program)

    message = drive(body)
    with pytest.raises(scint.ScintError) as expected:
        session.run(program, dry_run=True)
    assert str(expected.value) in message and type(expected.value).__name__ in message  # Scint's own message
    assert session.version == before and session.log() == log_before
    assert session.view("notes").get("notes")["data"] == {"eggs": 2}


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("log", {"limit": 0}),
        ("log", {"limit": MAX_LOG + 1}),
        ("log", {"limit": "many"}),
        ("view", {"at": -1}),
        ("view", {"path": "x" * 1001}),
        ("view", {"path": "nowhere"}),
        ("view", {"at": 10**6}),
        ("run", {"program": ""}),
        ("run", {}),
        ("run", {"program": 'notes.get(key="eggs")', "dry_run": "maybe"}),
    ],
)
def test_bad_arguments_are_tool_errors(session: scint.Session, tool: str, arguments: dict[str, object]) -> None:
    session.run(SETUP)
    before = session.version

    async def body() -> str:
        async with Client(server(session)) as c:
            return await tool_error(c, tool, **arguments)

    assert drive(body)
    assert session.version == before


def test_resources(session: scint.Session) -> None:
    session.run(SETUP)
    session.run('create_context("sub", parent="notes")', actor="alice")

    async def body() -> None:
        async with Client(server(session)) as c:
            listed = {str(r.uri) for r in (await c.list_resources()).resources}
            assert listed == {"scint://help", "scint://state", "scint://log"}
            templates = {t.uri_template for t in (await c.list_resource_templates()).resource_templates}
            assert templates == {"scint://state/{path}"}

            async def text(uri: str) -> str:
                return (await c.read_resource(uri)).contents[0].text  # type: ignore[union-attr]

            assert "create_context(" in await text("scint://help")
            assert json.loads(await text("scint://state")) == json.loads(session.view().to_json())
            assert set(json.loads(await text("scint://state/notes.sub"))) == {"notes.sub"}
            assert [e["actor"] for e in json.loads(await text("scint://log"))] == ["alice", "human"]
            with pytest.raises(MCPError, match="no context `nowhere`"):
                await c.read_resource("scint://state/nowhere")

    drive(body)


def test_tools_are_described_and_annotated(session: scint.Session) -> None:
    async def body() -> None:
        async with Client(server(session)) as c:
            tools = {t.name: t for t in (await c.list_tools()).tools}
            assert set(tools) == {"run", "view", "log"}
            assert tools["run"].description == describe_run(session)
            assert tools["run"].input_schema["required"] == ["program"]
            assert tools["view"].annotations.read_only_hint and tools["log"].annotations.read_only_hint
            assert tools["run"].annotations.read_only_hint is False
            assert all(t.output_schema for t in tools.values())
            assert tools["log"].input_schema["properties"]["limit"]["maximum"] == MAX_LOG

    drive(body)


def test_read_only_allows_queries_only(session: scint.Session) -> None:
    session.run(SETUP)
    before = session.version

    async def body() -> None:
        async with Client(server(session, read_only=True)) as c:
            run = next(t for t in (await c.list_tools()).tools if t.name == "run")
            assert run.annotations.read_only_hint and "read-only" in run.description
            assert "get(key: str) (query)" in run.description and "put(key" not in run.description
            assert (await structured(c, "run", program='notes.get(key="eggs")'))["value"] == 2
            changes = ('notes.put(key="a", value=5)', 'create_context("more")', 'notes.keys(); notes.delete(key="a")')
            for program in changes:
                assert await tool_error(c, "run", program=program)

    drive(body)
    assert session.version == before and session.view("notes").get("notes")["data"] == {"eggs": 2}


def test_can_restricts_what_programs_call(session: scint.Session) -> None:
    session.run(SETUP)
    session.run('create_context("other")')
    before = session.version

    async def body() -> None:
        async with Client(server(session, can=["notes.get", "notes.keys"])) as c:
            run = next(t for t in (await c.list_tools()).tools if t.name == "run")
            assert "notes.get, notes.keys" in run.description
            assert "create_context(" not in run.description and "put(key" not in run.description
            assert (await structured(c, "run", program="notes.keys()"))["value"] == ["eggs"]
            message = await tool_error(c, "run", program='notes.put(key="eggs", value=1)')
            assert "PermissionDenied" in message and "notes.put" in message
            assert "other.keys" in await tool_error(c, "run", program="other.keys()")
            assert "create_context" in await tool_error(c, "run", program='create_context("x")')

    drive(body)
    assert session.version == before


def test_a_bad_capability_is_refused_when_the_server_is_made(session: scint.Session) -> None:
    with pytest.raises(scint.BadArguments, match="not a name"):
        server(session, can=["notes.pu t"])


@given(st.one_of(st.none(), st.integers(), st.text(max_size=300)))
def test_the_actor_name_is_sanitised_and_bounded(name: object) -> None:
    actor = actor_for(name)
    assert re.fullmatch(rf"mcp:[A-Za-z0-9_.\-]{{1,{MAX_CLIENT_NAME}}}", actor), actor
    if isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9_]{1,48}", name):
        assert actor == f"mcp:{name}"
    if not isinstance(name, str):
        assert actor == "mcp:unknown"


@pytest.mark.parametrize(
    ("host", "token", "problem"),
    [
        ("0.0.0.0", None, "requires a token"),
        ("10.1.2.3", None, "requires a token"),
        ("my-host.example", None, "requires a token"),
        ("127.0.0.1", "short", "16 to 4096 printable"),
        ("0.0.0.0", "x" * 4097, "16 to 4096 printable"),
        ("0.0.0.0", "sixteen chars ok\n", "16 to 4096 printable"),
    ],
)
def test_binding_rules(host: str, token: str | None, problem: str) -> None:
    with pytest.raises(scint.ScintError, match=problem):
        check_bind(host, token)


@pytest.mark.parametrize(
    ("host", "token"), [("127.0.0.1", None), ("::1", None), ("localhost", None), ("0.0.0.0", "t" * 16)]
)
def test_binding_allowed(host: str, token: str | None) -> None:
    check_bind(host, token)  # raises when refused
