"""Running the web view: `serve` in the foreground (`scint ui`), `start` in a daemon thread (`%scint_ui`, tests).
The listening socket is bound here before uvicorn starts, so the port (0: a free one) is known at once and a
busy port is a clear error. Another host than loopback needs a token."""

from __future__ import annotations

import ipaddress
import socket
import threading
from typing import Any

import uvicorn

from scint.errors import BadArguments, ScintError
from scint.session import Session
from scint.ui.app import LOOPBACK, create_app

__all__ = ["Running", "check_bind", "serve", "start"]


def check_bind(host: str, port: int, token: str | None) -> None:
    if not isinstance(host, str) or not host:
        raise BadArguments("--host must be a host name or address such as 127.0.0.1")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise BadArguments(f"--port must be a number from 0 to 65535, not {port!r}")
    if token is not None and (not isinstance(token, str) or len(token) < 8):
        raise BadArguments("--token must be at least 8 characters")
    if host not in LOOPBACK and token is None:
        raise BadArguments(f"serving on {host} lets other machines in: give --token T (then send Bearer T)")


def _socket(host: str, port: int) -> socket.socket:
    try:
        family = socket.AF_INET6 if isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address) else socket.AF_INET
    except ValueError:
        family = socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ScintError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.setblocking(False)
    return sock


def _hosts(host: str) -> frozenset[str]:
    return LOOPBACK | {host.strip("[]")}


class Running:
    """A server running in a thread: its URL, and `stop()` (waits for the thread to end)."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, sock: socket.socket, url: str) -> None:
        self.server, self.thread, self.sock, self.url = server, thread, sock, url
        self.started = threading.Event()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def start(
    session: Session,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    read_only: bool = False,
    token: str | None = None,
) -> Running:
    """Serve `session`'s store from a daemon thread on `host:port` (0: a free port); returns when it listens."""
    check_bind(host, port, token)
    sock = _socket(host, port)
    app = create_app(session, read_only=read_only, token=token, hosts=_hosts(host))
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    url = _url(host, sock.getsockname()[1])
    running: Running

    def run() -> None:
        try:
            server.run(sockets=[sock])
        finally:
            running.started.set()  # a server that failed to start must not leave its starter waiting

    thread = threading.Thread(target=run, name=f"scint-ui {url}", daemon=True)
    running = Running(server, thread, sock, url)
    _when_started(server, running.started)
    thread.start()
    running.started.wait(timeout=30)
    if not server.started:
        running.stop()
        raise ScintError(f"the web view did not start on {url}")
    return running


def _when_started(server: uvicorn.Server, event: threading.Event) -> None:
    """Set `event` once uvicorn has started serving (it sets `server.started` just before this hook returns)."""
    startup = server.startup

    async def startup_then_signal(sockets: Any = None) -> None:
        await startup(sockets=sockets)
        event.set()

    server.startup = startup_then_signal  # type: ignore[method-assign]


def serve(
    session: Session,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    read_only: bool = False,
    token: str | None = None,
    ready: Any = None,
) -> None:
    """Serve in the foreground until Ctrl-C; `ready(url)` is called once it listens."""
    check_bind(host, port, token)
    sock = _socket(host, port)
    app = create_app(session, read_only=read_only, token=token, hosts=_hosts(host))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False))
    if ready is not None:
        original = server.startup

        async def announce(sockets: Any = None) -> None:
            await original(sockets=sockets)
            ready(_url(host, sock.getsockname()[1]))

        server.startup = announce  # type: ignore[method-assign]
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
