"""scint.toml validation (SPEC section 9): every problem at once, each with the file, the line and the dotted key."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scint.agents.config import load, parse
from scint.agents.lines import KeyLines
from scint.agents.schema import SCHEMA_PATH, json_schema
from scint.errors import ConfigError

GOLDEN = Path(__file__).parent / "golden"
SPEC = (GOLDEN / "spec.toml").read_text(encoding="utf-8")
SECRET = "sk-proj-AAAABBBBCCCCDDDDEEEEFFFF0123"


def problems(text: str, directory: Path | None = None) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ConfigError) as info:
        parse(text, name="scint.toml", directory=directory)
    return list(info.value.problems)


def test_the_spec_example_is_valid_and_resolved() -> None:
    config = load(GOLDEN / "spec.toml")
    assert config.file == "spec.toml" and len(config.sha256) == 64
    assert list(config.contexts) == ["notes", "research"]
    lit = config.processes["research.lit"]
    assert lit["model"] == "gpt-5-mini" and lit["endpoint"]["name"] == "default"
    assert lit["endpoint"]["api_key_env"] == "OPENAI_API_KEY"
    assert lit["can"] == ["notes.get", "notes.put", "self.**"] and lit["budget"]["steps"] == 20
    assert lit["templates"]["summarizer"]["goal"] == "summarise what you are given"
    assert config.mcp["files"]["tools"] == ["read_file", "list_dir"]


LINE_CASES = [
    # (text appended to the SPEC example, or replacing it when it starts with "!", line, dotted key, words)
    ("\n[modles.x]\nmodel = 'm'\n", 37, "modles", "`models`"),
    ('\n[processes."research.x"]\nmodle = "default"\n', 38, 'processes."research.x".modle', "did you mean `model`"),
    ('\n[processes."research.x"]\ngoal = 3\n', 38, 'processes."research.x".goal', "must be"),
    ('\n[processes."research.x"]\nmodel = "defualt"\n', 38, 'processes."research.x".model', "did you mean `default`"),
    ('\n[processes."research.x"]\ntemplates = ["sumarizer"]\n', 38, "templates", "did you mean `summarizer`"),
    ('\n[processes."research.x"]\nmcp = ["file"]\n', 38, 'processes."research.x".mcp', "did you mean `files`"),
    ('\n[processes."research.x"]\ncan = ["notes.get*"]\n', 38, 'processes."research.x".can', "whole names"),
    ('\n[processes."research.x"]\nbackend = "shell"\n', 38, "backend", '"llm", "human" or "python:NAME"'),
    ('\n[processes."research.x"]\nsystem = "a"\nsystem_file = "b.md"\n', 39, "system_file", "not both"),
    ('\n[processes."research.x"]\nbudget = { steps = 2, tokns = 5 }\n', 38, "budget.tokns", "did you mean `tokens`"),
    ('\n[processes."research.x"]\nbudget = { steps = -2 }\n', 38, "budget.steps", "0 or more"),
    ('\n[contexts.pad]\ntype = "Contaner"\n', 38, "contexts.pad.type", "did you mean `Container`"),
    ('\n[contexts.pad]\ntype = "Container"\ndta = {}\n', 39, "contexts.pad.dta", "did you mean `data`"),
    ('\n[contexts.pad]\ntype = "Container"\ndata = 3\n', 39, "contexts.pad.data", "must be"),
    ("\n[contexts.pad]\nkind = 'Container'\n", 37, "contexts.pad", "lacks the key `type`"),
    ('\n[contexts."bad path"]\ntype = "Container"\n', 37, 'contexts."bad path"', "dotted path"),
    ('\n[mcp.web]\ncommand = "x"\nurl = "http://x"\n', 37, "mcp.web", "exactly one of"),
    ('\n[models.other]\nmodel = "m"\napi = "chats"\n', 39, "models.other.api", "did you mean `chat`"),
    ('\n[models.other]\nmodel = "m"\napi_key_env = "has space"\n', 39, "models.other.api_key_env", "environment"),
    ("\n[models.other]\nbase_url = 'http://x'\n", 37, "models.other", "lacks the key `model`"),
    ('\n[processes."research.x"]\ngoal = """\nkey = 1\n"""\nmodle = 1\n', 41, "modle", "did you mean `model`"),
    ("!schema = 2\n", 1, "schema", "schema = 1, not 2"),
    ('![contexts.a]\ntype = "Thread"\n[contexts.a.b]\ntype = "Container"\n', 3, "contexts.a.b", '[contexts."a.b"]'),
    ('![processes.research.lit]\ngoal = "x"\n', 1, "processes.research.lit", 'quote it: [processes."research.lit"]'),
    ('!schema = 1\n[processes."a.b"]\nsystem_file = "../../etc/passwd"\n', 3, "system_file", "outside"),
    ('!schema = 1\n[processes."a.b"]\nsystem_file = "missing.md"\n', 3, "system_file", "cannot be read"),
]


@pytest.mark.parametrize(("extra", "line", "key", "words"), LINE_CASES, ids=[c[3] for c in LINE_CASES])
def test_each_problem_names_the_line_and_the_key(extra: str, line: int, key: str, words: str, tmp_path: Path) -> None:
    text = extra[1:] if extra.startswith("!") else SPEC + extra
    found = problems(text, directory=tmp_path)
    assert len(found) == 1, found
    (got_line, got_key, message) = found[0]
    assert got_line == line and key in got_key and words in message, found[0]
    with pytest.raises(ConfigError, match=rf"scint\.toml:{line}: "):
        parse(text, directory=tmp_path)


def test_every_problem_is_reported_at_once_up_to_a_bound() -> None:
    text = SPEC + "".join(f'\n[processes."research.p{i}"]\nmodle = "x"\n' for i in range(30))
    with pytest.raises(ConfigError) as info:
        parse(text)
    assert len(info.value.problems) == 20
    assert "30 problems" in str(info.value) and "... and 10 more" in str(info.value)
    assert [p[0] for p in info.value.problems] == [38 + 3 * i for i in range(20)]


@pytest.mark.parametrize(
    "text",
    [
        f'[models.m]\nmodel = "x"\napi_key = "{SECRET}"\n',
        f'[models.m]\nmodel = "x"\nkey = "{SECRET}"\n',
        f'[models.m]\nmodel = "x"\napi_key_env = "{SECRET}"\n',
        f'[processes.p]\ngoal = "use {SECRET} for it"\n',
        f'[contexts.n]\ntype = "Container"\ndata = {{ k = "{SECRET}" }}\n',
    ],
)
def test_a_literal_key_is_refused_without_being_repeated(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(text)
    assert SECRET not in str(info.value) and SECRET not in repr(info.value.problems)
    assert "key" in str(info.value)


def test_toml_syntax_and_encoding_errors_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"scint\.toml: not valid TOML.*line 2"):
        parse("schema = 1\n[contexts.x\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        parse(b"schema = '\xff'\n")
    with pytest.raises(ConfigError, match="cannot be read"):
        load(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="at most"):
        parse("# " + "x" * (5 * 1024 * 1024))


def test_system_file_is_read_beside_the_file(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "lit.md").write_text("Be brief.\n", encoding="utf-8")
    (tmp_path / "scint.toml").write_text('[processes.lit]\nsystem_file = "p/lit.md"\n', encoding="utf-8")
    assert load(tmp_path / "scint.toml").processes["lit"]["system"] == "Be brief.\n"
    (tmp_path / "p" / "big.md").write_text("x" * 70_000, encoding="utf-8")
    (tmp_path / "scint.toml").write_text('[processes.lit]\nsystem_file = "p/big.md"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="larger than"):
        load(tmp_path / "scint.toml")


def test_key_lines_know_toml_keys() -> None:
    text = '[a]\nb = 1\n"c.d" = 2\ne.f = 3\ns = """\ng = 4\n"""\n[[arr]]\nx = 1\n[\'lit\'."q"]\ny = 1\n'
    lines = KeyLines(text)
    assert lines.line(("a", "b")) == 2 and lines.line(("a", "c.d")) == 3 and lines.line(("a", "e", "f")) == 4
    assert lines.line(("a", "g")) == 1  # inside a multi-line string: not a key, so its table's line
    assert lines.line(("arr", "x")) == 9 and lines.line(("lit", "q", "y")) == 11 and lines.line(("zz",)) is None


@given(st.binary(max_size=300) | st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_any_bytes_are_a_config_or_a_config_error(data: bytes | str) -> None:
    try:
        parse(data)
    except ConfigError as exc:
        assert str(exc)


# -- the published JSON Schema agrees with the validator --------------------------------------------------------


def test_the_shipped_schema_is_current() -> None:
    assert json.loads(SCHEMA_PATH.read_text(encoding="utf-8")) == json_schema()
    jsonschema.Draft202012Validator.check_schema(json_schema())


VALUES = st.sampled_from(
    [
        "text", "", 3, -1, 2.5, True, [], ["notes.get", "self.**"], ["a..b"], ["x*"], ["a.self"], [1], {},
        {"steps": 3}, {"steps": "3"}, {"stps": 1}, "llm", "human", "python:fn", "python:", "shell",
    ]
)  # fmt: skip
KEYS = st.sampled_from(["goal", "system", "backend", "can", "approve", "budget", "gaol", "Goal"])


@given(st.dictionaries(KEYS, VALUES, max_size=4), st.sampled_from(["processes", "templates"]))
@settings(max_examples=400, deadline=None)
def test_schema_and_validator_agree_on_agents(agent: dict, section: str) -> None:
    doc = {"schema": 1, section: {"a" if section == "templates" else "a.b": agent}}
    _agree(doc)


MODEL_VALUES = st.sampled_from(["gpt-5", "chat", "responses", "custom", "function", "OPENAI_KEY", "x y", 5, []])
MODEL_KEYS = st.sampled_from(["model", "api", "tool", "api_key_env", "base_url", "modle"])


@given(st.dictionaries(MODEL_KEYS, MODEL_VALUES, max_size=4))
@settings(max_examples=300, deadline=None)
def test_schema_and_validator_agree_on_models(model: dict) -> None:
    _agree({"models": {"m": model}})


def _agree(doc: dict) -> None:
    from tests.agents.toml_text import dumps

    schema_ok = jsonschema.Draft202012Validator(json_schema()).is_valid(doc)
    try:
        parse(dumps(doc))
        validator_ok = True
    except ConfigError:
        validator_ok = False
    assert schema_ok == validator_ok, doc
