"""`scint inbox`, `scint reply`, `scint proposals`, `scint approve`, `scint reject` (SPEC sections 11, 12): a person
reads and answers messages, and decides the proposals waiting for approval. Thin: each calls one Session method."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from scint.cli import display
from scint.errors import ScintError
from scint.session.messages import format_message, format_proposal

__all__ = ["add_commands"]


def add_commands(app: typer.Typer, out: Console, session: Any, show_json: Any) -> None:
    """Add the commands to `app`; `session(ctx)` opens the command's session, `show_json(data)` prints JSON."""

    def show(text: str) -> None:
        out.print(display.clean(text), markup=False, soft_wrap=True)

    @app.command()
    def inbox(
        ctx: typer.Context,
        path: Annotated[str | None, typer.Argument(help="Whose inbox: a process path (default: yours).")] = None,
        all_: Annotated[bool, typer.Option("--all", help="Read messages too, not only unread ones.")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
    ) -> None:
        """The messages sent to you (or to a process), oldest first; answer a query with `scint reply ID TEXT`.

        Yours include those sent to processes whose backend is `human`: you take their steps."""
        found = session(ctx).inbox(path, unread=not all_)
        if as_json:
            show_json(found)
        else:
            show("\n".join(format_message(m) for m in found) if found else "no messages")

    @app.command()
    def reply(
        ctx: typer.Context,
        message: Annotated[str, typer.Argument(help="The query's id (m1, m2 ...).")],
        text: Annotated[list[str], typer.Argument(help="Your answer.")],
    ) -> None:
        """Answer a query sent to you; the answer goes to its sender (from the process, if it was sent to a
        process whose backend is `human`)."""
        show(f"sent {session(ctx).reply(message, ' '.join(text))}")

    @app.command()
    def proposals(
        ctx: typer.Context,
        status: Annotated[str, typer.Option("--status", help="pending, approved, rejected or all.")] = "pending",
        as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
    ) -> None:
        """The programs waiting for approval (or decided ones, with --status)."""
        found = session(ctx).proposals(status=None if status == "all" else status)
        if as_json:
            show_json(found)
        else:
            show("\n".join(format_proposal(p) for p in found) if found else f"no {status} proposals")

    @app.command()
    def approve(
        ctx: typer.Context,
        proposal: Annotated[str, typer.Argument(help="The proposal's id (p1, p2 ...).")],
        edit: Annotated[str | None, typer.Option("--edit", help="Run this program instead.")] = None,
    ) -> None:
        """Run a proposal's program now (or your edit of it), as you; it is then approved."""
        out_ = session(ctx).approve(proposal, edit=edit)
        if not out_.get("applied"):
            raise ScintError(f"{proposal} could not be applied and stays pending: {out_['error']}")
        show(f"approved {proposal}: applied at version {out_['result_version']}")

    @app.command()
    def reject(
        ctx: typer.Context,
        proposal: Annotated[str, typer.Argument(help="The proposal's id (p1, p2 ...).")],
        reason: Annotated[str, typer.Option("--reason", help="Why; the proposer receives it.")],
    ) -> None:
        """Reject a proposal; the reason is delivered to its proposer as a message."""
        session(ctx).reject(proposal, reason)
        show(f"rejected {proposal}")
