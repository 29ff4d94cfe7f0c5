"""What the Session's operations return: Result, LogEntry, Diff, RerunReport (frozen, displayable)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from scint.core.history import render_diff
from scint.core.interpreter import EventRecord

__all__ = ["Diff", "LogEntry", "RerunReport", "Result"]


@attrs.frozen
class Result:
    """What `Session.run` returns: the last statement's value, every statement's value, the branch version
    after the program, and the events it recorded (empty for a read-only program). After a dry run, `events`
    are the ones the program would have recorded, and `version` is the unchanged head. `bindings` are the
    names the program assigned (`m = notes.get(...)`) with their values: a REPL or a notebook passes them back
    as `params` of its next program, so the session itself keeps no one's variables."""

    value: Any
    values: tuple[Any, ...]
    version: int
    events: tuple[EventRecord, ...]
    program_id: str
    branch: str
    bindings: dict[str, Any] = attrs.field(factory=dict)

    def __str__(self) -> str:
        from scint.core.render import render_result

        return render_result(self)

    def _repr_html_(self) -> str:
        from scint.core.render import render_result_html

        return render_result_html(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython's plain-text display
        printer.text(str(self))


@attrs.frozen
class LogEntry:
    """One program that changed state: the branch version after it, who ran it, its text, when, its id."""

    version: int
    actor: str
    source: str
    time: datetime
    program_id: str
    events: int
    request: Any = None
    params: Any = None  # the values bound from outside that the program read (`run(text, params=...)`)

    def as_dict(self) -> dict[str, Any]:
        entry = {
            "version": self.version,
            "actor": self.actor,
            "source": self.source,
            "time": self.time.isoformat(),
            "program_id": self.program_id,
        }
        if self.params is not None:
            entry["params"] = self.params
        return entry


@attrs.frozen
class Diff:
    """The difference between two states: contexts added and removed, and per changed context its fields."""

    a: str
    b: str
    added: dict[str, str]
    removed: dict[str, str]
    changed: dict[str, Any]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def as_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "added": self.added, "removed": self.removed, "changed": self.changed}

    def render(self) -> str:
        return render_diff(self.as_dict(), self.a, self.b)

    def __str__(self) -> str:
        return self.render()

    def _repr_html_(self) -> str:
        import html

        return f"<pre class='scint-diff'>{html.escape(self.render())}</pre>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython's plain-text display
        printer.text(str(self))


@attrs.frozen
class RerunReport:
    """What `Session.rerun` did: the new branch, the programs it re-ran, those that now fail, the history
    statements (`history.branch`, `history.checkout`) it ignored because a rerun writes only to its branch, the
    models it swapped, what people did that it did not replay, and the proposals it made again."""

    branch: str
    since: int
    programs: int
    failures: tuple[tuple[str, int, str], ...]  # (program id, original version, error)
    ignored: tuple[tuple[str, int, str], ...] = ()  # (program id, original version, statement)
    models: tuple[tuple[str, str], ...] = ()  # (process path, the model or backend swapped in)
    people: tuple[tuple[str, int, str], ...] = ()  # (program id, original version, what a person did: not replayed)
    proposed: tuple[tuple[str, int, str], ...] = ()  # (program id, original version, the new proposal's id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "branch": self.branch,
            "since": self.since,
            "programs": self.programs,
            "failures": [list(f) for f in self.failures],
            "ignored": [list(i) for i in self.ignored],
            "models": dict(self.models),
            "people": [list(p) for p in self.people],
            "proposed": [list(p) for p in self.proposed],
        }

    def __str__(self) -> str:
        head = f"re-ran {self.programs} programs after version {self.since} on branch {self.branch}"
        lines = [head + (f": {len(self.failures)} failed" if self.failures else ": all succeeded")]
        lines += [f"  {pid} (was version {v}): {err}" for pid, v, err in self.failures]
        if self.models:
            lines.append("with " + ", ".join(f"{path} -> {name}" for path, name in self.models))
        if self.people:
            lines.append(f"not replayed: {len(self.people)} answers or decisions of people (asked again here):")
            lines += [f"  {pid} (was version {v}): {what}" for pid, v, what in self.people]
        if self.proposed:
            lines.append(f"proposed again: {len(self.proposed)} (waiting for a person):")
            lines += [f"  {pid} (was version {v}): now {new}" for pid, v, new in self.proposed]
        if self.ignored:
            lines.append(f"ignored {len(self.ignored)} history statements (a rerun writes only to its own branch):")
            lines += [f"  {pid} (was version {v}): {stmt}" for pid, v, stmt in self.ignored]
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython's plain-text display
        printer.text(str(self))
