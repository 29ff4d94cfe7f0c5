"""`scint agents` in a subprocess: the processes as a table and as JSON, with their holds and budgets."""

from __future__ import annotations

from pathlib import Path

import pytest

import scint
from scint.llm import MockProvider, Reply, Usage
from tests.support.cli import Cli


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"lmdb:///{tmp_path}/store"
    with scint.open(url) as s:
        s.run(
            'create_context("research", type="Thread"); research.spawn(name="lit", goal="find")\n'
            'research.lit.configure(settings={"budget": {"steps": 20, "tokens": 50000}, "model": "gpt-5-mini"})\n'
            'research.lit.spawn(name="sub", goal="help"); create_context("solo", type="Process", backend="human")'
        )
        s.llm = MockProvider([Reply(text="found", usage=Usage(1000, 234))])
        s.run("research.lit.run()")
        s.run('send(to="research.lit", content="are you done?", kind="query"); send(to="solo", content="fyi")')
        s.run('research.lit.configure(settings={"can": ["self.**", "solo.*"], "approve": ["solo.*"]})')
        with pytest.raises(scint.NeedsApproval):
            s.run('solo.add_task(title="x")', actor="process:research.lit")
        s.run('research.lit.pause(reason="lunch")')
    return url


def test_the_table_lists_every_process_with_what_it_spent(store: str, tmp_path: Path) -> None:
    out = Cli(tmp_path, store, subprocess=True)("agents").stdout
    lines = out.splitlines()
    assert lines[0].split() == ["path", "status", "backend", "model", "steps", "tokens", "seconds", "unread",
                                "proposals"]
    lit = next(line for line in lines if line.startswith("research.lit "))
    assert "paused by human: lunch" in lit and "gpt-5-mini" in lit and "1/20" in lit and "1,234/50,000" in lit
    sub = next(line for line in lines if line.startswith("research.lit.sub"))
    assert "idle (research.lit is paused by human: lunch)" in sub
    solo = next(line for line in lines if line.startswith("solo"))
    assert solo.split()[1:3] == ["idle", "human"] and solo.split()[-2:] == ["1", "0"]


def test_json_carries_the_same_rows(store: str, tmp_path: Path) -> None:
    rows = {r["path"]: r for r in Cli(tmp_path, store, subprocess=True).json("agents")["agents"]}
    assert list(rows) == ["research.lit", "research.lit.sub", "solo"]
    lit = rows["research.lit"]
    assert lit["status"] == "paused" and lit["held"] == "paused by human: lunch"
    assert lit["used"]["steps"] == 1 and lit["used"]["tokens"] == 1234
    assert lit["budget"] == {"steps": 20, "tokens": 50000, "seconds": None}
    assert (lit["unread"], lit["proposals"]) == (1, 1)  # a query waiting, and a proposal waiting for a person
    assert rows["solo"]["held"] is None and rows["solo"]["backend"] == "human"


def test_no_processes_says_so(tmp_path: Path) -> None:
    out = Cli(tmp_path, f"lmdb:///{tmp_path}/empty", subprocess=False)("agents").stdout
    assert out.startswith("no processes")
