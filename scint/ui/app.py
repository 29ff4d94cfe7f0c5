"""The web view as an ASGI app (Starlette): the HTML pages, their JSON under /api/, the static assets, and the
guards: a token for any host but loopback, a CSRF check and an Origin check on every write, no writes at all
with read_only, and headers that keep pages from running anything but our own script."""

from __future__ import annotations

import contextlib
import hmac
import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from scint.errors import ScintError
from scint.session import Session
from scint.ui import pages
from scint.ui.data import STATE_BUDGET, Browser, NotFound, Unavailable

__all__ = ["LOOPBACK", "create_app"]

STATIC = Path(__file__).parent / "static"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
TOKEN_COOKIE, CSRF_COOKIE = "scint_token", "scint_csrf"
MAX_BODY = 64 * 1024
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # no-referrer would make browsers send `Origin: null` on form posts
    "Cache-Control": "no-store",
}


class Guard(BaseHTTPMiddleware):
    """Token (when set; otherwise only loopback Host names, against DNS rebinding), read-only, headers."""

    def __init__(self, app: Any, ui: UI) -> None:
        super().__init__(app)
        self.ui = ui

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        ui = self.ui
        response: Response
        if ui.token is None and (request.url.hostname or "") not in ui.hosts:
            response = _error(403, f"this server answers on {', '.join(sorted(ui.hosts))} only")
        elif ui.token is not None and not ui.authorised(request):
            given = request.query_params.get("token")
            if given is not None and hmac.compare_digest(given.encode(), ui.token.encode()):
                rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
                response = RedirectResponse(request.url.path + ("?" + rest if rest else ""), status_code=303)
                response.set_cookie(TOKEN_COOKIE, ui.token, httponly=True, samesite="strict")
            else:
                response = _error(401, "a token is needed: Authorization: Bearer TOKEN, or ?token=TOKEN once")
        elif request.method not in ("GET", "HEAD") and ui.read_only:
            response = _error(403, "this server is read-only (--read-only): it makes no changes")
        else:
            response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response


class UI:
    """One server's settings and its Browser; the routes are its methods."""

    def __init__(
        self, session: Session, *, read_only: bool, token: str | None, hosts: frozenset[str], actor: str
    ) -> None:
        self.browser = Browser(session)
        self.read_only = read_only
        self.token = token
        self.hosts = hosts
        self.actor = actor
        self.csrf = secrets.token_urlsafe(24)

    def authorised(self, request: Request) -> bool:
        assert self.token is not None
        want = self.token.encode()
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), want):
            return True
        cookie = request.cookies.get(TOKEN_COOKIE)
        return cookie is not None and hmac.compare_digest(cookie.encode(), want)

    # -- answering ----------------------------------------------------------------------------------------

    async def _json(self, fn: Callable[[], Any]) -> Response:
        try:
            data = await run_in_threadpool(fn)
        except ScintError as exc:
            return _error(_status(exc), str(exc))
        data.pop("_view", None)
        return JSONResponse(data)

    async def _page(self, request: Request, title: str, fn: Callable[[], str]) -> Response:
        def draw() -> tuple[int, str, str]:
            stamp = self.browser.stamp()["stamp"]
            try:
                return 200, stamp, fn()
            except ScintError as exc:
                return _status(exc), stamp, pages.error_html(str(exc))

        try:
            status, stamp, body = await run_in_threadpool(draw)
        except ScintError as exc:  # the store itself failed
            status, stamp, body = 503, "", pages.error_html(str(exc))
        text = pages.page(
            title, body, stamp=stamp, csrf=self.csrf, store=self.browser.session.url, proposals=True
        )
        response = HTMLResponse(text, status_code=status)
        response.set_cookie(CSRF_COOKIE, self.csrf, httponly=True, samesite="strict")
        return response

    # -- JSON ---------------------------------------------------------------------------------------------

    async def api_version(self, request: Request) -> Response:
        return await self._json(self.browser.stamp)

    async def api_branches(self, request: Request) -> Response:
        return await self._json(self.browser.branches)

    async def api_log(self, request: Request) -> Response:
        q = request.query_params
        return await self._json(lambda: self.browser.log(q.get("branch"), q.get("limit"), q.get("before")))

    async def api_state(self, request: Request) -> Response:
        return await self._json(lambda: self.browser.state(request.query_params.get("ref")))

    async def api_diff(self, request: Request) -> Response:
        q = request.query_params
        return await self._json(lambda: self.browser.diff(q.get("a"), q.get("b")))

    async def api_processes(self, request: Request) -> Response:
        return await self._json(self.browser.processes)

    async def api_process(self, request: Request) -> Response:
        return await self._json(lambda: self.browser.process(request.path_params["path"]))

    async def api_proposals(self, request: Request) -> Response:
        return await self._json(lambda: self.browser.proposals(request.query_params.get("status")))

    async def api_decide(self, request: Request) -> Response:
        verdict = "approve" if request.url.path.endswith("/approve") else "reject"
        fields, problem = await self._write_fields(request)
        if problem is not None:
            return problem
        proposal = request.path_params["id"]
        answer = await self._json(lambda: self.browser.decide(proposal, verdict, fields.get("reason"), self.actor))
        form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
        if answer.status_code == 200 and form and "application/json" not in request.headers.get("accept", ""):
            return RedirectResponse("/proposals", status_code=303)  # a browser's form: back to the list
        return answer

    async def _write_fields(self, request: Request) -> tuple[dict[str, str], Response | None]:
        """The POST's fields, once its Origin and CSRF token are checked (a Bearer token needs no CSRF token:
        browsers never add that header by themselves)."""
        origin = request.headers.get("origin")
        if origin is not None and origin != "null":
            here = f"{request.url.scheme}://{request.headers.get('host', '')}"
            if origin.rstrip("/") != here:
                return {}, _error(403, f"a write from another origin ({origin}) is refused")
        elif origin == "null":
            return {}, _error(403, "a write from an opaque origin is refused")
        if int(request.headers.get("content-length") or 0) > MAX_BODY:
            return {}, _error(413, f"the request body is larger than {MAX_BODY:,} bytes")
        fields: dict[str, str] = {}
        kind = request.headers.get("content-type", "")
        try:
            body = b""
            async for chunk in request.stream():
                body += chunk
                if len(body) > MAX_BODY:
                    return {}, _error(413, f"the request body is larger than {MAX_BODY:,} bytes")
            if kind.startswith("application/json"):
                data = json.loads(body) if body else {}
                if not isinstance(data, dict):
                    return {}, _error(400, 'the JSON body must be an object such as {"reason": "..."}')
                fields = {str(k): str(v) for k, v in data.items() if isinstance(v, (str, int, float))}
            elif kind.startswith("application/x-www-form-urlencoded"):
                pairs = parse_qsl(body.decode(), max_num_fields=20, strict_parsing=False)
                fields = dict(pairs)
            elif body:
                return {}, _error(415, "send application/json or a form (application/x-www-form-urlencoded)")
        except (ValueError, UnicodeDecodeError) as exc:
            return {}, _error(400, f"the request body could not be read: {exc}")
        bearer = request.headers.get("authorization", "").lower().startswith("bearer ") and self.token is not None
        if not bearer:
            given = request.headers.get("x-scint-csrf") or fields.get("csrf") or ""
            cookie = request.cookies.get(CSRF_COOKIE) or ""
            ok = hmac.compare_digest(given.encode(), self.csrf.encode()) and hmac.compare_digest(
                cookie.encode(), self.csrf.encode()
            )
            if not ok:
                return {}, _error(403, "the CSRF check failed: post from a page of this server or send Bearer TOKEN")
        return fields, None

    # -- HTML ---------------------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        return await self._page(request, "Branches", lambda: pages.branches_body(self.browser.branches()))

    async def log_page(self, request: Request) -> Response:
        q = request.query_params
        return await self._page(
            request, "Log", lambda: pages.log_body(self.browser.log(q.get("branch"), q.get("limit"), q.get("before")))
        )

    async def state_page(self, request: Request) -> Response:
        def body() -> str:
            data = self.browser.state(request.query_params.get("ref"))
            return pages.state_body(data, data["_view"].render("text", max_chars=STATE_BUDGET))

        return await self._page(request, "State", body)

    async def diff_page(self, request: Request) -> Response:
        a, b = request.query_params.get("a") or "", request.query_params.get("b") or ""

        def body() -> str:
            if not a and not b:
                return pages.diff_body(None, a, b)
            return pages.diff_body(self.browser.diff(a, b), a, b)

        return await self._page(request, "Diff", body)

    async def processes_page(self, request: Request) -> Response:
        return await self._page(request, "Processes", lambda: pages.processes_body(self.browser.processes()))

    async def process_page(self, request: Request) -> Response:
        path = request.path_params["path"]
        return await self._page(request, f"Process {path}", lambda: pages.process_body(self.browser.process(path)))

    async def proposals_page(self, request: Request) -> Response:
        def body() -> str:
            data = self.browser.proposals(request.query_params.get("status"))
            return pages.proposals_body(data, csrf=self.csrf, read_only=self.read_only)

        return await self._page(request, "Proposals", body)


def _status(exc: ScintError) -> int:
    return 404 if isinstance(exc, (NotFound, Unavailable)) else 400


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status)


def _closing(browser: Browser) -> Callable[[Starlette], Any]:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            browser.close()

    return lifespan


def create_app(
    session: Session,
    *,
    read_only: bool = False,
    token: str | None = None,
    hosts: frozenset[str] | set[str] = LOOPBACK,
    actor: str = "human:web",
) -> Starlette:
    """The web view of `session`'s store (its branch is the default for refs). Without a `token`, only requests
    addressed to a name in `hosts` are answered."""
    ui = UI(session, read_only=read_only, token=token, hosts=frozenset(hosts), actor=actor)
    routes = [
        Route("/", ui.home),
        Route("/log", ui.log_page),
        Route("/state", ui.state_page),
        Route("/diff", ui.diff_page),
        Route("/processes", ui.processes_page),
        Route("/processes/{path:path}", ui.process_page),
        Route("/proposals", ui.proposals_page),
        Route("/api/version", ui.api_version),
        Route("/api/branches", ui.api_branches),
        Route("/api/log", ui.api_log),
        Route("/api/state", ui.api_state),
        Route("/api/diff", ui.api_diff),
        Route("/api/processes", ui.api_processes),
        Route("/api/processes/{path:path}", ui.api_process),
        Route("/api/proposals", ui.api_proposals),
        Route("/api/proposals/{id}/approve", ui.api_decide, methods=["POST"]),
        Route("/api/proposals/{id}/reject", ui.api_decide, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        return _error(status, f"{request.method} {request.url.path}: {getattr(exc, 'detail', 'not found')}")

    app = Starlette(
        routes=routes,
        middleware=[Middleware(Guard, ui=ui)],
        exception_handlers={404: not_found, 405: not_found},
        lifespan=_closing(ui.browser),
    )
    app.state.ui = ui
    return app
