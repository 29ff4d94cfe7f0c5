"""`scint up`: make a store match a `scint.toml`, as ONE atomic program (SPEC section 9).

`plan(session, config)` compares the file with the session's head and returns the changes, each with the
statement that makes it: `create_context(...)` for a context or process the store lacks (parents first), and
`<path>.configure(settings={...})` for a process whose declared fields differ. `up(session, path)` runs them as
one program with actor `file:<file name>` and `{"file": name, "sha256": ...}` as its request (its provenance);
when nothing differs it records nothing. Contexts the file does not name are left alone, and so is the state a
context gathers in use: a context's creation settings apply when it is created.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scint.agents.config import Config, load
from scint.contexts.builtin import Process
from scint.contexts.external import server_description, up_to_date
from scint.errors import BadArguments, ConfigError, ScintError

if TYPE_CHECKING:
    from scint.session import Result, Session

__all__ = ["Change", "UpReport", "connect_servers", "plan", "program_text", "up"]

# A process's fields that its declaration sets (the rest, transcript, status, tasks, are its life).
DECLARED = ("goal", "model", "system", "backend", "can", "approve", "budget", "templates", "mcp", "endpoint")


@dataclass(frozen=True)
class Change:
    """One thing `up` will do: `kind` is "create" or "configure"; `statement` is the Scint that does it."""

    kind: str
    path: str
    statement: str
    fields: tuple[str, ...] = ()  # configure: the fields that change

    def __str__(self) -> str:
        if self.kind == "create":
            return f"+ {self.path}"
        return f"~ {self.path}: {', '.join(self.fields)}"


@dataclass(frozen=True)
class UpReport:
    """What `up` did (or, with plan=True, would do): the changes, and the Result when a program was recorded."""

    file: str
    sha256: str
    changes: tuple[Change, ...]
    result: Result | None = None
    planned: bool = False
    modules: tuple[str, ...] = ()  # the modules the file asked for (loaded into the session)
    servers: tuple[str, ...] = ()  # what connecting the [mcp.NAME] servers did, when it did something

    @property
    def up_to_date(self) -> bool:
        return not self.changes

    def __str__(self) -> str:
        if not self.changes:
            return "\n".join([f"{self.file}: up to date", *(f"  {line}" for line in self.servers)])
        verb = "would change" if self.planned else "changed"
        lines = [f"{self.file}: {verb} {len(self.changes)} context{'s' if len(self.changes) != 1 else ''}"]
        lines += [f"  {c}" for c in self.changes]
        if self.result is not None:
            lines.append(f"  recorded as one program, version {self.result.version}")
        return "\n".join(lines + [f"  {line}" for line in self.servers])


def _declared(fields: dict[str, Any]) -> dict[str, Any]:
    """A process's declared fields that differ from a new Process's defaults (what creating it must say)."""
    defaults = Process.__scint_fields__
    out = {k: v for k, v in fields.items() if v != defaults[k][1]}
    if isinstance(out.get("templates"), dict):
        out["templates"] = {name: _declared(t) for name, t in out["templates"].items()}
    return out


def _literal(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _call(name: str, args: dict[str, Any]) -> str:
    return f"{name}({', '.join(f'{k}={_literal(v)}' for k, v in args.items())})"


def plan(session: Session, config: Config) -> list[Change]:
    """The changes that make `session`'s head match `config` (empty: up to date). Writes nothing."""
    view = session.view()
    declared: dict[str, tuple[str, dict[str, Any]]] = {}
    for path, spec in config.contexts.items():
        declared[path] = (spec["type"], {k: v for k, v in spec.items() if k != "type"})
    for path, fields in config.processes.items():
        declared[path] = ("Process", {**fields, "templates": {n: _declared(t) for n, t in fields["templates"].items()}})
    changes: list[Change] = []
    problems: list[str] = []
    order = {p: i for i, p in enumerate(declared)}
    for path in sorted(declared, key=lambda p: (p.count("."), order[p])):
        type_name, fields = declared[path]
        section = "processes" if path in config.processes else "contexts"
        if path in view:
            have = view.type_of(path)
            if have != type_name:
                problems.append(f'{section}."{path}": the store holds a {have} there, the file declares a {type_name}')
            elif type_name == "Process":
                state = view.get(path)
                diff = {k: fields[k] for k in DECLARED if k in fields and state.get(k) != fields[k]}
                if diff:
                    statement = _call(f"{path}.configure", {"settings": diff})
                    changes.append(Change("configure", path, statement, tuple(diff)))
            continue
        parent, _, name = path.rpartition(".")
        if parent and parent not in view and parent not in declared:
            problems.append(f'{section}."{path}": its parent `{parent}` is neither in the store nor in the file')
            continue
        args: dict[str, Any] = {"name": name, "type": type_name}
        if parent:
            args["parent"] = parent
        args.update(_declared(fields) if type_name == "Process" else fields)
        changes.append(Change("create", path, _call("create_context", args)))
    if problems:
        shown = [f"  {config.file}: {p}" for p in problems[:20]]
        raise ConfigError("\n".join([f"{config.file} does not fit this store; nothing was written:", *shown]))
    return changes


_plan = plan  # `up`'s parameter is called plan, as Session.up's is


def program_text(changes: list[Change]) -> str:
    """The one program that makes the changes."""
    return "".join(c.statement + "\n" for c in changes)


def up(session: Session, path: str | Path = "scint.toml", plan: bool = False) -> UpReport:
    """Make the store match the file at `path` in one atomic program; with `plan`, only say what would change."""
    if not isinstance(plan, bool):
        raise BadArguments("plan must be true or false")
    config = load(path, prepare=lambda names: _load_modules(session, names))
    changes = tuple(_plan(session, config))
    modules = tuple(config.modules)
    if plan:
        return UpReport(config.file, config.sha256, changes, planned=plan, modules=modules)
    result = None
    if changes:
        request: dict[str, Any] = {"file": config.file, "sha256": config.sha256}
        if modules:
            request["modules"] = list(modules)  # what the file asked for, in its provenance
        result = session.run(program_text(list(changes)), actor=f"file:{config.file}", request=request)
    servers = connect_servers(session, config)
    return UpReport(config.file, config.sha256, changes, result=result, modules=modules, servers=servers)


def connect_servers(session: Session, config: Config) -> tuple[str, ...]:
    """Connect every `[mcp.NAME]` server to the session (Session.connect_mcp), so its tools can be called. A
    server whose context already records it is connected lazily (contacted on the first call); a new one is
    asked for its tools, recorded as a program of its own. One that cannot be reached is reported, not fatal:
    the file's other declarations stand, and the next `up` tries again. Returns what happened, a line each."""
    lines = []
    view = session.view()
    for name, server in config.mcp.items():
        described = server_description(server.get("command"), server.get("args"), server.get("env"), server.get("url"))
        recorded = name in view and up_to_date(view.get(name), described, server.get("tools"))
        try:
            tools = session.connect_mcp(name, **server)
        except ScintError as exc:
            lines.append(f"! mcp.{name}: not connected: {exc}")
            continue
        if not recorded:
            lines.append(f"+ mcp.{name}: connected, tools {', '.join(tools) or 'none'}")
    return tuple(lines)


def _load_modules(session: Session, names: list[str]) -> None:
    """The file's modules, loaded into the session (they may bring the types and backends the file names). Their
    order is worked out whole first, so a missing or circular one loads nothing. `plan` loads them too: it
    records nothing."""
    if names:
        session.load_modules(names)
