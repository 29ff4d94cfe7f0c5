"""The Session: where the layers meet. `scint.open(url)` returns one.

A session holds one branch's ContextMap in memory and keeps it current: before each program it reads any
events other sessions or processes recorded since (usually none: one cheap read), runs the program in a
transaction (scint.session.running), and saves all its events in one store transaction. If another writer got
there first the save fails on the aggregate version; the session rolls back, catches up, and runs the program
again (bounded), so no update is lost and no program applies twice. History (scint.session.history) and
export, import and rerun (scint.session.transfer) work on the same session.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import PersistenceError

from scint.contexts import builtin as _builtin  # noqa: F401 - registers the built-in types
from scint.core.args import check_callable, check_provider
from scint.core.builtins import make_builtins
from scint.core.capabilities import actor_capabilities
from scint.core.history import INDEX_ID, BranchIndex, check_branch_name, load_map
from scint.core.map import ContextMap, fast_mapper, stored_events
from scint.core.rerun import RerunGuard
from scint.core.view import ContextMapView
from scint.dsl import Limits, Program, quote
from scint.dsl.limits import check_limits
from scint.errors import HistoryError, ScintError, StoreError
from scint.modules import Loaded, get_backend, load_modules
from scint.session import approval, history, running, snapshots, transfer
from scint.session.checks import ScintApp, as_int, open_app
from scint.session.messages import Messaging
from scint.session.results import Diff, LogEntry, RerunReport, Result
from scint.session.snapshots import SNAPSHOT_EVERY
from scint.store.interrupts import shielded

__all__ = ["SNAPSHOT_EVERY", "Session", "load", "open"]

log = logging.getLogger("scint")



def _one_at_a_time(method: Callable[..., Any]) -> Callable[..., Any]:
    """Serialise a Session method with the session's other programs and reads of its head (threads take turns)."""

    @functools.wraps(method)
    def serialised(self: Session, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return serialised


class Session(Messaging):
    """A connection to a Scint store, on one branch. Messages and approvals: scint/session/messages.py."""

    def __init__(
        self,
        url: str | None = None,
        *,
        branch: str | None = None,
        limits: Limits | None = None,
        env: dict[str, str] | None = None,
        modules: Iterable[str] = (),
        _app: ScintApp | None = None,
    ) -> None:
        if _app is not None:
            self.url = url or "custom://"
            self.app = _app
        else:
            if env is None:
                from scint.store.urls import default_url, environment_for_url

                self.url = url or default_url()
                env = environment_for_url(self.url)
            else:
                self.url = url or "custom://"
            self.app = open_app(env, self.url)
        self._owns_app = _app is None
        self.limits = check_limits(limits)
        self._head: ContextMap | None = None
        self._index: BranchIndex | None = None
        self._snapshot_at: dict[Any, int] = {}
        self._snapshot_bytes: dict[Any, int] = {}
        self._builtins = make_builtins(history.History(self), get_backend)
        self._rerun: RerunGuard | None = None  # set while this session runs a rerun's programs
        self._closed = False
        self._modules: Loaded | None = None
        self._mcp: Any = None  # scint.mcp.client.Connections, made by the first connect_mcp
        self._builtins.call_tool = self._call_tool
        # Programs and reads of the head take turns (a session may be shared between threads). `_dirty` is set
        # while the head changes and cleared once it is consistent again: if an interrupt (Ctrl-C) stops a
        # program or a catch-up half-way, the next call finds it set and reloads the head from the store.
        self._lock = threading.RLock()
        self._dirty = False
        # An in-memory store belongs to this session alone: nobody else can have written to it.
        self._private = type(self.app.recorder).__module__ == "eventsourcing.popo"
        # A store that can say cheaply whether anything was committed since (LMDB: its last transaction id) spares
        # the catch-up read before each program: `_seen` is (head, token) while that head holds every commit up
        # to that token.
        self._token_of: Callable[[], Any] | None = getattr(self.app.recorder, "change_token", None)
        self._seen: tuple[ContextMap, Any] | None = None
        # Events are encoded here, straight to StoredEvents, when the mapper is ours without compression/cipher.
        self._fast_mapper = fast_mapper(self.app.mapper)
        # Group commit (LMDB; scint.session.running.submit): `_pending` is the last batch submitted, `_epoch` counts
        # heads dropped because a batch they held was not recorded, `_waiting` the threads waiting to run.
        self._group = self._fast_mapper and hasattr(self.app.recorder, "submit_events")
        self._pending: Any = None
        self._epoch = self._waiting = 0
        self._waiting_lock = threading.Lock()
        index = self._guard(self._load_index)
        if branch is None:
            self.branch_name = index.current if index is not None else "main"
        else:
            check_branch_name(branch)
            if branch != "main" and (index is None or branch not in index.branches):
                known = ", ".join(index.branches) if index is not None else "main"
                raise HistoryError(f"there is no branch `{branch}` in {self.url}; the branches are: {known}")
            self.branch_name = branch
        if _app is not None:  # a session the library made on another's store (another branch, a rerun)
            return
        try:  # the modules named and the autoload ones: init hooks in dependency order, exit hooks on close
            self._modules = load_modules(self, modules)
        except BaseException:
            self.close()
            raise

    # -- the head ------------------------------------------------------------------------------------------

    def _load_index(self) -> BranchIndex | None:
        try:
            return self.app.repository.get(INDEX_ID)
        except AggregateNotFoundError:
            return None

    def _index_for_update(self) -> BranchIndex:
        index = self._guard(self._load_index)
        return index if index is not None else BranchIndex.start()

    def _current(self) -> ContextMap | None:
        """The head, caught up with everything recorded since it was loaded (and holding nothing that is not)."""
        with self._lock:
            if self._pending is not None:
                running.drain(self)
            return self._head_to_run()

    def _head_to_run(self) -> ContextMap | None:
        """The head a program runs on: `_current`, except that it may hold programs whose commit is in flight."""
        with self._lock:
            if self._dirty:  # a program or catch-up was interrupted half-way: start again from what the store holds
                self._head = self._seen = None
            self._dirty = True
            head = self._catch_up()
            self._dirty = False
            return head

    def _catch_up(self) -> ContextMap | None:
        head = self._head
        token_of = self._token_of
        if head is None:
            token = token_of() if token_of is not None else None  # read first: the load sees at least this
            head = self._head = load_map(self.app, self.branch_name)
            if head is not None:
                self._since_snapshot(head)
                if token_of is not None:
                    self._seen = (head, token)
            return head
        if self._private:
            return head
        if token_of is not None:
            token = token_of()
            seen = self._seen
            if seen is not None and seen[0] is head and seen[1] == token:
                return head  # nothing was committed since this head was current
        for event in self.app.events.get(head.id, gt=head.version):
            event.mutate(head)
        if token_of is not None:
            self._seen = (head, token)
        return head

    def _record(self, events: list[Any], attempt: int = 0) -> Any:
        """Save events in one store transaction (the head stays current if that was the only commit); with group
        commit, submit them: returns what `running.settle` waits for (None when saved)."""
        if self._group:
            return shielded(running.submit, self, events, attempt)
        shielded(self._save, events)  # Ctrl-C lands before the store transaction or after it, never inside it
        return None

    def _save(self, events: list[Any]) -> None:
        seen = self._seen
        if self._fast_mapper:
            self.app.recorder.insert_events(stored_events(self.app.mapper, events))
        else:
            self.app.events.put(events)
        self._advance(seen)

    def _advance(self, seen: tuple[ContextMap, Any] | None) -> None:
        """After one write of ours: if it was the only commit since `seen`, the head stays marked current
        (LMDB numbers its write transactions 1, 2, 3...). Otherwise the next program catches up first."""
        if seen is None or self._token_of is None:
            return
        try:
            token = self._token_of()
        except Exception:  # the write is done; the next program will simply read
            return
        if token == seen[1] + 1:
            self._seen = (seen[0], token)

    def _head_version(self) -> int:
        head = self._head
        return head.scint_version if head is not None and head.version > 0 else 0

    def _since_snapshot(self, head: ContextMap) -> None:
        snapshots.count_from_stored(self, head)

    def _maybe_snapshot(self, head: ContextMap) -> None:
        snapshots.maybe_take(self, head)

    def _switch(self, name: str, head: ContextMap | None) -> None:
        if name != self.branch_name:
            self.branch_name = name
            self._head = head

    @property
    def version(self) -> int:
        """The head version of this session's branch (events applied along its history)."""
        self._check_open()
        head = self._guard(self._current)
        return head.scint_version if head is not None and head.version > 0 else 0

    # -- running programs --------------------------------------------------------------------------------------

    def run(
        self,
        text: str | Program,
        actor: str = "human",
        *,
        params: Any = None,
        request: Any = None,
        scope: str | None = None,
        self_path: str | None = None,
        dry_run: bool = False,
        can: list[str] | None = None,
        read_only: bool = False,
        _internal: bool = False,
    ) -> Result:
        """Run a program atomically and return its Result. `params` ({"v": 41}) binds JSON-like values as `$v`
        (the program's own assignments come first); those it reads are recorded with it. With `dry_run`, validate
        and execute it but record nothing.

        Capabilities (deny by default, SPEC section 10): `actor="process:P"` is held to P's capabilities (its
        `can`, narrowed by its parents'), with `self` naming P; `can=["notes.get", "self.**"]` restricts any actor
        further (globs over `path.action`: `*` one name, `**` any depth); `read_only=True` allows queries only;
        `scope="research"` allows changes only under that context. A call outside them is PermissionDenied
        naming the capability it lacks."""
        self._check_open()
        result = running.run(
            self,
            text,
            actor,
            params=params,
            request=request,
            scope=scope,
            self_path=self_path,
            dry_run=dry_run,
            internal=_internal,
            can=can,
            read_only=read_only,
        )
        if self._rerun is not None and self._rerun.after is not None and result.events and not dry_run:
            self._rerun.after(self)  # a rerun's swaps reach a process created or declared again just now
        return result

    # -- history ---------------------------------------------------------------------------------------------

    def branch(self, name: str, at: int | None = None) -> str:
        """Create branch `name` from this branch at version `at` (default: the head), without switching to it.
        Costs the same whatever the history's length: nothing is copied. A version inside a program (a state
        nobody saw) is refused with a HistoryError naming that program's versions."""
        at_text = "null" if at is None else str(as_int(at, "at"))
        self.run(f"history.branch(name={quote(check_branch_name(name))}, at={at_text})")
        return name

    def checkout(self, name: str) -> None:
        """Switch this session, and the store's current branch, to branch `name`."""
        self.run(f"history.checkout(name={quote(check_branch_name(name))})")

    def branches(self) -> list[dict[str, Any]]:
        """Every branch: name, base branch, fork version, head version, and whether it is the current one."""
        self._check_open()
        return history.branches_list(self)

    def diff(self, a: Any, b: Any) -> Diff:
        """What changed from `a` to `b`: each a branch name ("what-if"), a version of this branch (12) or
        "branch@version" (a program boundary: a version inside a program is refused). Values compare
        type-strictly: `true`, `1` and `1.0` differ."""
        self._check_open()
        return history.diff(self, a, b, None)

    def replay(self, to: int | None = None, progress: Callable[[int], None] | None = None) -> ContextMapView:
        """The state at version `to` (default: the head) rebuilt from the events alone: no snapshot, no parsing,
        no model call. Equal to `view(at=to)`, and like it refuses a version inside a program. `progress` is
        called with the number of events applied so far."""
        self._check_open()
        return history.replay(self, to, check_callable(progress, "progress"))

    def rerun(
        self,
        since: int,
        branch: str | None = None,
        models: dict[str, str] | None = None,
        *,
        endpoints: dict[str, dict[str, Any]] | None = None,
    ) -> RerunReport:
        """Re-execute the programs recorded after version `since` on a new branch forked at `since`, with the
        current code (unlike replay, which re-applies recorded events). LLM-driven steps call the model again:
        a program written by `ask` is asked again from its request text, and a process run is run again (the
        programs its model wrote are not re-executed verbatim). Programs that now fail are reported.

        `models={"research.lit": "other"}` swaps a process's model for the re-run: a `[models]` name (recorded
        on a process by `scint up`, given in `endpoints` as scint.toml's `[models]` entries, or set with
        `session.models["other"] = provider`), or a backend: "llm", "human", "python:NAME". The swap is recorded
        on the new branch (`<path>.configure(...)`, with the rerun in its request) before the process takes a
        step, so the branch says which model took its steps, and `diff(branch_a, branch_b)` shows what another
        model would have done from version `since`. Everything is checked before anything is written.

        People are asked again: a person's reply to a query, and a person's approval or rejection of a
        proposal, are not replayed (the report lists them under `people`): the query waits again in the inbox
        of the new branch, and a proposal the re-run makes again waits for a decision (a proposal recorded
        outside a re-run process run is proposed again as it was; none is approved automatically). Messages
        that re-run programs send are new messages on the new branch.

        A rerun writes only to its new branch: this session, the store's current branch and every other branch
        stay as they are. So a re-run program's `history.branch(...)` and `history.checkout(...)` do nothing
        (each returns its name, and the report lists it under `ignored`): the program goes on on the rerun
        branch, where statements that once followed a checkout now land too. `since` must be a program
        boundary (0 or the last version of a program)."""
        self._check_open()
        return transfer.rerun(self, since, branch, models, endpoints)

    def export(self, path: str | os.PathLike[str], progress: Callable[[int], None] | None = None) -> int:
        """Write this branch's whole history (inherited prefix included) as JSON Lines with a checksummed
        trailer; returns the number of events. The file appears complete or not at all. Each event's provenance
        leaves out what its call spells (a statement written as `path.action(name=value, ...)`, a program that is
        just its statements, one per line); `log` and `scint.load` give them back."""
        self._check_open()
        return transfer.export(self, path, check_callable(progress, "progress"))

    @_one_at_a_time
    def view(self, path: str | None = None, at: int | None = None) -> ContextMapView:
        """A read-only view of the contexts under `path` as of version `at` (default: the head). `at` is 0 or
        the last version of a program (`log` lists them): a version inside a multi-statement program is a
        state nobody saw, refused with a HistoryError naming the program's first and last version."""
        self._check_open()
        return history.view(self, path, at)

    def log(self, limit: int | None = None) -> list[LogEntry]:
        """The programs that changed state, newest first (at most `limit`), along the branch's whole history."""
        self._check_open()
        return history.log(self, limit)

    def language(self) -> dict[str, Any]:
        """What programs may call: {"functions": {name: Spec}, "history": {name: Spec}, "types": {type name:
        {action: Spec}}} (the built-ins, the history context, and every registered type's public actions).
        Completion in the REPL and other tools read this."""
        from scint.contexts.registry import registered

        return {
            "functions": dict(self._builtins.functions),
            "history": dict(self._builtins.history),
            "types": {
                name: {a: spec for a, spec in cls.__scint_specs__.items() if spec.public}
                for name, cls in registered().items()
            },
        }

    def callables(
        self, actor: str | None = None, can: list[str] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], Callable[[str, str], bool] | None]:
        """What a program of `actor` (restricted by `can`) may call now: the live contexts (path -> context), the
        built-in functions and `history` actions it may call (name -> Spec), and `allows(path, action)` (None:
        everything). Tools, grammars and cheat sheets (scint.llm.host.Host) read this."""
        self._check_open()
        head = self._guard(self._current)
        contexts = head.state.contexts if head is not None else {}
        functions, hist = self._builtins.functions, self._builtins.history
        caps = actor_capabilities(actor or "human", contexts, can)
        if caps is None:
            return contexts, functions, hist, None
        own = actor[len("process:") :] + ".new" if actor and actor.startswith("process:") else None
        functions = {
            n: s
            for n, s in functions.items()
            if caps.allows("", n) or (s.kind == "action" and own is not None and caps.allows(own, n))
        }
        hist = {n: s for n, s in hist.items() if caps.allows("history", n)}
        return contexts, functions, hist, caps.allows

    # -- plumbing ---------------------------------------------------------------------------------------------

    def _guard(self, fn: Any) -> Any:
        try:
            return shielded(fn)  # a store call runs to its end: Ctrl-C cannot leave its locks or transactions open
        except ScintError:
            raise
        except PersistenceError as exc:
            raise StoreError(f"the store failed: {exc}") from exc

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("this session is closed")

    @property
    def modules(self) -> tuple[str, ...]:
        """The names of the modules this session loaded, in the order they were loaded."""
        return self._modules.names if self._modules is not None else ()

    def load_modules(self, names: Iterable[str]) -> tuple[str, ...]:
        """Load more modules (and what they require) into this open session; returns the names newly loaded."""
        if self._closed or self._modules is None:  # None while closing: its exit hooks are running
            raise StoreError("this session is closed")
        return self._modules.load(names)

    def close(self) -> None:
        """Exit the loaded modules (last loaded first), then close the store connection (idempotent)."""
        with self._lock:  # after the program another thread is running
            if self._closed:
                return
            if self._pending is not None:  # and after the programs whose commits are in flight
                shielded(running.drain, self)
            loaded, self._modules = self._modules, None
            try:
                if loaded is not None:
                    loaded.exit()  # while the session still works: an exit hook may run a last program
            finally:
                self._closed = True
                if self._mcp is not None:
                    self._mcp.close()
                if self._owns_app:
                    self.app.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<scint.Session {self.url} branch={self.branch_name}>"

    # -- LLM: ask, tool calls, process runs (scint/llm does the work) -----------------------------------------

    @property
    def llm(self) -> Any:
        """The session's model provider (a `scint.llm.Provider`): by default an OpenAIProvider configured from
        OPENAI_API_KEY, OPENAI_BASE_URL, SCINT_MODEL and SCINT_LLM_API, made on first use."""
        provider = getattr(self, "_llm", None)
        if provider is None:
            from scint.llm.openai_provider import OpenAIProvider

            provider = self._llm = OpenAIProvider.from_env()
        return provider

    @llm.setter
    def llm(self, provider: Any) -> None:
        self._llm = check_provider(provider, "llm")

    @property
    def models(self) -> Any:
        """The providers of named models (`[models.NAME]` in scint.toml), made when a process first uses one;
        `session.models["fast"] = MockProvider(...)` sets the one for a name (scint.llm.endpoints)."""
        models = getattr(self, "_models_by_name", None)
        if models is None:
            from scint.llm.endpoints import Models

            models = self._models_by_name = Models()
        return models

    def ask(
        self, text: str, *, provider: Any = None, dry_run: bool = False, max_retries: int = 3, approve: bool = False
    ) -> Any:
        """Ask the model to turn `text` into one program and run it; -> AskResult(.program, .result). Errors go
        back to the model (at most `max_retries` times), then LLMError; a failed attempt changes nothing. With
        `approve=True` a program that changes anything is recorded as a proposal instead (AskResult.proposal)."""
        from scint.llm.ask import ask

        self._check_open()
        with approval.asking_approval(("**",) if approve is True else ()):
            return ask(self, text, check_provider(provider) or self.llm, dry_run=dry_run, max_retries=max_retries)

    async def aask(self, text: str, *, provider: Any = None, dry_run: bool = False, max_retries: int = 3) -> Any:
        """`ask` for asyncio: the model call does not block the event loop."""
        from scint.llm.ask import aask

        self._check_open()
        return await aask(self, text, check_provider(provider) or self.llm, dry_run=dry_run, max_retries=max_retries)

    def up(self, path: str | os.PathLike[str] = "scint.toml", plan: bool = False) -> Any:
        """Make this branch match a `scint.toml` (SPEC section 9) in one atomic program, or with `plan=True` only
        say what would change. Returns an UpReport (`.changes`, `.up_to_date`, `.result`); str() reads well."""
        self._check_open()
        from scint.agents.up import up  # the agents room sits above the session: imported when used

        return up(self, path, plan=plan)

    @property
    def agents(self) -> Any:
        """Run the processes that have work, concurrently (SPEC section 11): `session.agents.run(paths=None,
        max_steps=None)` or `await session.agents.arun(...)` returns a report per process (scint.agents.Agents)."""
        self._check_open()
        from scint.agents.scheduler import Agents  # the agents room sits above the session: imported when used

        return Agents(self)

    def connect_mcp(
        self,
        name: str,
        *,
        command: str | None = None,
        args: list[str] = [],  # noqa: B006 - never changed
        env: dict[str, str] | None = None,
        url: str | None = None,
        server: Any = None,
        tools: list[str] | None = None,
        timeout: float = 30.0,
    ) -> list[str]:
        """Make the MCP server started by `command` (with `args`, `env`), reached at `url`, or (in tests) the
        in-process `server` a context `name` of type MCP whose actions are its tools (only `tools`, if given);
        returns their names. Each call needs the capability (`name.tool`), is made once, waits at most `timeout`
        seconds, and its result is recorded in its event: views, replay and export never contact the server.
        The tool list is recorded when the context is new or the server's description changed; otherwise the
        connection opens on the first call. Connections close with the session (SPEC section 13)."""
        self._check_open()
        from scint.mcp.client import connect  # the MCP room sits above the session: imported when used

        return connect(
            self, name, command=command, args=args, env=env, url=url, server=server, tools=tools, timeout=timeout
        )

    def _mcp_connections(self) -> Any:
        """The session's MCP connections (scint.mcp.client), made on first use; tool calls go through them."""
        from scint.mcp.client import Connections

        if self._mcp is None:
            self._mcp = Connections()
        return self._mcp

    def _call_tool(self, path: str, tool: str, arguments: dict[str, Any]) -> Any:
        """The interpreter's hook for an MCP tool call, made before the call is recorded."""
        if self._mcp is None:
            raise ScintError(
                f"`{path}` is an MCP context this session has not connected: "
                f'call session.connect_mcp("{path}", command=... or url=...) or `scint up` first'
            )
        return self._mcp.call(path, tool, arguments)

    def handle(self, tool_call: Any, *, actor: str | None = None) -> str:
        """Run a model's `scint` tool call (Chat or Responses, function or custom) and return the tool output:
        the results, or the error for the model to fix. Its program is atomic, so a process run is refused."""
        from scint.llm.tools import handle

        self._check_open()
        return handle(self, tool_call, actor=actor)


def open(
    url: str | None = None, *, branch: str | None = None, limits: Limits | None = None, modules: Iterable[str] = ()
) -> Session:
    """Open a Scint store: `lmdb:///dir` (the default, `./.scint`), `sqlite:///file.db`, `memory://` or
    `postgresql://user@host:5432/db`; on its current branch, or on `branch`; with the extension `modules` named
    (and those they require, and the autoload ones) loaded."""
    return Session(url, branch=branch, limits=limits, modules=modules)


load = transfer.load
