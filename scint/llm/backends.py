"""Who takes a process's steps (SPEC 11): its `backend`. `llm` (its model) is scint/llm/process.py's loop; this
module holds the other two.

`python:NAME`: a function registered with `scint.register_backend(NAME, fn)` (or the `scint.backends` entry
points; only registered names, never an import path). Each step hands it one thing to handle, oldest first:

- the process's goal, once: a process with a goal that no step of a Python backend has handled yet is first
  called with a synthetic message `{"id": None, "kind": "goal", "from": <who ran it>, "content": <goal>}`
  (a new goal, set by `configure`, is handed over once again);
- then each unread message, delivered into its transcript as its model would see it (one per step), as
  `{"id", "from", "to", "kind", "content", "reply_to"}`.

`fn(message, view)` gets a read-only view of the branch at the head (scint.ContextMapView) and returns:

- a `str` answering a query: `reply(to=<its id>, content=<the str>)` is run as the process;
- a `str` for anything else (its goal, a `read` message, a `reply`): that is the process's answer; the run ends
  `done` with it, as a model's answer in words does;
- a `scint.Program` (from `scint.parse`): run as `process:<path>`, held to its capabilities (deny by default: a
  program outside its grants is refused, and the refusal is recorded in its transcript);
- `None`: nothing to do for this one.

Whatever it returned, and what ran, is recorded in the process's transcript (one entry per step, with the message
it handled), so a replay never calls the function. A `stop` message is not handed to it: it ends the run at that
step (status `done`: the sender asked the process to finish its work). When nothing is left to handle the run ends
`done` (`run` returns the answer, or None); a process with nothing to handle takes no step and records nothing.
A function that raises, returns anything else, or a name that is not registered fails the run: status `failed`
with the reason (a ModuleError) in its transcript, and `run` raises RunFailed, as a model service that fails does.
An `async def` function is awaited (under `arun_process`, the scheduler; a synchronous run awaits it only when no
event loop is running).

`human`: a person takes the steps. A run calls nothing: it records that the process waits for a person (once, not
again while nothing else happened) and returns None. Queries sent to the process show in every person's inbox
(`scint inbox`, `%scint_inbox`, `session.inbox()`); a person's `reply` to one goes out from the process (its sender
is the process's path; the actor recorded is the person).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from scint.dsl import Program, format_program, literal
from scint.errors import ModuleError
from scint.llm import control
from scint.llm.loop import Conversation
from scint.llm.provider import Reply, ToolCall
from scint.llm.steps import (
    MAX_ANSWER,
    clip,
    deliver,
    delivered_in,
    finish,
    live,
    record,
    refused_start,
    spent,
    waiting,
    why_not_now,
)
from scint.llm.tools import run_call

if TYPE_CHECKING:
    from scint.llm.host import Host

__all__ = ["HUMAN_WAITS", "HeadView", "PythonBackend", "human_run", "python_steps"]

HUMAN_WAITS = (
    "waiting for a person: its queries are in `scint inbox` (or %scint_inbox, session.inbox()); "
    "a person answers with `scint reply ID TEXT`"
)
RETURNS = "a str (the reply text, or its answer), a scint.Program (from scint.parse, run as the process) or None"


class PythonBackend:
    """A registered function as the provider of a process's steps: drive/adrive call it with the message and the
    view as keyword options, and it turns what the function returns into a Reply (text, or one custom tool call
    carrying the program), so one driver runs every backend, synchronously or on an event loop."""

    api = "chat"
    tool_kind = "custom"

    def __init__(self, name: str, find: Callable[[str], Callable[..., Any]] | None) -> None:
        self.name = name
        self.model = f"python:{name}"
        self._find = find
        self.fn: Callable[..., Any] | None = None

    def __repr__(self) -> str:
        return f"PythonBackend({self.model!r})"

    def resolve(self) -> None:
        """Look the function up by its registered name (ModuleError if there is none by that name)."""
        if self._find is None:
            raise ModuleError(f"backend {self.model}: this session cannot look up registered backends")
        self.fn = self._find(self.name)

    def complete(self, messages: Any, tools: Any, *, message: Any = None, view: Any = None) -> Reply:
        out = self._call(message, view)
        if inspect.isawaitable(out):
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                out = self._guarded(lambda: asyncio.run(_awaited(out)))
            else:
                getattr(out, "close", lambda: None)()
                raise ModuleError(
                    f"backend {self.model} is an async function and an event loop is running: run the process with "
                    "`await scint.llm.arun_process(...)` (or the scheduler), which awaits it"
                ) from None
        return self._reply(out)

    async def acomplete(self, messages: Any, tools: Any, *, message: Any = None, view: Any = None) -> Reply:
        out = self._call(message, view)
        if inspect.isawaitable(out):
            try:
                out = await out
            except Exception as exc:
                raise self._raised(exc) from exc
        return self._reply(out)

    def _call(self, message: Any, view: Any) -> Any:
        if self.fn is None:
            self.resolve()
        return self._guarded(lambda: self.fn(message, view))  # type: ignore[misc]

    def _guarded(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except Exception as exc:  # registered code is anyone's: what it raises fails the run, clearly
            raise self._raised(exc) from exc

    def _raised(self, exc: Exception) -> ModuleError:
        return ModuleError(f"backend {self.model} raised {type(exc).__name__}: {clip(str(exc), 2_000)}")

    def _reply(self, out: Any) -> Reply:
        if out is None:
            return Reply(model=self.model)
        if isinstance(out, str):
            return Reply(text=out, model=self.model)
        if isinstance(out, Program):
            text = out.source or format_program(out)
            return Reply(tool_calls=(ToolCall.custom(text, id="python"),), model=self.model)
        raise ModuleError(f"backend {self.model} returned a {type(out).__name__}; it returns {RETURNS}")


async def _awaited(pending: Any) -> Any:
    return await pending


def human_run(session: Host, path: str, events: list[Any]) -> None:
    """A run of a process a person takes the steps of: nothing is called; it records that it waits for a person
    (unless that is already the last thing its transcript says) and returns None."""
    ctx = live(session, path)
    last = ctx.transcript[-1] if ctx is not None and ctx.transcript else None
    if last != {"waiting": HUMAN_WAITS}:
        events.extend(record(session, path, f"process:{path}", entry={"waiting": HUMAN_WAITS}).events)


def _new_goal(session: Host, path: str) -> str | None:
    """The process's goal, if no step of a Python backend has handled it yet."""
    ctx = live(session, path)
    goal = ctx.goal if ctx is not None else None
    if not isinstance(goal, str) or not goal.strip():
        return None
    handled = any(isinstance(e, dict) and e.get("goal") == goal for e in ctx.transcript)  # type: ignore[union-attr]
    return None if handled else goal


def _has_unread(session: Host, path: str) -> bool:
    inbox = getattr(session, "inbox", None)  # a host without messages has none
    return bool(inbox(path)) if inbox is not None else False


def python_steps(
    session: Host, path: str, max_steps: int, backend: PythonBackend, active: Any, actor: str, events: list[Any]
) -> Conversation:
    """A `python:NAME` process's run, as a conversation: each request hands the driver one message (as the
    `message` and `view` options) and receives the function's Reply. Returns the process's answer, or None."""
    me = f"process:{path}"

    def note(**what: Any) -> None:
        events.extend(record(session, path, me, **what).events)

    if refused_start(session, path, note):  # waiting, held, out of budget: no step, no call
        return None
    goal = _new_goal(session, path)
    if goal is None and not _has_unread(session, path):
        return None  # nothing to handle: no step, nothing recorded
    note(status="running", request={"run": path, "max_steps": max_steps, "by": actor, "backend": backend.model})
    backend.resolve()  # not registered: the run fails, recorded (scint/llm/process.py `_settled`)
    for step in range(1, max_steps + 2):
        reason = active.limits.exhausted() or (why_not_now(session, path) or (None,))[0]
        if reason is not None:
            note(entry={"stopped": reason}, status="stopped")
            return None
        if waiting(session, path):  # a program it returned is a proposal: no steps until it is decided
            return None
        if step > max_steps:
            if goal is None and not _has_unread(session, path):
                break
            note(entry={"stopped": f"max_steps={max_steps} reached"}, status="stopped")
            return None
        entry: dict[str, Any] = {"backend": backend.model}
        if goal is not None:
            sender = _address(actor)
            message = {"id": None, "from": sender, "to": path, "kind": "goal", "content": goal, "reply_to": None}
            entry["goal"], goal = goal, None
        else:
            delivery = deliver(session, path, limit=1)
            events.extend(delivery)
            got = delivered_in(delivery, path)
            if not got:
                break
            message = {**got[0], "to": path}
            if message["kind"] == "stop":  # "finish your work": the run ends at this step, no call
                finish(note, message)
                return None
            entry["message"] = message["id"]
        started = control.clock()
        reply = yield [], [], {"message": message, "view": HeadView(session)}
        active.limits.steps += 1
        if reply.text is not None and not reply.tool_calls and message["kind"] != "query":
            answer = clip(reply.text, MAX_ANSWER) or ""
            note(entry={**entry, "text": clip(reply.text)}, status="done", answer=answer, used=spent(started, 0))
            return answer
        calls = list(reply.tool_calls)
        if reply.text is not None and not calls:  # a query's answer: a reply from the process
            text = f"reply(to={literal(message['id'])}, content={literal(reply.text)})"
            calls = [ToolCall.custom(text, id="python")]
        if calls:
            request = {"process": path, "step": step, "backend": backend.model, "message": message["id"]}
            output, result = run_call(session, calls[0], actor=me, self_path=path, request=request)
            events.extend(result.events if result is not None else ())
            entry.update(calls=[{**calls[0].as_dict(), "input": clip(calls[0].input)}], outputs=[clip(output)])
        else:
            entry["text"] = None
        note(entry=entry, used=spent(started, 0))
    note(status="done")
    return None


class HeadView:
    """The view a step hands the function: the branch as of the step (`session.view(at=<its version>)`), made only
    when the function reads it. Copying the whole branch for every step, read or not, cost most of a step once
    many processes had long transcripts (bench/agents_many.py). It behaves as the scint.ContextMapView it stands
    for (attributes, `in`, `len`, displays, `isinstance`); one kept and read later still shows the step's version.
    """

    __slots__ = ("_at", "_made", "_session")

    def __init__(self, session: Host) -> None:
        self._session = session
        self._at = session.version
        self._made: Any = None

    def _view(self) -> Any:
        if self._made is None:
            self._made = self._session.view(at=self._at)
        return self._made

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # isinstance(view, scint.ContextMapView) holds
        return type(self._view())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._view(), name)

    def __contains__(self, path: object) -> bool:
        return path in self._view()

    def __len__(self) -> int:
        return len(self._view())

    def __str__(self) -> str:
        return str(self._view())

    def __repr__(self) -> str:
        return repr(self._view())

    def _repr_html_(self) -> str:
        return self._view()._repr_html_()  # type: ignore[no-any-return]

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        self._view()._repr_pretty_(printer, cycle)


def _address(actor: str) -> str:
    """Who ran the process, as a message's sender reads (a process's path, or a person)."""
    return actor[len("process:") :] if actor.startswith("process:") else actor
