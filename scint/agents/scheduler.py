"""Running many agents at once (SPEC section 11): `session.agents.run()`, `await session.agents.arun()`,
`scint agents run`.

The scheduler runs every process that has work (scint/agents/claims.py says which) on one event loop: each is
run by `scint.llm.process.arun_process`, which records each step as a program of its own; their model calls
overlap, their commits take turns. When a run ends (the process answered, proposed a program, ran out of steps),
and whenever a step sends a message, spawns a process or resumes one, the scheduler looks again: a process that
received messages after it answered has work again. It stops when no process has work and none is running:
each is idle, waiting for a person, held, out of budget, or failed. Each process takes at most `max_steps` steps
in one call, all together at most `total_steps`.

Every process it runs it first claims (claims.py), so schedulers sharing a store never step one process twice.

Ctrl-C (or cancelling `arun`): the runs in flight are cancelled at their model call; each records that it was
interrupted (status `stopped`), the claims are released, and the session stays usable. No step is half-recorded:
a step's program is atomic, and cancellation reaches a run only where it awaits its model.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import attrs

from scint.agents import claims
from scint.contexts.builtin import Process, claim_holder
from scint.core.args import check_provider
from scint.errors import BadArguments, ScintError
from scint.llm.process import MAX_STEPS_PER_RUN, RunLimits, arun_process

if TYPE_CHECKING:
    from scint.session import Session

__all__ = ["DEFAULT_MAX_STEPS", "AgentReport", "Agents", "Scheduler"]

DEFAULT_MAX_STEPS = 10  # steps per process in one call, as `Process.run`
MAX_TOTAL_STEPS = 100_000
MAX_CONCURRENCY = 1_000
MAX_PATHS = 10_000
_OWN_EVENTS = frozenset({"record", "set_status", "claim", "unclaim"})  # a run's own bookkeeping: nobody's new work


@attrs.define
class AgentReport:
    """What a scheduler did with one process: the steps it took, its status at the end, and its answer (when
    `done`) or why it stopped or took no step (`reason`). While a run goes on, `running` is True."""

    path: str
    steps: int = 0
    status: str | None = None
    answer: str | None = None
    reason: str | None = None
    running: bool = False

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)

    def __str__(self) -> str:
        what = self.answer if self.status == "done" and self.answer is not None else self.reason
        steps = f"{self.steps} step" + ("" if self.steps == 1 else "s")
        return f"{self.path}: {self.status} after {steps}" + (f": {what}" if what else "")


class _Sink(list):  # type: ignore[type-arg]
    """The events a run records, as `arun_process` appends them: each batch tells the scheduler a step ended."""

    def __init__(self, scheduler: Scheduler, path: str) -> None:
        super().__init__()
        self.scheduler = scheduler
        self.path = path

    def extend(self, events: Iterable[Any]) -> None:
        events = list(events)
        super().extend(events)
        self.scheduler._recorded(self.path, events)


class Scheduler:
    """One scheduling of the processes at or under `paths` (None: all of the session's branch). `progress` is
    called with a copy of a process's AgentReport whenever a run starts, takes a step or ends."""

    def __init__(
        self,
        session: Session,
        paths: Iterable[str] | None = None,
        max_steps: int | None = None,
        *,
        provider: Any = None,
        actor: str = "human",
        progress: Callable[[AgentReport], None] | None = None,
        concurrency: int = 32,
        total_steps: int = 10_000,
    ) -> None:
        self.session = session
        self.paths = _paths(session, paths)
        self.max_steps = _bounded(DEFAULT_MAX_STEPS if max_steps is None else max_steps, "max_steps", MAX_STEPS_PER_RUN)
        self.concurrency = _bounded(concurrency, "concurrency", MAX_CONCURRENCY)
        self.limits = RunLimits(max_steps=_bounded(total_steps, "total_steps", MAX_TOTAL_STEPS))
        if progress is not None and not callable(progress):
            raise BadArguments("progress must be a function taking an AgentReport")
        if not isinstance(actor, str) or not actor:
            raise BadArguments("actor must be text such as 'human' (who starts the runs)")
        self.provider = check_provider(provider)
        self.actor = actor
        self.progress = progress
        self.owner = claims.new_owner()
        self.reports: dict[str, AgentReport] = {}
        self._left: dict[str, int] = {}  # steps each process may still take in this call
        self._ended: dict[str, tuple[str | None, int]] = {}  # the status each run ended with, and its steps
        self._running: dict[asyncio.Task[None], str] = {}
        self._touched: set[str] | None = set()  # paths a step changed since the last look (None: look at all)
        self._wake: asyncio.Event | None = None
        self.interrupted = False
        self.failed: list[str] = []  # the processes whose run broke (or could not start): see their reports

    # -- what to run ---------------------------------------------------------------------------------------------

    def _wanted(self, path: str) -> bool:
        return self.paths is None or any(path == p or path.startswith(p + ".") for p in self.paths)

    def _eligible(self, path: str, state: dict[str, Any], unread: int) -> bool:
        """Whether a process with work may be run (again) in this call."""
        if path in self._running.values() or self._left.get(path, self.max_steps) <= 0:
            return False
        if self.limits.exhausted() is not None:
            return False
        ended = self._ended.get(path)
        if ended is None:
            return True
        status, steps = ended
        # Run again only for something new: messages, or a proposal decided; never a run that failed or that
        # took no step (it would take none again).
        return steps > 0 and status != "failed" and (unread > 0 or (status == "waiting" != state.get("status")))

    def _look(self, release: list[str]) -> list[str]:
        """Release the claims of the runs that ended; claim the processes that have work (after a run ended,
        looking at all of them; else at those the steps since the last look touched)."""
        only, self._touched = self._touched, set()
        return claims.claim_work(
            self.session,
            self.owner,
            wanted=self._wanted,
            eligible=self._eligible,
            limit=self.concurrency - len(self._running),
            release=release,
            only=None if release else only,
        )

    # -- running -------------------------------------------------------------------------------------------------

    async def arun(self) -> list[AgentReport]:
        """Run until no process has work; returns a report per process (those at or under `paths`, and any
        process run because it had work, parents before children)."""
        self._wake = asyncio.Event()
        renewer = asyncio.create_task(self._renew())
        ended: list[str] = []
        try:
            self._touched = None
            while True:
                for path in self._look(ended):
                    self._start(path)
                ended = []
                if not self._running:
                    break
                self._wake.clear()
                waker = asyncio.ensure_future(self._wake.wait())
                await asyncio.wait([*self._running, waker], return_when=asyncio.FIRST_COMPLETED)
                waker.cancel()
                for task in [t for t in self._running if t.done()]:
                    ended.append(self._running.pop(task))
        except BaseException as exc:
            self.interrupted = self.interrupted or not isinstance(exc, Exception)  # cancelled, Ctrl-C
            await self._stop_all(ended)
            raise
        finally:
            renewer.cancel()
        return self._final()

    def _start(self, path: str) -> None:
        report = self.reports.setdefault(path, AgentReport(path))
        self._left.setdefault(path, self.max_steps)
        report.running, report.reason = True, None
        task = asyncio.create_task(self._run(path, report), name=f"scint run {path}")
        self._running[task] = path
        self._emit(report)

    async def _run(self, path: str, report: AgentReport) -> None:
        sink = _Sink(self, path)
        before = report.steps
        try:
            answer = await arun_process(
                self.session, path, self._left[path], provider=self.provider, limits=self.limits, actor=self.actor,
                events=sink,
            )  # fmt: skip
            report.answer = answer
        except ScintError as exc:
            report.reason = str(exc).splitlines()[0]
            self.failed.append(path)
        except Exception as exc:  # a provider or backend is anyone's code: the others go on
            report.reason = f"internal error: {type(exc).__name__}: {exc}"
            self.failed.append(path)
        finally:
            report.running = False
        state = self._state(path)
        status = state.get("status") if state is not None else None
        self._ended[path] = (status if report.reason is None else "failed", report.steps - before)
        report.status = status
        self._emit(report)

    def _recorded(self, path: str, events: list[Any]) -> None:
        """A run recorded `events`: count its steps, and note the processes they may have given work."""
        report = self.reports[path]
        stepped = False
        for e in events:
            if e.path == path and e.action in _OWN_EVENTS:
                if e.action == "record" and e.args.get("used"):
                    report.steps += 1
                    self._left[path] -= 1
                    stepped = True
                elif e.action == "set_status":
                    report.status = e.args.get("status")
                continue
            if e.path == "" and e.action in ("deliver", "propose"):  # its own messages read, its own proposal
                continue
            target = _target(e)
            if target == "":
                continue
            if self._touched is not None:
                if target is None:
                    self._touched = None
                else:
                    self._touched.add(target)
            if self._wake is not None and (target is None or target not in self._running.values()):
                self._wake.set()
        if stepped:
            self._emit(report)

    async def _renew(self) -> None:
        """Renew the claims of the runs in flight before they lapse (a model call may outlast a claim)."""
        while True:
            await asyncio.sleep(claims.TTL / 3)
            if self._running:
                claims.claim_work(
                    self.session, self.owner, wanted=self._wanted, eligible=self._eligible, limit=0,
                    renew=list(self._running.values()),
                )  # fmt: skip

    async def _stop_all(self, ended: list[str]) -> None:
        """Cancel the runs in flight, let each record that it was interrupted, and release every claim."""
        running = list(self._running)
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running)
        ended = [*ended, *self._running.values()]
        self._running.clear()
        try:
            claims.claim_work(
                self.session, self.owner, wanted=self._wanted, eligible=self._eligible, limit=0, release=ended
            )
        except ScintError:
            pass  # the claims lapse by themselves; the interrupt is what to report
        for path in ended:
            state = self._state(path)
            if state is not None:
                self.reports[path].status = state.get("status")

    # -- the report ----------------------------------------------------------------------------------------------

    def _state(self, path: str) -> dict[str, Any] | None:
        ctx = self.session.callables()[0].get(path)
        return ctx.__dict__ if isinstance(ctx, Process) else None

    def _final(self) -> list[AgentReport]:
        contexts = self.session.callables()[0]

        def lookup(p: str) -> dict[str, Any] | None:
            ctx = contexts.get(p)
            return ctx.__dict__ if isinstance(ctx, Process) else None

        out = []
        for path in list(contexts):
            state = lookup(path)
            if state is None or not (self._wanted(path) or path in self.reports):
                continue
            report = self.reports.setdefault(path, AgentReport(path))
            report.status = status = state.get("status")
            report.answer = state.get("answer") if status == "done" else None
            if status == "done":
                report.reason = None
            elif report.reason is None:
                report.reason = _last_reason(state) or self._why_idle(path, state, lookup)
            out.append(report)
        return out

    def _why_idle(self, path: str, state: dict[str, Any], lookup: Callable[[str], Any]) -> str:
        """Why a process this call did not run (or not again) is where it is."""
        holder = claim_holder(state.get("claimed"), claims.wall())
        if holder is not None and holder != self.owner:
            return f"run by another scheduler ({holder})"
        unread = len(self.session.inbox(path))
        return claims.no_work(state, lookup, path, unread) or self.limits.exhausted() or "has work; not run"

    def _emit(self, report: AgentReport) -> None:
        if self.progress is not None:
            self.progress(attrs.evolve(report))


class Agents:
    """`session.agents`: run the processes that have work (SPEC section 11)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def run(
        self,
        paths: Iterable[str] | None = None,
        max_steps: int | None = None,
        *,
        provider: Any = None,
        actor: str = "human",
        progress: Callable[[AgentReport], None] | None = None,
        concurrency: int = 32,
        total_steps: int = 10_000,
    ) -> list[AgentReport]:
        """Run every process at or under `paths` (default: all) that has work, concurrently, until none has;
        each takes at most `max_steps` steps (default 10), all together at most `total_steps`, at most
        `concurrency` at once. Returns a report per process. `provider` answers for every process instead of
        its own model; `actor` is who starts the runs; `progress` is called with an AgentReport as runs start,
        take steps and end. Ctrl-C stops the runs cleanly and raises KeyboardInterrupt. Inside an event loop (a
        notebook), use `await session.agents.arun(...)`."""
        options = {"provider": provider, "actor": actor, "progress": progress}
        scheduler = Scheduler(self._session, paths, max_steps, **options, concurrency=concurrency,
                              total_steps=total_steps)  # fmt: skip
        return run_sync(scheduler)

    async def arun(
        self,
        paths: Iterable[str] | None = None,
        max_steps: int | None = None,
        *,
        provider: Any = None,
        actor: str = "human",
        progress: Callable[[AgentReport], None] | None = None,
        concurrency: int = 32,
        total_steps: int = 10_000,
    ) -> list[AgentReport]:
        """`run` on the running event loop: the model calls overlap with the loop's other work. Cancelling it
        stops the runs as Ctrl-C does (and raises CancelledError)."""
        options = {"provider": provider, "actor": actor, "progress": progress}
        scheduler = Scheduler(self._session, paths, max_steps, **options, concurrency=concurrency,
                              total_steps=total_steps)  # fmt: skip
        return await scheduler.arun()

    def __repr__(self) -> str:
        return f"<scint agents of {self._session!r}>"


def run_sync(scheduler: Scheduler) -> list[AgentReport]:
    """Run `scheduler` on an event loop of its own. Ctrl-C (on the main thread) cancels the runs in flight; once
    they have recorded it, KeyboardInterrupt is raised. A second Ctrl-C raises it at once."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise ScintError("session.agents.run() cannot run inside an event loop: use `await session.agents.arun()`")

    async def main() -> list[AgentReport]:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        handled = threading.current_thread() is threading.main_thread()
        if handled:

            def on_sigint() -> None:
                if scheduler.interrupted:  # the second Ctrl-C
                    loop.remove_signal_handler(signal.SIGINT)
                    raise KeyboardInterrupt
                scheduler.interrupted = True
                task.cancel()  # type: ignore[union-attr]

            loop.add_signal_handler(signal.SIGINT, on_sigint)
        try:
            return await scheduler.arun()
        finally:
            if handled:
                loop.remove_signal_handler(signal.SIGINT)

    try:
        return asyncio.run(main())
    except asyncio.CancelledError:
        if scheduler.interrupted:
            raise KeyboardInterrupt from None
        raise


# -- helpers ------------------------------------------------------------------------------------------------------


def _bounded(value: Any, name: str, most: int) -> int:
    if type(value) is not int or not 1 <= value <= most:
        raise BadArguments(f"{name} must be a whole number from 1 to {most:,}, not {value!r:.40}")
    return value


def _paths(session: Session, paths: Iterable[str] | None) -> list[str] | None:
    if paths is None:
        return None
    if isinstance(paths, str):
        paths = [paths]
    try:
        out = list(itertools.islice(paths, MAX_PATHS + 1))
    except TypeError:
        raise BadArguments("paths is a list of context paths such as ['research.lit']") from None
    if len(out) > MAX_PATHS:
        raise BadArguments(f"at most {MAX_PATHS:,} paths")
    contexts = session.callables()[0]
    above: set[str] = set()  # every process and every context with a process below it
    for p, ctx in contexts.items():
        if isinstance(ctx, Process):
            parts = p.split(".")
            above.update(".".join(parts[:k]) for k in range(1, len(parts) + 1))
    for p in out:
        if type(p) is not str:
            raise BadArguments(f"a path is text such as 'research.lit', not {p!r:.40}")
        if p not in contexts:
            raise BadArguments(f"there is no context `{p[:200]}`")
        if p not in above:
            kind = getattr(contexts[p], "__scint_type__", "context")
            raise BadArguments(f"`{p[:200]}` is a {kind} with no process at or under it")
    return out


def _target(event: Any) -> str | None:
    """The process an event may have given work: "" none, None any of them (so look at all)."""
    if event.path:  # resumed or reconfigured (a new goal, another backend)
        return event.path if event.action in ("resume", "configure") else ""
    if event.action == "send":
        return event.args.get("to") or ""
    if event.action == "create_context":  # spawned
        if event.args.get("type") != Process.__scint_type__:
            return ""
        parent = event.args.get("parent")
        return f"{parent}.{event.args.get('name')}" if parent else event.args.get("name")
    if event.action in ("drop_context", "deliver", "propose", "proposal_error"):
        return ""
    return None  # a reply (to whoever asked), a decision: look at all


def _last_reason(state: dict[str, Any]) -> str | None:
    """Why the process's last run ended without an answer, as its transcript says."""
    transcript = state.get("transcript")
    if state.get("status") in ("stopped", "failed") and isinstance(transcript, list) and transcript:
        last = transcript[-1]
        if isinstance(last, dict):
            for key in ("stopped", "error"):
                if isinstance(last.get(key), str):
                    return last[key]
    return None
