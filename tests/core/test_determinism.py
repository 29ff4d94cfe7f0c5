"""Determinism as a property: random programs run on a live session, then the state rebuilt from the events alone
renders exactly the same JSON as the live state, at every checkpoint, on every backend."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scint
import scint.session.facade
from scint.contexts.registry import unregister
from scint.core.map import branch_id
from scint.core.view import ContextMapView


class Tally(scint.Context):
    """Counts, and keeps a list it was given (so that aliasing between events and state would show)."""

    n: int = 0
    items: list[str] = []

    @scint.action
    def incr(self, by: int = 1, who: str | None = None) -> int:
        """Add `by`."""
        self.n += by
        if who is not None:
            self.items.append(who)
        return self.n

    @scint.query
    def value(self) -> int:
        """The count."""
        return self.n

    @scint.action
    def keep(self, items: list[str]) -> None:
        """Keep `items` as they are."""
        self.items = items

    @scint.action
    def push(self, x: str) -> int:
        """Append `x`."""
        self.items.append(x)
        return len(self.items)


@pytest.fixture(scope="module", autouse=True)
def tally() -> Iterator[None]:
    scint.register(Tally)
    yield
    unregister("Tally")


SETUP = """
create_context("a"); create_context("b"); create_context("t", type="Task", title="job")
create_context("c", type="Tally"); create_context("comp", type="Composer"); create_context("th", type="Thread")
comp.define(name="w1", params=["k", "v"], body="a.put(key=$k, value=$v)")
comp.define(name="w2", params=["k"], body="x = a.get(key=$k); b.put(key=$k, value=$x); c.incr(by=1)")
comp.define(name="w3", params=["n"], body="c.incr(by=$n); c.push(x='w3'); c.incr(by=$n)")
comp.define(name="w4", body='comp.run(name="w1", k="nested", v=[1]); th.post(role="tool", content="w4")')
comp.define(name="w5", body='a.put(key="loop", value=1); comp.run(name="w5")')
"""

# -- the program strategy --------------------------------------------------------------------------------------------

KEYS = st.sampled_from(["k0", "k1", "k2", "nested", "loop"])
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**62), 2**62),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    TEXT,
)
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=6
)
NAMES = st.sampled_from(["w1", "w2", "w3", "w4", "w5", "w6", "nope"])
CREATABLE = [
    ('"a"', ""),
    ('"b"', ""),
    ('"t"', ', type="Task"'),
    ('"c"', ', type="Tally"'),
    ('"comp"', ', type="Composer"'),
    ('"th"', ', type="Thread"'),
    ('"sub"', ', parent="a"'),
    ('"c2"', ', type="Tally", n=5, items=["x"]'),
]
PATHS = st.sampled_from(["a", "b", "t", "c", "comp", "th", "a.sub", "th.p", "th.p.t1", "c2"])


def j(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _statements(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 25))
    k, v = draw(KEYS), draw(VALUES)
    container = draw(st.sampled_from(["a", "b", "a.sub"]))
    match kind:
        case 0:
            return f"{container}.put(key={j(k)}, value={j(v)})"
        case 1:
            return f"{container}.delete(key={j(k)})"
        case 2:
            patch = draw(st.dictionaries(TEXT, VALUES, max_size=2))
            return f"{container}.update(key={j(k)}, patch={j(patch)})"
        case 3:
            return f"x = {container}.get(key={j(k)}); b.put(key={j(k)}, value=$x)"
        case 4:
            step = draw(st.sampled_from(["", ".f", "[0]", "[-1]", '["f"]']))
            return f"{container}.keys(); a.put(key={j(k)}, value=$_{step})"
        case 5:
            return draw(st.sampled_from(["t.start()", 't.fail(reason="r")', "th.p.t1.start()", "th.p.t1.complete()"]))
        case 6:
            return f"t.complete(result={j(v)})"
        case 7:
            return f"t.assign(to={j(draw(TEXT))})"
        case 8:
            by = draw(st.integers(-5, 5))
            who = draw(st.none() | TEXT)
            return f"c.incr(by={by}" + ("" if who is None else f", who={j(who)}") + ")"
        case 9:
            return f"c.keep(items={j(draw(st.lists(TEXT, max_size=3)))}); c.push(x={j(draw(TEXT))})"
        case 10:
            return f"n = c.value(); c.incr(by=$n); {container}.put(key={j(k)}, value=$n)"
        case 11:
            name = draw(NAMES)
            args = draw(st.sampled_from(["", f"k={j(k)}", f"k={j(k)}, v={j(v)}", "n=2", 'n="x"', "k=1"]))
            return f"comp.run(name={j(name)}" + (f", {args}" if args else "") + ")"
        case 12:
            body = draw(
                st.sampled_from(
                    [
                        "c.incr(by=$k)",
                        'a.put(key="defined", value=$k); comp.run(name="w1", k="from_w6", v=$k)',
                        "a.put(key=",  # invalid: refused at definition
                        "a.put(key=$zz, value=1)",  # undefined reference: refused at definition
                    ]
                )
            )
            return f'comp.define(name={j(draw(NAMES))}, params=["k"], body={j(body)})'
        case 13:
            return f"th.post(role={j(draw(st.sampled_from(['user', 'assistant', ''])))}, content={j(draw(TEXT))})"
        case 14:
            return f'th.spawn(name="p", goal={j(draw(TEXT))}); th.p.add_task(title="a")'
        case 15:
            return 'th.p.add_task(title="more", detail=null); th.p.tasks(status="todo")'
        case 16:
            name, extra = draw(st.sampled_from(CREATABLE))
            return f"create_context({name}{extra})"
        case 17:
            return f"drop_context(path={j(draw(PATHS))})"
        case 18:
            return f"{draw(PATHS)}.{draw(st.sampled_from(['put', 'start', 'incr', 'bogus']))}()"
        case 19:
            return 'comp.define(name="w1", params=["k", "v"], body="b.put(key=$k, value=$v); c.incr()")'
        case 20:
            return "contexts(); help(); comp.list(); th.messages(last=1)"
        case 21:
            return f'comp.run(name="w2", k={j(k)})'
        case 22:
            return f'comp.run(name="w3", n={draw(st.integers(-3, 3))})'
        case 23:
            return 'comp.run(name="w4")'
        case 24:
            return 'create_context("tmp"); tmp.put(key="a", value=1); drop_context(path="tmp")'
        case _:
            return f"c.incr(); {container}.put(key={j(k)}, value=$_)"


@st.composite
def programs(draw: st.DrawFn) -> list[str]:
    """A list of programs; each one to four statement groups, separated by newlines or `;`."""
    out = []
    for _ in range(draw(st.integers(1, 10))):
        parts = [_statements(draw) for _ in range(draw(st.integers(1, 4)))]
        out.append(draw(st.sampled_from(["\n", "; "])).join(parts))
    return out


# -- rebuilding ------------------------------------------------------------------------------------------------------


def rebuilt_from_events(s: scint.Session) -> ContextMapView:
    """Fold the branch's stored events into a fresh aggregate: no snapshot, no parsing, no interpreter."""
    agg = None
    for event in s.app.events.get(branch_id(s.branch_name)):
        agg = event.mutate(agg)
    assert agg is not None
    return ContextMapView.of(agg.state, path=None, version=agg.scint_version, branch=s.branch_name)


def same(a: ContextMapView, b: ContextMapView) -> None:
    assert a.render("json") == b.render("json")
    assert a.paths() == b.paths()  # creation order too (what contexts() and tasks() report)


PROPERTY = settings(
    max_examples=25,
    deadline=None,
    database=None,  # no files outside tmp_path (the suite runs under xdist)
    # `backend` is a plain string; each example opens its own fresh store from the session-scoped factory
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)


@PROPERTY
@given(texts=programs())
def test_rebuilding_from_events_gives_the_live_state(
    backend: str, texts: list[str], new_store_url: Callable[[str], str]
) -> None:
    url = new_store_url(backend)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(scint.session.facade, "SNAPSHOT_EVERY", 5)  # so that reopening goes through snapshots too
        with scint.open(url) as s:
            s.run(SETUP)
            checkpoints = {s.version: s.view().render("json")}
            for text in texts:
                version = s.version
                try:
                    r = s.run(text)
                except scint.ScintError as exc:
                    assert "internal error" not in str(exc), exc
                    assert s.version == version
                else:
                    assert r.version == s.version == version + len(r.events)
                live = s.view()
                checkpoints[s.version] = live.render("json")
                same(rebuilt_from_events(s), live)
                if hasattr(s, "replay"):
                    same(s.replay(), live)
            for version, rendered in checkpoints.items():
                assert s.view(at=version).render("json") == rendered
                if hasattr(s, "replay"):
                    assert s.replay(to=version).render("json") == rendered
            final = s.view()
        if backend != "memory":  # a new session on the same store (its snapshots, then the events after them)
            with scint.open(url) as again:
                same(again.view(), final)
                assert again.version == final.version


def test_the_strategy_exercises_failures_and_successes(new_store_url: Callable[[str], str]) -> None:
    """A guard against a strategy that only ever fails (or never does): both must happen often."""
    outcomes = {"ok": 0, "failed": 0, "events": 0}

    @settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(texts=programs())
    def run(texts: list[str]) -> None:
        with scint.open("memory://") as s:
            s.run(SETUP)
            for text in texts:
                try:
                    outcomes["events"] += len(s.run(text).events)
                    outcomes["ok"] += 1
                except scint.ScintError:
                    outcomes["failed"] += 1

    run()
    assert outcomes["ok"] >= 20 and outcomes["failed"] >= 20 and outcomes["events"] >= 40, outcomes
