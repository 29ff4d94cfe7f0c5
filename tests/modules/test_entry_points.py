"""Installed modules and backends come from the `scint.modules` / `scint.backends` entry-point groups (a tiny
distribution written for each test), read lazily; `scint modules` lists them and module commands run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import scint
from scint.cli import app
from scint.modules import get_backend, installed, registered_backends
from tests.modules.conftest import Distribution, write_distribution

NOTES = """
import scint

class Note(scint.Context):
    '''A note.'''
    text: str = ""

def init(session):
    session.run('create_context("opened", type="Container")')

def hello(name: str = "world") -> None:
    '''Say hello.'''
    print(f"hello {name}")

base = scint.Module("base")
notes = scint.Module("notes", requires=["base"], init=init, types=[Note], commands={"hello": hello})

def echo(message, view):
    return str(message)
"""


def test_entry_point_modules_are_discovered_and_load_by_name(distribution: Distribution) -> None:
    package = distribution(NOTES, modules={"base": "base", "notes": "notes"}, backends={"echo": "echo"})
    found = installed()
    assert found["notes"].module is sys.modules[package].notes
    assert found["notes"].source == f"entry point notes = {package}:notes ({package} 0.1)"
    with scint.open("memory://", modules=["notes"]) as s:
        assert s.modules == ("base", "notes")
        s.run('create_context("n", type="Note")')
        assert s.run("opened.keys()").value == []
    assert get_backend("echo") is sys.modules[package].echo
    assert "echo" in registered_backends()


@pytest.mark.parametrize(
    ("source", "entry", "problem"),
    [
        ("raise ImportError('no such')", "m", "its entry point `{p}:m` failed to load: ImportError: no such"),
        ("m = 42", "m", "its entry point `{p}:m` names int, not a scint.Module"),
        ("import scint\nm = scint.Module('other')", "m", "its entry point `{p}:m` holds the module `other`"),
        ("import scint\nm = scint.Module('x', requires='y')", "m", "`requires` is a list of module names, not str"),
    ],
)
def test_a_broken_entry_point_is_listed_with_its_problem_and_named_when_asked_for(
    distribution: Distribution, source: str, entry: str, problem: str
) -> None:
    package = distribution(source, modules={"x": entry})
    found = installed()["x"]
    assert found.module is None and problem.format(p=package) in (found.problem or "")
    with pytest.raises(scint.ModuleError, match=r"^module `x` cannot be loaded: "):
        scint.open("memory://", modules=["x"])
    with scint.open("memory://") as s:  # not named, not autoload: a broken module does not stop a session
        assert s.modules == ()


def test_a_broken_backend_entry_point_is_named(distribution: Distribution) -> None:
    distribution("f = 3\ndef g(m, v):\n    return 'g'\n", backends={"f": "f", "g": "g", "h": "nope_missing_pkg:h"})
    assert list(registered_backends()) == ["g"]
    with pytest.raises(scint.ModuleError, match=r"backend `f` cannot be used: .* names int, not a function"):
        get_backend("f")
    with pytest.raises(scint.ModuleError, match=r"backend `h` cannot be used: .* ModuleNotFoundError"):
        get_backend("h")


def test_an_in_process_registration_wins_over_an_entry_point(distribution: Distribution) -> None:
    distribution(NOTES, modules={"base": "base"}, backends={"echo": "echo"})
    mine = scint.register_module(scint.Module("base", autoload=True))
    assert installed()["base"].module is mine and installed()["base"].source == "registered"
    scint.register_backend("echo", len)
    assert get_backend("echo") is len


def test_import_scint_reads_no_entry_points() -> None:
    code = (
        "import importlib.metadata as m; calls = []; real = m.entry_points\n"
        "m.entry_points = lambda **k: calls.append(k) or real(**k)\n"
        "import scint, scint.cli; print(len(calls))\n"
        "scint.open('memory://').close(); print(len(calls))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "0" and int(out[1]) >= 1


# -- the command line ---------------------------------------------------------------------------------------------


def _scint(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "scint.cli", "--store", "memory://", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=site,
        timeout=120,
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    return root


def test_scint_modules_lists_what_is_installed_and_the_load_order(site: Path) -> None:
    package = write_distribution(site, NOTES, modules={"notes": "notes", "base": "base"})
    proc = _scint(site, "modules")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["name", "requires", "types", "backends", "commands", "autoload", "source"]
    assert lines[1].split()[:2] == ["base", "entry"]
    assert lines[2].split()[:4] == ["notes", "base", "Note", "hello"]
    assert f"{package}:notes" in lines[2]
    assert lines[-1] == "load order: base -> notes"
    data = json.loads(_scint(site, "modules", "--json").stdout)
    assert data["load_order"] == ["base", "notes"] and data["problems"] == []
    assert data["modules"][1] | {"source": ""} == {
        "name": "notes",
        "requires": ["base"],
        "types": ["Note"],
        "backends": [],
        "commands": ["hello"],
        "autoload": False,
        "source": "",
        "problem": None,
    }


def _modules_in_process(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--store", "memory://", "modules", *args])
    return result.exit_code, result.stdout, result.stderr


def test_scint_modules_names_every_cycle_and_missing_dependency(distribution: Distribution) -> None:
    source = """
    import scint
    a = scint.Module("a", requires=["b"])
    b = scint.Module("b", requires=["a"])
    c = scint.Module("c", requires=["zz"])
    d = scint.Module("d", requires=["c"])
    e = scint.Module("e")
    """
    distribution(source, modules={n: n for n in "abcde"})
    code, stdout, stderr = _modules_in_process()
    assert code == 1
    assert stderr.splitlines() == [
        "error: modules a -> b -> a form a cycle",
        "error: module `c` requires `zz`, which is not installed; installed: a, b, c, d, e",
    ]
    assert stdout.splitlines()[-1] == "load order: e"
    assert _modules_in_process("--json")[1].count('"problems"') == 1
    with scint.open("memory://") as s:  # nothing named, nothing autoloaded: the broken ones do not stop work
        assert s.modules == ()


def test_scint_modules_with_nothing_installed() -> None:
    code, stdout, _ = _modules_in_process()
    assert code == 0 and stdout.strip() == "no modules are installed (entry-point group `scint.modules`)"


def test_a_module_command_runs_as_scint_name_and_cannot_take_a_built_in(site: Path) -> None:
    source = NOTES + "\nclash = scint.Module('clash', commands={'run': hello})\n"
    write_distribution(site, source, modules={"notes": "notes", "base": "base", "clash": "clash"})
    proc = _scint(site, "hello", "--name", "modules")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "hello modules"
    assert "warning: module `clash`: `scint run` is taken; its command is not added" in proc.stderr
    assert "hello" in _scint(site, "--help").stdout
