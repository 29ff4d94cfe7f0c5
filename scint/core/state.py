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
from scint.errors import ActionError, BadArguments, ConflictError, HistoryError, UnknownContext

__all__ = ["BUILTIN_NAMES", "MapState"]

# Root-level names that are the language's own (built-in functions and the history context).
BUILTIN_NAMES = frozenset({"create_context", "drop_context", "contexts", "help", "history", "self"})
_MAX_CONTEXTS = 100_000
_MAX_PATH_DEPTH = 16


class _Txn:
    __slots__ = ("structure", "touched")

    def __init__(self) -> None:
        self.touched: dict[int, tuple[Context, Any]] = {}
        self.structure: tuple[dict[str, Context], dict[str, list[str]]] | None = None


class MapState:
    """All contexts of a branch, by dotted path, in creation order."""

    __slots__ = ("_children", "_txn", "contexts", "result", "time")

    def __init__(self) -> None:
        self.contexts: dict[str, Context] = {}
        self._children: dict[str, list[str]] = {"": []}
        self._txn: _Txn | None = None
        self.time: datetime | str | None = None  # the event being applied: when it was recorded
        self.result: Any = None  # the result of the last applied action (not state)

    # -- persistence --------------------------------------------------------------------------------------

    def to_data(self) -> dict[str, list[Any]]:
        """Plain data: {path: [type name, fields]} in creation order (the live field dicts, not copies)."""
        out: dict[str, list[Any]] = {}
        for path, ctx in self.contexts.items():
            entry = [ctx.__scint_type__, ctx.__dict__]
            if ctx.schema_version > 1:
                entry.append(ctx.schema_version)
            out[path] = entry
        return out

    @classmethod
    def from_data(cls, data: dict[str, list[Any]]) -> MapState:
        state = cls()
        for path, (type_name, fields, *version) in data.items():
            try:
                ctype = get_type(type_name)
            except BadArguments:
                raise HistoryError(
                    f"the history uses the context type `{type_name}` (at {path}), which is not registered here; "
                    "import or register it before opening this store"
                ) from None
            saved = version[0] if version else 1
            if saved < ctype.schema_version:
                fields = ctype.upcast_state(fields, saved)
            state._insert(path, ctype.restore(fields, path, state))
        return state

    # -- reading ----------------------------------------------------------------------------------------------

    def get(self, path: str) -> Context | None:
        return self.contexts.get(path)

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
            for ctx, _ in txn.touched.values():
                ctx.__scint_commit__()

    def rollback(self) -> None:
        txn, self._txn = self._txn, None
        if txn is None:
            return
        for ctx, token in reversed(list(txn.touched.values())):
            ctx.__scint_restore__(token)
        if txn.structure is not None:
            self.contexts, self._children = txn.structure

    def _touch(self, ctx: Context) -> None:
        txn = self._txn
        if txn is not None and id(ctx) not in txn.touched:
            txn.touched[id(ctx)] = (ctx, ctx.__scint_checkpoint__())

    def _restructure(self) -> None:
        txn = self._txn
        if txn is not None and txn.structure is None:
            txn.structure = (dict(self.contexts), {k: list(v) for k, v in self._children.items()})

    # -- changing ---------------------------------------------------------------------------------------------

    def apply(self, path: str, action: str, args: dict[str, Any], version: int = 1, fresh: bool = False) -> Any:
        """Apply one recorded action: a built-in (path "") or an action of the context at `path`. `version` is
        the schema version of the target's type when the event was recorded (older events are upcast)."""
        if path == "":
            if action == "create_context":
                if self._txn is None:  # replaying history: a type that is gone is the store's problem to name
                    try:
                        get_type(args["type"])
                    except BadArguments:
                        raise HistoryError(
                            f"the history uses the context type `{args['type']}` (at {args.get('name')}), which is "
                            "not registered here; import or register it before opening this store"
                        ) from None
                config = args.get("config") or {}
                if version > 1 or config:
                    ctype = get_type(args["type"])
                    if version < ctype.schema_version:
                        config = ctype.upcast_state(dict(config), version)
                return self.create(args["name"], args["type"], args.get("parent"), config)
            if action == "drop_context":
                return self.drop(args["path"])
            raise HistoryError(f"unknown built-in action `{action}` in the history")
        ctx = self.contexts.get(path)
        if ctx is None:
            raise HistoryError(f"the history applies `{action}` to `{path}`, which does not exist")
        if version < ctx.schema_version:
            action, args = type(ctx).upcast_event(action, args, version)
        spec = type(ctx).__scint_specs__.get(action)
        if spec is None or spec.kind not in ("action", "internal"):
            raise HistoryError(
                f"the history applies `{action}` to `{path}` ({ctx.__scint_type__}), which has no such action"
            )
        self._touch(ctx)
        # A copy: the body may keep the arguments in its state and change them later, and the event (not yet
        # encoded until the program commits) must keep what was recorded.
        return call_spec(ctx, spec, args if fresh else copy_value(args))

    def create(self, name: str, type_name: str, parent: str | None, config: dict[str, Any]) -> str:
        """Create a context; returns its path."""
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
        ctype = get_type(type_name)
        fields = ctype.initial_state(config, where=f"create_context({name!r}, type={type_name!r})")
        self._restructure()
        self._insert(path, ctype.restore(fields, path, self))
        return path

    def create_child(self, parent: str, name: str, type_name: str, config: dict[str, Any]) -> str:
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
