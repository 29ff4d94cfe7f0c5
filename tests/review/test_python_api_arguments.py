"""The Python API's own arguments, given the wrong things: each is a ScintError that names the argument, never a
TypeError or AttributeError from inside, and none changes state."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import scint
from scint.errors import BadArguments, HistoryError, LLMError, ScintError, StoreError
from scint.llm import MockProvider

PUT = 'notes.put(key="a", value=1)'


@pytest.fixture(params=["memory", "sqlite"])
def s(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[scint.Session]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path}/s.db"
    with scint.open(url) as session:
        session.run('create_context("notes")')
        yield session


CALLS: dict[str, tuple[type[ScintError], Callable[[scint.Session], Any]]] = {
    "an actor with a lone surrogate": (ScintError, lambda s: s.run(PUT, actor="x\ud800")),
    "a request with a lone surrogate": (BadArguments, lambda s: s.run(PUT, request={"text": "\udfff"})),
    "a request that is not JSON": (BadArguments, lambda s: s.run(PUT, request={"x": object()})),
    "a request holding NaN": (BadArguments, lambda s: s.run(PUT, request={"x": float("nan")})),
    "a scope that is not a string": (BadArguments, lambda s: s.run(PUT, scope=5)),  # type: ignore[arg-type]
    "a self_path that is not a string": (BadArguments, lambda s: s.run("self.keys()", self_path=5)),  # type: ignore[arg-type]
    "an empty self_path": (BadArguments, lambda s: s.run("self.keys()", self_path="")),
    "a self_path that is not a path": (BadArguments, lambda s: s.run("self.keys()", self_path="..x")),
    "a view of an int path": (BadArguments, lambda s: s.view(path=5)),  # type: ignore[arg-type]
    "a negative log limit": (HistoryError, lambda s: s.log(limit=-1)),
    "export to an int": (HistoryError, lambda s: s.export(5)),  # type: ignore[arg-type]
    "load from None": (HistoryError, lambda s: scint.load(None)),  # type: ignore[arg-type]
    "ask with a lone surrogate": (LLMError, lambda s: s.ask("put \ud800 in notes", provider=MockProvider([PUT]))),
}


@pytest.mark.parametrize("label", list(CALLS))
def test_a_wrong_argument_is_a_scint_error_and_changes_nothing(s: scint.Session, label: str) -> None:
    error, call = CALLS[label]
    with pytest.raises(error):
        call(s)
    assert s.version == 1
    assert s.view().get("notes") == {"data": {}}


def test_a_valid_request_and_scope_still_run(s: scint.Session) -> None:
    s.run('create_context("sub", parent="notes")')
    r = s.run(
        'self.put(key="k", value="v")',
        actor="process:notes.sub",
        scope="notes.sub",
        self_path="notes.sub",
        request={"step": 1, "text": "é 😀"},
    )
    assert r.version == 3
    assert s.log(limit=1)[0].request == {"step": 1, "text": "é 😀"}


@pytest.mark.parametrize("kind", ["function", "custom"])
def test_tools_of_a_closed_session_is_a_store_error(tmp_path: Path, kind: str) -> None:
    s = scint.open(f"sqlite:///{tmp_path}/s.db")
    s.run('create_context("notes")')
    s.close()
    with pytest.raises(StoreError, match="closed"):
        scint.llm.tools(s, kind=kind)
