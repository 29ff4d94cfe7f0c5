"""Concurrent writers: durable one-statement programs/s with 8 writers against one writer, in the same run.

Scint on LMDB (LMDB_SYNC=durable: two write barriers per commit), where concurrent programs of one process share
one write transaction (group commit):
  - threads   8 threads sharing one Session (one branch): each program runs on top of the ones in flight
  - sessions  8 Sessions in one process, one thread each, each on its own branch
  - branch    8 Sessions in one process on the SAME branch (with --same-branch; reference: optimistic concurrency
              lets one program per batch win and retries the others)
  - procs     8 OS processes, one Session each on its own branch (LMDB's writer lock serialises processes)
Baselines, same machine, same run: eventsourcing Applications (one event per save, each writer its own
aggregate) on SQLite (WAL, synchronous=FULL) and on the local PostgreSQL server, with 1 and 8 writer threads.

Goals: Scint 8 writers >= 4x Scint 1 writer; >= 5x eventsourcing+PostgreSQL with 8 writers; >= 3x
eventsourcing+SQLite with 8 writers. Rates are the best of --rounds interleaved rounds.
Run: python bench/writers.py [--seconds 3] [--rounds 2] [--writers 8] [--pg postgresql://postgres@127.0.0.1/postgres]
Figures, conditions and what limits each goal: bench/README.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eventsourcing.application import Application

import scint
from scint.errors import ConflictError
from scint.session.running import MAX_ATTEMPTS

try:  # run as a script (python bench/writers.py) or as a module (python -m bench.writers)
    from store import VALUE, Plain
except ImportError:
    from bench.store import VALUE, Plain

PROGRAM = 'c.put(key="k{i}", value="' + VALUE + '")'


def _threads(n: int, seconds: float, make_step: Callable[[int], Callable[[int], None]]) -> float:
    """Programs/s of `n` threads, each calling its step until the time is up (after one warm-up call each)."""
    steps = [make_step(k) for k in range(n)]
    counts = [0] * n
    errors: list[BaseException] = []
    start = threading.Barrier(n + 1)
    stop = threading.Event()

    def work(k: int) -> None:
        try:
            steps[k](0)
            start.wait()
            i = 0
            while not stop.is_set():
                i += 1
                steps[k](i)
                counts[k] += 1
        except BaseException as e:  # reported below
            errors.append(e)
            start.abort()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    try:
        start.wait()
    except threading.BrokenBarrierError:
        for t in threads:
            t.join()
        raise errors[0] from None
    t0 = time.perf_counter()
    time.sleep(seconds)  # the measuring window (not synchronisation: the threads stop at `stop`)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return sum(counts) / elapsed


def _store(tmp: Path) -> str:
    return f"lmdb:///{tmp}/s-{uuid.uuid4().hex[:6]}"


def scint_threads(tmp: Path, seconds: float, n: int) -> float:
    """`n` threads sharing one Session."""
    with scint.open(_store(tmp)) as s:
        s.run('create_context("c")')
        return _threads(n, seconds, lambda k: lambda i: s.run(PROGRAM.format(i=f"{k}-{i}")))


def scint_sessions(tmp: Path, seconds: float, n: int, same_branch: bool = False) -> float:
    """`n` Sessions in this process, one thread each, on their own branches (or all on main: then a program
    that gives up after MAX_ATTEMPTS conflicts is not counted, and is tried again)."""
    url = _store(tmp)
    names = _branches(url, n, same_branch)
    sessions = [scint.open(url, branch=name) for name in names]

    def make_step(k: int) -> Callable[[int], None]:
        def step(i: int) -> None:
            while True:
                try:
                    sessions[k].run(PROGRAM.format(i=f"{k}-{i}"))
                    return
                except ConflictError:
                    gave_up[k] += 1

        return step

    gave_up = [0] * n
    try:
        rate = _threads(n, seconds, make_step)
        if sum(gave_up):
            print(f"    ({sum(gave_up)} programs gave up after {MAX_ATTEMPTS} attempts and were run again)")
        return rate
    finally:
        for s in sessions:
            s.close()


def _branches(url: str, n: int, same: bool) -> list[str]:
    with scint.open(url) as s:
        s.run('create_context("c")')
        if same:
            return ["main"] * n
        for k in range(n):
            s.branch(f"w{k}")
    return [f"w{k}" for k in range(n)]


def _process_writer(url: str, branch: str, seconds: float, ready: Any, go: Any, out: Any) -> None:
    with scint.open(url, branch=branch) as s:
        s.run(PROGRAM.format(i=f"{branch}-0"))
        ready.release()
        go.wait()
        n, deadline = 0, time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            n += 1
            s.run(PROGRAM.format(i=f"{branch}-{n}"))
        out.put(n)


def scint_processes(tmp: Path, seconds: float, n: int) -> float:
    """`n` OS processes, each a Session on its own branch of one store."""
    url = _store(tmp)
    names = _branches(url, n, False)
    ctx = multiprocessing.get_context("spawn")
    ready, go, out = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_process_writer, args=(url, b, seconds, ready, go, out)) for b in names]
    for p in procs:
        p.start()
    for _ in procs:
        ready.acquire()
    t0 = time.perf_counter()
    go.set()
    total = sum(out.get(timeout=seconds + 60) for _ in procs)
    elapsed = time.perf_counter() - t0
    for p in procs:
        p.join()
    return total / elapsed


def _es_rate(app: Application, seconds: float, n: int) -> float:
    aggs = [Plain() for _ in range(n)]
    app.save(*aggs)

    def make_step(k: int) -> Callable[[int], None]:
        def step(i: int) -> None:
            aggs[k].trigger_event(Plain.Put, key=f"k{i}", value=VALUE)
            app.save(aggs[k])

        return step

    try:
        return _threads(n, seconds, make_step)
    finally:
        app.close()


def es_sqlite(tmp: Path, seconds: float, n: int) -> float:
    """eventsourcing on a SQLite file (WAL, synchronous=FULL): `n` threads, one aggregate each."""
    db = tmp / f"es-{uuid.uuid4().hex[:6]}.db"
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(db), "SQLITE_LOCK_TIMEOUT": "30"}
    return _es_rate(Application(env=env), seconds, n)


def es_postgres(admin_url: str, seconds: float, n: int) -> float:
    """eventsourcing on the local PostgreSQL server (its own module): `n` threads, one aggregate each."""
    import psycopg

    name = "scint_bench_" + uuid.uuid4().hex[:10]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        host_part = admin_url.split("://", 1)[1].rsplit("/", 1)[0]
        user, _, host = host_part.rpartition("@")
        host, _, port = host.partition(":")
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": name,
            "POSTGRES_HOST": host or "127.0.0.1",
            "POSTGRES_PORT": port or "5432",
            "POSTGRES_USER": user or "postgres",
            "POSTGRES_PASSWORD": "",
            "POSTGRES_POOL_SIZE": str(n + 2),
            "CREATE_TABLE": "true",
        }
        return _es_rate(Application(env=env), seconds, n)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--pg", default=os.environ.get("SCINT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL baseline")
    ap.add_argument("--same-branch", action="store_true", help="add the reference case: 8 Sessions on one branch")
    ap.add_argument("--dir", default=None, help="where to put the stores (default: a temp dir)")
    args = ap.parse_args()
    n = args.writers
    tmp = Path(tempfile.mkdtemp(prefix="scint-writers-", dir=args.dir))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load {load:.1f}, stores in {tmp}")
    cases: list[tuple[str, Callable[[], float]]] = [
        ("scint 1", lambda: scint_threads(tmp, args.seconds, 1)),
        ("scint threads", lambda: scint_threads(tmp, args.seconds, n)),
        ("scint sessions", lambda: scint_sessions(tmp, args.seconds, n)),
        ("scint procs", lambda: scint_processes(tmp, args.seconds, n)),
        ("sqlite 1", lambda: es_sqlite(tmp, args.seconds, 1)),
        ("sqlite n", lambda: es_sqlite(tmp, args.seconds, n)),
    ]
    if args.same_branch:
        cases.append(("scint branch", lambda: scint_sessions(tmp, args.seconds, n, same_branch=True)))
    if not args.no_pg:
        cases += [
            ("pg 1", lambda: es_postgres(args.pg, args.seconds, 1)),
            ("pg n", lambda: es_postgres(args.pg, args.seconds, n)),
        ]
    best: dict[str, float] = {}
    try:
        for r in range(args.rounds):  # interleaved rounds: the disk's noise hits every case alike
            for name, fn in cases:
                rate = fn()
                best[name] = max(best.get(name, 0.0), rate)
                print(f"  round {r + 1}: {name:15s} {rate:9,.0f}/s", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    one = best["scint 1"]
    print(f"\ndurable one-statement programs/s, {n} writers (best of {args.rounds}); load was {load:.1f}")
    print(f"  scint, 1 writer                          {one:9,.0f}")
    for key, label in [
        ("scint threads", f"{n} threads sharing one Session"),
        ("scint sessions", f"{n} Sessions, own branches, 1 process"),
        ("scint branch", f"{n} Sessions, one branch (reference)"),
        ("scint procs", f"{n} processes, own branches"),
    ]:
        if key in best:
            print(f"  scint, {label:34s} {best[key]:9,.0f}   = {best[key] / one:.2f}x one writer (goal >= 4x)")
    top = max(best["scint threads"], best["scint sessions"])
    for key, label, goal in [("sqlite", "eventsourcing + SQLite", 3), ("pg", "eventsourcing + PostgreSQL", 5)]:
        if f"{key} n" not in best:
            continue
        b1, bn = best[f"{key} 1"], best[f"{key} n"]
        print(
            f"  {label:27s} 1 writer {b1:7,.0f}, {n} writers {bn:7,.0f}:  scint {n} writers "
            f"(best in-process) = {top / bn:.2f}x (goal >= {goal}x); threads {best['scint threads'] / bn:.2f}x, "
            f"processes {best['scint procs'] / bn:.2f}x"
        )


if __name__ == "__main__":
    main()
