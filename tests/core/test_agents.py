"""Thread, Process and Task: posts and messages, spawned processes, tasks t1, t2, ... and the task life cycle."""

from __future__ import annotations

import datetime

import pytest

import scint


@pytest.fixture
def s(session: scint.Session) -> scint.Session:
    session.run('create_context("research", type="Thread")')
    return session


# -- Thread --------------------------------------------------------------------------------------------------------


def test_post_numbers_messages_and_stamps_them_with_the_event_time(s: scint.Session) -> None:
    r = s.run('research.post(role="user", content="hi"); research.post("assistant", "hello")')
    assert r.values == (1, 2)
    messages = s.run("research.messages()").value
    assert [(m["role"], m["content"]) for m in messages] == [("user", "hi"), ("assistant", "hello")]
    entry = s.log(limit=1)[0]
    for m in messages:
        t = datetime.datetime.fromisoformat(m["time"])
        assert t.tzinfo is not None and t.utcoffset() == datetime.timedelta(0)
        assert abs((t - entry.time).total_seconds()) < 60


def test_messages_last(s: scint.Session) -> None:
    s.run("; ".join(f'research.post(role="user", content="m{i}")' for i in range(5)))
    assert [m["content"] for m in s.run("research.messages(last=2)").value] == ["m3", "m4"]
    assert s.run("research.messages(last=0)").value == []
    assert len(s.run("research.messages(last=50)").value) == 5
    assert len(s.run("research.messages(last=null)").value) == 5
    with pytest.raises(scint.BadArguments, match="`last` must be zero or more"):
        s.run("research.messages(last=-1)")
    with pytest.raises(scint.BadArguments, match=r"`last` must be int \| null, not str"):
        s.run('research.messages(last="2")')


def test_post_refuses_an_empty_role(s: scint.Session) -> None:
    with pytest.raises(scint.BadArguments, match="a role is a short non-empty string"):
        s.run('research.post(role="", content="x")')
    with pytest.raises(scint.BadArguments, match="`content` must be str"):
        s.run('research.post(role="user", content=["x"])')


def test_an_earlier_result_does_not_change_when_later_statements_do(s: scint.Session) -> None:
    r = s.run('m = research.messages(); research.post(role="user", content="later"); research.messages()')
    assert r.values[0] == [] and len(r.values[2]) == 1


def test_thread_spawn_creates_a_child_process(s: scint.Session) -> None:
    assert s.run('research.spawn(name="lit", goal="find papers", model="m1")').value == "research.lit"
    view = s.view()
    assert view.type_of("research.lit") == "Process"
    state = view.get("research.lit")
    assert (state["goal"], state["model"], state["status"]) == ("find papers", "m1", "idle")
    with pytest.raises(scint.ConflictError, match=r"a context `research\.lit` already exists"):
        s.run('research.spawn(name="lit", goal="again")')
    with pytest.raises(scint.BadArguments, match="`post` is an action of research"):
        s.run('research.spawn(name="post", goal="x")')


# -- Process -------------------------------------------------------------------------------------------------------


@pytest.fixture
def p(s: scint.Session) -> scint.Session:
    s.run('create_context("lit", type="Process", parent="research", goal="find three papers")')
    return s


def test_add_task_names_tasks_t1_t2(p: scint.Session) -> None:
    r = p.run('t = research.lit.add_task(title="search", detail="arxiv"); research.lit.add_task("read")')
    assert r.values == ("research.lit.t1", "research.lit.t2")
    assert p.view().get("research.lit.t1") == {
        "title": "search",
        "detail": "arxiv",
        "status": "todo",
        "result": None,
        "reason": None,
        "assignee": None,
    }
    assert p.view().get("research.lit.t2")["detail"] is None


def test_task_numbers_are_not_reused_after_a_drop(p: scint.Session) -> None:
    p.run('research.lit.add_task(title="a"); research.lit.add_task(title="b")')
    p.run('drop_context(path="research.lit.t2")')
    assert p.run('research.lit.add_task(title="c")').value == "research.lit.t3"


def test_tasks_lists_only_tasks_and_filters_by_status(p: scint.Session) -> None:
    p.run(
        'research.lit.add_task(title="a"); research.lit.add_task(title="b"); research.lit.spawn(name="sub", goal="g")'
    )
    p.run("research.lit.t2.start()")
    assert p.run("research.lit.tasks()").value == [
        {"path": "research.lit.t1", "title": "a", "status": "todo"},
        {"path": "research.lit.t2", "title": "b", "status": "doing"},
    ]
    assert [t["path"] for t in p.run('research.lit.tasks(status="doing")').value] == ["research.lit.t2"]
    assert p.run('research.lit.tasks(status="done")').value == []
    with pytest.raises(scint.BadArguments, match="status must be one of todo, doing, done, failed"):
        p.run('research.lit.tasks(status="finished")')


def test_process_spawn_nests(p: scint.Session) -> None:
    assert p.run('research.lit.spawn(name="sub", goal="g2")').value == "research.lit.sub"
    assert p.run('research.lit.sub.add_task(title="x")').value == "research.lit.sub.t1"
    assert p.view().get("research.lit.sub")["goal"] == "g2"


def test_context_window(p: scint.Session) -> None:
    p.run('research.lit.add_task(title="a")')
    ctx = p.run("research.lit.context()").value
    assert ctx == {
        "goal": "find three papers",
        "status": "idle",
        "tasks": [{"path": "research.lit.t1", "title": "a", "status": "todo"}],
        "transcript": [],
    }
    assert p.run("research.lit.context(window=0)").value["transcript"] == []
    with pytest.raises(scint.BadArguments, match="`window` must be zero or more"):
        p.run("research.lit.context(window=-1)")


def test_context_window_cuts_the_transcript(session: scint.Session) -> None:
    entries = [{"i": i} for i in range(5)]
    session.run(f'create_context("p", type="Process", goal="g", transcript={entries})'.replace("'", '"'))
    assert session.run("p.context(window=2)").value["transcript"] == [{"i": 3}, {"i": 4}]
    assert session.run("p.context(window=0)").value["transcript"] == []
    assert len(session.run("p.context()").value["transcript"]) == 5


def test_process_settings_are_type_checked(session: scint.Session) -> None:
    with pytest.raises(scint.BadArguments, match="`goal` must be str, not int"):
        session.run('create_context("p", type="Process", goal=1)')
    with pytest.raises(scint.BadArguments, match=r"Process has no setting `gaol` \(did you mean `goal`\?\)"):
        session.run('create_context("p", type="Process", gaol="x")')


# -- Task ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def t(session: scint.Session) -> scint.Session:
    session.run('create_context("t", type="Task", title="x")')
    return session


def status(s: scint.Session) -> str:
    return s.view().get("t")["status"]


def test_start_then_complete(t: scint.Session) -> None:
    assert t.run("t.start()").value == "doing"
    assert t.run('t.complete(result={"papers": 3})').value == "done"
    assert t.view().get("t")["result"] == {"papers": 3}


def test_start_then_fail(t: scint.Session) -> None:
    t.run("t.start()")
    assert t.run('t.fail(reason="no access")').value == "failed"
    state = t.view().get("t")
    assert (state["status"], state["reason"]) == ("failed", "no access")


MOVES = {"start": "t.start()", "complete": "t.complete()", "fail": 't.fail(reason="r")'}
ALLOWED = {("todo", "start"), ("doing", "complete"), ("doing", "fail")}
REACH = {"todo": [], "doing": ["start"], "done": ["start", "complete"], "failed": ["start", "fail"]}


@pytest.mark.parametrize("frm", list(REACH))
@pytest.mark.parametrize("move", list(MOVES))
def test_every_other_move_is_an_action_error(t: scint.Session, frm: str, move: str) -> None:
    for step in REACH[frm]:
        t.run(MOVES[step])
    assert status(t) == frm
    if (frm, move) in ALLOWED:
        t.run(MOVES[move])
        assert status(t) != frm
        return
    version = t.version
    with pytest.raises(scint.ActionError, match=rf"t is {frm}; {move}\(\) needs a task that is "):
        t.run(MOVES[move])
    assert (status(t), t.version) == (frm, version)


def test_start_twice_in_one_program_changes_nothing(t: scint.Session) -> None:
    with pytest.raises(scint.ActionError) as info:
        t.run("t.start(); t.start()")
    assert info.value.statement == 2
    assert status(t) == "todo" and t.version == 1


def test_assign(t: scint.Session) -> None:
    assert t.run('t.assign(to="research.lit")').value == "research.lit"
    t.run('t.start(); t.assign(to="bob")')
    assert t.view().get("t")["assignee"] == "bob"
    t.run("t.complete()")
    with pytest.raises(scint.ActionError, match="t is done; it can no longer be assigned"):
        t.run('t.assign(to="carol")')
    assert t.view().get("t")["assignee"] == "bob"


def test_fail_needs_a_reason(t: scint.Session) -> None:
    t.run("t.start()")
    with pytest.raises(scint.BadArguments, match="missing the argument `reason`"):
        t.run("t.fail()")
