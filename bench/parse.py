"""How fast Scint parses, against Python's own parser and JSON in the same run.

Measures one-line commands and a 100-statement program through:
  scint.parse          text -> frozen AST (Lark's LALR tables for grammar/scint.lark, Scint's driver loop)
  lark (tree)          the same grammar through Lark's own LALR parser, building a parse tree (no AST)
  lark-cython (tree)   the same through lark-cython, when it is installed (pip install lark-cython)
  ast.parse            Python's C parser on the same text (the goal: scint >= 0.5x its throughput)
  json.loads           the equivalent OpenAI tool-call JSON ({"name": ..., "arguments": "<json>"}, both decoded)

Each figure is the best of several rounds (the machine is noisy); ratios are against ast.parse in the same run.
Run: python bench/parse.py [--rounds N]

Recorded 2026-11, CPython 3.11.7 on x86_64 (2 vCPUs shared with other jobs, load ~4; best of 7-9 rounds):

                          one-line command (65 chars)      100-statement program (5,989 chars)
  scint.parse             23.9 us   0.63-0.64x ast.parse   2.40-2.48 ms   0.59-0.82x ast.parse
  lark (tree)             82-86 us  0.18x                  8.3-11.5 ms    0.17-0.21x
  ast.parse               15.1-15.3 us  1.00x              1.47-2.04 ms   1.00x
  json.loads (tool call)  3.4 us    4.5x                   0.21-0.31 ms   6.6-7.6x

(ast.parse on the program varies most between runs, hence the range; on a quiet run 0.59-0.63x.) Before the
driver rewrite (integer tables, children of inlined rules left in place on the value stack, unit reductions
folded into the table, nodes made through slot descriptors) scint.parse was 0.46-0.49x and 0.44x.
"""

from __future__ import annotations

import argparse
import ast
import json
import platform
import sys
import time
from typing import Any

import lark

import scint
from scint.dsl import DEFAULT_LIMITS, lark_parser
from scint.dsl.grammar import grammar_text
from scint.dsl.parser import _parse


def parse_uncached(text: str) -> object:
    """scint.parse without its cache of recent short programs (the bench repeats one text)."""
    return _parse(text, DEFAULT_LIMITS)


ONE = 'notes.add(title="Buy milk", tags=["home", "errands"], priority=2)'
ONE_JSON = json.dumps(
    {"name": "notes_add", "arguments": json.dumps({"title": "Buy milk", "tags": ["home", "errands"], "priority": 2})}
)


def program(n: int) -> tuple[str, str]:
    lines, calls = [], []
    for i in range(n):
        lines.append(f'notes.add(title="Item {i}", tags=["home", "t{i % 7}"], priority={i % 5})')
        calls.append(
            {
                "name": "notes_add",
                "arguments": json.dumps({"title": f"Item {i}", "tags": ["home", f"t{i % 7}"], "priority": i % 5}),
            }
        )
    return "\n".join(lines), json.dumps(calls)


def lark_cython_parser() -> Any:
    """The same grammar through lark-cython (Lark's LALR compiled with Cython), if it is installed (not a
    dependency: measured 2026-11-30, it builds Lark's tree 1.2-2.3x faster than Lark but is slower than
    scint.parse, which builds the AST itself)."""
    try:
        import lark_cython  # type: ignore[import-not-found]
    except ImportError:
        return None
    plugins = lark_cython.plugins
    return lark.Lark(grammar_text(), parser="lalr", lexer="basic", maybe_placeholders=False, _plugins=plugins)


def _json_tool_call(text: str) -> object:
    calls = json.loads(text)
    if isinstance(calls, dict):
        calls = [calls]
    return [(c["name"], json.loads(c["arguments"])) for c in calls]


def rate(fn, arg: str, seconds: float, rounds: int) -> float:
    """Best calls per second over `rounds` rounds of about `seconds` each."""
    fn(arg)
    n = 1
    while True:
        t = time.perf_counter()
        for _ in range(n):
            fn(arg)
        if time.perf_counter() - t > seconds / 4:
            break
        n *= 2
    best = 0.0
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(n):
            fn(arg)
        best = max(best, n / (time.perf_counter() - t))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--seconds", type=float, default=0.3)
    args = ap.parse_args()
    lk = lark_parser()
    lc = lark_cython_parser()
    big, big_json = program(100)
    assert len(scint.parse(big).statements) == 100
    print(f"Python {platform.python_version()} on {platform.machine()}, {args.rounds} rounds, best of each")
    for label, text, js in (("one-line command", ONE, ONE_JSON), ("100-statement program", big, big_json)):
        r = {
            "scint.parse": rate(parse_uncached, text, args.seconds, args.rounds),
            "lark (tree)": rate(lk.parse, text, args.seconds, args.rounds),
            **({"lark-cython (tree)": rate(lc.parse, text, args.seconds, args.rounds)} if lc is not None else {}),
            "ast.parse": rate(ast.parse, text, args.seconds, args.rounds),
            "json.loads (tool call)": rate(_json_tool_call, js, args.seconds, args.rounds),
        }
        base = r["ast.parse"]
        print(f"\n{label} ({len(text):,} chars)")
        for name, v in r.items():
            print(f"  {name:24s} {v:12,.0f} /s   {1e6 / v:9.1f} us   {v / base:5.2f}x ast.parse")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
