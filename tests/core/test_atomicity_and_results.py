"""Programs are atomic; Result, dry runs, read-only programs and the log."""

from __future__ import annotations

import datetime
import re

import pytest

import scint

SETUP = """
create_context("notes"); notes.put(key="a", value={"x": 1}); notes.put(key="b", value=[1])
create_context("research", type="Thread"); research.post(role="user", content="hi")
create_context("lit", type="Process", parent="research", goal="g"); research.lit.add_task(title="t")
create_context("composer", type="Composer"); composer.define(name="w", params=["k"], body="notes.put(key=$k, value=1)")
create_context("gone")
"""

# Each changes something different; together they touch every kind of change the map has.
CHANGES = [
    'notes.put(key="new", value=1)',
    'notes.update(key="a", patch={"y": 2})',
    'notes.put(key="a", value="replaced")',
    'notes.delete(key="b")',
    'research.post(role="assistant", content="more")',
    "research.lit.t1.start()",
    'research.lit.add_task(title="t2")',
    'research.lit.spawn(name="sub", goal="g2")',
    'composer.define(name="w2", body="notes.keys()")',
    'composer.run(name="w", k="from_workflow")',
    'create_context("fresh", type="Task")',
    'drop_context(path="gone")',
    'drop_context(path="research.lit")',
    'create_context("gone", type="Thread")',
]
FAILURES = [
    'notes.get(key="missing")',  # ActionError
    "notes.put(key=1, value=1)",  # BadArguments
    "nowhere.keys()",  # UnknownContext
    "notes.fly()",  # UnknownAction
    'create_context("notes")',  # ConflictError
    'composer.run(name="w")',  # BadArguments from a workflow
    'notes.update(key="b", patch={})',  # refused: not a dict (or, once deleted, missing)
]


@pytest.fixture
def s(session: scint.Session) -> scint.Session:
    session.run(SETUP)
    return session


def snapshot(s: scint.Session) -> tuple[str, int, list[scint.LogEntry], list[dict[str, str]]]:
    return s.view().render("json"), s.version, s.log(), s.run("contexts()").value


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_a_failing_statement_anywhere_changes_nothing(s: scint.Session, failure: str, where: str) -> None:
    before = snapshot(s)
    statements = list(CHANGES)
    position = {"first": 0, "middle": len(statements) // 2, "last": len(statements)}[where]
    statements.insert(position, failure)
    with pytest.raises(scint.ScintError) as info:
        s.run("\n".join(statements))
    assert info.value.statement == position + 1
    assert info.value.source == failure
    assert str(info.value).startswith(f"statement {position + 1} `{failure}`: ")
    assert snapshot(s) == before
    # ...and the session still works, from the unchanged state
    r = s.run("\n".join(CHANGES))
    assert s.version == before[1] + len(CHANGES) == r.version  # one event each
    assert "fresh" in s.view() and "research.lit" not in s.view()


def test_the_error_names_the_statement_on_its_own_line(s: scint.Session) -> None:
    with pytest.raises(scint.ActionError) as info:
        s.run('notes.put(key="x", value=1)\n\n# a comment\nnotes.get(key="zz")   # trailing\nnotes.keys()')
    assert (info.value.statement, info.value.source) == (2, 'notes.get(key="zz")')


def test_a_syntax_error_changes_nothing(s: scint.Session) -> None:
    before = snapshot(s)
    with pytest.raises(scint.ScintSyntaxError):
        s.run('notes.put(key="x", value=1)\nnotes.put(key=')
    assert snapshot(s) == before


def test_dry_run_executes_but_records_nothing(s: scint.Session) -> None:
    before = snapshot(s)
    r = s.run('notes.put(key="x", value=41); notes.get(key="x"); create_context("y")', dry_run=True)
    assert r.values == (None, 41, "y")
    assert r.version == before[1]
    assert snapshot(s) == before
    with pytest.raises(scint.ActionError):
        s.run('notes.get(key="missing")', dry_run=True)
    assert snapshot(s) == before


def test_read_only_programs_are_not_logged_and_keep_the_version(s: scint.Session) -> None:
    before = snapshot(s)
    r = s.run("notes.keys(); notes.items(); research.messages(); contexts(); help(); composer.list()")
    assert r.events == () and r.version == before[1]
    assert snapshot(s) == before


def test_result(s: scint.Session) -> None:
    version = s.version
    r = s.run('notes.put(key="k", value=[1]); v = notes.get(key="k"); notes.update(key="a", patch={"z": $v})')
    assert r.values == (None, [1], {"x": 1, "z": [1]})
    assert r.value == {"x": 1, "z": [1]}
    assert r.version == version + 2 == s.version
    assert [(e.version, e.path, e.action, e.args) for e in r.events] == [
        (version + 1, "notes", "put", {"key": "k", "value": [1]}),
        (version + 2, "notes", "update", {"key": "a", "patch": {"z": [1]}}),
    ]
    assert r.branch == "main" and re.fullmatch(r"[0-9a-f]{16}", r.program_id)
    assert str(r).endswith(f"[main @ {version + 2}: 2 events recorded]")


def test_result_values_are_copies(s: scint.Session) -> None:
    r = s.run('notes.get(key="a")')
    r.value["x"] = "changed"
    assert s.run('notes.get(key="a")').value == {"x": 1}


def test_an_empty_program(s: scint.Session) -> None:
    version = s.version
    r = s.run("# nothing\n")
    assert (r.value, r.values, r.events, r.version) == (None, (), (), version)


def test_versions_count_events(session: scint.Session) -> None:
    assert session.version == 0
    assert session.run('create_context("n")').version == 1
    assert session.run('n.put(key="a", value=1); n.put(key="b", value=2)').version == 3
    assert session.version == 3


def test_log_is_newest_first_one_entry_per_changing_program(session: scint.Session) -> None:
    assert session.log() == []
    start = datetime.datetime.now(datetime.UTC)
    r1 = session.run('create_context("n")', actor="human")
    session.run("n.keys()")
    r2 = session.run('n.put(key="a", value=1)\nn.put(key="b", value=2)', actor="llm:test-model")
    with pytest.raises(scint.ActionError):
        session.run('n.delete(key="zz")')
    session.run('n.put(key="c", value=3)', dry_run=True)
    log = session.log()
    assert [(e.version, e.actor, e.source, e.program_id, e.events) for e in log] == [
        (3, "llm:test-model", 'n.put(key="a", value=1)\nn.put(key="b", value=2)', r2.program_id, 2),
        (1, "human", 'create_context("n")', r1.program_id, 1),
    ]
    end = datetime.datetime.now(datetime.UTC)
    for entry in log:
        assert entry.time.tzinfo is not None and entry.time.utcoffset() == datetime.timedelta(0)
        assert start - datetime.timedelta(seconds=1) <= entry.time <= end + datetime.timedelta(seconds=1)
    assert log[0].time >= log[1].time
    assert session.log(limit=1) == log[:1]
    assert session.log(limit=0) == []


def test_log_keeps_the_program_text_with_comments(session: scint.Session) -> None:
    text = '# setup\ncreate_context("n")   # a container\nn.keys()\n'
    session.run(text)
    assert session.log()[0].source == text


def test_many_programs_are_logged(session: scint.Session) -> None:
    session.run('create_context("n")')
    for i in range(300):
        session.run(f'n.put(key="k", value={i})')
    log = session.log()
    assert len(log) == 301
    assert [e.version for e in log] == list(range(301, 0, -1))
    assert log[0].source == 'n.put(key="k", value=299)'
    assert [e.version for e in session.log(limit=3)] == [301, 300, 299]
