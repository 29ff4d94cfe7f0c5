"""The ContextMap: one branch's history as an eventsourcing aggregate.

Its events are `Started` (the branch begins, possibly forked from another branch at a version) and `Applied`
(one action applied to one context, with its arguments and provenance). Applying an event calls the action's
body on the MapState, so the live path and replay are the same code.

Versions: a branch's version counts the `Applied` events along its whole lineage. The aggregate's own version
also counts its `Started` event, so `version = base_version + aggregate.version - 1`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic

from scint.core.codec import decode_state, encode_applied, encode_state, register_tag
from scint.core.state import MapState

__all__ = ["ContextMap", "ScintTranscoder", "branch_id", "stored_events"]

_NAMESPACE = uuid.UUID("6f1b2c9e-4d0a-5b8e-9c3f-2a7d1e0b4c55")


def branch_id(name: str) -> uuid.UUID:
    """The aggregate id of a branch: derived from its name, so every process agrees on it."""
    return uuid.uuid5(_NAMESPACE, "branch:" + name)


class ContextMap(Aggregate):
    """The contexts of one branch, changed only by recorded actions."""

    class Started(Aggregate.Created):
        branch: str
        base_branch: str | None
        base_version: int

    def __init__(self, branch: str, base_branch: str | None, base_version: int) -> None:
        self.branch = branch
        self.base_branch = base_branch
        self.base_version = base_version
        self.state = MapState()

    @classmethod
    def start(cls, branch: str, base_branch: str | None = None, base_version: int = 0) -> ContextMap:
        return cls._create(
            cls.Started, id=branch_id(branch), branch=branch, base_branch=base_branch, base_version=base_version
        )

    class Applied(Aggregate.Event):
        """One action applied to one context (path "" for the built-ins), with its provenance in `meta`:
        actor, source (the statement's text), program id, statement number, and for LLM programs the request."""

        path: str
        action: str
        args: dict[str, Any]
        meta: dict[str, Any]

        def apply(self, aggregate: ContextMap) -> None:
            state = aggregate.state
            state.time = self.timestamp
            state.result = state.apply(self.path, self.action, self.args, self.meta.get("tv", 1))

    @property
    def scint_version(self) -> int:
        """The branch version: Applied events along the lineage."""
        return self.base_version + self.version - 1

    def record(self, path: str, action: str, args: dict[str, Any], meta: dict[str, Any]) -> Any:
        """Apply an action now, as a pending event, and return its result.

        What `trigger_event` does, without its generic machinery (this is the hot path of every statement):
        apply first (if the body raises, nothing changes), then count the version and keep the event, built
        the way eventsourcing's mapper rebuilds stored events."""
        now = datetime.now(UTC)
        state = self.state
        state.time = now
        result = state.apply(path, action, args, meta.get("tv", 1))
        version = self._version + 1
        event = object.__new__(ContextMap.Applied)
        object.__setattr__(
            event,
            "__dict__",
            {
                "originator_id": self._id,
                "originator_version": version,
                "timestamp": now,
                "path": path,
                "action": action,
                "args": args,
                "meta": meta,
            },
        )
        self._version = version
        self._modified_on = now
        self._pending_events.append(event)
        return result


register_tag(uuid.UUID, "uuid", str, uuid.UUID)
register_tag(MapState, "map", MapState.to_data, MapState.from_data)


class ScintTranscoder(Transcoder):
    """Scint's stored forms (scint/core/codec.py): Applied events as a lean MessagePack array, other states as
    MessagePack with typed values listed beside the data (no in-band type markers, so no stored user value can
    ever decode as something else, as eventsourcing's JSONTranscoder would turn {"_type_": ..., "_data_": ...} in
    user data into an object), and the JSON form of older stores, still read."""

    def encode(self, obj: Any) -> bytes:
        return encode_state(obj)

    def decode(self, data: bytes) -> Any:
        return decode_state(data)


# -- the hot path of recording: Applied events straight to StoredEvents ---------------------------------------------

_APPLIED_TOPIC = get_topic(ContextMap.Applied)
_APPLIED_KEYS = ("originator_id", "originator_version", "timestamp", "path", "action", "args", "meta")
_FAST = getattr(ContextMap.Applied, "class_version", 1) == 1


def fast_mapper(mapper: Mapper[Any]) -> bool:
    """Whether `stored_events` may stand in for `mapper`: a ScintTranscoder, no compression or encryption."""
    return _FAST and type(mapper.transcoder) is ScintTranscoder and not mapper.compressor and not mapper.cipher


def stored_events(mapper: Mapper[Any], events: list[Any]) -> list[StoredEvent]:
    """What `mapper.to_stored_event` makes of each event, byte for byte (loading goes through the mapper).

    An Applied event as `ContextMap.record` builds it (its attributes in declaration order, a datetime timestamp)
    is encoded straight to its lean form (scint/core/codec.py), without the mapper's and transcoder's generic
    steps; any other event goes through the mapper. Only for a mapper that `fast_mapper` accepts."""
    out = []
    for event in events:
        d = event.__dict__
        if type(event) is ContextMap.Applied and type(d.get("timestamp")) is datetime and tuple(d) == _APPLIED_KEYS:
            data = encode_applied(d["timestamp"], d["path"], d["action"], d["args"], d["meta"])
            if data is not None:
                out.append(StoredEvent(d["originator_id"], d["originator_version"], _APPLIED_TOPIC, data))
                continue
        out.append(mapper.to_stored_event(event))
    return out
