"""`scint ui`: serve the web view of the store (scint.ui, the `scint[ui]` extra) until Ctrl-C."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console

from scint.errors import ScintError


def command(out: Console, options_of: Callable[[typer.Context], Any]) -> Callable[..., None]:
    def ui(
        ctx: typer.Context,
        store: Annotated[
            str | None, typer.Option("--store", help="Store URL (as the global --store).", show_default=False)
        ] = None,
        host: Annotated[str, typer.Option("--host", help="Address to listen on (not loopback: needs --token).")] = (
            "127.0.0.1"
        ),
        port: Annotated[int, typer.Option("--port", help="Port to listen on (0: a free one).")] = 8765,
        read_only: Annotated[bool, typer.Option("--read-only", help="Show only: no approve or reject.")] = False,
        token: Annotated[
            str | None,
            typer.Option("--token", envvar="SCINT_UI_TOKEN", help="Require Authorization: Bearer T, or ?token=T once."),
        ] = None,
        open_browser: Annotated[bool, typer.Option("--open", help="Open the page in a web browser.")] = False,
    ) -> None:
        """Serve a local web view of the history: branches, log, state, diff, processes, proposals."""
        try:
            from scint.ui import serve
        except ImportError as exc:
            raise ScintError(f"the web view needs the ui extra: pip install 'scint[ui]' ({exc})") from None

        def ready(url: str) -> None:
            shown = url + (f"?token={token}" if token else "")
            out.print(f"scint ui: {shown}  (Ctrl-C stops)", markup=False, highlight=False)
            if open_browser:
                import webbrowser

                try:
                    webbrowser.open(shown)
                except Exception:  # no browser here: the link is printed
                    out.print("no web browser could be opened here: open the link above", markup=False)

        options = options_of(ctx)
        if store is not None:
            options.store = store
        serve(options.session(), host=host, port=port, read_only=read_only, token=token, ready=ready)

    return ui
