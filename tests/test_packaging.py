"""The wheel carries the grammar as package data, and an installed Scint reads it from there."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    (built,) = out.glob("scint-*.whl")
    return built


def test_the_wheel_contains_the_grammar(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        assert "scint/grammar/scint.lark" in names
        assert zf.read("scint/grammar/scint.lark") == (ROOT / "grammar" / "scint.lark").read_bytes()
        assert "scint/dsl/parser.py" in names
        schema = "scint/agents/scint.schema.json"  # the published JSON Schema of scint.toml
        assert zf.read(schema) == (ROOT / schema).read_bytes()
        for asset in ("scint.js", "scint.css", "favicon.svg"):  # the web view's assets: no CDN, no build step
            path = f"scint/ui/static/{asset}"
            assert zf.read(path) == (ROOT / path).read_bytes()


def test_the_installed_package_reads_the_grammar_from_package_data(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    probe = (
        "import scint, scint.dsl.grammar as g; "
        "print(scint.__file__); print(g.grammar_path()); "
        "print(len(scint.parse('a.b(1)').statements))"
    )
    # The installed copy first, then the dependencies of this environment (but not the source checkout).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    deps = [p for p in sys.path if p and Path(p).resolve() != ROOT and "site-packages" in p]
    env["PYTHONPATH"] = os.pathsep.join([str(target), *deps])
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path[:0] = {[str(target), *deps]!r}; {probe}"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    module, grammar, count = result.stdout.split("\n")[:3]
    assert Path(module).resolve().is_relative_to(target.resolve())
    assert Path(grammar).resolve() == (target / "scint" / "grammar" / "scint.lark").resolve()
    assert Path(grammar).read_bytes() == (ROOT / "grammar" / "scint.lark").read_bytes()
    assert count == "1"
