"""`scint rerun --since N --branch B --model PATH=NAME` (SPEC 11): the [models] named come from ./scint.toml (or
--file), each process's steps go to its own server, and bad options are clear errors that write nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.llm.conftest import FakeOpenAI
from tests.support.cli import Cli

ENV = {"SCINT_TEST_RERUN_KEY": "sk-test"}
CAN = '["self.**", "send", "reply", "inbox", "notes.*"]'


def declaration(main: str, other: str) -> str:
    return f"""
schema = 1

[models.main]
model = "main-model"
base_url = "{main}"
api_key_env = "SCINT_TEST_RERUN_KEY"

[models.other]
model = "other-model"
base_url = "{other}"
api_key_env = "SCINT_TEST_RERUN_KEY"

[contexts.notes]
type = "Container"

[contexts.team]
type = "Thread"

[processes."team.a"]
goal = "note how many b has"
model = "main"
can = {CAN}

[processes."team.b"]
goal = "answer"
model = "main"
can = {CAN}
"""


@pytest.fixture
def ran(tmp_path: Path, servers: tuple[FakeOpenAI, FakeOpenAI]) -> tuple[Cli, int]:
    """A store where team.a asked team.b, b replied and a noted the answer, all on the model `main`."""
    main, other = servers
    (tmp_path / "scint.toml").write_text(declaration(main.base_url, other.base_url), encoding="utf-8")
    cli = Cli(tmp_path, f"lmdb:///{tmp_path}/store", subprocess=False)
    cli("up")
    since = cli.json("log")[0]["version"]
    main.enqueue(
        {"program": 'send(to="team.b", content="how many?", kind="query")'}, "asked",
        {"program": 'reply(to="m1", content="two")'}, "answered",
        {"program": 'notes.put(key="n", value=2)'}, "noted",
    )  # fmt: skip
    for p in ("team.a", "team.b", "team.a"):
        cli("run", "-", input=f"{p}.run(max_steps=3)", env=ENV)
    assert len(main.requests) == 6
    return cli, since


def test_rerun_with_another_model_from_the_declaration(
    ran: tuple[Cli, int], servers: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    cli, since = ran
    main, other = servers
    main.enqueue({"program": 'reply(to="m1", content="two")'}, "answered")
    other.enqueue(
        {"program": 'send(to="team.b", content="how many?", kind="query")'}, "asked",
        {"program": 'notes.put(key="n", value=20)'}, "noted",
    )  # fmt: skip

    out = cli("rerun", "--since", str(since), "--branch", "other", "--model", "team.a=other", env=ENV).stdout

    assert f"re-ran 3 programs after version {since} on branch other: all succeeded" in out
    assert "with team.a -> other" in out
    assert (len(main.requests), len(other.requests)) == (8, 4)
    assert {body["model"] for _, body in other.requests} == {"other-model"}
    diff = cli.json("diff", "main", "other")
    assert diff["changed"]["notes"] == {"data": {"changed": {"n": {"from": 2, "to": 20}}}}
    swap = next(e for e in cli.json("--branch", "other", "log") if e["version"] == since + 1)
    assert swap["actor"] == "human" and swap["source"].startswith('team.a.configure(settings={"endpoint": {')
    assert cli.json("branches")[0]["current"] and cli.json("log")[0]["version"] > since  # main stays current
    # replaying and viewing either branch asks no model
    cli("replay")
    cli("--branch", "other", "replay")
    cli("--branch", "other", "show", "team.a")
    assert (len(main.requests), len(other.requests)) == (8, 4)


def test_the_report_as_json_and_a_declaration_named_with_file(
    ran: tuple[Cli, int], servers: tuple[FakeOpenAI, FakeOpenAI], tmp_path: Path
) -> None:
    cli, since = ran
    main, other = servers
    moved = tmp_path / "decl"
    moved.mkdir()
    (tmp_path / "scint.toml").rename(moved / "agents.toml")
    main.enqueue({"program": 'reply(to="m1", content="two")'}, "answered")
    other.enqueue({"program": 'send(to="team.b", content="how many?", kind="query")'}, "asked", "no note")
    args = ["rerun", "--since", str(since), "--branch", "b2", "--model", "team.a=other", "--json"]
    report = cli.json(*args[:-1], "--file", str(moved / "agents.toml"), env=ENV)
    assert report["branch"] == "b2" and report["models"] == {"team.a": "other"} and report["failures"] == []
    assert report["programs"] == 3 and report["people"] == [] and report["proposed"] == []


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--model", "team.a"], "--model takes PATH=NAME, such as research.lit=other"),
        (["--model", "=other"], "--model takes PATH=NAME"),
        (["--model", "team a=other"], "is not a process path"),
        (["--model", "team.a=other", "--model", "team.a=main"], "names team.a twice"),
        (["--model", "team.z=other"], "there is no process `team.z` to swap (did you mean `team.b` or `team.a`?)"),
        (["--model", "team.a=ohter"], "is not a model (did you mean `other`?)"),
        (["--model", "team.a=python:nope"], "no backend `nope` is registered"),
        (["--model", "team.a=other", "--file", "missing.toml"], "cannot be read"),
    ],
)
def test_bad_options_are_clear_errors_that_write_nothing(ran: tuple[Cli, int], options: list[str], words: str) -> None:
    cli, since = ran
    branches = cli.json("branches")
    proc = cli("rerun", "--since", str(since), "--branch", "never", *options, ok=False, env=ENV)
    assert proc.returncode == 1 and proc.stderr.startswith("error: ") and words in proc.stderr
    assert proc.stdout == ""
    assert cli.json("branches") == branches


def test_a_version_inside_a_program_is_refused(ran: tuple[Cli, int]) -> None:
    cli, _ = ran
    proc = cli("rerun", "--since", "1", "--model", "team.a=other", ok=False, env=ENV)
    assert proc.returncode == 1 and "inside" in proc.stderr and len(cli.json("branches")) == 1
