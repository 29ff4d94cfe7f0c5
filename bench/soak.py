"""Crash soak: hundreds of SIGKILLs at random moments against a child that runs two-statement programs.

The child acknowledges each program after `Session.run` returns; after every kill the store is reopened and
checked: every acknowledged program is there exactly once, and no program is half there.

With --threads N the child runs its programs on N threads over two sessions (their commits grouped, LMDB).

Run: python bench/soak.py [--kills 300] [--store lmdb|sqlite] [--seed N] [--threads 8]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import scint  # noqa: E402
from tests.integration.test_crash import check_store  # noqa: E402
from tests.support.workers import kill_after  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=300)
    ap.add_argument("--store", choices=["lmdb", "sqlite"], default="lmdb")
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--threads", type=int, default=0, help="writer threads in the child (default: one, no threads)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="scint-soak-"))
    url = f"lmdb:///{tmp}/store" if args.store == "lmdb" else f"sqlite:///{tmp}/store.db"
    rng = random.Random(args.seed)
    acked: set[int] = set()
    start_time = time.perf_counter()
    try:
        with scint.open(url) as s:
            s.run('create_context("p", type="Process", goal="soak"); create_context("log")')
        start = 0
        for k in range(1, args.kills + 1):
            kill_after(url, start, rng.randint(1, 40) * max(1, args.threads), acked, threads=args.threads)
            count = check_store(url, acked)
            start = count + 1000 * k
            if k % 25 == 0 or k == args.kills:
                print(
                    f"{k:4d} kills: {len(acked):6,d} acknowledged programs, {count:6,d} in the store, all consistent",
                    flush=True,
                )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"{args.store}: {args.kills} SIGKILLs, seed {args.seed}, {args.threads or 1} writer thread(s), "
        f"{time.perf_counter() - start_time:.0f} s: no loss, "
        "no duplicate, no partial program"
    )


if __name__ == "__main__":
    main()
