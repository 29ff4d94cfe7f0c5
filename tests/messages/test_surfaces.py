"""The CLI over messages and proposals: `scint inbox/reply/proposals/approve/reject` (magics: test_magic.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import scint
from tests.support.cli import Cli

SETUP = (
    'create_context("notes"); create_context("lit", type="Process", goal="g", approve=["notes.put"], '
    'can=["self.**", "notes.*", "send", "reply", "inbox"])'
)


def _prepare(url: str) -> None:
    with scint.open(url) as s:
        s.run(SETUP)
        s.send("human", "which key?", "query", actor="process:lit")
        for value in (1, 2):
            with pytest.raises(scint.NeedsApproval):
                s.run(f'notes.put(key="k", value={value})', actor="process:lit")


def test_the_cli_reads_answers_and_decides(tmp_path: Path) -> None:
    url = f"lmdb:///{tmp_path}/store"
    _prepare(url)
    sub = Cli(tmp_path, url, subprocess=True)
    shown = sub("inbox").stdout
    assert "m1  query from lit to human" in shown and "which key?" in shown
    assert "sent m2" in sub("reply", "m1", "use", "k").stdout
    assert "no messages" in sub("inbox").stdout
    assert json.loads(sub("inbox", "lit", "--json").stdout)[0]["content"] == "use k"
    listed = sub("proposals").stdout
    assert "p1  pending  by process:lit" in listed and 'notes.put(key="k", value=1)' in listed
    assert "approved p1" in sub("approve", "p1").stdout
    assert "approved p2" in sub("approve", "p2", "--edit", 'notes.put(key="k", value=3)').stdout
    failed = sub("approve", "p2", ok=False)
    assert failed.returncode == 1 and "already approved" in failed.stderr
    assert json.loads(sub("proposals", "--status", "all", "--json").stdout)[1]["status"] == "approved"
    with scint.open(url) as s:
        assert s.view().get("notes")["data"] == {"k": 3}


def test_the_cli_rejects_with_a_reason(tmp_path: Path) -> None:
    url = f"lmdb:///{tmp_path}/store"
    _prepare(url)
    cli = Cli(tmp_path, url, subprocess=False)
    assert "rejected p1" in cli("reject", "p1", "--reason", "too early").stdout
    assert cli("reject", "p1", ok=False).returncode != 0  # --reason is required
    unknown = cli("approve", "p7", ok=False)
    assert unknown.returncode == 1 and "no proposal 'p7'" in unknown.stderr
    assert "too early" in cli("inbox", "lit").stdout
