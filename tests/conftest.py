"""Shared fixtures: one parametrised `session` over every store backend, and registered test types.

Backends: "memory://" and "sqlite:///<tmp>/s.db" always; "lmdb:///<tmp>/lmdb" whenever `scint.store.lmdb` is
importable. An lmdb module that exists but does not work makes the lmdb tests fail, never skip.
Every store lives under the test's own tmp_path, so the suite runs under `pytest -n auto`.
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import scint
from scint.contexts import registry
from tests.support.types import WorkCounter


def _has_lmdb_module() -> bool:
    try:
        return importlib.util.find_spec("scint.store.lmdb") is not None
    except ModuleNotFoundError:  # scint.store itself is missing
        return False


PERSISTENT_BACKENDS = ["sqlite", *(["lmdb"] if _has_lmdb_module() else []), "postgres"]
BACKENDS = ["memory", *PERSISTENT_BACKENDS]

# PostgreSQL: the local server (CI starts it), one fresh schema per store, dropped when the test run ends.
PG_SERVER = os.environ.get("SCINT_TEST_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")
PG_DATABASE = os.environ.get("SCINT_TEST_PG_DATABASE", "test")
_pg_schemas: list[str] = []


def _pg_url() -> str:
    import psycopg

    schema = "scint_" + uuid.uuid4().hex[:16]
    with psycopg.connect(f"{PG_SERVER}/{PG_DATABASE}", autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    _pg_schemas.append(schema)
    return f"{PG_SERVER}/{PG_DATABASE}?schema={schema}&pool_size=2&max_overflow=2"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _pg_schemas:
        return
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/{PG_DATABASE}", autocommit=True) as conn:
        for schema in _pg_schemas:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def url_for(backend: str, directory: Path) -> str:
    """The store URL of `backend` in `directory` (an absolute path, so the URL has four slashes)."""
    if backend == "memory":
        return "memory://"
    if backend == "sqlite":
        return f"sqlite:///{directory}/s.db"
    if backend == "lmdb":
        return f"lmdb:///{directory}/lmdb"
    if backend == "postgres":
        return _pg_url()
    raise ValueError(backend)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def store_url(backend: str, tmp_path: Path) -> str:
    return url_for(backend, tmp_path)


@pytest.fixture
def open_session(store_url: str) -> Iterator[Callable[..., scint.Session]]:
    """Opens sessions on this test's store (each call a new Session); closes them all afterwards."""
    opened: list[scint.Session] = []

    def open_(**kwargs: object) -> scint.Session:
        s = scint.open(store_url, **kwargs)  # type: ignore[arg-type]
        opened.append(s)
        return s

    yield open_
    for s in reversed(opened):
        s.close()


@pytest.fixture
def session(open_session: Callable[..., scint.Session]) -> scint.Session:
    """A fresh session on an empty store, once per backend."""
    return open_session()


@pytest.fixture(params=PERSISTENT_BACKENDS)
def persistent_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store URL whose data outlives the session (sqlite, lmdb)."""
    return url_for(request.param, tmp_path)


@pytest.fixture(scope="session")
def new_store_url(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], str]:
    """A fresh store URL of a backend on every call (for property tests, which may not use function fixtures)."""

    def make(backend: str) -> str:
        return url_for(backend, tmp_path_factory.mktemp(backend))

    return make


# -- test context types -------------------------------------------------------------------------------------------


class Counter(WorkCounter):
    """Counts things."""  # the SPEC's Counter, under its own name (the fields and actions are WorkCounter's)


@pytest.fixture
def register_type() -> Iterator[Callable[[type[scint.Context]], type[scint.Context]]]:
    """`register_type(cls)` registers a context type for this test only."""
    names: list[str] = []

    def register(cls: type[scint.Context]) -> type[scint.Context]:
        assert cls.__scint_type__ not in registry.registered(), f"{cls.__scint_type__} is already registered"
        scint.register(cls)
        names.append(cls.__scint_type__)
        return cls

    yield register
    for name in names:
        registry.unregister(name)


@pytest.fixture
def counter(register_type: Callable[[type[scint.Context]], type[scint.Context]]) -> type[Counter]:
    """The SPEC's Counter, registered as "Counter" for this test."""
    register_type(Counter)
    return Counter


@pytest.fixture
def servers() -> Iterator[tuple[Any, Any]]:
    """Two loopback OpenAI-compatible servers (FakeOpenAI, tests/llm/conftest.py), closed afterwards."""
    from tests.llm.conftest import FakeOpenAI  # imported here: that module imports this one

    a, b = FakeOpenAI(), FakeOpenAI()
    yield a, b
    a.close()
    b.close()
