"""`scint rerun --since N [--branch B] [--model PATH=NAME ...]`: re-run the programs after version N on a new
branch, asking models and people again, with the models (or backends) of chosen processes swapped (SPEC 11)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from scint.cli.display import clean
from scint.errors import BadArguments
from scint.session.checks import PATH_RE
from scint.session.swaps import is_backend

__all__ = ["command", "parse_models"]

MAX_MODELS = 256  # --model options one rerun takes


def parse_models(items: list[str]) -> dict[str, str]:
    """`--model PATH=NAME` options as {path: name}; a clear error for any other shape, or a path given twice."""
    if len(items) > MAX_MODELS:
        raise BadArguments(f"--model is given at most {MAX_MODELS} times, not {len(items):,}")
    out: dict[str, str] = {}
    for item in items:
        path, sep, name = item.partition("=")
        path, name = path.strip(), name.strip()
        if not sep or not path or not name:
            raise BadArguments(
                f"--model takes PATH=NAME, such as research.lit=other (a [models] name, or a backend: llm, human, "
                f"python:NAME), not {item!r:.80}"
            )
        if not PATH_RE.fullmatch(path):
            raise BadArguments(f"--model {item!r:.80}: {path!r:.80} is not a process path (such as research.lit)")
        if path in out:
            raise BadArguments(f"--model names {path} twice ({out[path]} and {name}); give each process one model")
        out[path] = name
    return out


def _file_models(models: dict[str, str], file: str | None) -> dict[str, dict[str, Any]] | None:
    """The `[models]` of `file` (default ./scint.toml, when it exists), when a model (not a backend) is named."""
    if all(is_backend(n) for n in models.values()):
        return None
    path = Path(file) if file is not None else Path("scint.toml")
    if file is None and not path.is_file():
        return None  # the names may be recorded in the store
    from scint.agents.config import models as declared  # the agents room: imported when used

    return declared(path)


def command(out: Console, show_json: Callable[[Any], None], session: Callable[[typer.Context], Any]) -> Any:
    """The `scint rerun` command, printing to `out`; `session(ctx)` opens the store the options name."""

    def rerun_command(
        ctx: typer.Context,
        since: Annotated[
            int, typer.Option("--since", metavar="N", help="Re-run the programs recorded after this version.")
        ],
        branch: Annotated[
            str | None,
            typer.Option("--branch", metavar="B", help="The new branch (default: rerun-N-xxxxxx).", show_default=False),
        ] = None,
        model: Annotated[
            list[str] | None,
            typer.Option(
                "--model",
                metavar="PATH=NAME",
                help="PATH=NAME: the process PATH takes its steps with the model NAME (a [models] name) or the "
                "backend NAME (llm, human, python:NAME) in the re-run. Repeatable.",
                show_default=False,
            ),
        ] = None,
        file: Annotated[
            str | None,
            typer.Option(
                "--file",
                metavar="FILE",
                help="The scint.toml whose [models] name the models (default: ./scint.toml if present).",
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="The report as JSON.")] = False,
    ) -> None:
        """Re-run the programs after version N on a new branch: models and people are asked again (a person's
        replies and approvals are not replayed); --model swaps a process's model or backend, so `scint diff`
        of the two branches shows what another model would have done."""
        models = parse_models(model or [])
        endpoints = _file_models(models, file)
        report = session(ctx).rerun(since, branch, models or None, endpoints=endpoints)
        if as_json:
            show_json(report.as_dict())
        else:
            out.print(clean(str(report)), markup=False, soft_wrap=True)

    return rerun_command
