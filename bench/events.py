"""Bytes per event: on disk (LMDB and SQLite) and in the JSON Lines export, after N one-statement `put` programs.

Each program is `c.put(key="k<i>", value="<100 bytes>")`: with --keys 50 the keys are rewritten (the state stays
small, so snapshots stay small); with --keys 0 every key is new (the state, and so each snapshot, grows). Disk
bytes are the blocks the store's files really occupy (the LMDB map is sparse), snapshots included. --values random
puts random printable text instead of "v" * 100 (snapshots then compress little: the honest case for them). Reading
back (best of 3): the time to open the LMDB store and render its head, and the rate of a full replay from events alone.

--baseline DIR runs the same measurement in a subprocess on the Scint found in DIR (e.g. a checkout of main
before the lean format), in the same run, and prints the ratio. Goal: <= 300 bytes per event on disk and in the
export (the JSON-form events of before were ~765 on disk).

Run: python bench/events.py [--programs 20000] [--keys 50] [--values random] [--baseline /path/to/old/checkout]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VALUE = "v" * 100
LETTERS = string.ascii_letters + string.digits + " .,;:!?-+*/=()[]{}<>#%&@_~^|"  # no quotes, no backslash


def used_bytes(path: Path) -> int:
    files = [path] if path.is_file() else [f for f in path.iterdir() if f.is_file()]
    return sum(f.stat().st_blocks * 512 for f in files)


def snapshot_pages(path: Path) -> int:
    """Pages the LMDB store's snapshots occupy (the rest of its bytes are events and their notifications)."""
    import lmdb

    env = lmdb.open(str(path), max_dbs=16, readonly=True, lock=False)
    try:
        with env.begin() as txn:
            st = txn.stat(env.open_db(b"scint:snapshots", txn=txn, create=False))
        return st["branch_pages"] + st["leaf_pages"] + st["overflow_pages"]
    finally:
        env.close()


def measure(programs: int, keys: int, tmp: Path, noise: bool = False) -> dict[str, float]:
    import scint

    rng = random.Random(0)
    values = ["".join(rng.choices(LETTERS, k=100)) if noise else VALUE for _ in range(min(programs, 1000))]

    out: dict[str, float] = {}
    for kind, url, where in (
        ("lmdb", f"lmdb:///{tmp}/store?sync=fast", tmp / "store"),
        ("sqlite", f"sqlite:///{tmp}/store.db", tmp / "store.db"),
    ):
        t = time.perf_counter()
        with scint.open(url) as s:
            s.run('create_context("c")')
            for i in range(programs):
                s.run(f'c.put(key="k{i % keys if keys else i}", value="{values[i % len(values)]}")')
            events = s.version
            s.export(str(tmp / f"{kind}.jsonl"))
        out[f"{kind}_seconds"] = time.perf_counter() - t
        if kind == "lmdb":  # reading it back (best of 3): open + head (snapshot and the events after it), replay
            opens, replays = [], []
            for _ in range(3):
                t = time.perf_counter()
                with scint.open(url) as s:
                    s.view().render("json")
                    opens.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    s.replay()
                    replays.append(time.perf_counter() - t)
            out["lmdb_open_ms"] = min(opens) * 1000
            out["lmdb_replay_rate"] = events / min(replays)
        if kind == "sqlite":
            for extra in ("-wal", "-shm"):
                Path(f"{where}{extra}").unlink(missing_ok=True)  # checkpointed on close
        out[f"{kind}_disk"] = used_bytes(where) / events
        if kind == "lmdb":
            out["lmdb_snapshots"] = snapshot_pages(where) * 4096 / events
        out[f"{kind}_export"] = (tmp / f"{kind}.jsonl").stat().st_size / events
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--programs", type=int, default=20_000)
    ap.add_argument("--keys", type=int, default=50, help="distinct keys rewritten (0: every key new)")
    ap.add_argument("--values", choices=("repeated", "random"), default="repeated", help="'v' * 100, or random text")
    ap.add_argument("--baseline", default=None, help="a checkout of Scint to measure the same way, for the ratio")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # the baseline subprocess
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="scint-events-"))
    try:
        figures = measure(args.programs, args.keys, tmp, args.values == "random")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(figures))
        return
    base = None
    if args.baseline:
        env = {**os.environ, "PYTHONPATH": str(Path(args.baseline).resolve())}
        cmd = [
            sys.executable,
            __file__,
            "--programs",
            str(args.programs),
            "--keys",
            str(args.keys),
            "--values",
            args.values,
            "--json",
        ]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, cwd=args.baseline)
        base = json.loads(done.stdout.strip().splitlines()[-1])
    keys = f"{args.keys} keys rewritten" if args.keys else "every key new"
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs; {args.programs:,} one-statement put programs,")
    print(f"100-byte values ({args.values}), {keys}; bytes per event (snapshots included on disk)")
    for name in ("lmdb_disk", "lmdb_snapshots", "lmdb_export", "sqlite_disk", "sqlite_export"):
        line = f"  {name:14s} {figures[name]:8.1f}"
        if base is not None:
            line += f"   baseline {base[name]:8.1f}   = {figures[name] / base[name]:.2f}x"
        print(line + ("   (goal <= 300)" if name in ("lmdb_disk", "lmdb_export") else ""))
    print(f"  time to write: LMDB {figures['lmdb_seconds']:.1f} s, SQLite {figures['sqlite_seconds']:.1f} s", end="")
    print(f" (baseline {base['lmdb_seconds']:.1f} s, {base['sqlite_seconds']:.1f} s)" if base else "")
    for name, unit, what in (
        ("lmdb_open_ms", "ms", "LMDB open + head view"),
        ("lmdb_replay_rate", "events/s", "LMDB full replay"),
    ):
        line = f"  {what}: {figures[name]:,.1f} {unit}"
        if base is not None and name in base:
            line += f" (baseline {base[name]:,.1f} {unit} = {figures[name] / base[name]:.2f}x)"
        print(line)


if __name__ == "__main__":
    main()
