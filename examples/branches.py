"""Branches, diff, replay, rerun, export and load: every change is an event, so the past stays reachable.

Run: python examples/branches.py (it works in a temporary directory and leaves nothing behind)
"""

import tempfile
from pathlib import Path

import scint

with tempfile.TemporaryDirectory() as tmp:
    url = f"lmdb:///{tmp}/store"  # the embedded LMDB store, in a directory of its own
    with scint.open(url) as s:
        s.run('create_context("budget")')
        s.run('budget.put(key="rent", value=900)')
        s.run('budget.put(key="food", value=300)')
        print("version", s.version, "on", s.branch_name)  # version 3 on main

        # A branch from version 2 (before food was added): nothing is copied, whatever the history's length.
        s.branch("frugal", at=2)
        s.checkout("frugal")
        s.run('budget.put(key="food", value=150); budget.put(key="rent", value=700)')
        print(s.diff("main", "frugal"))

        # Replay rebuilds any version from the events alone (no parsing, no model calls).
        print("main at version 2:", s.replay(to=2).get("budget"))

        # The log: one entry per program that changed state, newest first, with who ran it.
        for entry in s.log():
            print(entry.version, entry.actor, entry.source)

        # Rerun re-executes the recorded programs after a version on a new branch, with today's code.
        print(s.rerun(since=2, branch="again"))

        # Export the branch's whole history (checksummed JSON Lines) and load it into another store.
        file = Path(tmp) / "frugal.jsonl"
        print("exported", s.export(file), "events")
        with scint.load(file, into="memory://") as copy:
            assert copy.view().render("json") == s.view().render("json")
            print("loaded", copy.branch_name, "at version", copy.version)

    # The store persists: open it again and the state is there.
    with scint.open(url) as again:
        print("reopened on", again.branch_name, "at version", again.version)
