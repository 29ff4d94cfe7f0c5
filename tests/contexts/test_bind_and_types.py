"""Spec.bind (positional then keyword arguments, defaults, errors with "did you mean") and the annotation checks."""

from __future__ import annotations

import math
from typing import Any, Literal, Optional

import pytest

import scint
from scint.contexts import types as T


class Shop(scint.Context):
    """A test type with every kind of parameter."""

    @scint.action
    def buy(
        self,
        item: str,
        qty: int = 1,
        price: float = 0.0,
        gift: bool = False,
        tags: list[str] = [],  # noqa: B006
        extra: dict[str, Any] = {},  # noqa: B006
        note: str | None = None,
        size: Literal["s", "m", "l"] = "m",
        anything: Any = None,
    ) -> None:
        """Buy something."""

    @scint.action
    def configure(self, name: str, **settings: int) -> None:
        """Keyword arguments of one type."""


BUY = Shop.specs()["buy"]
CONFIGURE = Shop.specs()["configure"]
DEFAULTS = {
    "qty": 1,
    "price": 0.0,
    "gift": False,
    "tags": [],
    "extra": {},
    "note": None,
    "size": "m",
    "anything": None,
}


def test_positional_then_keyword_and_defaults_filled() -> None:
    assert BUY.bind(["milk", 2], {"gift": True}, "shop") == {**DEFAULTS, "item": "milk", "qty": 2, "gift": True}


def test_default_values_are_fresh_copies() -> None:
    a = BUY.bind(["x"], {}, "shop")
    a["tags"].append("mutated")
    assert BUY.bind(["x"], {}, "shop")["tags"] == []


def test_missing_argument_names_it_and_shows_the_signature() -> None:
    with pytest.raises(
        scint.BadArguments, match=r"shop\.buy\(\) is missing the argument `item`; signature: buy\(item: str"
    ):
        BUY.bind([], {}, "shop")


def test_unknown_argument_suggests_the_nearest() -> None:
    with pytest.raises(scint.BadArguments, match=r"shop\.buy\(\) has no parameter `qtty` \(did you mean `qty`\?\)"):
        BUY.bind(["x"], {"qtty": 2}, "shop")
    with pytest.raises(scint.BadArguments, match=r"has no parameter `zzz`; signature"):
        BUY.bind(["x"], {"zzz": 2}, "shop")


def test_an_argument_given_positionally_and_by_name() -> None:
    with pytest.raises(scint.BadArguments, match=r"got `item` twice \(positionally and by name\)"):
        BUY.bind(["x"], {"item": "y"}, "shop")


def test_too_many_positional_arguments() -> None:
    with pytest.raises(scint.BadArguments, match=r"takes 9 positional arguments but 10 were given"):
        BUY.bind(list(range(10)), {}, "shop")
    read = Shop.specs()["configure"]
    with pytest.raises(scint.BadArguments, match=r"takes 1 positional argument but 2 were given"):
        read.bind(["a", "b"], {}, "shop")


@pytest.mark.parametrize(
    ("name", "good", "bad", "message"),
    [
        ("qty", [0, -5, 2**62], [True, 1.0, 1.5, "1", None], "int"),
        ("price", [1, 1.5, -2e10], [True, "1.5", None, math.inf, math.nan], "float"),
        ("gift", [True, False], [1, 0, "true", None], "bool"),
        ("item", ["", "x" * 1000], [1, None, ["x"]], "str"),
        ("tags", [[], ["a", "b"]], [["a", 1], "a", [None], {"a": 1}], r"list\[str\]"),
        ("extra", [{}, {"a": [1, {"b": None}]}], [[], "x", {"a": {1, 2}}], r"dict\[str, any\]"),
        ("note", [None, "n"], [1, False], r"str \| null"),
        ("size", ["s", "l"], ["xl", "S", 1, None], r'"s" \| "m" \| "l"'),
        ("anything", [None, 1, "s", [1], {"k": [True]}], [(1,), {1}, math.nan, object()], "any"),
    ],
)
def test_type_checks(name: str, good: list[Any], bad: list[Any], message: str) -> None:
    for value in good:
        assert BUY.bind(["x"] if name != "item" else [], {name: value}, "shop")[name] == value
    for value in bad:
        args = ["x"] if name != "item" else []
        with pytest.raises(scint.BadArguments, match=rf"shop\.buy\(\): `{name}` must be {message}, not "):
            BUY.bind(args, {name: value}, "shop")


def test_variadic_keyword_arguments_are_checked_against_their_annotation() -> None:
    assert CONFIGURE.bind(["n"], {"a": 1, "b": 2}, "shop") == {"name": "n", "a": 1, "b": 2}
    with pytest.raises(scint.BadArguments, match=r"`a` must be int, not str"):
        CONFIGURE.bind(["n"], {"a": "x"}, "shop")
    assert CONFIGURE.signature() == "configure(name: str, **settings)"


def test_bad_argument_messages_keep_long_values_short() -> None:
    with pytest.raises(scint.BadArguments) as info:
        BUY.bind(["x"], {"qty": "y" * 500}, "shop")
    assert len(str(info.value)) < 120


# -- the annotation checks on their own ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("annotation", "described", "schema"),
    [
        (int, "int", {"type": "integer"}),
        (bool, "bool", {"type": "boolean"}),
        (float, "float", {"type": "number"}),
        (str, "str", {"type": "string"}),
        (list, "list", {"type": "array"}),
        (dict, "dict", {"type": "object"}),
        (None, "null", {"type": "null"}),
        (Any, "any", {}),
        (list[str], "list[str]", {"type": "array", "items": {"type": "string"}}),
        (
            list[list[int]],
            "list[list[int]]",
            {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
        ),
        (dict[str, Any], "dict[str, any]", {"type": "object", "additionalProperties": {}}),
        (dict[str, int], "dict[str, int]", {"type": "object", "additionalProperties": {"type": "integer"}}),
        (str | None, "str | null", {"anyOf": [{"type": "string"}, {"type": "null"}]}),
        (Optional[int], "int | null", {"anyOf": [{"type": "integer"}, {"type": "null"}]}),  # noqa: UP045
        (int | str, "int | str", {"anyOf": [{"type": "integer"}, {"type": "string"}]}),
        (Literal["a", "b"], '"a" | "b"', {"enum": ["a", "b"]}),
        (Literal[1, True, None], "1 | true | null", {"enum": [1, True, None]}),
    ],
)
def test_describe_and_json_schema(annotation: Any, described: str, schema: dict[str, Any]) -> None:
    assert T.supported(annotation)
    assert T.describe(annotation) == described
    assert T.json_schema(annotation) == schema


@pytest.mark.parametrize("annotation", [set[int], tuple[int], bytes, dict[int, str], Literal[b"x"], complex, type])
def test_unsupported_annotations(annotation: Any) -> None:
    assert not T.supported(annotation)
    with pytest.raises(TypeError):
        T.describe(annotation)


def test_bool_int_float_are_kept_apart() -> None:
    assert T.check(1, int) and not T.check(True, int) and not T.check(1.0, int)
    assert T.check(1, float) and T.check(1.5, float) and not T.check(False, float)
    assert T.check(True, bool) and not T.check(1, bool)
    assert not T.check(1, Literal[True]) and not T.check(True, Literal[1]) and T.check(1, Literal[1])


def test_is_json() -> None:
    assert T.is_json({"a": [1, 2.5, "s", None, True, {"b": []}]})
    for bad in [(1,), {1}, {1: "a"}, math.nan, math.inf, -math.inf, b"x", object(), [[math.nan]]]:
        assert not T.is_json(bad)
    deep: Any = []
    for _ in range(100):
        deep = [deep]
    assert not T.is_json(deep)  # deeper than anything the language can write: refused, not a RecursionError


def test_copy_value_is_deep() -> None:
    value = {"a": [1, {"b": [2]}]}
    copy = T.copy_value(value)
    assert copy == value
    copy["a"][1]["b"].append(3)
    assert value == {"a": [1, {"b": [2]}]}
