"""How events and snapshots are stored: a lean binary form, and the JSON form that stores written before it hold.

The stored state of an event is `ScintTranscoder.encode(state)` (scint/core/map.py), one of four forms told apart
by the first byte (the transcoder's version, so no store needs rewriting):

- `{`: JSON, `{"v": state, "t": tags}` - every store written before the lean form; still read, never written
  (except as the fallback for a value the binary form cannot hold, such as an integer beyond 64 bits).
- `\\x01`: an Applied event (`timestamp, path, action, args, meta`) as one MessagePack array:
  `[microseconds since 1970 UTC, path, action, args, actor, program, n, other meta or nil]` when its provenance
  starts with `actor`, `program`, `n` (the program id as 8 raw bytes when it is 16 hex digits), otherwise
  `[timestamp, path, action, args, meta]`. A timestamp not in UTC is kept as its ISO text.
- `\\x02`: anything else (Started events, snapshots, the branch index), `[state, tags]` in MessagePack.
- `\\x03`: the same, zlib-compressed, when it is over `COMPRESS_ABOVE` bytes and compressing saves at least a
  quarter (a snapshot of a large state, mostly: it is read once per open, and its bytes recur every snapshot).

Provenance is lean too (scint/core/interpreter.py): `meta.source` is left out when it is exactly `call_text` of
the event's path, action and arguments, and `meta.text` when it is exactly the program's statements' sources,
one per line. `source_of` and `program_text` give them back; exports carry meta as stored.
"""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

__all__ = ["call_text", "decode_state", "encode_applied", "encode_state", "source_of"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_PACK = msgspec.msgpack.Encoder().encode
_UNPACK = msgspec.msgpack.Decoder().decode
_LEAN_EVENT = b"\x01"
_LEAN_STATE = b"\x02"
_PACKED_STATE = b"\x03"
COMPRESS_ABOVE = 1024
_APPLIED_KEYS = ("timestamp", "path", "action", "args", "meta")
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_LITERAL = json.JSONEncoder(ensure_ascii=False).encode  # ", " and ": ", as people write them
_QUOTE = json.encoder.encode_basestring  # what _LITERAL makes of a str


def call_text(path: str, action: str, args: dict[str, Any]) -> str:
    """The statement an event's arguments spell: `path.action(name=value, ...)`, each value as JSON with `, `
    and `: ` (Scint's own literals). An event whose statement is exactly this text does not store it.

    This text is part of the stored format: it must never change (stores rely on it to give back sources)."""
    enc, quote = _LITERAL, _QUOTE  # a string is what the encoder would make of it, without its generic steps
    inner = ", ".join([f"{k}={quote(v) if type(v) is str else enc(v)}" for k, v in args.items()])
    return f"{path}.{action}({inner})" if path else f"{action}({inner})"


def source_of(path: str, action: str, args: dict[str, Any], meta: dict[str, Any]) -> str:
    """The statement that recorded an event (its `meta.source`, or the call its arguments spell)."""
    source = meta.get("source")
    if source is None:
        try:
            return call_text(path, action, args)
        except (TypeError, ValueError):  # not JSON (a damaged import): no source to show
            return ""
    return source


# -- Applied events ------------------------------------------------------------------------------------------------


def encode_applied(timestamp: Any, path: Any, action: Any, args: Any, meta: Any) -> bytes | None:
    """The lean form of an Applied event's state, or None if it cannot hold it (the JSON form then does)."""
    if type(timestamp) is not datetime or type(meta) is not dict:
        return None
    ts: Any = (timestamp - _EPOCH) // _MICRO if timestamp.tzinfo is UTC else timestamp.isoformat()
    keys = list(meta)
    if keys[:3] == ["actor", "program", "n"]:
        program = meta["program"]
        if type(program) is str and len(program) == 16:
            try:
                raw = bytes.fromhex(program)
                if raw.hex() == program:
                    program = raw
            except ValueError:
                pass
        rest = {k: meta[k] for k in keys[3:]} if len(keys) > 3 else None
        doc = [ts, path, action, args, meta["actor"], program, meta["n"], rest]
    else:
        doc = [ts, path, action, args, meta]
    try:
        return _LEAN_EVENT + _PACK(doc)
    except (TypeError, ValueError, OverflowError):  # e.g. an int beyond 64 bits: JSON holds it
        return None


def _decode_applied(data: bytes) -> dict[str, Any]:
    doc = _UNPACK(memoryview(data)[1:])
    if len(doc) == 8:
        ts, path, action, args, actor, program, n, rest = doc
        meta = {"actor": actor, "program": program.hex() if type(program) is bytes else program, "n": n}
        if rest:
            meta.update(rest)
    else:
        ts, path, action, args, meta = doc
    when = _EPOCH + timedelta(microseconds=ts) if type(ts) is int else datetime.fromisoformat(ts)
    return {"timestamp": when, "path": path, "action": action, "args": args, "meta": meta}


# -- any state -----------------------------------------------------------------------------------------------------

# Where non-JSON values may sit in the states eventsourcing asks us to encode: at the top level (an event's
# `timestamp`) and inside a snapshot's `state` (`_created_on`, `_modified_on` and our MapState). Nothing else
# is inspected, so user data (always plain JSON) is never mistaken for a tagged value.
_ENCODERS: dict[type, tuple[str, Any]] = {}
_DECODERS: dict[str, Any] = {}


def register_tag(cls: type, tag: str, encode: Any, decode: Any) -> None:
    """A type that may sit in a state, stored as `encode(value)` and listed beside the data under `tag`."""
    _ENCODERS[cls] = (tag, encode)
    _DECODERS[tag] = decode


register_tag(datetime, "dt", datetime.isoformat, datetime.fromisoformat)


def _plain(obj: dict[str, Any]) -> tuple[dict[str, Any], list[list[str]]]:
    tags: list[list[str]] = []
    plain = {}
    for key, value in obj.items():
        enc = _ENCODERS.get(type(value))
        if enc is not None:
            tags.append([key, enc[0]])
            value = enc[1](value)
        elif key == "state" and type(value) is dict:  # a snapshot: the aggregate's attributes
            inner = {}
            for k, v in value.items():
                enc = _ENCODERS.get(type(v))
                if enc is not None:
                    tags.append([key, k, enc[0]])
                    v = enc[1](v)
                inner[k] = v
            value = inner
        plain[key] = value
    return plain, tags


def encode_state(obj: dict[str, Any]) -> bytes:
    """Any state eventsourcing asks us to store, in the lean form when it can hold it."""
    if tuple(obj) == _APPLIED_KEYS:
        lean = encode_applied(obj["timestamp"], obj["path"], obj["action"], obj["args"], obj["meta"])
        if lean is not None:
            return lean
    plain, tags = _plain(obj)
    try:
        packed = _PACK([plain, tags])
    except (TypeError, ValueError, OverflowError):
        return json_state(plain, tags)
    if len(packed) > COMPRESS_ABOVE:
        smaller = zlib.compress(packed, 1)
        if len(smaller) * 4 <= len(packed) * 3:
            return _PACKED_STATE + smaller
    return _LEAN_STATE + packed


def json_state(plain: dict[str, Any], tags: list[list[str]]) -> bytes:
    """The JSON form (what every store before the lean form holds)."""
    return _JSON({"v": plain, "t": tags} if tags else {"v": plain}).encode()


def decode_state(data: bytes) -> Any:
    """A stored state, whichever form it is in."""
    first = data[:1]
    if first == _LEAN_EVENT:
        return _decode_applied(data)
    if first == _LEAN_STATE:
        value, tags = _UNPACK(memoryview(data)[1:])
    elif first == _PACKED_STATE:
        value, tags = _UNPACK(zlib.decompress(memoryview(data)[1:]))
    else:
        doc = json.loads(data)
        value, tags = doc["v"], doc.get("t", ())
    for *where, tag in tags:
        holder = value
        for key in where[:-1]:
            holder = holder[key]
        holder[where[-1]] = _DECODERS[tag](holder[where[-1]])
    return value
