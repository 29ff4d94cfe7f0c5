"""The command line's edges: fmt keeping comments, `-` for export and import, user types from --import, Ctrl-C,
errors in command-line words, terminal escapes in stored values, the text encoding of programs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

import scint
from tests.support.cli import Cli, command

COMMENTED = "# a header comment \t \n" + """
notes.put( key='a',value = "x#y" )   # why: a trailing comment
notes.put(key="b",
   # inside the call
   value=2)


# on its own line
a.b(); c.d()  # after the last statement on the line
# the end"""

CANONICAL = """\
# a header comment

notes.put(key="a", value="x#y")  # why: a trailing comment
# inside the call
notes.put(key="b", value=2)

# on its own line
a.b()
c.d()  # after the last statement on the line
# the end
"""


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path, f"lmdb:///{tmp_path}/store", subprocess=False)


# -- fmt ----------------------------------------------------------------------------------------------------------


def test_fmt_keeps_comments_and_blank_lines(cli: Cli) -> None:
    assert cli("fmt", "-", input=COMMENTED).stdout == CANONICAL
    assert cli("fmt", "-", input=CANONICAL).stdout == CANONICAL
    assert scint.parse(CANONICAL) == scint.parse(COMMENTED)


@pytest.mark.parametrize("subprocess", [False, True])
def test_fmt_check_and_write(tmp_path: Path, subprocess: bool) -> None:
    cli = Cli(tmp_path, None, subprocess=subprocess)
    file = tmp_path / "p.scint"
    file.write_text(COMMENTED, encoding="utf-8")
    proc = cli("fmt", "--check", str(file), ok=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert f"{file} is not in canonical form" in proc.stderr
    assert file.read_text(encoding="utf-8") == COMMENTED  # --check writes nothing
    assert cli("fmt", "--write", str(file)).stdout == ""
    assert file.read_text(encoding="utf-8") == CANONICAL
    assert cli("fmt", "--check", str(file)).stderr == ""
    assert cli("fmt", str(file)).stdout == CANONICAL  # plain fmt prints
    assert [p.name for p in tmp_path.iterdir() if p.name != "p.scint"] == []  # no temporary file left behind


def test_fmt_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    cli = Cli(tmp_path, None, subprocess=False)
    file = tmp_path / "bad.scint"
    file.write_text("notes.put(\n", encoding="utf-8")
    proc = cli("fmt", "--write", str(file), ok=False)
    assert proc.returncode == 1 and "missing ')'" in proc.stderr
    assert file.read_text(encoding="utf-8") == "notes.put(\n"  # an invalid file is left alone
    assert "not both" in cli("fmt", "--check", "--write", str(file), ok=False).stderr
    assert "standard input" in cli("fmt", "--write", "-", input="a.b()", ok=False).stderr


# -- - for standard input and output --------------------------------------------------------------------------------


@pytest.mark.parametrize("subprocess", [False, True])
def test_export_to_stdout_and_import_from_stdin(tmp_path: Path, subprocess: bool) -> None:
    cli = Cli(tmp_path, f"sqlite:///{tmp_path}/a.db", subprocess=subprocess)
    cli("run", "-", input='create_context("n"); n.put(key="k", value=[1, "é"])')
    proc = cli("export", "-")
    lines = proc.stdout.splitlines()
    assert json.loads(lines[0])["format"].startswith("scint-history") and len(lines) == 4
    assert "exported 2 events of main@2 to <stdout>" in proc.stderr  # the report stays off the data
    other = Cli(tmp_path, f"lmdb:///{tmp_path}/b", subprocess=subprocess)
    assert "imported branch main at version 2" in other("import", "-", input=proc.stdout).stdout
    assert other("show", "--json").stdout == cli("show", "--json").stdout
    bad = other("import", "-", input=proc.stdout.replace('"k"', '"K"'), ok=False)
    assert bad.returncode == 1 and "checksum does not match" in bad.stderr


# -- store URLs ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///"])
def test_a_sqlite_url_without_a_file_is_refused(tmp_path: Path, url: str) -> None:
    proc = Cli(tmp_path, url, subprocess=False)("run", "-", input='create_context("n")', ok=False)
    assert proc.returncode == 1 and "names no database file" in proc.stderr and "sqlite:///:memory:" in proc.stderr


# -- user types from the command line -----------------------------------------------------------------------------

TYPES = '''
import os
import sys

import scint


@scint.register
class CliTally(scint.Context):
    """Counts, and can be made to wait (for the Ctrl-C test)."""

    n: int = 0

    @scint.action
    def incr(self, by: int = 1, wait: str | None = None) -> int:
        """Add `by`; with `wait`, first say so on stderr and block until the named pipe has a writer."""
        if wait is not None:
            print("waiting", file=sys.stderr, flush=True)
            with open(wait) as fifo:
                fifo.read()
        self.n += by
        return self.n
'''


@pytest.fixture
def typed(tmp_path: Path) -> Cli:
    (tmp_path / "tallytypes.py").write_text(TYPES, encoding="utf-8")
    (tmp_path / "broken.py").write_text("raise ValueError('not today')\n", encoding="utf-8")
    return Cli(tmp_path, f"lmdb:///{tmp_path}/store", subprocess=True)  # a fresh registry per command


def test_import_option_and_environment_register_user_types(typed: Cli) -> None:
    program = 'create_context("t", type="CliTally"); t.incr(by=2)'
    missing = typed("run", "-", input=program, ok=False)
    assert "no context type `CliTally`" in missing.stderr and "--import" in missing.stderr
    assert typed("--import", "tallytypes", "run", "-", input=program).stdout.splitlines()[-1].endswith("recorded")
    assert typed("run", "-", input="t.incr(by=3)", env={"SCINT_IMPORT": " os , tallytypes"}).stdout
    assert typed.json("show", "t", env={"SCINT_IMPORT": "tallytypes"})["t"]["state"] == {"n": 5}
    assert typed.json("--import", "tallytypes", "--import", "os", "show", "t")["t"]["state"] == {"n": 5}
    for args, message in [
        (["--import", "no_such_module"], "--import no_such_module: no module named 'no_such_module'"),
        (["--import", "broken"], "--import broken: importing it failed: ValueError: not today"),
        (["--import", "../x"], "not a module name"),
    ]:
        proc = typed(*args, "log", ok=False)
        assert proc.returncode == 1 and message in proc.stderr


def test_reading_commands_work_without_the_type_and_writing_says_how_to_load_it(typed: Cli, tmp_path: Path) -> None:
    typed("--import", "tallytypes", "run", "-", input='create_context("t", type="CliTally"); create_context("n")')
    typed("--import", "tallytypes", "run", "-", input="t.incr(by=4)")
    shown = typed("show")
    assert "t (CliTally)" in shown.stdout and "n (Container)" in shown.stdout
    assert "not loaded here: CliTally" in shown.stderr and "--import MODULE" in shown.stderr
    assert [e["version"] for e in typed.json("log")] == [3, 2]
    assert typed.json("branches")[0]["name"] == "main"
    assert len(typed("export", "-").stdout.splitlines()) == 5
    for program in ("t.incr()", 'n.put(key="k", value=1)'):
        proc = typed("run", "-", input=program, ok=False)
        assert proc.returncode == 1 and "`CliTally` is not registered here" in proc.stderr
        assert "--import MODULE or SCINT_IMPORT" in proc.stderr and "Python:" not in proc.stderr
    assert typed.json("show", "t", env={"SCINT_IMPORT": "tallytypes"})["t"]["state"] == {"n": 4}


# -- Ctrl-C -------------------------------------------------------------------------------------------------------


def test_ctrl_c_during_run_says_the_program_was_not_recorded(typed: Cli, tmp_path: Path) -> None:
    typed("--import", "tallytypes", "run", "-", input='create_context("t", type="CliTally"); t.incr()')
    fifo = tmp_path / "go"
    os.mkfifo(fifo)
    program = tmp_path / "slow.scint"
    program.write_text(f't.incr(by=10)\nt.incr(by=1, wait="{fifo}")\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("SCINT_STORE", "SCINT_DEBUG")}
    proc = subprocess.Popen(
        [*command(), "--store", typed.store, "--import", "tallytypes", "run", str(program)],
        cwd=tmp_path,
        env={**env, "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        assert proc.stderr.readline().strip() == "waiting"  # the program is inside its second statement
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert "interrupted: the program was not recorded (main is at version 2)" in err
    assert "Traceback" not in err and out == ""
    assert typed.json("show", "t", env={"SCINT_IMPORT": "tallytypes"})["t"]["state"] == {"n": 1}


def test_interrupted_says_when_the_program_was_recorded(tmp_path: Path) -> None:
    from scint.cli.app import _interrupted

    with scint.open(f"sqlite:///{tmp_path}/s.db") as s:
        text = 'create_context("n")\nn.put(key="a", value=1)\n'
        s.run(text)
        recorded = "interrupted: the program was recorded (main @ 2); its output was cut short"
        assert _interrupted(s, text, 0, False) == recorded
        assert "was not recorded (main is at version 2)" in _interrupted(s, "other.thing()", 2, False)
        assert "dry run" in _interrupted(s, text, 0, True)


# -- errors in the command line's words ---------------------------------------------------------------------------


def test_errors_speak_the_command_line(cli: Cli, tmp_path: Path) -> None:
    proc = cli("checkout", "nosuch", ok=False)
    assert proc.stderr == "error: there is no branch `nosuch`; the branches are: main\n"
    assert "history." not in cli("branch", "x", "--at", "5", ok=False).stderr
    assert cli("log", "-n", "-1", ok=False).stderr == "error: --limit must be zero or more\n"
    cli("run", "-", input='create_context("n")')
    cli("export", str(tmp_path / "e.jsonl"))
    again = cli("import", str(tmp_path / "e.jsonl"), ok=False).stderr
    assert "pass --branch NAME" in again and "branch=" not in again
    env = {"OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""}
    asked = cli("ask", "anything", ok=False, env=env).stderr
    assert "OPENAI_API_KEY" in asked and "provider=" not in asked and "session.llm" not in asked


# -- what reaches the terminal ------------------------------------------------------------------------------------

HOSTILE = ["\x1b[2J", "\x9b31m", "\x07", "\x1b]0;title\x07", "\u202eevil"]


@pytest.mark.parametrize("subprocess", [False, True])
def test_control_characters_in_values_are_escaped_not_echoed(tmp_path: Path, subprocess: bool) -> None:
    cli = Cli(tmp_path, f"lmdb:///{tmp_path}/store", subprocess=subprocess)
    values = json.dumps({f"k{i}{v}": v for i, v in enumerate(HOSTILE)})
    program = f'create_context("n")\nn.put(key="x\\u001b[2J", value={values})\nn.get(key="x\\u001b[2J")\n'
    outputs = [cli("run", "-", input=program)]
    cli("branch", "b")
    cli("--branch", "b", "run", "-", input='n.put(key="x\\u001b[2J", value="\\u009b")')
    for args in (["show"], ["show", "--json"], ["log"], ["log", "--json"], ["diff", "main", "b"]):
        outputs.append(cli(*args))
    outputs.append(cli("run", "-", input='n.get(key="\\u001bnope")', ok=False))
    for proc in outputs:
        for text in (proc.stdout, proc.stderr):
            assert not any(ch in text for ch in "\x1b\x9b\x07\u202e"), repr(text)
    assert "\\u001b[2J" in outputs[1].stdout
    assert json.loads(outputs[2].stdout)["n"]["state"]["data"]["x\x1b[2J"] == json.loads(values)


def _run_bytes(cli: Cli, data: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("SCINT_STORE", "SCINT_DEBUG")}
    argv = [*command(), "--store", str(cli.store), *args]
    return subprocess.run(argv, input=data, capture_output=True, cwd=cli.cwd, env=env, timeout=60)


def test_a_byte_order_mark_is_accepted_and_invalid_utf8_is_named(tmp_path: Path) -> None:
    cli = Cli(tmp_path, f"lmdb:///{tmp_path}/store", subprocess=True)
    bom = b"\xef\xbb\xbf"
    assert _run_bytes(cli, bom + b'create_context("n")\n', "run", "-").returncode == 0
    (tmp_path / "p.scint").write_bytes(bom + 'n.put(key="é", value=1)\n'.encode())
    assert cli("run", "p.scint").stdout.splitlines()[-1] == "main @ 2: 1 event recorded"
    assert cli("fmt", "p.scint").stdout == 'n.put(key="é", value=1)\n'
    for data, offset in ((b'n.put(key="\xff")', 11), (b"a.b()\n\xc3(", 6), (b"\xed\xa0\x80", 0)):
        proc = _run_bytes(cli, data, "run", "-")
        err = proc.stderr.decode()
        assert proc.returncode == 1 and "Traceback" not in err
        assert f"<stdin> is not valid UTF-8: byte 0x{data[offset]:02x} at offset {offset}" in err
        (tmp_path / "bad.scint").write_bytes(data)
        assert "bad.scint is not valid UTF-8" in cli("fmt", "bad.scint", ok=False).stderr
    assert [e["version"] for e in cli.json("log")] == [2, 1]
