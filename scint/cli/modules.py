"""`scint modules` (what is installed, and the order it would load in) and the commands modules bring
(`scint NAME`, added when the command starts; a built-in command keeps its name)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from scint.errors import ModuleError
from scint.modules import Installed, installed, load_order


def _row(entry: Installed) -> dict[str, Any]:
    m = entry.module
    return {
        "name": entry.name,
        "requires": list(m.requires) if m else [],
        "types": [cls.__scint_type__ for cls in m.types] if m else [],
        "backends": list(m.backends) if m else [],
        "commands": list(m.commands) if m else [],
        "autoload": bool(m and m.autoload),
        "source": entry.source,
        "problem": entry.problem,
    }


def report() -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """(one row per installed module, the order all the loadable ones load in, every problem found, once)."""
    found = installed()
    rows = [_row(entry) for entry in found.values()]
    problems: dict[str, None] = {}
    loadable = []
    for name in found:
        try:
            load_order([name], autoload=False, found=found)
            loadable.append(name)
        except ModuleError as exc:
            problems[str(exc)] = None
    order = [m.name for m in load_order(loadable, autoload=False, found=found)]
    return rows, order, list(problems)


def table(rows: list[dict[str, Any]]) -> Table:
    t = Table(header_style="bold", box=None, pad_edge=False)
    for column in ("name", "requires", "types", "backends", "commands", "autoload", "source"):
        t.add_column(column, overflow="fold")
    for r in rows:
        cells = [", ".join(r[c]) for c in ("requires", "types", "backends", "commands")]
        source = r["source"] + (f"\n[cannot load] {r['problem']}" if r["problem"] else "")
        t.add_row(r["name"], *cells, "yes" if r["autoload"] else "", source)
    return t


def command(out: Console, err: Console, show_json: Any) -> Any:
    """The `scint modules` command, printing to `out` (problems to `err`; exit 1 when there are any)."""

    def modules(as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False) -> None:
        """List the installed extension modules (entry-point group `scint.modules`) and their load order."""
        rows, order, problems = report()
        if as_json:
            show_json({"modules": rows, "load_order": order, "problems": problems})
        elif not rows:
            out.print("no modules are installed (entry-point group `scint.modules`)")
        else:
            out.print(table(rows))
            out.print("load order: " + (" -> ".join(order) if order else "none"), markup=False)
        for problem in problems:
            err.print(f"error: {problem}", markup=False)
        if problems:
            raise typer.Exit(1)

    return modules


_ADDED: dict[str, str] = {}  # command name -> the module whose command it is (added once per process)


def add_commands(app: typer.Typer, err: Console) -> None:
    """Add each installed module's commands as `scint NAME` (a name already taken keeps its command)."""
    taken = {
        info.name or (info.callback.__name__ if info.callback else "").replace("_", "-")
        for info in app.registered_commands
    }
    for entry in installed().values():
        for name, fn in (entry.module.commands if entry.module else {}).items():
            if _ADDED.get(name) == entry.name:
                continue
            if name in taken:
                err.print(f"warning: module `{entry.name}`: `scint {name}` is taken; its command is not added")
                continue
            taken.add(name)
            _ADDED[name] = entry.name
            app.command(name)(fn)
