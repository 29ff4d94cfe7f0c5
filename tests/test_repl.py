"""`scint repl`, driven through prompt_toolkit's pipe input; its completer, lexer and multi-line rule."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from pygments.token import Comment, Keyword, Name, Number, String
from rich.console import Console

import scint
from scint.cli.lexer import ScintLexer
from scint.cli.repl import Catalog, Repl, ScintCompleter, complete, needs_more, run_repl


@pytest.fixture
def session() -> Iterator[scint.Session]:
    with scint.open("memory://") as s:
        s.run('create_context("notes"); create_context("research", type="Thread")')
        s.run('create_context("lit", type="Process", parent="research", goal="g")')
        yield s


def drive(session: scint.Session, keys: str, history: Path) -> str:
    """Type `keys` into the REPL and return what it printed."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, color_system=None, force_terminal=False)
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        pipe.close()
        code = run_repl(session, console, history=history, input=pipe, output=DummyOutput())
    assert code == 0
    return buffer.getvalue()


def test_runs_statements_and_quits(session: scint.Session, tmp_path: Path) -> None:
    out = drive(session, 'notes.put(key="a", value=1)\rnotes.get(key="a")\r:q\r', tmp_path / "h")
    assert "main @ 4: 1 event recorded" in out
    assert "\n1\n" in out
    assert session.run('notes.get(key="a")').value == 1


def test_end_of_input_quits(session: scint.Session, tmp_path: Path) -> None:
    out = drive(session, "notes.keys()\r", tmp_path / "h")
    assert "[]" in out


def test_multi_line_programs_continue_while_brackets_or_triple_quotes_are_open(
    session: scint.Session, tmp_path: Path
) -> None:
    keys = 'notes.put(\rkey="b",\rvalue={"x": [1,\r2]})\rnotes.put(key="t", value="""line one\rline two""")\r:q\r'
    drive(session, keys, tmp_path / "h")
    assert session.run('notes.get(key="b")').value == {"x": [1, 2]}
    assert session.run('notes.get(key="t")').value == "line one\nline two"


def test_errors_show_the_caret_and_the_loop_goes_on(session: scint.Session, tmp_path: Path) -> None:
    out = drive(session, 'notes.put(key="a" value=1)\rnots.keys()\rnotes.keys()\r:q\r', tmp_path / "h")
    lines = out.splitlines()
    assert any(line.startswith("error: line 1, column 19") for line in lines)
    caret = next(i for i, line in enumerate(lines) if line.strip() == "^")
    assert lines[caret].index("^") == lines[caret - 1].index("value")
    assert "did you mean `notes`?" in out
    assert out.rstrip().endswith("main @ 3: nothing changed")  # notes.keys() still ran
    assert session.version == 3  # nothing was written by the failing programs


def test_history_is_kept_in_the_file(session: scint.Session, tmp_path: Path) -> None:
    history = tmp_path / "sub" / "history"
    drive(session, "notes.keys()\rcontexts()\r:q\r", history)
    text = history.read_text()
    assert "+notes.keys()" in text and "+contexts()" in text
    drive(session, "\x1b[A\r:q\r", history)  # Up recalls the last program from the file: contexts()
    assert session.run("contexts()").value  # (the session is unchanged)


def test_assigned_names_stay_bound_for_later_inputs(session: scint.Session, tmp_path: Path) -> None:
    keys = (
        'notes.put(key="milk", value={"qty": 2})\r'
        'm = notes.get(key="milk")\r'
        'notes.put(key="copy", value=$m.qty); k = notes.keys()\r'
        'notes.put(key="k", value=$k)\r'
        'm = notes.get(key="nope")\r'  # fails: binds nothing, $m keeps its value
        'notes.put(key="again", value=$m)\r'
        ":vars\r:q\r"
    )
    out = drive(session, keys, tmp_path / "h")
    assert session.run('notes.get(key="copy")').value == 2
    assert session.run('notes.get(key="k")').value == ["copy", "milk"]
    assert session.run('notes.get(key="again")').value == {"qty": 2}
    assert '$k = ["copy", "milk"]' in out and '$m = {"qty": 2}' in out
    assert [e.params for e in session.log(limit=3)] == [{"m": {"qty": 2}}, {"k": ["copy", "milk"]}, {"m": {"qty": 2}}]


def test_names_are_per_repl_not_per_session(session: scint.Session, tmp_path: Path) -> None:
    drive(session, 'm = notes.keys()\r:vars\r:q\r', tmp_path / "h")
    out = drive(session, 'notes.put(key="x", value=$m)\r:vars\r:q\r', tmp_path / "h")
    assert "error: statement 1" in out and "$m is not defined" in out
    assert "no names bound yet" in out
    with pytest.raises(scint.BadArguments, match=r"\$m is not defined"):
        session.run('notes.put(key="x", value=$m)')


def test_colon_commands(session: scint.Session, tmp_path: Path) -> None:
    session.branch("b2")
    keys = ":help\r:show notes\r:log\r:branches\r:diff main b2\r:checkout b2\r:nonsense\r:q\r"
    out = drive(session, keys, tmp_path / "h")
    assert ":q  (or Ctrl-D)" in out
    assert "notes (Container)" in out and "data: {}" in out
    assert "create_context" in out  # the log
    assert "b2" in out and "no differences" in out
    assert "on branch b2 at version 3" in out
    assert "error: unknown command :nonsense" in out
    assert session.branch_name == "b2"


def test_tab_completes_through_the_pipe(session: scint.Session, tmp_path: Path) -> None:
    """Completion runs asynchronously: type, press Tab, and wait for the buffer to show the completion."""
    console = Console(file=io.StringIO(), width=120)
    with create_pipe_input() as pipe:
        repl = Repl(session, console, history=tmp_path / "h", input=pipe, output=DummyOutput())
        thread = threading.Thread(target=repl.loop, daemon=True)
        thread.start()

        buffer = repl.prompt.default_buffer
        shown: dict[str, threading.Event] = {}

        def on_change(_: object) -> None:  # runs in the REPL's thread whenever the input line changes
            if buffer.text in shown:
                shown[buffer.text].set()

        buffer.on_text_changed += on_change

        def type_and_wait(keys: str, expect: str) -> None:
            shown[expect] = threading.Event()
            pipe.send_text(keys)
            assert shown[expect].wait(20) or buffer.text == expect, buffer.text

        type_and_wait("no\t", "notes")
        type_and_wait(".pu\t", "notes.put")
        type_and_wait("(ke\t", "notes.put(key=")
        pipe.send_text('"z", value=5)\r:q\r')
        thread.join(20)
    assert not thread.is_alive()
    assert session.run('notes.get(key="z")').value == 5


# -- the completer --------------------------------------------------------------------------------------------------


def names(session: scint.Session, text: str) -> list[str]:
    completer = ScintCompleter(session)
    return [c.text for c in completer.get_completions(Document(text), None)]  # type: ignore[arg-type]


def test_completes_contexts_builtins_and_history(session: scint.Session) -> None:
    assert names(session, "") == sorted(names(session, ""), key=names(session, "").index)
    top = names(session, "")
    assert {"notes", "research", "create_context", "drop_context", "contexts", "help", "history"} <= set(top)
    assert "lit" not in top  # only top-level contexts
    assert names(session, "no") == ["notes"]
    assert names(session, "cr") == ["create_context"]
    assert names(session, "x = no") == ["notes"]
    assert names(session, "notes.keys(); res") == ["research"]
    assert names(session, "notes.keys()\nres") == ["research"]


def test_completes_actions_and_children(session: scint.Session) -> None:
    assert set(names(session, "notes.")) == {"put", "get", "delete", "keys", "items", "update"}
    assert names(session, "notes.ge") == ["get"]
    assert set(names(session, "research.")) >= {"lit", "post", "messages", "spawn"}
    assert "add_task" in names(session, "research.lit.")
    assert set(names(session, "history.")) == {"log", "branches", "branch", "checkout", "diff", "at"}
    assert names(session, "nope.") == []


def test_completes_parameter_names(session: scint.Session) -> None:
    assert names(session, "notes.put(") == ["key=", "value="]
    assert names(session, 'notes.put(key="a", ') == ["value="]
    assert names(session, "notes.put(k") == ["key="]
    assert names(session, "research.lit.add_task(") == ["title=", "detail="]
    assert "type=" in names(session, 'create_context("x", ')
    assert names(session, "history.branch(") == ["name=", "at="]
    assert names(session, 'notes.put(key="a", value=') == []  # a value: nothing to offer
    assert names(session, "notes.put(key=[") == []


def test_completes_type_names_and_sees_new_contexts(session: scint.Session) -> None:
    assert names(session, 'create_context("x", type="Con') == ["Container"]
    assert "Composer" in names(session, 'create_context("x", type="')
    completer = ScintCompleter(session)
    assert [c.text for c in completer.get_completions(Document("ext"), None)] == []  # type: ignore[arg-type]
    session.run('create_context("extra")')
    assert [c.text for c in completer.get_completions(Document("ext"), None)] == ["extra"]  # type: ignore[arg-type]


def test_completes_bound_names_after_a_dollar(session: scint.Session) -> None:
    completer = ScintCompleter(session, lambda: ["milk", "mode", "other"])
    found = [c.text for c in completer.get_completions(Document('notes.put(key="a", value=$m'), None)]  # type: ignore[arg-type]
    assert found == ["milk", "mode"]
    assert names(session, "notes.put(value=$") == []  # a completer without variables offers none
    assert [c.text for c in complete("x = $o", Catalog.of(session), ["other"])] == ["other"]
    assert list(complete("x = $other.f", Catalog.of(session), ["other"])) == []


def test_completion_metadata_comes_from_the_docstrings(session: scint.Session) -> None:
    found = {c.text: c.display_meta_text for c in complete("notes.", Catalog.of(session))}
    assert found["get"].startswith("query") and found["put"].startswith("action")


@pytest.mark.parametrize(
    ("text", "more"),
    [
        ("notes.keys()", False),
        ("notes.put(", True),
        ('notes.put(key="a(", value=[1,', True),
        ('notes.put(key="a(")', False),
        ('x = """open', True),
        ('x = """closed"""', False),
        ("notes.put(key='it''s') # (", False),
        ("notes.put(key=1, # a comment (\n", True),
        ('notes.put(key="unterminated)\n', True),
        ("", False),
    ],
)
def test_needs_more(text: str, more: bool) -> None:
    assert needs_more(text) is more


def test_lexer_tokens() -> None:
    tokens = [(t, v) for t, v in ScintLexer().get_tokens('m = notes.put(key="a", value=[1, true, $x.y]) # c\n')]
    kinds = {v: t for t, v in tokens if v.strip()}
    assert kinds["notes"] in Name.Namespace
    assert kinds["put"] in Name.Function
    assert kinds["key"] in Name.Attribute
    assert kinds['"'] in String and kinds["a"] in String
    assert kinds["1"] in Number
    assert kinds["true"] in Keyword.Constant
    assert kinds["$x"] in Name.Variable
    assert kinds["# c"] in Comment
    assert "".join(v for _, v in tokens) == 'm = notes.put(key="a", value=[1, true, $x.y]) # c\n'
    tokens = list(ScintLexer().get_tokens('create_context("n")\nx = """a\n"b"\n"""\n'))
    assert (Name.Builtin, "create_context") in tokens


def test_ask_command_shows_the_program_and_runs_it(session: scint.Session, tmp_path: Path) -> None:
    from scint.cli.app import _ask
    from scint.llm import MockProvider

    session.llm = MockProvider(['notes.put(key="eggs", value=2)'])
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, color_system=None)
    with create_pipe_input() as pipe:
        pipe.send_text(":ask put two eggs in my notes\r:q\r")
        pipe.close()
        ask = lambda text: _ask(session, text, False, console)  # noqa: E731 - what `scint repl` passes
        run_repl(session, console, history=tmp_path / "h", input=pipe, output=DummyOutput(), ask=ask)
    out = buffer.getvalue()
    assert 'notes.put(key="eggs", value=2)' in out and "main @ 4: 1 event recorded" in out
    assert session.log(limit=1)[0].actor == "llm:mock"
