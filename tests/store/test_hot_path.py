"""The recording shortcuts of Session.run: events encoded without the mapper (byte for byte what the mapper
writes), and the catch-up read skipped while the store's change token says nothing was committed since."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import scint
from scint.core.map import ContextMap, fast_mapper, stored_events

VALUES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"key": "k", "value": "x" * 60}, {"actor": "human", "source": 'c.put(key="k")', "program": "ab" * 8, "n": 1}),
    (
        {"key": 'é\u2028"\\\x00\ud7ff\U0001f600', "value": [1, -2.5, -0.0, 1e300, None, True, {"n": 10**40}]},
        {"actor": "llm:x", "source": "s", "program": "p", "n": 3, "text": "ü\n", "request": {"id": [1, {"a": None}]}},
    ),
    ({"key": "", "value": {}}, {"actor": "a", "source": "", "program": "", "n": 0, "tv": 2}),
]


def test_stored_events_are_what_the_mapper_writes() -> None:
    with scint.open("memory://") as s:
        s.run('create_context("c")')
        mapper = s.app.mapper
        assert fast_mapper(mapper)
        head = ContextMap.start("other")
        head.state.apply("", "create_context", {"name": "c", "type": "Container", "parent": None, "config": {}})
        for args, meta in VALUES:
            head.record("c", "put", args, meta)
        events = head.collect_events()
        assert type(events[0]) is ContextMap.Started  # goes through the mapper
        assert stored_events(mapper, events) == [mapper.to_stored_event(e) for e in events]
        for stored in stored_events(mapper, events[1:]):
            assert mapper.to_domain_event(stored).__dict__ == events[stored.originator_version - 1].__dict__


def test_events_built_elsewhere_go_through_the_mapper() -> None:
    with scint.open("memory://") as s:
        head = ContextMap.start("b")
        args = {"name": "c", "type": "Container", "parent": None, "config": {}}
        head.trigger_event(ContextMap.Applied, path="", action="create_context", args=args, meta={}, timestamp="2020")
        events = head.collect_events()
        assert stored_events(s.app.mapper, events) == [s.app.mapper.to_stored_event(e) for e in events]


def test_reads_are_skipped_only_while_nothing_was_committed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"lmdb:///{tmp_path}/store"
    with scint.open(url) as a, scint.open(url) as b:
        a.run('create_context("c")')
        a.run('c.put(key="k", value=0)')  # the first program made the head: this one read the store once
        reads: list[Any] = []
        real = a.app.events.get
        monkeypatch.setattr(a.app.events, "get", lambda *args, **kw: reads.append(args) or real(*args, **kw))
        for i in range(250):  # across snapshots too
            a.run(f'c.put(key="k{i % 7}", value={i})')
        assert reads == []  # every commit since the head was loaded was a's own
        assert b.run('c.put(key="k0", value="from b")').version == 253
        assert a.run('c.get(key="k0")').value == "from b"
        assert len(reads) == 1
        a.run('c.put(key="k1", value="a")')
        assert b.run('c.get(key="k1")').value == "a"
        assert b.version == a.version == 254


def test_a_failed_program_keeps_the_head_current(tmp_path: Path) -> None:
    with scint.open(f"lmdb:///{tmp_path}/store") as s:
        s.run('create_context("c")\nc.put(key="a", value=1)')
        with pytest.raises(scint.ScintError):
            s.run('c.put(key="a", value=2)\nc.nothing()')
        assert s.run('c.get(key="a")').value == 1
        assert s.version == 2
