"""ContextMapView: scoped, as of a version, immutable; get/tree/render as text, JSON and HTML."""

from __future__ import annotations

import json
import re

import pytest

import scint

PROGRAMS = [
    'create_context("notes")',
    'notes.put(key="a", value=1); create_context("research", type="Thread")',
    'research.spawn(name="lit", goal="g"); research.lit.add_task(title="x")',
    'notes.put(key="a", value=2); research.lit.t1.start(); create_context("sub", parent="notes")',
    'drop_context(path="notes.sub"); research.post(role="user", content="hi")',
    'drop_context(path="notes")',
]


@pytest.fixture
def history(session: scint.Session) -> dict[int, str]:
    """Runs PROGRAMS, returning the JSON rendering after every version (including mid-program ones)."""
    renders = {0: session.view().render("json")}
    for text in PROGRAMS:
        r = session.run(text)
        renders[r.version] = session.view().render("json")
    return renders


def test_view_at_a_version_is_the_state_then(session: scint.Session, history: dict[int, str]) -> None:
    for version, rendered in history.items():
        view = session.view(at=version)
        assert view.version == version and view.branch == "main"
        assert view.render("json") == rendered, version
    # a version inside a program is a state nobody saw: refused, naming the program's versions
    with pytest.raises(scint.HistoryError, match="inside the program that made versions 2-3; use 1 or 3"):
        session.view(at=2)


def test_view_at_version_zero_is_empty(session: scint.Session, history: dict[int, str]) -> None:
    view = session.view(at=0)
    assert len(view) == 0 and view.render("json") == "{}" and view.render("text") == "(no contexts)"


@pytest.mark.parametrize("at", [-1, 10_000, "3", 1.0, True])
def test_view_at_a_version_that_does_not_exist(session: scint.Session, history: dict[int, str], at: object) -> None:
    with pytest.raises(scint.HistoryError):
        session.view(at=at)  # type: ignore[arg-type]


def test_view_of_a_path(session: scint.Session, history: dict[int, str]) -> None:
    view = session.view(path="research")
    assert view.path == "research"
    assert view.paths() == ["research", "research.lit", "research.lit.t1"]
    assert view.tree() == {
        "research": {
            "type": "Thread",
            "children": {"lit": {"type": "Process", "children": {"t1": {"type": "Task", "children": {}}}}},
        }
    }
    assert session.view(path="research.lit.t1").paths() == ["research.lit.t1"]
    after_fourth = sorted(history)[4]
    assert session.view(path="notes", at=after_fourth).paths() == ["notes", "notes.sub"]


def test_view_of_a_missing_path(session: scint.Session, history: dict[int, str]) -> None:
    with pytest.raises(scint.UnknownContext, match="there is no context `notes`"):
        session.view(path="notes")
    with pytest.raises(scint.UnknownContext, match="`research`"):
        session.view(path="research", at=1)


def test_views_never_change(session: scint.Session) -> None:
    session.run('create_context("n"); n.put(key="a", value={"l": [1]})')
    view = session.view()
    text, data = view.render("json"), view.get("n")
    session.run('n.put(key="a", value=2); n.put(key="b", value=3); create_context("m"); drop_context("n")')
    assert view.render("json") == text and view.get("n") == data and view.paths() == ["n"]
    data["data"]["a"]["l"].append(99)  # what get returns is a copy
    assert view.get("n") == {"data": {"a": {"l": [1]}}}


def test_get_and_type_of(session: scint.Session, history: dict[int, str]) -> None:
    view = session.view()
    assert view.type_of("research.lit.t1") == "Task"
    assert view.get("research.lit.t1")["status"] == "doing"
    assert "research" in view and "notes" not in view and len(view) == 3
    with pytest.raises(
        scint.UnknownContext, match=r"the view has no context `research.lt` \(did you mean `research.lit`"
    ):
        view.get("research.lt")


def test_json_is_state_only_and_deterministic(session: scint.Session, history: dict[int, str]) -> None:
    data = json.loads(session.view().render("json"))
    assert set(data) == {"research", "research.lit", "research.lit.t1"}
    assert data["research.lit.t1"]["type"] == "Task"
    assert data["research.lit.t1"]["state"]["status"] == "doing"
    text = session.view().render("json")
    assert "main" not in text and '"version"' not in text


def test_equal_states_render_equal_json_whatever_the_history(open_session) -> None:  # type: ignore[no-untyped-def]
    a = open_session()
    a.run('create_context("n"); n.put(key="b", value=2); n.put(key="a", value={"y": 1, "x": 2})')
    b = scint.open("memory://")
    b.run('create_context("zz"); create_context("n"); n.put(key="a", value={"x": 2, "y": 1})')
    b.run('n.put(key="tmp", value=0); n.put(key="b", value=2); n.delete(key="tmp"); drop_context("zz")')
    assert a.version != b.version
    assert a.view().render("json") == b.view().render("json")
    b.run('n.put(key="b", value=3)')
    assert a.view().render("json") != b.view().render("json")


def test_text_rendering(session: scint.Session, history: dict[int, str]) -> None:
    lines = session.view().render("text").splitlines()
    assert re.fullmatch(r"research \(Thread\) \d+ chars", lines[0])  # path, type and size (its state as JSON)
    assert lines[1].startswith('  posts: [{"role": "user", "content": "hi", "time": "')
    assert re.fullmatch(r"  research.lit \(Process\) [\d,]+ chars", lines[2])
    assert lines[3:5] == ['    goal: "g"', "    model: null"]
    assert any(re.fullmatch(r"    research.lit.t1 \(Task\) \d+ chars", line) for line in lines)
    assert '      status: "doing"' in lines
    assert str(session.view()) == "\n".join(lines)
    assert session.view(path="research.lit").render("text").splitlines()[0].startswith("research.lit (Process) ")


def test_text_stays_within_max_chars_and_says_what_was_left_out(session: scint.Session) -> None:
    session.run("; ".join(f'create_context("c{i}")' for i in range(60)))
    session.run("; ".join(f'c{i}.put(key="k", value="{"x" * 300}")' for i in range(60)))
    full = session.view().render("text")
    assert len(full) > 10_000 and full == session.view().render("text", max_chars=len(full))
    for budget in (80, 100, 1000, 5000):
        text = session.view().render("text", max_chars=budget)
        assert len(text) <= budget
        assert "contexts not shown" in text or "chars)" in text
    cut = session.view().render("text", max_chars=1000)
    assert cut.endswith("contexts not shown")  # 60 context lines do not fit in 1,000 characters
    every = session.view().render("text", max_chars=5000)
    assert all(f"c{i} (Container)" in every for i in range(60))  # they fit in 5,000, with a summary of each
    long_values = session.view(path="c0").render("text", max_chars=200)
    assert "c0 (Container)" in long_values and '"xxx' in long_values and "(300 chars)" in long_values
    with pytest.raises(scint.BadArguments, match="max_chars must be at least 80, not 10"):
        session.view().render("text", max_chars=10)


def test_html_rendering_escapes(session: scint.Session) -> None:
    session.run('create_context("n"); n.put(key="<script>", value="<b>&amp;</b>")')
    html = session.view().render("html")
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp;amp;" in html
    assert html.startswith("<div class='scint-view'>") and "version 2" in html
    assert session.view()._repr_html_() == html


def test_unknown_render_format(session: scint.Session) -> None:
    with pytest.raises(scint.BadArguments, match=r'render\(\) takes "text", "json" or "html", not \'xml\''):
        session.view().render("xml")


def test_an_empty_map(session: scint.Session) -> None:
    view = session.view()
    assert (len(view), view.version, view.tree(), view.render("json")) == (0, 0, {}, "{}")
