"""Worker processes for the concurrency and crash tests. Run as `python -m tests.support.workers ...`."""

from __future__ import annotations

import sys

import scint
from tests.support.types import WorkCounter


def increment(url: str, n: int, who: str) -> list[int]:
    """Run `n` one-statement read-modify-write programs; return the values they returned."""
    scint.register(WorkCounter)  # in this worker process
    with scint.open(url) as s:
        return [s.run(f'c.incr(by=1, who="{who}")', actor=f"process:{who}").value for _ in range(n)]


def crash_loop(url: str, start: int) -> None:
    """Run two-statement programs forever, printing `ack i` once each has returned (i.e. is committed)."""
    with scint.open(url) as s:
        i = start
        while True:
            s.run(f't = p.add_task(title="job{i}"); log.put(key="job{i}", value=$t)')
            sys.stdout.write(f"ack {i}\n")
            sys.stdout.flush()
            i += 1


if __name__ == "__main__":
    if sys.argv[1] == "crash":
        crash_loop(sys.argv[2], int(sys.argv[3]))
