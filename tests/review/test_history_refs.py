"""History references "branch@version": only ASCII digits of a sane length are a version. `str.isdigit()` also
accepts "²" and "٣", and 5,000 digits; int() of those failed with ValueError (an "internal error" in programs)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import scint
from scint.errors import HistoryError


@pytest.fixture
def s() -> Iterator[scint.Session]:
    with scint.open("memory://") as session:
        session.run('create_context("n")')
        yield session


@pytest.mark.parametrize("ref", ["main@²", "main@1²", "main@٣", "main@" + "9" * 5000, "main@", "main@-1", "main@1.0"])
def test_a_bad_version_in_a_reference_is_a_history_error(s: scint.Session, ref: str) -> None:
    with pytest.raises(HistoryError, match="whole number"):
        s.diff(ref, "main")
    with pytest.raises(HistoryError, match="whole number"):
        s.run(f'history.diff(a={scint.dsl.quote(ref)}, b="main")')


def test_a_good_reference_still_works(s: scint.Session) -> None:
    assert s.diff("main@0", "main@1").added == {"n": "Container"}
