"""Where each key of a TOML text is: `tomllib` gives values but no positions, so a small scan of the text maps
dotted keys (table headers and `key = value` lines) to their line numbers, for error messages.

The scan knows TOML's key syntax (bare, "basic" and 'literal' keys, dotted keys) and skips multi-line strings;
a key it cannot place is reported at its nearest enclosing key's line.
"""

from __future__ import annotations

import json
import re

__all__ = ["KeyLines", "dotted"]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_BASIC = re.compile(r'"(?:[^"\\]|\\.)*"')
_LITERAL = re.compile(r"'[^']*'")
_WS = re.compile(r"[ \t]*")


def dotted(key: tuple[str, ...]) -> str:
    """A key as TOML writes it: `processes."research.lit".model`."""
    return ".".join(k if _BARE.fullmatch(k) else json.dumps(k, ensure_ascii=False) for k in key)


def _key(text: str, i: int) -> tuple[tuple[str, ...], int] | None:
    """The dotted key starting at `text[i]` (after blanks) and where it ends; None if there is none."""
    parts: list[str] = []
    while True:
        i = _WS.match(text, i).end()  # type: ignore[union-attr]
        for rx in (_BARE, _BASIC, _LITERAL):
            m = rx.match(text, i)
            if m:
                break
        else:
            return None
        token = m.group()
        if token[0] == '"':
            try:
                token = json.loads(token)
            except ValueError:
                token = token[1:-1]
        elif token[0] == "'":
            token = token[1:-1]
        parts.append(token)
        i = _WS.match(text, m.end()).end()  # type: ignore[union-attr]
        if i < len(text) and text[i] == ".":
            i += 1
            continue
        return tuple(parts), i


class KeyLines:
    """Dotted key -> the line (1-based) where it is written."""

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        closing: str | None = None  # the delimiter of the multi-line string being skipped
        for n, line in enumerate(text.splitlines(), 1):
            if closing is not None:
                if line.count(closing) % 2 == 1:
                    closing = None
                continue
            stripped = line.lstrip()
            if stripped.startswith("["):
                found = _key(stripped, 2 if stripped.startswith("[[") else 1)
                if found:
                    table = found[0]
                    self._add(table, n)
                continue
            found = _key(line, 0)
            if not found or found[1] >= len(line) or line[found[1]] != "=":
                continue
            self._add((*table, *found[0]), n)
            value = line[found[1] + 1 :]
            for delim in ('"""', "'''"):
                if value.count(delim) % 2 == 1:
                    closing = delim
                    break

    def _add(self, key: tuple[str, ...], n: int) -> None:
        """Record `key` and its prefixes (`[a.b]` defines `a` too, where it is first written)."""
        for k in range(1, len(key) + 1):
            self.lines.setdefault(key[:k], n)

    def line(self, key: tuple[str, ...]) -> int | None:
        """The line of `key`, or of the nearest enclosing key that has one."""
        for k in range(len(key), 0, -1):
            n = self.lines.get(key[:k])
            if n is not None:
                return n
        return None
