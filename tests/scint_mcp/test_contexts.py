"""MCP servers as contexts (SPEC section 13, second paragraph): a server's tools are a context's actions, each call
made once by the session before it is recorded, its result kept in the event, so views, replay and export
never contact the server. The server is the suite's own (tests/scint_mcp/tool_server.py), which counts calls."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scint
from scint.contexts.external import MCP, tool_params
from scint.errors import BadArguments, PermissionDenied, ScintError, UnknownAction
from tests.scint_mcp.tool_server import make

ROOT = Path(__file__).resolve().parents[2]


def stdio(count_file: Path) -> dict[str, Any]:
    """connect_mcp's arguments that start the suite's server in a child process, counting into `count_file`."""
    return {"command": sys.executable, "args": ["-m", "tests.scint_mcp.tool_server", str(count_file)],
            "env": {"PYTHONPATH": str(ROOT)}}


def counted(count_file: Path) -> list[str]:
    return count_file.read_text().split() if count_file.exists() else []


@pytest.fixture
def calls() -> list[str]:
    return []


@pytest.fixture
def files(session: scint.Session, calls: list[str]) -> Iterator[scint.Session]:
    """The session with the in-process server connected as context `files`."""
    assert session.connect_mcp("files", server=make(calls)) == ["add", "crash", "hang", "read_file"]
    yield session


def test_tool_calls_are_recorded_with_their_results(files: scint.Session, calls: list[str]) -> None:
    result = files.run('t = files.read_file(path="a.txt")\ns = files.add(2, b=3, style="loud")')
    assert result.values == ({"result": "alpha"}, {"sum": 5, "style": "loud"})
    assert calls == ["read_file", "add"]
    assert [(e.path, e.action) for e in result.events] == [("files", "call"), ("files", "call")]
    assert result.events[1].args == {"tool": "add", "arguments": {"a": 2, "b": 3, "style": "loud"},
                                     "result": {"sum": 5, "style": "loud"}}
    assert files.view().get("files")["calls"] == 2
    # an optional parameter left out is not sent (the server's default applies)
    assert files.run("files.add(1, 1)").events[0].args["arguments"] == {"a": 1, "b": 1}


def test_replay_view_and_export_never_call_the_server(
    files: scint.Session, calls: list[str], tmp_path: Path
) -> None:
    files.run('files.read_file(path="b.txt")\nnotes = files.add(40, 2)')
    made = list(calls)
    before = files.view().get("files")
    assert files.replay().get("files") == before
    assert files.view(at=files.version).get("files") == before
    assert files.export(tmp_path / "h.jsonl") > 0
    copy = scint.load(tmp_path / "h.jsonl")
    try:
        assert copy.view().get("files") == before
        assert copy.view().get("files")["tools"]["add"]["input_schema"]["required"] == ["a", "b"]
        # the copy has no connection: help and validation work from the recorded tool list, a call is refused
        assert "files.add(a: int, b: int" in copy.run("files.list_tools()").value[0]
        with pytest.raises(BadArguments, match="`b`"):
            copy.run('files.add(1, b="two")')
        with pytest.raises(ScintError, match="has not connected"):
            copy.run("files.add(1, 2)")
        assert copy.view().get("files")["calls"] == 2
    finally:
        copy.close()
    assert calls == made


@pytest.mark.parametrize(
    ("program", "error", "message"),
    [
        ('files.read_fil(path="a.txt")', UnknownAction, "did you mean `read_file`"),
        ('files.add(a="x", b=2)', BadArguments, "`a` must be int"),
        ("files.add(1)", BadArguments, "missing the argument `b`"),
        ('files.add(1, 2, style="quiet")', BadArguments, "`style` must be"),
        ('files.read_file(pth="a.txt")', BadArguments, "did you mean `path`"),
        ("files.add(1, 2, 3, 4)", BadArguments, "positional"),
    ],
)
def test_calls_are_validated_against_the_schema_before_the_server_sees_them(
    files: scint.Session, calls: list[str], program: str, error: type[Exception], message: str
) -> None:
    version = files.version
    with pytest.raises(error, match=message):
        files.run(program)
    assert calls == [] and files.version == version


def test_a_dry_run_checks_a_call_but_does_not_make_it(files: scint.Session, calls: list[str]) -> None:
    assert files.run("files.add(1, 2)", dry_run=True).value is None
    with pytest.raises(BadArguments):
        files.run('files.add(1, "2")', dry_run=True)
    with pytest.raises(PermissionDenied):
        files.run("files.add(1, 2)", dry_run=True, can=["files.read_file"])
    assert calls == [] and files.version == 1


def test_a_tool_error_records_nothing(files: scint.Session, calls: list[str]) -> None:
    version = files.version
    with pytest.raises(ScintError, match="no file nope"):
        files.run('files.add(1, 2)\nfiles.read_file(path="nope")')
    assert calls == ["add", "read_file"]  # made, but the program is atomic: nothing recorded
    assert files.version == version and files.view().get("files")["calls"] == 0


def test_calls_need_the_capability(files: scint.Session, calls: list[str]) -> None:
    assert files.run('files.read_file(path="a.txt")', can=["files.read_file"]).value == {"result": "alpha"}
    assert files.run("files.add(1, 2)", can=["files.*"]).value["sum"] == 3
    with pytest.raises(PermissionDenied, match=r"files\.add"):
        files.run("files.add(1, 2)", can=["files.read_file"])
    with pytest.raises(PermissionDenied):
        files.run("files.add(1, 2)", read_only=True)
    assert calls == ["read_file", "add"]


def test_help_and_the_cheat_sheet_list_the_tools(files: scint.Session) -> None:
    tools = files.run("files.list_tools()").value
    assert tools[0].startswith("files.add(a: int, b: int") and "Add two integers" in tools[0]
    from scint.llm.docs import cheat

    sheet = cheat(files)
    assert "files.read_file(path: str) - The text of a file." in sheet
    assert "files.add(a: int" in files.run("help()").value
    files.run('create_context("p", type="Process", can=["files.read_file"])')
    limited = cheat(files, actor="process:p")
    assert "files.read_file(path: str)" in limited and "files.add" not in limited


def test_a_hanging_tool_times_out_and_records_nothing(session: scint.Session, calls: list[str]) -> None:
    session.connect_mcp("slow", server=make(calls), timeout=0.5)
    version = session.version
    with pytest.raises(ScintError, match=r"took longer than 0.5 s; nothing was recorded"):
        session.run("slow.hang()")
    assert session.version == version and calls == ["hang"]
    assert session.run('slow.read_file(path="a.txt")').value == {"result": "alpha"}  # reconnected on next call


def test_over_stdio_lazily_and_a_crash_is_a_clear_error(
    persistent_url: str, tmp_path: Path
) -> None:
    count = tmp_path / "count"
    with scint.open(persistent_url) as s:
        assert "read_file" in s.connect_mcp("disk", **stdio(count))
        assert s.run('disk.read_file(path="a.txt")').value == {"result": "alpha"}
        with pytest.raises(ScintError, match="MCP server `disk`"):
            s.run("disk.crash()")
        assert s.view().get("disk")["calls"] == 1
        assert s.run("disk.add(1, 2)").value["sum"] == 3  # started again on the next call
    assert counted(count) == ["read_file", "crash", "add"]
    with scint.open(persistent_url) as s:
        # recorded already: connecting again starts nothing until a call needs it
        assert s.connect_mcp("disk", **stdio(count)) == ["add", "crash", "hang", "read_file"]
        assert counted(count) == ["read_file", "crash", "add"]
        assert s.replay().get("disk")["calls"] == 2
        assert s.run('disk.read_file(path="b.txt")').value == {"result": "beta"}
    assert counted(count) == ["read_file", "crash", "add", "read_file"]


def test_connect_checks_its_arguments(session: scint.Session) -> None:
    bad: list[dict[str, Any]] = [
        {},
        {"command": "x", "url": "http://h/mcp"},
        {"command": ""},
        {"command": "x", "args": "not-a-list"},
        {"command": "x", "env": {"A": 1}},
        {"url": "ftp://h"},
        {"url": "http://h/mcp", "args": ["a"]},
        {"server": make(), "timeout": 0},
        {"server": make(), "timeout": float("nan")},
        {"server": make(), "tools": "read_file"},
    ]
    for kwargs in bad:
        with pytest.raises(BadArguments):
            session.connect_mcp("files", **kwargs)
    with pytest.raises(BadArguments):
        session.connect_mcp("not a name", server=make())
    with pytest.raises(ScintError, match=r"no tool `red_file`.*did you mean `read_file`"):
        session.connect_mcp("files", server=make(), tools=["red_file"])
    assert session.version == 0
    session.run('create_context("notes")')
    with pytest.raises(ScintError, match="already a Container"):
        session.connect_mcp("notes", server=make())


def test_a_tool_selection_offers_only_those_tools(session: scint.Session) -> None:
    assert session.connect_mcp("files", server=make(), tools=["read_file"]) == ["read_file"]
    with pytest.raises(UnknownAction, match="its tools are: read_file"):
        session.run("files.add(1, 2)")


def test_up_connects_the_declared_servers(tmp_path: Path, open_session: Callable[..., scint.Session]) -> None:
    count = tmp_path / "count"
    args = ", ".join(f'"{a}"' for a in stdio(count)["args"])
    (tmp_path / "scint.toml").write_text(
        f'[mcp.disk]\ncommand = "{sys.executable}"\nargs = [{args}]\nenv = {{PYTHONPATH = "{ROOT}"}}\n'
        'tools = ["read_file"]\n'
    )
    s = open_session()
    report = s.up(tmp_path / "scint.toml")
    assert "disk" in str(report)
    assert s.run('disk.read_file(path="a.txt")').value == {"result": "alpha"}
    again = s.up(tmp_path / "scint.toml")
    assert str(again) == "scint.toml: up to date"  # recorded already: registered, not contacted
    assert counted(count) == ["read_file"]
    (tmp_path / "bad.toml").write_text(f'[mcp.gone]\ncommand = "{sys.executable}"\nargs = ["-c", "pass"]\n')
    version = s.version
    assert "! mcp.gone: not connected" in str(s.up(tmp_path / "bad.toml"))
    assert s.version == version and "gone" not in s.view()


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.sampled_from(["string", "integer", "object"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)
_SCHEMA = _JSON | st.fixed_dictionaries(
    {},
    optional={
        "properties": st.dictionaries(st.text(min_size=1, max_size=5), _JSON | st.fixed_dictionaries(
            {}, optional={"type": _JSON, "enum": _JSON}), max_size=4),
        "required": _JSON | st.lists(st.text(max_size=5), max_size=4),
        "additionalProperties": _JSON,
    },
)


@settings(max_examples=150, deadline=None)
@given(_SCHEMA, st.lists(_JSON, max_size=3), st.dictionaries(st.text(min_size=1, max_size=5), _JSON, max_size=3))
def test_any_input_schema_gives_a_spec_that_binds_or_refuses_cleanly(schema: Any, args: list[Any],
                                                                     kwargs: dict[str, Any]) -> None:
    """Whatever a server sends as a tool's schema, and whatever a program passes: a Spec, then either bound
    arguments or BadArguments, never another exception."""
    tools = {"t": {"description": "d", "input_schema": schema}}
    spec = MCP.restore({"server": {}, "tools": tools, "calls": 0}, "files", None).tool_spec("t")  # type: ignore[attr-defined]
    assert spec.params == tool_params(schema)
    try:
        bound = spec.bind(args, kwargs, where="files")
    except BadArguments:
        return
    assert set(bound) >= {p.name for p in spec.params if p.required}


def test_the_model_s_grammar_admits_the_tools(files: scint.Session) -> None:
    from scint.llm.grammar import targets

    contexts, functions, history, allows = files.callables()
    found = dict(targets(contexts, functions, history, allows=allows))
    assert found["files.read_file"].signature() == "read_file(path: str)"
    assert "files.call" not in found  # the recording action is internal
    contexts, functions, history, allows = files.callables(can=["files.add"])
    allowed = dict(targets(contexts, functions, history, allows=allows))
    assert "files.add" in allowed and "files.read_file" not in allowed


def test_a_process_calls_the_server_within_its_capabilities(files: scint.Session, calls: list[str]) -> None:
    from scint.llm import MockProvider

    files.run('create_context("lit", type="Process", goal="read a.txt", can=["files.read_file", "self.**"])')
    files.llm = mock = MockProvider(
        [{"program": 'files.read_file(path="a.txt")'}, {"program": "files.add(1, 2)"}, "alpha it is"]
    )
    assert files.run("lit.run(max_steps=5)").value == "alpha it is"
    assert calls == ["read_file"]  # add was refused before the server saw it
    first, second, third = mock.history
    assert "files.read_file(path: str)" in str(first.tools) and "files.add" not in str(first.tools)
    assert second.messages[-1]["content"].startswith("ok") and '"alpha"' in second.messages[-1]["content"]
    assert "process:lit may not call files.add" in third.messages[-1]["content"]
    entry = next(e for e in files.log() if e.actor == "process:lit" and "read_file" in e.source)
    assert entry.events == 1
    made = list(calls)
    assert files.replay().get("files")["calls"] == 1 and calls == made


@pytest.fixture
def http_server(calls: list[str]) -> Iterator[str]:
    """The suite's server over streamable HTTP on a free loopback port, in a thread that stops with the test."""
    import socket
    import threading

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)  # listening before the thread starts: a client's connection waits in the backlog
    server = uvicorn.Server(uvicorn.Config(make(calls).streamable_http_app(), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@pytest.mark.parametrize("backend", ["sqlite", "lmdb"], indirect=True)
def test_a_server_over_http_by_url(session: scint.Session, http_server: str, calls: list[str]) -> None:
    assert session.connect_mcp("web", url=http_server) == ["add", "crash", "hang", "read_file"]
    assert session.run('web.read_file(path="b.txt")').value == {"result": "beta"}
    assert calls == ["read_file"]
    assert session.view().get("web")["server"] == {"url": http_server}
    with scint.open(session.url) as again:  # another session replays the recorded result: no call is made
        assert again.log()[0].source == 'web.read_file(path="b.txt")'
        assert again.view().get("web")["calls"] == 1
    assert calls == ["read_file"]


@pytest.mark.parametrize("api", ["chat", "responses"])
def test_a_process_run_through_the_openai_client_calls_the_server_once(
    files: scint.Session, calls: list[str], api: str
) -> None:
    """The real `openai` client against a loopback OpenAI-compatible server: the model's program calls the MCP
    tool; the call is made once, recorded, and a replay asks neither the model nor the MCP server again."""
    from scint.llm import OpenAIProvider
    from tests.llm.conftest import FakeOpenAI

    model = FakeOpenAI()
    try:
        model.enqueue({"program": 'self.add_task(title="read"); files.read_file(path="b.txt")'}, "beta it is")
        files.run('create_context("lit", type="Process", goal="read b.txt", can=["files.read_file", "self.**"])')
        files.llm = OpenAIProvider("test-model", api=api, base_url=model.base_url, api_key="test", max_retries=0)
        assert files.run("lit.run(max_steps=3)").value == "beta it is"
        assert calls == ["read_file"] and len(model.requests) == 2
        assert 'beta' in json.dumps(model.requests[1][1]) and 'beta' not in json.dumps(model.requests[0][1])
        before = len(model.requests)
        assert files.replay().get("files")["calls"] == 1
        assert files.replay().get("lit.t1")["title"] == "read"
        assert calls == ["read_file"] and len(model.requests) == before
    finally:
        model.close()
