"""The lean stored form of events (scint/core/codec.py): exact round trips, the JSON fallback, and provenance
that leaves out only what the call spells."""

from __future__ import annotations

import json
import random
import string
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import scint
from scint.core.codec import call_text, decode_state, encode_state, source_of
from scint.core.map import ScintTranscoder, branch_id
from scint.core.state import MapState

NOW = datetime(2026, 11, 30, 1, 2, 3, 456789, tzinfo=UTC)
NOISE = random.Random(0)  # incompressible text, the same every run
META = {"actor": "human", "program": "0123456789abcdef", "n": 1}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63) + 1, 2**63 - 1) | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


def applied(args: Any, meta: Any = META, ts: Any = NOW) -> dict[str, Any]:
    return {"timestamp": ts, "path": "c", "action": "put", "args": args, "meta": meta}


def test_call_text_is_pinned() -> None:
    """Stores rely on this text to give sources back: it must never change."""
    assert call_text("c", "put", {"key": "k", "value": 'x"y\n'}) == 'c.put(key="k", value="x\\"y\\n")'
    assert call_text("a.b", "f", {"v": [1, 2.5, True, None, {"k": "é"}], "z": -0.0, "w": 1e100}) == (
        'a.b.f(v=[1, 2.5, true, null, {"k": "é"}], z=-0.0, w=1e+100)'
    )
    assert call_text("", "create_context", {"name": "c", "parent": None}) == 'create_context(name="c", parent=null)'
    assert call_text("c", "clear", {}) == "c.clear()"


@given(json_values, json_values.filter(lambda v: isinstance(v, dict)))
def test_applied_events_round_trip_exactly(value: Any, extra: dict[str, Any]) -> None:
    for meta in (META, {**META, **{f"x{k}": v for k, v in extra.items()}}, {"n": 2, "actor": "a"}, {}):
        state = applied({"key": "k", "value": value}, meta)
        data = encode_state(state)
        assert data[:1] == b"\x01"
        back = decode_state(data)
        assert back == state and list(back) == list(state) and list(back["meta"]) == list(meta)
        assert json.dumps(back, default=str) == json.dumps(state, default=str)  # -0.0, key order, types


@pytest.mark.parametrize(
    ("state", "first"),
    [
        (applied({"v": 2**70}), b"{"),  # beyond 64 bits: the JSON form holds it
        (applied({"v": 1}, ts=NOW.astimezone(timezone(timedelta(hours=2)))), b"\x01"),  # kept as its ISO text
        (applied({"v": 1}, meta={**META, "program": "0123456789ABCDEF"}), b"\x01"),  # not lower-case hex: text
        (applied({"v": 1}, meta={**META, "program": "short"}), b"\x01"),
        ({"timestamp": NOW, "originator_topic": "x", "branch": "b", "base_branch": None, "base_version": 0}, b"\x02"),
        ({"timestamp": NOW, "state": {"_created_on": NOW, "state": MapState(), "i": uuid.uuid4()}}, b"\x02"),
    ],
)
def test_every_state_round_trips(state: dict[str, Any], first: bytes) -> None:
    data = ScintTranscoder().encode(state)
    assert data[:1] == first
    back = ScintTranscoder().decode(data)
    if "state" in state:
        assert type(back["state"]["state"]) is MapState and back["state"]["i"] == state["state"]["i"]
        assert back["state"]["_created_on"] == NOW
    else:
        assert back == state and back.get("timestamp").utcoffset() == state["timestamp"].utcoffset()


@pytest.mark.parametrize(
    ("data", "first"),
    [
        ({f"k{i}": "v" * 100 for i in range(50)}, b"\x03"),  # large, compresses: zlib
        ({f"k{i}": "v" * 10 for i in range(50)}, b"\x02"),  # under COMPRESS_ABOVE
        ({f"k{i}": "".join(NOISE.choices(string.printable[:94], k=100)) for i in range(50)}, b"\x02"),  # saves < 1/4
    ],
)
def test_large_states_are_compressed_when_it_pays(data: dict[str, str], first: bytes) -> None:
    state = {"timestamp": NOW, "state": {"_created_on": NOW, "state": MapState(), "data": data}}
    encoded = ScintTranscoder().encode(state)
    assert encoded[:1] == first
    if first == b"\x03":
        assert len(encoded) < 1000  # of ~5,500
    back = ScintTranscoder().decode(encoded)
    assert back["state"]["data"] == data and back["state"]["_created_on"] == NOW and back["timestamp"] == NOW
    assert type(back["state"]["state"]) is MapState


def test_the_json_form_of_older_stores_is_read() -> None:
    old = (
        b'{"v":{"timestamp":"2026-11-30T01:06:00.793092+00:00","path":"c","action":"put","args":{"key":"k"},'
        b'"meta":{"actor":"human","source":"c.put(key=\\"k\\")","program":"14532fb88fee4da4","n":1}},'
        b'"t":[["timestamp","dt"]]}'
    )
    state = decode_state(old)
    assert state["timestamp"] == datetime(2026, 11, 30, 1, 6, 0, 793092, tzinfo=UTC)
    assert source_of(state["path"], state["action"], state["args"], state["meta"]) == 'c.put(key="k")'


def test_sources_are_left_out_only_when_the_call_spells_them(session: scint.Session) -> None:
    session.run('create_context("c")')
    programs = [
        'c.put(key="a", value=[1, {"b": null}])',  # canonical: nothing stored
        "c.put('a', 2)",  # positional, single quotes: stored
        'x = c.put(key="a", value=3)',  # an assignment: stored
        'c.put(key="a", value=4)\nc.put(key="b", value=5)',  # the statements joined: no text either
        'c.put(key="a", value=4)\n\nc.put(key="b", value=5)',  # a blank line: the text is kept
        'c.put(key="a", value=6)\ny = c.get(key="a")',  # a query records nothing: the text is kept
    ]
    for text in programs:
        session.run(text)
    log = session.log(limit=len(programs))
    assert [e.source for e in reversed(log)] == programs
    metas = [e.meta for e in session.app.events.get(branch_id("main"), gt=1)][-8:]
    assert [("source" in m, "text" in m) for m in metas] == [
        (False, False),
        (True, False),
        (True, False),
        (False, False),
        (False, False),
        (False, True),
        (False, False),
        (False, True),
    ]
