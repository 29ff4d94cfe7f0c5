"""How scint.store.lmdb keys spell an originator id: the key layouts, and each application's marker of its own."""

from __future__ import annotations

from struct import Struct
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import DataError

from scint.errors import StoreError

if TYPE_CHECKING:
    from scint.store._env import Store

_U16 = Struct(">H")
MAX_ID_BYTES = 400  # LMDB keys are at most 511 bytes


def _canonical_uuid(text: str) -> UUID | None:
    """The UUID whose canonical text `text` is, if it is one (its key is then the UUID's, as it always was)."""
    if len(text) != 36:
        return None
    try:
        value = UUID(text)
    except ValueError:
        return None
    return value if str(value) == text else None


class Keys:
    """How a store's keys spell an originator id (its layout, `KEY_LAYOUT` in the `{app}:meta` sub-database).

    Layout 1 (no marker: every store written before layout 2): `pack(">H", len(id)) + id`, the id as text.
    Layout 2: a UUID (or its canonical text) as `b"\\xff" + its 16 bytes`, anything else as in layout 1 (whose
    first byte is 0 or 1, as ids are at most 400 bytes long, so the two never meet). Ids and their encodings
    repeat across batches (a session writes one branch), so they are kept; bounded."""

    __slots__ = ("cache", "raw_uuids")

    def __init__(self, raw_uuids: bool) -> None:
        self.raw_uuids = raw_uuids
        self.cache: dict[UUID | str, bytes] = {}

    def prefix(self, originator_id: UUID | str) -> bytes:
        prefix = self.cache.get(originator_id)
        if prefix is None:
            prefix = self._prefix(originator_id)
            if len(self.cache) >= CACHED:
                self.cache.clear()
            self.cache[originator_id] = prefix
        return prefix

    def _prefix(self, originator_id: UUID | str) -> bytes:
        if self.raw_uuids:
            value = originator_id if isinstance(originator_id, UUID) else _canonical_uuid(originator_id)
            if value is not None:
                return RAW_UUID + value.bytes
        raw = str(originator_id).encode()
        if len(raw) > MAX_ID_BYTES:
            raise DataError(f"originator id is {len(raw)} bytes long; at most {MAX_ID_BYTES} are supported")
        return _U16.pack(len(raw)) + raw


RAW_UUID = b"\xff"
CACHED = 1024
LAYOUTS = {1: Keys(raw_uuids=False), 2: Keys(raw_uuids=True)}
KEY_LAYOUT = b"key_layout"  # in `{app}:meta`: b"2" for layout 2; absent in stores written before it
NEW_STORES = 2  # the layout an application starts with when it has no events yet


def key_layout(store: Store, app: str) -> int:
    """The application's key layout: its marker, else 1 if it has events (written before layouts had
    markers), else (a new application) `NEW_STORES`, marked in the same transaction that checked."""
    meta, events = store.db(f"{app}:meta"), store.db(f"{app}:events")

    def marked(txn: Any) -> int | None:
        value = txn.get(KEY_LAYOUT, db=meta)
        if value is not None:
            if value not in (b"1", b"2"):
                raise StoreError(f"this store's key layout {value!r} is not known to this Scint (upgrade it)")
            return int(value)
        return 1 if txn.stat(events)["entries"] else None

    layout = store.read(marked)
    if layout is not None:
        return layout

    def mark(txn: Any) -> int:
        layout = marked(txn)
        if layout is None:
            layout = NEW_STORES
            txn.put(KEY_LAYOUT, str(layout).encode(), db=meta)
        return layout

    return store.write(mark)
