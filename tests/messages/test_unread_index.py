"""The mail's index of unread messages per recipient agrees with a scan of every message, whatever programs ran,
failed (rolled back) or were replayed: a step reads its own unread messages from the index."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scint
from scint.core.mail import Mail

ADDRESSES = ("a", "b", "human", "human:ann")
ops = st.lists(
    st.one_of(
        st.tuples(st.just("send"), st.sampled_from(ADDRESSES), st.sampled_from(["query", "read", "stop"])),
        st.tuples(st.just("send_then_fail"), st.sampled_from(ADDRESSES), st.just("query")),
        st.tuples(st.just("reply"), st.sampled_from(("a", "b")), st.just("")),
        st.tuples(st.just("deliver"), st.sampled_from(("a", "b")), st.just("")),
    ),
    max_size=25,
)


def scanned(mail: Mail, to: str) -> list[str]:
    return [m["id"] for m in mail.messages if m["to"] == to and not m["read"]]


def check(mail: Mail) -> None:
    for to in ADDRESSES:
        assert [m["id"] for m in mail.unread(to)] == scanned(mail, to)
        assert mail.unread_count(to) == len(scanned(mail, to))
    for process in ("a", "b"):
        assert [m["id"] for m in mail.inbox(process)] == scanned(mail, process)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=ops)
def test_the_unread_index_agrees_with_a_scan(steps: list[tuple[str, str, str]]) -> None:
    with scint.open("memory://") as s:
        s.run('create_context("a", type="Process", goal="x"); create_context("b", type="Process", goal="y")')
        for op, to, kind in steps:
            if op == "send":
                s.send(to, "hello", kind=kind, actor="process:a" if to != "a" else "process:b")
            elif op == "send_then_fail":
                try:
                    s.run(f'send(to="{to}", content="lost", kind="query")\nnowhere.put(key="k", value=1)', "human")
                except scint.ScintError:
                    pass
            elif op == "reply":
                queries = [m for m in s.inbox(to, actor=f"process:{to}") if m["kind"] == "query"]
                if queries:
                    s.reply(queries[0]["id"], "answer", actor=f"process:{to}")
            else:
                s.deliver_messages(to)
            check(s._guard(s._current).state.mail)
        live = s._guard(s._current).state.mail
        check(live)
        fresh = Mail.from_data(live.to_data())  # as a replay or a reopened store builds it: the index from scratch
        for to in ADDRESSES:
            assert [m["id"] for m in fresh.unread(to)] == [m["id"] for m in live.unread(to)]
