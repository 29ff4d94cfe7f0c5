"""Hostile input: whatever the text, `scint.parse` raises only ScintError subclasses, and finishes fast.

The lexer's regexes are the usual place for catastrophic backtracking; the worst cases are ~1 MB runs of the
characters the STRING, _NL, _WS and COMMENT terminals loop over. Each case is timed by the test itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scint
from scint.dsl import Limits
from scint.errors import BadArguments, LimitExceeded, ScintError

MB = 1_000_000 - 1_000  # just under the default program limit, so that the lexer really runs
BIG = Limits(max_program_chars=10_000_000)
# Generous: each takes about a second of CPU or less; the quadratic white-space case this file caught (fixed in
# scint/dsl/parser.py) took 4-9 s at 1 MB and grows with the square of the size. CPU time of this process, not wall
# time: a busy machine (the suite runs in parallel beside other work) stretches the wall clock, not the work done.
SECONDS = 10.0


def outcome(text: object, limits: Limits | None = None) -> str:
    """Parse, allowing only ScintError; return what happened."""
    try:
        scint.parse(text, limits=limits)  # type: ignore[arg-type]
    except ScintError as e:
        assert isinstance(str(e), str)  # the message can be built
        return type(e).__name__
    return "ok"


def timed(fn: Callable[[], str]) -> tuple[str, float]:
    """What `fn` returned and the CPU seconds this process spent in it."""
    start = time.process_time()
    result = fn()
    return result, time.process_time() - start


# -- arbitrary text ----------------------------------------------------------------------------------------------

FAST = settings(max_examples=150, deadline=500, suppress_health_check=[HealthCheck.too_slow])
PIECES = st.sampled_from(
    ['"', "'", '"""', "\\", "\\u", "\\ud800", "(", ")", "[", "]", "{", "}", "$", "#", "\n", " ", "\t", "\r",
     "=", ":", ",", ";", ".", "a", "true", "-", "1", "1e", "\u201c", "\x00", "\ud800", "\U0001f600", "->"]
)  # fmt: skip


@FAST
@given(st.text())
def test_any_text_raises_only_scint_errors(text: str) -> None:
    assert outcome(text) in {"ok", "ScintSyntaxError", "LimitExceeded"}


@FAST
@given(st.lists(PIECES, max_size=60).map("".join))
def test_any_mix_of_the_languages_punctuation_raises_only_scint_errors(text: str) -> None:
    assert outcome(text) in {"ok", "ScintSyntaxError", "LimitExceeded"}


@FAST
@given(st.binary(max_size=200))
def test_bytes_decoded_any_way_raise_only_scint_errors(data: bytes) -> None:
    assert outcome(data) == "ScintSyntaxError"
    assert outcome(data.decode("latin-1")) in {"ok", "ScintSyntaxError", "LimitExceeded"}
    assert outcome(data.decode("utf-8", "surrogateescape")) in {"ok", "ScintSyntaxError", "LimitExceeded"}


@FAST
@given(st.text(st.characters(codec="utf-8"), max_size=50), st.integers(0, 40))
def test_text_inside_a_valid_program_raises_only_scint_errors(junk: str, at: int) -> None:
    base = 'x = notes.put(key="a", value=[1, {"b": $m.c[0]}])\n'
    text = base[:at] + junk + base[at:]
    assert outcome(text) in {"ok", "ScintSyntaxError", "LimitExceeded"}


# -- worst cases, timed --------------------------------------------------------------------------------------------

WORST = {
    # white space: _NL starts with [ \t\f\r]*, and the alternation tries it at every position of a run
    "spaces in a call": "a.b(" + " " * MB + ")",
    "spaces then a name": " " * MB + "x",
    "spaces then junk": " " * MB + "@",
    "tabs and spaces then a newline": "a.b(" + " \t" * (MB // 2) + "\n)",
    "form feeds and returns": "a.b(" + "\f\r" * (MB // 2) + ")",
    "spaces then a comment without newline": "a.b(" + " " * MB + "# c",
    "spaces then a long comment": "a.b(" + " " * (MB - 10_000) + "#" + "x" * 9_000,
    "newline then spaces": "\n" + " " * MB + "x",
    "blank lines": "a.b()" + "\n" * MB,
    "space-newline pairs": "a.b()" + " \n" * (MB // 2),
    "comment lines": "# x\n" * (MB // 4),
    "long comment lines": ("#" + "x" * 4090 + "\n") * (MB // 4092),
    "a comment too long": "#" + "x" * MB,
    # strings: STRING loops over [^"\\]|\\escape|"x|""x
    "unterminated double": 'a.b("' + "x" * MB,
    "unterminated single": "a.b('" + "x" * MB,
    "unterminated triple": 'a.b("""' + "x" * MB,
    "triple of quotes": 'a.b("""' + '"' * MB,
    "triple with quote pairs": 'a.b("""' + 'x""' * (MB // 3),
    "triple with single quotes": 'a.b("""' + 'x"' * (MB // 2),
    "backslashes double": 'a.b("' + "\\" * MB,
    "backslashes triple": 'a.b("""' + "\\" * MB,
    "escaped quotes": 'a.b("' + '\\"' * (MB // 2),
    "escaped quotes triple": 'a.b("""' + '\\"' * (MB // 2),
    "bad u escapes": 'a.b("' + "\\u12" * (MB // 4),
    "quotes": '"' * MB,
    "single quotes": "'" * MB,
    "alternating quotes": "\"'" * (MB // 2),
    "empty strings": 'a.b(""' + ', ""' * (MB // 4) + ")",
    "valid long string": 'a.b("' + "x" * 200_000 + '")',
    "valid long triple string": 'a.b("""' + "x\n" * 100_000 + '""")',
    # brackets and nesting
    "open brackets": "[" * MB,
    "open parentheses": "a.b(" + "(" * MB,
    "deep lists": "a.b(" + "[" * 10_000 + "]" * 10_000 + ")",
    "deep dicts": "a.b(" + "{a:" * 10_000 + "1" + "}" * 10_000 + ")",
    "closers": ")" * MB,
    "deep, then junk": "a.b(" + "[" * 20 + "@" * MB,
    # tokens
    "digits": "a.b(" + "1" * MB + ")",
    "many numbers": "a.b([" + "1," * (MB // 2) + "])",
    "a long name": "a" * MB,
    "dots": "a" + "." * MB,
    "dotted path": "a" + ".b" * (MB // 2) + "()",
    "dollars": "$" * MB,
    "many statements": "a.b()\n" * (MB // 6),
    "many semicolons": ";" * MB,
    "exponents": "a.b(" + "1e" * (MB // 2) + ")",
    "minus signs": "a.b(" + "-" * MB + ")",
    "smart quotes": "\u201c" * MB,
    "NUL bytes": "\x00" * MB,
    "surrogates": "\ud800" * MB,
    "emoji": "a.b(x='" + "\U0001f600" * (MB // 2) + "')",
}


@pytest.mark.parametrize("name", list(WORST))
def test_worst_case_inputs_finish_fast(name: str) -> None:
    text = WORST[name]
    assert len(text) <= 1_000_000
    result, seconds = timed(lambda: outcome(text))
    assert result in {"ok", "ScintSyntaxError", "LimitExceeded"}
    assert seconds < SECONDS, f"{name}: {seconds:.2f} s"


def test_deep_nesting_is_a_limit_not_a_crash() -> None:
    for opener, closer in (("[", "]"), ("{a:", "}")):
        text = "a.b(" + opener * 10_000 + "1" + closer * 10_000 + ")"
        with pytest.raises(LimitExceeded, match="nested 33 deep"):
            scint.parse(text)
        # and with the depth limit at its ceiling, the iterative parser stops as fast
        deep = Limits(max_depth=200)
        result, seconds = timed(lambda text=text, deep=deep: outcome(text, deep))
        assert result == "LimitExceeded"
        assert seconds < SECONDS


@pytest.mark.parametrize("bad", [0, -1, 201, 10**9, True, 2.5])
def test_limits_are_checked_when_configured(bad: object) -> None:
    with pytest.raises(BadArguments, match="max_depth"):
        Limits(max_depth=bad)  # type: ignore[arg-type]


def test_a_deep_program_formats_and_round_trips() -> None:
    # (`format` and `==` recurse, like every attrs tree: fine for any depth a Limits below ~300 allows.)
    deep = Limits(max_depth=200)
    text = "a.b(" + "[" * 199 + "1" + "]" * 199 + ")"
    program = scint.parse(text, limits=deep)
    assert scint.parse(scint.format(program), limits=deep) == program


@pytest.mark.parametrize("size", [1_000_001, 4_000_000, 50_000_000])
def test_over_the_program_limit_is_refused_before_any_work(size: int) -> None:
    text = " " * size
    result, seconds = timed(lambda: outcome(text))
    assert result == "LimitExceeded"
    assert seconds < 0.5


def test_with_the_limit_raised_big_inputs_stay_linear() -> None:
    text = "a.b(" + " " * MB + "[" * 5 + "'" + "\\" * MB + "x"
    result, seconds = timed(lambda: outcome(text, BIG))
    assert result == "ScintSyntaxError"
    assert seconds < SECONDS * 2


def test_time_grows_linearly_with_the_size_of_white_space_runs() -> None:
    """The run-of-spaces case that used to be quadratic: 8x the input must not take ~64x the time."""

    def cost(n: int) -> float:
        text = " " * n + "x"
        return min(timed(lambda: outcome(text))[1] for _ in range(3))

    small, large = cost(100_000), cost(800_000)
    assert large < max(small, 0.005) * 30, (small, large)  # quadratic was seconds; the floor absorbs noise
