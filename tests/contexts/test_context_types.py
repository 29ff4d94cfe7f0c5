"""Context types: state fields, defaults, @action/@query specs and signatures, and what a class may not declare."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import pytest

import scint
from scint.contexts.base import MISSING, Context


class Note(scint.Context):
    """A note with tags.

    The second paragraph of the docstring."""

    text: str = ""
    tags: list[str] = []
    meta: dict[str, Any] = {}
    size: int | None = None
    LIMIT: ClassVar[int] = 3  # class constants are not state
    _cache: int = 0  # private: not state either

    @scint.action
    def write(self, text: str, tags: list[str] = [], mode: Literal["replace", "append"] = "replace") -> str:  # noqa: B006
        """Write `text`.

        More words about writing."""
        self.text = text if mode == "replace" else self.text + text
        self.tags.extend(tags)
        return self.text

    @scint.query
    def read(self) -> str:
        """The text."""
        return self.text

    def helper(self) -> int:  # neither action nor query: unreachable from the language
        return 1


def test_fields_are_the_annotated_public_names_with_their_defaults() -> None:
    assert Note.__scint_type__ == "Note"
    assert {name: default for name, (_, default) in Note.__scint_fields__.items()} == {
        "text": "",
        "tags": [],
        "meta": {},
        "size": None,
    }


def test_a_mutable_default_is_copied_per_instance() -> None:
    a, b = Note(), Note()
    a.tags.append("x")
    a.meta["k"] = 1
    assert b.tags == [] and b.meta == {}
    assert Note.__scint_fields__["tags"][1] == [] and Note.__scint_fields__["meta"][1] == {}
    assert a.tags is not Note.__scint_fields__["tags"][1]


def test_initial_state_takes_settings_checks_them_and_copies_them() -> None:
    tags = ["a"]
    state = Note.initial_state({"text": "hi", "tags": tags})
    assert state == {"text": "hi", "tags": ["a"], "meta": {}, "size": None}
    tags.append("b")
    assert state["tags"] == ["a"]
    with pytest.raises(scint.BadArguments, match=r"`size` must be int \| null, not str"):
        Note.initial_state({"size": "big"})
    with pytest.raises(scint.BadArguments, match=r"no setting `txt` \(did you mean `text`\?\)"):
        Note.initial_state({"txt": "x"})


def test_constructor_takes_fields_as_keywords() -> None:
    n = Note(text="t", size=3)
    assert (n.text, n.size, n.tags) == ("t", 3, [])
    with pytest.raises(scint.BadArguments):
        Note(size=True)


def test_specs_hold_the_actions_and_queries_only() -> None:
    specs = Note.specs()
    assert set(specs) == {"write", "read"}
    assert specs["write"].kind == "action" and not specs["write"].is_query
    assert specs["read"].kind == "query" and specs["read"].is_query
    write = specs["write"]
    assert [p.name for p in write.params] == ["text", "tags", "mode"]
    assert write.params[0].required and write.params[0].default is MISSING
    assert not write.params[1].required and write.params[1].default == []
    assert write.summary() == "Write `text`."
    assert "More words about writing." in write.doc


def test_signatures_read_like_the_language() -> None:
    assert (
        Note.specs()["write"].signature()
        == 'write(text: str, tags: list[str]=[], mode: "replace" | "append"="replace")'
    )
    assert Note.specs()["read"].signature() == "read()"
    assert Context.__scint_specs__ == {}


def test_spec_lookup_raises_unknown_action_with_suggestions() -> None:
    with pytest.raises(
        scint.UnknownAction, match=r"has no action `wrte` \(did you mean `write`\?\); it has: read, write"
    ):
        Note.spec("wrte", where="n")
    with pytest.raises(scint.UnknownAction):
        Note.spec("helper", where="n")


def test_subclasses_inherit_fields_and_specs_and_can_hide_an_action() -> None:
    class Sticky(Note):
        color: str = "yellow"

        def read(self) -> str:  # overridden without the decorator: no longer reachable
            return ""

        @scint.action
        def paint(self, color: str) -> None:
            """Paint it."""
            self.color = color

    assert list(Sticky.__scint_fields__) == ["text", "tags", "meta", "size", "color"]
    assert set(Sticky.specs()) == {"write", "paint"}
    assert set(Note.specs()) == {"write", "read"}


def test_type_name_attribute_overrides_the_class_name() -> None:
    class Impl(scint.Context):
        type_name = "Pretty"

    assert Impl.__scint_type__ == "Pretty"


def test_a_detached_context_has_no_map() -> None:
    n = Note()
    assert repr(n) == "<Note (detached)>"
    assert n.children() == [] and n.child("x") is None
    with pytest.raises(scint.ActionError, match="not part of a map"):
        n.now()
    with pytest.raises(scint.ActionError, match="not part of a map"):
        n.create_child("x", "Container")


# -- what a class may not declare: a clear TypeError when the class is defined ------------------------------------


def _define(body: dict[str, Any], annotations: dict[str, Any]) -> type:
    ns = dict(body)
    ns["__annotations__"] = annotations
    return type("Bad", (scint.Context,), ns)


@pytest.mark.parametrize(
    ("annotation", "default"),
    [(set[str], set()), (tuple[int, int], (1, 2)), (bytes, b""), (dict[int, str], {}), (Literal[b"x"], b"x")],
)
def test_unsupported_field_types_are_rejected(annotation: Any, default: Any) -> None:
    with pytest.raises(TypeError, match=r"Bad\.f: Scint cannot store values of type"):
        _define({"f": default}, {"f": annotation})


def test_field_rules() -> None:
    with pytest.raises(TypeError, match=r"Bad\.f: a state field needs a default value"):
        _define({}, {"f": int})
    with pytest.raises(TypeError, match=r"Bad\.f: the default 'x' is not int"):
        _define({"f": "x"}, {"f": int})
    with pytest.raises(TypeError, match=r"Bad\.f: the default True is not int"):
        _define({"f": True}, {"f": int})
    for reserved in ("path", "name", "children", "now"):
        with pytest.raises(TypeError, match=rf"Bad\.{reserved}: this name cannot be used for a state field"):
            _define({reserved: ""}, {reserved: str})


def test_an_action_and_a_field_cannot_share_a_name() -> None:
    with pytest.raises(TypeError, match=r"Bad\.total"):

        class Bad(scint.Context):
            total: int = 0

            @scint.action
            def total(self) -> None: ...  # type: ignore[no-redef]  # noqa: F811


def test_unsupported_parameter_and_return_types_are_rejected() -> None:
    with pytest.raises(TypeError, match=r"Bad\.a: parameter `x` has an unsupported type"):

        class Bad(scint.Context):
            @scint.action
            def a(self, x: bytes) -> None: ...

    with pytest.raises(TypeError, match=r"Bad2\.a: the return type set\[int\] is not one Scint can store or show"):

        class Bad2(scint.Context):
            @scint.query
            def a(self) -> set[int]: ...

    with pytest.raises(TypeError, match=r"Bad3\.a: parameter `x` has an unsupported type"):

        class Bad3(scint.Context):
            @scint.action
            def a(self, x: dict[int, str]) -> None: ...


def test_parameter_defaults_must_fit_their_annotations() -> None:
    with pytest.raises(TypeError, match=r"Bad\.a: the default of `x` is not int"):

        class Bad(scint.Context):
            @scint.action
            def a(self, x: int = "s") -> None: ...  # type: ignore[assignment]


def test_star_args_positional_only_and_private_names_are_rejected() -> None:
    with pytest.raises(TypeError, match=r"\*args and positional-only parameters are not supported"):

        class Bad(scint.Context):
            @scint.action
            def a(self, *xs: int) -> None: ...

    with pytest.raises(TypeError, match=r"\*args and positional-only parameters are not supported"):

        class Bad2(scint.Context):
            @scint.action
            def a(self, x: int, /) -> None: ...

    with pytest.raises(TypeError, match="need plain names"):

        class Bad3(scint.Context):
            @scint.query
            def _peek(self) -> int:
                return 0


def test_an_annotation_that_does_not_evaluate_names_the_method() -> None:
    with pytest.raises(TypeError, match=r"cannot read the annotations of .*Bad\.a: name 'Nowhere' is not defined"):

        class Bad(scint.Context):
            @scint.action
            def a(self, x: Nowhere) -> None: ...  # type: ignore[name-defined] # noqa: F821


def test_unannotated_parameters_accept_any_json_value() -> None:
    class Loose(scint.Context):
        @scint.action
        def a(self, x) -> None:  # type: ignore[no-untyped-def]
            """Anything."""

    spec = Loose.specs()["a"]
    assert spec.signature() == "a(x: any)"
    assert spec.bind([], {"x": {"k": [1, None]}}, "l") == {"x": {"k": [1, None]}}
    with pytest.raises(scint.BadArguments):
        spec.bind([], {"x": {1, 2}}, "l")
