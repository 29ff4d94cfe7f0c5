"""Fixtures for the web view: a store with some history (LMDB and SQLite), and a TestClient on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import scint
from scint.ui.app import create_app
from tests.conftest import url_for

EVIL = "<script>alert(1)</script>"
BASE = "http://127.0.0.1:8765"


@pytest.fixture(params=["lmdb", "sqlite"])
def ui_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return url_for(request.param, tmp_path)


@pytest.fixture
def ui_session(ui_url: str) -> Iterator[scint.Session]:
    """main: 1-2 notes (two statements), 3 a hostile key and value, 4-6 a thread, a process and its task;
    what-if forks main at 3 and adds version 4."""
    with scint.open(ui_url) as s:
        s.run('create_context("notes")\nnotes.put(key="milk", value={"qty": 2})')
        s.run(f"notes.put(key={scint.dsl.quote(EVIL)}, value={scint.dsl.quote(EVIL + '&amp;')})")
        s.branch("what-if", at=3)
        s.run(
            'create_context("research", type="Thread")\n'
            f'create_context("lit", type="Process", parent="research", goal={scint.dsl.quote(EVIL)})\n'
            f"research.lit.add_task(title={scint.dsl.quote(EVIL)})"
        )
        other = scint.open(ui_url, branch="what-if")
        other.run('notes.put(key="eggs", value=6)')
        other.close()
        yield s


@pytest.fixture
def make_client(ui_session: scint.Session) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(session: scint.Session | None = None, **kwargs: Any) -> TestClient:
        client = TestClient(create_app(session or ui_session, **kwargs), base_url=BASE)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()
