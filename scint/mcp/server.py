"""The MCP server: one Session behind the tools `run`, `view`, `log` and the `scint://` resources.

Every call goes through one lock to the session (MCP handlers run in worker threads; a Session serves one caller
at a time), so concurrent clients see programs one after another, each atomic. A failing program is a tool error
carrying Scint's message and changes nothing; every other input is bounded by the input schemas.
"""

# No `from __future__ import annotations`: the SDK reads the tools' annotations, which name local bounds.

import contextlib
import json
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from scint.contexts.base import Spec
from scint.contexts.help import cheat_sheet
from scint.contexts.registry import registered
from scint.errors import ScintError
from scint.session import Session

__all__ = ["MAX_LOG", "actor_for", "describe_run", "serve_stdio", "server"]

MAX_LOG = 1000  # entries one `log` call or the scint://log resource returns, at most
MAX_PATH_CHARS = 1000
MAX_CLIENT_NAME = 48
LOG_RESOURCE_ENTRIES = 100
JSON = "application/json"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")
T = TypeVar("T")


def actor_for(client_name: object) -> str:
    """The actor a client's programs are recorded with: `mcp:<name>`, the name from the client's initialize
    `clientInfo` cut to letters, digits, `_ . -` and MAX_CLIENT_NAME characters; `mcp:unknown` without one."""
    name = _UNSAFE.sub("-", client_name if isinstance(client_name, str) else "")
    name = name[: MAX_CLIENT_NAME * 4].strip("-.")[:MAX_CLIENT_NAME].strip("-.")
    return f"mcp:{name or 'unknown'}"


def _client_name(ctx: Context | None) -> object:
    try:
        params = ctx.request_context.session.client_params  # type: ignore[union-attr]
        return params.client_info.name if params is not None else None
    except (AttributeError, LookupError, ValueError):  # no request (a direct call) or no client info
        return None


def describe_run(session: Session, can: Iterable[str] | None = None, read_only: bool = False) -> str:
    """The `run` tool's description: the cheat sheet listing only what a server started with these
    capabilities lets a program call (queries only when `read_only`). An action of a type counts when some
    context of that type allows it, or, when `create_context` is allowed, when a glob's last part could name it
    on a context not made yet (`*`, `**` or the action's name)."""
    globs = None if can is None else list(can)
    contexts, functions, history, allows = session.callables(None, globs)
    types = registered()
    creatable = not read_only and "create_context" in functions
    last = {g.rsplit(".", 1)[-1] for g in globs or ()}
    paths: dict[str, list[str]] = {}
    for path, ctx in contexts.items():
        paths.setdefault(ctx.__scint_type__, []).append(path)

    def readable(spec: Spec) -> bool:
        return not read_only or spec.is_query

    def allowed(type_name: str, action: str) -> bool:
        if not readable(types[type_name].__scint_specs__[action]):
            return False
        if allows is None or any(allows(p, action) for p in paths.get(type_name, ())):
            return True
        return creatable and bool(last & {"*", "**", action})

    sheet = cheat_sheet(
        types,
        {n: s for n, s in functions.items() if readable(s)},
        {n: s for n, s in history.items() if readable(s)},
        allowed=allowed,
    )
    lines = ["Run a Scint program (atomic: on an error nothing changes) and get each statement's value."]
    if read_only:
        lines.append("This server is read-only: programs may call queries only.")
    if globs is not None:
        lines.append(f"Programs may call only: {', '.join(globs) or 'nothing'} (capability globs over path.action).")
    return "\n".join([*lines, "", sheet])


class RunOutput(BaseModel):
    """A program's outcome."""

    value: Any = Field(description="the last statement's value")
    values: list[Any] = Field(description="every statement's value, in order")
    version: int = Field(description="the branch version after the program")
    branch: str
    events: int = Field(description="events recorded (those it would record, for a dry run)")
    committed: bool = Field(description="whether the program changed state (false for a dry run or queries)")
    program_id: str


class ContextState(BaseModel):
    type: str
    state: dict[str, Any]


class ViewOutput(BaseModel):
    """The state of the contexts under `path` at version `version`."""

    branch: str
    version: int
    path: str | None
    contexts: dict[str, ContextState] = Field(description="path -> its type and state, parents before children")


class LogItem(BaseModel):
    version: int
    actor: str
    source: str = Field(description="the program's text")
    time: str
    program_id: str
    events: int


class LogOutput(BaseModel):
    """Programs that changed state, newest first."""

    entries: list[LogItem]


class _Host:
    """The session the server serves, behind one lock, with the capabilities it was started with."""

    def __init__(self, session: Session, can: Iterable[str] | None, read_only: bool) -> None:
        self.session = session
        self.can = None if can is None else list(can)
        self.read_only = read_only
        self.lock = threading.Lock()

    async def call(self, fn: Callable[[], T], error: type[Exception] = ToolError) -> T:
        def locked() -> T:
            with self.lock:
                return fn()

        try:
            return await anyio.to_thread.run_sync(locked)
        except ScintError as exc:
            raise error(f"{type(exc).__name__}: {exc}") from None

    def run(self, program: str, dry_run: bool, actor: str) -> RunOutput:
        result = self.session.run(program, actor, dry_run=dry_run, can=self.can, read_only=self.read_only)
        return RunOutput(
            value=result.value,
            values=list(result.values),
            version=result.version,
            branch=result.branch,
            events=len(result.events),
            committed=bool(result.events) and not dry_run,
            program_id=result.program_id,
        )

    def view(self, path: str | None, at: int | None) -> ViewOutput:
        v = self.session.view(path or None, at)
        contexts = {p: ContextState(type=v.type_of(p), state=v.get(p)) for p in v.paths()}
        return ViewOutput(branch=v.branch, version=v.version, path=v.path, contexts=contexts)

    def log(self, limit: int) -> LogOutput:
        return LogOutput(
            entries=[
                LogItem(
                    version=e.version,
                    actor=e.actor,
                    source=e.source,
                    time=e.time.isoformat(),
                    program_id=e.program_id,
                    events=e.events,
                )
                for e in self.session.log(limit)
            ]
        )

    def state_json(self, path: str | None) -> str:
        return self.session.view(path).to_json()


def server(
    session: Session, *, can: Iterable[str] | None = None, read_only: bool = False, name: str = "scint"
) -> MCPServer:
    """An MCP server over `session`: tools `run`, `view`, `log` and the `scint://` resources. `can` (capability
    globs, SPEC section 10) restricts what programs may call and `read_only` allows queries only; `run`'s
    description is the cheat sheet specialised to them."""
    host = _Host(session, can, read_only)
    description = describe_run(session, host.can, read_only)  # a bad glob is refused here, not on each call
    app: MCPServer = MCPServer(
        name,
        instructions="Scint: shared state changed by small exact programs, every change recorded. "
        "Read scint://help for the language; the `run` tool's description has it too.",
        log_level="WARNING",
    )
    program_chars = session.limits.max_program_chars

    @app.tool(
        description=description, annotations=ToolAnnotations(title="Run a Scint program", read_only_hint=read_only)
    )
    async def run(
        program: Annotated[str, Field(min_length=1, max_length=program_chars, description="A Scint program")],
        dry_run: Annotated[bool, Field(description="validate and execute, but record nothing")] = False,
        ctx: Context | None = None,
    ) -> RunOutput:
        actor = actor_for(_client_name(ctx))
        return await host.call(lambda: host.run(program, dry_run, actor))

    @app.tool(
        description="The state: every context under `path` (all when null) with its type and state, as of "
        "version `at` (null: the head; else 0 or the last version of a program, as `log` lists them).",
        annotations=ToolAnnotations(title="View the state", read_only_hint=True, idempotent_hint=True),
    )
    async def view(
        path: Annotated[str | None, Field(max_length=MAX_PATH_CHARS, description="a context path: notes")] = None,
        at: Annotated[int | None, Field(ge=0, lt=2**63, description="a version")] = None,
    ) -> ViewOutput:
        return await host.call(lambda: host.view(path, at))

    @app.tool(
        description="The programs that changed state, newest first: version, actor, text, time.",
        annotations=ToolAnnotations(title="The log", read_only_hint=True, idempotent_hint=True),
    )
    async def log(limit: Annotated[int, Field(ge=1, le=MAX_LOG, description="entries at most")] = 20) -> LogOutput:
        return await host.call(lambda: host.log(limit))

    @app.resource("scint://help", name="help", description="The language's cheat sheet", mime_type="text/plain")
    async def help_resource() -> str:
        return description

    @app.resource("scint://state", name="state", description="Every context and its state", mime_type=JSON)
    async def state() -> str:
        return await host.call(lambda: host.state_json(None), ResourceError)

    @app.resource(
        "scint://state/{path}",
        name="state-at-path",
        description="The contexts under one path and their state",
        mime_type=JSON,
    )
    async def state_at(path: str) -> str:
        if len(path) > MAX_PATH_CHARS:
            raise ResourceError(f"a path is at most {MAX_PATH_CHARS} characters")
        return await host.call(lambda: host.state_json(path), ResourceError)

    @app.resource("scint://log", name="log", description="The latest programs, newest first", mime_type=JSON)
    async def log_resource() -> str:
        entries = await host.call(lambda: host.log(LOG_RESOURCE_ENTRIES), ResourceError)
        return json.dumps(entries.model_dump(mode="json")["entries"], ensure_ascii=False)

    return app


@contextlib.contextmanager
def terminated_as_interrupt() -> Iterator[None]:
    """While serving, SIGTERM (what clients and supervisors send to stop a server) ends it like Ctrl-C: the
    session is closed on the way out. Only in the main thread, where signal handlers live."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve_stdio(
    open_session: Callable[[], Session], *, can: Iterable[str] | None = None, read_only: bool = False
) -> None:
    """Serve over stdin/stdout until the client closes stdin. Nothing but protocol reaches stdout: whatever
    opening or closing the session prints goes to stderr, and while serving the SDK points fd 1 at stderr."""
    session: Session | None = None
    try:
        with contextlib.redirect_stdout(sys.stderr):
            session = open_session()
            app = server(session, can=can, read_only=read_only)
        with terminated_as_interrupt():
            app.run("stdio")
    finally:
        if session is not None:
            with contextlib.redirect_stdout(sys.stderr):  # a module's exit hook may print too
                session.close()
