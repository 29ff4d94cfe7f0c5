"""`scint up` of a large generated file: validation, plan and ONE program creating every context.

  file      N contexts: N/2 Containers under N/20 Threads, and the rest Processes (model, can, budget) under them
  up        Session.up(file) on a fresh durable LMDB store: load + validate + plan + run the one program
  again     Session.up(file) once more: validate + plan, nothing recorded (up to date)
  baseline  the same statements as a program text run by Session.run (what up adds is validation and planning)

The goal: N = 1,000 in one program, under 2 s.

Run: python bench/up.py [--contexts 1000]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import tempfile
import time
from pathlib import Path

import scint
from scint.agents.config import load
from scint.agents.up import plan, program_text


def generate(n: int) -> str:
    threads = max(1, n // 20)
    lines = ['schema = 1\n\n[models.default]\nmodel = "gpt-5-mini"\napi_key_env = "OPENAI_API_KEY"\n']
    for t in range(threads):
        lines.append(f'[contexts.room{t}]\ntype = "Thread"\n')
    made = threads
    i = 0
    while made < n:
        room = f"room{i % threads}"
        if i % 2 == 0:
            lines.append(f'[contexts."{room}.box{i}"]\ntype = "Container"\ndata = {{ k = {i} }}\n')
        else:
            lines.append(
                f'[processes."{room}.agent{i}"]\ngoal = "work item {i}"\nmodel = "default"\n'
                f'can = ["{room}.*", "self.**"]\nbudget = {{ steps = 20, tokens = 50000 }}\n'
            )
        made += 1
        i += 1
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--contexts", type=int, default=1000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="scint-bench-up-"))
    try:
        toml = tmp / "scint.toml"
        toml.write_text(generate(args.contexts), encoding="utf-8")
        print(f"Python {platform.python_version()}, {args.contexts:,} contexts, {toml.stat().st_size:,} bytes, LMDB")
        scint.parse('c.put(key="warm", value=1)')  # the parser is built on first use: not up's cost
        with scint.open(f"lmdb:///{tmp}/a") as s:
            t = time.perf_counter()
            report = s.up(toml)
            first = time.perf_counter() - t
            programs = len(s.log())
            t = time.perf_counter()
            again = s.up(toml)
            second = time.perf_counter() - t
        with scint.open(f"lmdb:///{tmp}/b") as s:
            t = time.perf_counter()
            text = program_text(plan(s, load(toml)))
            prepare = time.perf_counter() - t
            t = time.perf_counter()
            s.run(text)
            baseline = time.perf_counter() - t
        assert programs == 1 and len(report.changes) == args.contexts and again.up_to_date
        made = len(report.changes)
        print(f"up (fresh store):        {first:6.3f} s, {programs} program, {made:,} contexts (goal < 2 s)")
        print(f"up again (up to date):   {second:6.3f} s, nothing recorded")
        print(f"  of which load+plan:    {prepare:6.3f} s")
        print(f"the program by run():    {baseline:6.3f} s (up takes {first / baseline:.2f}x the program alone)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
