"""The scheduler's own cost per step: `session.agents.arun()` against the same steps driven by `arun_process`.

  processes  P processes, each taking S steps: S - 1 tool calls (`self.tasks()`) and an answer, from a
             MockProvider answering at once (after letting the event loop run the others, as a real model
             call does), so the model costs nothing and what is left is Scint's work
  baseline   `arun_process(session, path, S)` for every process, gathered on one event loop (their steps
             recorded as usual: a transcript entry per step, each a durable commit)
  scheduler  `session.agents.arun(max_steps=S)` over the same processes: the same steps, plus finding who has
             work, claiming and releasing each process through the event log, and counting the steps

Each case runs on a fresh durable LMDB store (the default flags: sync, metasync), in interleaved rounds; the best
round of each counts. Reported: wall time and CPU time per step of each, and the scheduler's overhead per step
(goal < 2 ms); the CPU figures do not move with the disk's mood, the wall figures (durable commits) do.

Run: python bench/agents.py [--processes 20] [--steps 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import scint
from scint.llm import MockProvider
from scint.llm.process import arun_process


class Instant(MockProvider):
    """MockProvider that lets the event loop run the other processes during each call, as a real model call
    does (so runs interleave and end one by one), and answers at once."""

    async def acomplete(self, messages: Any, tools: Any, *, tool_choice: str = "auto") -> Any:
        await asyncio.sleep(0)
        return self.complete(messages, tools, tool_choice=tool_choice)


def provider(steps: int) -> MockProvider:
    def reply(request: Any) -> Any:
        taken = sum(1 for m in request.messages if m["role"] == "tool")
        return {"program": "self.tasks()"} if taken < steps - 1 else "done"

    return Instant([reply] * 1_000_000)


def fresh(directory: Path, processes: int) -> scint.Session:
    shutil.rmtree(directory, ignore_errors=True)
    s = scint.open(f"lmdb:///{directory}")
    s.run("\n".join(f'create_context("p{i}", type="Process", goal="work {i}")' for i in range(processes)))
    return s


async def baseline(s: scint.Session, paths: list[str], steps: int, mock: MockProvider) -> None:
    answers = await asyncio.gather(*(arun_process(s, p, steps, provider=mock) for p in paths))
    assert answers == ["done"] * len(paths)


async def scheduled(s: scint.Session, steps: int, mock: MockProvider) -> None:
    reports = await s.agents.arun(max_steps=steps, provider=mock)
    assert [r.answer for r in reports] == ["done"] * len(reports) and sum(r.steps for r in reports) > 0


def one(case: str, root: Path, processes: int, steps: int) -> tuple[float, float]:
    s = fresh(root / case, processes)
    try:
        mock = provider(steps)
        paths = [f"p{i}" for i in range(processes)]
        started, cpu = time.perf_counter(), time.process_time()
        if case == "baseline":
            asyncio.run(baseline(s, paths, steps, mock))
        else:
            asyncio.run(scheduled(s, steps, mock))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert len(mock.history) == processes * steps
        return elapsed / (processes * steps), cpu / (processes * steps)
    finally:
        s.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--processes", type=int, default=20)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="scint-bench-agents-"))
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    try:
        for _ in range(args.rounds):
            for case in ("baseline", "scheduler"):
                w, c = one(case, root, args.processes, args.steps)
                wall[case] = min(wall.get(case, w), w)
                cpu[case] = min(cpu.get(case, c), c)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(
        f"Python {platform.python_version()}, {args.processes} processes x {args.steps} steps, durable LMDB, "
        f"MockProvider (instant), best of {args.rounds} interleaved rounds"
    )
    for name, best in (("wall", wall), ("CPU", cpu)):
        base, sched = best["baseline"], best["scheduler"]
        print(
            f"  {name}: arun_process, gathered {base * 1e3:.3f} ms per step; session.agents.arun() "
            f"{sched * 1e3:.3f} ms = {sched / base:.2f}x; overhead {(sched - base) * 1e3:+.3f} ms per step "
            "(goal < 2 ms)"
        )


if __name__ == "__main__":
    main()
