"""Stores written before the lean event format (JSON-form events, full topics in LMDB, `meta.source` on every
event) open and read exactly as the Scint that wrote them read them, and take new programs in the lean form.

The stores in tests/store/v1_stores were written by tests/store/v1_stores/make.py running on main at 3873420,
which also recorded what that Scint read back (expected.json)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import scint

V1 = Path(__file__).parent / "v1_stores"
EXPECTED = json.loads((V1 / "expected.json").read_text())


@pytest.fixture(params=["lmdb", "sqlite"])
def old_store(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    if request.param == "lmdb":
        shutil.copytree(V1 / "lmdb", tmp_path / "lmdb")
        return "lmdb", f"lmdb:///{tmp_path}/lmdb"
    shutil.copy(V1 / "store.db", tmp_path / "store.db")
    return "sqlite", f"sqlite:///{tmp_path}/store.db"


def read_back(s: scint.Session, tmp_path: Path) -> dict[str, object]:
    export = tmp_path / "export.jsonl"
    s.export(str(export))
    return {
        "version": s.version,
        "log": [e.as_dict() for e in s.log()],
        "views": {str(v): s.view(at=int(v)).render("json") for v in EXPECTED["lmdb"]["views"]},
        "replay": s.replay().render("json"),
        "export": export.read_text().splitlines(),
        "diff": s.diff("main", "other").as_dict(),
    }


def test_an_old_store_reads_as_it_did(old_store: tuple[str, str], tmp_path: Path) -> None:
    kind, url = old_store
    with scint.open(url) as s:
        got = read_back(s, tmp_path)
    expected = EXPECTED[kind]
    for key in ("version", "log", "views", "replay", "diff", "export"):
        assert got[key] == expected[key], key
    assert any('"source"' in line for line in expected["export"][1:-1])  # the old form: every event says it


def test_an_old_store_takes_lean_programs_and_reads_both(old_store: tuple[str, str], tmp_path: Path) -> None:
    _, url = old_store
    with scint.open(url) as s:
        old_log = [e.as_dict() for e in s.log()]
        s.run('notes.put(key="new", value={"a": [1, 2]})\nnotes.put(key="n2", value="x")')
        s.run("notes.put('odd', 3)")
        log = [e.as_dict() for e in s.log()]
        assert [e["source"] for e in log[:2]] == [
            "notes.put('odd', 3)",
            'notes.put(key="new", value={"a": [1, 2]})\nnotes.put(key="n2", value="x")',
        ]
        assert log[2:] == old_log
        assert s.replay().render("json") == s.view().render("json")
        s.export(str(tmp_path / "both.jsonl"))
        head = s.view().render("json")
    lines = (tmp_path / "both.jsonl").read_text().splitlines()
    new = [json.loads(line) for line in lines[-4:-1]]
    flags = [("source" in e["meta"], "text" in e["meta"]) for e in new]
    assert flags == [(False, False), (False, False), (True, False)]
    with scint.open(url) as s:  # reopened: the head and log come back from both forms
        assert s.view().render("json") == head and [e.as_dict() for e in s.log()] == log
    loaded = scint.load(str(tmp_path / "both.jsonl"), into="memory://")
    assert loaded.view().render("json") == head and [e.as_dict() for e in loaded.log()] == log
