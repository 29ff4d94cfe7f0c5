"""SQLite connections survive an interrupted transaction: a pooled connection left inside a transaction (Ctrl-C
between eventsourcing's BEGIN and its rollback) made every later use raise the raw `sqlite3.OperationalError:
cannot start a transaction within a transaction`. Now the leftover is rolled back (it was never committed)."""

from __future__ import annotations

from pathlib import Path

import pytest

import scint


@pytest.mark.parametrize("uncommitted_write", [False, True])
@pytest.mark.parametrize("is_writer", [True, False])
def test_a_connection_left_inside_a_transaction_is_rolled_back_before_its_next_use(
    tmp_path: Path, is_writer: bool, uncommitted_write: bool
) -> None:
    with scint.open(f"sqlite:///{tmp_path}/s.db") as s:
        s.run('create_context("a")')
        pool = s.app.recorder.datastore.pool
        for _ in range(3):  # every pooled connection, one after another
            conn = pool.get_connection(is_writer=is_writer)
            conn._sqlite_conn.execute("BEGIN")
            if uncommitted_write:
                conn._sqlite_conn.execute(
                    "INSERT INTO stored_events VALUES (?, ?, ?, ?)", ("a" * 32, 99, "junk", b"{}")
                )
            pool.put_connection(conn)
            s.run('a.put(key="k", value=1)')
        assert s.view().get("a") == {"data": {"k": 1}}
        assert s.version == 4
    with scint.open(f"sqlite:///{tmp_path}/s.db") as fresh:
        assert fresh.version == 4
        assert [e.events for e in fresh.log()] == [1, 1, 1, 1]
