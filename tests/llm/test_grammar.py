"""The custom tool's grammar: valid for OpenAI's engine (llguidance), and admitting only calls the session may make."""

from __future__ import annotations

import llguidance.tiktoken
import pytest
import tiktoken
from llguidance import LLMatcher

import scint
from scint.llm import program_grammar

_ENC = tiktoken.Encoding(
    name="bytes",
    pat_str=r"[\s\S]",
    mergeable_ranks={bytes([i]): i for i in range(256)},
    special_tokens={"<|endoftext|>": 256},
)
TOKENIZER = llguidance.tiktoken.lltokenizer_from_encoding(_ENC)


def accepts(grammar: str, text: str) -> bool:
    m = LLMatcher(TOKENIZER, LLMatcher.grammar_from_lark(grammar), log_level=0)
    return m.consume_tokens(TOKENIZER.tokenize_str(text)) and m.is_accepting()


@pytest.fixture
def world(s: scint.Session) -> scint.Session:
    s.run(
        'create_context("notes"); create_context("research", type="Thread"); '
        'create_context("lit", type="Process", parent="research", goal="find papers"); research.lit.add_task(title="a")'
    )
    return s


def test_the_specialised_grammar_is_valid_for_llguidance(world: scint.Session) -> None:
    for kwargs in ({}, {"scope": "research.lit", "self_path": "research.lit"}):
        g = program_grammar(world, **kwargs)  # type: ignore[arg-type]
        assert LLMatcher.validate_grammar_with_warnings(LLMatcher.grammar_from_lark(g)) == (False, [])


@pytest.mark.parametrize(
    "program",
    [
        'notes.put(key="milk", value={"qty": 2, "unit": "l"})',
        '  # leading comment\nnotes.put("a", 1)\nm = notes.get(key="a"); notes.put(key="b", value=$m)',
        't = research.lit.add_task(title="x", detail=null)\nresearch.lit.t1.start()',
        'create_context("more", type="Container", data={})',
        "history.log(limit=3); contexts(); help()",
        'research.post(role="user", content="""two\nlines""")',
        "",
    ],
)
def test_valid_calls_are_accepted(world: scint.Session, program: str) -> None:
    g = program_grammar(world)
    assert accepts(g, program)
    scint.parse(program)  # and the language is a subset of Scint's


@pytest.mark.parametrize(
    "program",
    [
        'notes.pot(key="a", value=1)',  # unknown action
        'notes.put(kee="a", value=1)',  # unknown parameter
        'nothing.put(key="a", value=1)',  # unknown context
        "research.lit.t9.start()",  # a task that does not exist
        'notes.keys(key="a")',  # a query without parameters
        "notes.put(key=)",  # not Scint at all
    ],
)
def test_unknown_names_are_rejected(world: scint.Session, program: str) -> None:
    assert not accepts(program_grammar(world), program)


def test_a_context_created_in_one_call_is_usable_from_the_next(world: scint.Session) -> None:
    assert not accepts(program_grammar(world), 'shop.put(key="a", value=1)')
    world.run('create_context("shop")')
    assert accepts(program_grammar(world), 'shop.put(key="a", value=1)')


def test_a_process_grammar_offers_self_and_only_queries_outside_its_subtree(world: scint.Session) -> None:
    g = program_grammar(world, scope="research.lit", self_path="research.lit")
    assert accepts(g, 'self.add_task(title="b"); self.t1.start(); research.lit.spawn(name="sub", goal="g")')
    assert accepts(g, 'notes.get(key="a"); notes.keys(); research.messages(last=2)')
    assert not accepts(g, 'notes.put(key="a", value=1)')  # an action outside its subtree
    assert not accepts(g, 'history.checkout(name="x")')  # switching branches is not its to do
    assert accepts(g, "history.log()")


def test_a_process_grammar_admits_only_what_its_capabilities_allow(world: scint.Session) -> None:
    """Deny by default: the grammar given to a process's model (actor=...) is llguidance-valid and admits exactly
    the calls its capabilities allow: no reading outside them either."""
    world.run('research.lit.configure(settings={"can": ["self.**", "notes.get", "help"]})')
    g = program_grammar(world, self_path="research.lit", actor="process:research.lit")
    assert LLMatcher.validate_grammar_with_warnings(LLMatcher.grammar_from_lark(g)) == (False, [])
    assert accepts(g, 'self.add_task(title="b"); self.t1.start(); notes.get(key="a"); help()')
    assert not accepts(g, "notes.keys()")  # a query it was not granted
    assert not accepts(g, 'notes.put(key="a", value=1)')
    assert not accepts(g, "history.log()") and not accepts(g, "contexts()")
