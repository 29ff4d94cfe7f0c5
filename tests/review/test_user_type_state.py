"""A registered type's action that leaves state Scint cannot store (a set, a tuple, NaN, an int key, an int too
long to write as JSON) is refused when it runs, and the program rolls back. Before, it committed: render()
raised TypeError/ValueError, snapshots failed, and a reloaded store (JSON: {1: 2} -> {"1": 2}) differed from
the live state."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import scint
from scint.errors import ActionError


class Sloppy(scint.Context):
    """Writes odd things into its state."""

    n: int = 0
    xs: list[Any] = []

    @scint.action
    def inc(self) -> int:
        """Add one."""
        self.n += 1
        return self.n

    @scint.action
    def put_set(self) -> None:
        """A set."""
        self.xs = {1, 2}  # type: ignore[assignment]

    @scint.action
    def put_tuple(self) -> None:
        """A tuple."""
        self.xs.append((1, 2))

    @scint.action
    def put_nan(self) -> None:
        """NaN."""
        self.n = float("nan")  # type: ignore[assignment]

    @scint.action
    def put_int_key(self) -> None:
        """A dict with an int key."""
        self.xs.append({1: 2})

    @scint.action
    def put_huge_int(self) -> None:
        """An int of 5,000 digits."""
        self.n = 10**5000

    @scint.query
    def huge(self) -> int:
        """A query answering an int of 5,000 digits."""
        return 10**5000


@pytest.fixture(params=["memory", "sqlite"])
def s(
    request: pytest.FixtureRequest, tmp_path: Path, register_type: Callable[[type[scint.Context]], Any]
) -> Iterator[scint.Session]:
    register_type(Sloppy)
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path}/s.db"
    with scint.open(url) as session:
        session.run('create_context("o", type="Sloppy")')
        yield session


@pytest.mark.parametrize("action", ["put_set", "put_tuple", "put_nan", "put_int_key", "put_huge_int", "huge"])
def test_state_scint_cannot_store_is_refused_and_rolled_back(s: scint.Session, action: str) -> None:
    with pytest.raises(ActionError):
        s.run(f"o.inc(); o.{action}()")
    assert s.version == 1
    assert s.view().get("o") == {"n": 0, "xs": []}
    assert s.view().render("json") == s.replay().render("json")


def test_plain_state_still_commits(s: scint.Session) -> None:
    assert s.run("o.inc(); o.inc()").value == 2
    assert s.view().get("o") == {"n": 2, "xs": []}
