"""The `human` backend (a person takes the process's steps: its queries wait in people's inboxes, and a person's
reply goes out from the process) and `set_backend` (recorded, capability-checked, validated) (SPEC 11)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import scint
from scint.llm import arun_process
from scint.llm.backends import HUMAN_WAITS
from tests.backends.conftest import Calls
from tests.support.cli import Cli

Register = Callable[[str, Callable[..., Any]], None]
DESK = (
    'create_context("desk", type="Process", goal="answer what people ask", backend="human")\n'
    'create_context("asker", type="Process", goal="ask")'
)


def _ask(s: scint.Session) -> None:
    s.run(DESK)
    assert s.send("desk", "may I?", "query", actor="process:asker") == "m1"


def test_a_person_answers_for_a_human_backed_process(s: scint.Session) -> None:
    _ask(s)
    s.llm = scint.llm.MockProvider()  # never asked
    [waiting] = s.inbox()
    assert (waiting["id"], waiting["to"], waiting["content"]) == ("m1", "desk", "may I?")
    assert s.inbox(actor="human:ana")[0]["id"] == "m1"  # every person's inbox
    assert s.run("desk.run()").value is None
    assert s.view().get("desk")["transcript"] == [{"waiting": HUMAN_WAITS}]
    version = s.version
    assert s.run("desk.run(max_steps=5)").value is None and s.version == version  # said once, not again
    assert asyncio.run(arun_process(s, "desk")) is None and s.version == version  # the scheduler's way in
    assert s.reply("m1", "yes, go ahead", actor="human:ana") == "m2"
    [answer] = s.inbox("asker")
    assert (answer["from"], answer["reply_to"], answer["content"]) == ("desk", "m1", "yes, go ahead")
    assert s.log(limit=1)[0].actor == "human:ana"
    assert s.inbox() == [] and s.inbox("desk", unread=False)[0]["answer"] == "m2"
    assert s.llm.history == []
    assert s.replay().to_json() == s.view().to_json()


def test_only_a_person_answers_for_it(s: scint.Session) -> None:
    _ask(s)
    s.run('create_context("other", type="Process", goal="g")')
    with pytest.raises(scint.PermissionDenied, match="only its recipient may reply"):
        s.reply("m1", "not mine to say", actor="process:other")
    s.run('set_backend(path="desk", backend="llm")')  # no longer a person's: a person may not answer for it
    with pytest.raises(scint.PermissionDenied, match="only its recipient may reply"):
        s.reply("m1", "yes")
    assert s.inbox() == []


def test_a_person_answers_from_the_command_line(store_url: str, tmp_path: Path) -> None:
    with scint.open(store_url) as s:
        _ask(s)
    cli = Cli(tmp_path, store_url, subprocess=False)
    shown = cli("inbox").stdout
    assert "m1  query from asker to desk [waiting for your reply]" in shown and "may I?" in shown
    assert "sent m2" in cli("reply", "m1", "yes", "please").stdout
    assert "no messages" in cli("inbox").stdout
    [answer] = json.loads(cli("inbox", "asker", "--json").stdout)
    assert (answer["from"], answer["content"]) == ("desk", "yes please")
    assert cli("run", "-", input="desk.run()").returncode == 0
    with scint.open(store_url) as s:
        assert s.view().get("desk")["transcript"] == [{"waiting": HUMAN_WAITS}]
        assert s.log(limit=2)[1].actor == "human"


def test_a_person_answers_from_a_notebook(store_url: str) -> None:
    ipython = pytest.importorskip("IPython.core.interactiveshell")
    shell = ipython.InteractiveShell.instance()
    shell.run_line_magic("load_ext", "scint")
    shell.run_line_magic("config", f'ScintMagics.store = "{store_url}"')
    magics = shell.magics_manager.registry["ScintMagics"]
    try:
        s = shell.run_line_magic("scint_session", "")
        _ask(s)
        assert "m1  query from asker to desk" in str(shell.run_line_magic("scint_inbox", ""))
        assert shell.run_line_magic("scint_reply", "m1 all yours") == "m2"
        assert s.inbox("asker")[0]["from"] == "desk"
    finally:
        magics.close()
        magics.store = ""


def test_set_backend_is_recorded_and_replayed(s: scint.Session, backends: tuple[Calls, Register]) -> None:
    calls, register = backends
    register("echo", lambda m, v: f"echo {m['content']}")
    s.run(DESK)
    assert s.run('set_backend(path="asker", backend="python:echo")').value == "python:echo"
    entry = s.log(limit=1)[0]
    assert entry.source == 'set_backend(path="asker", backend="python:echo")' and entry.events == 1
    assert s.view().get("asker")["backend"] == "python:echo"
    s.run('set_backend(path="desk", backend="llm")')
    assert s.replay().to_json() == s.view().to_json() and len(calls) == 0
    assert s.view(at=entry.version).get("desk")["backend"] == "human"


@pytest.mark.parametrize(
    ("text", "error", "words"),
    [
        ('set_backend(path="desk", backend="shell")', scint.BadArguments, 'backend must be "llm", "human" or'),
        ('set_backend(path="desk", backend="python:nobody")', scint.ModuleError, "no backend `nobody` is registered"),
        ('set_backend(path="desk", backend="python:no-dash")', scint.BadArguments, "python:NAME"),
        ('create_context("notes"); set_backend(path="notes", backend="llm")', scint.BadArguments, "not a Process"),
        ('set_backend(path="nowhere", backend="llm")', scint.UnknownContext, "no context `nowhere`"),
        ('create_context("y", type="Process", backend="shell")', scint.BadArguments, "backend must be"),
        ('desk.configure(settings={"backend": "python:"})', scint.BadArguments, "backend must be"),
    ],
)
def test_set_backend_accepts_only_backends_that_exist(s: scint.Session, text: str, error: type, words: str) -> None:
    s.run(DESK)
    version = s.version
    with pytest.raises(error, match=words.replace("(", r"\(")):
        s.run(text)
    assert s.version == version


def test_set_backend_is_held_to_capabilities(s: scint.Session) -> None:
    s.run(
        'create_context("boss", type="Process", goal="g")\n'
        'create_context("sub", type="Process", goal="g", parent="boss")\n'
        'create_context("other", type="Process", goal="g")'
    )
    assert s.run('set_backend(path="boss.sub", backend="human")', actor="process:boss").value == "human"
    with pytest.raises(scint.PermissionDenied, match=r"other\.set_backend"):
        s.run('set_backend(path="other", backend="human")', actor="process:boss")
    with pytest.raises(scint.PermissionDenied, match="declaration of `boss`"):
        s.run('set_backend(path="boss", backend="human")', actor="process:boss")
    with pytest.raises(scint.PermissionDenied):
        s.run('set_backend(path="other", backend="human")', can=["notes.*"])
    with pytest.raises(scint.PermissionDenied, match="may not change `other`"):
        s.run('set_backend(path="other", backend="human")', read_only=True)
    assert s.view().get("other")["backend"] == "llm"
    assert s.run('set_backend(path="other", backend="human")', can=["set_backend"]).value == "human"


def test_a_rerun_asks_the_person_again_rather_than_replaying_their_answer(s: scint.Session) -> None:
    _ask(s)
    s.reply("m1", "yes", actor="human:ana")
    event = next(e for e in s.log() if e.source.startswith("reply("))
    assert event.actor == "human:ana"
    report = s.rerun(since=0, branch="again")
    assert [p[2] for p in report.people] == ["human:ana replied to m1"]
    s.checkout("again")
    assert [m["id"] for m in s.inbox()] == ["m1"]  # the query waits for a person on the new branch
