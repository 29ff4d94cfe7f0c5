"""A small TOML writer for tests (tomllib reads only): every value inline, keys quoted."""

from __future__ import annotations

import json
from typing import Any


def value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, str)):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(value(x) for x in v) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + "}"


def dumps(doc: dict[str, Any]) -> str:
    return "".join(f"{json.dumps(k)} = {value(v)}\n" for k, v in doc.items())
