"""`scint mcp`: serve the store to MCP clients (SPEC section 13); needs the `scint[mcp]` extra, imported only
when the command runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console


def command(opts: Callable[[typer.Context], Any], err: Console) -> Callable[..., None]:
    def mcp(
        ctx: typer.Context,
        store: Annotated[
            str | None, typer.Option("--store", help="Store URL (as the global --store; this one wins).")
        ] = None,
        branch: Annotated[
            str | None, typer.Option("--branch", help="Serve this branch (as the global --branch).")
        ] = None,
        http: Annotated[
            str | None,
            typer.Option(
                "--http", metavar="HOST:PORT", help="Serve streamable HTTP at http://HOST:PORT/mcp, not stdio."
            ),
        ] = None,
        can: Annotated[
            list[str] | None,
            typer.Option("--can", metavar="GLOB", help="Programs may call only these (path.action globs); repeatable."),
        ] = None,
        read_only: Annotated[bool, typer.Option("--read-only", help="Allow queries only.")] = False,
        token: Annotated[
            str | None,
            typer.Option(
                "--token",
                envvar="SCINT_MCP_TOKEN",
                show_envvar=False,
                help="With --http: the bearer token every request must carry (required off loopback); "
                "also SCINT_MCP_TOKEN.",
            ),
        ] = None,
    ) -> None:
        """Serve the store to MCP clients: tools run, view, log; scint:// resources (stdio, or --http)."""
        from scint.errors import ScintError

        try:
            import scint.mcp as served
        except ImportError as exc:  # the extra is present but broken
            raise ScintError(f"the MCP server could not load ({exc}): pip install 'scint[mcp]'") from None
        options = opts(ctx)
        options.store = store or options.store  # `scint mcp --store URL`, as MCP client configurations write it
        options.branch = branch or options.branch
        globs = list(can) if can else None
        if http is None:
            served.serve_stdio(options.session, can=globs, read_only=read_only)
            return
        from scint.mcp.http import parse_address

        host, port = parse_address(http)
        served.serve_http(
            options.session,
            host,
            port,
            token=token or None,
            can=globs,
            read_only=read_only,
            ready=lambda url: err.print(f"scint mcp: serving {url}", markup=False, highlight=False),
        )

    return mcp
