"""Hostile export files: valid JSON with a correct checksum, but holding what Scint never writes. Each is refused
with a HistoryError (nothing imported), never another exception; and what a history holds cannot break
`log` or `rerun` later."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

import scint
from scint.errors import HistoryError

CREATE = {
    "path": "",
    "action": "create_context",
    "args": {"name": "n", "type": "Container", "parent": None, "config": {}},
}
META = {"actor": "human", "source": "x", "program": "p1", "n": 1}


def write_export(path: Path, events: list[dict[str, Any]], raw: list[str] | None = None) -> Path:
    """An export with a correct header, trailer and checksum around `events` (defaults filled in)."""
    lines = [json.dumps({"format": "scint-history/1", "branch": "main", "version": len(events)})]
    for i, e in enumerate(events, 1):
        doc = {"v": i, **CREATE, "meta": dict(META), "time": "2024-01-01T00:00:00+00:00"}
        doc.update(e)
        lines.append(json.dumps(doc))
    lines += raw or []
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode() + b"\n")
    count = len(events) + len(raw or [])
    lines.append(json.dumps({"end": True, "events": count, "sha256": digest.hexdigest()}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def put(args: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"path": "n", "action": "put", "args": args, **extra}


HOSTILE = {
    "path is a list": [{"path": [1], "action": "put", "args": {}}],
    "path is an int": [{"path": 5}],
    "action is an int": [CREATE, {"path": "n", "action": 5, "args": {}}],
    "args is a string": [{"args": "x"}],
    "args is a list": [CREATE, put([1])],  # type: ignore[arg-type]
    "create_context without arguments": [{"args": {}}],
    "create_context with a string config": [
        {"args": {"name": "n", "type": "Container", "parent": None, "config": "x"}}
    ],
    "drop_context of an int": [{"action": "drop_context", "args": {"path": 5}}],
    "an unknown parameter": [CREATE, put({"zzz": 1})],
    "a missing parameter": [CREATE, put({"key": "a"})],
    "an argument of the wrong type": [CREATE, put({"key": 5, "value": 1})],
    "NaN": [CREATE, put({"key": "a", "value": float("nan")})],
    "Infinity": [CREATE, put({"key": "a", "value": float("inf")})],
    "a huge integer": [CREATE, put({"key": "a", "value": 10**400})],
    "meta is an int": [{"meta": 5}],
    "meta tv is a string": [{"meta": {**META, "tv": "x"}}],
    "meta source is an int": [{"meta": {**META, "source": 5}}],
    "meta actor is an int": [{"meta": {**META, "actor": 5}}],
    "meta program is a list": [{"meta": {**META, "program": [1]}}],
}


@pytest.mark.parametrize("label", list(HOSTILE))
def test_a_hostile_event_is_refused_with_a_history_error(label: str, tmp_path: Path) -> None:
    path = write_export(tmp_path / "x.jsonl", HOSTILE[label])
    with pytest.raises(HistoryError):
        scint.load(path)


def test_a_deeply_nested_line_is_refused(tmp_path: Path) -> None:
    path = write_export(tmp_path / "x.jsonl", [], raw=["[" * 100_000 + "]" * 100_000])
    with pytest.raises(HistoryError, match="not valid JSON"):
        scint.load(path)


def test_a_refused_import_writes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    path = write_export(tmp_path / "x.jsonl", [CREATE, put({"key": "a", "value": 1}), put({"key": 5, "value": 1})])
    with pytest.raises(HistoryError, match="event 3"):
        scint.load(path, into=url)
    with scint.open(url) as s:
        assert s.version == 0
        assert s.view().render("json") == "{}"


def test_a_well_formed_export_still_loads(tmp_path: Path) -> None:
    path = write_export(tmp_path / "x.jsonl", [CREATE, put({"key": "a", "value": [1, 2.5, None, {"b": True}]})])
    with scint.load(path) as s:
        assert s.view().get("n") == {"data": {"a": [1, 2.5, None, {"b": True}]}}
        assert s.replay().render("json") == s.view().render("json")


def test_a_damaged_process_run_request_is_a_rerun_failure_not_a_crash(tmp_path: Path) -> None:
    run = {"run": "n", "max_steps": "abc"}
    event = put({"key": "a", "value": 1}, meta={"actor": "process:n", "source": "x", "program": "p2", "request": run})
    with scint.load(write_export(tmp_path / "x.jsonl", [CREATE, event])) as s:
        report = s.rerun(since=1, branch="again")
    assert report.programs == 1
    assert len(report.failures) == 1
    assert "damaged" in report.failures[0][2]
