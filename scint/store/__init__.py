"""Storage: store URLs and the LMDB persistence module for eventsourcing.

`scint.store.lmdb` is an eventsourcing persistence module (`PERSISTENCE_MODULE=scint.store.lmdb`);
`environment_for_url()` turns a store URL (`lmdb:///dir`, `sqlite:///file.db`, `memory://`,
`postgresql://user@host:5432/db`) into the eventsourcing settings that open it.
"""

from __future__ import annotations

from scint.store.urls import default_url, environment_for_url

__all__ = ["default_url", "environment_for_url"]
