"""The README's examples run and say what they print.

- The first block holds exactly the two set-up commands. The first one's Scint part (after the install) runs twice
  in a temporary copy of examples/ with the installed `scint` (the venv and pip install are what scripts/test.sh
  already did).
- ```python blocks run in a subprocess from a temporary directory; a `print(...)  # text` line must print text
  (a leading `...` means "ends with").
- The ```ipython block runs in a real InteractiveShell.
- Later ```bash blocks run with `bash -e`, in order, in one temporary copy of examples/ with the default store.
- ```sh blocks need a model service and are only checked to name real commands and variables.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
BLOCKS = [(m.group(1), m.group(2)) for m in re.finditer(r"^```(\w*)[^\n]*\n(.*?)^```", README, re.M | re.S)]
BIN = Path(sys.executable).parent


def blocks(kind: str) -> list[str]:
    return [text for k, text in BLOCKS if k == kind]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCINT_", "OPENAI_")) and k != "PYTHONPATH"}
    env.update({"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "NO_COLOR": "1", "COLUMNS": "200"})
    return env


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    return tmp_path


def test_the_readme_starts_with_the_two_commands() -> None:
    kind, text = BLOCKS[0]
    assert README.index("```") < README.index("\n## ")
    assert kind == "bash"
    first, second = text.strip().splitlines()
    assert first.startswith("python3.11 -m venv .venv && .venv/bin/pip install -q -e . && ")
    assert second == "bash scripts/test.sh"
    assert (REPO / "scripts" / "test.sh").exists()


def test_the_main_command_runs_the_quickstart_and_shows_its_history_twice(workdir: Path) -> None:
    first = BLOCKS[0][1].strip().splitlines()[0]
    scint_part = first.split(" && ", 2)[2].replace(".venv/bin/", "")
    assert scint_part.startswith("scint run --fresh examples/quickstart.scint")
    for run, branch in ((1, "main"), (2, "quickstart")):
        proc = subprocess.run(
            ["bash", "-ec", scint_part], cwd=workdir, env=_env(), capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, proc.stderr
        assert f"{branch} @ 12: 12 events recorded" in proc.stdout, run
        assert re.search(r"^\s*12\s+\S+ \S+\s+human\s+12\s+create_context", proc.stdout, re.M)  # the log
    assert (workdir / ".scint").is_dir()


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_blocks(index: int, tmp_path: Path) -> None:
    code = blocks("python")[index]
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    for expected in re.findall(r"^\s*print\(.*\)\s+#\s*(.+?)\s*$", code, re.M):
        if expected.startswith("..."):
            assert any(line.endswith(expected[3:].strip()) for line in proc.stdout.splitlines()), expected
        else:
            assert expected in proc.stdout.splitlines(), (expected, proc.stdout)


def test_ipython_block(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    [code] = blocks("ipython")
    ip = InteractiveShell.instance()
    try:
        for line in code.strip().splitlines():
            outcome = ip.run_cell(line)
            assert outcome.success, (line, outcome.error_in_exec)
        assert ip.user_ns["milk"] == 2
        out = capsys.readouterr().out
        assert "notes (Container)" in out and "main @ 2" in out
    finally:
        ip.magics_manager.registry["ScintMagics"].close()
        ip.run_line_magic("config", 'ScintMagics.store = ""')


def test_bash_blocks_of_the_tour(workdir: Path) -> None:
    script = "\n".join(blocks("bash")[1:])
    assert "scint run examples/containers.scint" in script and "scint replay --to 12" in script
    proc = subprocess.run(
        ["bash", "-e"], input=script, cwd=workdir, env=_env(), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "a syntax error: the caret is on stderr" in proc.stdout
    assert "^" in proc.stderr and "Traceback" not in proc.stderr
    assert '+ data["cheese"]: 1' in proc.stdout
    assert "version 5 of what-if is inside the program that made versions 1-12; use 0 or 12" in proc.stderr
    assert "a state nobody saw" in proc.stdout
    assert (workdir / "what-if.jsonl").exists() and (workdir / "copy.db").exists()


def test_sh_blocks_name_real_commands_and_settings() -> None:
    text = "\n".join(blocks("sh"))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SCINT_MODEL", "SCINT_LLM_API", "scint ask", "--dry-run"):
        assert name in text
    assert "gpt-5-mini" in text
    from scint.llm.openai_provider import DEFAULT_MODEL

    assert DEFAULT_MODEL == "gpt-5-mini"


def test_links_point_to_files_that_exist() -> None:
    for target in re.findall(r"\]\(([^)#:]+)\)", README):
        assert (REPO / target).exists(), target
