"""MCP fixtures: HTTP servers on a free loopback port, always stopped when the test ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.scint_mcp.helpers import HttpServer


@pytest.fixture
def http_server() -> Iterator[Callable[..., HttpServer]]:
    """Starts HTTP servers for this test; every one is stopped afterwards, whatever happened."""
    started: list[HttpServer] = []

    def start(store: str, *args: str) -> HttpServer:
        server = HttpServer(store, *args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
