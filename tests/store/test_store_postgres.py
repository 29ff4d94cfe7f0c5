"""postgresql:// URLs drive eventsourcing's own PostgreSQL module against the real server on 127.0.0.1:5432.

These tests do not skip: start the server with
`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` if it is down.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from scint.store import environment_for_url

pytestmark = pytest.mark.postgres

SERVER = "postgresql://postgres@127.0.0.1:5432/test"


def _connect() -> psycopg.Connection:
    try:
        return psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True)
    except psycopg.OperationalError as e:
        pytest.fail(
            f"PostgreSQL on 127.0.0.1:5432 (database 'test') is not reachable: {e}. Start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`"
        )


@pytest.fixture
def schema() -> Iterator[str]:
    name = f"scint_test_{uuid.uuid4().hex[:12]}"
    with _connect() as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield name
    finally:
        with _connect() as conn:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


class Note(Aggregate):
    def __init__(self, text: str) -> None:
        self.text = text

    @event("Edited")
    def edit(self, text: str) -> None:
        self.text = text


def test_postgres_url_runs_an_application(schema: str) -> None:
    env = environment_for_url(f"{SERVER}?schema={schema}")
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    app = Application(env=env)
    try:
        note = Note("one")
        note.edit("two")
        app.save(note)
        assert app.repository.get(note.id).text == "two"
        assert [n.id for n in app.recorder.select_notifications(None, 10)] == [1, 2]

        stale = app.repository.get(note.id)
        note.edit("three")
        app.save(note)
        stale.edit("conflict")
        with pytest.raises(IntegrityError):  # optimistic concurrency, as with LMDB
            app.save(stale)
    finally:
        app.close()

    with _connect() as conn:
        tables = {
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
            )
        }
    assert "application_events" in tables  # the data went into the fresh schema

    app = Application(env=env)  # and it is there for the next process
    try:
        assert app.repository.get(note.id).text == "three"
    finally:
        app.close()


def test_postgres_subscription(schema: str) -> None:
    app = Application(env=environment_for_url(f"{SERVER}?schema={schema}"))
    try:
        note = Note("hello")
        app.save(note)
        with app.recorder.subscribe(gt=None) as subscription:
            assert next(subscription).originator_id == note.id
    finally:
        app.close()
