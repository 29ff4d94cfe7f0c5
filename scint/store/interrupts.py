"""Ctrl-C held back while the store and the session's head change together.

`shielded(fn, *args)` calls `fn(*args)`; a SIGINT that arrives meanwhile is held back until the call returns (or
raises), and the KeyboardInterrupt is raised then. Code inside (a store transaction and its bookkeeping,
third-party connection pools, LMDB's gate) runs to its end, so an interrupt lands before a program is recorded or
after, never half-way.

The handler decides from the interrupted stack itself: it holds the signal back exactly when a `shielded` call is
on it. No counter is kept that an exception skipping a cleanup could leave wrong. Only the main thread receives
SIGINT, so calls on other threads are not affected. While Python's own handler (`signal.default_int_handler`) is
installed, the first shielded call on the main thread replaces it by `_on_sigint`, which behaves the same outside
a shielded call (raises KeyboardInterrupt); a handler the application installed itself is left alone.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

__all__ = ["shielded"]

T = TypeVar("T")

_MAIN = threading.main_thread()
# The C function under `signal.getsignal`, which wraps what it returns in an enum (most of this module's cost).
_getsignal = getattr(signal, "_signal", signal).getsignal
_SIGINT = int(signal.SIGINT)
_pending = False  # a SIGINT arrived during a shielded call


def _inside_shield(frame: FrameType | None) -> bool:
    while frame is not None:
        if frame.f_code is _SHIELD_CODE:
            return True
        frame = frame.f_back
    return False


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    global _pending
    if _inside_shield(frame):
        _pending = True
        return
    raise KeyboardInterrupt


def shielded(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)`, with Ctrl-C held back until it ends (see the module's docstring)."""
    global _pending
    if _getsignal(_SIGINT) is signal.default_int_handler and threading.current_thread() is _MAIN:
        signal.signal(signal.SIGINT, _on_sigint)
    try:
        return fn(*args)
    finally:
        if _pending and threading.current_thread() is _MAIN and not _inside_shield(sys._getframe(1)):
            _pending = False
            raise KeyboardInterrupt  # the held-back Ctrl-C, raised once the call is whole


_SHIELD_CODE = shielded.__code__
