"""Streamable HTTP for the MCP server: stateless (the store holds the state), at `http://HOST:PORT/mcp`.

Loopback hosts need no token; any other host requires one, and with a token every request must carry
`Authorization: Bearer <token>` (compared in constant time) or is answered 401.
"""

from __future__ import annotations

import hmac
import ipaddress
import socket
import sys
from collections.abc import Callable, Iterable
from typing import Any

import anyio
import uvicorn

from scint.errors import ScintError
from scint.mcp.server import server, terminated_as_interrupt
from scint.session import Session

__all__ = ["MAX_TOKEN_CHARS", "check_bind", "parse_address", "serve_http"]

MAX_TOKEN_CHARS = 4096
MIN_TOKEN_CHARS = 16
PATH = "/mcp"


def parse_address(text: str) -> tuple[str, int]:
    """HOST:PORT (`[::1]:8000` for IPv6; a bare PORT means 127.0.0.1) -> (host, port)."""
    if not isinstance(text, str) or not text or len(text) > 300:
        raise ScintError(f"--http takes HOST:PORT such as 127.0.0.1:8000, not {text!r:.60}")
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", text
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ScintError(f"--http takes HOST:PORT with a port from 0 to 65535, not {text!r:.60}")
    return host, int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse, before anything is served, a non-loopback host without a token, and a token too short or long."""
    if token is not None and not (MIN_TOKEN_CHARS <= len(token) <= MAX_TOKEN_CHARS and token.isprintable()):
        raise ScintError(f"the token must be {MIN_TOKEN_CHARS} to {MAX_TOKEN_CHARS} printable characters")
    if token is None and not is_loopback(host):
        raise ScintError(
            f"serving on {host} (not a loopback address) requires a token: --token T or SCINT_MCP_TOKEN; "
            "clients send it as `Authorization: Bearer T`"
        )


class BearerAuth:
    """ASGI middleware: every HTTP request needs `Authorization: Bearer <token>`, or it gets 401."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or ()).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                body = b'{"error":"unauthorized: send Authorization: Bearer <token>"}'
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"www-authenticate", b'Bearer realm="scint"'),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one), so the address is known before serving."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ScintError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ScintError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
    sock.setblocking(False)
    return sock


def serve_http(
    open_session: Callable[[], Session],
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    token: str | None = None,
    can: Iterable[str] | None = None,
    read_only: bool = False,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until interrupted. `ready(url)` is called once the socket listens (the CLI prints the URL)."""
    check_bind(host, token)
    session = open_session()
    try:
        app = server(session, can=can, read_only=read_only).streamable_http_app(
            streamable_http_path=PATH, stateless_http=True, json_response=True, host=host
        )
        asgi: Any = app if token is None else BearerAuth(app, token)
        sock = bind(host, port)
        bound_host, bound_port = sock.getsockname()[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        config = uvicorn.Config(asgi, log_config=None, access_log=False, lifespan="on", log_level="warning")
        web = uvicorn.Server(config)
        if ready is not None:
            ready(f"http://{shown}:{bound_port}{PATH}")
        try:
            with terminated_as_interrupt():  # uvicorn stops gracefully, then re-raises SIGTERM: it lands here
                anyio.run(lambda: web.serve(sockets=[sock]))
        finally:
            sock.close()
    finally:
        session.close()
        sys.stderr.flush()
