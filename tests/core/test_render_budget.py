"""Views within a budget (SPEC 14): never over it, monotone in it, structure first, detail while it fits.

"Shows" is measured on the plan the text is written from (`Outline.write(budget, shown)`): for each context path
and each path inside its state, a level: 0 present (a context's line, a key, an item), 1 summarised, 1 + h a
string's head of h characters, FULL shown whole. A larger budget must show every path a smaller one shows, at a
level at least as high.
"""

from __future__ import annotations

import json
import string
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scint
from scint.core.fit import FULL, Shown
from scint.core.view import ContextMapView

NAMES = st.text(string.ascii_lowercase, min_size=1, max_size=8)
TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from('ab <>&"\\\n\t\x7fé€😀'), max_size=300),
    st.integers(0, 3000).map(lambda n: "x" * n),
)
ATOMS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), TEXT)
VALUES = st.recursive(
    ATOMS,
    lambda inner: st.one_of(st.lists(inner, max_size=12), st.dictionaries(st.text(max_size=10), inner, max_size=12)),
    max_leaves=40,
)
BIG = st.one_of(
    st.integers(0, 400).map(lambda n: {f"key{i}": f"value {i}" for i in range(n)}),
    st.integers(0, 200).map(lambda n: [{"role": "assistant", "content": f"step {i} " * (i % 7)} for i in range(n)]),
)


@st.composite
def states(draw: st.DrawFn) -> dict[str, tuple[str, dict[str, Any]]]:
    """A map of contexts: a tree of paths (parents first), each a Container, Thread, Process or Task."""
    paths: list[str] = []
    for _ in range(draw(st.integers(0, 12))):
        parent = draw(st.sampled_from([None, *paths])) if paths and draw(st.booleans()) else None
        if parent is not None and parent.count(".") >= 3:
            parent = None
        name = draw(NAMES)
        path = f"{parent}.{name}" if parent else name
        if path not in paths:
            paths.append(path)
    # parents before children, as a view holds them
    paths.sort(key=lambda p: p.split("."))
    contexts: dict[str, tuple[str, dict[str, Any]]] = {}
    for path in paths:
        kind = draw(st.sampled_from(["Container", "Thread", "Process", "Task"]))
        if kind == "Container":
            state = {"data": draw(st.one_of(st.dictionaries(st.text(max_size=10), VALUES, max_size=8), BIG))}
        elif kind == "Thread":
            posts = draw(st.lists(st.fixed_dictionaries({"role": NAMES, "content": TEXT}), max_size=30))
            state = {"posts": posts}
        elif kind == "Process":
            state = {
                "goal": draw(TEXT),
                "status": "idle",
                "transcript": draw(st.one_of(st.lists(VALUES, max_size=20), BIG)),
                "used": {"steps": draw(st.integers(0, 99))},
            }
        else:
            state = {"title": draw(TEXT), "status": "todo", "result": draw(VALUES)}
        contexts[path] = (kind, state)
    return contexts


def view_of(contexts: dict[str, tuple[str, dict[str, Any]]]) -> ContextMapView:
    return ContextMapView(contexts, path=None, version=7, branch="main")


def shown(view: ContextMapView, budget: int, as_html: bool = False) -> tuple[str, Shown]:
    seen: Shown = {}
    text = view._outline(as_html).write(budget, seen)
    return text, seen


def level(seen: Shown, where: tuple[str, tuple[Any, ...]]) -> int | None:
    """The level `where` is shown at (a value inside one shown whole is itself whole), or None."""
    ctx, inside = where
    for cut in range(len(inside)):
        if seen.get((ctx, inside[:cut])) == FULL and cut > 0:
            return FULL
    return seen.get(where)


def assert_shows_no_less(small: Shown, large: Shown, budgets: tuple[int, int]) -> None:
    for where, was in small.items():
        now = level(large, where)
        assert now is not None and now >= was, (budgets, where, was, now)


BUDGETS = st.lists(st.integers(80, 30_000), min_size=2, max_size=6).map(sorted)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(contexts=states(), budgets=BUDGETS)
def test_never_over_the_budget_and_never_less_with_more(
    contexts: dict[str, tuple[str, dict[str, Any]]], budgets: list[int]
) -> None:
    view = view_of(contexts)
    before: tuple[int, Shown] | None = None
    for n in budgets:
        text = view.render("text", max_chars=n)
        assert len(text) <= n
        again, seen = shown(view, n)
        assert again == text
        if before is not None:
            assert_shows_no_less(before[1], seen, (before[0], n))
        before = n, seen
    # everything fits: the budgeted text is the complete one
    full = view.render("text")
    assert view.render("text", max_chars=max(len(full), 80)) == full


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(contexts=states(), budgets=BUDGETS)
def test_html_is_within_the_budget_escaped_and_balanced(
    contexts: dict[str, tuple[str, dict[str, Any]]], budgets: list[int]
) -> None:
    view = view_of(contexts)
    frame = len(view.render("html")) - len(view._outline(True).write(None))  # the <div>, branch, version, <pre>
    before: tuple[int, Shown] | None = None
    for n in budgets:
        n += frame
        page = view.render("html", max_chars=n)
        assert len(page) <= n
        assert_balanced(page)
        inner, seen = shown(view, n - frame, as_html=True)
        assert inner in page
        if before is not None:
            assert_shows_no_less(before[1], seen, (before[0], n))
        before = n, seen


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        assert tag in {"div", "p", "b", "i", "pre"}, tag
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, tag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_balanced(page: str) -> str:
    parser = _Tags()
    parser.feed(page)
    parser.close()
    assert parser.stack == []
    return "".join(parser.text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(contexts=states())
def test_every_context_appears_at_eighty_characters_each(contexts: dict[str, tuple[str, dict[str, Any]]]) -> None:
    view = view_of(contexts)
    text, seen = shown(view, max(80, 80 * len(contexts)))
    assert {where[0] for where in seen if where[1] == ()} == set(contexts)
    for path, (kind, _) in contexts.items():
        assert f"{path} ({kind}) " in text


def test_a_big_container_within_a_large_budget_shows_every_key() -> None:
    data = {f"key{i}": {"n": i, "note": "x" * (60 + i % 50)} for i in range(300)}  # 30,000 chars as JSON
    view = view_of({"big": ("Container", {"data": data}), "other": ("Container", {"data": {"a": 1}})})
    small = view.render("text", max_chars=500)
    assert small.count('"key') < 30 and '"key0"' in small and "(300 keys)" in small
    text, seen = shown(view, 20_000)
    assert len(text) <= 20_000
    assert len(view.render("json")) > 30_000 and seen[("big", ("data",))] == 1  # summarised
    assert all(level(seen, ("big", ("data", key))) is not None for key in data)
    assert all(level(seen, ("big", ("data", key, "n"))) == FULL for key in data)
    assert '"a": 1' in text  # the small context is whole


def test_summaries_say_what_they_leave_out() -> None:
    long = "abc " * 2_000
    posts = [{"role": "user", "content": f"message {i}"} for i in range(100)]
    view = view_of(
        {
            "s": ("Container", {"data": {"long": long}}),
            "t": ("Thread", {"posts": posts}),
        }
    )
    text = view.render("text", max_chars=600)
    assert '"abc abc' in text and "(8,000 chars)" in text  # a string: its head and its length
    assert "(100 items)" in text and '"message 99"' in text and '"message 0"' not in text  # the newest items
    assert text.index('"message 98"') < text.index('"message 99"')  # in their order
    _, seen = shown(view, 600)
    assert seen[("t", ("posts", 99))] == FULL and seen[("t", ("posts", 99))] >= seen.get(("t", ("posts", 80)), 0)


def test_when_the_structure_does_not_fit_it_says_how_many_were_left_out() -> None:
    contexts = {f"c{i:04}": ("Container", {"data": {}}) for i in range(2_000)}
    contexts.update({f"c0000.child{i}": ("Container", {"data": {}}) for i in range(5)})
    view = view_of(dict(sorted(contexts.items(), key=lambda kv: kv[0].split("."))))
    text = view.render("text", max_chars=4_000)
    assert len(text) <= 4_000
    assert text.splitlines()[-1].startswith("… ") and text.endswith(f"of {len(contexts):,} contexts not shown")
    assert "child" not in text  # the shallowest contexts come first
    assert view.render("text", max_chars=80).count("\n") <= 2


def test_a_budget_below_the_least_is_refused() -> None:
    view = view_of({"n": ("Container", {"data": {}})})
    with pytest.raises(scint.BadArguments, match="max_chars must be at least 80"):
        view.render("text", max_chars=79)
    with pytest.raises(scint.BadArguments, match=r"at least \d+ for this view's HTML"):
        view.render("html", max_chars=100)
    with pytest.raises(scint.BadArguments, match="max_chars"):
        view.render("text", max_chars="500")  # type: ignore[arg-type]
    assert view.render("text", max_chars=80) == view.render("text")


def test_json_is_always_complete() -> None:
    data = {f"k{i}": "v" * 500 for i in range(100)}
    view = view_of({"n": ("Container", {"data": data})})
    assert json.loads(view.render("json"))["n"]["state"]["data"] == data


def test_values_are_one_line_and_cannot_drive_a_terminal() -> None:
    view = view_of({"n": ("Container", {"data": {"k": "line\nbreak \x1b[2J \x9b bidi\u202e"}})})
    for n in (None, 80, 120):
        text = view.render("text", max_chars=n)
        assert "\x1b" not in text and "\x9b" not in text and "\u202e" not in text
        assert text.count("\n") <= 2
    assert "\\n" in view.render("text") and "\\u001b" in view.render("text")
