"""A tiny MCP server of the test suite's own, consumed by the MCP-context tests: in-process (`make()`) or over
stdio (`python -m tests.scint_mcp.tool_server COUNT_FILE`). It counts its tool calls: in `make()`'s `calls`
list, or as one line per call appended to COUNT_FILE (so a test sees calls made in the child process)."""

import os
import sys
from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

FILES = {"a.txt": "alpha", "b.txt": "beta"}


def make(calls: list[str] | None = None, count_file: str | None = None) -> MCPServer:
    """The server; each tool call is appended to `calls` and (as a line) to `count_file`."""
    app = MCPServer("files", log_level="WARNING")

    def count(tool: str) -> None:
        if calls is not None:
            calls.append(tool)
        if count_file is not None:
            with open(count_file, "a", encoding="utf-8") as out:
                out.write(tool + "\n")

    @app.tool(description="The text of a file.")
    def read_file(path: Annotated[str, Field(description="its name")]) -> str:
        count("read_file")
        if path not in FILES:
            raise ToolError(f"no file {path}")
        return FILES[path]

    @app.tool(description="Add two integers, and say how.")
    def add(a: int, b: int, style: Literal["plain", "loud"] = "plain") -> dict[str, object]:
        count("add")
        return {"sum": a + b, "style": style}

    @app.tool(description="Never answers.")
    async def hang() -> str:
        count("hang")
        import anyio

        await anyio.sleep_forever()
        return "never"

    @app.tool(description="Ends the server's process mid-call.")
    def crash() -> str:
        count("crash")
        if count_file is not None:  # only ever in a child process
            os._exit(3)
        raise ToolError("crash is only for the stdio server")

    return app


if __name__ == "__main__":
    make(count_file=sys.argv[1] if len(sys.argv) > 1 else None).run("stdio")
