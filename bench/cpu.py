"""CPU per statement (process time, not wall time), against eventsourcing in the same run.

  100-statement programs  Session.run on LMDB with sync=fast (no barrier: parse, bind, apply, encode, insert)
                          vs an eventsourcing Application on SQLite saving 100 events per save
                          (goal: Scint >= 1.5x its rate, i.e. <= 0.67x its CPU per event)
  one-statement programs  Session.run on memory:// vs a bare eventsourcing save of one event on memory://
                          (goal: <= 1.2x its CPU)

Process time counts only this process's CPU, so the figures hold up on a machine other jobs are loading (wall
times there drift 2-3x); the fsyncs SQLite waits for are not in them. Each case is the best of --rounds.
--baseline DIR measures the same in a subprocess on the Scint found in DIR (e.g. a checkout of main), interleaved
round by round with this tree.

Run: python bench/cpu.py [--rounds 5] [--baseline /path/to/checkout]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

VALUE = "x" * 60


class Plain(Aggregate):
    class Put(Aggregate.Event):
        path: str
        action: str
        args: dict[str, Any]
        meta: dict[str, Any]

        def apply(self, aggregate: Any) -> None:
            aggregate.data[self.args["key"]] = self.args["value"]

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}


def cpu_per(step: Any, count: int, per: int) -> float:
    """Microseconds of process time per unit: `step(i)` for i in range(count), each doing `per` units."""
    step(-1)
    t = time.process_time()
    for i in range(count):
        step(i)
    return (time.process_time() - t) * 1e6 / (count * per)


def scint_cases(tmp: Path, programs: int) -> dict[str, float]:
    import scint

    out = {}
    with scint.open(f"lmdb:///{tmp}/s-{time.monotonic_ns()}?sync=fast") as s:
        s.run('create_context("c")')
        texts = ["\n".join(f'c.put(key="k{i}-{j}", value="{VALUE}")' for j in range(100)) for i in range(programs)]
        out["scint_100"] = cpu_per(lambda i: s.run(texts[i]), programs, 100)
    with scint.open("memory://") as s:
        s.run('create_context("c")')
        ones = [f'c.put(key="k{i}", value="{VALUE}")' for i in range(programs * 50)]
        out["scint_1"] = cpu_per(lambda i: s.run(ones[i]), len(ones), 1)
    return out


def es_cases(tmp: Path, programs: int) -> dict[str, float]:
    def put(agg: Plain, i: int, j: int) -> None:
        meta = {"actor": "human", "program": "0123456789abcdef", "n": j}
        agg.trigger_event(Plain.Put, path="c", action="put", args={"key": f"k{i}-{j}", "value": VALUE}, meta=meta)

    out = {}
    app = Application(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp / "es.db")})
    agg = Plain()
    app.save(agg)

    def hundred(i: int) -> None:
        for j in range(100):
            put(agg, i, j)
        app.save(agg)

    out["es_sqlite_100"] = cpu_per(hundred, programs, 100)
    app.close()
    mem = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    agg = Plain()
    mem.save(agg)

    def one(i: int) -> None:
        put(agg, i, 1)
        mem.save(agg)

    out["es_memory_1"] = cpu_per(one, programs * 50, 1)
    return out


def measure(programs: int) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="scint-cpu-"))
    try:
        return {**scint_cases(tmp, programs), **es_cases(tmp, programs)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: min(r[k] for r in runs) for k in runs[0]}


def report(name: str, f: dict[str, float]) -> None:
    print(f"{name}")
    ratio = f["es_sqlite_100"] / f["scint_100"]
    print(f"  100-statement, LMDB fast scint {f['scint_100']:6.1f} us/statement  ES+SQLite, 100 per save", end="")
    print(f" {f['es_sqlite_100']:6.1f} us/event   scint rate = {ratio:.2f}x (goal >= 1.5x)")
    ratio = f["scint_1"] / f["es_memory_1"]
    print(f"  one-statement, memory:// scint {f['scint_1']:6.1f} us/program     bare eventsourcing save       ", end="")
    print(f" {f['es_memory_1']:6.1f} us/event   scint costs {ratio:.2f}x (goal <= 1.2x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--programs", type=int, default=30, help="100-statement programs per round (x50 one-statement)")
    ap.add_argument("--baseline", default=None)
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one round, for the baseline
    args = ap.parse_args()
    if args.json:
        print(json.dumps(measure(args.programs)))
        return
    ours: list[dict[str, float]] = []
    theirs: list[dict[str, float]] = []
    for _ in range(args.rounds):
        ours.append(measure(args.programs))
        if args.baseline:
            env = {**os.environ, "PYTHONPATH": str(Path(args.baseline).resolve())}
            cmd = [sys.executable, __file__, "--programs", str(args.programs), "--json"]
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, cwd=args.baseline)
            theirs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load {load}; best of {args.rounds} rounds")
    report("this tree", best(ours))
    if theirs:
        report(f"baseline {args.baseline}", best(theirs))
        a, b = best(ours), best(theirs)
        print(f"  this tree / baseline: 100-statement {a['scint_100'] / b['scint_100']:.2f}x CPU, ", end="")
        print(f"one-statement {a['scint_1'] / b['scint_1']:.2f}x CPU")


if __name__ == "__main__":
    main()
