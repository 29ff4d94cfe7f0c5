"""Messages between actors (SPEC 11): send/reply/inbox, refusals, bounds, atomicity, replay equals live."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scint
from scint.core.messages import MAX_CONTENT, MAX_UNREAD
from scint.llm import MockProvider


@pytest.fixture
def two(session: scint.Session) -> scint.Session:
    session.run('create_context("a", type="Process", goal="answer"); create_context("b", type="Process", goal="ask")')
    return session


def test_a_query_is_answered_by_a_reply_to_its_sender(two: scint.Session) -> None:
    assert two.run('send(to="a", content="how many?", kind="query")', actor="process:b").value == "m1"
    [query] = two.inbox(actor="process:a")
    assert (query["id"], query["from"], query["kind"], query["content"]) == ("m1", "b", "query", "how many?")
    assert two.reply("m1", "three", actor="process:a") == "m2"
    [answer] = two.inbox("b")
    assert (answer["kind"], answer["reply_to"], answer["content"], answer["from"]) == ("reply", "m1", "three", "a")
    assert two.inbox("a") == []  # answered: read
    assert two.inbox("a", unread=False)[0]["answer"] == "m2"


@pytest.mark.parametrize(
    ("text", "actor", "error", "words"),
    [
        ('send(to="bb", content="x")', "process:a", scint.UnknownContext, "did you mean `b`"),
        ('send(to="human:9x", content="x")', "process:a", scint.BadArguments, "human:<name>"),
        ('send(to="b", content="x", kind="ask")', "process:a", scint.BadArguments, "query, read, stop"),
        ('send(to="b", content="  ")', "process:a", scint.BadArguments, "content"),
        ('reply(to="m1", content="x")', "process:b", scint.PermissionDenied, "only its recipient"),
        ('reply(to="m9", content="x")', "process:a", scint.ActionError, "no message"),
        ('reply(to="m2", content="x")', "process:b", scint.ActionError, "not a query"),
        ('inbox(path="b")', "process:a", scint.PermissionDenied, "own inbox"),
    ],
)
def test_refusals_say_what_is_wrong(two: scint.Session, text: str, actor: str, error: type, words: str) -> None:
    two.send("a", "q?", "query", actor="process:b")
    two.send("b", "fyi", actor="process:a")
    before = two.version
    with pytest.raises(error, match=words.replace("(", r"\(").replace("?", r"\?")):
        two.run(text, actor=actor)
    assert two.version == before


def test_a_query_is_answered_once(two: scint.Session) -> None:
    two.send("a", "q?", "query", actor="process:b")
    two.reply("m1", "yes", actor="process:a")
    with pytest.raises(scint.ActionError, match="already answered"):
        two.reply("m1", "no", actor="process:a")


def test_capabilities_hold_for_messages(two: scint.Session) -> None:
    two.run('a.configure(settings={"can": ["self.**"]})')
    with pytest.raises(scint.PermissionDenied, match="`send`"):
        two.send("b", "hi", actor="process:a")
    with pytest.raises(scint.PermissionDenied, match="may only read"):
        two.run('send(to="a", content="x")', read_only=True)
    with pytest.raises(scint.PermissionDenied, match="`inbox`"):
        two.run("inbox()", actor="human", can=["notes.*"])


def test_bounds(two: scint.Session) -> None:
    with pytest.raises(scint.LimitExceeded, match="at most"):
        two.send("a", "x" * (MAX_CONTENT + 1))
    two.run(";".join(f'send(to="a", content="n{i}")' for i in range(MAX_UNREAD)))
    with pytest.raises(scint.LimitExceeded, match="inbox of a is full"):
        two.send("a", "one more")


def test_a_failing_program_sends_nothing(two: scint.Session) -> None:
    with pytest.raises(scint.UnknownContext):
        two.run('send(to="a", content="x"); nothere.put(key="k", value=1)')
    assert two.inbox("a") == []
    assert two.send("a", "x") == "m1"  # the failed program took no id


def test_people_have_inboxes(two: scint.Session) -> None:
    two.send("human", "to anyone", actor="process:a")
    two.send("human:ann", "to ann", actor="process:a")
    assert [m["content"] for m in two.inbox()] == ["to anyone", "to ann"]
    assert [m["content"] for m in two.inbox(actor="human:ann")] == ["to anyone", "to ann"]
    assert [m["content"] for m in two.inbox(actor="human:bob")] == ["to anyone"]


def test_messages_replay_and_survive_reopening(persistent_url: str) -> None:
    with scint.open(persistent_url) as s:
        s.run('create_context("a", type="Process")')
        s.send("a", "q", "query", actor="human")
        s.reply("m1", "r", actor="process:a")
        live = s.inbox(unread=False)
        json_before = s.view().render("json")
    with scint.open(persistent_url) as again:
        assert again.inbox(unread=False) == live
        assert again.view().render("json") == json_before
        assert again.send("a", "next") == "m3"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "human"]), st.text(min_size=1, max_size=30).filter(str.strip),
                          st.sampled_from(["query", "read", "stop"])), max_size=8))  # fmt: skip
def test_ids_count_per_branch_and_a_branch_keeps_its_own(sent: list[tuple[str, str, str]]) -> None:
    with scint.open("memory://") as s:
        s.run('create_context("a", type="Process"); create_context("b", type="Process")')
        ids = [s.send(to, text, kind, actor="process:a") for to, text, kind in sent]
        assert ids == [f"m{i}" for i in range(1, len(sent) + 1)]
        s.branch("other")
        s.checkout("other")
        assert s.send("b", "on other") == f"m{len(sent) + 1}"
        s.checkout("main")
        assert len(s.inbox("b", unread=False)) == sum(1 for t, _, _ in sent if t == "b")


def test_a_process_sees_its_messages_in_its_next_step_and_answers(two: scint.Session) -> None:
    two.send("a", "how many eggs?", "query", actor="process:b")
    two.llm = mock = MockProvider([{"program": 'reply(to="m1", content="two")'}, "answered"])
    assert two.run("a.run(max_steps=3)").value == "answered"
    first_prompt = mock.history[0].messages
    assert "[m1] query from b: how many eggs?" in first_prompt[-1]["content"]
    assert two.inbox("a") == []  # delivered: read
    # b's next step sees the reply
    two.llm = mock_b = MockProvider(["thanks"])
    two.run("b.run(max_steps=1)")
    assert "[m2] reply from a (answering m1): two" in mock_b.history[0].messages[-1]["content"]
    # the whole exchange replays with no model call
    assert two.replay().render("json") == two.view().render("json")
    assert two.inbox(actor="process:b") == []


def test_a_process_sends_to_another(two: scint.Session) -> None:
    two.llm = MockProvider([{"program": 'send(to="a", content="start", kind="stop")'}, "sent"])
    two.run("b.run(max_steps=2)")
    [m] = two.inbox("a")
    assert (m["from"], m["kind"], m["content"]) == ("b", "stop", "start")
