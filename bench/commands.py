"""One-statement programs through Session.run, against a bare eventsourcing Application in the same run.

  scint            Session.run('c.put(key="k123", value=123)') : parse, resolve, bind, apply, record, save
  eventsourcing    a plain Aggregate triggering one event with the same fields (path, action, args, meta) and
                   Application.save per event: the cost of recording alone (the goal: Scint <= 1.5x its time)

on memory:// (eventsourcing's POPO recorder) and durable sqlite:/// (WAL, synchronous=FULL). Then the time to
load a branch's head (open a new Session and read its version) after 100 and after N events (goal: within 2x).

Run: python bench/commands.py [--programs 3000] [--events 100000]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

import scint
from scint.store.urls import environment_for_url


class Plain(Aggregate):
    class Applied(Aggregate.Event):
        path: str
        action: str
        args: dict[str, Any]
        meta: dict[str, Any]

        def apply(self, aggregate: Any) -> None:
            aggregate.data[self.args["key"]] = self.args["value"]

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}


def bare(url: str, n: int) -> float:
    app = Application(env=environment_for_url(url))
    agg = Plain()
    app.save(agg)
    t = time.perf_counter()
    for i in range(n):
        agg.trigger_event(
            Plain.Applied,
            path="c",
            action="put",
            args={"key": f"k{i}", "value": i},
            meta={"actor": "human", "source": f'c.put(key="k{i}", value={i})', "program": "0123456789abcdef", "n": 1},
        )
        app.save(agg)
    elapsed = time.perf_counter() - t
    app.close()
    return n / elapsed


def scint_run(url: str, n: int) -> float:
    with scint.open(url) as s:
        s.run('create_context("c", type="Container")')
        t = time.perf_counter()
        for i in range(n):
            s.run(f'c.put(key="k{i}", value={i})')
        return n / (time.perf_counter() - t)


def load_head(url: str, events: int) -> float:
    """Seconds to open a session and load the head, best of 5, after `events` recorded events."""
    with scint.open(url) as s:
        s.run('create_context("n", type="Container")')
        batch = 1000
        done = 1
        while done < events:
            k = min(batch, events - done)
            s.run("\n".join(f'n.put(key="k{j % 50}", value={j})' for j in range(done, done + k)))
            done += k
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        with scint.open(url) as s:
            assert s.version == events
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--programs", type=int, default=3000)
    ap.add_argument("--durable-programs", type=int, default=500)
    ap.add_argument("--events", type=int, default=100_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="scint-bench-"))
    print(f"Python {platform.python_version()}, scint {scint.__version__}; one-statement programs, best of 3")
    try:
        for label, make, n in (
            ("memory://", lambda i: "memory://", args.programs),
            ("sqlite (durable)", lambda i: f"sqlite:///{tmp}/c{i}.db", args.durable_programs),
        ):
            ours = max(scint_run(make(f"s{r}"), n) for r in range(3))
            base = max(bare(make(f"b{r}"), n) for r in range(3))
            print(f"\n{label}: {n} programs")
            print(f"  scint Session.run        {ours:10,.0f} /s  {1e6 / ours:8.1f} us")
            print(f"  eventsourcing save       {base:10,.0f} /s  {1e6 / base:8.1f} us")
            print(f"  scint costs {base / ours:.2f}x the bare save (goal <= 1.5x)")
        small = load_head(f"sqlite:///{tmp}/h100.db", 100)
        large = load_head(f"sqlite:///{tmp}/h{args.events}.db", args.events)
        print(
            f"\nload head (sqlite): 100 events {small * 1e3:.1f} ms, {args.events:,} events {large * 1e3:.1f} ms"
            f" -> {large / small:.2f}x (goal <= 2x)"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
