"""Fitting one JSON-like value into a budget of characters.

A value has forms from a bare `…` to its whole JSON; `Node.plan(b)` picks the most detailed form that costs at
most `b` characters, and `Node.emit(b)` writes it. The forms are ordered so that a larger budget never shows less
and never costs less:

- a string: `"…"`, then its head and length, `"The quick br…" (1,234 chars)`, then the whole string;
- a dict: `{…}`, then its size, `{…} (300 keys)`, then its keys in order with their values at a small width
  (`KEYS_WIDTH`: a sample of keys), then, once every key is listed, wider and wider values;
- a list: `[…]`, then its length, `[…] (40 items)`, then its newest items: the newest at width `u`, the one before
  at `u/2`, then `u/3` ... down to `ITEM_WIDTH`, so recent items get the most detail (threads and transcripts are
  read newest first), shown in their order;
- anything else: `…`, then the whole value.

Each step below is monotone in its budget (in what it shows and in what it costs), and a container's cost is the
sum of its parts' costs at monotone widths, so the property holds at every depth. A value below a context's
fields is planned at `coarse(b)` (a monotone rounding down), which keeps the nested searches from multiplying.
Costs are measured by a function (`len` for text; the escaped length for HTML), so one plan serves both.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from scint.core.render import clean

__all__ = ["FULL", "ITEM_WIDTH", "KEYS_WIDTH", "Measure", "Node", "Shown", "dumps", "html_len", "widest"]

ELL = "…"
KEYS_WIDTH = 12  # the width each value gets while a dict's keys are being listed
ITEM_WIDTH = 40  # the least width a list item is shown at (narrower, a dict or a long string says little)
FULL = 1 << 62  # the level of a value shown whole (see Shown)

Measure = Callable[[str], int]
# What a rendering shows: (context path, path inside its state) -> level. 0: present (a key or an item with its
# value elided), 1: a container summarised, 1 + h: a string's head of h characters, FULL: shown whole.
Shown = dict[tuple[str, tuple[Any, ...]], int]

_TINY = {"str": '"…"', "dict": "{…}", "list": "[…]", "atom": ELL}


def dumps(value: Any) -> str:
    """`value` as JSON on one line, with the characters a terminal acts on and the line separators escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
    if text.isprintable():  # the common case, checked in C
        return text
    return clean(text).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def html_len(text: str) -> int:
    """The length of `text` once escaped for HTML (quote=False)."""
    return len(text) + 4 * text.count("&") + 3 * (text.count("<") + text.count(">"))


class Node:
    """A value with its forms: `plan(b)` is (cost, form) for a budget of `b` characters, memoised."""

    __slots__ = (
        *("_it", "_keys", "_kids", "_ladder", "_lists", "_lower", "_memo", "_text", "_whole"),
        *("depth", "exact", "kind", "m", "n", "value"),
    )

    def __init__(self, value: Any, m: Measure, depth: int = 2):
        self.value = value
        self.m = m
        self.depth = depth  # 0: a context's state, 1: one of its fields, 2...: values inside those
        self.exact = depth == 0  # planned at every budget; its fields and what they hold at `coarse(b)`
        self.kind = (
            "dict"
            if isinstance(value, dict)
            else "list"
            if isinstance(value, (list, tuple))
            else "str"
            if isinstance(value, str)
            else "atom"
        )
        self.n = len(value) if self.kind in ("dict", "list") else 0
        self._text = dumps(value) if self.kind == "str" else None
        # The cost of the whole value: exact once known; a container's is summed only as far as a budget needs
        # (a 10,000-key dict in a 4,000-character budget is never written out whole).
        self._whole: int | None = None if self.kind in ("dict", "list") else m(self._text or dumps(value))
        self._lower = 0
        self._memo: dict[int, tuple[int, Any]] = {}
        self._kids: dict[int, Node] = {}
        self._keys: list[Any] = []
        self._it: Any = None
        self._ladder: Ladder | None = None
        self._lists: dict[int, tuple[int, bool]] = {}

    # -- children, made when first needed (a 10,000-key dict is never walked whole) ----------------------------

    def kid(self, i: int) -> Node:
        """The i-th entry of a dict (in order) or the i-th item of a list."""
        got = self._kids.get(i)
        if got is not None:
            return got
        if self.kind == "dict":
            if self._it is None:
                self._it = iter(self.value.items())
            while len(self._keys) <= i:
                key, value = next(self._it)
                self._kids[len(self._keys)] = Node(value, self.m, self.depth + 1)
                self._keys.append(key)
        else:
            self._kids[i] = Node(self.value[i], self.m, self.depth + 1)
        return self._kids[i]

    def key(self, i: int) -> Any:
        self.kid(i)
        return self._keys[i]

    def whole(self, limit: int) -> int:
        """The cost of the whole value if it is at most `limit`; otherwise some number above `limit`."""
        if self._whole is not None:
            return self._whole
        if self._lower > limit:
            return self._lower
        n, m = self.n, self.m
        total = 2 + 2 * max(n - 1, 0)
        for i in range(n):
            if self.kind == "dict":
                total += m(dumps(self.key(i))) + 2
            total += self.kid(i).whole(limit - total)
            if total > limit:
                self._lower = total
                return total
        self._whole = total
        return total

    # -- planning -------------------------------------------------------------------------------------------

    def cost(self, b: int) -> int:
        return self.plan(b)[0]

    def plan(self, b: int) -> tuple[int, Any]:
        if not self.exact:
            whole = self.whole(b)
            if whole <= b:  # whole at any budget that holds it; short of that, at the coarse budget below b
                return whole, "whole"
            b = coarse(b)
        got = self._memo.get(b)
        if got is None:
            got = self._memo[b] = self._plan(b)
        return got

    def _plan(self, b: int) -> tuple[int, Any]:
        whole = self.whole(b)
        if whole <= b:
            return whole, "whole"
        summary = None
        if self.kind == "str":
            summary = self._plan_str(b)
        elif self.kind == "dict":
            if self._ladder is None:
                self._ladder = Ladder.of_dict(self)
            summary = self._ladder.plan(b)
        elif self.kind == "list":
            summary = self._plan_list(b)
        if summary is not None:
            return summary
        tiny = _TINY[self.kind]
        if b >= len(tiny):
            return len(tiny), "tiny"
        return (1, "dot") if b >= 1 else (0, "none")

    def _suffix(self) -> str:
        if self.kind == "str":
            return f" ({len(self.value):,} chars)"
        return f" ({self.n:,} {'keys' if self.kind == 'dict' else 'items'})"

    def _plan_str(self, b: int) -> tuple[int, Any] | None:
        base = 3 + len(self._suffix())
        if b < base:
            return None
        body = self._text[1:-1]  # type: ignore[index]
        h = cut(body, b - base, self.m)
        return base + self.m(body[:h]), ("str", h)

    # A list: the newest k(u) items, the r-th newest (r = 0, 1, ...) at width u // (r + 1), u on the coarse grid.
    def _list_cost(self, u: int, b: int) -> int:
        """The cost at newest-item width u (exact, or past b: some number above b); kept per u."""
        got = self._lists.get(u)
        if got is not None and (got[1] or got[0] > b):
            return got[0]
        n = self.n
        k = min(n, u // ITEM_WIDTH)
        total, exact = 2 + len(self._suffix()) + (1 if k < n else 0) + 2 * (k if k < n else n - 1), True
        for r in range(k):
            total += self.kid(n - 1 - r).cost(u // (r + 1))
            if total > b:
                exact = False
                break
        self._lists[u] = total, exact
        return total

    def _plan_list(self, b: int) -> tuple[int, Any] | None:
        if self._list_cost(0, b) > b:
            return None
        # The newest item's width, at most 3b: no more than b/3 items fit (each costs at least 3 with its comma).
        good, bad = 0, 3 * b + 1  # cost(good) <= b; bad: past the cap, or cost(bad) > b
        if self._list_cost(coarse(3 * b), b) <= b:
            good = bad - 1
        while bad - good > 1:
            mid = (good + bad) // 2
            good, bad = (mid, bad) if self._list_cost(coarse(mid), b) <= b else (good, mid)
        u = coarse(good)
        return self._list_cost(u, b), ("list", u)

    # -- writing ----------------------------------------------------------------------------------------------

    def emit(self, b: int, shown: Shown | None = None, where: tuple[str, tuple[Any, ...]] = ("", ())) -> str:
        """The form `plan(b)` chose, as text; records what it shows in `shown`."""
        form = self.plan(b)[1]
        level = 0
        if form == "whole":
            text, level = dumps(self.value), FULL
        elif form == "tiny":
            text = _TINY[self.kind]
        elif form == "dot":
            text = ELL
        elif form == "none":
            return ""
        elif form[0] == "str":
            h = form[1]
            text, level = f'"{self._text[1 : 1 + h]}…"{self._suffix()}', 1 + h  # type: ignore[index]
        elif form[0] == "dict":
            _, k, u, wider = form
            parts = [
                f"{dumps(self.key(i))}: {self.kid(i).emit(u + (i < wider), shown, _at(where, self.key(i)))}"
                for i in range(k)
            ]
            text, level = "{" + ", ".join(parts + ([ELL] if k < self.n else [])) + "}" + self._suffix(), 1
        else:
            u = form[1]
            n, k = self.n, min(self.n, u // ITEM_WIDTH)
            items = [self.kid(i).emit(u // (n - i), shown, _at(where, i)) for i in range(n - k, n)]
            text, level = "[" + ", ".join(([ELL] if k < n else []) + items) + "]" + self._suffix(), 1
        if shown is not None:
            shown[where] = level
        return text


def _at(where: tuple[str, tuple[Any, ...]], step: Any) -> tuple[str, tuple[Any, ...]]:
    return where[0], (*where[1], step)


class Ladder:
    """The entries of a dict (or the fields of a context, one per line): keys first, then wider values.

    Its cost with the first k entries at width u is `overhead + sum(key_i + value_i(u)) + sep * (m - 1) +
    ell * (k < n)`, m counting the entries shown and the `…` that stands for the rest. Step one lists keys with
    their values at `KEYS_WIDTH` (k = 0..n); step two, once every key is listed, widens every value."""

    __slots__ = ("_keycosts", "_memo", "_prefix", "ell", "keytext", "node", "overhead", "sep")

    def __init__(self, node: Node, keytext: Callable[[Any], str], overhead: int, sep: int, ell: int):
        self.node, self.keytext, self.overhead, self.sep, self.ell = node, keytext, overhead, sep, ell
        self._prefix = [0]  # _prefix[k]: the cost of the first k entries (keys and values at KEYS_WIDTH)
        self._keycosts: list[int] = []
        self._memo: dict[int, tuple[int, Any] | None] = {}

    @classmethod
    def of_dict(cls, node: Node) -> Ladder:
        return cls(node, lambda key: dumps(key) + ": ", 2 + len(node._suffix()), 2, 1)

    def keycost(self, i: int) -> int:
        while len(self._keycosts) <= i:
            self._keycosts.append(self.node.m(self.keytext(self.node.key(len(self._keycosts)))))
        return self._keycosts[i]

    def _cost_keys(self, k: int) -> int:
        """The cost with the first k entries (keys, values at KEYS_WIDTH); prefix sums are kept as they grow."""
        n, pre = self.node.n, self._prefix
        while len(pre) <= k:
            i = len(pre) - 1
            pre.append(pre[-1] + self.sep + self.keycost(i) + self.node.kid(i).cost(KEYS_WIDTH))
        # pre[k] counts a separator before every entry: with the `…` there are k of them, without it k - 1
        return self.overhead + pre[k] + (self.ell if k < n else -self.sep)

    def _cost_wide(self, u: int, i: int, b: int) -> int:
        """The cost with every entry, the first i values at width u + 1 and the others at u (stops past b)."""
        node = self.node
        total = self.overhead + self.sep * max(node.n - 1, 0)
        for j in range(node.n):
            total += self.keycost(j) + node.kid(j).cost(u + 1 if j < i else u)
            if total > b:
                break
        return total

    def plan(self, b: int) -> tuple[int, Any] | None:
        if b not in self._memo:
            self._memo[b] = self._plan(b)
        return self._memo[b]

    def _plan(self, b: int) -> tuple[int, Any] | None:
        n, pre = self.node.n, self._prefix
        if self._cost_keys(0) > b:
            return None
        # step one: the most keys that fit (the prefix sums grow only as far as a budget reaches)
        while len(pre) - 1 < n and self._cost_keys(len(pre) - 1) <= b:
            self._cost_keys(len(pre))
        if len(pre) - 1 < n or self._cost_keys(n) > b:
            k = bisect_right(pre, b - self.overhead - self.ell, 0, min(len(pre), n)) - 1
            return self._cost_keys(k), ("dict", k, KEYS_WIDTH, 0)
        # step two: every key is listed; the widest values that fit (at most b wide), one entry at a time
        hi = max(KEYS_WIDTH, min(b, max((self.node.kid(i).whole(b) for i in range(n)), default=0)))
        u, i = widest(KEYS_WIDTH, hi, n, lambda u, i: self._cost_wide(u, i, b), b)
        return self._cost_wide(u, i, b), ("dict", n, u, i)


def coarse(b: int) -> int:
    """`b` rounded down to its six leading bits (exact below 64): at most 3% less, and a nested value is planned
    at a few hundred budgets at most instead of at every width its parents' searches try (the searches nest, so
    their widths multiply with depth)."""
    if b < 64:
        return b
    shift = b.bit_length() - 6
    return (b >> shift) << shift


def widest(lo: int, hi: int, n: int, cost: Callable[[int, int], int], b: int) -> tuple[int, int]:
    """The last (u, i) costing at most `b` in the order (lo, 0) < (lo, 1) < ... < (lo, n) = (lo + 1, 0) < ... <=
    (hi, 0), where (u, i) gives the first i of n parts width u + 1 and the others u. Widening one part at a time
    spends a budget that widening all at once would leave unspent (300 values growing together jump by 300
    characters at a time). Needs cost(lo, 0) <= b, and cost nondecreasing in that order."""
    if cost(hi, 0) <= b:
        return hi, 0
    good, bad = lo, hi  # cost(good, 0) <= b < cost(bad, 0)
    while bad - good > 1:
        mid = (good + bad) // 2
        good, bad = (mid, bad) if cost(mid, 0) <= b else (good, mid)
    first, last = 0, n  # cost(good, first) <= b < cost(good, last) = cost(good + 1, 0)
    while last - first > 1:
        mid = (first + last) // 2
        first, last = (mid, last) if cost(good, mid) <= b else (first, mid)
    return good, first


def cut(body: str, avail: int, m: Measure) -> int:
    """The longest prefix of the JSON string body `body` costing at most `avail`, not ending inside an escape."""
    p = min(avail, len(body))
    if m is not len and m(body[:p]) > avail:
        lo, hi = 0, p  # m(body[:lo]) <= avail < m(body[:hi])
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if m(body[:mid]) <= avail else (lo, mid)
        p = lo
    for q in range(p - 1, max(p - 6, 0) - 1, -1):
        if body[q] != "\\":
            continue
        run, j = 0, q - 1
        while j >= 0 and body[j] == "\\":
            run, j = run + 1, j - 1
        if run % 2:  # the second half of an escaped backslash, which ends at q + 1 <= p
            return p
        size = 6 if q + 1 < len(body) and body[q + 1] == "u" else 2
        return q if q + size > p else p
    return p
