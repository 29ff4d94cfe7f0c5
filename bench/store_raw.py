"""Durable commit rate: scint.store.lmdb recorder vs raw py-lmdb (same flags) vs eventsourcing's SQLite recorder.

    python bench/store_raw.py [--seconds 1.0] [--rounds 3] [--dir DIR] [--sync durable|fast]

Each case inserts batches of 1 and of 100 events (one transaction per batch) for `--seconds`, in `--rounds`
interleaved rounds; the median rate is reported with ratios against the baselines measured in the same run.
Goals: recorder >= 0.6x raw LMDB commit rate and >= 1.5x eventsourcing+SQLite.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from struct import pack
from uuid import uuid4

import lmdb
from eventsourcing.persistence import InfrastructureFactory, StoredEvent

STATE = b'{"path":"notes/main","action":"add","args":{"text":"two eggs"},"actor":"human"}'
TOPIC = "scint.core.map:ContextMap.Changed"


def filesystem(path: str) -> str:
    best, fstype = "", "?"
    try:
        with open("/proc/mounts") as mounts:
            for line in mounts:
                _, mount, kind, *_ = line.split()
                if path.startswith(mount) and len(mount) > len(best):
                    best, fstype = mount, kind
    except OSError:
        pass
    return fstype


def run_for(seconds: float, step: Callable[[], None]) -> tuple[int, float]:
    step()  # warm up (creates sub-databases, tables)
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        step()
        count += 1
        now = time.perf_counter()
        if now >= deadline:
            return count, now - start


def recorder_case(directory: str, batch: int, sync: str) -> tuple[Callable[[], None], Callable[[], None]]:
    factory = InfrastructureFactory.construct(
        {"PERSISTENCE_MODULE": "scint.store.lmdb", "LMDB_PATH": directory, "LMDB_SYNC": sync}
    )
    recorder = factory.application_recorder()
    originator = uuid4()
    version = iter(range(1, 1 << 62))

    def step() -> None:
        recorder.insert_events([StoredEvent(originator, next(version), TOPIC, STATE) for _ in range(batch)])

    return step, factory.close


def raw_case(directory: str, batch: int, sync: str) -> tuple[Callable[[], None], Callable[[], None]]:
    env = lmdb.open(directory, map_size=1 << 40, sync=sync == "durable", metasync=True, max_dbs=4)
    db = env.open_db(b"events")
    prefix = pack(">H", 36) + str(uuid4()).encode()
    value = b"\x01" + pack(">H", len(TOPIC)) + TOPIC.encode() + STATE
    version = iter(range(1, 1 << 62))

    def step() -> None:
        with env.begin(write=True) as txn:
            for _ in range(batch):
                txn.put(prefix + pack(">Q", next(version)), value, db=db)

    return step, env.close


def sqlite_case(directory: str, batch: int, sync: str) -> tuple[Callable[[], None], Callable[[], None]]:
    factory = InfrastructureFactory.construct(
        {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": os.path.join(directory, "es.db")}
    )
    recorder = factory.application_recorder()
    originator = uuid4()
    version = iter(range(1, 1 << 62))

    def step() -> None:
        recorder.insert_events([StoredEvent(originator, next(version), TOPIC, STATE) for _ in range(batch)])

    return step, factory.close


CASES = {"scint lmdb recorder": recorder_case, "raw py-lmdb put+commit": raw_case, "eventsourcing sqlite": sqlite_case}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", default=None, help="where to create the stores (default: a temp dir)")
    parser.add_argument("--sync", choices=["durable", "fast"], default="durable")
    args = parser.parse_args()

    root = tempfile.mkdtemp(prefix="scint-bench-", dir=args.dir)
    print(
        f"conditions: {platform.platform()}, Python {platform.python_version()}, py-lmdb {lmdb.__version__} "
        f"(LMDB {'.'.join(map(str, lmdb.version()))}), {os.cpu_count()} CPUs\n"
        f"  stores in {root} ({filesystem(os.path.realpath(root))}); LMDB_SYNC={args.sync} "
        f"(raw LMDB: sync={args.sync == 'durable'}, metasync=True; SQLite: WAL, synchronous=FULL)\n"
        f"  {args.rounds} interleaved rounds x {args.seconds:.1f} s per case; event state {len(STATE)} bytes; "
        "median reported"
    )
    rates: dict[tuple[str, int], list[float]] = {}
    try:
        for round_number in range(args.rounds):
            for batch in (1, 100):
                names = list(CASES)
                if round_number % 2:
                    names.reverse()
                for name in names:
                    directory = os.path.join(root, f"{name.split()[0]}-{batch}-{round_number}")
                    os.makedirs(directory)
                    step, close = CASES[name](directory, batch, args.sync)
                    try:
                        count, elapsed = run_for(args.seconds, step)
                    finally:
                        close()
                    rates.setdefault((name, batch), []).append(count / elapsed)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    median = {key: statistics.median(values) for key, values in rates.items()}
    for batch in (1, 100):
        print(f"\n{batch} event(s) per insert (one transaction each):")
        for name in CASES:
            commits = median[(name, batch)]
            print(f"  {name:24} {commits:10.0f} commits/s {commits * batch:12.0f} events/s")
        ours = median[("scint lmdb recorder", batch)]
        raw = median[("raw py-lmdb put+commit", batch)]
        sqlite = median[("eventsourcing sqlite", batch)]
        print(f"  ratio recorder / raw LMDB:          {ours / raw:5.2f}x  (goal >= 0.6x)")
        print(f"  ratio recorder / eventsourcing+SQLite: {ours / sqlite:5.2f}x  (goal >= 1.5x)")


if __name__ == "__main__":
    main()
