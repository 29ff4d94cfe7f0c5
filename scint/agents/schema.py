"""The shape of `scint.toml`, written once: the validator walks these field tables, and the published JSON Schema
(`scint.schema.json`, shipped in the wheel) is generated from them (`python -m scint.agents.schema` rewrites it; a
test checks the shipped file is current and that both agree on examples).

Cross-references (a process's model must be a `[models]` name, a context's type must be registered ...) are
the validator's (scint/agents/config.py); the schema says what one file can say on its own.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scint.contexts.base import did_you_mean
from scint.core.capabilities import MAX_GLOB_CHARS, MAX_GLOBS, parse_glob
from scint.errors import BadArguments

__all__ = ["SCHEMA_PATH", "TOP", "Problems", "json_schema"]

SCHEMA_PATH = Path(__file__).with_name("scint.schema.json")
NAME = r"[A-Za-z][A-Za-z0-9_]{0,63}"
PATH = rf"{NAME}(\.{NAME}){{0,15}}"
ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]{0,127}"
BACKEND = rf"llm|human|python:{NAME}"
_SEG = r"(\*\*?|[A-Za-z][A-Za-z0-9_]{0,63})"
GLOB = rf"(self|{_SEG})(\.(?!self(\.|$)){_SEG}){{0,31}}"
MAX_TEXT = 65_536
MAX_ITEMS = 1_000
MAX_ENTRIES = 10_000


class Problems:
    """The problems found so far (every one, up to `limit`), each with its dotted key."""

    def __init__(self, limit: int = 20) -> None:
        self.limit = limit
        self.items: list[tuple[tuple[str, ...], str]] = []
        self.more = 0

    def add(self, key: tuple[str, ...], message: str) -> None:
        if len(self.items) < self.limit:
            self.items.append((key, message))
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.items)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date or time"


@dataclass(frozen=True)
class Field:
    """One key's value: its JSON type and bounds. `kind`: str, int, number, strs, globs, table, names, strmap."""

    kind: str
    doc: str = ""
    required: bool = False
    pattern: str | None = None
    enum: tuple[str, ...] = ()
    max_len: int = 1024
    secret: bool = False  # never shown in an error message
    fields: dict[str, Field] = field(default_factory=dict)  # table: its keys; names: each entry's keys
    open: bool = False  # table: other keys are allowed (a context's creation config)
    key_pattern: str = NAME  # names: what each entry's name must look like

    def check(self, value: Any, key: tuple[str, ...], out: Problems) -> None:
        """Add a problem for every way `value` (at dotted `key`) does not fit."""
        shown = _Shown(value, self.secret)
        want = self.describe()
        if self.kind in ("str", "int", "number"):
            ok = {
                "str": isinstance(value, str),
                "int": isinstance(value, int) and not isinstance(value, bool),
                "number": isinstance(value, (int, float)) and not isinstance(value, bool),
            }[self.kind]
            if not ok:
                out.add(key, f"must be {want}, not {_kind(value)}{shown}")
            elif self.kind == "str":
                self._check_text(value, key, out, shown)
            elif value < 0 or (isinstance(value, float) and not math.isfinite(value)) or value > 10**12:
                out.add(key, f"must be {want}, not{shown}")
        elif self.kind in ("strs", "globs"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                out.add(key, f"must be {want}, not {_kind(value)}{shown}")
                return
            limit = MAX_GLOBS if self.kind == "globs" else MAX_ITEMS
            if len(value) > limit:
                out.add(key, f"has {len(value)} items; at most {limit} are allowed")
                return
            for i, item in enumerate(value):
                if self.kind == "globs":
                    try:
                        parse_glob(item)
                    except BadArguments as exc:
                        out.add(key, f"item {i + 1}: {exc.message}")
                else:
                    self._check_text(item, key, out, _Shown(item, False), item=i + 1)
        elif self.kind == "strmap":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                out.add(key, f"must be {want}, not {_kind(value)}")
        elif not isinstance(value, dict):
            out.add(key, f"must be {want}, not {_kind(value)}{shown}")
        elif self.kind == "names":
            if len(value) > MAX_ENTRIES:
                out.add(key, f"has {len(value)} entries; at most {MAX_ENTRIES:,} are allowed")
                return
            entry = Field("table", fields=self.fields, open=self.open)
            for name, item in value.items():
                if not re.fullmatch(self.key_pattern, name):
                    what = "a dotted path of names" if self.key_pattern == PATH else "a name"
                    out.add((*key, name), f"is not {what} (a letter, then letters, digits or _)")
                    continue
                entry.check(item, (*key, name), out)
        else:
            self._check_table(value, key, out)

    def _check_text(self, value: str, key: tuple[str, ...], out: Problems, shown: object, item: int = 0) -> None:
        where = f"item {item} " if item else ""
        if len(value) > self.max_len:
            out.add(key, f"{where}is {len(value):,} characters; at most {self.max_len:,} are allowed")
        elif self.enum and value not in self.enum:
            options = ", ".join(f'"{e}"' for e in self.enum)
            out.add(key, f"{where}must be one of {options}, not{shown}{did_you_mean(value, self.enum)}")
        elif self.pattern and not re.fullmatch(self.pattern, value):
            out.add(key, f"{where}must be {self.describe()}, not{shown}")

    def _check_table(self, value: dict[str, Any], key: tuple[str, ...], out: Problems) -> None:
        for name, spec in self.fields.items():
            if spec.required and name not in value:
                out.add(key, f"lacks the key `{name}` ({spec.doc})")
        for name, item in value.items():
            spec = self.fields.get(name)
            if spec is not None:
                spec.check(item, (*key, name), out)
            elif not self.open:
                known = ", ".join(self.fields)
                hint = did_you_mean(name, self.fields)
                out.add((*key, name), f"is not a known key{hint}; the keys here are: {known}")

    def describe(self) -> str:
        if self.kind == "str":
            return self.doc or "a string"
        return {
            "int": "a whole number, 0 or more",
            "number": "a number, 0 or more",
            "strs": "an array of strings",
            "globs": 'an array of capability globs such as ["notes.get", "self.**"]',
            "strmap": "a table of strings",
        }.get(self.kind, "a table")

    def schema(self) -> dict[str, Any]:
        """This field as JSON Schema."""
        out: dict[str, Any] = {"description": self.doc} if self.doc else {}
        if self.kind == "str":
            out["type"] = "string"
            out["maxLength"] = self.max_len
            if self.enum:
                out["enum"] = list(self.enum)
            elif self.pattern:
                out["pattern"] = f"^({self.pattern})$"
        elif self.kind in ("int", "number"):
            out.update(type="integer" if self.kind == "int" else "number", minimum=0, maximum=10**12)
        elif self.kind in ("strs", "globs"):
            item: dict[str, Any] = {"type": "string", "maxLength": self.max_len}
            if self.kind == "globs":
                item = {"type": "string", "maxLength": MAX_GLOB_CHARS, "pattern": f"^({GLOB})$"}
            out.update(type="array", items=item, maxItems=MAX_GLOBS if self.kind == "globs" else MAX_ITEMS)
        elif self.kind == "strmap":
            out.update(type="object", additionalProperties={"type": "string"})
        elif self.kind == "names":
            entry = Field("table", fields=self.fields, open=self.open).schema()
            out.update(
                type="object",
                maxProperties=MAX_ENTRIES,
                propertyNames={"pattern": f"^({self.key_pattern})$"},
                additionalProperties=entry,
            )
        else:
            out["type"] = "object"
            out["properties"] = {name: spec.schema() for name, spec in self.fields.items()}
            required = [name for name, spec in self.fields.items() if spec.required]
            if required:
                out["required"] = required
            out["additionalProperties"] = self.open
        return out


class _Shown:
    """A value as an error message shows it (" 3", ' "text"'), formatted only when a message is written."""

    __slots__ = ("secret", "value")

    def __init__(self, value: Any, secret: bool) -> None:
        self.value = value
        self.secret = secret

    def __format__(self, spec: str) -> str:
        return "" if self.secret else " " + _short(self.value)


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _agent_fields() -> dict[str, Field]:
    """What a process and a template declare."""
    return {
        "goal": Field("str", "what the process works towards", max_len=MAX_TEXT),
        "model": Field("str", "a name from [models]", pattern=NAME),
        "system": Field("str", "its system prompt", max_len=MAX_TEXT),
        "system_file": Field("str", "a file holding its system prompt, relative to this file", max_len=4096),
        "backend": Field("str", '"llm", "human" or "python:NAME"', pattern=BACKEND),
        "can": Field("globs", "what it may call (replaces the default self.**, help, contexts, send ...)"),
        "approve": Field("globs", "calls that wait for a person's approval"),
        "budget": Field(
            "table",
            "what it may spend over its whole life",
            fields={
                "steps": Field("int", "model steps"),
                "tokens": Field("int", "tokens the model reported"),
                "seconds": Field("number", "seconds of running"),
            },
        ),
        "templates": Field("strs", "the [templates] it may spawn", max_len=64),
        "mcp": Field("strs", "the [mcp] servers whose tools it may call", max_len=64),
    }


TOP = Field(
    "table",
    fields={
        "schema": Field("int", "the file format's version: 1"),
        "modules": Field("strs", "extension modules to load", max_len=128),
        "models": Field(
            "names",
            "models by name",
            fields={
                "model": Field("str", "the model's name at its endpoint", required=True, max_len=256),
                "base_url": Field("str", "an OpenAI-compatible endpoint", max_len=2048, pattern=r"https?://\S+"),
                "api": Field("str", '"chat" or "responses"', enum=("chat", "responses")),
                "api_key_env": Field(
                    "str", "the NAME of the environment variable holding the key", pattern=ENV_NAME, secret=True
                ),
                "tool": Field("str", '"custom" or "function"', enum=("custom", "function")),
            },
        ),
        "contexts": Field(
            "names",
            "contexts by path",
            key_pattern=PATH,
            open=True,
            fields={"type": Field("str", "a registered context type", required=True, pattern=NAME)},
        ),
        "processes": Field("names", "processes by path", key_pattern=PATH, fields=_agent_fields()),
        "templates": Field("names", "reusable process definitions", fields=_agent_fields()),
        "mcp": Field(
            "names",
            "MCP servers by name",
            fields={
                "command": Field("str", "the program to start", max_len=4096),
                "args": Field("strs", "its arguments", max_len=4096),
                "env": Field("strmap", "its environment"),
                "url": Field("str", "or the server's URL", max_len=2048, pattern=r"https?://\S+"),
                "tools": Field("strs", "only these tools", max_len=128),
            },
        ),
    },
)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of `scint.toml` (as the TOML document's JSON equivalent)."""
    out = TOP.schema()
    out["properties"]["schema"]["enum"] = [1]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://scint.dev/scint.schema.json",
        "title": "scint.toml: models, contexts and agents declared in a file",
        **out,
    }


if __name__ == "__main__":  # regenerate the shipped file
    SCHEMA_PATH.write_text(json.dumps(json_schema(), indent=2) + "\n", encoding="utf-8")
