"""eventsourcing's SQLite persistence module, with connections that survive an interrupted transaction:
`PERSISTENCE_MODULE=scint.store.sqlite`.

eventsourcing's SQLiteTransaction runs BEGIN in `__enter__` and rolls back in `__exit__`. An exception arriving
between the two (Ctrl-C at the wrong moment) can skip the rollback, and the connection goes back to the pool still
inside its transaction: every later BEGIN on it raised the raw `sqlite3.OperationalError: cannot start a
transaction within a transaction`, and its open write transaction held SQLite's lock against every other writer.
Here a connection first rolls back such a leftover (never committed, so nothing recorded is lost), each time it is
used.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from eventsourcing import sqlite as _sqlite

if TYPE_CHECKING:
    from eventsourcing.utils import Environment, EnvType

__all__ = ["Factory", "SQLiteConnection"]


class SQLiteConnection(_sqlite.SQLiteConnection):
    """A pooled connection that rolls back a transaction an interrupted user left open before starting its own."""

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[_sqlite.SQLiteCursor]:
        if self._sqlite_conn.in_transaction:
            self._sqlite_conn.rollback()
        with super().transaction(commit=commit) as cursor:
            yield cursor


class Factory(_sqlite.SQLiteFactory):
    """eventsourcing's SQLite factory whose pool hands out `SQLiteConnection`s."""

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        pool = self.datastore.pool
        create = pool._create_connection

        def create_connection() -> SQLiteConnection:
            conn = create()
            conn.__class__ = SQLiteConnection
            return conn  # type: ignore[return-value]

        pool._create_connection = create_connection  # type: ignore[method-assign]
