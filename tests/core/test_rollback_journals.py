"""The built-in types undo a failed program with journals (not copies of their whole state): check that every
kind of change, and fields a subclass adds, come back exactly."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import scint
from scint.contexts.builtin import Container, Process, Thread


def test_every_builtin_change_is_undone(session: scint.Session) -> None:
    session.run(
        'create_context("n"); n.put(key="keep", value={"a": [1]}); n.put(key="gone", value=1)\n'
        'create_context("t", type="Thread"); t.post(role="user", content="first")\n'
        'create_context("c", type="Composer"); c.define(name="w", body="n.keys()")\n'
        'create_context("p", type="Process", goal="g"); p.add_task(title="one")'
    )
    before = session.view().render("json")
    with pytest.raises(scint.UnknownAction):
        session.run(
            'n.put(key="new", value=1); n.update(key="keep", patch={"b": 2}); n.delete(key="gone")\n'
            't.post(role="user", content="second"); t.post(role="ai", content="third")\n'
            'c.define(name="w", body="n.items()"); c.define(name="v", body="n.keys()")\n'
            'p.add_task(title="two"); p.spawn(name="kid", goal="x"); p.t1.start()\n'
            "n.nope()"
        )
    assert session.view().render("json") == before
    assert session.replay().render("json") == before


def test_fields_a_subclass_adds_are_undone_too(
    session: scint.Session, register_type: Callable[[type[scint.Context]], type[scint.Context]]
) -> None:
    class Notes(Container):
        """A container that counts writes."""

        writes: int = 0
        tags: list[str] = []

        @scint.action
        def tag(self, key: str, value: str) -> int:
            """Store and count."""
            self.put(key, value)
            self.writes += 1
            self.tags.append(key)
            return self.writes

    class Chat(Thread):
        """A thread with a topic."""

        topic: list[str] = []

        @scint.action
        def about(self, topic: str) -> None:
            """Add a topic."""
            self.topic.append(topic)

    class Agent(Process):
        """A process with notes."""

        notes: dict[str, int] = {}

        @scint.action
        def note(self, key: str) -> None:
            """Count a note."""
            self.notes[key] = self.notes.get(key, 0) + 1

    for cls in (Notes, Chat, Agent):
        register_type(cls)
    session.run(
        'create_context("n", type="Notes"); n.tag(key="a", value="x")\n'
        'create_context("ch", type="Chat"); ch.about(topic="x")\n'
        'create_context("ag", type="Agent", goal="g"); ag.note(key="k")'
    )
    before = session.view().render("json")
    with pytest.raises(scint.UnknownAction):
        session.run('n.tag(key="b", value="y"); ch.about(topic="y"); ag.note(key="k"); ag.note(key="j"); n.nope()')
    assert session.view().render("json") == before
