"""Many agents talking: 50 `python:NAME` processes exchanging 10,000 messages under `session.agents.run()`.

  agents     A processes `a0`..`a{A-1}`, each with backend `python:relay` and goal "R". Handed its goal, an agent
             sends a query to a neighbour (`a{i+1}`, `a{i+2}` or `a{i+3}` in turn); handed a query, it answers it
             (the str it returns becomes `reply(...)` from it); handed the reply to its k-th query, it sends the
             next query, until it has sent R. So each agent sends R queries and R replies: 2 * A * R messages in
             all (A=50, R=100: 10,000), and takes 2R + 1 steps (one per message handled, plus its goal).
  messages   driven by one `session.agents.run(max_steps=1000, total_steps=100_000)` (the API's bounds) on a
             fresh store; timed: wall and CPU of that call. The messages are counted in the store afterwards
             (`session.inbox(path, unread=False)` of every agent, none left unread), and so are the programs and
             events the run recorded (`session.log()`, `session.version`).
  baseline   one-statement programs (`c.put(key=..., value=...)` by `session.run`) on the same kind of store in
             the same run: programs/s.

Reported per store: messages/s, its ratio to programs/s, the programs and events each message cost, CPU per
message. Stores: durable LMDB (the default flags) and LMDB with `sync=fast` (no barrier: the CPU cost).
--profile runs the fast-store exchange once more under cProfile and prints where the time goes.

Run: python bench/agents_many.py [--agents 50] [--rounds-per-agent 100] [--programs 500] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import platform
import pstats
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import scint
from scint.modules import unregister_backend

VALUE = "x" * 60


def relay(message: dict[str, Any], view: Any) -> Any:
    """The agents' backend: a goal or a reply sends the next query (until R are sent); a query is answered."""
    kind, me = message["kind"], message["to"]
    if kind == "query":
        return message["content"]  # becomes reply(to=<its id>, content=<it>)
    left = int(message["content"])  # the goal: R queries to send; a reply: what was left when it was asked
    if left <= 0:
        return "sent all my queries"  # its answer: the run ends done (a query received later wakes it again)
    i, n = (int(part) for part in me[1:].split("of"))
    to = f"a{(i + 1 + left % 3) % n}of{n}"
    return scint.parse(f'send(to="{to}", content="{left - 1}", kind="query")')


def create(s: scint.Session, agents: int, rounds: int) -> None:
    s.run(
        "\n".join(
            f'create_context("a{i}of{agents}", type="Process", goal="{rounds}", backend="python:relay")'
            for i in range(agents)
        )
    )


def exchange(url: str, agents: int, rounds: int, profile: cProfile.Profile | None = None) -> dict[str, float]:
    with scint.open(url) as s:
        create(s, agents, rounds)
        programs, version = len(s.log()), s.version
        started, cpu = time.perf_counter(), time.process_time()
        if profile is not None:
            profile.enable()
        reports = s.agents.run(max_steps=1000, total_steps=100_000)
        if profile is not None:
            profile.disable()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert [r.status for r in reports] == ["done"] * agents, [str(r) for r in reports if r.status != "done"]
        assert sum(r.steps for r in reports) == agents * (2 * rounds + 1), sum(r.steps for r in reports)
        paths = [f"a{i}of{agents}" for i in range(agents)]
        received = [m for p in paths for m in s.inbox(p, unread=False)]
        assert all(s.inbox(p) == [] for p in paths), "messages left unread"
        kinds = [m["kind"] for m in received]
        assert kinds.count("query") == kinds.count("reply") == agents * rounds, (len(kinds), set(kinds))
        return {
            "messages": len(received),
            "seconds": elapsed,
            "cpu": cpu,
            "programs": len(s.log()) - programs,
            "events": s.version - version,
        }


def one_statement(url: str, count: int) -> float:
    """One-statement programs/s (`put`) on a fresh store of the same kind."""
    with scint.open(url) as s:
        s.run('create_context("c")')
        s.run(f'c.put(key="k", value="{VALUE}")')
        started = time.perf_counter()
        for j in range(count):
            s.run(f'c.put(key="k{j % 50}", value="{VALUE}")')
        return count / (time.perf_counter() - started)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agents", type=int, default=50)
    ap.add_argument("--rounds-per-agent", type=int, default=100, help="queries each agent sends (R)")
    ap.add_argument("--programs", type=int, default=500, help="one-statement programs timed for the baseline")
    ap.add_argument("--stores", default="durable,fast", help='durable, fast, both (comma-separated) or none ("")')
    ap.add_argument("--profile", action="store_true", help="profile the fast-store exchange once more")
    args = ap.parse_args()
    scint.register_backend("relay", relay)
    root = Path(tempfile.mkdtemp(prefix="scint-bench-agents-many-"))
    options = {"durable": "", "fast": "?sync=fast"}
    try:
        print(
            f"Python {platform.python_version()}, {args.agents} python:relay agents x {args.rounds_per_agent} "
            f"queries each (+ as many replies), one session.agents.run(), LMDB"
        )
        for store in filter(None, args.stores.split(",")):

            def url(tag: str, store: str = store) -> str:
                return f"lmdb:///{root}/{tag}-{uuid.uuid4().hex[:6]}{options[store]}"

            got = exchange(url("x"), args.agents, args.rounds_per_agent)
            base = one_statement(url("p"), args.programs)
            rate = got["messages"] / got["seconds"]
            print(
                f"  {store:8} {got['messages']:,.0f} messages in {got['seconds']:.1f} s = {rate:,.0f} messages/s "
                f"(CPU {1e3 * got['cpu'] / got['messages']:.2f} ms per message); one-statement programs "
                f"{base:,.0f}/s; ratio {rate / base:.3f}; per message {got['programs'] / got['messages']:.2f} "
                f"programs, {got['events'] / got['messages']:.1f} events"
            )
        if args.profile:
            prof = cProfile.Profile()
            got = exchange(f"lmdb:///{root}/prof?sync=fast", args.agents, args.rounds_per_agent, prof)
            print(f"  profile (fast store, {got['messages']:,.0f} messages, {got['seconds']:.1f} s under cProfile):")
            pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    finally:
        unregister_backend("relay")
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
