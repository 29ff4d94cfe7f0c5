"""The LMDB key layout marker (scint/store/_keys.py): new stores key a UUID by its 16 bytes (layout 2, marked
in `{app}:meta`); stores written before the marker keep their text keys (layout 1) for reads and writes alike."""

from __future__ import annotations

import shutil
from pathlib import Path
from struct import pack
from typing import Any
from uuid import UUID, uuid4

import lmdb
import pytest
from eventsourcing.persistence import InfrastructureFactory, IntegrityError, StoredEvent

import scint
from scint.errors import StoreError
from scint.store._keys import KEY_LAYOUT
from scint.store.lmdb import LMDBApplicationRecorder, LMDBFactory

V1 = Path(__file__).parent / "v1_stores"


def make_factory(path: Path) -> LMDBFactory:
    factory = InfrastructureFactory.construct({"PERSISTENCE_MODULE": "scint.store.lmdb", "LMDB_PATH": str(path)})
    assert isinstance(factory, LMDBFactory)
    return factory


def ev(originator_id: UUID | str, version: int) -> StoredEvent:
    return StoredEvent(originator_id=originator_id, originator_version=version, topic="t", state=b"{}")


@pytest.fixture
def factory(tmp_path: Path) -> Any:
    f = make_factory(tmp_path / "store")
    yield f
    f.close()


def raw(factory: LMDBFactory, name: str) -> dict[bytes, bytes]:
    store = factory._lease.store
    db = store.db(name)
    return store.read(lambda txn: dict(txn.cursor(db=db).iternext()))


def test_a_new_store_keys_uuids_by_their_16_bytes(factory: LMDBFactory) -> None:
    recorder = factory.application_recorder()
    assert isinstance(recorder, LMDBApplicationRecorder)
    u = uuid4()
    assert recorder.insert_events([ev(u, 1), ev(u, 2), ev("plain", 1)]) == [1, 2, 3]
    assert raw(factory, "stored:meta") == {KEY_LAYOUT: b"2"}
    keys = [b"\xff" + u.bytes + pack(">Q", 1), b"\xff" + u.bytes + pack(">Q", 2), b"\x00\x05plain" + pack(">Q", 1)]
    assert sorted(raw(factory, "stored:events")) == sorted(keys)
    assert list(raw(factory, "stored:notifications").values()) == keys
    assert [(e.originator_id, e.originator_version) for e in recorder.select_events(u)] == [(u, 1), (u, 2)]
    assert [e.originator_version for e in recorder.select_events(u, desc=True, lte=1)] == [1]
    notes = recorder.select_notifications(1, 10)
    assert [(n.originator_id, type(n.originator_id)) for n in notes] == [(u, UUID), (u, UUID), ("plain", str)]
    with pytest.raises(IntegrityError, match=f"event version 2 of '{u}' is already recorded"):
        recorder.insert_events([ev(u, 3), ev(u, 2)])
    with pytest.raises(IntegrityError, match=f"holds event version 4 of '{u}' more than once"):
        recorder.insert_events([ev(u, 4), ev(u, 4)])


def test_uuid_text_shares_the_uuid_key_as_it_did(factory: LMDBFactory) -> None:
    """Layout 1 keyed an id by its text, so a UUID and its canonical text were one aggregate: still so."""
    recorder = factory.application_recorder()
    u = uuid4()
    recorder.insert_events([ev(str(u), 1), ev(str(u).upper(), 1)])
    assert sorted(raw(factory, "stored:events")) == sorted(
        [b"\xff" + u.bytes + pack(">Q", 1), b"\x00\x24" + str(u).upper().encode() + pack(">Q", 1)]
    )
    with pytest.raises(IntegrityError, match="already recorded"):
        recorder.insert_events([ev(u, 1)])
    assert [e.originator_version for e in recorder.select_events(str(u))] == [1]
    assert [n.originator_id for n in recorder.select_notifications(1, 10)] == [str(u), str(u).upper()]


def test_snapshots_follow_the_same_layout(factory: LMDBFactory) -> None:
    snapshots = factory.aggregate_recorder("snapshots")  # first: it marks the application
    recorder = factory.application_recorder()
    u = uuid4()
    snapshots.insert_events([ev(u, 5)])
    recorder.insert_events([ev(u, 1)])
    assert list(raw(factory, "stored:snapshots")) == [b"\xff" + u.bytes + pack(">Q", 5)]
    assert [e.originator_version for e in snapshots.select_events(u)] == [5]
    assert raw(factory, "stored:meta") == {KEY_LAYOUT: b"2"}


def test_an_unknown_layout_is_refused(factory: LMDBFactory) -> None:
    store = factory._lease.store
    meta = store.db("stored:meta")
    store.write(lambda txn: txn.put(KEY_LAYOUT, b"9", db=meta))
    with pytest.raises(StoreError, match="key layout b'9' is not known"):
        factory.application_recorder()


def test_an_old_store_keeps_its_text_keys(tmp_path: Path) -> None:
    shutil.copytree(V1 / "lmdb", tmp_path / "lmdb")
    with scint.open(f"lmdb:///{tmp_path}/lmdb") as s:
        before = s.version
        s.run('notes.put(key="new", value=1)')
        s.run('create_context("more")')
        head = s.view().render("json")
    env = lmdb.open(str(tmp_path / "lmdb"), max_dbs=16, readonly=True, lock=False)
    try:
        with env.begin() as txn:
            meta = env.open_db(b"scint:meta", txn=txn, create=False)
            assert txn.get(KEY_LAYOUT, db=meta) is None
            events = env.open_db(b"scint:events", txn=txn, create=False)
            keys = [key for key, _ in txn.cursor(db=events)]
    finally:
        env.close()
    assert len(keys) >= before + 2 and all(key[:2] == b"\x00\x24" for key in keys)  # 36 characters each
    with scint.open(f"lmdb:///{tmp_path}/lmdb") as s:
        assert s.version >= before + 2 and s.view().render("json") == head
        assert s.replay().render("json") == head
