"""How the command line and the REPL show things: rich tables and trees, plain when not on a terminal."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

import scint
from scint.core.render import clean

__all__ = [
    "branches_table",
    "clean",
    "diff_tree",
    "log_table",
    "result_footer",
    "short",
    "statements_table",
    "view_text",
]


def short(value: Any, width: int = 200) -> str:
    """A value as Scint writes it (JSON), on one line, cut at `width` characters."""
    text = clean(json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str))
    return text if len(text) <= width else text[: max(width - 16, 1)] + f"... ({len(text):,} chars)"


def _first_line(text: str, width: int = 100) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip() and not line.lstrip().startswith("#")]
    first = lines[0].strip() if lines else text.strip()
    more = len(lines) > 1
    if len(first) > width:
        first, more = first[: width - 1], True
    return clean(first) + (" …" if more else "")


def statements_table(program: scint.Program, result: scint.Result) -> Table:
    """One row per statement: its text (first line) and its value."""
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, expand=False)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("statement", no_wrap=True, overflow="ellipsis", max_width=72)
    table.add_column("result", overflow="fold", min_width=12)
    for i, value in enumerate(result.values):
        source = program.statement_source(i) if i < len(program.statements) else ""
        cell = Text("—", style="dim") if value is None else Text(short(value), style="green")
        table.add_row(str(i + 1), Text(_first_line(source)), cell)
    return table


def result_footer(result: scint.Result, dry_run: bool = False) -> Text:
    """`main @ 12: 12 events recorded` (or `nothing changed`, or for a dry run `dry run, 2 events not recorded`)."""
    n = len(result.events)
    events = f"{n} event{'s' if n != 1 else ''}"
    if dry_run:
        note = f"dry run, {events} not recorded" if n else "dry run, nothing to record"
    else:
        note = f"{events} recorded" if n else "nothing changed"
    text = Text()
    text.append(result.branch, style="bold cyan")
    text.append(f" @ {result.version}", style="bold")
    text.append(f": {note}")
    return text


def result_renderable(program: scint.Program | None, result: scint.Result) -> RenderableType:
    """A one-statement program shows its value alone; a longer one, a table of statements."""
    parts: list[RenderableType] = []
    if program is not None and len(program.statements) > 1:
        parts.append(statements_table(program, result))
    elif result.value is not None:
        value = result.value
        parts.append(Text(clean(value) if isinstance(value, str) else _pretty(value), style="green"))
    parts.append(result_footer(result))
    return Group(*parts)


def _pretty(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return clean(text if len(text) <= 100 else json.dumps(value, ensure_ascii=False, indent=2, default=str))


def log_table(entries: Sequence[scint.LogEntry], title: str | None = None) -> Table:
    """Newest first: version, time, actor, the program (first line) and how many events it recorded."""
    table = Table(title=title, header_style="bold", box=None, pad_edge=False, title_justify="left")
    table.add_column("version", justify="right", style="bold", no_wrap=True)
    table.add_column("time (UTC)", style="dim", no_wrap=True)
    table.add_column("actor", style="magenta", no_wrap=True)
    table.add_column("events", justify="right", no_wrap=True)
    table.add_column("program", no_wrap=True, overflow="ellipsis", max_width=80)
    for e in entries:
        when = e.time.strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(str(e.version), when, clean(e.actor), str(e.events), Text(_first_line(e.source)))
    return table


def branches_table(branches: Sequence[dict[str, Any]]) -> Table:
    table = Table(header_style="bold", box=None, pad_edge=False)
    table.add_column("", no_wrap=True)
    table.add_column("branch", style="cyan", no_wrap=True)
    table.add_column("version", justify="right", no_wrap=True)
    table.add_column("forked from", style="dim", no_wrap=True)
    for b in branches:
        base = f"{b['base']}@{b['at']}" if b.get("base") else "—"
        table.add_row("*" if b.get("current") else "", b["name"], str(b["version"]), base)
    return table


def view_text(view: scint.ContextMapView, max_chars: int | None) -> Text:
    """The branch and version, then the view's outline within `max_chars` characters (None: everything)."""
    text = Text()
    text.append(view.branch, style="bold cyan")
    text.append(f" @ {view.version}", style="bold")
    if view.path:
        text.append(f"  {view.path}", style="bold")
    text.append("\n")
    text.append(view.render("text", max_chars=max_chars))
    return text


def diff_tree(diff: scint.Diff, width: int = 120) -> Tree:
    """Added (+), removed (-) and changed (~) contexts, with the fields that changed."""
    label = Text()
    label.append("diff ", style="bold")
    label.append(diff.a, style="cyan")
    label.append(" -> ")
    label.append(diff.b, style="cyan")
    root = Tree(label)
    if not diff:
        root.add(Text("no differences", style="dim"))
        return root
    for path, type_name in diff.added.items():
        root.add(Text(f"+ {path} ({clean(type_name)})", style="green"))
    for path, type_name in diff.removed.items():
        root.add(Text(f"- {path} ({clean(type_name)})", style="red"))
    for path, fields in diff.changed.items():
        node = root.add(Text(f"~ {path}", style="yellow"))
        for field, d in fields.items():
            if "from" in d:
                node.add(_change(field, d["from"], d["to"], width))
                continue
            for k, v in d.get("added", {}).items():
                node.add(Text(f"+ {field}[{short(k)}]: {short(v, width)}", style="green"))
            for k in d.get("removed", []):
                node.add(Text(f"- {field}[{short(k)}]", style="red"))
            for k, ch in d.get("changed", {}).items():
                node.add(_change(f"{field}[{short(k)}]", ch["from"], ch["to"], width))
            if "appended" in d:
                n = len(d["appended"])
                node.add(Text(f"+ {field}: {n} appended {short(d['appended'], width)}", style="green"))
    return root


def _change(label: str, old: Any, new: Any, width: int) -> Text:
    text = Text(f"~ {label}: ")
    text.append(short(old, width), style="red")
    text.append(" -> ")
    text.append(short(new, width), style="green")
    return text
