"""How results look to people: plain text in a terminal, HTML in Jupyter."""

from __future__ import annotations

import html
import json
from typing import Any

__all__ = ["render_result", "render_result_html", "render_value"]


def render_value(value: Any, width: int = 2000) -> str:
    """A value as Scint would write it (JSON-like), cut at `width` characters."""
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, indent=None if _small(value) else 2)
    return text if len(text) <= width else text[: width - 20] + f"... ({len(text):,} chars)"


def _small(value: Any) -> bool:
    return len(json.dumps(value, ensure_ascii=False)) <= 100


def render_result(result: Any) -> str:
    lines = []
    if result.value is not None:
        lines.append(render_value(result.value))
    n = len(result.events)
    if n:
        lines.append(f"[{result.branch} @ {result.version}: {n} event{'s' if n != 1 else ''} recorded]")
    return "\n".join(lines) if lines else f"[{result.branch} @ {result.version}: nothing changed]"


def render_result_html(result: Any) -> str:
    parts = []
    if result.value is not None:
        parts.append(f"<pre>{html.escape(render_value(result.value))}</pre>")
    n = len(result.events)
    note = f"{n} event{'s' if n != 1 else ''} recorded" if n else "nothing changed"
    parts.append(f"<small>{html.escape(result.branch)} @ {result.version}: {note}</small>")
    return "<div class='scint-result'>" + "".join(parts) + "</div>"
