"""The cost of a capability check against the cost of the program it guards, measured in the same run.

  program   Session.run('c.put(key="k123", value=123)') on memory://: CPU time per one-statement program
  check     Capabilities(can, self_path).allows(path, action) for the call that program makes (the interpreter
            will make one check per call): a cached answer, and a cold one (a fresh set each time, which pays
            compiling the globs, which is cached per (globs, self path) too: what building a
            process's set per program costs)

The goal: a (cached) check costs under 5% of a one-statement program's CPU.

Run: python bench/capabilities.py [--programs 3000] [--checks 200000]
"""

from __future__ import annotations

import argparse
import platform
import time

import scint
from scint.core.capabilities import Capabilities

CAN = ["notes.get", "notes.put", "research.*", "self.**", "help", "contexts", "send", "reply", "inbox", "read"]


def program_cpu(n: int) -> float:
    s = scint.open("memory://")
    s.run('create_context("c", type="Container")')
    for i in range(200):  # warm up
        s.run(f'c.put(key="k{i}", value={i})')
    t = time.process_time()
    for i in range(n):
        s.run(f'c.put(key="k{i}", value={i})')
    elapsed = time.process_time() - t
    s.close()
    return elapsed / n


def check_cpu(n: int, cold: bool) -> float:
    calls = [("c", "put"), ("research.lit", "add_task"), ("notes", "get"), ("", "help")]
    caps = Capabilities([*CAN, "c.*"], self_path="research.lit")
    t = time.process_time()
    if cold:
        for _ in range(n):
            Capabilities([*CAN, "c.*"], self_path="research.lit").allows("c", "put")
    else:
        for i in range(n):
            path, action = calls[i & 3]
            caps.allows(path, action)
    return (time.process_time() - t) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--programs", type=int, default=3000)
    ap.add_argument("--checks", type=int, default=200_000)
    args = ap.parse_args()
    print(f"Python {platform.python_version()}, {args.programs} programs, {args.checks} checks, {len(CAN) + 1} globs")
    prog = program_cpu(args.programs)
    hot = check_cpu(args.checks, cold=False)
    cold = check_cpu(max(args.checks // 100, 100), cold=True)
    print(f"one-statement program (memory://): {prog * 1e6:8.2f} us CPU")
    print(f"capability check, cached:          {hot * 1e6:8.3f} us CPU = {hot / prog:.2%} of a program (goal < 5%)")
    print(f"capability check, new set:         {cold * 1e6:8.3f} us CPU = {cold / prog:.2%} of a program")


if __name__ == "__main__":
    main()
