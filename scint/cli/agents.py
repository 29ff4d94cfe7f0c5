"""`scint agents`: the processes of the branch as a table (or `--json`): path, status, backend, model, steps,
tokens and seconds used of their budget, unread messages and pending proposals. `scint agents run [PATH ...]`
runs the processes that have work until none has (scint/agents/scheduler.py), a line per process on the
terminal as their steps end, and prints what each did; Ctrl-C stops them cleanly and exits 130."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from scint.agents.scheduler import AgentReport, Scheduler, run_sync
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


def add_commands(
    app: typer.Typer, out: Console, err: Console, show_json: Callable[[Any], None], session: Callable[..., Any]
) -> None:
    """Add `scint agents` and `scint agents run` to `app`; `session(ctx)` opens the store the options name."""
    group = typer.Typer(
        invoke_without_command=True,
        add_completion=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @group.callback()
    def agents_command(
        ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False
    ) -> None:
        """List the processes: status, backend, model, and steps/tokens/seconds used of their budget."""
        if ctx.invoked_subcommand is not None:
            return
        rows = agents(session(ctx))
        if as_json:
            show_json({"agents": rows})
        elif not rows:
            out.print("no processes (declare some in scint.toml and run `scint up`)")
        else:
            out.print(table(rows))

    @group.command("run")
    def run_command(
        ctx: typer.Context,
        paths: Annotated[
            list[str] | None,
            typer.Argument(help="Only the processes at or under these paths (default: all).", metavar="[PATH]..."),
        ] = None,
        max_steps: Annotated[
            int | None, typer.Option("--max-steps", help="Steps each process may take (default 10).", min=1)
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    ) -> None:
        """Run the processes that have work (a goal not done, unread messages) concurrently until none has.
        Exits 1 if a run failed (see its reason), 130 on Ctrl-C."""
        scheduler = Scheduler(session(ctx), paths or None, max_steps)
        with _Progress(err) as progress:
            scheduler.progress = progress.update
            try:
                reports = run_sync(scheduler)
            except KeyboardInterrupt:
                progress.stop()
                err.print(interrupted(scheduler), markup=False)
                raise typer.Exit(130) from None
        if as_json:
            show_json({"agents": [r.as_dict() for r in reports]})
        elif not reports:
            out.print("no processes (declare some in scint.toml and run `scint up`)")
        else:
            out.print(report_table(reports))
        if scheduler.failed:
            raise typer.Exit(1)

    app.add_typer(group, name="agents", help="List the processes; `scint agents run` runs those that have work.")


def report_table(reports: list[AgentReport]) -> Table:
    """What a run of the scheduler did: a row per process."""
    t = Table(header_style="bold", box=None, pad_edge=False)
    for column in ("path", "steps", "status", "answer or reason"):
        t.add_column(column, overflow="fold", justify="right" if column == "steps" else "left")
    for r in reports:
        said = r.answer if r.status == "done" and r.answer is not None else r.reason
        cells = (r.path, str(r.steps), str(r.status), " ".join((said or "").split())[:300])
        t.add_row(*(Text(clean(c)) for c in cells))
    return t


def interrupted(scheduler: Scheduler) -> str:
    """The one line Ctrl-C leaves: what was stopped, and that nothing is half-recorded."""
    reports = list(scheduler.reports.values())
    stopped = [r.path for r in reports if r.status == "stopped"]
    steps = sum(r.steps for r in reports)
    shown = ", ".join(stopped[:5]) + (" ..." if len(stopped) > 5 else "")
    which = f" ({clean(shown)})" if stopped else ""
    return (
        f"interrupted: {len(stopped)} running process{'es' if len(stopped) != 1 else ''} stopped{which} after "
        f"{steps} step{'s' if steps != 1 else ''} in all; every step taken is recorded whole"
    )


class _Progress:
    """A line per process on the terminal (stderr), updated as runs start, take steps and end; nothing when
    stderr is not a terminal."""

    def __init__(self, console: Console) -> None:
        self.reports: dict[str, AgentReport] = {}
        self.live = Live(console=console, refresh_per_second=8, transient=True) if console.is_terminal else None

    def __enter__(self) -> _Progress:
        if self.live is not None:
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.live is not None:
            self.live.__exit__(None, None, None)
            self.live = None

    def update(self, report: AgentReport) -> None:
        self.reports[report.path] = report
        if self.live is not None:
            lines = [
                Text(clean(f"{r.path}: {'running' if r.running else r.status} - {r.steps} steps"))
                for r in self.reports.values()
            ]
            self.live.update(Group(*lines))
