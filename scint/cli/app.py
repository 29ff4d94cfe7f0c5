"""The `scint` command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

import scint
from scint.errors import ScintError

app = typer.Typer(
    name="scint",
    help="Scint: one small, exact language for changing and inspecting shared state.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def root() -> None:
    """Scint: one small, exact language for changing and inspecting shared state."""


def _read(file: str) -> str:
    if file == "-":
        return sys.stdin.read()
    path = Path(file)
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScintError(f"cannot read {file}: {exc}") from None


def _fail(exc: ScintError) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(1)


@app.command()
def fmt(file: Annotated[str, typer.Argument(help="A .scint file, or - for standard input")]) -> None:
    """Parse FILE and print it in canonical form (exit 1 with the error if it is not valid Scint)."""
    try:
        typer.echo(scint.format(scint.parse(_read(file))), nl=False)
    except ScintError as exc:
        _fail(exc)


def main() -> None:
    app()
