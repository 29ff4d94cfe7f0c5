"""The web view, `scint ui` (SPEC section 15): the history of a store in a browser, its data as JSON under /api/.

scint.ui.data answers (no web framework), scint.ui.pages draws HTML, scint.ui.app is the Starlette app with its
guards, scint.ui.server runs it with uvicorn (in the foreground, or in a thread for `%scint_ui`). Only this package
imports starlette and uvicorn, which come with the `scint[ui]` extra; `import scint` imports none of it."""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "serve", "start"]


def create_app(*args: Any, **kwargs: Any) -> Any:
    """The ASGI app (scint.ui.app.create_app)."""
    from scint.ui.app import create_app as make

    return make(*args, **kwargs)


def serve(*args: Any, **kwargs: Any) -> None:
    """Serve in the foreground until interrupted (scint.ui.server.serve)."""
    from scint.ui.server import serve as run

    run(*args, **kwargs)


def start(*args: Any, **kwargs: Any) -> Any:
    """Serve from a background thread; returns the running server (scint.ui.server.start)."""
    from scint.ui.server import start as run

    return run(*args, **kwargs)
