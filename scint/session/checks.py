"""The store behind a session (the eventsourcing Application) and the checks its public arguments get."""

from __future__ import annotations

import json
import os
import random
import re
import time
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import Transcoder

from scint.contexts.types import is_json
from scint.core.history import check_branch_name
from scint.core.map import ScintTranscoder
from scint.errors import HistoryError, ScintError, StoreError

PATH_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}(\.[A-Za-z][A-Za-z0-9_]{0,63}){0,16}")
_VERSION_RE = re.compile(r"[0-9]{1,18}")


class ScintApp(Application):
    """The eventsourcing Application behind a session (one per store)."""

    name = "Scint"
    is_snapshotting_enabled = True

    def construct_transcoder(self) -> Transcoder:
        return ScintTranscoder()


def open_app(env: dict[str, str], url: str) -> ScintApp:
    """The Application on a store. Several processes opening a new store at once may race on creating its tables
    (PostgreSQL answers "tuple concurrently updated"); such a race is retried, anything else is reported."""
    for attempt in range(6):
        try:
            return ScintApp(env=env)
        except ScintError:
            raise
        except Exception as exc:
            text = str(exc).lower()
            if attempt < 5 and ("concurrently" in text or "deadlock" in text or "already exists" in text):
                time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
                continue
            raise StoreError(f"cannot open the store {url}: {exc}") from exc
    raise AssertionError("unreachable")  # pragma: no cover


def parse_ref(ref: Any) -> tuple[str | None, int | None]:
    """A history reference: an int version (this branch), "branch", or "branch@version"."""
    if isinstance(ref, bool):
        raise HistoryError(f"{ref!r} is not a branch or version")
    if isinstance(ref, int):
        return None, ref
    if not isinstance(ref, str):
        raise HistoryError(f"{ref!r} is not a branch or version")
    name, sep, at = ref.partition("@")
    if sep:
        if not _VERSION_RE.fullmatch(at):  # ASCII digits only: "²".isdigit() is True, and int("²") fails
            raise HistoryError(f"{ref!r}: write branch@version with a whole number, e.g. main@12")
        return check_branch_name(name), int(at)
    return check_branch_name(name), None


def storable(value: Any) -> bool:
    """Whether a value given beside a program (its actor, its request) can be recorded: JSON-like data whose text
    is valid Unicode (no lone surrogate)."""
    if type(value) is str:  # the common case (an actor): valid text exactly when it encodes
        try:
            value.encode()
        except UnicodeEncodeError:
            return False
        return True
    if not is_json(value):
        return False
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except (UnicodeEncodeError, ValueError):
        return False
    return True


def as_path(value: Any) -> Path:
    if not isinstance(value, (str, os.PathLike)):
        raise HistoryError(f"a file path is a string or a pathlib.Path, not {type(value).__name__}")
    return Path(value)


def as_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise HistoryError(f"`{name}` must be a whole number, not {value!r}")
    return value
