"""The state of one branch: a tree of named contexts, changed only by applying recorded actions.

`MapState.apply(path, action, args)` is the one way state changes, live and on replay alike. A transaction
(`begin` / `commit` / `rollback`) makes a program atomic in memory: each context touched is checkpointed
before its first change (a Container journals only the keys it touches), and the tree itself is copied before
the first context is created or dropped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scint.contexts.base import NAME_RE, Context, call_spec, did_you_mean
from scint.contexts.registry import get_type
from scint.contexts.types import copy_value
from scint.contexts.unloaded import is_unloaded, not_loaded, stored_type
from scint.core.mail import MAIL_ACTIONS, Mail
from scint.errors import ActionError, BadArguments, ConflictError, HistoryError, UnknownContext

__all__ = ["BUILTIN_NAMES", "MapState"]

# Root-level names that are the language's own (built-in functions and the history context).
BUILTIN_NAMES = frozenset({"create_context", "drop_context", "contexts", "help", "history", "self"})
_MAX_CONTEXTS = 100_000
_MAX_PATH_DEPTH = 16
_BUILTIN_MODULE = "scint.contexts.builtin"


class _Txn:
    __slots__ = ("copied", "order", "structure", "touched")

    def __init__(self) -> None:
        self.touched: dict[int, Context] = {}  # checkpointed by their type (a journal, for the built-in types)
        self.copied: set[int] = set()  # checkpointed by a full copy of their state
        # Every checkpoint in the order taken, undone newest first: (context, full copy?, token). A context may
        # have two: its type's journal (its own built-in actions ran) and a full copy (other code reached it);
        # a journal stops at the full copy, which covers everything after it.
        self.order: list[tuple[Context, bool, Any]] = []
        self.structure: tuple[dict[str, Context], dict[str, list[str]]] | None = None


class _Watch:
    """The contexts a query's code reached, each with a copy of its state as it was: after the query, any that
    changed is put back and the query refused (nothing it did is recorded, so nothing it did may stay)."""

    __slots__ = ("copies",)

    def __init__(self) -> None:
        self.copies: dict[int, tuple[Context, dict[str, Any]]] = {}

    def __call__(self, ctx: Context) -> None:
        if id(ctx) not in self.copies:
            self.copies[id(ctx)] = (ctx, copy_value(ctx.__dict__))

    def undo(self) -> list[Context]:
        """Put back every context that changed; returns them."""
        changed = []
        for ctx, before in self.copies.values():
            if ctx.__dict__ != before:
                ctx.__dict__.clear()
                ctx.__dict__.update(before)
                changed.append(ctx)
        return changed


class MapState:
    """All contexts of a branch, by dotted path, in creation order."""

    __slots__ = ("_children", "_reach", "_txn", "contexts", "mail", "reached", "result", "stale", "time")

    def __init__(self) -> None:
        self.contexts: dict[str, Context] = {}
        self._children: dict[str, list[str]] = {"": []}
        self._txn: _Txn | None = None
        # While a type's own code (not Scint's built-in types) runs, every context it reaches through the map is
        # passed to `_reach` first: checkpointed whole inside an action, watched inside a query. `reached` lists
        # them for the last action applied.
        self._reach: Any = None
        self.reached: list[Context] = []
        self.time: datetime | str | None = None  # the event being applied: when it was recorded
        self.result: Any = None  # the result of the last applied action (not state)
        # Replay met a context whose type is not registered (scint/contexts/unloaded.py) and could not apply what
        # it recorded: the state is partly out of date, so it may be read but not written or snapshotted.
        self.stale = False
        self.mail = Mail()  # messages and proposals (scint/core/mail.py)

    # -- persistence --------------------------------------------------------------------------------------

    def to_data(self) -> dict[str, list[Any]]:
        """Plain data: {path: [type name, fields]} in creation order (the live field dicts, not copies)."""
        out: dict[str, list[Any]] = {}
        for path, ctx in self.contexts.items():
            entry = [ctx.__scint_type__, ctx.__dict__]
            if ctx.schema_version > 1:
                entry.append(ctx.schema_version)
            out[path] = entry
        if self.mail:  # no context has the empty path
            out[""] = ["mail", self.mail.to_data()]
        return out

    @classmethod
    def from_data(cls, data: dict[str, list[Any]]) -> MapState:
        state = cls()
        for path, (type_name, fields, *version) in data.items():
            if path == "":
                state.mail = Mail.from_data(fields)
                continue
            saved = version[0] if version else 1
            ctype, _unloaded = stored_type(type_name, saved)  # not registered: its state kept as data, read-only
            if saved < ctype.schema_version:
                fields = ctype.upcast_state(fields, saved)
            state._insert(path, ctype.restore(fields, path, state))
        return state

    # -- reading ----------------------------------------------------------------------------------------------

    def get(self, path: str) -> Context | None:
        ctx = self.contexts.get(path)
        if ctx is not None and self._reach is not None:
            self._reach(ctx)
        return ctx

    def children(self, path: str) -> list[str]:
        return list(self._children.get(path, ()))

    def now(self) -> str:
        t = self.time
        if t is None:
            return ""
        return t if isinstance(t, str) else t.isoformat()

    def require(self, path: str) -> Context:
        ctx = self.contexts.get(path)
        if ctx is None:
            parent, _, name = path.rpartition(".")
            siblings = self._children.get(parent, [])
            raise UnknownContext(f"there is no context `{path}`{did_you_mean(name, siblings)}")
        return ctx

    def subtree(self, path: str) -> list[str]:
        """`path` and every context below it, parents before children."""
        out = [path]
        i = 0
        while i < len(out):
            p = out[i]
            out.extend(f"{p}.{c}" if p else c for c in self._children.get(p, ()))
            i += 1
        return out if path else out[1:]

    # -- transactions ---------------------------------------------------------------------------------------

    def begin(self) -> None:
        """Open a transaction. One still open was left by a program that was interrupted before it could commit
        or roll back: its changes were never committed, so they are rolled back first."""
        if self._txn is not None:
            self.rollback()
        self._txn = _Txn()

    @property
    def in_transaction(self) -> bool:
        return self._txn is not None

    def commit(self) -> None:
        txn, self._txn = self._txn, None
        if txn is not None:
            for ctx in txn.touched.values():
                ctx.__scint_commit__()

    def rollback(self) -> None:
        txn, self._txn = self._txn, None
        if txn is None:
            return
        for ctx, full, token in reversed(txn.order):
            if full:
                Context.__scint_restore__(ctx, token)
            else:
                ctx.__scint_restore__(token)
        if txn.structure is not None:
            self.contexts, self._children = txn.structure

    def _touch(self, ctx: Context) -> None:
        txn = self._txn
        if txn is not None and id(ctx) not in txn.touched and id(ctx) not in txn.copied:
            txn.touched[id(ctx)] = ctx
            txn.order.append((ctx, False, ctx.__scint_checkpoint__()))

    def _copy_whole(self, ctx: Context) -> None:
        """Checkpoint `ctx` by a full copy: code other than its type's journaled built-in actions may change it."""
        txn = self._txn
        self.reached.append(ctx)
        if txn is not None and id(ctx) not in txn.copied:
            txn.copied.add(id(ctx))
            txn.order.append((ctx, True, copy_value(ctx.__dict__)))
            ctx._scint_journal = None  # a journal it had stops here: the copy covers every later change

    def query(self, ctx: Context, spec: Any, args: dict[str, Any]) -> Any:
        """Run a query of a type that is not built in: whatever its code changes (in `ctx` or in any context it
        reaches), even if it then raises, is put back, and a change is refused as an ActionError."""
        watch = _Watch()
        watch(ctx)
        outer, self._reach = self._reach, watch
        try:
            value = call_spec(ctx, spec, args)
        finally:
            self._reach = outer
            changed = watch.undo()
        if changed:
            raise ActionError(
                f"{ctx.path}.{spec.name}() is a query but changed {', '.join(c.path for c in changed)}; declare it "
                "with @scint.action so that the change is recorded"
            )
        return value

    def _restructure(self) -> None:
        txn = self._txn
        if txn is not None and txn.structure is None:
            txn.structure = (dict(self.contexts), {k: list(v) for k, v in self._children.items()})

    # -- changing ---------------------------------------------------------------------------------------------

    def apply(self, path: str, action: str, args: dict[str, Any], version: int = 1, fresh: bool = False) -> Any:
        """Apply one recorded action: a built-in (path "") or an action of the context at `path`. `version` is
        the schema version of the target's type when the event was recorded (older events are upcast)."""
        if self._txn is not None and self.stale:
            raise ActionError(
                "this branch's state could not be fully replayed, so it can be read but not changed: "
                + "; ".join(sorted({not_loaded(c.__scint_type__) for c in self.contexts.values() if is_unloaded(c)}))
            )
        if path == "":
            if action == "create_context":
                ctype = None
                if self._txn is None:  # replaying: a type that is not registered here is kept as data, read-only
                    ctype, unloaded = stored_type(args["type"], version)
                    self.stale = self.stale or unloaded  # its settings are known, its defaults are not
                config = args.get("config") or {}
                if version > 1 or config:
                    ctype = ctype or get_type(args["type"])
                    if version < ctype.schema_version:
                        config = ctype.upcast_state(dict(config), version)
                return self.create(args["name"], args["type"], args.get("parent"), config, ctype)
            if action == "drop_context":
                return self.drop(args["path"])
            if action in MAIL_ACTIONS:
                return self._mail(action, args)
            raise HistoryError(f"unknown built-in action `{action}` in the history")
        ctx = self.contexts.get(path)
        if ctx is None:
            raise HistoryError(f"the history applies `{action}` to `{path}`, which does not exist")
        if is_unloaded(ctx):
            if self._txn is not None:
                raise ActionError(f"cannot change `{path}`: {not_loaded(ctx.__scint_type__)}")
            self.stale = True  # its type's code is not here to apply what it recorded
            return None
        if version < ctx.schema_version:
            action, args = type(ctx).upcast_event(action, args, version)
        spec = type(ctx).__scint_specs__.get(action)
        if spec is None or spec.kind not in ("action", "internal"):
            raise HistoryError(
                f"the history applies `{action}` to `{path}` ({ctx.__scint_type__}), which has no such action"
            )
        self.reached = []
        if spec.func.__module__ != _BUILTIN_MODULE:  # a type's own code: it may change anything it reaches
            return self._apply_foreign(ctx, spec, args if fresh else copy_value(args))
        self._touch(ctx)
        # A copy: the body may keep the arguments in its state and change them later, and the event (not yet
        # encoded until the program commits) must keep what was recorded. The built-in types never change a
        # stored value in place, so they may keep the arguments themselves.
        fresh = fresh or type(ctx).__module__ == _BUILTIN_MODULE
        return call_spec(ctx, spec, args if fresh else copy_value(args))

    def _mail(self, action: str, args: dict[str, Any]) -> Any:
        """A message or proposal event; a process with a pending proposal is `waiting` until it is decided."""
        self._touch(self.mail)
        result = self.mail.apply(action, args, self.now())
        if action in ("propose", "decide"):
            proposal = self.mail.proposal(result if action == "propose" else args.get("id"))
            path = proposal.get("self_path") if proposal else None
            ctx = self.contexts.get(path) if isinstance(path, str) else None
            if ctx is not None and ctx.__scint_type__ == "Process":
                waiting = bool(self.mail.pending(proposal["proposer"]))  # type: ignore[index]
                if waiting or ctx.status == "waiting":  # type: ignore[attr-defined]
                    self._touch(ctx)
                    ctx.status = "waiting" if waiting else "idle"  # type: ignore[attr-defined]
        return result

    def _apply_foreign(self, ctx: Context, spec: Any, args: dict[str, Any]) -> Any:
        self._copy_whole(ctx)
        outer, self._reach = self._reach, self._copy_whole
        try:
            return call_spec(ctx, spec, args)
        finally:
            self._reach = outer

    def create(
        self, name: str, type_name: str, parent: str | None, config: dict[str, Any], ctype: type[Context] | None = None
    ) -> str:
        """Create a context (of `ctype`, default: the registered type `type_name`); returns its path."""
        parent = parent or ""
        if not isinstance(name, str) or not NAME_RE.fullmatch(name):
            raise BadArguments(
                f"a context name is a letter followed by letters, digits or _ (at most 64), not {name!r}"
            )
        if parent and parent not in self.contexts:
            self.require(parent)
        path = f"{parent}.{name}" if parent else name
        if not parent and name in BUILTIN_NAMES:
            raise BadArguments(f"`{name}` is a built-in name; choose another name for the context")
        if parent:
            ptype = type(self.contexts[parent])
            if name in ptype.__scint_specs__:
                raise BadArguments(
                    f"`{name}` is an action of {parent} ({ptype.__scint_type__}); choose another name for the child"
                )
        if path in self.contexts:
            raise ConflictError(f"a context `{path}` already exists ({self.contexts[path].__scint_type__})")
        if path.count(".") >= _MAX_PATH_DEPTH:
            raise BadArguments(f"contexts nest at most {_MAX_PATH_DEPTH} deep")
        if len(self.contexts) >= _MAX_CONTEXTS:
            raise ActionError(f"a map holds at most {_MAX_CONTEXTS:,} contexts")
        ctype = ctype or get_type(type_name)
        fields = ctype.initial_state(config, where=f"create_context({name!r}, type={type_name!r})")
        self._restructure()
        self._insert(path, ctype.restore(fields, path, self))
        return path

    def create_child(self, parent: str, name: str, type_name: str, config: dict[str, Any]) -> str:
        if isinstance(self._reach, _Watch):
            raise ActionError(f"{parent}: a query cannot create contexts; declare it with @scint.action")
        return self.create(name, type_name, parent, config)

    def _insert(self, path: str, ctx: Context) -> None:
        parent, _, name = path.rpartition(".")
        self.contexts[path] = ctx
        self._children.setdefault(parent, []).append(name)
        self._children.setdefault(path, [])

    def drop(self, path: str) -> list[str]:
        """Remove a context and everything below it; returns the removed paths."""
        self.require(path)
        self._restructure()
        removed = self.subtree(path)
        for p in removed:
            del self.contexts[p]
            self._children.pop(p, None)
        parent, _, name = path.rpartition(".")
        self._children[parent].remove(name)
        return removed
