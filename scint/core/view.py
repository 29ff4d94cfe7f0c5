"""ContextMapView: a read-only window onto a branch's contexts, scoped to a subtree and fixed at a version.

A view holds its own copy of the state it shows, so it never changes after it is made. It renders as text (for
people and LLMs, within a character budget), JSON (deterministic: equal states render to equal text) or HTML.
"""

from __future__ import annotations

import html
import json
from typing import Any

from scint.contexts.base import did_you_mean
from scint.contexts.types import copy_value
from scint.core.args import check_type
from scint.core.outline import MIN_CHARS, Outline, check_budget
from scint.core.state import MapState
from scint.errors import BadArguments, UnknownContext

__all__ = ["DISPLAY_CHARS", "MIN_CHARS", "ContextMapView"]

DISPLAY_CHARS = 10_000  # what str(view) and its IPython/Jupyter displays show, unless view.max_chars says otherwise


class ContextMapView:
    """A read-only view of the contexts under `path` (all, if None) as of `version` on `branch`.

    `render(format, max_chars)` writes it; `max_chars` (an attribute, DISPLAY_CHARS by default, None: everything)
    is the budget of its displays: `str(view)`, IPython and Jupyter."""

    __slots__ = ("_contexts", "_outlines", "branch", "max_chars", "path", "version")

    def __init__(self, contexts: dict[str, tuple[str, dict[str, Any]]], *, path: str | None, version: int, branch: str):
        self._contexts = contexts
        self.path = path
        self.version = version
        self.branch = branch
        # The budget of its displays (str(), IPython, Jupyter); render() takes its own. None: everything.
        self.max_chars: int | None = DISPLAY_CHARS
        self._outlines: dict[bool, Outline] | None = None

    @classmethod
    def of(cls, state: MapState, *, path: str | None, version: int, branch: str) -> ContextMapView:
        if path:
            state.require(path)
            paths = state.subtree(path)
        else:
            paths = list(state.contexts)
        contexts = {p: (state.contexts[p].__scint_type__, copy_value(state.contexts[p].__dict__)) for p in paths}
        return cls(contexts, path=path or None, version=version, branch=branch)

    # -- reading ----------------------------------------------------------------------------------------------

    def paths(self) -> list[str]:
        """Every context path in the view, parents before children."""
        return list(self._contexts)

    def __contains__(self, path: object) -> bool:
        return path in self._contexts

    def __len__(self) -> int:
        return len(self._contexts)

    def type_of(self, path: str) -> str:
        return self._entry(path)[0]

    def get(self, path: str) -> dict[str, Any]:
        """A copy of the state of the context at `path`."""
        return copy_value(self._entry(path)[1])

    def _entry(self, path: str) -> tuple[str, dict[str, Any]]:
        try:
            return self._contexts[path]
        except (KeyError, TypeError):
            raise UnknownContext(f"the view has no context `{path}`{did_you_mean(str(path), self._contexts)}") from None

    def tree(self) -> dict[str, Any]:
        """Nested dicts: {name: {"type": ..., "children": {...}}} from the view's top."""
        root: dict[str, Any] = {}
        nodes: dict[str, dict[str, Any]] = {}
        for path, (type_name, _) in self._contexts.items():
            parent, _, name = path.rpartition(".")
            node = {"type": type_name, "children": {}}
            nodes[path] = node
            (nodes[parent]["children"] if parent in nodes else root)[name] = node
        return root

    # -- rendering ----------------------------------------------------------------------------------------------

    def render(self, format: str = "text", max_chars: int | None = None) -> str:
        """The view as "text" or "html" within `max_chars` characters (None: everything, every value whole), or
        as "json" (always complete, deterministic: the contexts' state only).

        Within a budget the structure comes first: every context with its type and size (when even that does
        not fit, the shallowest contexts and a line saying how many were left out). Then detail while it fits:
        values whole when they fit, summarised when not (a string's head and length, a dict's size and first
        keys, a list's length and newest items). The text never exceeds `max_chars`, and a larger budget never
        shows less. The least budget is MIN_CHARS (80), plus the HTML frame for "html"."""
        check_type(max_chars, "max_chars", int, optional=True)
        if format == "json":
            return self.to_json()
        if format == "text":
            return self.to_text(max_chars)
        if format == "html":
            return self.to_html(max_chars)
        raise BadArguments(f'render() takes "text", "json" or "html", not {format!r}')

    def to_json(self) -> str:
        data = {p: {"type": t, "state": s} for p, (t, s) in sorted(self._contexts.items())}
        return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    def to_text(self, max_chars: int | None = None) -> str:
        """An indented outline of the contexts and their fields, within `max_chars` (see `render`)."""
        check_type(max_chars, "max_chars", int, optional=True)
        check_budget(max_chars, MIN_CHARS)
        return self._outline(False).write(max_chars)

    def to_html(self, max_chars: int | None = None) -> str:
        """The outline as HTML (escaped, in a `<pre>`), within `max_chars` (see `render`)."""
        head = f"<div class='scint-view'><p>branch <b>{html.escape(self.branch)}</b>, version {self.version}</p><pre>"
        tail = "</pre></div>"
        frame = len(head) + len(tail)
        check_type(max_chars, "max_chars", int, optional=True)
        check_budget(max_chars, frame + MIN_CHARS, " for this view's HTML")
        return head + self._outline(True).write(None if max_chars is None else max_chars - frame) + tail

    def _outline(self, as_html: bool) -> Outline:
        """The planned outline, kept: a view never changes, and describe_state may render it more than once."""
        if self._outlines is None:
            self._outlines = {}
        got = self._outlines.get(as_html)
        if got is None:
            got = self._outlines[as_html] = Outline(self._contexts, self.path, as_html)
        return got

    def _repr_html_(self) -> str:
        return self.to_html(self.max_chars)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython's plain-text display
        printer.text(self.to_text(self.max_chars))

    def __str__(self) -> str:
        return self.to_text(self.max_chars)

    def __repr__(self) -> str:
        scope = f" {self.path}" if self.path else ""
        return f"<ContextMapView{scope} {self.branch}@{self.version}: {len(self._contexts)} contexts>"
