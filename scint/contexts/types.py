"""Values Scint can hold (JSON's: null, bools, numbers, strings, lists, string-keyed dicts) and the annotations
that describe them. One place turns a Python annotation into a check, a short description and a JSON schema."""

from __future__ import annotations

import json
import types
import typing
from typing import Any, Literal, Union

__all__ = ["check", "copy_value", "describe", "is_json", "json_schema"]

_SCALARS = (type(None), bool, int, float, str)
_BIG_INT = 10**4000  # Python writes integers of at most 4,300 digits as text (JSON); Scint keeps them well inside


def copy_value(value: Any) -> Any:
    """A deep copy of a JSON-like value (fast: only lists and dicts are copied)."""
    t = type(value)
    if t is dict:
        return {k: copy_value(v) if type(v) in (dict, list) else v for k, v in value.items()}
    if t is list:
        return [copy_value(v) if type(v) in (dict, list) else v for v in value]
    return value


def is_json(value: Any, depth: int = 0) -> bool:
    """Whether `value` is a JSON-like value Scint can store and replay (no tuples, sets or objects)."""
    t = type(value)
    if t in _SCALARS:
        if t is int:
            return -_BIG_INT < value < _BIG_INT
        return t is not float or (value == value and value not in (float("inf"), float("-inf")))
    if depth > 64:
        return False
    if t is list:
        return all(is_json(v, depth + 1) for v in value)
    if t is dict:
        return all(type(k) is str and is_json(v, depth + 1) for k, v in value.items())
    return False


def _args(annotation: Any) -> tuple[Any, ...]:
    return typing.get_args(annotation)


def _is_union(origin: Any) -> bool:
    return origin is Union or origin is types.UnionType


def check(value: Any, annotation: Any) -> bool:
    """Whether `value` fits `annotation` (Any, None, bool, int, float, str, list[T], dict[str, T], unions,
    Literal). An int fits float; a bool fits neither int nor float."""
    if annotation is Any or annotation is object:
        return is_json(value)
    if annotation is None or annotation is type(None):
        return value is None
    if annotation is bool:
        return type(value) is bool
    if annotation is int:
        return type(value) is int
    if annotation is float:
        return type(value) in (int, float) and is_json(value)
    if annotation is str:
        return type(value) is str
    if annotation is list:
        return type(value) is list and is_json(value)
    if annotation is dict:
        return type(value) is dict and is_json(value)
    origin = typing.get_origin(annotation)
    if _is_union(origin):
        return any(check(value, a) for a in _args(annotation))
    if origin is Literal:
        return any(type(value) is type(a) and value == a for a in _args(annotation))
    if origin is list:
        (item,) = _args(annotation) or (Any,)
        return type(value) is list and all(check(v, item) for v in value)
    if origin is dict:
        _key, item = _args(annotation) or (str, Any)
        return type(value) is dict and all(type(k) is str and check(v, item) for k, v in value.items())
    raise TypeError(f"Scint cannot check values against {annotation!r}")


def describe(annotation: Any) -> str:
    """A short, Scint-flavoured name for an annotation: `str`, `int`, `list[str]`, `str | null`, `any`."""
    if annotation is Any or annotation is object:
        return "any"
    if annotation is None or annotation is type(None):
        return "null"
    if annotation in (bool, int, float, str, list, dict):
        return annotation.__name__
    origin = typing.get_origin(annotation)
    if _is_union(origin):
        return " | ".join(describe(a) for a in _args(annotation))
    if origin is Literal:
        if not all(type(a) in _SCALARS for a in _args(annotation)):
            raise TypeError(
                f"Scint cannot describe {annotation!r}: Literal values must be null, bool, int, float or str"
            )
        return " | ".join(literal(a) for a in _args(annotation))
    if origin is list:
        return f"list[{describe((_args(annotation) or (Any,))[0])}]"
    if origin is dict:
        key, item = _args(annotation) or (str, Any)
        if key is not str:
            raise TypeError(f"Scint cannot describe {annotation!r}: dict keys are always strings")
        return f"dict[str, {describe(item)}]"
    raise TypeError(f"Scint cannot describe {annotation!r}")


def literal(value: Any) -> str:
    """A JSON value as Scint source text (JSON's literals are Scint's), for documentation."""
    return json.dumps(value, ensure_ascii=False)


def json_schema(annotation: Any) -> dict[str, Any]:
    """The JSON Schema of an annotation."""
    if annotation is Any or annotation is object:
        return {}
    if annotation is None or annotation is type(None):
        return {"type": "null"}
    simple = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}
    if annotation in simple:
        return {"type": simple[annotation]}
    origin = typing.get_origin(annotation)
    if _is_union(origin):
        return {"anyOf": [json_schema(a) for a in _args(annotation)]}
    if origin is Literal:
        return {"enum": list(_args(annotation))}
    if origin is list:
        return {"type": "array", "items": json_schema((_args(annotation) or (Any,))[0])}
    if origin is dict:
        return {"type": "object", "additionalProperties": json_schema((_args(annotation) or (str, Any))[1])}
    raise TypeError(f"Scint cannot describe {annotation!r}")


def supported(annotation: Any) -> bool:
    """Whether `annotation` is one Scint can check."""
    try:
        describe(annotation)
    except TypeError:
        return False
    return True
