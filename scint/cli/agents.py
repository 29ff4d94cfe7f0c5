"""`scint agents`: the processes of the branch as a table (or `--json`): path, status, backend, model, steps,
tokens and seconds used of their budget, unread messages and pending proposals."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from scint.agents.status import agents
from scint.cli.display import clean

COLUMNS = ("path", "status", "backend", "model", "steps", "tokens", "seconds", "unread", "proposals")


def _figure(value: Any) -> str:
    if type(value) is float and math.isfinite(value):
        return f"{value:,.1f}" if value != int(value) else f"{int(value):,}"
    return f"{value:,}" if type(value) is int else "?"  # a stored value that is no figure


def _spent(row: dict[str, Any], key: str) -> str:
    used, limit = row["used"][key], row["budget"][key]
    return _figure(used) if limit is None else f"{_figure(used)}/{_figure(limit)}"


def table(rows: list[dict[str, Any]]) -> Table:
    t = Table(header_style="bold", box=None, pad_edge=False)
    for column in COLUMNS:
        t.add_column(column, overflow="fold", justify="right" if column in COLUMNS[4:] else "left")
    for r in rows:
        held = r["held"] or ""
        status = held if held.startswith(f"{r['status']} by") else str(r["status"]) + (f" ({held})" if held else "")
        unread = "-" if r["unread"] is None else str(r["unread"])
        proposals = "-" if r["proposals"] is None else str(r["proposals"])
        cells = (r["path"], status, str(r["backend"]), str(r["model"] or "-"))
        figures = (_spent(r, k) for k in ("steps", "tokens", "seconds"))
        t.add_row(*(Text(clean(c)) for c in (*cells, *figures, unread, proposals)))  # Text: no markup read
    return t


def command(out: Console, show_json: Callable[[Any], None], session: Callable[[typer.Context], Any]) -> Any:
    """The `scint agents` command, printing to `out`; `session(ctx)` opens the store the options name."""

    def agents_command(
        ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False
    ) -> None:
        """List the processes: status, backend, model, and steps/tokens/seconds used of their budget."""
        rows = agents(session(ctx))
        if as_json:
            show_json({"agents": rows})
        elif not rows:
            out.print("no processes (declare some in scint.toml and run `scint up`)")
        else:
            out.print(table(rows))

    return agents_command
