"""MCP servers as contexts (SPEC section 13): the client side of `Session.connect_mcp`.

`connect(session, name, ...)` records a context `name` of type `MCP` holding the server's tool list (listed
once, when the context is new or the server's description changed) and registers the server with the session's
`Connections`. A connection is opened on the first call that needs it (listing tools, or a tool call) and closed
with the session. Each call runs on one event loop in a background thread, waits at most `timeout` seconds, and
turns every failure (a timeout, a server that died, an error result) into a ScintError; the interpreter records
nothing then (scint/core/interpreter.py `_tool`).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import math
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio
import anyio.from_thread
from mcp import Client, StdioServerParameters
from mcp.types import Implementation

from scint.contexts.base import NAME_RE, did_you_mean
from scint.contexts.external import server_description, up_to_date
from scint.errors import BadArguments, ScintError

if TYPE_CHECKING:
    from scint.session import Session

__all__ = ["MAX_RESULT_CHARS", "Connections", "connect"]

DEFAULT_TIMEOUT = 30.0
MAX_TIMEOUT = 3600.0
MAX_RESULT_CHARS = 1_000_000  # a tool result larger than this (as JSON) is refused, not recorded
MAX_TOOLS = 256
MAX_ARGS = 256
MAX_TEXT = 4096
_CLIENT = Implementation(name="scint", version="1")


class _Link:
    """One server: how to reach it, and while connected, the task serving its calls."""

    def __init__(self, name: str, target: Any, timeout: float) -> None:
        self.name = name
        self.target = target
        self.timeout = timeout
        self.task: concurrent.futures.Future[Any] | None = None
        self.send: Any = None  # the stream of (request, future) the serving task reads
        self.current: concurrent.futures.Future[Any] | None = None


class Connections:
    """The MCP servers one session has connected, each opened lazily and closed with the session."""

    def __init__(self) -> None:
        self._links: dict[str, _Link] = {}
        self._lock = threading.Lock()
        self._portal_cm: Any = None
        self._portal: anyio.from_thread.BlockingPortal | None = None

    def add(self, name: str, target: Any, timeout: float) -> None:
        """Register (or replace) server `name`; nothing is started until a call needs it."""
        with self._lock:
            old = self._links.pop(name, None)
            self._links[name] = _Link(name, target, timeout)
        if old is not None:
            self._drop(old)

    def __contains__(self, name: str) -> bool:
        return name in self._links

    def list_tools(self, name: str) -> dict[str, Any]:
        """The server's tools: name -> {"description", "input_schema"}."""

        async def listing(client: Client) -> dict[str, Any]:
            tools: dict[str, Any] = {}
            cursor = None
            while True:
                page = await client.list_tools(cursor=cursor)
                for tool in page.tools:
                    tools[tool.name] = {"description": tool.description or "", "input_schema": tool.input_schema}
                cursor = page.next_cursor
                if cursor is None or len(tools) > MAX_TOOLS:
                    return tools

        return self._request(name, "listing its tools", listing)

    def call(self, name: str, tool: str, arguments: dict[str, Any]) -> Any:
        """Call `tool` and return its result as JSON: the structured content when there is one, else the text
        (or the content items when not all are text). A tool error is a ScintError carrying its text."""

        async def calling(client: Client) -> Any:
            return await client.call_tool(tool, arguments)

        result = self._request(name, f"calling {tool}", calling)
        texts = [c.text for c in result.content if getattr(c, "type", None) == "text"]
        if result.is_error:
            raise ScintError(f"{name}.{tool}() failed on the MCP server: {' '.join(texts)[:MAX_TEXT] or 'no message'}")
        if result.structured_content is not None:
            value: Any = result.structured_content
        elif len(texts) == len(result.content):
            value = "\n".join(texts)
        else:
            value = [c.model_dump(mode="json", exclude_none=True) for c in result.content]
        try:
            size = len(json.dumps(value, allow_nan=False))
        except (TypeError, ValueError):
            raise ScintError(f"{name}.{tool}() returned a value Scint cannot store") from None
        if size > MAX_RESULT_CHARS:
            raise ScintError(f"{name}.{tool}() returned {size:,} characters; at most {MAX_RESULT_CHARS:,} are recorded")
        return value

    def close(self) -> None:
        """Close every connection and stop the event loop (idempotent)."""
        with self._lock:
            links, self._links = list(self._links.values()), {}
            portal_cm, self._portal_cm, self._portal = self._portal_cm, None, None
        for link in links:
            self._drop(link)
        if portal_cm is not None:
            with contextlib.suppress(Exception):
                portal_cm.__exit__(None, None, None)

    # -- plumbing -------------------------------------------------------------------------------------------

    def _request(self, name: str, what: str, fn: Callable[[Client], Awaitable[Any]]) -> Any:
        link = self._links.get(name)
        if link is None:
            raise ScintError(
                f"`{name}` is an MCP context this session has not connected: "
                f'call session.connect_mcp("{name}", command=... or url=...) or `scint up` first'
            )
        with self._lock:
            portal = self._start_portal()
            if link.task is None or link.task.done():
                ready: concurrent.futures.Future[Any] = concurrent.futures.Future()
                link.task = portal.start_task_soon(self._serve, link, ready)
                self._wait(link, ready, f"connecting to the MCP server `{name}`")
            answer: concurrent.futures.Future[Any] = concurrent.futures.Future()
            try:
                portal.call(link.send.send, (fn, answer))
            except Exception as exc:
                self._drop(link)
                raise ScintError(f"the MCP server `{name}` is gone ({what}): {_reason(exc)}") from None
        return self._wait(link, answer, f"{what} on the MCP server `{name}`")

    def _wait(self, link: _Link, future: concurrent.futures.Future[Any], what: str) -> Any:
        try:
            return future.result(timeout=link.timeout)
        except concurrent.futures.TimeoutError:
            self._drop(link)
            raise ScintError(f"{what} took longer than {link.timeout:g} s; nothing was recorded") from None
        except concurrent.futures.CancelledError:
            raise ScintError(f"{what} was cancelled; nothing was recorded") from None
        except ScintError:
            raise
        except Exception as exc:
            self._drop(link)
            raise ScintError(f"{what} failed: {_reason(exc)}; nothing was recorded") from None
        except BaseException:  # Ctrl-C while waiting: the call is abandoned with its connection
            self._drop(link)
            raise

    def _start_portal(self) -> anyio.from_thread.BlockingPortal:
        if self._portal is None:
            self._portal_cm = anyio.from_thread.start_blocking_portal()
            self._portal = self._portal_cm.__enter__()
        return self._portal

    async def _serve(self, link: _Link, ready: concurrent.futures.Future[Any]) -> None:
        """The task holding one connection: it opens the client, then makes the calls sent to it, in turn."""
        send, receive = anyio.create_memory_object_stream[Any](16)
        link.send = send
        try:
            async with Client(link.target, client_info=_CLIENT, raise_exceptions=True) as client:
                ready.set_result(None)
                async with receive:
                    async for fn, answer in receive:
                        link.current = answer
                        try:
                            answer.set_result(await fn(client))
                        except Exception as exc:
                            if not answer.done():
                                answer.set_exception(exc)
                            raise
                        finally:
                            link.current = None
        except BaseException as exc:
            for pending in (ready, link.current):
                if pending is not None and not pending.done():
                    pending.set_exception(ScintError(_reason(exc)))
            if not isinstance(exc, Exception):
                raise

    def _drop(self, link: _Link) -> None:
        """Stop a connection's task (which closes the client and ends a server it started)."""
        task, link.task = link.task, None
        if task is not None and not task.done():
            task.cancel()


def _reason(exc: BaseException) -> str:
    """A short account of an exception, unwrapping exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc).strip() or type(exc).__name__
    return text[:MAX_TEXT]


def _strings(value: Any, what: str, limit: int) -> list[str]:
    if not isinstance(value, (list, tuple)) or len(value) > limit or not all(isinstance(v, str) for v in value):
        raise BadArguments(f"{what} must be a list of at most {limit} strings")
    if any(len(v) > MAX_TEXT or "\0" in v for v in value):
        raise BadArguments(f"each of {what} is at most {MAX_TEXT} characters, without NUL")
    return list(value)


def target_of(
    command: Any = None, args: Any = (), env: Any = None, url: Any = None, server: Any = None
) -> tuple[Any, dict[str, Any]]:
    """What the client connects to, and the description the context records (never the environment's values)."""
    given = [k for k, v in (("command", command), ("url", url), ("server", server)) if v is not None]
    if len(given) != 1:
        raise BadArguments("connect_mcp needs exactly one of command= (a program to start), url= or server=")
    if command is not None:
        if not isinstance(command, str) or not command or len(command) > MAX_TEXT or "\0" in command:
            raise BadArguments("command must be a non-empty string (the program that starts the server)")
        arglist = _strings(args, "args", MAX_ARGS)
        if env is not None and not (
            isinstance(env, dict) and len(env) <= MAX_ARGS and all(isinstance(v, str) for v in env.values())
        ):
            raise BadArguments("env must be a dict of strings")
        envs = {k: env[k] for k in _strings(list(env or {}), "env's names", MAX_ARGS)}
        params = StdioServerParameters(command=command, args=arglist, env=envs or None)
        return params, server_description(command, arglist, envs)
    if args or env:
        raise BadArguments("args and env go with command=, not with url= or server=")
    if url is not None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > 2048:
            raise BadArguments("url must be an http:// or https:// address")
        return url, server_description(url=url)
    return server, {"in_process": type(server).__name__}


def connect(
    session: Session,
    name: Any,
    *,
    command: Any = None,
    args: Any = (),
    env: Any = None,
    url: Any = None,
    server: Any = None,
    tools: Any = None,
    timeout: Any = DEFAULT_TIMEOUT,
) -> list[str]:
    """`Session.connect_mcp`: returns the tools the context offers."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise BadArguments(f"an MCP context's name is a plain name like files, not {name!r:.80}")
    if type(timeout) not in (int, float) or not (0 < timeout <= MAX_TIMEOUT) or math.isnan(timeout):
        raise BadArguments(f"timeout is a number of seconds above 0 and at most {MAX_TIMEOUT:g}")
    chosen = None if tools is None else _strings(tools, "tools", MAX_TOOLS)
    target, described = target_of(command, args, env, url, server)
    connections = session._mcp_connections()
    view = session.view()
    if name in view and view.type_of(name) != "MCP":
        raise ScintError(f"`{name}` is already a {view.type_of(name)} context; choose another name for the server")
    connections.add(name, target, float(timeout))
    have = view.get(name) if name in view else None
    if have is not None and up_to_date(have, described, chosen):
        return sorted(have["tools"])  # recorded already: connected lazily, on the first call
    listed = connections.list_tools(name)
    if chosen is not None:
        for tool in chosen:
            if tool not in listed:
                raise ScintError(
                    f"the MCP server `{name}` has no tool `{tool}`{did_you_mean(tool, listed)}; "
                    f"its tools are: {', '.join(sorted(listed)) or 'none'}"
                )
        listed = {t: listed[t] for t in chosen}
    offered = {t: spec for t, spec in listed.items() if NAME_RE.fullmatch(t)}  # callable as name.tool(...)
    params = {"name": name, "server": described, "tools": offered}
    if have is None:
        session.run('create_context($name, type="MCP", server=$server, tools=$tools)', params=params)
    else:
        session.run(f"{name}.refresh(server=$server, tools=$tools)", params=params, _internal=True)
    return sorted(offered)
