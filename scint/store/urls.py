"""Store URLs -> eventsourcing settings.

SQLAlchemy-style: after `scheme://` comes an (empty) host, then `/`, then the path, so three slashes give a
relative path and four an absolute one.

- `lmdb:///.scint` (relative), `lmdb:////var/scint` (absolute), `lmdb://` (= `./.scint`): `scint.store.lmdb`
  in that directory; options `?sync=fast` and `?map_size=1G`.
- `sqlite:///file.db`, `sqlite:////abs/file.db`: eventsourcing's SQLite module, hardened by `scint.store.sqlite`
  (WAL with SQLite's default synchronous=FULL: durable); `sqlite:///:memory:`: a private in-memory database.
  `sqlite://` (no file) is refused rather than silently kept in memory.
- `memory://`: eventsourcing's in-memory (POPO) module; nothing is kept.
- `postgresql://user[:password]@host[:port]/database`: eventsourcing's PostgreSQL module (needs
  `pip install 'scint[postgres]'`); options `schema` (must exist), `connect_timeout`, `pool_size`,
  `max_overflow`, `lock_timeout`, `host` (e.g. a socket directory).
"""

from __future__ import annotations

import getpass
import importlib.util
import os
import uuid
from urllib.parse import parse_qsl, unquote, urlsplit

from scint.errors import StoreError

__all__ = ["DEFAULT_URL", "default_url", "environment_for_url"]

DEFAULT_URL = "lmdb:///.scint"
_FORMS = (
    "lmdb:///relative/dir, lmdb:////absolute/dir, sqlite:///file.db, memory://, or postgresql://user@host:5432/database"
)
_POSTGRES_OPTIONS = {
    "schema": "POSTGRES_SCHEMA",
    "connect_timeout": "POSTGRES_CONNECT_TIMEOUT",
    "pool_size": "POSTGRES_POOL_SIZE",
    "max_overflow": "POSTGRES_MAX_OVERFLOW",
    "lock_timeout": "POSTGRES_LOCK_TIMEOUT",
    "host": "POSTGRES_HOST",
}
_LMDB_OPTIONS = {"sync": "LMDB_SYNC", "map_size": "LMDB_MAP_SIZE"}


def default_url() -> str:
    """The store URL to use when none is given: `$SCINT_STORE`, else `lmdb:///.scint`."""
    return os.environ.get("SCINT_STORE", "").strip() or DEFAULT_URL


def environment_for_url(url: str) -> dict[str, str]:
    """The eventsourcing environment (PERSISTENCE_MODULE and its settings) that opens the store at `url`.

    Raises StoreError, saying what a valid URL looks like, for a URL that names no store.
    """
    if not isinstance(url, str) or "://" not in url:
        hint = f" (for a directory, write lmdb:///{url})" if isinstance(url, str) and url.strip() else ""
        raise StoreError(f"{url!r} is not a store URL{hint}; use {_FORMS}")
    scheme = url.split("://", 1)[0].lower()
    try:
        parts = urlsplit(url)
    except ValueError as e:
        raise StoreError(f"{url!r} is not a valid store URL: {e}") from e
    if scheme == "memory":
        if parts.netloc or parts.path.strip("/") or parts.query:
            raise StoreError(f"{url!r}: an in-memory store takes no path or options; write memory://")
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if scheme == "lmdb":
        return _lmdb(url, parts.netloc, parts.path, parts.query)
    if scheme == "sqlite":
        return _sqlite(url, parts.netloc, parts.path, parts.query)
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return _postgres(url)
    raise StoreError(f"{url!r}: unknown store scheme {scheme!r}; use {_FORMS}")


def _path(url: str, netloc: str, path: str, kind: str) -> str:
    if netloc:
        raise StoreError(
            f"{url!r}: {kind} URLs have no host; after the scheme write three slashes for a relative path "
            f"({kind}:///data) or four for an absolute one ({kind}:////var/data)"
        )
    return unquote(path[1:]) if path.startswith("/") else unquote(path)


def _options(url: str, query: str, allowed: dict[str, str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name not in allowed:
            raise StoreError(f"{url!r}: unknown option {name!r}; the options are {', '.join(sorted(allowed))}")
        options[allowed[name]] = value
    return options


def _lmdb(url: str, netloc: str, path: str, query: str) -> dict[str, str]:
    directory = _path(url, netloc, path, "lmdb") or ".scint"
    env = {"PERSISTENCE_MODULE": "scint.store.lmdb", "LMDB_PATH": os.path.abspath(os.path.expanduser(directory))}
    env.update(_options(url, query, _LMDB_OPTIONS))
    return env


def _sqlite(url: str, netloc: str, path: str, query: str) -> dict[str, str]:
    _options(url, query, {})
    file = _path(url, netloc, path, "sqlite")
    if not file:
        raise StoreError(
            f"{url!r} names no database file, so nothing would be kept; write sqlite:///file.db (relative), "
            "sqlite:////abs/file.db (absolute), or sqlite:///:memory: for a private in-memory database"
        )
    if file.endswith(("/", os.sep)):
        raise StoreError(f"{url!r} names a directory; name the database file (sqlite:///dir/store.db)")
    if file == ":memory:":
        # A pool of connections must share one in-memory database: a named, shared-cache URI.
        return {
            "PERSISTENCE_MODULE": "scint.store.sqlite",
            "SQLITE_DBNAME": f"file:scint-{uuid.uuid4().hex}?mode=memory&cache=shared",
        }
    file = os.path.abspath(os.path.expanduser(file))
    if os.path.isdir(file):
        raise StoreError(f"{url!r}: {file} is a directory; name the database file (sqlite:///dir/store.db)")
    try:
        os.makedirs(os.path.dirname(file), exist_ok=True)
    except OSError as e:
        raise StoreError(f"{url!r}: cannot create the directory for {file}: {e.strerror or e}") from e
    # eventsourcing's SQLite module opens files in WAL mode and leaves SQLite's default synchronous=FULL, under
    # which every commit is fsynced: durable, nothing to add here.
    return {"PERSISTENCE_MODULE": "scint.store.sqlite", "SQLITE_DBNAME": file}


def _postgres(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    database = unquote(parts.path.lstrip("/"))
    if not database or "/" in database:
        raise StoreError(f"{url!r}: name one database after the host, as in postgresql://user@localhost:5432/scint")
    try:
        port = parts.port
    except ValueError as e:
        raise StoreError(f"{url!r}: the port must be a number from 1 to 65535") from e
    options = _options(url, parts.query, _POSTGRES_OPTIONS)
    host = options.pop("POSTGRES_HOST", "") or parts.hostname or ""
    if not host:
        raise StoreError(f"{url!r}: name the server, as in postgresql://user@localhost:5432/{database}")
    if importlib.util.find_spec("psycopg") is None or importlib.util.find_spec("psycopg_pool") is None:
        raise StoreError(
            "PostgreSQL stores need the psycopg driver, which is not installed: pip install 'scint[postgres]'"
        )
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": database,
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": str(port or 5432),
        "POSTGRES_USER": unquote(parts.username) if parts.username else getpass.getuser(),
        "POSTGRES_PASSWORD": unquote(parts.password) if parts.password else "",
    }
    env.setdefault("POSTGRES_CONNECT_TIMEOUT", "5")  # an unreachable server is an error in seconds, not half a minute
    env.update(options)
    return env
