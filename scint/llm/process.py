"""Process.run: a process's model works its goal through Scint, one model step at a time.

`research.lit.run(max_steps=10)` must be a program of its own: the session hands it here instead of to the
interpreter, because each model step is its own commit. Each step: the model reads the instructions, its goal,
the state of its subtree (within a token budget) and its transcript, and either calls the `scint` tool (the
program runs atomically with actor `process:<path>`, scope = its subtree, `self` = its path) or answers in text
(status `done`, the answer recorded, `run` returns it). The reply, its calls and their outputs are recorded in
the process's transcript, so replaying the events reproduces the run without calling a model, and a later `run`
continues from the transcript. At `max_steps` the status becomes `stopped` (not an exception). A `stop` message
delivered at a step ends the run there, calling no model: its status is `done` (scint/llm/steps.py `finish`).

That is a process whose `backend` is `llm` (the default). For `python:NAME` the same drivers call a registered
function instead of a model, and a `human` process's run calls nothing (scint/llm/backends.py). The records every
kind of step makes, and what a step reads first, are in scint/llm/steps.py.

Before each step the run asks whether the process may step (scint/contexts/usage.py): not while it or a process
above it is held by pause() or stop(), nor once its budget (steps, tokens, seconds over its whole life) is spent.
A run that may not start records why and returns None at once, calling no model. Each step records what it spent
(`used`: one step, the tokens the API reported, its wall seconds by `control.clock`) in its own event.

A process may run its children (`self.sub.run()` in its own program): they share the top run's provider and
budget (`RunLimits`: depth, model steps, tokens the API reported). `arun_processes` runs several processes
concurrently on one event loop: their model calls overlap, their commits are serialised.

A run is many commits, so it is never part of a program that must be atomic: `ask` programs and tool calls from
outside a process refuse it (`find_run`). The Result of a run carries the events all its steps recorded. A reply
that cannot be read, or an empty one, is recorded (`unreadable`) and the model hears why in its next step. A run
that breaks for any other reason after its first record is marked `failed` with the reason (Ctrl-C: `stopped`)
and raises RunFailed, which tells a parent's model that the child's earlier steps stay recorded.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import attrs

from scint.contexts.builtin import Process, Thread, check_backend
from scint.dsl import Assign, Const, DictValue, ListValue, Program
from scint.errors import ActionError, BadArguments, LimitExceeded, LLMError, PermissionDenied, ScintError
from scint.llm import control, prompt, steps
from scint.llm.backends import PythonBackend, human_run, python_steps
from scint.llm.endpoints import endpoint_name
from scint.llm.loop import Conversation, adrive, drive
from scint.llm.provider import MalformedReply, Message, Provider, Reply, RunFailed
from scint.llm.steps import MAX_ANSWER, backend_of, clip, failed, spent
from scint.llm.tools import ATOMIC_ONLY, run_call, tools

if TYPE_CHECKING:
    from scint.core.state import MapState
    from scint.llm.host import Host

__all__ = ["RunLimits", "arun_process", "arun_processes", "find_run", "is_run_call", "run_process", "run_thread"]

MAX_STEPS_PER_RUN = 1_000


@attrs.define
class RunLimits:
    """Bounds on one top-level run and every process it runs below it."""

    max_depth: int = 4  # processes running processes, the top one included
    max_steps: int = 200  # model steps in all
    max_tokens: int | None = None  # tokens the API reported, in all
    steps: int = 0
    tokens: int = 0

    def exhausted(self) -> str | None:
        if self.steps >= self.max_steps:
            return f"the run used its {self.max_steps} model steps"
        if self.max_tokens is not None and self.tokens >= self.max_tokens:
            return f"the run used its {self.max_tokens:,} tokens"
        return None


@attrs.frozen
class _Active:
    provider: Provider | None  # None: a Python backend's run, which needs none (a child it runs makes its own)
    limits: RunLimits
    depth: int


_ACTIVE: contextvars.ContextVar[_Active | None] = contextvars.ContextVar("scint_process_run", default=None)


# -- finding `x.run(...)` in a program ----------------------------------------------------------------------------


def is_run_call(program: Program) -> bool:
    """Cheap syntactic test: one statement calling `<path>.run(...)`."""
    if len(program.statements) != 1:
        return False
    stmt = program.statements[0]
    call = stmt.call if type(stmt) is Assign else stmt
    return len(call.path) >= 2 and call.path[-1] == "run"  # type: ignore[union-attr]


def find_run(
    state: MapState, program: Program, *, actor: str, scope: str | None, self_path: str | None
) -> tuple[str, int] | None:
    """(process path, max_steps) if `program` is `<process>.run(...)`, else None (the interpreter runs it)."""
    if not is_run_call(program):
        return None
    stmt = program.statements[0]
    call = stmt.call if type(stmt) is Assign else stmt
    names = call.path  # type: ignore[union-attr]
    if self_path is not None and names[0] == "self":
        names = (*self_path.split("."), *names[1:])
    path = ".".join(names[:-1])
    if not isinstance(state.contexts.get(path), Process):
        return None
    setting = ATOMIC_ONLY.get()
    if setting is not None:
        raise ActionError(
            f"{path}.run() cannot be part of {setting}: a process run commits each model step as a program of its "
            f"own, so it is not one atomic program. Leave the run out; a person starts it with "
            f"`{path}.run(max_steps=N)` as a program of its own"
        )
    spec = Process.__scint_specs__["run"]
    args = [_constant(v, path) for v in call.args]  # type: ignore[union-attr]
    kwargs = {k.name: _constant(k.value, path) for k in call.kwargs}  # type: ignore[union-attr]
    bound = spec.bind(args, kwargs, where=path)
    max_steps = bound["max_steps"]
    if not 1 <= max_steps <= MAX_STEPS_PER_RUN:
        raise BadArguments(f"{path}.run(): `max_steps` must be from 1 to {MAX_STEPS_PER_RUN}, not {max_steps}")
    if scope is not None and not (path == scope or path.startswith(scope + ".")):
        raise PermissionDenied(f"{actor} may only change contexts under `{scope}`; `{path}` is outside it (run)")
    return path, max_steps


def _constant(node: Any, path: str) -> Any:
    t = type(node)
    if t is Const:
        return node.value
    if t is ListValue:
        return [_constant(v, path) for v in node.items]
    if t is DictValue:
        return {k: _constant(v, path) for k, v in node.items}
    raise BadArguments(f"{path}.run() takes constant arguments; a program of its own has no $references")


# -- running ------------------------------------------------------------------------------------------------------


@contextmanager
def _entered(provider: Provider | None, limits: RunLimits | None, default: Any) -> Iterator[_Active]:
    outer = _ACTIVE.get()
    if outer is None:
        active = _Active(provider or default(), limits or RunLimits(), 1)
    else:
        active = _Active(provider or outer.provider or default(), limits or outer.limits, outer.depth + 1)
        if active.depth > active.limits.max_depth:
            raise LimitExceeded(f"processes may run processes at most {active.limits.max_depth} deep")
    token = _ACTIVE.set(active)
    try:
        yield active
    finally:
        _ACTIVE.reset(token)


def run_process(
    session: Host,
    path: str,
    max_steps: int = 10,
    *,
    provider: Provider | None = None,
    limits: RunLimits | None = None,
    actor: str = "human",
    events: list[Any] | None = None,
) -> str | None:
    """Run the process at `path` for at most `max_steps` steps, taken by its backend (its model, a registered
    Python function, or none for a person: scint/llm/backends.py); returns its answer, or None if it stopped or
    waits for a person. The events its steps record are appended to `events` if given."""
    events = [] if events is None else events
    if backend_of(session, path) == "human":
        return human_run(session, path, events)
    with _entered(provider, limits, _default_of(session, path)) as active, _settled(session, path, events):
        conversation, taker = _conversation(session, path, max_steps, active, actor, events)
        return drive(conversation, taker)


async def arun_process(
    session: Host,
    path: str,
    max_steps: int = 10,
    *,
    provider: Provider | None = None,
    limits: RunLimits | None = None,
    actor: str = "human",
    events: list[Any] | None = None,
) -> str | None:
    """`run_process` on an event loop: model calls (and `async def` Python backends) do not block it; children a
    step runs are run synchronously. A process a person takes the steps of returns at once (None)."""
    events = [] if events is None else events
    if backend_of(session, path) == "human":
        return human_run(session, path, events)
    with _entered(provider, limits, _default_of(session, path)) as active, _settled(session, path, events):
        conversation, taker = _conversation(session, path, max_steps, active, actor, events)
        return await adrive(conversation, taker)


def _conversation(
    session: Host, path: str, max_steps: int, active: _Active, actor: str, events: list[Any]
) -> tuple[Conversation, Provider]:
    """The run's steps as a conversation, and who answers its requests: the registered function (`python:NAME`)
    or the process's model (`llm`)."""
    backend = check_backend(backend_of(session, path), f"the run of {path}")
    if backend.startswith("python:"):
        python = PythonBackend(backend[len("python:") :], getattr(session, "backend_function", None))
        return python_steps(session, path, max_steps, python, active, actor, events), python
    model = _model_of(session, path, active.provider)  # type: ignore[arg-type]  # an llm run always has one
    return _steps(session, path, max_steps, model, active, actor, events), model


@contextmanager
def _settled(session: Host, path: str, events: list[Any]) -> Iterator[None]:
    """A run that breaks, for whatever reason, does not stay `running`: once it has recorded anything, its status
    becomes `failed` (or `stopped` on Ctrl-C) with the reason in its transcript, and the error says so (RunFailed).
    A run that broke before recording anything raises its error as it is: it changed nothing."""
    recorded = len(events)
    try:
        yield
    except BaseException as exc:
        if len(events) == recorded:
            if isinstance(exc, ScintError) or not isinstance(exc, Exception):
                raise
            raise LLMError(f"the run of {path} could not start: {type(exc).__name__}: {exc}") from exc
        if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit: record it, let it go on
            failed(session, path, f"interrupted ({type(exc).__name__})", "stopped")
            raise
        reason = str(exc) if isinstance(exc, ScintError) else f"internal error: {type(exc).__name__}: {exc}"
        failed(session, path, reason, "failed")
        raise RunFailed(
            f"the run of {path} failed: {reason}\nIts status is now `failed`; what its steps did before stays "
            "recorded (see its transcript)"
        ) from exc


async def arun_processes(
    session: Host,
    paths: list[str],
    max_steps: int = 10,
    *,
    provider: Provider | None = None,
    limits: RunLimits | None = None,
    actor: str = "human",
) -> list[str | None]:
    """Run several processes concurrently (their model calls overlap; their commits are serialised, one program
    at a time); returns their answers in order. They share `limits`."""
    limits = limits or RunLimits()
    # None: each process's own default (its endpoint's provider, else the session's)
    provider = provider or (_ACTIVE.get().provider if _ACTIVE.get() else None)  # type: ignore[union-attr]
    runs = [arun_process(session, p, max_steps, provider=provider, limits=limits, actor=actor) for p in paths]
    return list(await asyncio.gather(*runs))


def run_thread(session: Host, path: str, max_steps: int = 10, **kwargs: Any) -> dict[str, str | None]:
    """Run every child process of the thread (or process) at `path` concurrently; returns {path: answer}."""
    view = session.view(path=path)
    if view.type_of(path) not in (Thread.__scint_type__, Process.__scint_type__):
        raise BadArguments(f"`{path}` is a {view.type_of(path)}; run_thread needs a Thread or a Process")
    children = [p for p in view.paths() if p.rpartition(".")[0] == path and view.type_of(p) == "Process"]
    answers = asyncio.run(arun_processes(session, children, max_steps, **kwargs))
    return dict(zip(children, answers, strict=True))


def _default_of(session: Host, path: str) -> Callable[[], Provider | None]:
    """How a run of the process finds its provider if none is given: a Python backend needs none."""
    if backend_of(session, path).startswith("python:"):
        return lambda: None
    return lambda: _default(session, path)


def _default(session: Host, path: str) -> Provider:
    """A top-level run's provider when none is given: the process's endpoint's, else the session's."""
    endpoint = session.view(path=path).get(path).get("endpoint")
    return session.models.provider(endpoint) if endpoint_name(endpoint) is not None else session.llm


def _model_of(session: Host, path: str, provider: Provider) -> Provider:
    """The provider the process's steps go to: its declared endpoint's when it has one, else the run's
    (scint/llm/endpoints.py says the rule)."""
    state = session.view(path=path).get(path)
    wanted = state.get("model")
    if endpoint_name(state.get("endpoint")) is not None:
        return session.models.provider(state["endpoint"], wanted)
    with_model = getattr(provider, "with_model", None)
    if wanted and wanted != provider.model and with_model is not None:
        return with_model(wanted)
    return provider


def _steps(
    session: Host, path: str, max_steps: int, provider: Provider, active: _Active, actor: str, events: list[Any]
) -> Conversation:
    me = f"process:{path}"

    def record(**what: Any) -> None:
        events.extend(steps.record(session, path, me, **what).events)

    if steps.refused_start(session, path, record):  # waiting, held, out of budget: no step, no model call
        return None
    start = {"run": path, "max_steps": max_steps, "by": actor, "model": provider.model}
    named = endpoint_name(session.view(path=path).get(path).get("endpoint"))
    if named is not None:
        start["endpoint"] = named  # the [models] name its steps go to (the key is never recorded)
    record(status="running", request=start)
    for step in range(1, max_steps + 1):
        reason = active.limits.exhausted() or (steps.why_not_now(session, path) or (None,))[0]
        if reason is not None:
            record(entry={"stopped": reason}, status="stopped")
            return None
        delivery = steps.deliver(session, path)  # its unread messages, into this step's prompt (SPEC 11)
        events.extend(delivery)
        stop = steps.stop_in(steps.delivered_in(delivery, path))
        if stop is not None:  # "finish your work": the run ends at this step, no model call
            steps.finish(record, stop)
            return None
        state = session.view(path=path).get(path)
        if state.get("status") == "waiting":  # its last step proposed a program: no steps until it is decided
            return None
        state = yield from prompt.prepare(session, path, state, provider, active.limits, record)  # nudge, summary
        messages = _messages(session, path, state)
        started = control.clock()
        try:
            reply: Reply = yield messages, tools(session, provider.tool_kind, provider.api, self_path=path, actor=me)
        except MalformedReply as exc:  # the service's reply could not be read: the model hears why, and goes on
            active.limits.steps += 1
            record(entry={"unreadable": clip(str(exc))}, used=spent(started, 0))
            continue
        active.limits.steps += 1
        active.limits.tokens += reply.usage.total
        used = reply.model or provider.model
        entry: dict[str, Any] = {"text": clip(reply.text), "tokens": reply.usage.total, "model": used}
        cost = spent(started, reply.usage.total)
        if not reply.tool_calls and not (reply.text or "").strip():
            record(entry={**entry, "unreadable": "the reply was empty: no words and no tool call"}, used=cost)
            continue
        if not reply.tool_calls:
            answer = clip(reply.text or "", MAX_ANSWER) or ""
            record(entry=entry, status="done", answer=answer, used=cost)
            return answer
        calls, outputs = [], []
        for call in reply.tool_calls:
            request = {"process": path, "step": step, "model": reply.model or provider.model, "call": call.id}
            output, result = run_call(session, call, actor=me, self_path=path, request=request)
            events.extend(result.events if result is not None else ())
            outputs.append(clip(output))
            calls.append({k: clip(v) if isinstance(v, str) else v for k, v in call.as_dict().items()})
        entry.update(calls=calls, outputs=outputs)
        record(entry=entry, used=cost)
    if not steps.waiting(session, path):
        record(entry={"stopped": f"max_steps={max_steps} reached"}, status="stopped")
    return None


def _messages(session: Host, path: str, state: dict[str, Any]) -> list[Message]:
    return prompt.messages(session, path, state)  # bounded however long the run (scint/llm/prompt.py)
