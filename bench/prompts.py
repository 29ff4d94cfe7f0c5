"""A process's prompt over a long run: bounded (SPEC 14) against the whole transcript (what it was before).

A scripted MockProvider process takes 1,000 steps (each adds a task, as a model working through a list would;
a summary is asked for whenever the transcript outgrows its window). Measured at steps 10, 100 and 1,000: the
characters of the request the step sent (its messages as JSON) and their o200k_base tokens (counted offline
with the bpe-openai package, when it is installed; tiktoken would download its encoding, so it is not used).
The baseline, in the same run: the prompt the same step would have sent with the whole transcript in it (the
instructions and state view, the goal, and every entry as a message).

Goal: the bounded prompt at step 1,000 within 1.2x of step 100.

Run: .venv/bin/python bench/prompts.py [--steps 1000]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from typing import Any

import scint
from scint.llm import MockProvider, RunLimits, run_process
from scint.llm.prompt import _entry_messages
from scint.llm.provider import Request

try:
    import bpe_openai

    ENC: Any = bpe_openai.get_encoding("o200k_base")
except ImportError:  # pragma: no cover
    ENC = None

LIT = "work.lit"


def script(steps: int) -> Any:
    done = {"steps": 0, "summaries": 0}

    def reply(request: Request) -> Any:
        if not request.tools:
            done["summaries"] += 1
            return f"Summary {done['summaries']}: tasks 1 to {done['steps']} are added; the list goes on."
        done["steps"] += 1
        if done["steps"] > steps:
            return "all added"
        n = done["steps"]
        return {"program": f'self.add_task(title="item {n}", detail="the {n}th item of the list, checked")'}

    return reply


def size(messages: list[dict[str, Any]]) -> tuple[int, int | None]:
    text = json.dumps(messages, ensure_ascii=False)
    return len(text), (len(ENC.encode(text)) if ENC is not None else None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=1_000)
    steps = parser.parse_args().steps
    marks = [m for m in (10, 100, 1_000) if m <= steps]
    with scint.open("memory://") as s:
        s.run('create_context("work", type="Thread"); work.spawn(name="lit", goal="add every item of the list")')
        s.llm = mock = MockProvider([script(steps)] * (2 * steps + 10))
        started = time.perf_counter()
        run_process(s, LIT, min(steps + 1, 1_000), limits=RunLimits(max_steps=3 * steps))
        seconds = time.perf_counter() - started
        requests = [r for r in mock.history if r.tools]
        transcript = s.view().get(LIT)["transcript"]
        summaries = sum(1 for e in transcript if "summary" in e)
        # the whole-transcript prompt of step n: the same head, and every entry recorded before the step
        starts = [i for i, e in enumerate(transcript) if "calls" in e or "text" in e]
        print(f"{steps:,} steps in {seconds:.1f} s, {summaries} summaries; Python {platform.python_version()}")
        print(f"tokens: {'o200k_base (bpe-openai)' if ENC is not None else 'not counted: bpe-openai not installed'}")
        print("step  bounded chars (tokens)   whole transcript chars (tokens)   ratio")
        figures = {}
        for mark in marks:
            request = requests[mark - 1]
            head = request.messages[:2]
            whole = head + [m for e in transcript[: starts[mark - 1]] if "summary" not in e for m in _entry_messages(e)]
            (b, bt), (w, wt) = size(request.messages), size(whole)
            figures[mark] = b
            print(f"{mark:>5} {b:>10,} ({bt or '-':>7})   {w:>12,} ({wt or '-':>9})   {b / w:.3f}x")
        if 100 in figures and steps in figures and steps > 100:
            print(f"step {steps:,} / step 100 (bounded): {figures[steps] / figures[100]:.2f}x (goal <= 1.2x)")


if __name__ == "__main__":
    main()
