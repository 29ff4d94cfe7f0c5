"""Scint on its embedded LMDB store, against raw py-lmdb and eventsourcing + SQLite in the same run.

  1. durable one-statement programs/s: Session.run on LMDB   vs raw py-lmdb (1 put + commit, same sync flags)
                                                             vs an eventsourcing Application on SQLite (1 event/save)
     goals: >= 0.6x raw LMDB, >= 1.5x eventsourcing+SQLite
  2. the same with 100-statement programs (events/s)         vs raw py-lmdb 100 puts/txn, SQLite 100 events/save
  3. loading the head (open a session, read its version) after N events (goal: <= 20 ms at 1,000,000)
  4. full replay rate: Session.replay() from events alone (goal: >= 100,000 events/s)
  5. bytes on disk per event as the history grows (goal: constant)

Values are ~100 bytes. Rates are the best of --rounds; ratios are within this run. --references adds two rows
that explain the limits (raw LMDB with one barrier, not power-safe; Scint with LMDB_SYNC=fast, its CPU cost).
Run: python bench/store.py [--events 1000000] [--seconds 2] [--rounds 3] [--references]
Figures, conditions and what limits each goal: bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import lmdb
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

import scint

VALUE = "x" * 60  # with the key and JSON framing, about 100 bytes per value


class Plain(Aggregate):
    class Put(Aggregate.Event):
        key: str
        value: str

        def apply(self, aggregate: Any) -> None:
            aggregate.data[self.key] = self.value

    def __init__(self) -> None:
        self.data: dict[str, str] = {}


def timed(seconds: float, step: Any) -> float:
    """Calls of `step` per second over about `seconds`."""
    step(0)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        n += 1
        step(n)
    return n / (time.perf_counter() - start)


def raw_lmdb(tmp: Path, seconds: float, batch: int, metasync: bool = True) -> float:
    path = tmp / f"raw-{uuid.uuid4().hex[:6]}"
    env = lmdb.open(str(path), map_size=1 << 34, sync=True, metasync=metasync)
    payload = json.dumps({"path": "c", "action": "put", "args": {"key": "k", "value": VALUE}}).encode()

    def step(i: int) -> None:
        with env.begin(write=True) as txn:
            for j in range(batch):
                txn.put(f"{i:012d}{j:04d}".encode(), payload)

    rate = timed(seconds, step) * batch
    env.close()
    return rate


def es_sqlite(tmp: Path, seconds: float, batch: int) -> float:
    app = Application(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp / f"es-{uuid.uuid4().hex[:6]}.db")}
    )
    agg = Plain()
    app.save(agg)

    def step(i: int) -> None:
        for j in range(batch):
            agg.trigger_event(Plain.Put, key=f"k{i}-{j}", value=VALUE)
        app.save(agg)

    rate = timed(seconds, step) * batch
    app.close()
    return rate


def raw_lmdb_one_sync(tmp: Path, seconds: float, batch: int) -> float:
    """Reference only: metasync=False syncs the data pages but not the meta page (one barrier per commit; a power
    loss may undo the last commit), so it shows what one of LMDB's two barriers costs on this disk."""
    return raw_lmdb(tmp, seconds, batch, metasync=False)


def scint_lmdb_fast(tmp: Path, seconds: float, batch: int) -> float:
    """Reference only: LMDB_SYNC=fast (no barrier), i.e. Session.run's CPU cost."""
    return scint_lmdb(tmp, seconds, batch, "?sync=fast")


def scint_lmdb(tmp: Path, seconds: float, batch: int, options: str = "") -> float:
    with scint.open(f"lmdb:///{tmp}/s-{uuid.uuid4().hex[:6]}{options}") as s:
        s.run('create_context("c")')

        def step(i: int) -> None:
            s.run("\n".join(f'c.put(key="k{i}-{j}", value="{VALUE}")' for j in range(batch)))

        return timed(seconds, step) * batch


def used_bytes(path: Path) -> int:
    """Bytes the store really occupies (the map is a sparse file: count allocated blocks, not its length)."""
    return sum(f.stat().st_blocks * 512 for f in path.iterdir() if f.is_file())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dir", default=None, help="where to put the stores (default: a temp dir)")
    ap.add_argument(
        "--references",
        action="store_true",
        help="also measure raw LMDB with one barrier (metasync=False) and Scint with LMDB_SYNC=fast, to show "
        "what the barriers and the CPU each cost",
    )
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="scint-store-", dir=args.dir))
    print(f"Python {platform.python_version()}, lmdb {lmdb.__version__}, {os.cpu_count()} CPUs, stores in {tmp}")
    try:
        for batch in (1, 100):
            best: dict[str, float] = {}
            cases = [("scint", scint_lmdb), ("raw", raw_lmdb), ("sqlite", es_sqlite)]
            if args.references:
                cases += [("raw1", raw_lmdb_one_sync), ("fast", scint_lmdb_fast)]
            for _ in range(args.rounds):  # interleaved rounds: the disk's noise hits every case alike
                for name, fn in cases:
                    best[name] = max(best.get(name, 0.0), fn(tmp, args.seconds, batch))
            unit = "programs" if batch == 1 else f"events (in {batch}-statement programs)"
            print(f"\ndurable, {batch} per commit: {unit}/s")
            raw, sqlite = best["scint"] / best["raw"], best["scint"] / best["sqlite"]
            print(f"  scint Session.run on LMDB     {best['scint']:10,.0f}")
            print(f"  raw py-lmdb, same sync flags  {best['raw']:10,.0f}   scint = {raw:.2f}x (goal >= 0.6x)")
            print(f"  eventsourcing + SQLite        {best['sqlite']:10,.0f}   scint = {sqlite:.2f}x (goal >= 1.5x)")
            if args.references:
                us = 1e6 * batch / best["scint"]
                print("  references (not goals):")
                print(f"  raw py-lmdb, metasync=False   {best['raw1']:10,.0f}   one barrier per commit, not power-safe")
                print(f"  scint with LMDB_SYNC=fast     {best['fast']:10,.0f}   no barrier: the CPU cost, ", end="")
                print(f"{1e6 * batch / best['fast']:.0f} of the {us:.0f} us per program")

        print(f"\nhistory of {args.events:,} events (1,000-statement programs, 50 keys rewritten)")
        store = tmp / "big"
        url = f"lmdb:///{store}"
        marks = sorted({m for m in (10_000, 100_000, args.events) if m <= args.events})
        done = 0
        t0 = time.perf_counter()
        with scint.open(url) as s:
            s.run('create_context("n")')
            done = 1
            for mark in marks:
                while done < mark:
                    k = min(1000, mark - done)
                    s.run("\n".join(f'n.put(key="k{j % 50}", value="{VALUE}{j}")' for j in range(done, done + k)))
                    done += k
                size = used_bytes(store)
                print(f"  at {mark:>9,} events: {size / mark:7.1f} bytes/event on disk ({size / 1e6:,.1f} MB)")
        print(f"  built in {time.perf_counter() - t0:.1f} s")
        loads = []
        for _ in range(5):
            t = time.perf_counter()
            with scint.open(url) as s:
                assert s.version == done
            loads.append(time.perf_counter() - t)
        print(f"  load head: {min(loads) * 1e3:.1f} ms best, {sorted(loads)[2] * 1e3:.1f} ms median (goal <= 20 ms)")
        with scint.open(url) as s:
            t = time.perf_counter()
            view = s.replay()
            dt = time.perf_counter() - t
            assert view.render("json") == s.view().render("json")
        print(f"  full replay: {done / dt:,.0f} events/s ({dt:.1f} s; goal >= 100,000/s)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
