"""What the model reads of the state (SPEC 14): the budgeted view, within characters (and tokens where known)."""

from __future__ import annotations

import pytest

import scint
from scint.llm import MockProvider
from scint.llm.docs import STATE_CHARS, describe_state, state_text
from scint.llm.tokens import o200k


@pytest.fixture
def big(s: scint.Session) -> scint.Session:
    """A 300-key container (about 36,000 characters as JSON) and a thread."""
    s.run('create_context("notes"); create_context("chat", type="Thread")')
    for start in range(0, 300, 100):
        s.run("; ".join(f'notes.put(key="item{i}", value="{"note " * 20}{i}")' for i in range(start, start + 100)))
    s.run('chat.post(role="user", content="hello"); chat.post(role="assistant", content="hi, what now?")')
    return s


def test_the_state_is_within_the_budget_and_spends_it(big: scint.Session) -> None:
    text = describe_state(big)
    assert len(text) <= STATE_CHARS and len(text) > STATE_CHARS - 200
    assert text.startswith(f"The current state (branch main, version {big.version}):\n")
    assert "notes (Container) " in text and "(300 keys)" in text and "chat (Thread) " in text
    assert '"hi, what now?"' in text  # the small thread is whole
    wide = describe_state(big, max_chars=40_000)
    assert len(wide) <= 40_000 and all(f'"item{i}"' in wide for i in range(300))  # every key
    assert wide.count("note ") > 2 * text.count("note ")  # and more of each value


def test_a_token_budget_where_the_tokenizer_is_known(big: scint.Session) -> None:
    count = o200k()
    assert count is not None  # bpe-openai (a dev dependency) ships the o200k table: no network
    small, large = (state_text(big, max_chars=20_000, max_tokens=t) for t in (300, 1_500))
    assert count(small) <= 300 < count(large) <= 1_500
    assert len(large) <= 20_000 and len(small) < len(large)
    assert state_text(big, max_chars=500, max_tokens=10_000) == big.view().render("text", max_chars=500)


@pytest.mark.parametrize("bad", [10, 0, -5, "6000", None, 2.5])
def test_a_budget_below_the_least_is_refused(big: scint.Session, bad: object) -> None:
    with pytest.raises(scint.BadArguments, match="max_chars must be a whole number of at least"):
        describe_state(big, max_chars=bad)  # type: ignore[arg-type]
    with pytest.raises(scint.BadArguments, match="max_tokens"):
        describe_state(big, max_tokens=0)


def test_ask_shows_the_model_the_budgeted_state(big: scint.Session) -> None:
    mock = MockProvider([{"program": 'notes.get(key="item7")'}])
    big.ask("what is item7?", provider=mock)
    system = mock.history[0].messages[0]["content"]
    assert describe_state(big) in system and "(300 keys)" in system
    assert len(system) < STATE_CHARS + 4_000  # the instructions and the state, however large the state
