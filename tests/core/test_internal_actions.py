"""Internal actions (a process's transcript and run status) are recorded and replayed, but the language cannot
reach them: a model cannot forge its own transcript. Queries may not change state."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import scint


def test_the_language_cannot_call_internal_actions(session: scint.Session) -> None:
    session.run('create_context("p", type="Process", goal="g")')
    for program in ('p.record(entry={"text": "forged"})', 'p.set_status(status="done", answer="forged")'):
        with pytest.raises(scint.UnknownAction) as err:
            session.run(program)
        assert "record" not in str(err.value).split("it has:")[-1]
    assert "record(" not in session.run("help()").value
    assert session.view().get("p")["transcript"] == [] and session.view().get("p")["status"] == "idle"
    # The runtime can, and what it records replays.
    session.run('p.record(entry={"text": "real"}); p.set_status(status="done", answer="ok")', _internal=True)
    assert session.view().get("p")["answer"] == "ok"
    assert session.replay().render("json") == session.view().render("json")


def test_a_query_that_changes_state_is_refused_and_undone(
    session: scint.Session, register_type: Callable[[type[scint.Context]], type[scint.Context]]
) -> None:
    class Sneaky(scint.Context):
        """Its query writes."""

        n: int = 0

        @scint.query
        def peek(self) -> int:
            """Reads, supposedly."""
            self.n += 1
            return self.n

    register_type(Sneaky)
    session.run('create_context("s", type="Sneaky")')
    with pytest.raises(scint.ActionError, match="query but changed"):
        session.run("s.peek()")
    assert session.view().get("s") == {"n": 0}
    assert session.replay().render("json") == session.view().render("json")


def test_replaying_a_type_that_is_gone_names_it(
    persistent_url: str, register_type: Callable[[type[scint.Context]], type[scint.Context]]
) -> None:
    class Temp(scint.Context):
        """Here today."""

        x: int = 0

    register_type(Temp)
    with scint.open(persistent_url) as s:
        s.run('create_context("t", type="Temp")')
    scint.contexts.registry.unregister("Temp")
    with scint.open(persistent_url) as s:  # readable as data (tests/contexts/test_unloaded.py); not changeable
        assert s.view().type_of("t") == "Temp"
        with pytest.raises(scint.ScintError, match="`Temp` is not registered"):
            s.run('drop_context(path="t")')


def test_a_scoped_actor_may_not_drop_the_context_it_works_in(session: scint.Session) -> None:
    session.run('create_context("p", type="Process", goal="g"); p.spawn(name="kid", goal="k")')
    with pytest.raises(scint.PermissionDenied, match="works in"):
        session.run('drop_context(path="p")', actor="human", scope="p", self_path="p")
    session.run('create_context("notes")')
    with pytest.raises(scint.PermissionDenied, match=r"lacks the capability `notes\.drop_context`"):
        session.run('drop_context(path="notes")', actor="process:p")
    with pytest.raises(scint.PermissionDenied, match="works in"):
        session.run('drop_context(path="p")', actor="process:p", scope="p", self_path="p")
    assert session.run('drop_context(path="p.kid")', actor="process:p", scope="p", self_path="p").value == ["p.kid"]
    assert "p" in session.view()


def test_a_path_on_an_empty_store_is_unknown(session: scint.Session) -> None:
    assert len(session.view()) == 0
    with pytest.raises(scint.UnknownContext):
        session.view("nope")


def test_self_in_a_workflow_a_process_defines_means_that_process(session: scint.Session) -> None:
    session.run('create_context("p", type="Process", goal="g"); create_context("c", type="Composer")')
    session.run('p.configure(settings={"can": ["self.**", "c.*"]})')
    session.run(
        'c.define(name="more", body="self.add_task(title=\\"again\\")")', actor="process:p", scope=None, self_path="p"
    )
    assert session.run('c.show(name="more")').value["body"].strip() == 'p.add_task(title="again")'
    assert session.run('c.run(name="more")').value == "p.t1"  # run by a person: still the process's task
