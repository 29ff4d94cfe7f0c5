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

import scint

REPO = Path(__file__).resolve().parent.parent
PROGRAMS = sorted((REPO / "examples").glob("*.scint"))
SCRIPTS = sorted((REPO / "examples").glob("*.py"))
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
AGENTS_DEMO = Path("examples", "agents", "demo.py")
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
    assert (REPO / AGENTS_DEMO).is_file()


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


@pytest.mark.parametrize("store", ["default", "sqlite"])
def test_the_agents_demo_leaves_a_store_a_person_can_inspect(store: str, copy: Path) -> None:
    """examples/agents/demo.py: processes on a scripted model and Python backends, a person answering and approving
    through the real command line on the same store, and a replay that calls nobody."""
    args = [f"sqlite:///{copy}/demo.db"] if store == "sqlite" else []  # default: a new LMDB store under $TMPDIR
    env = {**_env(), "TMPDIR": str(copy)}
    proc = subprocess.run(
        [sys.executable, str(AGENTS_DEMO), *args], cwd=copy, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "m4  query from desk.librarian to desk.librarian.checker [waiting for your reply]" in out
    assert "$ scint reply m4 'yes, one note per paper'\nsent m5\n" in out
    assert "$ scint approve p1\napproved p1: applied at version " in out
    assert "desk.reader: done after 1 step: the librarian says: both are noted on the shelf" in out
    lines = out.splitlines()
    assert lines[-3:-1] == ["model calls: 7, backend calls: 4", "replay equals the live view: True, with 0 calls"]
    url = lines[-1].removeprefix("store: ")
    assert url == args[0] if args else url.startswith(f"lmdb:///{copy}/scint-demo-")
    with scint.open(url) as s:  # what the demo left, as `scint --store URL ...` shows it
        view = s.view()
        shelf = view.get("shelf")["data"]
        assert (shelf["survey"], shelf["caps"]) == ("arXiv:2101.00001", "arXiv:1702.00002")
        [proposal] = s.proposals(status=None)
        assert proposal["status"] == "approved" and proposal["proposer"] == "process:desk.librarian"
        [answer] = [m for m in s.inbox("desk.librarian", unread=False) if m["id"] == "m5"]
        assert answer["from"] == "desk.librarian.checker" and answer["content"] == "yes, one note per paper"
        assert view.get("desk.reader")["answer"] == "the librarian says: both are noted on the shelf"
        assert [m["id"] for m in s.inbox()] == [] and s.replay().to_json() == view.to_json()


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
