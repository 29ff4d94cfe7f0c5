"""The view a `python:NAME` backend's step hands its function (scint/llm/backends.py HeadView): the branch as of
that step, made only when the function reads it; kept and read later, it still shows that step's version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import scint
from scint.core.view import ContextMapView
from scint.llm.backends import HeadView
from tests.backends.conftest import Calls

Register = Callable[[str, Callable[..., Any]], None]


def test_a_view_the_function_does_not_read_is_never_made(s: scint.Session, backends: tuple[Calls, Register]) -> None:
    calls, register = backends
    register("quiet", lambda message, view: None)
    s.run('create_context("q", type="Process", goal="nothing to read", backend="python:quiet")')
    assert s.run("q.run()").value is None
    [view] = calls.views
    assert type(view) is HeadView and view._made is None  # the branch was not copied for it


def test_a_kept_view_shows_the_step_it_was_handed_at(s: scint.Session, backends: tuple[Calls, Register]) -> None:
    calls, register = backends
    seen: list[int] = []

    def reader(message: dict[str, Any], view: Any) -> Any:
        seen.append(view.get("pantry")["data"]["eggs"])  # read during the call: the head as of the step
        return None

    register("reader", reader)
    s.run('create_context("pantry"); pantry.put(key="eggs", value=12)')
    s.run('create_context("r", type="Process", goal="count", backend="python:reader")')
    before = s.version
    assert s.run("r.run()").value is None
    s.run('pantry.put(key="eggs", value=7)')  # the head moves on
    [view] = calls.views
    at_step = view.version  # after the run recorded that it started
    assert seen == [12] and before < at_step < s.version
    assert view.get("pantry")["data"]["eggs"] == 12 and "pantry" in view and len(view) == len(s.view(at=at_step))
    assert isinstance(view, ContextMapView) and str(view) == str(s.view(at=at_step))
    assert view.to_json() == s.view(at=at_step).to_json() != s.view().to_json()


def test_a_view_kept_unread_and_read_after_the_head_moved(s: scint.Session, backends: tuple[Calls, Register]) -> None:
    calls, register = backends
    register("keeper", lambda message, view: None)
    s.run('create_context("pantry"); pantry.put(key="eggs", value=12)')
    s.run('create_context("k", type="Process", goal="keep", backend="python:keeper")')
    s.run("k.run()")
    done = s.version
    s.run('pantry.put(key="eggs", value=3)')
    [view] = calls.views
    assert view._made is None
    assert view.version < done and view.get("pantry")["data"]["eggs"] == 12  # made now, as of its step
    assert view.to_json() == s.view(at=view.version).to_json()
