"""Worker processes for the concurrency and crash tests. Run as `python -m tests.support.workers ...`."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import scint
from tests.support.types import WorkCounter


def increment(url: str, n: int, who: str) -> list[int]:
    """Run `n` one-statement read-modify-write programs; return the values they returned."""
    scint.register(WorkCounter)  # in this worker process
    with scint.open(url) as s:
        return [s.run(f'c.incr(by=1, who="{who}")', actor=f"worker:{who}").value for _ in range(n)]


def crash_loop(url: str, start: int) -> None:
    """Run two-statement programs forever, printing `ack i` once each has returned (i.e. is committed)."""
    with scint.open(url) as s:
        i = start
        while True:
            s.run(f't = p.add_task(title="job{i}"); log.put(key="job{i}", value=$t)')
            sys.stdout.write(f"ack {i}\n")
            sys.stdout.flush()
            i += 1


def crash_threads(url: str, start: int, threads: int) -> None:
    """`crash_loop` on `threads` threads at once: half share one session, half another (so their commits are
    grouped, within a session and across the two); numbers are handed out in order, acknowledgements printed
    whole lines under a lock."""
    numbers = itertools.count(start)
    out = threading.Lock()
    sessions = [scint.open(url), scint.open(url)]

    def work(s: scint.Session) -> None:
        while True:
            i = next(numbers)
            s.run(f't = p.add_task(title="job{i}"); log.put(key="job{i}", value=$t)')
            with out:
                sys.stdout.write(f"ack {i}\n")
                sys.stdout.flush()

    workers = [threading.Thread(target=work, args=(sessions[k % 2],), daemon=True) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


ROOT = Path(__file__).resolve().parents[2]


def kill_after(url: str, start: int, wait_for: int, acked: set[int], threads: int = 0) -> None:
    """Start `crash_loop` (or `crash_threads` with that many threads) in a child numbering programs from `start`,
    collect its first `wait_for` acknowledgements into `acked`, then SIGKILL it (wherever it is: maybe in the
    middle of a commit)."""
    command = ["crash", url, str(start)] if not threads else ["crash-threads", url, str(start), str(threads)]
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.support.workers", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None and child.stderr is not None
    try:
        for seen, line in enumerate(child.stdout, 1):
            assert line.startswith("ack "), line
            acked.add(int(line.split()[1]))
            if seen >= wait_for:
                break
        else:
            raise AssertionError(f"the child stopped early: {child.stderr.read()}")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        child.stderr.close()


if __name__ == "__main__":
    if sys.argv[1] == "crash":
        crash_loop(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "crash-threads":
        crash_threads(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
