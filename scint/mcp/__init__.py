"""Scint over the Model Context Protocol (SPEC section 13): `scint mcp` serves a store to any MCP client.

```python
import scint
from scint.mcp import server

mcp_server = server(scint.open("memory://"), read_only=True)  # an mcp.server.mcpserver.MCPServer
```

Tools `run`, `view`, `log`; resources `scint://help`, `scint://state`, `scint://state/{path}`, `scint://log`.
`serve_stdio` and `serve_http` run one. The other way round, `scint.mcp.client` makes MCP servers contexts
(`Session.connect_mcp`). This room is the only one importing the `mcp` package (the `scint[mcp]`
extra); `import scint` never imports it.
"""

from __future__ import annotations

from scint.errors import ScintError

try:
    import mcp as _mcp  # noqa: F401 - the extra is checked once, here
except ImportError:
    raise ScintError(
        "the MCP server needs the `mcp` package, which is not installed: pip install 'scint[mcp]'"
    ) from None

from scint.mcp.http import check_bind, serve_http
from scint.mcp.server import actor_for, describe_run, serve_stdio, server

__all__ = ["actor_for", "check_bind", "describe_run", "serve_http", "serve_stdio", "server"]
