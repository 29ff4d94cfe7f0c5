"""A view's contexts within a budget of characters: structure first, then detail while it fits.

Structure is one line per context: its path, type and size (`notes (Container) 1,234 chars`). When even those
lines do not all fit, the shallowest contexts are kept (a context's parent always comes with it) and a last line
says how many were left out. Detail is each context's fields, one per line, every context given the same width
`w` (the largest that fits): its fields' keys first, then wider and wider values (scint.core.fit). Each choice
only grows with the budget, so a larger budget never shows less, and the text never exceeds it.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from scint.core.fit import FULL, Ladder, Measure, Node, Shown, dumps, html_len, widest
from scint.core.render import clean
from scint.errors import BadArguments

__all__ = ["MIN_CHARS", "Outline", "check_budget"]

MIN_CHARS = 80  # the least budget: room for the line that says how many contexts were left out


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


class Outline:
    """The contexts of a view (`{path: (type, state)}`, parents first), planned and written within budgets, as
    text or (`as_html`) as the inside of a `<pre>` element."""

    def __init__(self, contexts: dict[str, tuple[str, dict[str, Any]]], top: str | None, as_html: bool = False):
        self.as_html = as_html
        self.m: Measure = html_len if as_html else len
        self.esc: Callable[[str], str] = _escape if as_html else str
        self.contexts = contexts
        self.paths = list(contexts)
        base = top.count(".") if top else 0
        self.indent = ["  " * (p.count(".") - base) for p in self.paths]
        self._headers: dict[int, tuple[str, int]] = {}
        self._bodies: dict[int, Ladder] = {}
        # Shallowest first: a prefix of this order always holds each shown context's parent.
        self.order = sorted(range(len(self.paths)), key=lambda i: len(self.indent[i]))
        self._plans: dict[int, tuple[int, int]] = {}

    def header(self, i: int) -> tuple[str, int]:
        """The i-th context's line (path, type, size) and its cost; made when first needed."""
        got = self._headers.get(i)
        if got is None:
            path, ind = self.paths[i], self.indent[i]
            type_name, state = self.contexts[path]
            size = len(dumps(state))
            if self.as_html:
                line = f"{ind}<b>{_escape(clean(path))}</b> <i>({_escape(clean(type_name))})</i> {size:,} chars"
                got = line, len(line)
            else:
                line = f"{ind}{clean(path)} ({clean(type_name)}) {size:,} chars"
                got = line, len(line)
            self._headers[i] = got
        return got

    def body(self, i: int) -> Ladder:
        """The i-th context's fields, one per line (keys first, then wider values)."""
        got = self._bodies.get(i)
        if got is None:
            field = self.indent[i] + "  "
            node = Node(self.contexts[self.paths[i]][1], self.m, depth=0)
            ell = self.m(f"\n{field}…")
            got = self._bodies[i] = Ladder(node, lambda key: f"\n{field}{clean(str(key))}: ", 0, 0, ell)
        return got

    # -- planning -----------------------------------------------------------------------------------------------

    def note(self, left_out: int) -> str:
        return f"… {left_out:,} of {len(self.paths):,} contexts not shown"

    def plan(self, budget: int) -> tuple[int, int, int]:
        """(k, w, i): the first k contexts of `order` are shown, and once all are, their fields: the first i
        contexts' at width w + 1, the others' at w."""
        got = self._plans.get(budget)
        if got is None:
            got = self._plans[budget] = self._plan(budget)
        return got

    def _plan(self, budget: int) -> tuple[int, int, int]:
        c = len(self.paths)
        used = -1  # the lines are joined by newlines: one fewer than the lines
        for i in self.order:
            cost = self.header(i)[1] + 1
            if used + cost > budget:
                return self._structure_only(budget), 0, 0
            used += cost
        room = budget - used
        w, wider = widest(0, room, c, lambda w, i: self._detail(w, i, room), room)
        return c, w, wider

    def _structure_only(self, budget: int) -> int:
        note = self.m(self.note(len(self.paths)))  # the longest the note can be
        used, k = 0, 0
        for i in self.order:
            cost = self.header(i)[1] + 1
            if used + cost + note > budget:
                break
            used, k = used + cost, k + 1
        return k

    def _detail(self, w: int, wider: int, room: int) -> int:
        total = 0
        for i in range(len(self.paths)):
            got = self.body(i).plan(w + 1 if i < wider else w)
            total += got[0] if got is not None else 0
            if total > room:
                break
        return total

    # -- writing ------------------------------------------------------------------------------------------------

    def write(self, budget: int | None, shown: Shown | None = None) -> str:
        """The outline within `budget` characters (None: everything, every value whole)."""
        if not self.paths:
            return "(no contexts)"
        k, w, wider = (len(self.paths), -1, 0) if budget is None else self.plan(budget)
        keep = set(self.order[:k])
        lines = []
        for i, path in enumerate(self.paths):
            if i not in keep:
                continue
            if shown is not None:
                shown[(path, ())] = 0
            width = w + 1 if i < wider else w
            lines.append(self.header(i)[0] + (self._body(i, width, shown) if k == len(self.paths) else ""))
        if k < len(self.paths):
            lines.append(self.esc(self.note(len(self.paths) - k)))
        return "\n".join(lines)

    def _body(self, i: int, w: int, shown: Shown | None) -> str:
        ladder, path = self.body(i), self.paths[i]
        node = ladder.node
        if w < 0:  # everything
            k, u, wider = node.n, None, 0
        else:
            got = ladder.plan(w)
            if got is None:
                return ""
            _, k, u, wider = got[1]
        parts = []
        for j in range(k):
            key, kid = node.key(j), node.kid(j)
            if u is None:
                value = dumps(kid.value)
                if shown is not None:
                    shown[(path, (key,))] = FULL
            else:
                value = kid.emit(u + (j < wider), shown, (path, (key,)))
            parts.append(self.esc(ladder.keytext(key)) + self.esc(value))
        if k < node.n:
            parts.append(f"\n{self.indent[i]}  …")
        return "".join(parts)


def check_budget(max_chars: int | None, least: int, what: str = "") -> None:
    if max_chars is not None and max_chars < least:
        raise BadArguments(f"max_chars must be at least {least}{what}, not {max_chars}")
