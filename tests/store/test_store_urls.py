"""Store URLs -> eventsourcing settings."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest

from scint.errors import StoreError
from scint.store import default_url, environment_for_url


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("lmdb://", ".scint"),
        ("lmdb:///", ".scint"),
        ("lmdb:///.scint", ".scint"),
        ("lmdb:///rel/dir", "rel/dir"),
        ("lmdb:////abs/dir", "/abs/dir"),
        ("LMDB:///with%20space", "with space"),
    ],
)
def test_lmdb_urls(url: str, path: str, in_tmp: Path) -> None:
    assert environment_for_url(url) == {
        "PERSISTENCE_MODULE": "scint.store.lmdb",
        "LMDB_PATH": os.path.join(str(in_tmp), path) if not path.startswith("/") else path,
    }


def test_lmdb_options(in_tmp: Path) -> None:
    env = environment_for_url("lmdb:///s?sync=fast&map_size=1G")
    assert (env["LMDB_SYNC"], env["LMDB_MAP_SIZE"]) == ("fast", "1G")


def test_memory_url() -> None:
    assert environment_for_url("memory://") == {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def test_sqlite_urls(in_tmp: Path) -> None:
    env = environment_for_url("sqlite:///data/store.db")
    assert env == {"PERSISTENCE_MODULE": "scint.store.sqlite", "SQLITE_DBNAME": str(in_tmp / "data/store.db")}
    assert (in_tmp / "data").is_dir()  # parent created
    absolute = in_tmp / "abs" / "x.db"
    assert environment_for_url(f"sqlite:///{absolute}")["SQLITE_DBNAME"] == str(absolute)  # four slashes
    memory = environment_for_url("sqlite:///:memory:")["SQLITE_DBNAME"]
    assert memory.startswith("file:scint-") and "mode=memory" in memory
    assert memory != environment_for_url("sqlite:///:memory:")["SQLITE_DBNAME"]  # private: one per store


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "SQLITE://", "sqlite://?", "sqlite:///data/"])
def test_a_sqlite_url_without_a_file_is_refused_not_kept_in_memory(url: str, in_tmp: Path) -> None:
    with pytest.raises(StoreError, match="sqlite:///") as info:
        environment_for_url(url)
    assert "memory" in str(info.value) or "directory" in str(info.value)
    assert not (in_tmp / "data").exists()


def test_postgres_urls() -> None:
    assert environment_for_url("postgresql://alice:s%40cret@db.example:6543/scint?schema=app&pool_size=3") == {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": "scint",
        "POSTGRES_HOST": "db.example",
        "POSTGRES_PORT": "6543",
        "POSTGRES_USER": "alice",
        "POSTGRES_PASSWORD": "s@cret",
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_SCHEMA": "app",
        "POSTGRES_POOL_SIZE": "3",
    }
    env = environment_for_url("postgres://bob@localhost/db")
    assert (env["POSTGRES_PORT"], env["POSTGRES_PASSWORD"], env["POSTGRES_USER"]) == ("5432", "", "bob")
    assert environment_for_url("postgresql://u@/db?host=/var/run/postgresql")["POSTGRES_HOST"] == "/var/run/postgresql"


def test_postgres_without_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name.startswith("psycopg") else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(StoreError, match=r"pip install 'scint\[postgres\]'"):
        environment_for_url("postgresql://postgres@127.0.0.1/test")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h/db", "unknown store scheme 'mysql'"),
        ("./store", r"not a store URL \(for a directory, write lmdb:///./store\)"),
        ("", "not a store URL"),
        ("lmdb://host/dir", "lmdb URLs have no host"),
        ("sqlite://host/x.db", "sqlite URLs have no host"),
        ("lmdb:///x?color=red", "unknown option 'color'"),
        ("memory://x", "in-memory store takes no path"),
        ("postgresql://u@localhost", "name one database"),
        ("postgresql://u@localhost/", "name one database"),
        ("postgresql://u@localhost:99999/db", "port must be a number"),
        ("postgresql://u@localhost:x/db", "port must be a number"),
        ("postgresql:///db", "name the server"),
        ("postgresql://u@h/db?sslmode=require", "unknown option 'sslmode'"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        environment_for_url(url)


def test_sqlite_directory_is_rejected(in_tmp: Path) -> None:
    (in_tmp / "d").mkdir()
    with pytest.raises(StoreError, match="is a directory"):
        environment_for_url("sqlite:///d")


def test_default_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCINT_STORE", raising=False)
    assert default_url() == "lmdb:///.scint"
    monkeypatch.setenv("SCINT_STORE", "memory://")
    assert default_url() == "memory://"


@pytest.mark.parametrize("url", ["memory://", "lmdb:///s", "sqlite:///s.db", "sqlite:///:memory:"])
def test_every_local_url_opens_an_application(url: str) -> None:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate

    app = Application(env=environment_for_url(url))
    try:
        aggregate = Aggregate()
        app.save(aggregate)
        assert app.repository.get(aggregate.id).version == 1
        assert app.recorder.max_notification_id() == 1
    finally:
        app.close()
