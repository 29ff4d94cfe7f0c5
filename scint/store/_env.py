"""LMDB environments shared by every recorder in the process: settings, registry, growth, fork, errors.

One `lmdb.Environment` per store directory per process (LMDB forbids a second open), reference-counted by
`Lease` objects (one per infrastructure factory), reopened lazily in a child after `fork()`. Every transaction runs
shielded from Ctrl-C (scint.store.interrupts), so an interrupt cannot leave the gate or a transaction open. All
LMDB errors are translated here, in one place, into eventsourcing's `PersistenceError` tree (or `StoreError` when
a store cannot be opened or is misconfigured).
"""

from __future__ import annotations

import os
import sys
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import lmdb
from eventsourcing.persistence import (
    DatabaseError,
    DataError,
    InterfaceError,
    InternalError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
)

from scint.errors import StoreError
from scint.store._group import GroupCommit, Ticket
from scint.store.interrupts import shielded

T = TypeVar("T")

DEFAULT_PATH = ".scint"
# A sparse reservation: LMDB maps this much address space but the file only grows as pages are written, so a
# huge map costs nothing and growth (below) is almost never needed. Windows and 32-bit builds get a modest map
# (Windows allocates the whole file up front) and rely on growth.
_BIG_MAPS = sys.maxsize > 2**32 and os.name != "nt"
DEFAULT_MAP_SIZE = 1 << 40 if _BIG_MAPS else 1 << 28
_MAX_MAP_SIZE = 1 << 44 if _BIG_MAPS else 1 << 31
MAX_DBS = 128
MAX_READERS = 1024
SYNC_MODES = ("durable", "fast")
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


@dataclass(frozen=True)
class Settings:
    """What an LMDB store needs to know, read from an eventsourcing Environment."""

    path: str
    map_size: int = DEFAULT_MAP_SIZE
    sync: str = "durable"

    @classmethod
    def from_env(cls, get: Callable[[str], str | None]) -> Settings:
        """Read LMDB_PATH, LMDB_MAP_SIZE and LMDB_SYNC (via `get`, which honours APPNAME_ prefixes)."""
        path = (get("LMDB_PATH") or "").strip() or DEFAULT_PATH
        path = os.path.abspath(os.path.expanduser(path))
        sync = (get("LMDB_SYNC") or "durable").strip().lower()
        if sync not in SYNC_MODES:
            raise StoreError(
                f"LMDB_SYNC must be 'durable' (the default: a returned write survives a crash or power loss) "
                f"or 'fast' (survives a process crash but not power loss), not {get('LMDB_SYNC')!r}"
            )
        return cls(path=path, map_size=parse_size(get("LMDB_MAP_SIZE")), sync=sync)


def parse_size(text: str | None) -> int:
    """Parse LMDB_MAP_SIZE: bytes, optionally with a binary unit (`64M`, `1GiB`, `2T`)."""
    if text is None or not text.strip():
        return DEFAULT_MAP_SIZE
    raw = text.strip().lower().removesuffix("b").removesuffix("i")
    number, unit = (raw[:-1], raw[-1]) if raw and raw[-1] in _UNITS else (raw, "")
    try:
        size = int(number) * _UNITS[unit]
    except ValueError:
        size = 0
    if size <= 0:
        raise StoreError(f"LMDB_MAP_SIZE must be a positive number of bytes such as 1073741824 or 1G, not {text!r}")
    return size


# -- errors -------------------------------------------------------------------------------------------------------

_TRANSLATIONS: tuple[tuple[type[lmdb.Error] | tuple[type[lmdb.Error], ...], type[PersistenceError]], ...] = (
    (lmdb.BadValsizeError, DataError),
    (
        (
            lmdb.CorruptedError,
            lmdb.PanicError,
            lmdb.PageNotFoundError,
            lmdb.VersionMismatchError,
            lmdb.InvalidError,
            lmdb.IncompatibleError,
        ),
        InternalError,
    ),
    ((lmdb.BadTxnError, lmdb.BadDbiError, lmdb.BadRslotError, lmdb.InvalidParameterError), ProgrammingError),
    (
        (
            lmdb.ReadonlyError,
            lmdb.DiskError,
            lmdb.LockError,
            lmdb.ReadersFullError,
            lmdb.TlsFullError,
            lmdb.TxnFullError,
            lmdb.CursorFullError,
            lmdb.PageFullError,
            lmdb.DbsFullError,
            lmdb.MemoryError,
            lmdb.MapFullError,
            lmdb.MapResizedError,
        ),
        OperationalError,
    ),
)


def translate(error: lmdb.Error) -> PersistenceError:
    """The eventsourcing exception for an LMDB error (the only place LMDB errors are mapped)."""
    for lmdb_types, persistence_type in _TRANSLATIONS:
        if isinstance(error, lmdb_types):
            return persistence_type(f"LMDB: {error}")
    if "closed" in str(error) or "invalid" in str(error).lower():
        return InterfaceError(f"LMDB store is closed: {error}")
    return DatabaseError(f"LMDB: {error}")


# -- a shared/exclusive gate --------------------------------------------------------------------------------------


class _Gate:
    """Transactions enter shared; map resizing and fork enter exclusive (LMDB needs no live transactions)."""

    __slots__ = ("_active", "_cond", "_exclusive", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()  # entered directly on the hot path (a C lock, not the Condition's wrapper)
        self._cond = threading.Condition(self._lock)
        self._active = 0
        self._exclusive = False

    def enter(self) -> None:
        with self._lock:
            while self._exclusive:
                self._cond.wait()
            self._active += 1

    def leave(self) -> None:
        with self._lock:
            self._active -= 1
            if self._exclusive and not self._active:
                self._cond.notify_all()

    def enter_exclusive(self) -> None:
        with self._cond:
            while self._exclusive:
                self._cond.wait()
            self._exclusive = True
            while self._active:
                self._cond.wait()

    def leave_exclusive(self) -> None:
        with self._cond:
            self._exclusive = False
            self._cond.notify_all()


# -- one store (environment) per directory per process ----------------------------------------------------------


class Store:
    """One open LMDB environment plus what the process's recorders share about it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pid = os.getpid()
        self.refs = 0
        self.stale = False
        self.gate = _Gate()
        self.write_lock = threading.Lock()
        self.dbs: dict[str, Any] = {}
        self.listeners: dict[str, set[threading.Event]] = {}
        self.env = _open_environment(settings)
        # Durable: a commit syncs its data pages; its meta page is synced after the writer lock is let go (`sync`),
        # before anyone is answered (see _open_environment).
        self.sync_after = settings.sync == "durable"
        self.group = GroupCommit(self, translate)

    def db(self, name: str) -> Any:
        """The handle of named sub-database `name`, created on first use."""
        handle = self.dbs.get(name)
        if handle is None:
            handle = self._open_db(name)
        return handle

    def _open_db(self, name: str) -> Any:
        # open_db(create=True) runs its own write transaction: serialise it like any other writer.
        def open_db() -> Any:
            with self.write_lock:
                self.gate.enter()
                try:
                    handle = self.dbs.get(name)
                    if handle is None:
                        handle = self.env.open_db(name.encode(), create=True)
                        self.dbs[name] = handle
                    return handle
                finally:
                    self.gate.leave()

        return shielded(self._retrying, open_db)

    def read(self, body: Callable[[Any], T]) -> T:
        """Run `body(txn)` in a read transaction."""

        def attempt() -> T:
            self.gate.enter()
            try:
                with self.env.begin() as txn:
                    return body(txn)
            finally:
                self.gate.leave()

        return shielded(self._retrying, attempt)

    def write(self, body: Callable[[Any], T]) -> T:
        """Run `body(txn)` in a write transaction, committed durably before this returns (aborted, for this body
        alone, if it raises). Concurrent writers of this process share one transaction (scint.store._group)."""
        return shielded(self.group.wait, self.group.submit(body))

    def submit(self, body: Callable[[Any], Any], after: Ticket | None = None, priority: int = 0) -> Ticket:
        """Queue `body` for the next group commit, after `after` (which it fails with, if that fails); pair each
        with `wait`. A session submits while it holds its lock and waits after letting it go."""
        return self.group.submit(body, after, priority)

    def wait(self, ticket: Ticket) -> Any:
        """The result of a submitted body once its batch is durable (or its error, raised)."""
        return shielded(self.group.wait, ticket)

    def sync(self) -> None:
        """Flush what the store's commits wrote (for a durable store: the meta pages of the commits made since the
        last flush) to disk. Concurrent flushes, of this process's threads or of other processes, share the
        disk's barrier."""
        self.gate.enter()
        try:
            self.env.sync(True)
        finally:
            self.gate.leave()

    def last_txnid(self) -> int:
        """The id of the last committed write transaction, by any process (read from the meta pages)."""
        return shielded(self._last_txnid)

    def _last_txnid(self) -> int:
        self.gate.enter()
        try:
            return self.env.info()["last_txnid"]
        except lmdb.Error as e:
            raise translate(e) from e
        finally:
            self.gate.leave()

    def _retrying(self, attempt: Callable[[], T]) -> T:
        while True:
            try:
                return attempt()
            except lmdb.MapFullError:
                self._resize(grow=True)
            except lmdb.MapResizedError:
                self._resize(grow=False)
            except lmdb.Error as e:
                raise translate(e) from e

    def _resize(self, *, grow: bool) -> None:
        """Grow the map (ours was full) or adopt the size another process set; nothing may be in flight."""
        before = self.env.info()["map_size"]
        self.gate.enter_exclusive()
        try:
            current = self.env.info()["map_size"]
            if not grow:
                self.env.set_mapsize(0)
            elif current == before:  # another thread may have grown it while we waited
                self.env.reader_check()  # stale readers of killed processes pin pages
                if current >= _MAX_MAP_SIZE:
                    raise OperationalError(f"LMDB store {self.settings.path} is full at {current} bytes")
                self.env.set_mapsize(min(current * 2, _MAX_MAP_SIZE))
        except lmdb.Error as e:
            raise translate(e) from e
        finally:
            self.gate.leave_exclusive()

    def notify(self, channel: str) -> None:
        for event in list(self.listeners.get(channel, ())):
            event.set()

    def listen(self, channel: str, event: threading.Event) -> None:
        with _registry_lock:
            self.listeners.setdefault(channel, set()).add(event)

    def unlisten(self, channel: str, event: threading.Event) -> None:
        with _registry_lock:
            self.listeners.get(channel, set()).discard(event)

    def close(self) -> None:
        shielded(self._close)

    def _close(self) -> None:
        self.gate.enter_exclusive()
        try:
            self.env.close()
        finally:
            self.gate.leave_exclusive()


def _open_environment(settings: Settings) -> Any:
    path = settings.path
    durable = settings.sync == "durable"
    try:
        created_dirs = _makedirs(path)
        is_new = not os.path.exists(os.path.join(path, "data.mdb"))
        # Durability. "durable" needs two syncs per commit, the fewest that survive power loss: the data pages
        # must be on disk before the meta page that publishes them, so one sync cannot do (a single sync after
        # both writes could persist the meta page without its pages and corrupt the store). LMDB's default
        # (metasync=True) makes both inside the commit, i.e. while the writer lock is held, so no other writer
        # of any process can use the disk's time meanwhile. We open with sync=True, metasync=False: the commit
        # fdatasync()s its data pages, then writes the meta page without syncing it (LMDB documents that this
        # keeps the store intact, ACI, and that a system crash may undo the last commit); the writer lock is
        # let go, and only then Store.sync() flushes the meta page (mdb_env_sync) - before any caller is
        # answered, so "when run returns, the program survives a crash" holds. That second barrier no longer
        # holds the writer lock: it overlaps with the next commit, and concurrent flushes (other threads'
        # batches, other processes) share the disk's barrier. Every write goes through scint.store._group,
        # which makes that sync (except open_db's own transaction, which records no program).
        # writemap/map_async are not used either (map_async is not durable; writemap lets stray writes corrupt
        # the file and preallocates the whole map on some platforms).
        # "fast" sets sync=False: commits are written to the OS page cache, so they survive the process being
        # killed, but the last few seconds of commits can be lost on power loss or a kernel crash.
        env = lmdb.open(
            path,
            map_size=settings.map_size,
            subdir=True,
            sync=durable,
            metasync=False,
            max_dbs=MAX_DBS,
            max_readers=MAX_READERS,
            max_spare_txns=0,  # a cached read transaction would hold a reader slot across fork()
            lock=True,
        )
        env.reader_check()  # clear reader slots left by killed processes
        if durable and is_new:
            # Make the new files' directory entries durable too (fsync of a file does not persist its name).
            for directory in [path, *created_dirs]:
                _fsync_dir(directory)
        return env
    except lmdb.Error as e:
        raise StoreError(f"cannot open the LMDB store at {path}: {e}") from e
    except OSError as e:
        raise StoreError(f"cannot open the LMDB store at {path}: {e.strerror or e}") from e


def _makedirs(path: str) -> list[str]:
    """Create `path` and missing parents; return the parents whose entries changed (for fsync)."""
    missing = []
    probe = path
    while probe and not os.path.isdir(probe):
        missing.append(probe)
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    os.makedirs(path, exist_ok=True)
    return [os.path.dirname(p) for p in missing]


def _fsync_dir(path: str) -> None:
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_registry: dict[str, Store] = {}
_registry_lock = threading.RLock()


def acquire(settings: Settings) -> Store:
    """The process's store for `settings.path`, opened if needed; each call must be paired with release()."""
    key = os.path.realpath(settings.path)
    with _registry_lock:
        store = _registry.get(key)
        if store is None:
            store = Store(settings)
            _registry[key] = store
        elif store.settings.sync != settings.sync:
            raise StoreError(
                f"the LMDB store at {settings.path} is already open in this process with "
                f"LMDB_SYNC={store.settings.sync!r}; it cannot also be opened with LMDB_SYNC={settings.sync!r}"
            )
        store.refs += 1
        return store


def release(store: Store) -> None:
    with _registry_lock:
        if store.stale:
            return
        store.refs -= 1
        if store.refs > 0:
            return
        for key, value in list(_registry.items()):
            if value is store:
                del _registry[key]
        store.stale = True
        # Closed under the registry lock: LMDB forbids a second open of the path, so no acquire() may open it again
        # until this environment is closed.
        store.close()


class _Claim:
    """One reference to a store, released at most once however often it is let go: by `Lease.close()`, by the
    lease's finalizer, or by both (a dropped session's Application.__del__ closes its factory while the garbage
    collector also finalizes the lease, in either order)."""

    __slots__ = ("released", "store")

    def __init__(self, store: Store) -> None:
        self.store = store
        self.released = False

    def release(self) -> None:
        with _registry_lock:
            if self.released:
                return
            self.released = True
            if self.store.pid != os.getpid():  # inherited by a forked child: the parent's to release
                return
            release(self.store)


class Lease:
    """A factory's claim on a store; follows the store into a forked child and releases it on close or GC."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._claim = _Claim(acquire(settings))
        self._closed = False
        weakref.finalize(self, self._claim.release)

    @property
    def store(self) -> Store:
        if self._closed:
            raise InterfaceError(f"the LMDB store at {self.settings.path} has been closed")
        store = self._claim.store
        if store.stale:
            store = self._reacquire()
        return store

    def _reacquire(self) -> Store:
        with _registry_lock:
            if self._claim.store.stale and not self._closed:  # reopened in a forked child
                self._claim.release()
                self._claim = _Claim(acquire(self.settings))
                weakref.finalize(self, self._claim.release)
            return self._claim.store

    def close(self) -> None:
        with _registry_lock:
            self._closed = True
            self._claim.release()


# -- fork ---------------------------------------------------------------------------------------------------------
# LMDB: "do not use an MDB_env after fork()". py-lmdb refuses to open the same files twice in one process, so the
# child must close the inherited environment before reopening it - and closing aborts the environment's live
# transactions, which would clear the *parent's* reader slots in the shared lock file. So fork waits until no
# transaction of ours is live (and none can start), the child then closes the inherited environments safely and
# recorders reopen them lazily on first use.


def _before_fork() -> None:
    _registry_lock.acquire()
    for store in list(_registry.values()):
        store.gate.enter_exclusive()


def _after_fork_in_parent() -> None:
    for store in list(_registry.values()):
        store.gate.leave_exclusive()
    _registry_lock.release()


def _after_fork_in_child() -> None:
    global _registry_lock
    stores = list(_registry.values())
    _registry.clear()
    _registry_lock = threading.RLock()
    for store in stores:
        store.stale = True
        store.listeners.clear()
        try:
            store.env.close()
        except lmdb.Error:
            pass


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_after_fork_in_child)
