"""Fixtures for the backends (SPEC 11): a session on SQLite and on LMDB (stores that encode every event, and that
can be reopened), and registered `python:NAME` backends that count their calls and are forgotten afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import scint
from scint.modules import unregister_backend
from tests.conftest import url_for

STORES = ["sqlite", "lmdb"]


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return url_for(request.param, tmp_path)


@pytest.fixture
def s(store_url: str) -> Iterator[scint.Session]:
    with scint.open(store_url) as session:
        yield session


class Calls:
    """Every call of the registered backends: (backend name, message) in order."""

    def __init__(self) -> None:
        self.made: list[tuple[str, dict[str, Any]]] = []
        self.views: list[Any] = []

    def __len__(self) -> int:
        return len(self.made)

    def of(self, name: str) -> list[dict[str, Any]]:
        return [m for n, m in self.made if n == name]


@pytest.fixture
def backends() -> Iterator[tuple[Calls, Callable[[str, Callable[..., Any]], None]]]:
    """(calls, register): `register(name, fn)` registers `fn` as `python:name`, counting its calls."""
    calls = Calls()
    names: list[str] = []

    def register(name: str, fn: Callable[..., Any]) -> None:
        def counted(message: dict[str, Any], view: Any) -> Any:
            calls.made.append((name, message))
            calls.views.append(view)
            return fn(message, view)

        names.append(name)
        scint.register_backend(name, counted)

    yield calls, register
    for name in names:
        unregister_backend(name)
