"""History as the product: the branch index, loading any branch at any version, diffs, and the portable
JSON Lines export.

A branch is its own ContextMap aggregate whose `Started` event names its base branch and version: creating one
copies nothing, whatever the history's length. Loading a branch's head takes its newest snapshot (which holds
the whole inherited state) or, before its first snapshot, the base branch's state at the fork plus its own
events.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from scint.contexts.registry import get_type
from scint.contexts.types import copy_value
from scint.contexts.unloaded import not_loaded
from scint.core.bindings import is_param_name
from scint.core.codec import decode_state
from scint.core.map import ContextMap, branch_id
from scint.errors import HistoryError

__all__ = [
    "EXPORT_FORMAT",
    "BranchIndex",
    "check_branch_name",
    "check_imported",
    "diff_views",
    "load_map",
    "read_export",
    "render_diff",
    "same_value",
]

BRANCH_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
INDEX_ID = uuid.uuid5(uuid.UUID("6f1b2c9e-4d0a-5b8e-9c3f-2a7d1e0b4c55"), "branch-index")
EXPORT_FORMAT = "scint-history/1"


def check_branch_name(name: Any) -> str:
    if not isinstance(name, str) or not BRANCH_RE.fullmatch(name):
        raise HistoryError(
            "a branch name is a letter or digit followed by letters, digits, '_', '-' or '.' "
            f"(at most 64), not {name!r}"
        )
    return name


class BranchIndex(Aggregate):
    """Which branches exist (with their base and fork version) and which one is the store's current branch."""

    class Started(Aggregate.Created):
        pass

    def __init__(self) -> None:
        self.branches: dict[str, dict[str, Any]] = {"main": {"base": None, "at": 0}}
        self.current = "main"

    @classmethod
    def start(cls) -> BranchIndex:
        return cls._create(cls.Started, id=INDEX_ID)

    class Added(Aggregate.Event):
        name: str
        base: str | None
        at: int

        def apply(self, index: BranchIndex) -> None:
            index.branches[self.name] = {"base": self.base, "at": self.at}

    class Switched(Aggregate.Event):
        name: str

        def apply(self, index: BranchIndex) -> None:
            index.current = self.name

    def add(self, name: str, base: str, at: int) -> None:
        if name in self.branches:
            raise HistoryError(f"a branch `{name}` already exists")
        self.trigger_event(self.Added, name=name, base=base, at=at)

    def switch(self, name: str) -> None:
        if name not in self.branches:
            raise HistoryError(f"there is no branch `{name}`; the branches are: {', '.join(self.branches)}")
        if self.current != name:
            self.trigger_event(self.Switched, name=name)


def _events(app: Application, agg_id: uuid.UUID, gt: int | None = None, lte: int | None = None) -> Iterator[Any]:
    return iter(app.events.get(agg_id, gt=gt, lte=lte))


def load_map(app: Application, name: str, version: int | None = None) -> ContextMap | None:
    """The branch `name` at Scint version `version` (default: its head), or None if it has no events.

    Versions below the fork load from the base branch (so the result's `branch` may be the base's)."""
    agg_id = branch_id(name)
    started = next(_events(app, agg_id, lte=1), None)
    if started is None:
        return None
    base_version = started.base_version
    if version is not None and started.base_branch is not None and version < base_version:
        return load_map(app, started.base_branch, version)
    agg_version = None if version is None else version - base_version + 1
    gt = None
    agg: ContextMap | None = None
    if app.snapshots is not None:
        snap = next(iter(app.snapshots.get(agg_id, desc=True, limit=1, lte=agg_version)), None)
        if snap is not None:
            agg = snap.mutate(None)
            gt = snap.originator_version
    if agg is None:
        agg = started.mutate(None)
        gt = 1
        if started.base_branch is not None:
            base = load_map(app, started.base_branch, base_version)
            if base is None or base.scint_version != base_version:
                raise HistoryError(
                    f"branch `{name}` forks `{started.base_branch}` at version {base_version}, which is missing"
                )
            agg.state = base.state
    for event in _events(app, agg_id, gt=gt, lte=agg_version):
        event.mutate(agg)
    return agg


def lineage_events(app: Application, name: str, upto: int | None = None) -> Iterator[tuple[int, Any]]:
    """(Scint version, Applied event) for every event of a branch's history, oldest first, fork ancestry first."""
    started = next(_events(app, branch_id(name), lte=1), None)
    if started is None:
        return
    if started.base_branch is not None:
        base_upto = started.base_version if upto is None else min(upto, started.base_version)
        yield from lineage_events(app, started.base_branch, base_upto)
    lte = None if upto is None else upto - started.base_version + 1
    if lte is not None and lte < 2:
        return
    for event in _events(app, branch_id(name), gt=1, lte=lte):
        yield started.base_version + event.originator_version - 1, event


_APPLIED_TOPIC = f"{ContextMap.Applied.__module__}:{ContextMap.Applied.__qualname__}"


def fast_lineage(app: Application, name: str, upto: int | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """Like `lineage_events`, but straight from the recorder: (Scint version, decoded event state) without
    building eventsourcing event objects. Falls back to `lineage_events` when the mapper compresses or
    encrypts."""
    mapper = app.mapper
    if getattr(mapper, "cipher", None) or getattr(mapper, "compressor", None):
        for version, e in lineage_events(app, name, upto):
            doc = {"path": e.path, "action": e.action, "args": e.args, "meta": e.meta, "timestamp": e.timestamp}
            yield version, doc
        return
    started = next(_events(app, branch_id(name), lte=1), None)
    if started is None:
        return
    if started.base_branch is not None:
        base_upto = started.base_version if upto is None else min(upto, started.base_version)
        yield from fast_lineage(app, started.base_branch, base_upto)
    base = started.base_version
    lte = None if upto is None else upto - base + 1
    if lte is not None and lte < 2:
        return
    agg_id = branch_id(name)
    gt = 1
    page = 10_000
    while True:
        batch = app.recorder.select_events(agg_id, gt=gt, lte=lte, limit=page)
        for stored in batch:
            if stored.topic == _APPLIED_TOPIC:
                yield base + stored.originator_version - 1, decode_state(stored.state)
        if len(batch) < page:
            return
        gt = batch[-1].originator_version


# -- diffs --------------------------------------------------------------------------------------------------------


def same_value(a: Any, b: Any) -> bool:
    """Type-strict equality of JSON values: what renders to the same JSON. Python's `==` says True == 1 == 1.0
    and 0.0 == -0.0, and compares the items of lists and dicts with that same `==`; here a bool, an int and a
    float are never equal, nor 0.0 and -0.0, at any depth."""
    t = type(a)
    if t is not type(b):
        return False
    if t is dict:
        return len(a) == len(b) and all(k in b and same_value(v, b[k]) for k, v in a.items())
    if t is list:
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if t is float:
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return bool(a == b)


def _diff_value(old: Any, new: Any) -> dict[str, Any] | None:
    if same_value(old, new):
        return None
    if type(old) is dict and type(new) is dict:
        out: dict[str, Any] = {}
        added = {k: new[k] for k in new if k not in old}
        removed = sorted(k for k in old if k not in new)
        changed = {k: {"from": old[k], "to": new[k]} for k in old if k in new and not same_value(old[k], new[k])}
        if added:
            out["added"] = added
        if removed:
            out["removed"] = removed
        if changed:
            out["changed"] = changed
        return out
    if type(old) is list and type(new) is list and same_value(new[: len(old)], old):
        return {"appended": new[len(old) :]}
    return {"from": old, "to": new}


def diff_views(a: Any, b: Any) -> dict[str, Any]:
    """The difference from view `a` to view `b`: contexts added and removed, and per changed context the
    fields that changed (dicts by key, lists by appended items, other values from/to)."""
    pa, pb = set(a.paths()), set(b.paths())
    added = {p: b.type_of(p) for p in b.paths() if p not in pa}
    removed = {p: a.type_of(p) for p in a.paths() if p not in pb}
    changed: dict[str, Any] = {}
    for p in b.paths():
        if p not in pa:
            continue
        if a.type_of(p) != b.type_of(p):
            changed[p] = {"type": {"from": a.type_of(p), "to": b.type_of(p)}}
            continue
        sa, sb = a._entry(p)[1], b._entry(p)[1]  # compared in place: only what differs is copied, below
        fields = {}
        for key in dict.fromkeys([*sa, *sb]):
            d = _diff_value(sa.get(key), sb.get(key))
            if d is not None:
                fields[key] = d
        if fields:
            changed[p] = copy_value(fields)
    return {"added": added, "removed": removed, "changed": changed}


def render_diff(diff: dict[str, Any], a: str, b: str, width: int = 120) -> str:
    """The diff as text for people and LLMs."""

    def short(v: Any) -> str:
        s = json.dumps(v, ensure_ascii=False)
        return s if len(s) <= width else s[: width - 15] + f"... ({len(s):,} chars)"

    lines = [f"diff {a} -> {b}"]
    if not (diff["added"] or diff["removed"] or diff["changed"]):
        return lines[0] + ": no differences"
    for p, t in diff["added"].items():
        lines.append(f"+ {p} ({t})")
    for p, t in diff["removed"].items():
        lines.append(f"- {p} ({t})")
    for p, fields in diff["changed"].items():
        lines.append(f"~ {p}")
        for field, d in fields.items():
            if "from" in d:
                lines.append(f"    {field}: {short(d['from'])} -> {short(d['to'])}")
                continue
            for k, v in d.get("added", {}).items():
                lines.append(f"    {field}[{json.dumps(k)}] added: {short(v)}")
            for k in d.get("removed", []):
                lines.append(f"    {field}[{json.dumps(k)}] removed")
            for k, ch in d.get("changed", {}).items():
                lines.append(f"    {field}[{json.dumps(k)}]: {short(ch['from'])} -> {short(ch['to'])}")
            if "appended" in d:
                lines.append(f"    {field} appended {len(d['appended'])}: {short(d['appended'])}")
    return "\n".join(lines)


# -- export -------------------------------------------------------------------------------------------------------


def export_lines(branch: str, version: int, events: Iterable[tuple[int, Any]]) -> Iterator[str]:
    """JSON Lines: a header, one line per event (oldest first), and a trailer with the count and a SHA-256 of
    every line before it.

    An event's `meta` is its provenance as stored (scint/core/codec.py): `source`, the statement, only where it
    is not `call_text(path, action, args)`, and `text`, the program, only where it is not its events' statements
    joined by line breaks. Files of before, where every event has its `source`, load and read the same."""
    digest = hashlib.sha256()
    header = json.dumps({"format": EXPORT_FORMAT, "branch": branch, "version": version}, ensure_ascii=False)
    digest.update(header.encode() + b"\n")
    yield header
    count = 0
    for v, e in events:
        line = json.dumps(
            {
                "v": v,
                "path": e.path,
                "action": e.action,
                "args": e.args,
                "meta": e.meta,
                "time": e.timestamp.isoformat(),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        digest.update(line.encode() + b"\n")
        count += 1
        yield line
    yield json.dumps({"end": True, "events": count, "sha256": digest.hexdigest()})


# What an event's provenance may hold, by key (other keys are kept as they are, if they are JSON).
_META_TYPES: dict[str, tuple[type, ...]] = {"actor": (str,), "source": (str,), "text": (str,), "program": (str,)}
_META_INTS = ("n", "tv")


def _check_event(doc: dict[str, Any], n: int) -> None:
    """An event line holds what Scint itself writes: string path and action, JSON arguments with string keys,
    and provenance of the right types. (Whether the action exists and accepts the arguments is checked when
    the events are replayed.)"""
    from scint.contexts.types import is_json

    def bad(what: str) -> HistoryError:
        return HistoryError(f"line {n}: {what}; the file is damaged or edited")

    if type(doc["path"]) is not str or type(doc["action"]) is not str:
        raise bad("the event's path and action must be strings")
    if type(doc["args"]) is not dict or not is_json(doc["args"]) or not _bounded_ints(doc["args"]):
        raise bad("the event's arguments must be a JSON object of finite values (integers within 64 bits)")
    meta = doc["meta"]
    if type(meta) is not dict or not is_json(meta) or not _bounded_ints(meta):
        raise bad("the event's provenance must be a JSON object")
    for key, types in _META_TYPES.items():
        if key in meta and type(meta[key]) not in types:
            raise bad(f"the provenance's `{key}` must be a string")
    for key in _META_INTS:
        if key in meta and (type(meta[key]) is not int or not 0 <= meta[key] < 2**31):
            raise bad(f"the provenance's `{key}` must be a whole number")
    params = meta.get("params")
    if params is not None and (type(params) is not dict or not all(map(is_param_name, params))):
        raise bad("the provenance's `params` must be a JSON object whose keys are Scint names")


_BUILTIN_ARGS: dict[str, dict[str, tuple[type, ...]]] = {
    "create_context": {"name": (str,), "type": (str,), "parent": (str, type(None)), "config": (dict,)},
    "drop_context": {"path": (str,)},
    # messages and proposals (scint/core/mail.py)
    "send": {"to": (str,), "content": (str,), "kind": (str,), "sender": (str,)},
    "reply": {"to": (str,), "content": (str,), "sender": (str,)},
    "deliver": {"ids": (list,)},
    "propose": {"proposer": (str,), "program": (str,), "version": (int,), "self_path": (str, type(None))},
    "proposal_error": {"id": (str,), "error": (str,)},
    "decide": {"id": (str,), "status": (str,), "by": (str,), "reason": (str, type(None))},
    "handle": {"owner": (str,), "text": (str,)},  # a statement result kept for `read` (scint/core/handles.py)
}


def check_imported(state: Any, doc: dict[str, Any]) -> None:
    """An imported event's arguments are what the live path would have recorded: the built-ins' arguments with
    their types, or an action's every parameter, type-checked against its signature. (Unknown contexts and
    actions are named when the event is applied; events of an older schema version are upcast there.)"""
    from scint.errors import BadArguments, ScintError

    path, action, args = doc["path"], doc["action"], doc["args"]
    if path == "" and action == "create_context" and isinstance(args.get("type"), str):
        try:  # its events could not be checked or replayed: refuse the file rather than store them unchecked
            get_type(args["type"])
        except ScintError:  # not a HistoryError: the file is not damaged, this process lacks the type
            raise BadArguments(f"`{args.get('name')}` is created with an unknown type: {not_loaded(args['type'])}")
    if path == "":
        wanted = _BUILTIN_ARGS.get(action)
        if wanted is not None and (
            set(args) != set(wanted) or any(type(args[k]) not in types for k, types in wanted.items())
        ):
            shape = ", ".join(f"{k}: {' | '.join(t.__name__ for t in ts)}" for k, ts in wanted.items())
            raise HistoryError(f"`{action}` is recorded with the arguments {sorted(args)}; it takes {shape}")
        return
    ctx = state.contexts.get(path)
    if ctx is None or doc["meta"].get("tv", 1) != ctx.schema_version:
        return
    spec = type(ctx).__scint_specs__.get(action)
    if spec is None or spec.kind not in ("action", "internal"):
        return
    try:
        bound = spec.bind([], args, where=path)
    except ScintError as exc:
        raise HistoryError(f"`{path}.{action}` is recorded with arguments it does not take: {exc}") from None
    if len(bound) != len(args):
        missing = sorted(set(bound) - set(args))
        raise HistoryError(f"`{path}.{action}` is recorded without the arguments {missing}")


def _bounded_ints(value: Any) -> bool:
    """No integer outside (-2**63, 2**63), as the language admits (is_json has checked the structure)."""
    t = type(value)
    if t is int:
        return -(2**63) < value < 2**63
    if t is list:
        return all(_bounded_ints(v) for v in value)
    if t is dict:
        return all(_bounded_ints(v) for v in value.values())
    return True


def read_export(lines: Iterable[bytes]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Check an export completely (format, order, count, checksum) before anything is imported."""
    digest = hashlib.sha256()
    header: dict[str, Any] | None = None
    events: list[dict[str, Any]] = []
    trailer: dict[str, Any] | None = None
    for n, raw in enumerate(lines, 1):
        if trailer is not None:
            raise HistoryError(f"line {n}: data after the end of the export")
        try:
            doc = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise HistoryError(f"line {n} is not valid JSON ({exc}); the file is damaged") from None
        if not isinstance(doc, dict):
            raise HistoryError(f"line {n} is not a JSON object; the file is damaged")
        if header is None:
            if doc.get("format") != EXPORT_FORMAT:
                raise HistoryError(f"not a Scint history export (expected format {EXPORT_FORMAT!r})")
            header = doc
        elif doc.get("end") is True:
            trailer = doc
            continue
        else:
            if set(doc) != {"v", "path", "action", "args", "meta", "time"} or doc["v"] != len(events) + 1:
                raise HistoryError(f"line {n}: not the next event of the history; the file is damaged or edited")
            _check_event(doc, n)
            try:
                doc["time"] = datetime.fromisoformat(doc["time"])
            except (TypeError, ValueError):
                raise HistoryError(f"line {n}: bad time {doc['time']!r}") from None
            events.append(doc)
        digest.update(raw.rstrip(b"\r\n") + b"\n")
    if header is None:
        raise HistoryError("the export is empty")
    if trailer is None:
        raise HistoryError(f"the export is truncated: it ends after {len(events)} events without its trailer")
    if trailer.get("events") != len(events):
        raise HistoryError(f"the export says {trailer.get('events')} events but holds {len(events)}")
    if trailer.get("sha256") != digest.hexdigest():
        raise HistoryError("the export's checksum does not match: the file was changed after it was written")
    return header, events
