"""History benchmarks: branch creation cost, and storage and speed against LangGraph in the same run.

  1. branch creation on a history of 1,000 vs N events (goal: within 2x of each other, under 5 ms)
  2. a state that grows by one 100-byte item per step (a thread's messages), 1,000 steps:
       scint       Thread.post through Session.run, durable LMDB (the default store)
       langgraph   StateGraph whose `items` channel appends one 100-byte item per invoke, with SqliteSaver and
                   with InMemorySaver (LangGraph 1.2, installed in its own virtual environment under
                   bench/.langgraph-venv on first use: it is not a Scint dependency)
     reported: steps per second, and bytes on disk per step around step 1,000 (growth over the last 100 steps)
     goals at step 1,000: >= 100x less storage per step than SqliteSaver, >= 10x its steps per second

Run: python bench/history.py [--events 1000000] [--steps 1000] [--no-langgraph]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import scint

HERE = Path(__file__).resolve().parent
ITEM = "x" * 100

LANGGRAPH = r"""
import json, operator, os, sys, time, sqlite3
from typing import Annotated, TypedDict
from langgraph.graph import StateGraph, START, END
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver

steps, path = int(sys.argv[1]), sys.argv[2]
ITEM = "x" * 100

class State(TypedDict):
    items: Annotated[list, operator.add]

def node(state):
    return {}

def build(saver):
    g = StateGraph(State)
    g.add_node("step", node)
    g.add_edge(START, "step")
    g.add_edge("step", END)
    return g.compile(checkpointer=saver)

def size(p):
    return sum(os.path.getsize(p + s) for s in ("", "-wal", "-shm") if os.path.exists(p + s))

out = {}
conn = sqlite3.connect(path, check_same_thread=False)
graph = build(SqliteSaver(conn))
cfg = {"configurable": {"thread_id": "t"}}
t = time.perf_counter()
sizes = {}
for i in range(1, steps + 1):
    graph.invoke({"items": [ITEM]}, cfg)
    if i in (steps - 100, steps):
        conn.commit()
        sizes[i] = size(path)
out["sqlite_steps_per_s"] = steps / (time.perf_counter() - t)
out["sqlite_bytes_total"] = sizes[steps]
out["sqlite_bytes_per_step"] = (sizes[steps] - sizes[steps - 100]) / 100
assert len(graph.get_state(cfg).values["items"]) == steps

graph = build(InMemorySaver())
t = time.perf_counter()
for i in range(steps):
    graph.invoke({"items": [ITEM]}, cfg)
out["memory_steps_per_s"] = steps / (time.perf_counter() - t)
print(json.dumps(out))
"""


def langgraph_python() -> Path:
    venv = HERE / ".langgraph-venv"
    py = venv / "bin" / "python"
    if not py.exists():
        print("creating bench/.langgraph-venv with langgraph 1.2 (once)...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(py), "-m", "pip", "install", "-q", "langgraph>=1.2,<1.3", "langgraph-checkpoint-sqlite"], check=True
        )
    return py


def used_bytes(path: Path) -> int:
    return sum(f.stat().st_blocks * 512 for f in path.iterdir() if f.is_file())


def fill(s: scint.Session, upto: int) -> None:
    done = s.version
    if done == 0:
        s.run('create_context("n")')
        done = 1
    while done < upto:
        k = min(1000, upto - done)
        s.run("\n".join(f'n.put(key="k{j % 50}", value={j})' for j in range(done, done + k)))
        done += k


def branch_cost(url: str, events: int, tries: int = 7) -> tuple[float, float]:
    """Best seconds to create a branch at the head, and to open a session on a new branch and load its head."""
    with scint.open(url) as s:
        fill(s, events)
        best = float("inf")
        for i in range(tries):
            t = time.perf_counter()
            s.branch(f"b{events}-{i}")
            best = min(best, time.perf_counter() - t)
        assert s.branches()[-1]["version"] == events
    load = float("inf")
    for i in range(tries):
        t = time.perf_counter()
        with scint.open(url, branch=f"b{events}-{i}") as b:
            assert b.version == events
        load = min(load, time.perf_counter() - t)
    return best, load


def scint_steps(url: str, store: Path, steps: int) -> dict[str, float]:
    with scint.open(url) as s:
        s.run('create_context("chat", type="Thread")')
        sizes = {}
        t = time.perf_counter()
        for i in range(1, steps + 1):
            s.run(f'chat.post(role="ai", content="{ITEM}")')
            if i in (steps - 100, steps):
                sizes[i] = used_bytes(store)
        rate = steps / (time.perf_counter() - t)
        assert len(s.view().get("chat")["posts"]) == steps
    return {"steps_per_s": rate, "bytes_per_step": (sizes[steps] - sizes[steps - 100]) / 100, "total": sizes[steps]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--no-langgraph", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="scint-history-"))
    try:
        small, small_load = branch_cost(f"lmdb:///{tmp}/small", 1000)
        t = time.perf_counter()
        large, large_load = branch_cost(f"lmdb:///{tmp}/large", args.events)
        built = time.perf_counter() - t
        print(
            f"branch creation (LMDB, durable): 1,000 events {small * 1e3:.2f} ms; {args.events:,} events "
            f"{large * 1e3:.2f} ms -> {large / small:.2f}x (goals: within 2x, under 5 ms; built in {built:.0f} s)"
        )
        print(
            f"loading a new branch's head: 1,000 events {small_load * 1e3:.2f} ms; {args.events:,} events "
            f"{large_load * 1e3:.2f} ms -> {large_load / small_load:.2f}x"
        )

        ours = scint_steps(f"lmdb:///{tmp}/steps", tmp / "steps", args.steps)
        print(f"\nstate growing by one 100-byte item per step, {args.steps:,} steps")
        print(
            f"  scint (LMDB, durable)     {ours['steps_per_s']:9,.0f} steps/s   "
            f"{ours['bytes_per_step']:10,.0f} bytes/step   {ours['total'] / 1e6:8.2f} MB total"
        )
        if not args.no_langgraph:
            py = langgraph_python()
            res = subprocess.run(
                [str(py), "-c", LANGGRAPH, str(args.steps), str(tmp / "lg.sqlite")], capture_output=True, text=True
            )
            if res.returncode != 0:
                raise SystemExit(res.stderr)
            lg = json.loads(res.stdout.strip().splitlines()[-1])
            print(
                f"  langgraph SqliteSaver     {lg['sqlite_steps_per_s']:9,.0f} steps/s   "
                f"{lg['sqlite_bytes_per_step']:10,.0f} bytes/step   {lg['sqlite_bytes_total'] / 1e6:8.2f} MB total"
            )
            print(f"  langgraph InMemorySaver   {lg['memory_steps_per_s']:9,.0f} steps/s")
            print(
                f"  scint vs SqliteSaver: {lg['sqlite_bytes_per_step'] / max(ours['bytes_per_step'], 1):.0f}x less "
                f"storage per step (goal >= 100x), {ours['steps_per_s'] / lg['sqlite_steps_per_s']:.1f}x steps/s "
                f"(goal >= 10x); vs InMemorySaver {ours['steps_per_s'] / lg['memory_steps_per_s']:.1f}x steps/s"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    os.sys.stdout.flush()


if __name__ == "__main__":
    main()
