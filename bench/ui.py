"""The web view's server time on a long history, and the size of its state page for a large container.

  1. a 100,000-event LMDB store (built once with sync=fast, cached under bench/.data/): 10 containers of 200
     keys rewritten over and over, a thread with 1,000 posts, a process with tasks, and a branch `what-if`
     forked half-way. Each page (log, log paged back, state at the head and half-way, diff of two versions and
     of two branches) is served through Starlette's TestClient (the whole app in-process: routing, guards,
     data, HTML) and timed, median of --repeat runs, against the Session call it draws in the same run
     (the ratio is the web view's own cost). Goal: each page under 100 ms.
  2. the state page of one Container with 10,000 keys: its HTML stays bounded (the text rendering has a
     budget of scint.ui.data.STATE_BUDGET characters), while /api/state carries the whole state.

Run: python bench/ui.py [--events 100000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

import scint
from scint.ui.app import create_app
from scint.ui.data import STATE_BUDGET

HERE = Path(__file__).resolve().parent
STATEMENTS = 10  # per program
BUDGET = STATE_BUDGET


def build(path: Path, events: int) -> None:
    """The history: programs of STATEMENTS puts; every 10th also posts to the thread; `what-if` forks half-way."""
    url = f"lmdb:///{path}?sync=fast"
    with scint.open(url) as s:
        s.run(
            "\n".join(f'create_context("c{i}")' for i in range(10))
            + '\ncreate_context("talk", type="Thread")'
            + '\ncreate_context("worker", type="Process", parent="talk", goal="keep the notes")'
        )
        n, forked = 0, False
        while s.version < events:
            stmts = [
                f'c{(n + j) % 10}.put(key="k{(n * 7 + j) % 200}", value={{"n": {n}, "j": {j}, "text": "note {n}"}})'
                for j in range(STATEMENTS)
            ]
            if n % 10 == 0:
                stmts[-1] = f'talk.post(role="user", content="message {n}")'
            if n % 500 == 0:
                stmts[-2] = f'talk.worker.add_task(title="task {n}")'
            s.run("\n".join(stmts))
            n += 1
            if not forked and s.version >= events // 2:
                s.branch("what-if", at=s.version)
                forked = True
                other = scint.open(url, branch="what-if")
                for k in range(20):
                    other.run(f'c0.put(key="what-if-{k}", value={k})')
                other.close()
        (path / "events").write_text(str(s.version))


def timed(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm: caches, the branch's session
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs) * 1000


def get(client: TestClient, url: str) -> Callable[[], Any]:
    def call() -> Any:
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
        return r

    return call


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()

    data = HERE / ".data" / f"ui-{args.events}"
    marker = data / "events"
    if not marker.exists():
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        t0 = time.perf_counter()
        build(data, args.events)
        print(f"built {data} in {time.perf_counter() - t0:.1f} s")
    head = int(marker.read_text())
    print(f"Python {platform.python_version()}, {platform.machine()}; store {data}: {head:,} events on main")

    with scint.open(f"lmdb:///{data}") as s, TestClient(create_app(s), base_url="http://127.0.0.1:8765") as c:
        log = s.log(limit=200)
        mid = next(e.version for e in log[::-1] if e.version <= head - 1000)  # a program boundary well back
        half = min((e for e in s.log() if e.version <= head // 2), key=lambda e: -e.version).version
        what_if = scint.open(f"lmdb:///{data}", branch="what-if")
        cases = [
            ("log, newest 50", "/log?limit=50", lambda: s.log(limit=50)),
            ("log, 50 before half-way", f"/log?limit=50&before={half}", None),
            ("state at the head", "/state", lambda: s.view().render("text", max_chars=BUDGET)),
            ("state half-way", f"/state?ref=main@{half}", lambda: s.view(at=half).render("text", max_chars=BUDGET)),
            ("diff of two versions", f"/diff?a=main@{mid}&b=main", lambda: s.diff(mid, head)),
            ("diff of two branches", "/diff?a=main&b=what-if", lambda: s.diff("main", "what-if")),
            ("/api/state at the head", "/api/state", lambda: json.dumps(s.view().render("json"))),
            ("/api/version (live poll)", "/api/version", lambda: s.branches()),
        ]
        print(f"\n{'page':32} {'server ms':>10} {'session ms':>11} {'ratio':>6}  goal < 100 ms")
        for label, url, baseline in cases:
            ms = timed(get(c, url), args.repeat)
            base = timed(baseline, args.repeat) if baseline is not None else None
            ratio = f"{ms / base:5.2f}x" if base else "     -"
            base_text = f"{base:11.2f}" if base is not None else f"{'-':>11}"
            print(f"{label:32} {ms:10.2f} {base_text} {ratio}  {'ok' if ms < 100 else 'OVER'}")
        what_if.close()

    tmp = Path(tempfile.mkdtemp(prefix="scint-ui-bench-"))
    try:
        with scint.open(f"lmdb:///{tmp}/big?sync=fast") as s:
            s.run('create_context("big")')
            for chunk in range(100):  # 100 keys per program
                keys = [f"key-{chunk * 100 + i:05d}" for i in range(100)]
                s.run("\n".join(f'big.put(key="{k}", value=$v)' for k in keys), params={"v": {"text": "x" * 40}})
            with TestClient(create_app(s), base_url="http://127.0.0.1:8765") as c:
                count = len(s.view().get("big")["data"])
                page = get(c, "/state")()
                api = get(c, "/api/state")()
                ms = timed(get(c, "/state"), args.repeat)
        print(
            f"\nstate page of one Container with {count:,} keys: HTML {len(page.text):,} chars "
            f"(budget {STATE_BUDGET:,} for the rendering), /api/state {len(api.text):,} chars, {ms:.1f} ms"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
