"""The `scint` command, run as a subprocess against a fresh store in tmp_path."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.cli import Cli

REPO = Path(__file__).resolve().parent.parent
QUICKSTART = REPO / "examples" / "quickstart.scint"


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path, f"lmdb:///{tmp_path}/store", subprocess=False)


@pytest.fixture
def sub(tmp_path: Path) -> Cli:
    return Cli(tmp_path, f"lmdb:///{tmp_path}/store", subprocess=True)


@pytest.fixture
def started(cli: Cli) -> Cli:
    cli("run", str(QUICKSTART))
    return cli


def test_run_prints_each_statement_and_the_version(sub: Cli) -> None:
    proc = sub("run", str(QUICKSTART))
    out = proc.stdout
    assert 'create_context("notes", type="Container")' in out
    assert '"research.lit.t1"' in out  # the value of the add_task statement
    assert '["a", "b", "copy", "eggs", "milk"]' in out
    assert out.rstrip().splitlines()[-1] == "main @ 12: 12 events recorded"


def test_run_from_stdin_and_json_output(cli: Cli) -> None:
    program = 'create_context("n"); n.put(key="k", value=[1, 2]); n.keys()'
    data = json.loads(cli("run", "-", "--json", input=program).stdout)
    assert data == {"values": ["n", None, ["k"]], "branch": "main", "version": 2}


def test_syntax_error_prints_the_caret_to_stderr_and_writes_nothing(sub: Cli, tmp_path: Path) -> None:
    started = Cli(sub.cwd, sub.store, subprocess=False)
    started("run", str(QUICKSTART))
    bad = tmp_path / "bad.scint"
    bad.write_text('notes.put(key="x", value=1)\nnotes.put(key="y" value=2)\n')
    proc = sub("run", str(bad), ok=False)
    assert proc.returncode != 0
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert lines[0].startswith(f"error: {bad}: line 2, column 19:")
    assert lines[-2].strip() == 'notes.put(key="y" value=2)'
    assert lines[-1].index("^") == lines[-2].index("value")
    assert started.json("log")[0]["version"] == 12
    assert "x" not in started.json("show", "notes")["notes"]["state"]["data"]


def test_a_failing_statement_writes_nothing(started: Cli) -> None:
    before = started("show", "--json").stdout
    proc = started("run", "-", input='notes.put(key="new", value=1)\nnotes.get(key="missing")\n', ok=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith('error: statement 2 `notes.get(key="missing")`')
    assert started("show", "--json").stdout == before
    assert len(started.json("log")) == 1


def test_dry_run_records_nothing(started: Cli) -> None:
    proc = started("run", "-", "--dry-run", input='notes.put(key="new", value=1); notes.keys()')
    assert "main @ 12: dry run, 1 event not recorded" in proc.stdout
    assert "new" in proc.stdout
    assert "new" not in started("show", "notes", "--json").stdout


def test_show_within_a_budget_or_everything(cli: Cli) -> None:
    program = 'create_context("big"); ' + "; ".join(f'big.put(key="k{i}", value="{"v" * 60}")' for i in range(300))
    cli("run", "-", input=program)
    default = cli("show").stdout
    head, _, body = default.partition("\n")
    assert head == "main @ 301" and 8_000 < len(body.rstrip("\n")) <= 10_000 and "(300 keys)" in body
    small = cli("show", "big", "--max-chars", "400").stdout.partition("\n")[2].rstrip("\n")
    assert len(small) <= 400 and small.startswith("big (Container) ") and '"k0"' in small
    full = cli("show", "--full").stdout
    assert full.count('"v') == 300 and len(full) > 20_000
    for args, error in [
        (["--max-chars", "10"], "--max-chars must be at least 80, not 10"),
        (["--max-chars", "500", "--full"], "--max-chars N or --full, not both"),
        (["--json", "--full"], "--json is always complete"),
    ]:
        proc = cli("show", *args, ok=False)
        assert proc.returncode != 0 and error in proc.stderr


def test_log_shows_the_history(started: Cli) -> None:
    started("run", "-", input='notes.put(key="eggs", value=6)')
    proc = started("log")
    assert "main @ 13" in proc.stdout
    assert 'notes.put(key="eggs", value=6)' in proc.stdout
    entries = started.json("log")
    assert [e["version"] for e in entries] == [13, 12]
    assert entries[0]["actor"] == "human" and entries[0]["events"] == 1
    assert len(started.json("log", "--limit", "1")) == 1


def test_show_as_a_tree_at_a_version_and_as_json(started: Cli) -> None:
    tree = started("show").stdout
    assert "notes (Container)" in tree and "lit (Process)" in tree and "t1 (Task)" in tree
    assert started("show", "research.lit").stdout.count("(Task)") == 1
    started("run", "-", input='create_context("later"); notes.put(key="late", value=1)')
    old = started.json("show", "--at", "12")
    assert sorted(old) == ["composer", "notes", "research", "research.lit", "research.lit.t1"]
    assert "late" not in old["notes"]["state"]["data"] and "late" in started.json("show")["notes"]["state"]["data"]
    inside = started("show", "--at", "13", ok=False)  # inside the program that made versions 13-14
    assert inside.returncode == 1 and "inside the program that made versions 13-14; use 12 or 14" in inside.stderr
    proc = started("show", "nope", ok=False)
    assert proc.returncode == 1 and "did you mean" not in proc.stdout and "nope" in proc.stderr


def test_branch_checkout_branches_and_diff(started: Cli) -> None:
    assert "created branch what-if from main@12" in started("branch", "what-if").stdout
    assert started("diff", "main", "what-if").returncode == 0  # no differences: still 0
    assert "no differences" in started("diff", "main", "what-if").stdout
    assert "on branch what-if at version 12" in started("checkout", "what-if").stdout
    started("run", "-", input='notes.put(key="cheese", value=1); drop_context("research.lit")')
    branches = {b["name"]: b for b in started.json("branches")}
    assert branches["what-if"]["current"] and branches["what-if"]["version"] == 14
    assert branches["main"]["version"] == 12
    assert "*" in started("branches").stdout
    proc = started("diff", "main", "what-if")
    assert proc.returncode == 0
    assert '+ data["cheese"]: 1' in proc.stdout and "- research.lit (Process)" in proc.stdout
    d = started.json("diff", "main", "what-if")
    assert d["changed"]["notes"]["data"]["added"] == {"cheese": 1}
    assert started.json("diff", "12", "14")["changed"]  # versions of the current branch
    for refs in (("12", "13"), ("main@3", "what-if")):  # inside a program: refused
        assert "inside the program" in started("diff", *refs, ok=False).stderr
    inside = started("branch", "early", "--at", "3", ok=False)  # inside the quickstart, one program
    assert inside.returncode == 1 and "inside the program that made versions 1-12; use 0 or 12" in inside.stderr
    started("branch", "early", "--at", "0")
    assert {b["name"]: b["version"] for b in started.json("branches")}["early"] == 0


def test_global_branch_option_and_bad_branch(started: Cli) -> None:
    started("branch", "other")
    started("--branch", "other", "run", "-", input='notes.put(key="o", value=1)')
    assert "o" not in started.json("show", "notes")["notes"]["state"]["data"]  # main is still current
    assert "o" in started.json("--branch", "other", "show", "notes")["notes"]["state"]["data"]
    proc = started("--branch", "nope", "log", ok=False)
    assert proc.returncode == 1 and "no branch `nope`" in proc.stderr


def test_replay_rebuilds_a_version(started: Cli) -> None:
    started("run", "-", input='notes.put(key="late", value=1)')
    assert started("replay", "--to", "12", "--json").stdout == started("show", "--at", "12", "--json").stdout
    assert "inside the program that made versions 1-12" in started("replay", "--to", "3", ok=False).stderr
    assert "notes (Container)" in started("replay").stdout
    proc = started("replay", "--to", "99", ok=False)
    assert proc.returncode == 1 and "99" in proc.stderr


def test_export_and_import(started: Cli, tmp_path: Path) -> None:
    file = tmp_path / "run.jsonl"
    assert "exported 12 events of main@12" in started("export", str(file)).stdout
    other = Cli(tmp_path, f"sqlite:///{tmp_path}/other.db", subprocess=False)
    assert "imported branch main at version 12" in other("import", str(file)).stdout
    assert other("show", "--json").stdout == started("show", "--json").stdout
    proc = other("import", str(file), ok=False)  # the branch exists: refused, nothing changes
    assert proc.returncode == 1 and "already has a branch" in proc.stderr
    lines = file.read_text().splitlines()
    lines[2] = lines[2].replace('"research"', '"rezearch"')
    file.write_text("\n".join(lines) + "\n")
    third = Cli(tmp_path, f"lmdb:///{tmp_path}/third", subprocess=False)
    proc = third("import", str(file), ok=False)
    assert proc.returncode == 1 and proc.stderr.startswith("error:")
    assert third.json("log") == []


def test_fresh_runs_again_on_a_new_branch_without_deleting_anything(tmp_path: Path) -> None:
    cli = Cli(tmp_path, None, subprocess=False)  # the default store, ./.scint
    first = cli("run", "--fresh", str(QUICKSTART), "--log")
    assert "main @ 12: 12 events recorded" in first.stdout
    assert (tmp_path / ".scint").is_dir()
    second = cli("run", "--fresh", str(QUICKSTART))
    assert "quickstart @ 12: 12 events recorded" in second.stdout
    assert "new branch quickstart" in second.stderr
    cli("run", "--fresh", str(QUICKSTART))
    branches = {b["name"]: b for b in cli.json("branches")}
    assert sorted(branches) == ["main", "quickstart", "quickstart-2"]
    assert branches["quickstart-2"]["current"] and branches["main"]["version"] == 12
    assert [e["version"] for e in cli.json("log")] == [12]
    # A program that fails on an empty state creates no branch.
    proc = cli("run", "--fresh", "-", input='notes.put(key="x", value=1)', ok=False)
    assert proc.returncode == 1
    assert len(cli.json("branches")) == 3
    # Without --fresh, running the quickstart again is a ConflictError, reported, not hidden.
    proc = cli("run", str(QUICKSTART), ok=False)
    assert proc.returncode == 1 and "already" in proc.stderr


def test_store_from_the_environment(tmp_path: Path) -> None:
    cli = Cli(tmp_path, None, subprocess=False)
    env = {"SCINT_STORE": f"sqlite:///{tmp_path}/env.db"}
    cli("run", "-", input='create_context("n")', env=env)
    assert (tmp_path / "env.db").exists() and not (tmp_path / ".scint").exists()
    assert "n (Container)" in cli("show", env=env).stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--store", "nowhere", "log"], "is not a store URL"),
        (["--store", "ftp://x/y", "log"], "unknown store scheme"),
        (["run", "missing.scint"], "cannot read missing.scint"),
        (["show", "--at", "5"], "version 5 does not exist"),
        (["checkout", "bad name"], "branch name"),
    ],
)
def test_errors_go_to_stderr_without_a_traceback(tmp_path: Path, args: list[str], message: str) -> None:
    cli = Cli(tmp_path, None if args[0] == "--store" else f"lmdb:///{tmp_path}/s", subprocess=args[0] == "run")
    proc = cli(*args, ok=False)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: ") and message in proc.stderr


def test_fmt_prints_canonical_form(tmp_path: Path) -> None:
    cli = Cli(tmp_path, None, subprocess=False)
    assert cli("fmt", "-", input="notes.put( key='a',value = [1,2,] )").stdout == 'notes.put(key="a", value=[1, 2])\n'
    proc = cli("fmt", "-", input="notes.put(", ok=False)
    assert proc.returncode == 1 and "^" in proc.stderr and "<stdin>" in proc.stderr


def test_help_and_version(tmp_path: Path) -> None:
    cli = Cli(tmp_path, None)
    out = cli("--help").stdout
    for command in ("run", "repl", "log", "show", "branch", "checkout", "branches", "diff", "replay", "ask", "export"):
        assert f"  {command} " in out
    assert cli("--version").stdout.startswith("scint ")
    assert not (tmp_path / ".scint").exists()  # neither opened a store


# -- scint ask, against a loopback OpenAI-compatible server ---------------------------------------------------------


class FakeChat:
    """Answers /v1/chat/completions with scripted `scint` function-tool calls; records the requests."""

    def __init__(self, *programs: str) -> None:
        self.programs = list(programs)
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                fake.requests.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0)))))
                call = {"name": "scint", "arguments": json.dumps({"program": fake.programs.pop(0)})}
                message = {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"id": "c", "type": "function", "function": call}],
                }
                doc = {
                    "id": "x", "object": "chat.completion", "created": 0, "model": "fake-model",
                    "choices": [{"index": 0, "finish_reason": "tool_calls", "message": message}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }  # fmt: skip
                data = json.dumps(doc).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        self.env = {
            "OPENAI_BASE_URL": f"http://127.0.0.1:{self.httpd.server_address[1]}/v1",
            "OPENAI_API_KEY": "test",
            "SCINT_MODEL": "fake-model",
            "SCINT_LLM_API": "chat",
        }

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_ask_shows_the_program_and_runs_it(started: Cli) -> None:
    fake = FakeChat('notes.put(key="eggs", value=2)', 'notes.put(key="ham", value=1)', "notes.keys()")
    try:
        proc = started("ask", "put", "two eggs in my notes", env=fake.env)
        assert proc.stdout.splitlines()[0] == 'notes.put(key="eggs", value=2)'
        assert "main @ 13: 1 event recorded" in proc.stdout
        assert fake.requests[0]["messages"][-1]["content"] == "put two eggs in my notes"
        entry = started.json("log")[0]
        assert entry["actor"] == "llm:fake-model" and entry["source"] == 'notes.put(key="eggs", value=2)'
        proc = started("ask", "--dry-run", "add ham", env=fake.env)
        assert 'notes.put(key="ham", value=1)' in proc.stdout and "dry run, 1 event not recorded" in proc.stdout
        assert "ham" not in started.json("show", "notes")["notes"]["state"]["data"]
    finally:
        fake.close()


def test_ask_without_a_server_is_an_error_not_a_traceback(started: Cli) -> None:
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": "test"}
    proc = started("ask", "anything", env=env, ok=False)
    assert proc.returncode == 1 and proc.stderr.startswith("error: ")
