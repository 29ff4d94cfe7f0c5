"""What the LLM layer needs from a session: a small protocol, so that scint.llm depends on no Session class
(scint.session implements it; a test double or another host could too)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from scint.contexts.base import Context, Spec
from scint.dsl import Limits, Program

__all__ = ["Host", "RunResult"]


class RunResult(Protocol):
    """What running a program returns (scint.Result)."""

    value: Any
    values: tuple[Any, ...]
    version: int
    events: tuple[Any, ...]
    program_id: str
    branch: str


class Host(Protocol):
    """A session as the LLM layer uses it.

    A process's run also uses these when the host has them (a host without them has no messages, and no
    `python:NAME` backends): `deliver_messages(path, limit=...)` (a process's unread messages into its
    transcript; returns the events), `inbox(path)` (its unread messages) and `backend_function(name)` (the
    function registered as `python:NAME`)."""

    limits: Limits
    branch_name: str

    @property
    def version(self) -> int: ...

    @property
    def llm(self) -> Any: ...

    @property
    def models(self) -> Any:
        """The providers of named models (scint.llm.endpoints.Models)."""
        ...

    def run(
        self,
        text: str | Program,
        actor: str = "human",
        *,
        params: Any = None,
        request: Any = None,
        scope: str | None = None,
        self_path: str | None = None,
        dry_run: bool = False,
    ) -> RunResult: ...

    def view(self, path: str | None = None, at: int | None = None) -> Any: ...

    def handle(self, tool_call: Any, *, actor: str | None = None) -> str: ...

    def callables(
        self, actor: str | None = None, can: list[str] | None = None
    ) -> tuple[Mapping[str, Context], Mapping[str, Spec], Mapping[str, Spec], Callable[[str, str], bool] | None]:
        """What a program of `actor` may call now: the live contexts, the built-in functions and `history`
        actions it may call, and `allows(path, action)` for the contexts' actions (None: all of them)."""
        ...
