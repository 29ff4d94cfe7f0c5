"""How results look to people: plain text in a terminal, HTML in Jupyter."""

from __future__ import annotations

import html
import json
import re
from typing import Any

__all__ = ["clean", "render_result", "render_result_html", "render_value"]

# Characters a terminal acts on rather than shows: C0 controls but line break and tab, DEL, C1 controls (0x9b
# is a one-byte CSI), and the bidirectional overrides that reorder what is shown.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """`text` with every character a terminal would act on written as a `\\uXXXX` escape (as JSON writes it, so
    JSON stays JSON): stored values cannot clear the screen, move the cursor or retitle the window."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


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
