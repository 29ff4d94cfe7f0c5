"""Sessions load modules: types and backends registered, init hooks in dependency order once the session is open,
exit hooks in reverse on close; a failing hook names its module and leaves nothing half-initialised."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import scint
from scint.contexts.registry import registered
from scint.modules import Module, get_backend, register_backend, register_module, registered_backends


class Journal(scint.Context):
    """Entries a module's hooks write."""

    entries: list[str] = []

    @scint.action
    def write(self, text: str) -> int:
        """Append `text`; returns how many entries there are."""
        self.entries.append(text)
        return len(self.entries)

    @scint.query
    def read(self) -> list[str]:
        """The entries."""
        return list(self.entries)


def recorder(calls: list[str], name: str, fail: str | None = None) -> dict[str, Callable[[Any], None]]:
    def hook(which: str) -> Callable[[Any], None]:
        def run(session: Any) -> None:
            calls.append(f"{which} {name}")
            if fail == which:
                raise ValueError(f"{name} is broken")
            if fail == "interrupt" and which == "init":
                raise KeyboardInterrupt

        return run

    return {"init": hook("init"), "exit": hook("exit")}


def chain(calls: list[str], fail: dict[str, str] | None = None) -> None:
    """base <- store <- app, and tools (no dependencies)."""
    fail = fail or {}
    register_module(Module("base", **recorder(calls, "base", fail.get("base"))))
    register_module(Module("store", requires=["base"], **recorder(calls, "store", fail.get("store"))))
    register_module(Module("app", requires=["store", "tools"], **recorder(calls, "app", fail.get("app"))))
    register_module(Module("tools", **recorder(calls, "tools", fail.get("tools"))))


def test_init_in_dependency_order_exit_in_reverse(store_url: str) -> None:
    calls: list[str] = []
    chain(calls)
    s = scint.open(store_url, modules=["app"])
    assert s.modules == ("base", "store", "tools", "app")
    assert calls == ["init base", "init store", "init tools", "init app"]
    s.close()
    assert calls[4:] == ["exit app", "exit tools", "exit store", "exit base"]
    s.close()  # idempotent: exit hooks run once
    assert len(calls) == 8


def test_a_module_brings_types_used_by_its_hooks(store_url: str) -> None:
    def init(session: scint.Session) -> None:
        session.run('create_context("journal", type="Journal"); journal.write(text="opened")')

    def exit_(session: scint.Session) -> None:
        session.run('journal.write(text="closed")')  # the session still works while modules exit

    register_module(Module("journal", init=init, exit=exit_, types=[Journal]))
    assert "Journal" not in registered()
    with scint.open(store_url, modules=["journal"]) as s:
        assert registered()["Journal"] is Journal
        assert s.run("journal.entries").value == ["opened"] if False else True
    if store_url != "memory://":
        with scint.open(store_url) as again:  # no modules named: nothing runs, the type stays registered
            assert again.modules == ()
            assert again.run("journal.read()").value == ["opened", "closed"]


@pytest.mark.parametrize("failing", ["base", "store", "tools", "app"])
def test_a_failing_init_exits_the_ones_before_and_names_itself(store_url: str, failing: str) -> None:
    calls: list[str] = []
    chain(calls, fail={failing: "init"})
    with pytest.raises(scint.ModuleError) as info:
        scint.open(store_url, modules=["app"])
    assert str(info.value) == f"module `{failing}`: its init hook failed: ValueError: {failing} is broken"
    assert isinstance(info.value.__cause__, ValueError)
    order = ["base", "store", "tools", "app"]
    before = order[: order.index(failing)]
    assert calls == [f"init {n}" for n in [*before, failing]] + [f"exit {n}" for n in reversed(before)]
    with scint.open(store_url) as s:  # the store was closed and opens again
        s.run('create_context("ok", type="Container")')


def test_ctrl_c_in_an_init_hook_exits_the_ones_before(store_url: str) -> None:
    calls: list[str] = []
    chain(calls, fail={"tools": "interrupt"})
    with pytest.raises(KeyboardInterrupt):
        scint.open(store_url, modules=["app"])
    assert calls == ["init base", "init store", "init tools", "exit store", "exit base"]
    with scint.open(store_url) as s:
        assert s.modules == ()


def test_a_failing_exit_still_exits_the_rest_and_closes(store_url: str) -> None:
    calls: list[str] = []
    chain(calls, fail={"store": "exit", "tools": "exit"})
    s = scint.open(store_url, modules=["app"])
    with pytest.raises(scint.ModuleError) as info:
        s.close()
    assert str(info.value) == "module `tools`: its exit hook failed: ValueError: tools is broken"
    assert calls[4:] == ["exit app", "exit tools", "exit store", "exit base"]
    with pytest.raises(scint.StoreError, match="closed"):
        s.run("show()")
    s.close()  # already closed: nothing runs again
    assert len(calls) == 8


def test_a_scint_error_in_a_hook_keeps_its_message() -> None:
    def init(session: scint.Session) -> None:
        session.run("nothing.here()")

    register_module(Module("bad", init=init))
    with pytest.raises(scint.ModuleError) as info:
        scint.open("memory://", modules=["bad"])
    assert str(info.value).startswith("module `bad`: its init hook failed: ")
    assert "nothing" in str(info.value) and isinstance(info.value.__cause__, scint.UnknownContext)


def test_autoload_modules_load_in_every_session(store_url: str) -> None:
    calls: list[str] = []
    register_module(Module("auto", autoload=True, **recorder(calls, "auto")))
    register_module(Module("named", **recorder(calls, "named")))
    with scint.open(store_url) as s:
        assert s.modules == ("auto",)
    with scint.open(store_url, modules=["named"]) as s:
        assert s.modules == ("named", "auto")
    assert calls == ["init auto", "exit auto", "init named", "init auto", "exit auto", "exit named"]


def test_opening_with_a_missing_module_names_it_and_opens_nothing(store_url: str) -> None:
    register_module(Module("b", requires=["c"]))
    with pytest.raises(scint.ModuleError, match=r"module `b` requires `c`, which is not installed; installed: b"):
        scint.open(store_url, modules=["b"])
    with scint.open(store_url) as s:
        assert s.modules == ()


def test_two_sessions_each_init_and_exit_their_own() -> None:
    calls: list[Any] = []
    register_module(Module("m", init=lambda s: calls.append(("init", s)), exit=lambda s: calls.append(("exit", s))))
    a = scint.open("memory://", modules=["m"])
    b = scint.open("memory://", modules=["m"])
    b.close()
    a.close()
    assert calls == [("init", a), ("init", b), ("exit", b), ("exit", a)]


def test_a_module_may_not_replace_a_built_in_type() -> None:
    class Container(scint.Context):
        """Not the built-in one."""

    register_module(Module("evil", types=[Container]))
    with pytest.raises(scint.ModuleError, match="module `evil` brings the type `Container`, a built-in type"):
        scint.open("memory://", modules=["evil"])
    assert registered()["Container"] is not Container


# -- backends -----------------------------------------------------------------------------------------------------


def test_backends_register_by_name() -> None:
    def echo(message: Any, view: Any) -> str:
        return str(message)

    assert scint.register_backend("echo", echo) is echo
    assert scint.registered_backends()["echo"] is echo
    assert get_backend("echo") is echo
    with pytest.raises(scint.ModuleError) as info:
        get_backend("ecko")
    assert str(info.value).startswith("no backend `ecko` is registered (did you mean `echo`?); registered: ")
    for name, fn in [("a b", echo), ("", echo), (None, echo), ("ok", "not callable")]:
        with pytest.raises(scint.ModuleError):
            register_backend(name, fn)  # type: ignore[arg-type]
    with pytest.raises(scint.ModuleError, match="is not valid"):
        get_backend("../x")


def test_a_module_brings_its_backends_when_it_loads() -> None:
    def reply(message: Any, view: Any) -> str:
        return "ok"

    register_module(Module("bot", backends={"bot.reply": reply}))
    assert "bot.reply" not in registered_backends()
    with scint.open("memory://", modules=["bot"]):
        assert get_backend("bot.reply") is reply


def test_more_modules_load_into_an_open_session(store_url: str) -> None:
    calls: list[str] = []
    chain(calls, fail={"app": "init"})
    s = scint.open(store_url, modules=["base"])
    assert s.load_modules(["store", "base"]) == ("store",)
    with pytest.raises(scint.ModuleError, match="module `app`: its init hook failed"):
        s.load_modules(["app"])  # tools is initialised, then app fails: tools is exited, base and store stay
    assert s.modules == ("base", "store")
    assert s.load_modules(["tools"]) == ("tools",)
    s.close()
    assert calls == [
        "init base", "init store", "init tools", "init app", "exit tools", "init tools",
        "exit tools", "exit store", "exit base",
    ]  # fmt: skip
    with pytest.raises(scint.StoreError, match="closed"):
        s.load_modules(["base"])


def test_an_exit_hook_cannot_load_modules_while_the_session_closes() -> None:
    seen: list[str] = []

    def exit_(session: scint.Session) -> None:
        try:
            session.load_modules(["late"])
        except scint.StoreError as exc:
            seen.append(str(exc))

    register_module(Module("late"))
    register_module(Module("closing", exit=exit_))
    scint.open("memory://", modules=["closing"]).close()
    assert seen == ["this session is closed"]
