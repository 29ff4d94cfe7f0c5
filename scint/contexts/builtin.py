"""The built-in context types: Container, Composer, Thread, Process and Task."""

from __future__ import annotations

from typing import Any

from scint.contexts.base import MISSING, NAME_RE, Context, action, did_you_mean, internal, macro, query
from scint.contexts.registry import register
from scint.contexts.types import check, copy_value, describe
from scint.contexts.usage import BUDGET_KEYS, add_usage, check_budget
from scint.errors import ActionError, BadArguments, PermissionDenied

__all__ = ["Composer", "Container", "Process", "Task", "Thread", "check_backend", "claim_holder"]


def check_backend(backend: Any, where: str) -> str:
    """`backend` if it names who may take a process's steps: "llm" (its model), "human" (a person) or "python:NAME"
    (NAME: a letter, then letters, digits or _); else BadArguments (the process's `configure`, create_context,
    set_backend and a rerun's swap say so the same way). Whether NAME is registered is the session's to check
    (set_backend, and each step of the process): a declaration may name one a module registers later."""
    ok = backend in ("llm", "human") or (
        isinstance(backend, str) and backend.startswith("python:") and NAME_RE.fullmatch(backend[len("python:") :])
    )
    if not ok:
        raise BadArguments(f'{where}: backend must be "llm", "human" or "python:NAME", not {backend!r:.80}')
    return backend


def _clip(key: str, limit: int = 40) -> str:
    """A key as error messages show it: short (keys may be long, messages should not be)."""
    return key if len(key) <= limit else key[: limit - 3] + "..."


def _other_fields(ctx: Context, big: str) -> dict[str, Any]:
    """A copy of every field but the big one that a type journals itself (subclasses may add fields)."""
    return copy_value({k: v for k, v in ctx.__dict__.items() if k != big})


def _nearest(key: str, keys: list[str]) -> str:
    if not keys:
        return "it is empty"
    hint = did_you_mean(key, keys)
    if hint and len(hint) < 200:
        return hint.strip(" ()")
    shown = ", ".join(f'"{_clip(k)}"' for k in sorted(keys)[:8])
    return f"its keys are {shown}" + (" ..." if len(keys) > 8 else "")


@register
class Container(Context):
    """A key-value store for any values (strings, numbers, lists, dicts...)."""

    data: dict[str, Any] = {}

    # Undo is a journal of the keys a program touched (not a copy of the whole store): cheap for big stores.
    def __scint_checkpoint__(self) -> tuple[dict[str, Any], dict[str, Any]]:
        self._scint_journal = {}
        return _other_fields(self, "data"), self._scint_journal

    def __scint_restore__(self, token: Any) -> None:
        others, journal = token
        for key, old in journal.items():
            if old is MISSING:
                self.data.pop(key, None)
            else:
                self.data[key] = old
        self.__dict__.update(others)
        self._scint_journal = None

    def __scint_commit__(self) -> None:
        self._scint_journal = None

    def _remember(self, key: str) -> None:
        journal = self._scint_journal
        if journal is not None and key not in journal:
            journal[key] = self.data.get(key, MISSING)

    def _existing(self, key: str) -> Any:
        if key not in self.data:
            raise ActionError(f'{self.path} has no key "{_clip(key)}"; {_nearest(key, list(self.data))}')
        return self.data[key]

    @action
    def put(self, key: str, value: Any) -> None:
        """Store `value` under `key`, replacing what was there."""
        self._remember(key)
        self.data[key] = value

    @query
    def get(self, key: str) -> Any:
        """The value stored under `key` (an error if there is none)."""
        return self._existing(key)

    @action
    def delete(self, key: str) -> None:
        """Remove `key` and its value (an error if there is none)."""
        self._existing(key)
        self._remember(key)
        del self.data[key]

    @query
    def keys(self) -> list[str]:
        """All keys, sorted."""
        return sorted(self.data)

    @query
    def items(self) -> dict[str, Any]:
        """All keys and values, sorted by key."""
        return {k: self.data[k] for k in sorted(self.data)}

    @action
    def update(self, key: str, patch: dict[str, Any]) -> dict[str, Any]:
        """Merge `patch` into the dict stored under `key` and return the result."""
        old = self._existing(key)
        if type(old) is not dict:
            raise ActionError(f'{self.path}.update: the value under "{key}" is not a dict; use put to replace it')
        self._remember(key)
        self.data[key] = new = {**old, **patch}
        return new


@register
class Composer(Context):
    """Stored workflows: named Scint programs with parameters, run with bound arguments."""

    workflows: dict[str, Any] = {}

    # Undo journals the workflow names a program defines (not a copy of every stored workflow).
    def __scint_checkpoint__(self) -> tuple[dict[str, Any], dict[str, Any]]:
        self._scint_journal = {}
        return _other_fields(self, "workflows"), self._scint_journal

    def __scint_restore__(self, token: Any) -> None:
        others, journal = token
        for name, old in journal.items():
            if old is MISSING:
                self.workflows.pop(name, None)
            else:
                self.workflows[name] = old
        self.__dict__.update(others)
        self._scint_journal = None

    def __scint_commit__(self) -> None:
        self._scint_journal = None

    @action
    def define(
        self,
        name: str,
        body: str,
        params: list[str] = [],  # noqa: B006 - defaults are copied
        scope: str | None = None,
        by: str | None = None,
        can: list[str] | None = None,
    ) -> str:
        """Store the program `body` as workflow `name`; inside it `$param` reads each parameter.

        The body is checked when it is defined. With `scope` (a context path) the workflow may change only
        contexts under it, whoever runs it; a workflow defined by a scoped actor always keeps that actor's scope.
        Scint sets `by` and `can` itself: the actor that defined it and the capabilities it was restricted to;
        the workflow runs with those as well as its runner's (SPEC section 10)."""
        if not NAME_RE.fullmatch(name):
            raise BadArguments(f"a workflow name must be a plain name like restock, not {name!r}")
        for p in params:
            if not NAME_RE.fullmatch(p):
                raise BadArguments(f"a workflow parameter must be a plain name, not {p!r}")
        if len(set(params)) != len(params):
            raise BadArguments("workflow parameters must be distinct")
        own = [p.name for p in type(self).__scint_specs__["run"].params if not p.variadic]
        clash = [p for p in params if p in own]
        if clash:  # run(name=..., **args) could never pass it
            raise BadArguments(
                f"a workflow parameter cannot be called `{clash[0]}`: run() takes {', '.join(own)} itself; "
                "choose another name"
            )
        journal = self._scint_journal
        if journal is not None and name not in journal:
            journal[name] = self.workflows.get(name, MISSING)
        self.workflows[name] = {"params": list(params), "body": body}
        if scope is not None:
            if not all(NAME_RE.fullmatch(part) for part in scope.split(".")):
                raise BadArguments(f"a workflow's scope is a context path such as research.lit, not {scope!r}")
            self.workflows[name]["scope"] = scope
        if by is not None:
            self.workflows[name]["by"] = by
        if can is not None:
            self.workflows[name]["can"] = list(can)
        return name

    @macro
    def run(self, name: str, **args: Any) -> Any:
        """Run workflow `name` with its parameters given as keyword arguments; returns its last result."""
        wf = self.workflows.get(name)
        if wf is None:
            names = sorted(self.workflows)
            raise ActionError(
                f'{self.path} has no workflow "{_clip(name)}"{did_you_mean(name, names)}; '
                f"it has: {', '.join(names) or 'none'}"
            )
        missing = [p for p in wf["params"] if p not in args]
        unknown = [a for a in args if a not in wf["params"]]
        if missing or unknown:
            parts = []
            if missing:
                parts.append("missing " + ", ".join(f"`{m}`" for m in missing))
            if unknown:
                parts.append("unknown " + ", ".join(f"`{u}`" for u in unknown))
            raise BadArguments(
                f'{self.path}.run(name="{name}"): {"; ".join(parts)}; its parameters are: '
                f"{', '.join(wf['params']) or 'none'}"
            )
        return wf

    @query
    def list(self) -> list[str]:
        """The names of the stored workflows, sorted."""
        return sorted(self.workflows)

    @query
    def show(self, name: str) -> dict[str, Any]:
        """A workflow's parameters and body (and its scope, if it has one)."""
        wf = self.workflows.get(name)
        if wf is None:
            raise ActionError(f'{self.path} has no workflow "{_clip(name)}"{did_you_mean(name, self.workflows)}')
        shown = {"name": name, "params": wf["params"], "body": wf["body"]}
        if "scope" in wf:
            shown["scope"] = wf["scope"]
        return shown


@register
class Thread(Context):
    """A conversation: messages in order, and the processes that work on it."""

    posts: list[dict[str, Any]] = []

    # Messages are only ever appended: undo is cutting the list back, not a copy of the conversation.
    def __scint_checkpoint__(self) -> tuple[dict[str, Any], int]:
        return _other_fields(self, "posts"), len(self.posts)

    def __scint_restore__(self, token: Any) -> None:
        others, length = token
        del self.posts[length:]
        self.__dict__.update(others)

    @action
    def post(self, role: str, content: str) -> int:
        """Append a message from `role` (e.g. "user", "assistant"); returns its number."""
        if not role or len(role) > 64:
            raise BadArguments('a role is a short non-empty string such as "user"')
        self.posts.append({"role": role, "content": content, "time": self.now()})
        return len(self.posts)

    @query
    def messages(self, last: int | None = None) -> list[dict[str, Any]]:
        """The messages, oldest first; only the last `last` if given."""
        if last is not None and last < 0:
            raise BadArguments("`last` must be zero or more")
        return self.posts if last is None else self.posts[len(self.posts) - last :]

    @action
    def spawn(self, name: str, goal: str, model: str | None = None) -> str:
        """Start a child Process called `name` that works towards `goal`; returns its path."""
        return self.create_child(name, "Process", goal=goal, model=model)


@register
class Process(Context):
    """An agent working towards a goal: its tasks (t1, t2, ...), its transcript and its child processes."""

    # idle: ready to run (new, or resumed); running: a run is taking steps; done: it answered (a new run goes on
    # from its transcript); stopped: a run ended without an answer (max_steps, its budget, Ctrl-C), or stop() was
    # called; paused: pause() was called; failed: a run broke. A process paused or stopped by pause()/stop() is
    # *held* (`hold` says by whom): it, and every process below it, takes no steps until resume().
    # waiting: a proposal of its is pending (SPEC 12).
    RUN_STATUSES = ("idle", "running", "done", "stopped", "paused", "failed", "waiting")
    schema_version = 4  # 2: the declaration fields (system ... endpoint) exist; 3: `used` and `hold`; 4: `claimed`

    @classmethod
    def upcast_state(cls, state: dict[str, Any], version: int) -> dict[str, Any]:
        """A version-1 process (saved before declarations) gets the declaration fields' defaults."""
        for name, (_, default) in cls.__scint_fields__.items():
            if name not in state:
                state[name] = copy_value(default)
        return state

    goal: str = ""
    model: str | None = None
    status: str = "idle"
    answer: str | None = None
    transcript: list[dict[str, Any]] = []
    next_task: int = 1
    # Its declaration (scint.toml, or create_context/configure): who takes its steps, with what, within what.
    system: str | None = None
    backend: str = "llm"
    can: list[str] | None = None  # capability globs; null: the default (self.**, help, contexts, send ...)
    approve: list[str] = []
    budget: dict[str, Any] = {}
    templates: dict[str, Any] = {}
    mcp: list[str] = []
    endpoint: dict[str, Any] | None = None  # the [models] entry: name, model, base_url, api, api_key_env, tool
    # What its steps have spent over its whole life ({"steps", "tokens", "seconds"}, against `budget`), and the
    # pause or stop holding it ({"status", "by", "reason"}; null when it may take steps).
    used: dict[str, Any] = {}
    hold: dict[str, Any] | None = None
    # The scheduler taking its steps now ({"by": owner, "at": its clock, "ttl": seconds}; scint/agents/claims.py),
    # so that schedulers sharing a store never step it twice; null when none is.
    claimed: dict[str, Any] | None = None

    CONFIGURABLE = ("goal", "model", "system", "backend", "can", "approve", "budget", "templates", "mcp", "endpoint")
    CONTROL = ("pause", "stop", "resume")  # the interpreter fills in their `by` (the actor calling them)

    # The transcript is only ever appended and the other fields are immutable values: undo keeps the transcript's
    # length and the other fields, not a copy of the transcript.
    def __scint_checkpoint__(self) -> tuple[dict[str, Any], int]:
        return _other_fields(self, "transcript"), len(self.transcript)

    def __scint_restore__(self, token: Any) -> None:
        others, length = token
        del self.transcript[length:]
        self.__dict__.update(others)

    @action
    def add_task(self, title: str, detail: str | None = None) -> str:
        """Add a Task (named t1, t2, ...) and return its path."""
        taken = set(self.children())  # a child made otherwise may hold the next name: skip it
        n = self.next_task
        while f"t{n}" in taken:
            n += 1
        self.next_task = n + 1
        return self.create_child(f"t{n}", "Task", title=title, detail=detail)

    @query
    def tasks(self, status: str | None = None) -> list[dict[str, Any]]:
        """The tasks with their status, optionally only those with `status` (todo, doing, done, failed)."""
        if status is not None and status not in Task.STATUSES:
            raise BadArguments(f"status must be one of {', '.join(Task.STATUSES)}, not {status!r}")
        out = []
        for name in self.children():
            child = self.child(name)
            if isinstance(child, Task) and (status is None or child.status == status):
                out.append({"path": child.path, "title": child.title, "status": child.status})
        return out

    @action
    def spawn(self, name: str, goal: str, model: str | None = None, template: str | None = None) -> str:
        """Start a child Process called `name` that works towards `goal`; returns its path.

        With `template`, one of the templates this process may spawn (its declared `templates`), the child gets
        the template's model, system prompt, capabilities (within this process's), budget and backend; `model`
        names another model at its endpoint. Without one, run inside this process's run, it uses this one's."""
        return self.create_child(name, "Process", **self.spawned(goal, model, template))

    def spawned(self, goal: str, model: str | None, template: str | None) -> dict[str, Any]:
        """The settings of a child spawned with these arguments (the interpreter checks its `can` first)."""
        if template is None:  # as before templates: stored spawns replay as they were recorded
            return {"goal": goal, "model": model}
        known = self.templates if isinstance(self.templates, dict) else {}
        spec = known.get(template)
        if not isinstance(spec, dict):
            listed = ", ".join(sorted(known)[:20]) or "none (a process spawns the templates its declaration lists)"
            raise ActionError(
                f'{self.path} may not spawn the template "{_clip(template)}"{did_you_mean(template, known)}: it may '
                f"spawn only the templates it lists; they are: {listed}"
            )
        fields = type(self).__scint_fields__
        out = {k: copy_value(v) for k, v in spec.items() if k in self.CONFIGURABLE and k != "templates"}
        out = {k: v for k, v in out.items() if check(v, fields[k][0])}  # a stored definition of another shape
        out["goal"] = goal or out.get("goal", "")
        if model is not None:
            out["model"] = model
        # What its spawn may spawn in turn: the templates the definition lists, among those this process may
        # spawn (a child never gets more than its parent, templates included).
        wanted = spec.get("templates")
        names = wanted if isinstance(wanted, list) else list(wanted) if isinstance(wanted, dict) else []
        out["templates"] = {n: copy_value(known[n]) for n in names if isinstance(n, str) and n in known}
        return out

    @action
    def configure(self, settings: dict[str, Any]) -> list[str]:
        """Change this process's declaration: `settings` maps any of goal, model, system, backend, can, approve,
        budget, templates, mcp, endpoint to its new value (null resets it). Returns the names that changed."""
        fields = type(self).__scint_fields__
        for name, value in settings.items():
            if name not in self.CONFIGURABLE:
                raise BadArguments(
                    f"{self.path}.configure: `{name}` is not a setting{did_you_mean(name, self.CONFIGURABLE)}; "
                    f"the settings are: {', '.join(self.CONFIGURABLE)}"
                )
            annotation, default = fields[name]
            if value is None and default is not None:
                settings = {**settings, name: copy_value(default)}
            elif not check(value, annotation):
                raise BadArguments(f"{self.path}.configure: `{name}` must be {describe(annotation)}")
        if "budget" in settings:
            check_budget(settings["budget"], f"{self.path}.configure")
        check_backend(settings.get("backend", self.backend), f"{self.path}.configure")
        changed = [name for name, value in settings.items() if getattr(self, name) != value]
        for name in changed:
            setattr(self, name, copy_value(settings[name]))
        return changed

    # -- the model's run (scint/llm/process.py drives it; these actions record it) ---------------------------

    @action
    def run(self, max_steps: int = 10) -> str | None:
        """Let the model work the goal, at most `max_steps` steps; returns its answer (null if stopped).

        Write it as a program of its own: each model step is its own commit."""
        # The session runs a lone `<process>.run(...)` itself; anywhere else it cannot be one transaction.
        raise ActionError(
            f"{self.path}.run() must be the only statement of its program (each model step is its own commit); "
            f"write `{self.path}.run(max_steps={max_steps})` on its own"
        )

    @internal
    def record(self, entry: dict[str, Any], used: dict[str, Any] | None = None) -> int:
        """Append a step to the transcript (the runner does this), and add what the step spent (`used`: steps,
        tokens, seconds, measured before the event) to the process's life-long `used`.

        An entry holds one model step: its text, its tool calls and their outputs. Every step is recorded, so
        replaying a run needs no model. Returns the transcript's length."""
        self.transcript.append(entry)
        if used:
            self.used = add_usage(self.used, used)
        return len(self.transcript)

    @internal
    def set_status(self, status: str, answer: str | None = None) -> str:
        """Set the run status (idle, running, done, stopped, failed) and answer. A held process keeps its
        paused or stopped status (a run that ends after it was paused records its answer, not its status)."""
        if status not in self.RUN_STATUSES:
            raise BadArguments(f"status must be one of {', '.join(self.RUN_STATUSES)}, not {status!r}")
        self.status = self.hold["status"] if isinstance(self.hold, dict) and "status" in self.hold else status
        if answer is not None or status == "running":
            self.answer = answer
        return self.status

    @internal
    def claim(self, by: str, at: float, ttl: float) -> str:
        """A scheduler (`by`) takes this process's steps from `at` (its clock, recorded) until it releases it or
        `ttl` seconds pass (a crashed scheduler's claim lapses). Refused while another scheduler's claim holds."""
        holder = claim_holder(self.claimed, at)
        if holder is not None and holder != by:
            raise ActionError(f"{self.path} is being run by the scheduler {holder}")
        if not (0 < ttl <= MAX_CLAIM_SECONDS):
            raise BadArguments(f"a claim lasts from 0 to {MAX_CLAIM_SECONDS:,} seconds, not {ttl!r:.40}")
        self.claimed = {"by": by, "at": at, "ttl": ttl}
        return by

    @internal
    def unclaim(self, by: str) -> bool:
        """The scheduler `by` is done with this process (its claim, if it still holds one, ends)."""
        mine = isinstance(self.claimed, dict) and self.claimed.get("by") == by
        if mine:
            self.claimed = None
        return mine

    # -- runtime control (recorded): no step is taken while a process or one above it is held ------------------

    @action
    def pause(self, reason: str | None = None, by: str | None = None) -> str:
        """Hold this process: it, and every process below it, takes no steps until resume() (a run in progress
        stops before its next step). Scint sets `by` itself: who paused it."""
        return self._hold("paused", reason, by)

    @action
    def stop(self, reason: str | None = None, by: str | None = None) -> str:
        """Stop this process: like pause(), it and every process below it take no steps until resume(); its
        status is `stopped`. Scint sets `by` itself."""
        return self._hold("stopped", reason, by)

    @action
    def resume(self, by: str | None = None) -> str:
        """Lift a pause or stop: the process is idle and may run again. A process may lift only a hold that it or
        a process below it placed, never a person's. Scint sets `by` itself."""
        hold = self.hold if isinstance(self.hold, dict) else None
        if hold is None:
            raise ActionError(f"{self.path} is {self.status}, not paused or stopped; there is nothing to resume")
        placed = str(hold.get("by") or "")
        if by is not None and by.startswith("process:"):
            me = by[len("process:") :]
            mine = placed.startswith("process:") and (placed[8:] == me or placed[8:].startswith(me + "."))
            if not mine:
                raise PermissionDenied(
                    f"{by} may not resume {self.path}: it was {hold.get('status', 'paused')} by {placed or 'someone'}"
                    ", and a process lifts only a hold that it or a process below it placed"
                )
        self.hold = None
        self.status = "idle"
        return self.status

    def _hold(self, status: str, reason: str | None, by: str | None) -> str:
        if reason is not None and len(reason) > 1000:
            raise BadArguments("a reason is at most 1,000 characters")
        self.hold = {"status": status, "by": by or "unknown", "reason": reason}
        self.status = status
        return status

    @action
    def fork(self, name: str) -> str:
        """Start a sibling copy of this process called `name` (its goal, declaration, transcript, what it has
        spent, and its tasks with their states), to explore in parallel; returns the copy's path. The copy is
        idle and not held; both record their own steps from here on, and the copy has at most these capabilities."""
        parent = self.path.rpartition(".")[0]
        fields = {k: copy_value(v) for k, v in self.__dict__.items() if k in type(self).__scint_fields__}
        fields.update(status="idle", answer=None, hold=None, claimed=None)
        fields["transcript"] = [*fields["transcript"], {"forked": self.path}]
        if self._scint_map is None:
            raise ActionError("this context is not part of a map")
        path = self._scint_map.create_child(parent, name, type(self).__scint_type__, fields)
        for child in self.children():
            task = self.child(child)
            if isinstance(task, Task):
                state = {k: copy_value(v) for k, v in task.__dict__.items() if k in Task.__scint_fields__}
                self._scint_map.create_child(path, child, "Task", state)
        return path

    @query
    def usage(self) -> dict[str, Any]:
        """What it has spent over its whole life against its budget: {steps, tokens, seconds} each as
        {"used": n, "limit": n or null}."""
        return {k: {"used": self.used.get(k, 0), "limit": self.budget.get(k)} for k in BUDGET_KEYS}

    @query
    def context(self, window: int = 20) -> dict[str, Any]:
        """What this process knows: its goal, status, tasks and the last `window` transcript entries."""
        if window < 0:
            raise BadArguments("`window` must be zero or more")
        return {
            "goal": self.goal,
            "status": self.status,
            "tasks": self.tasks(),
            "transcript": self.transcript[len(self.transcript) - window :] if window else [],
        }


MAX_CLAIM_SECONDS = 86_400


def claim_holder(claimed: Any, now: float) -> str | None:
    """Who holds the claim `claimed` (a Process's field) at time `now`, or None if nobody does (no claim, a
    lapsed one, or a stored value of another shape)."""
    if not isinstance(claimed, dict):
        return None
    by, at, ttl = claimed.get("by"), claimed.get("at"), claimed.get("ttl")
    if type(by) is not str or type(at) not in (int, float) or type(ttl) not in (int, float):
        return None
    return by if now < at + ttl else None


@register
class Task(Context):
    """A unit of work: todo -> doing -> done or failed."""

    STATUSES = ("todo", "doing", "done", "failed")

    title: str = ""
    detail: str | None = None
    status: str = "todo"
    result: Any = None
    reason: str | None = None
    assignee: str | None = None

    def _move(self, frm: str, to: str, verb: str) -> None:
        if self.status != frm:
            raise ActionError(f"{self.path} is {self.status}; {verb} needs a task that is {frm}")
        self.status = to

    @action
    def start(self) -> str:
        """Begin the task (todo -> doing)."""
        self._move("todo", "doing", "start()")
        return self.status

    @action
    def complete(self, result: Any = None) -> str:
        """Finish the task with an optional result (doing -> done)."""
        self._move("doing", "done", "complete()")
        self.result = result
        return self.status

    @action
    def fail(self, reason: str) -> str:
        """Give up on the task, saying why (doing -> failed)."""
        self._move("doing", "failed", "fail()")
        self.reason = reason
        return self.status

    @action
    def assign(self, to: str) -> str:
        """Give the task to someone (a process path or a person's name); not once it is done or failed."""
        if self.status in ("done", "failed"):
            raise ActionError(f"{self.path} is {self.status}; it can no longer be assigned")
        self.assignee = to
        return to
