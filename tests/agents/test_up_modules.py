"""`modules = [...]` in scint.toml (SPEC section 9): `up` loads them into the session before it checks the file's
names (a module may bring the types it declares), records which it asked for, and refuses a missing or circular
module as a ConfigError at the `modules` line, loading nothing and writing nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import scint
from scint.errors import ConfigError
from scint.modules import Module, register_module
from tests.modules.conftest import clean_registry  # noqa: F401 - autouse: what a test registers is forgotten
from tests.modules.test_loading import Journal  # a type a module brings


def _file(tmp_path: Path, modules: str) -> Path:
    path = tmp_path / "scint.toml"
    path.write_text(f'schema = 1\nmodules = {modules}\n\n[contexts.shelf]\ntype = "Journal"\n', encoding="utf-8")
    return path


def test_the_files_modules_are_loaded_and_recorded(session: scint.Session, tmp_path: Path) -> None:
    calls: list[Any] = []
    register_module(Module("library", types=[Journal], init=lambda s: calls.append(s)))
    register_module(Module("books", requires=["library"]))
    path = _file(tmp_path, '["books"]')
    planned = session.up(path, plan=True)  # plan loads them (their types are needed to check it), records nothing
    assert [str(c) for c in planned.changes] == ["+ shelf"] and session.version == 0 and calls == [session]
    report = session.up(path)
    assert report.modules == ("books",) and session.view().type_of("shelf") == "Journal"
    assert session.log(limit=1)[0].request["modules"] == ["books"]
    assert calls == [session]  # loaded once per session
    assert session.up(path).up_to_date


@pytest.mark.parametrize(
    ("modules", "message"),
    [
        ('["librar"]', r"scint\.toml:2: modules: no module `librar` is installed \(did you mean `library`"),
        ('["loop_a"]', r"scint\.toml:2: modules: modules loop_a -> loop_b -> loop_a form a cycle"),
        ('["needs_missing"]', r"scint\.toml:2: modules: module `needs_missing` requires `gone`, which is not"),
    ],
)
def test_a_missing_or_circular_module_is_a_config_error_at_its_line(
    session: scint.Session, tmp_path: Path, modules: str, message: str
) -> None:
    calls: list[str] = []
    register_module(Module("library", types=[Journal], init=lambda s: calls.append("library")))
    register_module(Module("loop_a", requires=["loop_b"], init=lambda s: calls.append("a")))
    register_module(Module("loop_b", requires=["loop_a"], init=lambda s: calls.append("b")))
    register_module(Module("needs_missing", requires=["library", "gone"]))
    with pytest.raises(ConfigError, match=message):
        session.up(_file(tmp_path, modules))
    assert calls == [] and session.version == 0 and session.modules == ()
