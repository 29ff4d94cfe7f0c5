"""Fixtures for modules: a clean registry per test, and tiny installed distributions (a `*.dist-info` directory
with `entry_points.txt` on sys.path is all importlib.metadata needs), so entry points are tested without pip."""

from __future__ import annotations

import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scint.contexts import registry as types_registry
from scint.modules import registry


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    """Modules, backends and context types registered by a test are forgotten after it."""
    modules, backends, types = dict(registry._MODULES), dict(registry._BACKENDS), dict(types_registry._TYPES)
    registry.refresh()
    yield
    registry._MODULES.clear()
    registry._MODULES.update(modules)
    registry._BACKENDS.clear()
    registry._BACKENDS.update(backends)
    types_registry._TYPES.clear()
    types_registry._TYPES.update(types)
    registry.refresh()


Distribution = Callable[..., str]


def write_distribution(
    root: Path, source: str, modules: dict[str, str] | None = None, backends: dict[str, str] | None = None
) -> str:
    """Write a module file and its `*.dist-info` under `root`; entry points name objects in it (`obj` ->
    `pkg:obj`). Returns the package's (unique) name."""
    package = "scint_ext_" + uuid.uuid4().hex[:10]
    (root / f"{package}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = root / f"{package}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.1\n", encoding="utf-8")
    lines = []
    for group, entries in (("scint.modules", modules), ("scint.backends", backends)):
        if entries:
            lines.append(f"[{group}]")
            lines += [f"{name} = {obj if ':' in obj else f'{package}:{obj}'}" for name, obj in entries.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return package


@pytest.fixture
def distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Distribution]:
    """`distribution(source, modules={name: obj}, backends={name: obj})` installs a tiny distribution for the test."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))  # also invalidates the import caches
    written: list[str] = []

    def install(source: str, modules: dict[str, str] | None = None, backends: dict[str, str] | None = None) -> str:
        package = write_distribution(root, source, modules, backends)
        written.append(package)
        registry.refresh()
        return package

    yield install
    for package in written:
        sys.modules.pop(package, None)
