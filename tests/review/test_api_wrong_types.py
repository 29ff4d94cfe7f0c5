"""Every public function and method, given wrong-typed arguments: a ScintError (BadArguments where the argument
is simply of the wrong type), never AttributeError/TypeError from inside, and nothing changes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import scint
from scint.errors import BadArguments, ScintError
from scint.llm import MockProvider

WRONG = [5, 2.5, "5", [], {}, object(), b"x", True, -1]
Call = Callable[[scint.Session, Any, Path], Any]


def _mock() -> MockProvider:
    return MockProvider(['notes.put(key="z", value=1)'])


CALLS: dict[str, Call] = {
    "scint.open(url)": lambda s, w, d: scint.open(w),
    "scint.open(branch=)": lambda s, w, d: scint.open("memory://", branch=w),
    "scint.open(limits=)": lambda s, w, d: scint.open("memory://", limits=w),
    "scint.parse(text)": lambda s, w, d: scint.parse(w),
    "scint.parse(limits=)": lambda s, w, d: scint.parse("a.b()", limits=w),
    "scint.format(program)": lambda s, w, d: scint.format(w),
    "scint.register(cls)": lambda s, w, d: scint.register(w),
    "scint.load(path)": lambda s, w, d: scint.load(d / w if isinstance(w, str) else w),
    "scint.load(into=)": lambda s, w, d: scint.load(d / "none.jsonl", into=w),
    "scint.load(progress=)": lambda s, w, d: scint.load(d / "none.jsonl", progress=w),
    "scint.Limits(...)": lambda s, w, d: scint.Limits(max_value_items=w),
    "scint.llm.tools(session)": lambda s, w, d: scint.llm.tools(w),
    "scint.llm.tools(kind=)": lambda s, w, d: scint.llm.tools(s, kind=w),
    "scint.llm.tools(api=)": lambda s, w, d: scint.llm.tools(s, api=w),
    "run(text)": lambda s, w, d: s.run(w),
    "run(actor=)": lambda s, w, d: s.run('notes.put(key="z", value=1)', actor=w),
    "run(scope=)": lambda s, w, d: s.run('notes.put(key="z", value=1)', scope=w),
    "run(self_path=)": lambda s, w, d: s.run("self.keys()", self_path=w),
    "run(request=)": lambda s, w, d: s.run('notes.put(key="z", value=1)', request=object() if w == 5 else {1: w}),
    "view(path=)": lambda s, w, d: s.view(path=w),
    "view(at=)": lambda s, w, d: s.view(at=w),
    "view().get(path)": lambda s, w, d: s.view().get(w),
    "view().render(format)": lambda s, w, d: s.view().render(w),
    "view().render(max_chars=)": lambda s, w, d: s.view().render("text", max_chars=w if w != -1 else "5"),
    "log(limit=)": lambda s, w, d: s.log(limit=w),
    "branch(name)": lambda s, w, d: s.branch(w),
    "branch(at=)": lambda s, w, d: s.branch("b2", at=w),
    "checkout(name)": lambda s, w, d: s.checkout(w),
    "diff(a, b)": lambda s, w, d: s.diff(w, "main"),
    "replay(to=)": lambda s, w, d: s.replay(to=w),
    "replay(progress=)": lambda s, w, d: s.replay(progress=w),
    "rerun(since)": lambda s, w, d: s.rerun(w),
    "rerun(branch=)": lambda s, w, d: s.rerun(1, branch=w),
    "rerun(models=)": lambda s, w, d: s.rerun(0, models=w),
    "rerun(models={path: name})": lambda s, w, d: s.rerun(0, models={w: w} if isinstance(w, str | int) else {"p": w}),
    "rerun(endpoints=)": lambda s, w, d: s.rerun(0, models={"x": "m"}, endpoints=w),
    "rerun(endpoints={name: entry})": lambda s, w, d: s.rerun(0, models={"x": "m"}, endpoints={"m": w}),
    "export(path)": lambda s, w, d: s.export(d / w if isinstance(w, str) else w),  # a str is a fine file name
    "export(progress=)": lambda s, w, d: s.export(d / "out.jsonl", progress=w),
    "ask(text)": lambda s, w, d: s.ask(w, provider=_mock()),
    "ask(provider=)": lambda s, w, d: s.ask("put z", provider=w),
    "ask(max_retries=)": lambda s, w, d: s.ask("put z", provider=_mock(), max_retries=w),
    "session.llm = provider": lambda s, w, d: setattr(s, "llm", w),
    "handle(tool_call)": lambda s, w, d: s.handle(w),
}


@pytest.fixture(params=["memory", "sqlite", "lmdb"])
def s(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[scint.Session]:
    url = {"memory": "memory://", "sqlite": f"sqlite:///{tmp_path}/s.db", "lmdb": f"lmdb:///{tmp_path}/l"}
    with scint.open(url[request.param]) as session:
        session.run('create_context("notes")')
        yield session


@pytest.mark.parametrize("label", list(CALLS))
def test_a_wrong_typed_argument_is_a_scint_error(s: scint.Session, tmp_path: Path, label: str) -> None:
    for wrong in WRONG:
        before = s.version, s.view().render("json")
        try:
            CALLS[label](s, wrong, tmp_path)  # a value that happens to fit ("5" as an actor) may succeed
        except ScintError:
            assert (s.version, s.view().render("json")) == before  # refused: nothing changed
        except BaseException as exc:  # the defect: a Python error from inside the library
            raise AssertionError(f"{label} with {wrong!r}: {type(exc).__name__}: {exc}") from exc


@pytest.mark.parametrize(
    "call",
    [
        lambda s: scint.open("memory://", limits=5),
        lambda s: scint.parse("a.b()", limits="x"),
        lambda s: s.view().render("text", max_chars="5"),
        lambda s: s.ask("x", provider=5),
        lambda s: scint.register(5),
        lambda s: s.replay(progress=5),
        lambda s: scint.llm.tools(5),
    ],
)
def test_the_reported_cases_name_the_argument(s: scint.Session, call: Callable[[scint.Session], Any]) -> None:
    with pytest.raises(BadArguments, match=r"limits|max_chars|provider|register|progress|tools"):
        call(s)
