"""The data behind every page of the web view, as JSON-like dicts (the `/api/...` answers; the HTML pages draw
the same dicts). No web framework here: a `Browser` holds the server's session and answers one question at a time.

Parameters arrive as text from a URL; each is checked here and a bad one is a ScintError (BadArguments or
HistoryError), which the app turns into a 4xx answer carrying the message."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from scint.errors import BadArguments, HistoryError, ScintError
from scint.session import Session
from scint.session.browse import MAX_LOG_PAGE, boundaries_around, log_page, on_branch

__all__ = ["STATE_BUDGET", "Browser", "NotFound", "Unavailable"]

T = TypeVar("T")

STATE_BUDGET = 20_000  # characters of the state page's rendering: large values are summarised within it
TRANSCRIPT_ITEMS = 200  # the newest items of a process's transcript that its page shows
MAX_PARAM = 300  # characters of one URL parameter
_INT_RE = re.compile(r"[0-9]{1,12}")


class NotFound(ScintError):
    """What a URL names does not exist (a process path, a proposal id): a 404 answer."""


class Unavailable(ScintError):
    """A feature this Scint does not have yet (proposals before they exist): a 404 answer saying so."""


def text_param(value: str | None, name: str, default: str | None = None) -> str | None:
    if value is None or value == "":
        return default
    if len(value) > MAX_PARAM:
        raise BadArguments(f"{name} is too long ({len(value):,} characters; at most {MAX_PARAM})")
    return value


def int_param(value: str | None, name: str, default: int | None = None) -> int | None:
    value = text_param(value, name)
    if value is None:
        return default
    if not _INT_RE.fullmatch(value):
        raise BadArguments(f"{name} must be a whole number such as 5, not {value!r}")
    return int(value)


class Browser:
    """The server's window onto one store: the session it opened (its branch is the default for refs) and a
    session per other branch it was asked about, sharing the store. Sessions are not shared between threads,
    so every question is answered under one lock."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._lock = threading.RLock()
        self._branches: dict[str, Session] = {}

    def close(self) -> None:
        with self._lock:
            for other in self._branches.values():
                other.close()
            self._branches.clear()

    def _locked(self, fn: Callable[[], T]) -> T:
        with self._lock:
            return fn()

    def _on(self, name: str) -> Session:
        s = self.session
        if name == s.branch_name:
            return s
        known = {b["name"] for b in s.branches()}
        if name not in known:
            raise HistoryError(f"there is no branch `{name}`; the branches are: {', '.join(sorted(known))}")
        other = self._branches.get(name)
        if other is None:
            other = self._branches[name] = on_branch(s, name)
        return other

    def _ref(self, ref: str | None) -> tuple[str, int | None]:
        """`branch`, `branch@N` or `N` (this server's branch) -> (branch, version or None for its head)."""
        ref = text_param(ref, "ref")
        if ref is None:
            return self.session.branch_name, None
        if _INT_RE.fullmatch(ref):
            return self.session.branch_name, int(ref)
        name, sep, at = ref.partition("@")
        if sep and not _INT_RE.fullmatch(at):
            raise HistoryError(f"{ref!r}: write branch@version with a whole number, e.g. main@12")
        if not name:
            raise HistoryError(f"{ref!r} names no branch: write branch, branch@N or N")
        return name, int(at) if sep else None

    # -- the pages' data ----------------------------------------------------------------------------------

    def stamp(self) -> dict[str, Any]:
        """Every branch's head version: a page whose stamp changed has something new to show."""

        def read() -> dict[str, Any]:
            versions = {b["name"]: b["version"] for b in self.session.branches()}
            return {"versions": versions, "stamp": ";".join(f"{k}:{v}" for k, v in sorted(versions.items()))}

        return self._locked(read)

    def branches(self) -> dict[str, Any]:
        return self._locked(lambda: {"branch": self.session.branch_name, "branches": self.session.branches()})

    def log(self, branch: str | None, limit: str | None, before: str | None) -> dict[str, Any]:
        n = int_param(limit, "limit", 50)
        below = int_param(before, "before")
        if n is not None and not 1 <= n <= MAX_LOG_PAGE:
            raise BadArguments(f"limit must be between 1 and {MAX_LOG_PAGE}, not {n}")

        def read() -> dict[str, Any]:
            name = text_param(branch, "branch", self.session.branch_name) or ""
            s = self._on(name)
            entries = log_page(s, n or 50, below)
            older = entries[-1]["version"] if len(entries) == n and entries[-1]["version"] > 1 else None
            return {"branch": name, "version": s.version, "before": below, "entries": entries, "older": older}

        return self._locked(read)

    def state(self, ref: str | None) -> dict[str, Any]:
        def read() -> dict[str, Any]:
            name, at = self._ref(ref)
            s = self._on(name)
            view = s.view(at=at)
            prev, nxt = boundaries_around(s, view.version)
            contexts = {p: {"type": view.type_of(p), "state": view.get(p)} for p in view.paths()}
            return {
                "ref": f"{name}@{view.version}",
                "branch": name,
                "version": view.version,
                "head": s.version,
                "prev": prev,
                "next": nxt,
                "contexts": contexts,
                "_view": view,
            }

        return self._locked(read)

    def diff(self, a: str | None, b: str | None) -> dict[str, Any]:
        def read() -> dict[str, Any]:
            refs = []
            for given, label in ((a, "a"), (b, "b")):
                if text_param(given, label) is None:
                    raise BadArguments(f"give both refs to compare: ?a=main@5&b=what-if ({label} is missing)")
                name, at = self._ref(given)
                self._on(name)  # an unknown branch is named as such
                refs.append(name if at is None else f"{name}@{at}")
            return self.session.diff(refs[0], refs[1]).as_dict()

        return self._locked(read)

    def processes(self) -> dict[str, Any]:
        def read() -> dict[str, Any]:
            view = self.session.view()
            rows = [_process_row(view, p) for p in view.paths() if view.type_of(p) == "Process"]
            return {"branch": self.session.branch_name, "version": view.version, "processes": rows}

        return self._locked(read)

    def process(self, path: str) -> dict[str, Any]:
        path = text_param(path, "path") or ""

        def read() -> dict[str, Any]:
            view = self.session.view()
            if path not in view or view.type_of(path) != "Process":
                raise NotFound(f"there is no process `{path}` on {self.session.branch_name}")
            row = _process_row(view, path)
            state = view.get(path)
            transcript = state.get("transcript") or []
            row["transcript"] = transcript[-TRANSCRIPT_ITEMS:]
            row["transcript_total"] = len(transcript)
            row["state"] = {k: v for k, v in state.items() if k != "transcript"}
            inbox = getattr(self.session, "inbox", None)  # messages arrive with issue 11
            row["messages"] = inbox(path) if callable(inbox) else None
            return row

        return self._locked(read)

    # -- proposals (issue 12 adds session.proposals / approve / reject; until then there are none) --------------

    def proposals_available(self) -> bool:
        return callable(getattr(self.session, "proposals", None))

    def proposals(self, status: str | None) -> dict[str, Any]:
        status = text_param(status, "status", "pending")
        if not self.proposals_available():
            return {"available": False, "status": status, "proposals": []}
        found = self._locked(lambda: self.session.proposals(status=status))  # type: ignore[attr-defined]
        return {"available": True, "status": status, "proposals": [_plain(p) for p in found]}

    def decide(self, proposal: str, verdict: str, reason: str | None, actor: str) -> dict[str, Any]:
        if not self.proposals_available():
            raise Unavailable("this Scint has no proposals yet (human approval, SPEC section 12): nothing to decide")
        proposal = text_param(proposal, "id") or ""
        s: Any = self.session
        if verdict == "approve":
            done = self._locked(lambda: s.approve(proposal))
        else:
            why = text_param(reason, "reason")
            if why is None:
                raise BadArguments("reject needs a reason (a form field or JSON key `reason`)")
            done = self._locked(lambda: s.reject(proposal, why))
        return {"id": proposal, "verdict": verdict, "result": _plain(done), "actor": actor}


def _process_row(view: Any, path: str) -> dict[str, Any]:
    state = view.get(path)
    prefix = path + "."
    tasks = [
        {"path": p, "title": view.get(p).get("title"), "status": view.get(p).get("status")}
        for p in view.paths()
        if p.startswith(prefix) and view.type_of(p) == "Task" and "." not in p[len(prefix) :]
    ]
    return {
        "path": path,
        "status": state.get("status"),
        "goal": state.get("goal"),
        "model": state.get("model"),
        "backend": state.get("backend"),
        "budget": state.get("budget"),
        "answer": state.get("answer"),
        "steps": len(state.get("transcript") or []),
        "tasks": tasks,
    }


def _plain(value: Any) -> Any:
    """A result of the session's calls as JSON-like data (attrs objects and the like by their dict)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    as_dict = getattr(value, "as_dict", None)
    if callable(as_dict):
        return _plain(as_dict())
    fields = getattr(value, "__attrs_attrs__", None)
    if fields is not None:
        return {f.name: _plain(getattr(value, f.name)) for f in fields}
    return str(value)
