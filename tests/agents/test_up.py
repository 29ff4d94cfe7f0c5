"""`scint up` / Session.up (SPEC section 9): one atomic program per change of the file, nothing when up to date."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scint
from scint.errors import BadArguments, ConfigError, ScintError
from tests.test_cli import Cli

GOLDEN = Path(__file__).parent / "golden"
FILES = sorted(p.name for p in GOLDEN.glob("*.toml"))


@pytest.mark.parametrize("name", FILES)
def test_a_file_becomes_one_recorded_program(session: scint.Session, name: str) -> None:
    path = GOLDEN / name
    report = session.up(path)
    entry = session.log(limit=1)[0]
    assert entry.source == (GOLDEN / name).with_suffix(".scint").read_text(encoding="utf-8")
    assert entry.actor == f"file:{name}"
    assert entry.request == {"file": name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    assert entry.events == len(report.changes) and report.result is not None
    version, programs = session.version, len(session.log())
    again = session.up(path)
    assert again.up_to_date and str(again).splitlines()[0] == f"{name}: up to date"
    assert (session.version, len(session.log())) == (version, programs)


def test_plan_writes_nothing_and_says_what_would_change(session: scint.Session) -> None:
    report = session.up(GOLDEN / "spec.toml", plan=True)
    assert [str(c) for c in report.changes] == ["+ notes", "+ research", "+ research.lit"]
    assert "would change 3 contexts" in str(report) and report.result is None
    assert session.version == 0 and session.log() == []


def test_a_changed_declaration_is_configured_and_nothing_else(session: scint.Session, tmp_path: Path) -> None:
    shutil.copytree(GOLDEN, tmp_path / "g")
    path = tmp_path / "g" / "team.toml"
    session.up(path)
    session.run('board.post(role="user", content="hello"); create_context("mine", type="Container")')
    text = path.read_text(encoding="utf-8")
    text = text.replace('backend = "human"', 'backend = "llm"\ncan = ["board.*"]').replace("steps = 100", "steps = 5")
    path.write_text(text, encoding="utf-8")
    (tmp_path / "g" / "prompts" / "lead.md").write_text("Lead.\n", encoding="utf-8")
    planned = session.up(path, plan=True)
    assert [str(c) for c in planned.changes] == ["~ board.lead: system, budget", "~ board.lead.scout: backend, can"]
    session.up(path)
    assert session.log(limit=1)[0].source == (
        'board.lead.configure(settings={"system": "Lead.\\n", "budget": {"steps": 5}})\n'
        'board.lead.scout.configure(settings={"backend": "llm", "can": ["board.*"]})\n'
    )
    view = session.view()
    assert view.get("board.lead.scout")["can"] == ["board.*"] and view.get("board.lead")["system"] == "Lead.\n"
    assert view.get("board")["posts"][0]["content"] == "hello" and "mine" in view  # left alone
    assert session.up(path).up_to_date


def test_a_file_that_does_not_fit_the_store_writes_nothing(session: scint.Session, tmp_path: Path) -> None:
    session.run('create_context("notes", type="Thread")')
    with pytest.raises(ConfigError, match=r"contexts\.\"notes\": the store holds a Thread there, the file declares"):
        session.up(GOLDEN / "spec.toml")
    (tmp_path / "scint.toml").write_text('[processes."far.away.p"]\ngoal = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"its parent `far\.away` is neither in the store nor in the file"):
        session.up(tmp_path / "scint.toml")
    (tmp_path / "scint.toml").write_text('[processes.p]\ngoal = "x"\nmodle = "y"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"scint\.toml:3: processes\.p\.modle"):
        session.up(tmp_path / "scint.toml")
    assert session.version == 1


def test_bad_arguments_are_scint_errors(session: scint.Session, tmp_path: Path) -> None:
    with pytest.raises(BadArguments):
        session.up(GOLDEN / "spec.toml", plan="yes")  # type: ignore[arg-type]
    with pytest.raises(BadArguments):
        session.up(5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="cannot be read"):
        session.up(tmp_path / "missing.toml")


@pytest.mark.parametrize("backend", ["lmdb", "sqlite"])
def test_secrets_never_reach_the_store(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-test-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
    monkeypatch.setenv("MY_KEY", secret)
    toml = tmp_path / "scint.toml"
    toml.write_text(
        '[models.m]\nmodel = "gpt-5-mini"\napi_key_env = "MY_KEY"\n[processes.p]\ngoal = "g"\nmodel = "m"\n',
        encoding="utf-8",
    )
    url = f"lmdb:///{tmp_path}/store" if backend == "lmdb" else f"sqlite:///{tmp_path}/store.db"
    with scint.open(url) as s:
        s.up(toml)
        assert s.view().get("p")["endpoint"]["api_key_env"] == "MY_KEY"
        toml.write_text(f'[models.m]\nmodel = "x"\napi_key = "{secret}"\n', encoding="utf-8")
        with pytest.raises(ConfigError) as info:
            s.up(toml)
        assert secret not in str(info.value)
        s.export(tmp_path / "run.jsonl")
    stored = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "scint.toml"]
    assert len(stored) >= 2
    for p in stored:
        assert secret.encode() not in p.read_bytes(), p


def test_the_command(tmp_path: Path) -> None:
    cli = Cli(tmp_path, f"lmdb:///{tmp_path}/store", subprocess=False)
    shutil.copy(GOLDEN / "spec.toml", tmp_path / "scint.toml")
    assert "would change 3 contexts" in cli("up", "--plan").stdout
    assert "recorded as one program" in cli("up").stdout
    assert "up to date" in cli("up", "scint.toml").stdout
    (tmp_path / "bad.toml").write_text("[contexts.n]\ntype = 'Contaner'\n", encoding="utf-8")
    proc = cli("up", "bad.toml", ok=False)
    assert proc.returncode == 1 and "bad.toml:2: contexts.n.type" in proc.stderr and "Container" in proc.stderr


TOML_VALUES = st.sampled_from(
    [
        "1979-05-27T07:32:00Z", "07:32:00", "nan", "inf", "-inf", "9223372036854775807", "-9223372036854775808",
        '"text"', "'lit'", "[1, 2]", "{ a = 1 }", "true", "1e308", '"\\u0000"', '"a\\"b"', "[[1], [2]]",
    ]
)  # fmt: skip
SETTINGS = st.sampled_from(["data", "posts", "goal", "model", "status", "budget", "can", "workflows"])


@given(
    st.sampled_from(["Container", "Thread", "Process", "Composer", "Task"]),
    st.dictionaries(SETTINGS, TOML_VALUES, max_size=3),
)
@settings(max_examples=150, deadline=None)
def test_any_declared_settings_are_applied_or_refused_with_a_scint_error(type_name: str, spec: dict) -> None:
    text = f'[contexts.c]\ntype = "{type_name}"\n' + "".join(f"{k} = {v}\n" for k, v in spec.items())
    with scint.open("memory://") as s, tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scint.toml"
        path.write_text(text, encoding="utf-8")
        try:
            s.up(path)
        except ScintError as exc:
            assert str(exc) and s.version == 0
        else:
            assert s.up(path).up_to_date and s.view().type_of("c") == type_name


def test_a_path_with_a_nul_byte_is_a_config_error(session: scint.Session) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        session.up("bad\0name.toml")


def test_the_example_file_applies_offline(session: scint.Session) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "agents" / "scint.toml"
    assert [str(c) for c in session.up(example).changes] == [
        "+ shelf", "+ desk", "+ desk.librarian", "+ desk.librarian.checker",
    ]  # fmt: skip
    librarian = session.view().get("desk.librarian")
    assert librarian["system"].startswith("You are a careful librarian.") and librarian["approve"] == ["shelf.put"]
    assert librarian["templates"]["skimmer"]["budget"] == {"steps": 5}
    assert session.view().get("desk.librarian.checker")["backend"] == "human"
    assert session.up(example).up_to_date
