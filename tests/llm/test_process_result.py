"""A process run's Result says what the run did: the events its steps recorded (each step a program of its own,
children's runs included) and the version after it, so the Result's display, `%scint` and `scint run` report
the change instead of "nothing changed"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import scint
from scint.llm import MockProvider
from tests.test_cli import Cli

from .conftest import FakeOpenAI

SETUP = 'create_context("research", type="Thread"); research.spawn(name="lit", goal="g")'
STEP = {"program": 'self.add_task(title="a")'}

SCRIPTS = {
    "answers at once": (["done"], "done"),
    "one step, then answers": ([STEP, "done"], "done"),
    "stops at max_steps": ([STEP, STEP, STEP], None),
    "a failing program, then answers": ([{"program": "self.nope()"}, "done"], "done"),
    "a malformed reply, then answers": ([scint.llm.Reply(text=5), "done"], "done"),  # type: ignore[arg-type]
    "runs a child": (
        [{"program": 'self.spawn(name="sub", goal="h")'}, {"program": "self.sub.run()"}, STEP, "sub done", "done"],
        "done",
    ),
}


@pytest.mark.parametrize("label", list(SCRIPTS))
def test_the_result_carries_every_event_the_run_recorded(stored: scint.Session, label: str) -> None:
    replies, answer = SCRIPTS[label]
    stored.run(SETUP)
    before = stored.version
    stored.llm = MockProvider(list(replies))
    r = stored.run("research.lit.run(max_steps=3)")
    assert r.value == answer and r.version == stored.version > before
    assert [e.version for e in r.events] == list(range(before + 1, stored.version + 1))  # all of them, in order
    assert sum(e.events for e in stored.log() if e.version > before) == len(r.events)
    assert r.events[0].action == "set_status" and r.events[0].args["status"] == "running"
    assert f"{len(r.events)} events recorded" in str(r) and "nothing changed" not in str(r)
    assert "nothing changed" not in r._repr_html_()


def test_a_dry_run_of_a_process_run_records_and_reports_nothing(stored: scint.Session) -> None:
    stored.run(SETUP)
    r = stored.run("research.lit.run()", dry_run=True)
    assert r.events == () and r.version == stored.version


def test_the_children_events_come_back_to_the_parents_model_too(stored: scint.Session) -> None:
    stored.run(SETUP)
    spawn, run = {"program": 'self.spawn(name="sub", goal="h")'}, {"program": "self.sub.run()"}
    stored.llm = MockProvider([spawn, run, "x", "y"])
    stored.run("research.lit.run()")
    out = stored.view().get("research.lit")["transcript"][1]["outputs"][0]
    assert out.startswith("ok (committed, version ")


@pytest.fixture
def ip() -> Iterator[object]:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "scint")
    shell.run_line_magic("config", 'ScintMagics.store = "memory://"')
    yield shell
    magics = shell.magics_manager.registry["ScintMagics"]
    magics.close()
    magics.store = ""


def test_the_magic_shows_what_a_process_run_changed(ip: object) -> None:
    ip.run_line_magic("scint", SETUP)  # type: ignore[attr-defined]
    magics = ip.magics_manager.registry["ScintMagics"]  # type: ignore[attr-defined]
    magics.session.llm = MockProvider([STEP, STEP, STEP])
    r = ip.run_line_magic("scint", "research.lit.run(max_steps=3)")  # type: ignore[attr-defined]
    shown, _ = ip.display_formatter.format(r)  # type: ignore[attr-defined]
    assert len(r.events) == 9  # running, 3 x (task, step), stopped (its entry and status)
    assert shown["text/plain"] == f"[main @ {r.version}: 9 events recorded]"


def test_scint_run_reports_what_a_process_run_changed(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    cli = Cli(tmp_path, f"lmdb:///{tmp_path}/store", subprocess=False)
    cli("run", "-", input=SETUP)
    fake_openai.enqueue({"program": 'self.add_task(title="a")'}, "found it")
    env = {"OPENAI_BASE_URL": fake_openai.base_url, "OPENAI_API_KEY": "test", "SCINT_MODEL": "m"}
    out = cli("run", "-", input="research.lit.run(max_steps=3)", env=env).stdout
    assert "found it" in out and "5 events recorded" in out and "nothing changed" not in out
