"""What a rerun swaps (SPEC section 11): `rerun(since, models={"research.lit": "other"})` gives chosen processes
another model (a `[models]` name) or another backend (`llm`, `human`, `python:NAME`) for the re-run.

`plan` checks the whole mapping before anything is written: each path must name a process (at `since` or at the
head of the branch re-run), each model name must be known (set on the session, `session.models["other"] =
provider`; recorded on a process or template of the store by `scint up`; or given as a `[models]` entry by the
caller, as `scint rerun` does from scint.toml), and a backend is checked as a process's `backend` field is (and a
`python:NAME` must be registered). It returns the settings each process gets: `{"endpoint": ..., "model": ...,
"backend": "llm"}` for a model, `{"backend": ...}` for a backend.

`Swapper` records them on the rerun's branch as `<path>.configure(settings=...)` programs (actor `human`, request
`{"rerun": ...}` naming the branch and version re-run and the swaps), so the branch itself says which model or
backend took the steps: before the first re-run program for the processes that exist at `since`, and after any
program that creates a chosen process (or declares it again, as a re-run `scint up` does). Each step's transcript
entry then records the model that took it, and replay reads all of it from the events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from scint.contexts.base import did_you_mean
from scint.contexts.builtin import Process, check_backend
from scint.dsl import literal
from scint.errors import BadArguments, LimitExceeded, ScintError, UnknownContext
from scint.llm.endpoints import endpoint_name
from scint.modules import get_backend
from scint.session.checks import PATH_RE

if TYPE_CHECKING:
    from scint.core.view import ContextMapView
    from scint.session.facade import Session

__all__ = ["MAX_SWAPS", "Swapper", "is_backend", "plan"]

MAX_SWAPS = 256  # processes one rerun may swap
MAX_NAME = 200
ENDPOINT_FIELDS = ("model", "base_url", "api", "api_key_env", "tool")


def is_backend(name: str) -> bool:
    """Whether a swap's value names a backend rather than a model."""
    return name in ("llm", "human") or name.startswith("python:")


def plan(
    s: Session, since: int, models: Any, endpoints: Any = None
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """({path: the settings it gets}, {path: the name asked for}), checked whole; raises before anything is
    written. `since` is checked on the way (a version inside a program is a HistoryError)."""
    then = s.view(at=since)
    if models is None or (isinstance(models, Mapping) and not models):
        return {}, {}
    if not isinstance(models, Mapping):
        raise BadArguments(f'models maps process paths to model names, such as {{"research.lit": "other"}}, '
                           f"not {type(models).__name__}")  # fmt: skip
    if len(models) > MAX_SWAPS:
        raise LimitExceeded(f"a rerun swaps at most {MAX_SWAPS} processes' models, not {len(models):,}")
    extra = _checked_endpoints(endpoints)
    head = s.view()
    processes = sorted({p for view in (then, head) for p in view.paths() if view.type_of(p) == "Process"})
    known = {**_recorded(then), **_recorded(head), **extra}  # the newest entry for a name wins
    settings: dict[str, dict[str, Any]] = {}
    asked: dict[str, str] = {}
    for path, name in models.items():
        if not isinstance(path, str) or not PATH_RE.fullmatch(path):
            raise BadArguments(f"models: {path!r:.80} is not a process path (such as research.lit)")
        if path not in processes:
            raise UnknownContext(
                f"models: there is no process `{path}` to swap{did_you_mean(path, processes)}; the processes at "
                f"version {since} or at the head are: {', '.join(processes[:20]) or 'none'}"
            )
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            raise BadArguments(f"models: `{path}` takes a model name or a backend (a short string), not {name!r:.80}")
        if is_backend(name):
            check_backend(name, f"models: `{path}`")
            if name.startswith("python:"):
                get_backend(name[len("python:") :])  # only registered names: no program names arbitrary code
            settings[path] = {"backend": name}
        else:
            endpoint = known.get(name) or _set_on(s, name)
            if endpoint is None:
                names = sorted({*known, *s.models.names()})
                raise BadArguments(
                    f'models: `{path}`: "{name}" is not a model{did_you_mean(name, names)}; the models are: '
                    f"{', '.join(names[:20]) or 'none'} (a [models] name of scint.toml, or one set with "
                    f'session.models["{name}"] = provider), and the backends: "llm", "human", "python:NAME"'
                )
            settings[path] = {"endpoint": endpoint, "model": endpoint["model"], "backend": "llm"}
        asked[path] = name
    return settings, asked


def _checked_endpoints(endpoints: Any) -> dict[str, dict[str, Any]]:
    """`[models]` entries given by the caller ({name: {"model": ..., "base_url": ...}}), as stored endpoints."""
    if endpoints is None:
        return {}
    if not isinstance(endpoints, Mapping) or len(endpoints) > MAX_SWAPS:
        raise BadArguments('endpoints maps [models] names to their entries ({name: {"model": ...}})')
    out = {}
    for name, entry in endpoints.items():
        if not isinstance(name, str) or not isinstance(entry, Mapping) or not isinstance(entry.get("model"), str):
            raise BadArguments(f"endpoints: {name!r:.60} needs an entry with a `model` (a string)")
        if any(not isinstance(v, str) or len(v) > 2048 for k, v in entry.items() if k != "name"):
            raise BadArguments(f"endpoints: {name}: each setting is a string (at most 2,048 characters)")
        unknown = [k for k in entry if k not in ENDPOINT_FIELDS]
        if unknown:
            raise BadArguments(f"endpoints: {name}: unknown key {unknown[0]!r:.40}; the keys: "
                               f"{', '.join(ENDPOINT_FIELDS)}")  # fmt: skip
        out[name] = {"name": name, **{k: v for k, v in entry.items() if k != "name"}}
    return out


def _recorded(view: ContextMapView) -> dict[str, dict[str, Any]]:
    """The [models] entries recorded on the processes (and their templates) of a view, by name."""
    found: dict[str, dict[str, Any]] = {}
    for path in view.paths():
        if view.type_of(path) != "Process":
            continue
        state = view.get(path)
        templates = state.get("templates")
        inner = [t.get("endpoint") for t in templates.values() if isinstance(t, dict)] if isinstance(
            templates, dict
        ) else []  # fmt: skip
        for endpoint in (state.get("endpoint"), *inner):
            name = endpoint_name(endpoint)
            if name is not None:
                found[name] = endpoint
    return found


def _set_on(s: Session, name: str) -> dict[str, Any] | None:
    """The endpoint to record for a name only set on the session (`session.models[name] = provider`)."""
    if name not in s.models:
        return None
    provider = s.models[name]
    entry = {"name": name, "model": provider.model}
    for key, attr in (("api", "api"), ("tool", "tool_kind")):
        if isinstance(getattr(provider, attr, None), str):
            entry[key] = getattr(provider, attr)
    return entry


class Swapper:
    """Records the swaps on the rerun's branch whenever a chosen process exists without them."""

    def __init__(self, settings: dict[str, dict[str, Any]], request: dict[str, Any]) -> None:
        self.settings = dict(settings)
        self.request = request
        self.failures: list[str] = []  # swaps that could not be recorded (those processes keep their own model)
        self._busy = False

    def apply(self, session: Session) -> None:
        """After a program of the rerun: configure each chosen process that exists and lacks its swap, in one
        program. (The session calls this after each of its commits; the configure's own commit finds nothing.)"""
        if self._busy or not self.settings:
            return
        contexts = session.callables()[0]
        due = [p for p, wanted in self.settings.items() if _lacks(contexts.get(p), wanted)]
        if not due:
            return
        self._busy = True
        try:
            text = "\n".join(f"{p}.configure(settings={literal(self.settings[p])})" for p in due)
            session.run(text, actor="human", request=self.request)
        except ScintError as exc:  # not the re-run program's failure: say so once, and stop trying these
            self.failures.append(f"could not swap the model of {', '.join(due)}: {exc}")
            for p in due:
                del self.settings[p]
        finally:
            self._busy = False


def _lacks(ctx: Any, wanted: dict[str, Any]) -> bool:
    return isinstance(ctx, Process) and any(getattr(ctx, k) != v for k, v in wanted.items())
