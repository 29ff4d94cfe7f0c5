"""Built-ins (create_context, drop_context, contexts, help) and path resolution."""

from __future__ import annotations

import pytest

import scint


def test_create_context_defaults_to_a_container(session: scint.Session) -> None:
    r = session.run('create_context("notes")')
    assert r.value == "notes"
    assert session.run("contexts()").value == [{"path": "notes", "type": "Container"}]


def test_create_context_with_parent_and_settings(session: scint.Session) -> None:
    session.run('create_context("research", type="Thread")')
    r = session.run('create_context("lit", type="Process", parent="research", goal="g", model="m")')
    assert r.value == "research.lit"
    assert session.view().get("research.lit")["goal"] == "g"
    assert session.run('create_context("box", parent="research.lit")').value == "research.lit.box"


def test_settings_are_type_checked_and_unknown_ones_suggested(session: scint.Session) -> None:
    with pytest.raises(scint.BadArguments, match=r"`data` must be dict\[str, any\], not int 1"):
        session.run('create_context("c", type="Container", data=1)')
    with pytest.raises(scint.BadArguments, match=r"Container has no setting `dta` \(did you mean `data`\?\)"):
        session.run('create_context("c", type="Container", dta={})')
    with pytest.raises(scint.BadArguments, match=r"Task has no setting `owner`; its settings are: title, detail"):
        session.run('create_context("t", type="Task", owner="x")')
    assert session.version == 0


def test_unknown_type_is_suggested(session: scint.Session) -> None:
    with pytest.raises(scint.BadArguments, match=r"no context type `Thred` \(did you mean `Thread`\?\)"):
        session.run('create_context("x", type="Thred")')


def test_duplicate_names_conflict(session: scint.Session) -> None:
    session.run('create_context("notes")')
    with pytest.raises(scint.ConflictError, match=r"a context `notes` already exists \(Container\)"):
        session.run('create_context("notes", type="Thread")')
    with pytest.raises(scint.ConflictError):
        session.run('create_context("x"); create_context("x")')
    assert session.run("contexts()").value == [{"path": "notes", "type": "Container"}]


@pytest.mark.parametrize("name", ["create_context", "drop_context", "contexts", "help", "history", "self"])
def test_reserved_root_names(session: scint.Session, name: str) -> None:
    with pytest.raises(scint.BadArguments, match=rf"`{name}` is a built-in name"):
        session.run(f'create_context("{name}")')


@pytest.mark.parametrize("name", ["1x", "", "a.b", "a b", "_x", "x" * 65, "ü"])
def test_bad_context_names(session: scint.Session, name: str) -> None:
    with pytest.raises(scint.BadArguments, match="a context name is a letter followed by letters, digits or _"):
        session.run(f'create_context("{name}")')


def test_a_child_may_not_shadow_an_action_of_its_parent(session: scint.Session) -> None:
    session.run('create_context("notes")')
    with pytest.raises(scint.BadArguments, match=r"`put` is an action of notes \(Container\)"):
        session.run('create_context("put", parent="notes")')


def test_unknown_parent(session: scint.Session) -> None:
    session.run('create_context("notes")')
    with pytest.raises(scint.UnknownContext, match=r"there is no context `nots` \(did you mean `notes`\?\)"):
        session.run('create_context("x", parent="nots")')


def test_nesting_is_bounded(session: scint.Session) -> None:
    path = None
    for i in range(16):
        path = session.run(f'create_context("c{i}"' + (f', parent="{path}")' if path else ")")).value
    with pytest.raises(scint.BadArguments, match="contexts nest at most 16 deep"):
        session.run(f'create_context("deeper", parent="{path}")')


def test_drop_context_removes_the_subtree(session: scint.Session) -> None:
    session.run(
        'create_context("a"); create_context("b", parent="a"); create_context("c", parent="a.b"); '
        'create_context("d", parent="a"); create_context("e")'
    )
    assert session.run('drop_context(path="a.b")').value == ["a.b", "a.b.c"]
    assert [c["path"] for c in session.run("contexts()").value] == ["a", "a.d", "e"]
    assert session.run('drop_context("a")').value == ["a", "a.d"]
    assert session.view().paths() == ["e"]
    with pytest.raises(scint.UnknownContext, match=r"there is no context `a`"):
        session.run('drop_context(path="a")')
    # the names are free again
    session.run('create_context("a", type="Thread"); create_context("b", parent="a")')
    assert session.run("contexts()").value == [
        {"path": "e", "type": "Container"},
        {"path": "a", "type": "Thread"},
        {"path": "a.b", "type": "Container"},
    ]


def test_contexts_lists_parents_before_children(session: scint.Session) -> None:
    assert session.run("contexts()").value == []
    session.run(
        'create_context("t", type="Thread"); t.spawn(name="p", goal="g"); create_context("n"); t.p.add_task(title="x")'
    )
    assert session.run("contexts()").value == [
        {"path": "t", "type": "Thread"},
        {"path": "t.p", "type": "Process"},
        {"path": "n", "type": "Container"},
        {"path": "t.p.t1", "type": "Task"},
    ]


def test_builtins_are_checked_like_actions(session: scint.Session) -> None:
    with pytest.raises(scint.BadArguments, match=r"create_context\(\) is missing the argument `name`"):
        session.run("create_context()")
    with pytest.raises(scint.BadArguments, match=r"`name` must be str, not int"):
        session.run("create_context(1)")
    with pytest.raises(scint.BadArguments, match=r"`type` must be str"):
        session.run('create_context("x", type=1)')
    with pytest.raises(scint.BadArguments, match=r"contexts\(\) takes 0 positional arguments but 1 were given"):
        session.run("contexts(1)")


def test_unknown_builtin_suggests_and_lists_the_builtins(session: scint.Session) -> None:
    with pytest.raises(
        scint.UnknownAction, match=r"there is no built-in `create_contxt` \(did you mean `create_context`"
    ):
        session.run('create_contxt("x")')
    with pytest.raises(scint.UnknownAction, match=r"the built-ins are: contexts, create_context, drop_context, help"):
        session.run("print()")


# -- path resolution -------------------------------------------------------------------------------------------


@pytest.fixture
def tree(session: scint.Session) -> scint.Session:
    session.run(
        'create_context("research", type="Thread"); research.spawn(name="lit", goal="g"); '
        'research.lit.add_task(title="x"); create_context("notes"); create_context("sub", parent="notes")'
    )
    return session


def test_the_longest_existing_prefix_is_the_context(tree: scint.Session) -> None:
    assert tree.run("research.lit.t1.start()").value == "doing"
    assert tree.run("research.lit.tasks()").value[0]["status"] == "doing"
    assert tree.run('notes.sub.put(key="a", value=1); notes.sub.keys(); notes.keys()').values == (None, ["a"], [])


def test_unknown_root_context(tree: scint.Session) -> None:
    with pytest.raises(scint.UnknownContext) as info:
        tree.run('nots.put(key="a", value=1)')
    message = str(info.value)
    assert "there is no context `nots` (did you mean `notes`?)" in message
    assert "the contexts are: research, notes" in message
    assert 'create_context("nots", type="Container")' in message


def test_unknown_root_in_an_empty_map(session: scint.Session) -> None:
    with pytest.raises(scint.UnknownContext, match="there are no contexts yet"):
        session.run("notes.keys()")


def test_unknown_child(tree: scint.Session) -> None:
    with pytest.raises(scint.UnknownContext, match=r"`research` has no child `lt` \(did you mean `lit`\?\)"):
        tree.run("research.lt.tasks()")
    with pytest.raises(
        scint.UnknownContext, match=r"`research.lit` has no child `t2` and `t2.start` is not one of its actions"
    ):
        tree.run("research.lit.t2.start()")


def test_unknown_action(tree: scint.Session) -> None:
    with pytest.raises(
        scint.UnknownAction, match=r"research.lit.t1 \(Task\) has no action `strat` \(did you mean `start`\?\)"
    ):
        tree.run("research.lit.t1.strat()")
    with pytest.raises(scint.UnknownAction, match=r"it has: delete, get, items, keys, put, update"):
        tree.run("notes.fetch()")


def test_calling_a_context_as_a_function(tree: scint.Session) -> None:
    with pytest.raises(
        scint.UnknownAction, match=r"`notes` is a context; call one of its actions: notes\.<action>\(\.\.\.\)"
    ):
        tree.run("notes()")
    with pytest.raises(scint.UnknownAction, match=r"research.lit \(Process\) has no action `t1`"):
        tree.run("research.lit.t1()")


def test_a_context_created_earlier_in_the_program_is_usable(session: scint.Session) -> None:
    r = session.run('create_context("n"); n.put(key="a", value=1); n.get(key="a")')
    assert r.value == 1


def test_a_dropped_context_is_gone_for_later_statements(tree: scint.Session) -> None:
    with pytest.raises(scint.UnknownContext):
        tree.run('drop_context("notes"); notes.keys()')
    assert "notes" in tree.view()
