"""The scheduler against a loopback OpenAI-compatible server, through the real `openai` client: model calls
overlap, `scint agents run` reports, Ctrl-C (a real SIGINT) stops it cleanly, and two schedulers in two OS
processes sharing a store (LMDB, SQLite, PostgreSQL) step each process exactly once."""

from __future__ import annotations

import io
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import scint
from scint.llm import OpenAIProvider
from tests.agents.loopback import ModelServer, tool_results
from tests.support.cli import Cli, command


def two_steps(path: str, body: dict[str, Any]) -> Any:
    """Each process adds a task, then answers."""
    return {"program": 'self.add_task(title="x")'} if tool_results(body) == 0 else f"{path} is done"


@pytest.fixture
def server() -> Iterator[ModelServer]:
    srv = ModelServer(two_steps)
    yield srv
    srv.close()


def make_processes(url: str, names: list[str]) -> None:
    with scint.open(url) as s:
        s.run("\n".join(f'create_context("{n}", type="Process", goal="goal of {n}")' for n in names))


def test_model_calls_overlap(tmp_path: Path) -> None:
    """Two processes whose model calls take T seconds each: the calls are in flight together (the server holds
    each at a barrier until both have arrived, then answers T seconds later), and the run takes well under 2T
    more than the same run with instant answers (measured first, in the same test: this machine is shared)."""
    T = 2.0
    delay = {"seconds": 0.0}
    both = threading.Barrier(2, timeout=30)

    def hold(path: str, body: dict[str, Any]) -> None:
        both.wait()  # were the calls made one after the other, this would time out (and the test fail)
        threading.Event().wait(delay["seconds"])  # the model's latency (the server's behaviour, not a test wait)

    slow = ModelServer(lambda p, b: f"{p} answered", hold=hold)
    try:
        with scint.open(f"lmdb:///{tmp_path}/store") as s:
            provider = OpenAIProvider("test-model", api="chat", base_url=slow.base_url, api_key="t", max_retries=0)
            elapsed = []
            for seconds, names in ((0.0, ("a", "b")), (T, ("c", "d"))):
                delay["seconds"] = seconds
                s.run("; ".join(f'create_context("{n}", type="Process", goal="g{n}")' for n in names))
                started = time.perf_counter()
                reports = s.agents.run(names, provider=provider)
                elapsed.append(time.perf_counter() - started)
                assert [(r.path, r.answer) for r in reports] == [(n, f"{n} answered") for n in names]
        assert not both.broken and slow.per_process() == dict.fromkeys("abcd", 1)
        assert elapsed[1] - elapsed[0] < 1.5 * T, f"{elapsed[1]:.2f} s, {elapsed[0]:.2f} s with instant answers"
    finally:
        slow.close()


def test_cli_runs_the_agents_and_prints_a_report(tmp_path: Path, server: ModelServer) -> None:
    url = f"lmdb:///{tmp_path}/store"
    make_processes(url, ["a", "b", "c"])
    cli = Cli(tmp_path, url, subprocess=False)
    proc = cli("agents", "run", "a", "b", "--max-steps", "5", env=server.env())
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["path", "steps", "status", "answer", "or", "reason"]
    assert lines[1].split() == ["a", "2", "done", "a", "is", "done"]
    assert lines[2].split() == ["b", "2", "done", "b", "is", "done"]
    assert len(lines) == 3 and server.per_process() == {"a": 2, "b": 2}
    rows = cli.json("agents", "run", env=server.env())["agents"]
    assert [(r["path"], r["steps"], r["status"], r["answer"]) for r in rows] == [
        ("a", 0, "done", "a is done"),
        ("b", 0, "done", "b is done"),
        ("c", 2, "done", "c is done"),
    ]
    assert cli.json("agents")["agents"][2]["used"]["steps"] == 2  # `scint agents` still lists them
    bad = cli("agents", "run", "--max-steps", "5000", ok=False)
    assert bad.returncode == 1 and "max_steps must be a whole number from 1 to 1,000" in bad.stderr
    failed = cli("agents", "run", "--max-steps", "1", env={"OPENAI_BASE_URL": "", "OPENAI_API_KEY": ""}, ok=False)
    assert failed.returncode == 0  # nothing had work: nothing ran


def test_ctrl_c_stops_the_runs_and_leaves_the_store_usable(tmp_path: Path) -> None:
    """A real SIGINT to `scint agents run` while both processes wait for their model: exit 130 with one line,
    each process `stopped` with its first step whole, no claim left, and the store takes new programs."""
    release = threading.Event()
    held = ModelServer(two_steps, hold=lambda p, b: release.wait(60) if tool_results(b) else None)
    url = f"lmdb:///{tmp_path}/store"
    make_processes(url, ["a", "b"])
    env = {k: v for k, v in os.environ.items() if k not in ("SCINT_STORE", "SCINT_DEBUG")}
    proc = subprocess.Popen(
        [*command(), "--store", url, "agents", "run"],
        cwd=tmp_path,
        env={**env, **held.env(), "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        held.wait_for(4)  # both took their first step and are waiting for their second model reply
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
        held.close()
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == [
        "interrupted: 2 running processes stopped (a, b) after 2 steps in all; every step taken is recorded whole"
    ]
    assert out == "" and "Traceback" not in err
    with scint.open(url) as s:
        for p in ("a", "b"):
            state = s.view().get(p)
            assert (state["status"], state["claimed"]) == ("stopped", None)
            assert state["transcript"][-1] == {"stopped": "interrupted (CancelledError)"}
            assert len(state["transcript"]) == 2 and state["transcript"][0]["outputs"][0].startswith("ok")
            assert s.view(p).paths() == [p, f"{p}.t1"]
        assert s.run('create_context("after")').version > 0
    assert held.per_process() == {"a": 2, "b": 2}


RACER = """
import json, sys
import scint
with scint.open(sys.argv[1]) as s:
    reports = s.agents.run(concurrency=2)
print(json.dumps([r.as_dict() for r in reports]))
"""


def test_two_schedulers_on_one_store_step_each_process_once(persistent_url: str, tmp_path: Path) -> None:
    """Two schedulers (two OS processes) race over 20 processes, at most 2 runs each at a time. The server
    holds the first 4 model calls until all 4 are in flight, so both schedulers are running at once; after
    that they race to claim the rest. Every process is asked exactly twice (its two steps)."""
    names = [f"p{i:02d}" for i in range(20)]
    make_processes(persistent_url, names)
    four = threading.Barrier(4, timeout=60)
    counter = itertools.count()
    lock = threading.Lock()

    def hold(path: str, body: dict[str, Any]) -> None:
        with lock:
            n = next(counter)
        if n < 4:
            four.wait()

    racing = ModelServer(two_steps, hold=hold)
    env = {k: v for k, v in os.environ.items() if k not in ("SCINT_STORE", "SCINT_DEBUG")}
    try:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", RACER, persistent_url],
                cwd=tmp_path,
                env={**env, **racing.env()},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        results = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        racing.close()
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in results]
    assert not four.broken
    assert racing.per_process() == dict.fromkeys(names, 2)  # each step taken exactly once
    steps = [{r["path"]: r["steps"] for r in json.loads(out)} for out, _ in results]
    assert all(sum(s.values()) > 0 for s in steps)  # both schedulers ran processes
    assert {n: steps[0][n] + steps[1][n] for n in names} == dict.fromkeys(names, 2)
    with scint.open(persistent_url) as s:
        for n in names:
            state = s.view().get(n)
            assert (state["status"], state["claimed"], state["answer"]) == ("done", None, f"{n} is done")
            assert len(state["transcript"]) == 2 and s.view(n).paths() == [n, f"{n}.t1"]


def test_progress_on_a_terminal_is_a_line_per_process() -> None:
    from rich.console import Console

    from scint.agents import AgentReport
    from scint.cli.agents import _Progress

    screen = io.StringIO()
    with _Progress(Console(file=screen, force_terminal=True, width=100, color_system=None)) as progress:
        progress.update(AgentReport("a", steps=1, running=True))
        progress.update(AgentReport("b", running=True))
        progress.update(AgentReport("a", steps=2, status="done"))
        progress.live.refresh()  # type: ignore[union-attr]
        shown = screen.getvalue()
    assert "a: done - 2 steps" in shown and "b: running - 0 steps" in shown
    quiet = io.StringIO()
    with _Progress(Console(file=quiet, force_terminal=False)) as progress:
        progress.update(AgentReport("a", steps=1, running=True))
    assert quiet.getvalue() == ""  # not a terminal: nothing
