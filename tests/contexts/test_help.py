"""help(): the cheat sheet generated from the registered types, per-topic help, and JSON schemas of actions."""

from __future__ import annotations

import re
from typing import Any

import pytest

import scint
from scint.contexts import registry
from scint.contexts.help import LANGUAGE, schema

BUILTIN_FUNCTIONS = ("create_context", "drop_context", "contexts", "help")


@pytest.fixture
def s() -> scint.Session:
    with scint.open("memory://") as session:
        yield session


def test_cheat_sheet_names_every_type_action_and_builtin(s: scint.Session, counter: type) -> None:
    sheet = s.run("help()").value
    assert sheet.startswith(LANGUAGE)
    for name in BUILTIN_FUNCTIONS:
        assert re.search(rf"^  {name}\(", sheet, re.M), name
    for type_name, cls in registry.registered().items():
        first_doc_line = cls.doc().splitlines()[0] if cls.doc() else ""
        assert re.search(rf"^{type_name}: {re.escape(first_doc_line)}", sheet, re.M), type_name
        for spec in cls.specs().values():
            if not spec.public:  # internal actions (the runtime's) are not part of the language
                assert f"  {spec.signature()}" not in sheet, spec.name
                continue
            line = next(ln for ln in sheet.splitlines() if ln.startswith(f"  {spec.signature()}"))
            assert line.endswith(f" - {spec.summary()}")
            assert ("(query)" in line) == spec.is_query, line


def test_cheat_sheet_marks_queries_only(s: scint.Session, counter: type) -> None:
    sheet = s.run("help()").value
    assert "  incr(by: int=1, who: str | null=null) - Add `by` to the counter and return the new value." in sheet
    assert "  value() (query) - The current count." in sheet
    assert "  get(key: str) (query) - " in sheet
    assert "  put(key: str, value: any) - " in sheet
    assert "Counter: Counts things. State: n: int, seen: list[str]." in sheet


def test_cheat_sheet_follows_registration(s: scint.Session, register_type: Any) -> None:
    class Lamp(scint.Context):
        """Gives light."""

        @scint.action
        def toggle(self) -> None:
            """Switch it."""

    assert "Lamp:" not in s.run("help()").value
    register_type(Lamp)
    assert "Lamp: Gives light.\n  toggle() - Switch it." in s.run("help()").value


def test_help_is_a_query(s: scint.Session) -> None:
    r = s.run('help(); help(topic="Task")')
    assert r.events == () and s.version == 0 and s.log() == []


def test_topic_help_for_a_type(s: scint.Session, counter: type) -> None:
    text = s.run('help(topic="Counter")').value
    assert text.splitlines()[:3] == [
        "Counter: Counts things.",
        "State: n: int, seen: list[str]",
        'Create: create_context("name", type="Counter", setting=value...)',
    ]
    assert "  .incr(by: int=1, who: str | null=null) -> int  [action]" in text
    assert "  .value() -> int  [query]" in text


def test_topic_help_for_actions_and_builtins(s: scint.Session) -> None:
    assert s.run('help(topic="Container.put")').value == (
        "Container.put(key: str, value: any) -> null  [action]\n"
        "    Store `value` under `key`, replacing what was there."
    )
    assert s.run('help(topic="Task.start")').value.startswith("Task.start() -> str  [action]")
    assert s.run('help(topic="Composer.list")').value.startswith("Composer.list() -> list[str]  [query]")
    assert s.run('help("create_context")').value.startswith(
        'create_context(name: str, type: str="Container", parent: str | null=null, **config) -> str  [action]'
    )
    assert s.run('help(topic="history.log")').value.startswith("history.log(limit: int=20)")


def test_full_docstrings_appear_in_topic_help(s: scint.Session, register_type: Any) -> None:
    class Doc(scint.Context):
        """First line.

        Second paragraph of the type."""

        @scint.action
        def act(self) -> None:
            """Summary.

            Details only topic help shows."""

    register_type(Doc)
    assert "Details only topic help shows." not in s.run("help()").value
    assert "Details only topic help shows." in s.run('help(topic="Doc.act")').value
    assert "Second paragraph of the type." in s.run('help(topic="Doc")').value


@pytest.mark.parametrize(
    ("topic", "message"),
    [
        ("Contaner", r"no help on `Contaner` \(did you mean `Container`\?\); topics: "),
        ("Container.pt", r"Container has no action `pt` \(did you mean `put`\?\)"),
        ("Container._remember", r"Container has no action `_remember`"),
        ("Container.__init__", r"Container has no action `__init__`"),
        ("__import__", r"no help on `__import__`"),
        ("history.nope", r"no help on `history.nope`"),
    ],
)
def test_unknown_topics(s: scint.Session, topic: str, message: str) -> None:
    with pytest.raises(scint.BadArguments, match=message):
        s.run(f"help(topic={topic!r})".replace("'", '"'))


def test_help_topic_must_be_a_string(s: scint.Session) -> None:
    with pytest.raises(scint.BadArguments, match=r"`topic` must be str \| null, not int"):
        s.run("help(topic=1)")


def test_json_schema_of_an_action(counter: type) -> None:
    assert schema(counter.specs()["incr"]) == {
        "type": "object",
        "properties": {"by": {"type": "integer"}, "who": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
        "required": [],
        "additionalProperties": False,
    }
    put = registry.get_type("Container").specs()["put"]
    assert schema(put) == {
        "type": "object",
        "properties": {"key": {"type": "string"}, "value": {}},
        "required": ["key", "value"],
        "additionalProperties": False,
    }


def test_json_schema_of_a_variadic_action_allows_more_properties() -> None:
    run = registry.get_type("Composer").specs()["run"]
    assert schema(run) == {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}


def test_every_registered_action_has_a_schema_and_a_summary() -> None:
    for cls in registry.registered().values():
        for spec in cls.specs().values():
            out = schema(spec)
            assert out["type"] == "object"
            assert set(out["required"]) <= set(out["properties"])
            assert spec.summary(), f"{cls.__scint_type__}.{spec.name} has no docstring"
