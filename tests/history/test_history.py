"""History as the product: replay, branches, diff, rerun, export/load, evolving types (SPEC §2-§4)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scint
from tests.conftest import BACKENDS, url_for

QUICK = Path(__file__).resolve().parents[2] / "examples" / "quickstart.scint"


def boundaries(s: scint.Session) -> list[int]:
    """Version 0 and the version after each program of the session's branch: the states someone saw."""
    return sorted({0, *(e.version for e in s.log())})


def states(s: scint.Session) -> dict[int, str]:
    """render('json') at every program boundary of the session's branch."""
    return {v: s.view(at=v).render("json") for v in boundaries(s)}


# -- replay ---------------------------------------------------------------------------------------------------------


def test_replay_equals_view_at_every_version(session: scint.Session) -> None:
    session.run(QUICK.read_text())
    session.run('notes.put(key="late", value={"x": [1, 2]}); notes.update(key="late", patch={"y": 3})')
    session.run('research.post(role="user", content="hello"); research.lit.t1.complete(result="ok")')
    assert session.version == 16 and boundaries(session) == [0, 12, 14, 16]
    for v in boundaries(session):
        assert session.replay(to=v).render("json") == session.view(at=v).render("json"), v
    assert session.replay().render("json") == session.view().render("json")


def test_replay_rejects_versions_out_of_range(session: scint.Session) -> None:
    session.run('create_context("c")')
    for bad in (-1, 2, "1", 1.0, True):
        with pytest.raises(scint.HistoryError):
            session.replay(to=bad)  # type: ignore[arg-type]
    with pytest.raises(scint.HistoryError):
        session.view(at=5)


def test_replay_calls_no_model_and_parses_nothing(session: scint.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    session.run(QUICK.read_text())
    import scint.core.interpreter as interp
    import scint.dsl.parser as parser

    def boom(*a: Any, **k: Any) -> Any:
        raise AssertionError("replay must not parse")

    monkeypatch.setattr(parser, "parse", boom)
    monkeypatch.setattr(interp, "parse", boom)
    monkeypatch.setattr(interp, "_parse_body", boom)
    assert session.replay().render("json") == session.view().render("json")


# -- branches -------------------------------------------------------------------------------------------------------


def test_branch_isolation_both_ways(session: scint.Session) -> None:
    session.run('create_context("notes"); notes.put(key="a", value=1)')
    session.branch("b")
    assert session.branch_name == "main"
    session.run('notes.put(key="main-only", value=1)')
    session.checkout("b")
    assert session.branch_name == "b"
    assert session.version == 2
    assert "main-only" not in session.view().get("notes")["data"]
    session.run('notes.put(key="b-only", value=2)')
    assert session.version == 3
    session.checkout("main")
    data = session.view().get("notes")["data"]
    assert "b-only" not in data and data["main-only"] == 1
    assert session.version == 3


def test_branch_at_an_old_version_and_branches_of_branches(session: scint.Session) -> None:
    session.run('create_context("n")')
    for i in range(5):
        session.run(f'n.put(key="k{i}", value={i})')
    session.branch("old", at=3)
    session.checkout("old")
    assert session.version == 3
    assert session.view().get("n")["data"] == {"k0": 0, "k1": 1}
    session.run('n.put(key="x", value="old")')
    session.branch("older", at=2)  # below this branch's fork: its base's history
    session.checkout("older")
    assert session.view().get("n")["data"] == {"k0": 0}
    session.run('n.put(key="y", value="older")')
    assert session.view(at=1).get("n")["data"] == {}
    names = {b["name"]: b for b in session.branches()}
    assert names["old"]["base"] == "main" and names["old"]["at"] == 3 and names["old"]["version"] == 4
    assert names["older"]["base"] == "old" and names["older"]["at"] == 2 and names["older"]["current"]
    log = session.log()
    assert [e.version for e in log] == [3, 2, 1]
    assert "older" in log[0].source


def test_store_remembers_current_branch(open_session: Callable[..., scint.Session]) -> None:
    s = open_session()
    s.run('create_context("n")')
    s.branch("x")
    s.checkout("x")
    s.run('n.put(key="on-x", value=1)')
    if s.url == "memory://":
        return  # an in-memory store is private to its session
    t = open_session()
    assert t.branch_name == "x" and "on-x" in t.view().get("n")["data"]
    u = open_session(branch="main")
    assert u.branch_name == "main" and "on-x" not in u.view().get("n")["data"]
    with pytest.raises(scint.HistoryError):
        open_session(branch="nope")


def test_branch_errors(session: scint.Session) -> None:
    session.run('create_context("n")')
    session.branch("b")
    with pytest.raises(scint.HistoryError, match="already exists"):
        session.branch("b")
    for bad in ("", "has space", "-dash", "x" * 65, 3):
        with pytest.raises(scint.HistoryError):
            session.branch(bad)  # type: ignore[arg-type]
    with pytest.raises(scint.HistoryError):
        session.branch("later", at=99)
    with pytest.raises(scint.HistoryError):
        session.checkout("missing")
    assert session.branch_name == "main"


def test_branching_and_checkout_in_the_language(session: scint.Session) -> None:
    session.run('create_context("n")')
    session.run('n.put(key="a", value=1)')
    r = session.run('history.branch(name="what-if"); history.checkout(name="what-if"); n.put(key="b", value=2)')
    assert r.values[0] == "what-if" and session.branch_name == "what-if"
    assert session.view().get("n")["data"] == {"a": 1, "b": 2}
    session.checkout("main")
    assert session.view().get("n")["data"] == {"a": 1}
    diff = session.run('history.diff(a="main", b="what-if")').value
    assert diff["changed"]["n"]["data"]["added"] == {"b": 2}
    branches = session.run("history.branches()").value
    assert {b["name"] for b in branches} == {"main", "what-if"}
    at = session.run('history.at(version=1, path="n")').value
    assert at == {"n": {"type": "Container", "state": {"data": {}}}}


def test_a_failing_program_creates_no_branch(session: scint.Session) -> None:
    session.run('create_context("n")')
    with pytest.raises(scint.UnknownAction):
        session.run('history.branch(name="ghost"); n.nope()')
    assert [b["name"] for b in session.branches()] == ["main"]
    session.branch("ghost")  # the name is still free


# -- diff -----------------------------------------------------------------------------------------------------------


def test_diff_between_branches_and_versions(session: scint.Session) -> None:
    session.run('create_context("n"); create_context("t", type="Thread"); n.put(key="a", value={"x": 1})')
    session.branch("b")
    session.checkout("b")
    session.run('n.put(key="a", value={"x": 2}); n.put(key="new", value=1); t.post(role="user", content="hi")')
    session.run('create_context("extra")')
    session.run('drop_context(path="t")')
    d = session.diff("main", "b")
    assert d.added == {"extra": "Container"} and d.removed == {"t": "Thread"}
    assert d.changed["n"]["data"]["added"] == {"new": 1}
    assert d.changed["n"]["data"]["changed"]["a"] == {"from": {"x": 1}, "to": {"x": 2}}
    text = d.render()
    assert "+ extra (Container)" in text and "- t (Thread)" in text and 'data["new"] added: 1' in text
    same = session.diff("b", "b")
    assert not same and "no differences" in same.render()
    by_version = session.diff(3, 6)
    assert by_version.changed["n"]["data"]["changed"]["a"]["to"] == {"x": 2}
    assert session.diff("main@0", "b@3").a == "main@0"
    posts = session.diff("b@3", "b@6")
    assert posts.changed["t"]["posts"]["appended"][0]["content"] == "hi"
    for bad in ("no such", "b@x", 2.5, 4, "b@5", "main@1", "b@2"):  # 1-2 and 4-5: inside programs
        with pytest.raises(scint.HistoryError):
            session.diff(bad, "main")


# -- rerun ----------------------------------------------------------------------------------------------------------


def test_rerun_executes_programs_again(session: scint.Session) -> None:
    session.run('create_context("n"); create_context("c", type="Composer")')
    session.run('c.define(name="w", body="n.put(key=\\"w\\", value=1)")')
    session.run('c.run(name="w")')
    session.run('m = n.get(key="w"); n.put(key="copy", value=$m)')
    report = session.rerun(since=3, branch="again")
    assert report.branch == "again" and report.programs == 2 and not report.failures
    assert session.branch_name == "main"
    session.checkout("again")
    assert session.view().get("n")["data"] == {"w": 1, "copy": 1}
    assert [e.actor for e in session.log(limit=2)] == ["human", "human"]
    with pytest.raises(scint.HistoryError, match="inside the program that made versions 1-2; use 0 or 2"):
        session.rerun(since=1)
    assert [b["name"] for b in session.branches()] == ["main", "again"]  # the refused rerun made no branch


def test_rerun_reports_programs_that_fail_with_the_current_code(
    session: scint.Session, register_type: Callable[[type[scint.Context]], type[scint.Context]]
) -> None:
    class Greeter(scint.Context):
        """Says hi."""

        said: int = 0

        @scint.action
        def hi(self) -> int:
            """Say hi."""
            self.said += 1
            return self.said

    register_type(Greeter)
    session.run('create_context("g", type="Greeter")')
    session.run("g.hi()")
    session.run("g.hi(); g.hi()")
    scint.contexts.registry.unregister("Greeter")

    class Greeter2(scint.Context):
        """Says hello now; `hi` is gone."""

        type_name = "Greeter"
        said: int = 0

        @scint.action
        def hello(self) -> int:
            """Say hello."""
            self.said += 1
            return self.said

    register_type(Greeter2)
    report = session.rerun(since=1, branch="new-code")
    assert report.programs == 2 and len(report.failures) == 2
    assert all("hi" in err for _, _, err in report.failures)
    assert {v for _, v, _ in report.failures} == {2, 4}
    assert "2 failed" in str(report)


# -- export / load --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", BACKENDS)
def test_export_then_load_gives_the_identical_state(session: scint.Session, target: str, tmp_path: Path) -> None:
    session.run(QUICK.read_text())
    session.run('research.post(role="user", content="time is recorded")')
    session.branch("side", at=12)
    session.checkout("side")
    session.run('notes.put(key="side", value=true); notes.put(key="side2", value=1.0)')
    path = tmp_path / "h.jsonl"
    n = session.export(path)
    assert n == session.version == 14
    lines = path.read_text().splitlines()
    assert json.loads(lines[0])["branch"] == "side" and json.loads(lines[-1])["events"] == 14
    loaded = scint.load(path, into=url_for(target, tmp_path / "into"))
    try:
        assert loaded.branch_name == "side" and loaded.version == 14
        assert loaded.view().render("json") == session.view().render("json")
        assert boundaries(loaded) == boundaries(session) == [0, 12, 14]  # the programs survive the round trip
        assert states(loaded) == states(session)
        with pytest.raises(scint.HistoryError, match="made versions 13-14; use 12 or 14"):
            loaded.view(at=13)
        assert [e.source for e in loaded.log()] == [e.source for e in session.log()]
    finally:
        loaded.close()


def test_damaged_exports_are_refused_and_nothing_is_imported(session: scint.Session, tmp_path: Path) -> None:
    session.run(QUICK.read_text())
    path = tmp_path / "h.jsonl"
    session.export(path)
    good = path.read_text().splitlines(keepends=True)
    cases = {
        "truncated": good[:-1],
        "cut mid-line": [*good[:-2], good[-2][:20]],
        "tampered": [good[0], good[1].replace('"notes"', '"motes"'), *good[2:]],
        "reordered": [good[0], good[2], good[1], *good[3:]],
        "empty": [],
        "not json": ["hello\n"],
        "trailing data": [*good, '{"more": 1}\n'],
    }
    for name, lines in cases.items():
        bad = tmp_path / f"{name}.jsonl"
        bad.write_text("".join(lines))
        target = f"sqlite:///{tmp_path}/{name.replace(' ', '_')}.db"
        with pytest.raises(scint.HistoryError):
            scint.load(bad, into=target)
        with scint.open(target) as s:
            assert s.version == 0 and s.log() == [], name
    with pytest.raises(scint.HistoryError):
        scint.load(tmp_path / "missing.jsonl")


def test_load_refuses_a_store_that_has_the_branch(session: scint.Session, tmp_path: Path) -> None:
    session.run('create_context("n")')
    path = tmp_path / "h.jsonl"
    session.export(path)
    target = f"sqlite:///{tmp_path}/t.db"
    scint.load(path, into=target).close()
    with pytest.raises(scint.HistoryError, match="already has"):
        scint.load(path, into=target)


# -- evolving types -------------------------------------------------------------------------------------------------


def test_events_of_an_older_type_version_still_load(
    register_type: Callable[[type[scint.Context]], type[scint.Context]], tmp_path: Path
) -> None:
    class Profile(scint.Context):
        """v1: one name field."""

        fullname: str = ""

        @scint.action
        def rename(self, name: str) -> str:
            """Set the name."""
            self.fullname = name
            return name

    register_type(Profile)
    url = f"sqlite:///{tmp_path}/p.db"
    with scint.open(url) as s:
        s.run('create_context("p", type="Profile", fullname="Ada")')
        s.run('p.rename(name="Ada Lovelace")')
    scint.contexts.registry.unregister("Profile")

    class Profile2(scint.Context):  # the same type, version 2: the name is split in two
        """v2: first and last names."""

        type_name = "Profile"
        schema_version = 2
        first: str = ""
        last: str = ""

        @classmethod
        def upcast_state(cls, state: dict[str, Any], version: int) -> dict[str, Any]:
            first, _, last = state.pop("fullname", "").partition(" ")
            return {**state, "first": first, "last": last}

        @classmethod
        def upcast_event(cls, action: str, args: dict[str, Any], version: int) -> tuple[str, dict[str, Any]]:
            if action == "rename":
                first, _, last = args["name"].partition(" ")
                return "set_names", {"first": first, "last": last}
            return action, args

        @scint.action
        def set_names(self, first: str, last: str = "") -> None:
            """Set both names."""
            self.first, self.last = first, last

    register_type(Profile2)
    with scint.open(url) as s:
        assert s.view().get("p") == {"first": "Ada", "last": "Lovelace"}
        assert s.replay().get("p") == {"first": "Ada", "last": "Lovelace"}
        s.run('p.set_names(first="Grace", last="Hopper")')
        for _ in range(120):  # past a snapshot, which records the type version
            s.run('p.set_names(first="Grace", last="Hopper")')
    with scint.open(url) as s:
        assert s.view().get("p") == {"first": "Grace", "last": "Hopper"}
        assert s.view(at=1).get("p") == {"first": "Ada", "last": ""}


# -- properties -----------------------------------------------------------------------------------------------------

keys = st.sampled_from(["a", "b", "c"])
values = st.one_of(st.integers(-5, 5), st.text("xyz", max_size=3), st.lists(st.integers(0, 3), max_size=3))
statement = st.one_of(
    st.builds(lambda k, v: f"n.put(key={json.dumps(k)}, value={json.dumps(v)})", keys, values),
    st.builds(lambda k: f"n.delete(key={json.dumps(k)})", keys),
    st.builds(lambda k: f'm.put(key={json.dumps(k)}, value="m")', keys),
    st.just('t.post(role="user", content="x")'),
)
programs = st.lists(st.lists(statement, min_size=1, max_size=4).map("; ".join), min_size=1, max_size=8)


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(programs=programs, data=st.data())
def test_property_replay_view_branch_export(
    backend: str, programs: list[str], data: st.DataObject, new_store_url: Callable[[str], str], tmp_path: Path
) -> None:
    with scint.open(new_store_url(backend)) as s:
        s.run('create_context("n"); create_context("m"); create_context("t", type="Thread")')
        for p in programs:
            try:
                s.run(p)
            except scint.ActionError:
                pass  # deleting a missing key: the program changes nothing
        every = states(s)
        for v in every:
            assert s.replay(to=v).render("json") == every[v]
        at = data.draw(st.sampled_from(sorted(every)), label="fork")
        s.branch("fork", at=at)
        s.checkout("fork")
        assert s.view().render("json") == every[at]
        s.run('create_context("forkonly")')
        s.checkout("main")
        assert s.view().render("json") == every[s.version]  # the fork's write never shows on main
        path = tmp_path / f"{backend}-{len(programs)}-{at}.jsonl"
        s.export(path)
        with scint.load(path, into="memory://") as loaded:
            assert states(loaded) == every
