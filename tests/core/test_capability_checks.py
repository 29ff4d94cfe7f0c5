"""Capabilities checked on every call (SPEC section 10): deny by default, for every actor and every surface."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scint
from scint.llm import MockProvider, tools
from scint.llm.grammar import targets


@pytest.fixture
def s() -> scint.Session:
    with scint.open("memory://") as session:
        session.run(
            'create_context("notes"); notes.put(key="a", value=1); create_context("research", type="Thread")\n'
            'create_context("lit", type="Process", parent="research", goal="g")\n'
            'research.lit.spawn(name="kid", goal="k")'
        )
        yield session


def test_can_restricts_any_actor_and_names_the_missing_capability(session: scint.Session) -> None:
    session.run('create_context("notes"); create_context("other")')
    assert session.run('notes.put(key="a", value=1)', can=["notes.*"]).version > 0
    with pytest.raises(scint.PermissionDenied, match=r"lacks the capability `other\.put`"):
        session.run('notes.put(key="b", value=2); other.put(key="a", value=1)', can=["notes.*"])
    assert session.view("notes").get("notes")["data"] == {"a": 1}  # the program was atomic: nothing of it stayed
    with pytest.raises(scint.PermissionDenied, match=r"`other\.keys`"):  # queries need a capability too
        session.run("other.keys()", can=["notes.*"])
    with pytest.raises(scint.PermissionDenied, match=r"`x\.create_context`"):
        session.run('create_context("x")', can=["notes.*"])
    assert session.run('create_context("x")', can=["create_context"]).value == "x"  # the bare name: anywhere
    assert session.run('create_context("y", parent="x")', can=["x.**"]).value == "x.y"  # or under a path
    with pytest.raises(scint.PermissionDenied, match=r"`z\.create_context`"):
        session.run('create_context("z")', can=["x.**"])
    with pytest.raises(scint.PermissionDenied, match=r"`history\.log`"):
        session.run("history.log()", can=["notes.*"])
    [last] = session.run("history.log(limit=1)", can=["history.log"]).value
    assert last["source"] == 'create_context("y", parent="x")'


def test_read_only_allows_queries_only(s: scint.Session) -> None:
    version = s.version
    assert s.run('notes.get(key="a")', read_only=True).value == 1
    for text in ('notes.put(key="b", value=2)', 'create_context("x")', 'drop_context(path="notes")',
                 'history.branch(name="b")', "research.lit.run()"):
        with pytest.raises(scint.PermissionDenied):
            s.run(text, read_only=True)
    assert s.version == version and [b["name"] for b in s.branches()] == ["main"]


def test_bad_capabilities_are_refused_before_anything_runs(s: scint.Session) -> None:
    version = s.version
    for bad in (["notes.*x"], "notes.*", [1], ["a..b"], ["x.self"]):
        with pytest.raises(scint.BadArguments):
            s.run('notes.put(key="z", value=0)', can=bad)
    with pytest.raises(scint.BadArguments):
        s.run('research.lit.configure(settings={"can": ["no*good"]})')
    assert s.version == version


def test_a_process_is_held_to_its_own_and_its_parents_capabilities(s: scint.Session) -> None:
    kid = "process:research.lit.kid"
    assert s.run('self.add_task(title="t")', actor=kid).value == "research.lit.kid.t1"
    with pytest.raises(scint.PermissionDenied, match=r"`notes\.get`"):
        s.run('notes.get(key="a")', actor=kid)
    s.run('research.lit.kid.configure(settings={"can": ["self.**", "notes.*"]})')  # a person grants the child more
    with pytest.raises(scint.PermissionDenied, match=r"`notes\.get`"):  # ... but its parent may not read notes
        s.run('notes.get(key="a")', actor=kid)
    s.run('research.lit.configure(settings={"can": ["self.**", "notes.get"]})')
    assert s.run('notes.get(key="a")', actor=kid).value == 1
    with pytest.raises(scint.PermissionDenied, match=r"`notes\.put`"):  # the child has notes.*, the parent only get
        s.run('notes.put(key="a", value=2)', actor=kid)


def test_no_process_widens_its_own_capabilities(s: scint.Session) -> None:
    lit = "process:research.lit"
    attempts = [
        'self.configure(settings={"can": ["**"]})',
        'self.configure(settings={"budget": {"steps": 1000000}})',
        'research.lit.configure(settings={"approve": []})',
        'self.kid.configure(settings={"can": ["**"]})',  # a child given more than the parent has
        'create_context("boss", type="Process", parent="research.lit", goal="g", can=["**"])',
    ]
    for text in attempts:
        with pytest.raises(scint.PermissionDenied):
            s.run(text, actor=lit)
    assert s.view().get("research.lit")["can"] is None or s.view().get("research.lit")["can"] != ["**"]
    # within its own: a child may be given less
    assert s.run('self.kid.configure(settings={"can": ["self.*"]})', actor=lit).value == ["can"]
    with pytest.raises(scint.PermissionDenied):  # and the child cannot take it back
        s.run('self.configure(settings={"can": ["self.**"]})', actor="process:research.lit.kid")


def test_a_workflow_defined_by_a_process_cannot_carry_a_call_past_it(s: scint.Session) -> None:
    s.run('create_context("c", type="Composer", parent="research.lit")')
    s.run('self.c.define(name="wipe", body="drop_context(path=\\"notes\\")")', actor="process:research.lit")
    with pytest.raises(scint.PermissionDenied):
        s.run('research.lit.c.run(name="wipe")')  # a person runs it: the definer's capabilities still hold
    assert "notes" in s.view()


def test_tools_and_cheat_sheet_list_only_what_the_process_may_call(s: scint.Session) -> None:
    contexts, functions, history, allows = s.callables("process:research.lit")
    names = {t for t, _ in targets(contexts, functions, history, allows=allows)}
    assert "notes.put" not in names and "research.lit.kid.add_task" in names and "help" in names
    [fn] = tools(s, kind="function", api="chat", actor="process:research.lit")
    sheet = fn["function"]["description"]
    assert "history.branch" not in sheet and "history.log" not in sheet and "Process:" in sheet
    assert "create_context(" in sheet  # under itself: self.** covers research.lit.x.create_context
    [everyone] = tools(s, kind="function", api="chat")
    assert "history.branch" in everyone["function"]["description"]
    s.run('research.lit.configure(settings={"can": ["self.add_task", "self.tasks", "help"]})')
    [fn] = tools(s, kind="function", api="chat", actor="process:research.lit")
    sheet = fn["function"]["description"]
    assert "Container:" not in sheet and "create_context(" not in sheet and "add_task(" in sheet
    assert "spawn(" not in sheet
    [custom] = tools(s, kind="custom", api="responses", actor="process:research.lit", self_path="research.lit")
    grammar = custom["format"]["definition"]
    assert '"notes"' not in grammar and "research" in grammar


def test_a_process_run_asks_the_model_with_only_its_tools(s: scint.Session) -> None:
    s.run('research.lit.configure(settings={"can": ["self.add_task", "help"]})')
    s.llm = mock = MockProvider(["done"])
    s.run("research.lit.run()")
    [request] = mock.history
    assert "Container:" not in str(request) and "add_task(" in str(request)


_names = st.sampled_from(["notes", "research", "lit", "kid", "x"])


@settings(max_examples=60, deadline=None)
@given(path=st.lists(_names, min_size=1, max_size=4), action=st.sampled_from(["put", "get", "run", "add_task"]))
def test_the_interpreter_allows_exactly_what_the_globs_allow(path: list[str], action: str) -> None:
    from scint.core.capabilities import Capabilities

    caps = Capabilities(["research.*", "notes.**"])
    dotted = ".".join(path)
    expected = (len(path) == 1 and path[0] == "research") or path[0] == "notes"
    assert caps.allows(dotted, action) == expected
