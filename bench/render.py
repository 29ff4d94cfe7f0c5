"""The budgeted view rendering against the complete JSON rendering of the same state, in the same run.

  budgeted  view.render("text", max_chars=4000) of a fresh view (nothing cached): structure first, then the
            detail that fits (SPEC 14)
  json      view.render("json") of the same state: complete, one json.dumps (the baseline)

States: one Container with 10,000 keys (values: small dicts with a string of 0-80 characters), 1,000
Containers of 10 keys each (10,000 keys over many contexts), and a Process whose transcript has 2,000 steps
(dicts with a string of 0-600 characters; the newest get the most detail). Medians of `--repeat` renders, in
CPU time (the machines this runs on are shared: wall time drifts with their load).
The goal: the budgeted text of the 10,000-key state in under 20 ms.

Run: python bench/render.py [--repeat 15] [--budget 4000] [--profile]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from typing import Any

from scint.core.view import ContextMapView


def one_container(keys: int) -> dict[str, tuple[str, dict[str, Any]]]:
    data = {f"key{i:05}": {"n": i, "note": "word " * (i % 17)} for i in range(keys)}
    return {"big": ("Container", {"data": data})}


def many_containers(count: int, keys: int) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        f"c{j:04}": ("Container", {"data": {f"k{i}": {"n": i, "note": "word " * (i % 17)} for i in range(keys)}})
        for j in range(count)
    }


def long_process(steps: int) -> dict[str, tuple[str, dict[str, Any]]]:
    transcript = [
        {
            "role": "assistant" if i % 2 else "tool",
            "content": "word " * (i % 120),
            "program": f'notes.put(key="k{i}", value={i})',
            "result": {"value": i, "events": [1, 2, 3]},
        }
        for i in range(steps)
    ]
    state = {"goal": "g" * 300, "status": "running", "transcript": transcript, "used": {"steps": steps}}
    return {"p": ("Process", state), "notes": ("Container", {"data": {f"k{i}": i for i in range(500)}})}


def median_ms(contexts: dict[str, tuple[str, dict[str, Any]]], fmt: str, budget: int | None, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        view = ContextMapView(contexts, path=None, version=1, branch="main")  # fresh: nothing planned yet
        t = time.process_time()
        text = view.render(fmt, max_chars=budget)
        times.append(time.process_time() - t)
        if budget is not None:
            assert len(text) <= budget
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--budget", type=int, default=4000)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    print(
        f"Python {platform.python_version()}, {platform.machine()}; CPU-time medians of {args.repeat}; "
        f"budget {args.budget}"
    )
    cases = {
        "1 Container, 10,000 keys": one_container(10_000),
        "1,000 Containers x 10 keys": many_containers(1000, 10),
        "a Process with 2,000 transcript steps": long_process(2000),
    }
    for name, contexts in cases.items():
        budgeted = median_ms(contexts, "text", args.budget, args.repeat)
        html = median_ms(contexts, "html", args.budget, args.repeat)
        complete = median_ms(contexts, "json", None, args.repeat)
        full = ContextMapView(contexts, path=None, version=1, branch="main").render("json")
        print(
            f"{name}: budgeted text {budgeted:.1f} ms, html {html:.1f} ms; render('json') {complete:.1f} ms "
            f"({len(full):,} chars); ratio text/json {budgeted / complete:.2f}x"
        )
    if args.profile:
        import cProfile
        import pstats

        contexts = cases["1 Container, 10,000 keys"]
        view = ContextMapView(contexts, path=None, version=1, branch="main")
        cProfile.runctx("view.render('text', max_chars=args.budget)", globals(), locals(), "/tmp/render.prof")
        pstats.Stats("/tmp/render.prof").sort_stats("cumulative").print_stats(18)


if __name__ == "__main__":
    main()
