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
from scint.core.state import MapState
from scint.errors import BadArguments, UnknownContext

__all__ = ["ContextMapView"]


class ContextMapView:
    """A read-only view of the contexts under `path` (all, if None) as of `version` on `branch`."""

    __slots__ = ("_contexts", "branch", "path", "version")

    def __init__(self, contexts: dict[str, tuple[str, dict[str, Any]]], *, path: str | None, version: int, branch: str):
        self._contexts = contexts
        self.path = path
        self.version = version
        self.branch = branch

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
        """The view as "text" (within `max_chars` if given), "json" or "html"."""
        check_type(max_chars, "max_chars", int, optional=True)
        if format == "json":
            return self.to_json()
        if format == "text":
            return self.to_text(max_chars)
        if format == "html":
            return self.to_html()
        raise BadArguments(f'render() takes "text", "json" or "html", not {format!r}')

    def to_json(self) -> str:
        data = {p: {"type": t, "state": s} for p, (t, s) in sorted(self._contexts.items())}
        return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    def to_text(self, max_chars: int | None = None) -> str:
        """An indented outline: each context with its type and state. Within `max_chars`, long values are cut
        first, then whole contexts are summarised, and the text says what was left out."""
        if max_chars is not None and max_chars < 40:
            raise BadArguments("max_chars must be at least 40")
        if not self._contexts:
            return "(no contexts)"
        for value_width in (200, 80, 30, 12):
            lines = list(self._outline(value_width))
            text = "\n".join(lines)
            if max_chars is None or len(text) <= max_chars:
                return text
        return _cut_lines(lines, max_chars or 0)

    def _outline(self, width: int) -> list[str]:
        lines = []
        top = self.path.count(".") + 1 if self.path else 0
        for path, (type_name, state) in self._contexts.items():
            indent = "  " * (path.count(".") - top + 1 if self.path else path.count("."))
            lines.append(f"{indent}{path} ({type_name})")
            for key, value in state.items():
                lines.append(f"{indent}  {key}: {_short(value, width)}")
        return lines

    def to_html(self) -> str:
        rows = []
        for path, (type_name, state) in self._contexts.items():
            cells = "".join(
                f"<tr><td>{html.escape(k)}</td><td><code>{html.escape(_short(v, 400))}</code></td></tr>"
                for k, v in state.items()
            )
            rows.append(
                f"<details open><summary><b>{html.escape(path)}</b> <i>{html.escape(type_name)}</i></summary>"
                f"<table>{cells}</table></details>"
            )
        head = f"<div class='scint-view'><p>branch <b>{html.escape(self.branch)}</b>, version {self.version}</p>"
        return head + "".join(rows) + "</div>"

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython's plain-text display
        printer.text(self.to_text())

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        scope = f" {self.path}" if self.path else ""
        return f"<ContextMapView{scope} {self.branch}@{self.version}: {len(self._contexts)} contexts>"


def _short(value: Any, width: int) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= width else text[: max(width - 12, 1)] + f"... ({len(text):,} chars)"


def _cut_lines(lines: list[str], budget: int) -> str:
    kept: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        note = f"... {len(lines) - i} more lines not shown"
        if used + len(line) + 1 + len(note) > budget:
            kept.append(note)
            break
        kept.append(line)
        used += len(line) + 1
    text = "\n".join(kept)
    return text[:budget]
