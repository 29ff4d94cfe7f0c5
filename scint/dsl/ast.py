"""The Scint AST: frozen attrs objects with source spans.

Equality ignores spans and the program's source text, and compares constants by type as well as value
(`1`, `1.0` and `true` are different constants). Equivalent spellings (`'a'` and `"a"`, `$m.k` and `$m["k"]`,
`{k: 1}` and `{"k": 1}`) parse to equal trees and format identically.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

__all__ = [
    "Assign",
    "Call",
    "Const",
    "DictValue",
    "Keyword",
    "ListValue",
    "Node",
    "Program",
    "Ref",
    "Span",
    "Statement",
    "Value",
]


@attrs.frozen(slots=True, repr=False)
class Span:
    """Where a node came from: character offsets into the source, with 1-based line and column on demand."""

    start: int
    end: int
    _source: str = attrs.field(eq=False, hash=False)

    def _locate(self, offset: int) -> tuple[int, int]:
        line = self._source.count("\n", 0, offset) + 1
        return line, offset - (self._source.rfind("\n", 0, offset) + 1) + 1

    @property
    def source(self) -> str:
        """The whole text the offsets point into."""
        return self._source

    @property
    def line(self) -> int:
        return self._locate(self.start)[0]

    @property
    def column(self) -> int:
        return self._locate(self.start)[1]

    @property
    def end_line(self) -> int:
        return self._locate(self.end)[0]

    @property
    def end_column(self) -> int:
        return self._locate(self.end)[1]

    def __repr__(self) -> str:
        return f"Span({self.line}:{self.column}-{self.end_line}:{self.end_column})"


def _typed(value: Any) -> tuple[type, Any]:
    return (type(value), value)


def _span() -> Any:
    return attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen(slots=True)
class Const:
    """A literal: str, int, float, bool or None."""

    value: str | int | float | bool | None = attrs.field(eq=_typed)
    span: Span | None = _span()


@attrs.frozen(slots=True)
class ListValue:
    """A list literal `[a, b]`."""

    items: tuple[Value, ...]
    span: Span | None = _span()


@attrs.frozen(slots=True)
class DictValue:
    """A dict literal `{"k": v}`; keys are strings, in source order, unique."""

    items: tuple[tuple[str, Value], ...]
    span: Span | None = _span()


@attrs.frozen(slots=True)
class Ref:
    """A reference `$name` with accessors: `.field` / `["key"]` (str) and `[0]` (int)."""

    name: str
    path: tuple[str | int, ...] = attrs.field(default=(), eq=lambda p: tuple(map(_typed, p)))
    span: Span | None = _span()


Value = Const | ListValue | DictValue | Ref


@attrs.frozen(slots=True)
class Keyword:
    """A `name=value` argument."""

    name: str
    value: Value
    span: Span | None = _span()


@attrs.frozen(slots=True)
class Call:
    """`a.b.c(args, k=v)`: `path` is the dotted names; which prefix is the context is decided when it runs."""

    path: tuple[str, ...]
    args: tuple[Value, ...] = ()
    kwargs: tuple[Keyword, ...] = ()
    span: Span | None = _span()

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@attrs.frozen(slots=True)
class Assign:
    """`name = call`: binds the call's result for later statements (`$name`)."""

    name: str
    call: Call
    span: Span | None = _span()


Statement = Call | Assign
Node = Statement | Value | Keyword


@attrs.frozen(slots=True)
class Program:
    """A parsed program: its statements, and the text it came from (ignored by equality)."""

    statements: tuple[Statement, ...]
    source: str = attrs.field(default="", eq=False, repr=False)

    def statement_source(self, index: int) -> str:
        """The source text of statement `index` (0-based), or its canonical form if it has no span."""
        stmt = self.statements[index]
        if stmt.span is not None and self.source:
            return self.source[stmt.span.start : stmt.span.end]
        from scint.dsl.formatter import format_statement

        return format_statement(stmt)


def fast_constructor(cls: type) -> Callable[..., Any]:
    """A positional constructor for one of the node classes above that skips attrs' frozen `__init__`.

    attrs' generated `__init__` for a frozen slotted class looks up `object.__setattr__` and calls it once per
    field; the parser builds thousands of nodes, so it sets the slots through their descriptors instead. The
    objects are the same frozen attrs instances (equality, hashing, repr and immutability unchanged); every field
    must be passed, in declaration order. Tests check both constructors agree.
    """
    setters = tuple(cls.__dict__[f.name].__set__ for f in attrs.fields(cls))
    new = object.__new__
    if len(setters) == 2:
        set0, set1 = setters

        def make2(a: Any, b: Any) -> Any:
            obj = new(cls)
            set0(obj, a)
            set1(obj, b)
            return obj

        return make2
    if len(setters) == 3:
        set0, set1, set2 = setters

        def make3(a: Any, b: Any, c: Any) -> Any:
            obj = new(cls)
            set0(obj, a)
            set1(obj, b)
            set2(obj, c)
            return obj

        return make3

    def make(*values: Any) -> Any:
        if len(values) != len(setters):
            raise TypeError(f"{cls.__name__} takes {len(setters)} values, not {len(values)}")
        obj = new(cls)
        for setter, value in zip(setters, values, strict=True):
            setter(obj, value)
        return obj

    return make
