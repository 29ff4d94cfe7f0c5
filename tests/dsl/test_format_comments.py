"""`format(program, comments=True)` (what `scint fmt` prints) keeps every comment and the blank lines between
statements: idempotent, and still `parse(format(p)) == p`."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import scint
from scint.dsl import format_program, format_statement
from scint.dsl.scan import comments
from scint.errors import ScintError
from tests.dsl.strategies import UTF8, statements, texts

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

comment_texts = st.text(UTF8.filter(lambda ch: ch != "\n"), max_size=12).map(lambda t: "#" + t)
spaces = st.sampled_from(["", " ", "  ", "\t", " \t "])


@st.composite
def commented_texts(draw: st.DrawFn) -> str:
    """Statements, comments on their own lines, after statements and inside calls, blank lines and `;`."""
    out = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["statement", "comment", "blank", "inside"]))
        if kind == "comment":
            out.append(draw(spaces) + draw(comment_texts) + "\n")
        elif kind == "blank":
            out.append(draw(spaces) + "\n")
        else:
            text = format_statement(draw(statements))
            if kind == "inside":  # a comment after the opening parenthesis, the rest on the next line
                head, _, rest = text.partition("(")
                text = f"{head}({draw(spaces)}{draw(comment_texts)}\n{draw(spaces)}{rest}"
            out.append(text)
            out.append(draw(st.sampled_from(["\n", "; ", ";\n"])) if draw(st.booleans()) else "")
            if draw(st.booleans()):
                out.append(draw(spaces) + draw(comment_texts))
            out.append("\n")
    return "".join(out)


def _comment_texts(text: str) -> list[str]:
    return [c.rstrip(" \t\f\r") for _, c in comments(text)]


def _check(text: str) -> None:
    try:
        program = scint.parse(text)
    except ScintError:
        assume(False)
        raise
    formatted = format_program(program, comments=True)
    assert scint.parse(formatted) == program
    assert format_program(scint.parse(formatted), comments=True) == formatted  # idempotent
    assert _comment_texts(formatted) == _comment_texts(text)  # every comment, in order
    assert "\n\n\n" not in formatted and not formatted.startswith("\n")
    assert scint.format(program) == "".join(format_statement(s) + "\n" for s in program.statements)


@SETTINGS
@given(commented_texts())
def test_formatting_keeps_comments_and_is_idempotent(text: str) -> None:
    _check(text)


@settings(SETTINGS, max_examples=60)
@given(texts())
def test_formatting_grammar_texts_keeps_comments_and_is_idempotent(text: str) -> None:
    _check(text)


def test_blank_lines_collapse_to_one_and_comments_keep_their_place() -> None:
    text = "\n\n# lead\n\n\n\na.b()   # t\n\n\n  # own\nc.d(1,  # in\n  2); e.f()\n\n"
    assert format_program(scint.parse(text), comments=True) == (
        "# lead\n\na.b()  # t\n\n# own\n# in\nc.d(1, 2)\ne.f()\n"
    )


def test_a_hash_inside_a_string_is_not_a_comment() -> None:
    text = 'a.b(x="# no", y=\'#\', z="""\n# no\n""")  # yes\n'
    assert [c for _, c in comments(text)] == ["# yes"]
    assert format_program(scint.parse(text), comments=True) == 'a.b(x="# no", y="#", z="""\n# no\n""")  # yes\n'


def test_a_program_whose_spans_do_not_fit_its_text_formats_without_comments() -> None:
    program = scint.parse("a.b()  # kept\n")
    assert format_program(program, comments=True) == "a.b()  # kept\n"
    other = scint.Program(program.statements, source="# not this text\n" * 3)
    assert format_program(other, comments=True) == "a.b()\n"
    built = scint.Program((scint.parse("c.d()").statements[0],), source="c.d()  # x")
    assert format_program(built, comments=True) == "c.d()\n"  # its span points into another text
