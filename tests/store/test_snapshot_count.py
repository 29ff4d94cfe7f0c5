"""Snapshots are counted from the newest one stored, not from when the session opened: a store used one program
per open (the CLI, a notebook re-run) still gets snapshots, so opening it does not replay its whole history."""

from __future__ import annotations

import itertools

import pytest

import scint
from scint.session import snapshots


def _snapshot_versions(s: scint.Session) -> list[int]:
    head = s._guard(s._current)
    return [e.originator_version for e in s.app.snapshots.recorder.select_events(head.id)]


@pytest.mark.parametrize("every", [5, 12])
def test_one_program_per_open_still_snapshots(persistent_url: str, monkeypatch: pytest.MonkeyPatch, every: int) -> None:
    monkeypatch.setattr(snapshots, "SNAPSHOT_EVERY", every)
    with scint.open(persistent_url) as s:
        s.run('create_context("c")')
    for i in range(3 * every):
        with scint.open(persistent_url) as s:
            s.run(f'c.put(key="k{i}", value={i})')
    with scint.open(persistent_url) as s:
        taken = _snapshot_versions(s)
        assert len(taken) >= 2, taken  # before: none, as no single open saw `every` events
        assert all(b - a >= every for a, b in itertools.pairwise(taken))
        assert s.view().get("c")["data"][f"k{3 * every - 1}"] == 3 * every - 1
        head_version = s._guard(s._current).version
    assert head_version - taken[-1] < 2 * every  # an open replays a bounded tail
