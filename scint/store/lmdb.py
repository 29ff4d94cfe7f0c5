"""An eventsourcing persistence module on LMDB: `PERSISTENCE_MODULE=scint.store.lmdb`.

Settings (eventsourcing reads `APPNAME_KEY` before `KEY`):

- `LMDB_PATH`: the store directory (created if missing; default `./.scint`).
- `LMDB_MAP_SIZE`: the initial map reservation, bytes or `64M`/`1G`/`1T` (default 1 TiB on 64-bit: sparse, costs
  nothing). The map grows by doubling whenever it fills, so no size ever fails a write.
- `LMDB_SYNC`: `durable` (default; a write that returned survives a process crash and power loss) or `fast`
  (survives a process crash only).

Layout, per application (`{app}` is the application name in lower case, or `stored`), in named sub-databases:
`{app}:events` and `{app}:snapshots` map `id_key + pack(">Q", version)` to
`flags(1) + pack(">H", len(topic)) + topic + state`, or, for the well-known topics of `TOPICS`, to
`flags(1) + code(1) + state` (flag 2 says which; stores written before the codes hold the first form and are read
as they are); `{app}:notifications` maps `pack(">Q", notification_id)` to the
event's key; `{app}:tracking` maps an upstream application name to `pack(">Q", max notification id)`;
`{app}:meta` maps `key_layout` to the layout of `id_key` (`Keys`): `b"2"` (a UUID as `b"\\xff"` + its 16 bytes,
other ids as `pack(">H", len(id)) + id`), written when a recorder first opens an application without events;
applications with events and no marker (written before the marker) keep layout 1 (every id as
`pack(">H", len(id)) + id`) and are read and written as they are.

Writers are serialised by LMDB (across processes), so notification ids are contiguous and never interleave.
Many processes may share one store; each opens it once. Within a process, concurrent writers share one write
transaction and its two barriers (group commit, scint/store/_group.py): each batch of events is still checked
and rolled back on its own. `submit_events` + `settle` split an insert in two, so that a session can run its next
program while the last one's commit is in flight (SPEC 7's promise holds: a program is acknowledged only once
durable).
"""

from __future__ import annotations

import struct
import threading
from struct import Struct
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    DataError,
    InfrastructureFactory,
    IntegrityError,
    ListenNotifySubscription,
    Notification,
    ProcessRecorder,
    StoredEvent,
    Subscription,
    Tracking,
    TrackingRecorder,
)
from eventsourcing.utils import resolve_topic

from scint.errors import StoreError
from scint.store._env import Lease, Settings
from scint.store._keys import CACHED, LAYOUTS, RAW_UUID, Keys, key_layout

if TYPE_CHECKING:
    from collections.abc import Sequence

    from eventsourcing.utils import Environment, EnvType

    from scint.store._env import Store
    from scint.store._group import Ticket

__all__ = [
    "LMDBAggregateRecorder",
    "LMDBApplicationRecorder",
    "LMDBFactory",
    "LMDBProcessRecorder",
    "LMDBSubscription",
    "LMDBTrackingRecorder",
    "Pending",
]

_U16 = Struct(">H")
_U64 = Struct(">Q")
_UUID_FLAG = 1
_CODE_FLAG = 2
# Topics stored as one byte (their codes are part of the stored format: append only, never reorder or reuse).
TOPICS = (
    "",
    "scint.core.map:ContextMap.Applied",
    "scint.core.map:ContextMap.Started",
    "eventsourcing.domain:Snapshot",
    "scint.core.history:BranchIndex.Started",
    "scint.core.history:BranchIndex.Added",
    "scint.core.history:BranchIndex.Switched",
)
_CODES = {topic: code for code, topic in enumerate(TOPICS) if topic}
_VERSION_MAX = (1 << 64) - 1


def _version(version: int) -> bytes:
    if not 0 <= version <= _VERSION_MAX:
        raise DataError(f"originator version {version} is outside 0..2**64-1")
    return _U64.pack(version)


_HEADERS: dict[tuple[str, bool], bytes] = {}


def _header_of(topic: str, is_uuid: bool) -> bytes:
    header = _HEADERS.get((topic, is_uuid))
    if header is None:
        flags = _UUID_FLAG if is_uuid else 0
        code = _CODES.get(topic)
        if code is not None:
            header = bytes((flags | _CODE_FLAG, code))
        else:
            raw = topic.encode()
            header = bytes((flags,)) + _U16.pack(len(raw)) + raw
        if len(_HEADERS) >= CACHED:
            _HEADERS.clear()
        _HEADERS[topic, is_uuid] = header
    return header


def _encode(stored_events: Sequence[StoredEvent], keys: Keys) -> list[tuple[bytes, bytes]]:
    """(key, value) pairs for a batch, keys in the given layout."""
    pack = _U64.pack
    cached, prefix_of = keys.cache.get, keys.prefix
    records = []
    for event in stored_events:
        originator_id = event.originator_id
        is_uuid = isinstance(originator_id, UUID)
        prefix = cached(originator_id) or prefix_of(originator_id)
        header = _HEADERS.get((event.topic, is_uuid)) or _header_of(event.topic, is_uuid)
        try:
            records.append((prefix + pack(event.originator_version), header + event.state))
        except struct.error:
            _version(event.originator_version)  # raises DataError with the reason
            raise
    return records


def _describe(key: bytes) -> str:
    name = str(UUID(bytes=key[1:17])) if key[:1] == RAW_UUID else key[2:-8].decode()
    return f"version {_U64.unpack_from(key, len(key) - 8)[0]} of {name!r}"


class _Duplicate(Exception):
    """Internal: a batch would overwrite an event (the transaction is aborted, then the culprit is named)."""


def _topic_and_state(value: bytes) -> tuple[str, bytes]:
    if value[0] & _CODE_FLAG:
        return TOPICS[value[1]], value[2:]
    end = 3 + _U16.unpack_from(value, 1)[0]
    return value[3:end].decode(), value[end:]


def _decode_id(key: bytes, value: bytes) -> UUID | str:
    if key[:1] == RAW_UUID:
        raw = UUID(bytes=key[1:17])
        return raw if value[0] & _UUID_FLAG else str(raw)
    text = key[2 : 2 + _U16.unpack_from(key)[0]].decode()
    return UUID(text) if value[0] & _UUID_FLAG else text


class Pending:
    """A batch of events submitted to a group commit (scint.store._group), not yet known to be durable."""

    __slots__ = ("events", "records", "store", "ticket")

    def __init__(self, store: Store, events: Any, records: list[tuple[bytes, bytes]], ticket: Ticket) -> None:
        self.store = store
        self.events = events
        self.records = records
        self.ticket = ticket

    @property
    def failed(self) -> bool:
        """True once it is known not to be recorded."""
        return self.ticket.failed

    @property
    def alone(self) -> bool:
        """True once recorded by a transaction that held nothing else (no other writer's events)."""
        return self.ticket.done and self.ticket.alone


class LMDBRecorder:
    """Common base: a lease on the process's environment and the application's sub-database prefix."""

    def __init__(self, lease: Lease, prefix: str = "stored") -> None:
        self._lease = lease
        self._prefix = prefix
        self._handles_of: tuple[Store | None, dict[str, Any]] = (None, {})

    def _name(self, purpose: str) -> str:
        return f"{self._prefix}:{purpose}"

    def change_token(self) -> int:
        """A number that changes whenever anything is committed to the store, by any process (LMDB's last
        transaction id): equal tokens mean nothing was written between them (a cheap check, no transaction)."""
        return self._lease.store.last_txnid()


class LMDBAggregateRecorder(LMDBRecorder, AggregateRecorder):
    """Stores aggregate events (or snapshots): atomic batches, IntegrityError on a duplicate (id, version)."""

    def __init__(self, lease: Lease, prefix: str = "stored", purpose: str = "events") -> None:
        super().__init__(lease, prefix)
        self._events = self._name(purpose)
        self._lease.store.db(self._events)
        self._keys = LAYOUTS[key_layout(self._lease.store, self._prefix)]

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        self._insert(stored_events, **kwargs)
        return None

    def _insert(
        self, stored_events: Sequence[StoredEvent], *, tracking: Tracking | None = None, **_: Any
    ) -> list[int] | None:
        records = _encode(stored_events, self._keys)
        if not records and tracking is None:
            return [] if self._notifications_name() else None
        return self.settle(self._submit(records, tracking, None))[0]

    def submit_events(
        self, stored_events: Sequence[StoredEvent], *, after: Pending | None = None, priority: int = 0
    ) -> Pending:
        """Queue a batch of events for the next group commit and return at once; `settle` waits for it. With
        `after` (an earlier batch, maybe still in flight) it is recorded only if that one is (IntegrityError if
        not): a session runs its next program on top of one being committed. Submissions are recorded in order,
        except that among those that depend on none a higher `priority` goes first (a retried program: it wins a
        conflict within its batch)."""
        return self._submit(_encode(stored_events, self._keys), None, after, priority)

    def _submit(
        self, records: list[tuple[bytes, bytes]], tracking: Tracking | None, after: Pending | None, priority: int = 0
    ) -> Pending:
        store = self._lease.store
        cached, handles = self._handles_of
        if cached is not store:  # first use, or the store was reopened (after fork)
            handles = self._handles(store)
            self._handles_of = (store, handles)
        earlier = after.ticket if after is not None and after.store is store else None
        ticket = store.submit(lambda txn: self._write(txn, handles, records, tracking), earlier, priority)
        return Pending(store, handles["events"], records, ticket)

    def settle(self, pending: Pending) -> tuple[list[int] | None, int]:
        """Wait until a submitted batch is durable: (its notification ids, the LMDB transaction id that recorded
        it). Raises IntegrityError if an event was already recorded (or the batch it came after was not)."""
        store = pending.store
        try:
            ids = store.wait(pending.ticket)
        except _Duplicate:
            raise IntegrityError(self._duplicates(store, pending.events, pending.records)) from None
        self._after_write(store)
        return ids, pending.ticket.txnid

    @staticmethod
    def _duplicates(store: Store, events: Any, records: list[tuple[bytes, bytes]]) -> str:
        keys = [key for key, _ in records]
        seen: set[bytes] = set()
        twice = [key for key in keys if key in seen or seen.add(key)]
        if twice:
            return f"the batch holds event {_describe(twice[0])} more than once"
        recorded = store.read(lambda txn: [key for key in keys if txn.get(key, db=events) is not None])
        return f"event {_describe(recorded[0] if recorded else keys[0])} is already recorded"

    def _notifications_name(self) -> str | None:
        return None

    def _handles(self, store: Store) -> dict[str, Any]:
        return {"events": store.db(self._events)}

    def _write(
        self, txn: Any, handles: dict[str, Any], records: list[tuple[bytes, bytes]], tracking: Tracking | None
    ) -> list[int] | None:
        if len(records) == 1:
            if not txn.put(records[0][0], records[0][1], db=handles["events"], overwrite=False):
                raise _Duplicate
        elif records:
            _, added = txn.cursor(db=handles["events"]).putmulti(records, overwrite=False)
            if added != len(records):
                raise _Duplicate
        return None

    def _after_write(self, store: Store) -> None:
        pass

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        prefix = self._keys.prefix(originator_id)
        if (lte is not None and lte < 0) or (limit is not None and limit <= 0):
            return []
        low = prefix + _U64.pack(gt + 1) if gt is not None and 0 <= gt < _VERSION_MAX else prefix
        if gt is not None and gt >= _VERSION_MAX:
            return []
        store = self._lease.store
        db = store.db(self._events)

        def body(txn: Any) -> list[StoredEvent]:
            results: list[StoredEvent] = []
            cursor = txn.cursor(db=db)
            if desc:
                high = prefix + _U64.pack(lte + 1) if lte is not None and lte < _VERSION_MAX else prefix + b"\xff" * 9
                positioned = cursor.prev() if cursor.set_range(high) else cursor.last()
                items = cursor.iterprev() if positioned else iter(())
            else:
                items = cursor.iternext() if cursor.set_range(low) else iter(())
            for key, value in items:
                if not key.startswith(prefix):
                    break
                version = _U64.unpack_from(key, len(key) - 8)[0]
                if desc:
                    if gt is not None and version <= gt:
                        break
                elif lte is not None and version > lte:
                    break
                topic, state = _topic_and_state(value)
                results.append(StoredEvent(originator_id, version, topic, state))
                if limit is not None and len(results) >= limit:
                    break
            return results

        return store.read(body)


class LMDBApplicationRecorder(LMDBAggregateRecorder, ApplicationRecorder):
    """Events plus the application sequence: contiguous notification ids, subscriptions."""

    def __init__(self, lease: Lease, prefix: str = "stored") -> None:
        super().__init__(lease, prefix, "events")
        self._notifications = self._name("notifications")
        self._lease.store.db(self._notifications)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        return self._insert(stored_events, **kwargs)

    def _notifications_name(self) -> str | None:
        return self._notifications

    def _handles(self, store: Store) -> dict[str, Any]:
        return {"events": store.db(self._events), "notifications": store.db(self._notifications)}

    def _write(
        self, txn: Any, handles: dict[str, Any], records: list[tuple[bytes, bytes]], tracking: Tracking | None
    ) -> list[int] | None:
        super()._write(txn, handles, records, tracking)
        if not records:
            return []
        cursor = txn.cursor(db=handles["notifications"])
        last = _U64.unpack(cursor.key())[0] if cursor.last() else 0
        pack = _U64.pack
        if len(records) == 1:
            cursor.put(pack(last + 1), records[0][0], append=True)
            return [last + 1]
        ids = list(range(last + 1, last + 1 + len(records)))
        cursor.putmulti([(pack(i), key) for i, (key, _) in zip(ids, records, strict=True)], append=True)
        return ids

    def _after_write(self, store: Store) -> None:
        store.notify(self._notifications)

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        if start is None:
            start, inclusive_of_start = 1, True
        if not inclusive_of_start:
            start += 1
        start = max(start, 1)
        if limit <= 0 or start > _VERSION_MAX or (stop is not None and stop < start):
            return []
        wanted = frozenset(topics)
        store = self._lease.store
        events, notifications = store.db(self._events), store.db(self._notifications)

        def body(txn: Any) -> list[Notification]:
            results: list[Notification] = []
            cursor = txn.cursor(db=notifications)
            if not cursor.set_range(_U64.pack(start)):
                return results
            get = txn.get
            for nkey, event_key in cursor.iternext():
                notification_id = _U64.unpack(nkey)[0]
                if stop is not None and notification_id > stop:
                    break
                value = get(event_key, db=events)
                topic, state = _topic_and_state(value)
                if wanted and topic not in wanted:
                    continue
                results.append(
                    Notification(
                        id=notification_id,
                        originator_id=_decode_id(event_key, value),
                        originator_version=_U64.unpack_from(event_key, len(event_key) - 8)[0],
                        topic=topic,
                        state=state,
                    )
                )
                if len(results) >= limit:
                    break
            return results

        return store.read(body)

    def max_notification_id(self) -> int | None:
        store = self._lease.store
        notifications = store.db(self._notifications)

        def body(txn: Any) -> int | None:
            cursor = txn.cursor(db=notifications)
            return _U64.unpack(cursor.key())[0] if cursor.last() else None

        return store.read(body)

    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> Subscription[ApplicationRecorder]:
        return LMDBSubscription(recorder=self, gt=gt, topics=topics)

    def _listen(self, event: threading.Event) -> None:
        self._lease.store.listen(self._notifications, event)

    def _unlisten(self, event: threading.Event) -> None:
        self._lease.store.unlisten(self._notifications, event)


class LMDBSubscription(ListenNotifySubscription[LMDBApplicationRecorder]):
    """Yields notifications after `gt`, then waits for new ones.

    Inserts in this process wake the subscription at once (an Event set after each commit); inserts by other
    processes are found by a bounded poll whose interval backs off from `min_poll` to `max_poll` seconds while
    nothing happens (one cheap read transaction per poll: no busy-spinning).
    """

    min_poll = 0.005
    max_poll = 0.25

    def _loop_on_pull(self) -> None:
        recorder = self._recorder
        event = self._has_been_notified
        recorder._listen(event)
        try:
            self._pull()  # already recorded
            interval = self.min_poll
            while not self._has_been_stopped:
                woken = event.wait(timeout=interval)
                interval = self.min_poll if woken else min(interval * 2, self.max_poll)
                if self._has_been_stopped:
                    break
                self._pull()
        except BaseException as e:
            if self._thread_error is None:
                self._thread_error = e
            self.stop()
        finally:
            recorder._unlisten(event)


class LMDBTrackingRecorder(LMDBRecorder, TrackingRecorder):
    """Records, per upstream application, the highest notification id processed (inserts must increase)."""

    def __init__(self, lease: Lease, prefix: str = "stored") -> None:
        super().__init__(lease, prefix)
        self._tracking = self._name("tracking")
        self._lease.store.db(self._tracking)

    def insert_tracking(self, tracking: Tracking) -> None:
        store = self._lease.store
        db = store.db(self._tracking)
        store.write(lambda txn: _put_tracking(txn, db, tracking))

    def max_tracking_id(self, application_name: str) -> int | None:
        store = self._lease.store
        db = store.db(self._tracking)

        def body(txn: Any) -> int | None:
            value = txn.get(application_name.encode(), db=db)
            return None if value is None else _U64.unpack(value)[0]

        return store.read(body)


def _put_tracking(txn: Any, db: Any, tracking: Tracking) -> None:
    key = tracking.application_name.encode()
    current = txn.get(key, db=db)
    if current is not None and _U64.unpack(current)[0] >= tracking.notification_id:
        raise IntegrityError(
            f"tracking notification id {tracking.notification_id} of {tracking.application_name!r} is not greater "
            f"than the recorded {_U64.unpack(current)[0]}"
        )
    txn.put(key, _U64.pack(tracking.notification_id), db=db)


class LMDBProcessRecorder(LMDBTrackingRecorder, LMDBApplicationRecorder, ProcessRecorder):
    """Application events and tracking, written in one transaction."""

    def __init__(self, lease: Lease, prefix: str = "stored") -> None:
        LMDBApplicationRecorder.__init__(self, lease, prefix)
        self._tracking = self._name("tracking")
        self._lease.store.db(self._tracking)

    def _handles(self, store: Store) -> dict[str, Any]:
        return {**super()._handles(store), "tracking": store.db(self._tracking)}

    def _write(
        self, txn: Any, handles: dict[str, Any], records: list[tuple[bytes, bytes]], tracking: Tracking | None
    ) -> list[int] | None:
        if tracking is not None:
            _put_tracking(txn, handles["tracking"], tracking)
        return super()._write(txn, handles, records, tracking)


class LMDBFactory(InfrastructureFactory[LMDBTrackingRecorder]):
    """Builds LMDB recorders for an eventsourcing Application (`PERSISTENCE_MODULE=scint.store.lmdb`)."""

    LMDB_PATH = "LMDB_PATH"
    LMDB_MAP_SIZE = "LMDB_MAP_SIZE"
    LMDB_SYNC = "LMDB_SYNC"

    aggregate_recorder_class = LMDBAggregateRecorder
    application_recorder_class = LMDBApplicationRecorder
    tracking_recorder_class = LMDBTrackingRecorder
    process_recorder_class = LMDBProcessRecorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        self.settings = Settings.from_env(self.env.get)
        self._lease = Lease(self.settings)

    @property
    def _prefix(self) -> str:
        return (self.env.name or "stored").lower()

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        return self.aggregate_recorder_class(self._lease, self._prefix, purpose)

    def application_recorder(self) -> ApplicationRecorder:
        cls = self._resolve(self.APPLICATION_RECORDER_TOPIC, self.application_recorder_class)
        return cls(self._lease, self._prefix)

    def tracking_recorder(
        self, tracking_recorder_class: type[LMDBTrackingRecorder] | None = None
    ) -> LMDBTrackingRecorder:
        cls = tracking_recorder_class or self._resolve(self.TRACKING_RECORDER_TOPIC, self.tracking_recorder_class)
        return cls(self._lease, self._prefix)

    def process_recorder(self) -> ProcessRecorder:
        cls = self._resolve(self.PROCESS_RECORDER_TOPIC, self.process_recorder_class)
        return cls(self._lease, self._prefix)

    def _resolve(self, key: str, default: type[Any]) -> type[Any]:
        topic = self.env.get(key)
        if not topic:
            return default
        cls = resolve_topic(topic)
        if not (isinstance(cls, type) and issubclass(cls, default)):
            raise StoreError(f"{key}={topic!r} must name a subclass of {default.__qualname__}")
        return cls

    def close(self) -> None:
        self._lease.close()


Factory = LMDBFactory
