"""Every example and notebook runs, as a user would run it: `scint run` on a fresh store for each
examples/*.scint; each examples/*.py and notebooks/*.ipynb from a temporary copy of those two folders, offline, with
only the installed package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PROGRAMS = sorted((REPO / "examples").glob("*.scint"))
SCRIPTS = sorted((REPO / "examples").glob("*.py"))
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
SCINT = Path(sys.executable).with_name("scint")


def _env() -> dict[str, str]:
    """No path into the repository, no store or model from the environment, no network service."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCINT_", "OPENAI_", "PYTHONPATH"))}
    env.update({"NO_COLOR": "1", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": "offline"})
    return env


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for folder in ("examples", "notebooks"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    return tmp_path


def test_there_is_something_for_each_feature() -> None:
    names = {p.name for p in [*PROGRAMS, *SCRIPTS, *NOTEBOOKS]}
    assert {"quickstart.scint", "containers.scint", "tasks.scint", "composer.scint", "history.scint"} <= names
    assert {"custom_type.py", "branches.py", "llm_mock.py", "errors.py"} <= names
    assert {"quickstart.ipynb", "llm.ipynb"} <= names


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.name)
def test_program_runs_on_a_fresh_store(program: Path, copy: Path) -> None:
    command = [str(SCINT)] if SCINT.exists() else [sys.executable, "-m", "scint.cli"]
    proc = subprocess.run(
        [*command, "--store", f"lmdb:///{copy}/store", "run", f"examples/{program.name}"],
        cwd=copy,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert " events recorded" in proc.stdout.splitlines()[-1]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_script_runs_from_a_copy(script: Path, copy: Path) -> None:
    proc = subprocess.run(
        [sys.executable, f"examples/{script.name}"], cwd=copy, env=_env(), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()
    assert not (copy / ".scint").exists()  # the examples leave no store behind


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_from_a_copy(notebook: Path, copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    for key in list(os.environ):
        if key.startswith(("SCINT_", "OPENAI_")) or key == "PYTHONPATH":
            monkeypatch.delenv(key)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "offline")
    path = copy / "notebooks" / notebook.name
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()  # raises CellExecutionError if a cell not tagged raises-exception fails
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert any("text/html" in o.get("data", {}) for o in outputs)  # rich display in Jupyter
    for o in outputs:
        if o["output_type"] == "error":  # only the tagged cells, and without a Python traceback
            assert o["ename"].endswith("Error") and "Traceback" not in "\n".join(o["traceback"])
