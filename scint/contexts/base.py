"""Context types: plain Python classes whose typed fields are state, `@action` methods change it (and become
events) and `@query` methods read it. Signatures and docstrings are the single source for validation, help,
JSON schemas and the LLM's cheat sheet. Only declared actions and queries are reachable from the language."""

from __future__ import annotations

import difflib
import inspect
import keyword
import re
import typing
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, Protocol, TypeVar

import attrs

from scint.contexts import types as T
from scint.errors import ActionError, BadArguments, ScintError, UnknownAction

__all__ = [
    "MISSING",
    "Context",
    "MapAccess",
    "Param",
    "Spec",
    "action",
    "query",
]

NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

F = TypeVar("F", bound=Callable[..., Any])


def action(fn: F) -> F:
    """Mark a method as an action: it may change the context's state; each call is recorded as an event.

    The body must be a deterministic function of the state and the arguments."""
    fn.__scint_kind__ = "action"  # type: ignore[attr-defined]
    return fn


def internal(fn: F) -> F:
    """Mark a method as an internal action: recorded and replayed like any action, but not reachable from the
    language (the runtime calls it, e.g. to write a process's transcript). Internal."""
    fn.__scint_kind__ = "internal"  # type: ignore[attr-defined]
    return fn


def macro(fn: F) -> F:
    """Mark a method whose result the interpreter runs as a sub-program (Composer.run). Internal."""
    fn.__scint_kind__ = "macro"  # type: ignore[attr-defined]
    return fn


def query(fn: F) -> F:
    """Mark a method as a query: it reads the context's state and returns a value; nothing is recorded."""
    fn.__scint_kind__ = "query"  # type: ignore[attr-defined]
    return fn


@attrs.frozen(slots=True)
class Param:
    """One parameter of an action or query."""

    name: str
    annotation: Any
    default: Any = MISSING
    variadic: bool = False  # `**kwargs`: accepts any further keyword arguments

    @property
    def required(self) -> bool:
        return self.default is MISSING and not self.variadic

    def describe(self) -> str:
        if self.variadic:
            return f"**{self.name}"
        text = f"{self.name}: {T.describe(self.annotation)}"
        if self.default is not MISSING:
            text += "=" + T.literal(self.default)
        return text


@attrs.frozen(slots=True)
class Spec:
    """An action or query of a context type: its name, parameters, documentation and implementation."""

    name: str
    kind: str  # "action" | "query" | "macro" | "internal"
    params: tuple[Param, ...]
    returns: Any
    doc: str
    func: Callable[..., Any] = attrs.field(repr=False)

    @property
    def is_query(self) -> bool:
        return self.kind == "query"

    @property
    def public(self) -> bool:
        """Reachable from the language (everything but internal actions)."""
        return self.kind != "internal"

    def signature(self) -> str:
        return f"{self.name}({', '.join(p.describe() for p in self.params)})"

    def summary(self) -> str:
        """The first line of the docstring."""
        return self.doc.strip().splitlines()[0] if self.doc.strip() else ""

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name and not p.variadic:
                return p
        return None

    @property
    def variadic(self) -> Param | None:
        return next((p for p in self.params if p.variadic), None)

    def bind(self, args: list[Any], kwargs: dict[str, Any], where: str, plain: bool = False) -> dict[str, Any]:
        """Match positional and keyword arguments to parameters, fill defaults and check types.

        `plain`: the caller vouches that every argument is JSON-like (the interpreter's are), so a parameter
        that takes any value needs no walk over it. Returns the keyword arguments to call the implementation
        with; raises BadArguments."""
        plan = _PLANS.get(id(self))
        if plan is None or plan[0] is not self:
            plan = _plan(self)
        _, named, by_name, extra = plan
        if len(args) > len(named):
            raise BadArguments(
                f"{where}.{self.name}() takes {len(named)} positional argument{'s' if len(named) != 1 else ''} "
                f"but {len(args)} were given; signature: {self.signature()}"
            )
        out: dict[str, Any] = {}
        for p, v in zip(named, args, strict=False):
            out[p.name] = v
        for k, v in kwargs.items():
            p = by_name.get(k)
            if p is None and extra is None:
                raise BadArguments(
                    f"{where}.{self.name}() has no parameter `{k}`{did_you_mean(k, [q.name for q in named])}; "
                    f"signature: {self.signature()}"
                )
            if k in out:
                raise BadArguments(f"{where}.{self.name}() got `{k}` twice (positionally and by name)")
            out[k] = v
        for p in named:
            if p.name not in out:
                if p.default is MISSING:
                    raise BadArguments(
                        f"{where}.{self.name}() is missing the argument `{p.name}`; signature: {self.signature()}"
                    )
                out[p.name] = T.copy_value(p.default)
            elif not (plain and p.annotation is Any) and not T.check(out[p.name], p.annotation):
                raise BadArguments(
                    f"{where}.{self.name}(): `{p.name}` must be {T.describe(p.annotation)}, "
                    f"not {_type_name(out[p.name])} {_short(out[p.name])}"
                )
        if extra is not None:
            for k, v in out.items():
                if k not in by_name and not T.check(v, extra.annotation):
                    raise BadArguments(
                        f"{where}.{self.name}(): `{k}` must be {T.describe(extra.annotation)}, not {_type_name(v)}"
                    )
        return out


# Per Spec, what `bind` needs, worked out once: (spec, named params, {name: first param of that name}, variadic).
# Keyed by id() (a Spec holds unhashable defaults); the spec itself is kept, so an id is never reused while cached.
_PLANS: dict[int, tuple[Spec, list[Param], dict[str, Param], Param | None]] = {}


def _plan(spec: Spec) -> tuple[Spec, list[Param], dict[str, Param], Param | None]:
    named = [p for p in spec.params if not p.variadic]
    by_name: dict[str, Param] = {}
    for p in named:
        by_name.setdefault(p.name, p)
    plan = (spec, named, by_name, spec.variadic)
    if len(_PLANS) >= 4096:
        _PLANS.clear()
    _PLANS[id(spec)] = plan
    return plan


def _type_name(value: Any) -> str:
    names = {type(None): "null", bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}
    return names.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = T.literal(value) if T.is_json(value) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def did_you_mean(word: str, options: typing.Iterable[str]) -> str:
    """`"; did you mean `x`?"`-style suffix for the closest option, or ''."""
    close = difflib.get_close_matches(word, list(options), n=2, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(f"`{c}`" for c in close) + "?)"


class MapAccess(Protocol):
    """What a context may ask of the map it lives in (its own subtree only)."""

    def create_child(self, parent: str, name: str, type_name: str, config: dict[str, Any]) -> str: ...

    def get(self, path: str) -> Context | None: ...

    def children(self, path: str) -> list[str]: ...

    def now(self) -> str: ...


# Names a context type may not use for state fields (they are its methods and the map's bookkeeping).
# (`type` and `parent` are create_context's own parameters, so a field by those names could never be set there.)
_RESERVED = frozenset({"path", "name", "type", "parent", "type_name", "now", "create_child", "child", "children"})


class Context:
    """The base of every context type.

    Subclass it with annotated fields (state, with defaults; a mutable default is copied per instance) and
    `@scint.action` / `@scint.query` methods. Field values must be JSON-like (null, bool, int, float, str, list,
    dict) so that they can be stored, snapshotted and replayed.
    """

    __slots__ = ("__dict__", "_scint_journal", "_scint_map", "_scint_path")

    # Bump when a new version of the type changes its actions' arguments or its fields, and override
    # `upcast_event` / `upcast_state` so that history written by older versions still loads.
    schema_version: ClassVar[int] = 1

    # Filled in for each subclass by __init_subclass__.
    __scint_type__: ClassVar[str] = "Context"
    __scint_fields__: ClassVar[dict[str, tuple[Any, Any]]] = {}
    __scint_specs__: ClassVar[dict[str, Spec]] = {}

    _scint_map: MapAccess | None
    _scint_path: str
    _scint_journal: Any

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.__scint_type__ = cls.__dict__.get("type_name", cls.__name__)
        hints = _hints(cls)
        fields: dict[str, tuple[Any, Any]] = {}
        for base in reversed(cls.__mro__[1:]):
            fields.update(getattr(base, "__scint_fields__", {}))
        for name, annotation in hints.items():
            if name.startswith("_") or typing.get_origin(annotation) is ClassVar or annotation is ClassVar:
                continue
            if name not in cls.__dict__ and name not in fields:
                raise TypeError(f"{cls.__name__}.{name}: a state field needs a default value")
            if name in cls.__dict__:
                default = cls.__dict__[name]
                if not T.supported(annotation):
                    raise TypeError(f"{cls.__name__}.{name}: Scint cannot store values of type {annotation!r}")
                if not T.check(default, annotation):
                    raise TypeError(f"{cls.__name__}.{name}: the default {default!r} is not {T.describe(annotation)}")
                fields[name] = (annotation, default)
        specs: dict[str, Spec] = {}
        for base in reversed(cls.__mro__[1:]):
            specs.update(getattr(base, "__scint_specs__", {}))
        for name, member in cls.__dict__.items():
            kind = getattr(member, "__scint_kind__", None)
            if kind is not None:
                specs[name] = _spec(cls, name, member, kind)
            elif name in specs and callable(member):
                del specs[name]  # overridden without the decorator: no longer reachable
        for name in fields:
            if name in specs or name in _RESERVED or not NAME_RE.fullmatch(name):
                raise TypeError(f"{cls.__name__}.{name}: this name cannot be used for a state field")
        cls.__scint_fields__ = fields
        cls.__scint_specs__ = specs
        # State lives in the instance __dict__; class attributes holding defaults would shadow nothing but
        # confuse readers of `vars(cls)`, so they are left in place only as documentation.

    def __init__(self, **fields: Any) -> None:
        self._scint_map = None
        self._scint_path = ""
        self._scint_journal = None
        self.__dict__.update(self.initial_state(fields))

    # -- construction and state ---------------------------------------------------------------------------

    @classmethod
    def initial_state(cls, config: dict[str, Any], where: str = "") -> dict[str, Any]:
        """The fields of a new instance: defaults (copied) overridden by `config`, type-checked."""
        state = {}
        for name, (annotation, default) in cls.__scint_fields__.items():
            if name in config:
                value = config[name]
                if not T.check(value, annotation):
                    raise BadArguments(
                        f"{where or cls.__scint_type__}: `{name}` must be {T.describe(annotation)}, "
                        f"not {_type_name(value)} {_short(value)}"
                    )
                state[name] = T.copy_value(value)
            else:
                state[name] = T.copy_value(default)
        unknown = [k for k in config if k not in cls.__scint_fields__]
        if unknown:
            k = unknown[0]
            fields = ", ".join(cls.__scint_fields__) or "none"
            raise BadArguments(
                f"{cls.__scint_type__} has no setting `{k}`{did_you_mean(k, cls.__scint_fields__)}; "
                f"its settings are: {fields}"
            )
        return state

    @classmethod
    def restore(cls, state: dict[str, Any], path: str, access: MapAccess | None) -> Context:
        """An instance whose `__dict__` IS `state` (no copy): actions write straight into the stored state."""
        obj = object.__new__(cls)
        obj.__dict__ = state
        obj._scint_map = access
        obj._scint_path = path
        obj._scint_journal = None
        return obj

    def state(self) -> dict[str, Any]:
        """The context's fields (the live dict; copy it before changing it outside an action)."""
        return self.__dict__

    # -- evolving types -----------------------------------------------------------------------------------------

    @classmethod
    def upcast_event(cls, action: str, args: dict[str, Any], version: int) -> tuple[str, dict[str, Any]]:
        """Turn an action recorded by version `version` of this type into one the current version applies
        (called on replay for events older than `schema_version`). The default changes nothing."""
        return action, args

    @classmethod
    def upcast_state(cls, state: dict[str, Any], version: int) -> dict[str, Any]:
        """Turn fields saved by version `version` (in a snapshot, or a create_context's settings) into the
        current version's fields. The default changes nothing."""
        return state

    # -- transactions: how a failed program leaves this context untouched ------------------------------------

    def __scint_checkpoint__(self) -> Any:
        """Called before the first action of a program touches this context; returns what restore needs."""
        return T.copy_value(self.__dict__)

    def __scint_restore__(self, token: Any) -> None:
        """Undo every change since the checkpoint `token`."""
        self.__dict__.clear()
        self.__dict__.update(token)

    def __scint_commit__(self) -> None:
        """The program committed: drop anything kept for restore."""

    # -- what an action body may use --------------------------------------------------------------------------

    @property
    def path(self) -> str:
        """This context's dotted path."""
        return self._scint_path

    @property
    def name(self) -> str:
        """The last part of the path."""
        return self._scint_path.rpartition(".")[2]

    def now(self) -> str:
        """The time of the event being applied (ISO 8601, UTC): the same on replay."""
        if self._scint_map is None:
            raise ActionError("this context is not part of a map")
        return self._scint_map.now()

    def create_child(self, name: str, type_name: str, **config: Any) -> str:
        """Create a child context of this one and return its path."""
        if self._scint_map is None:
            raise ActionError("this context is not part of a map")
        return self._scint_map.create_child(self._scint_path, name, type_name, config)

    def child(self, name: str) -> Context | None:
        """The child context called `name`, or None."""
        if self._scint_map is None:
            return None
        return self._scint_map.get(f"{self._scint_path}.{name}")

    def children(self) -> list[str]:
        """The names of this context's children, in creation order."""
        if self._scint_map is None:
            return []
        return self._scint_map.children(self._scint_path)

    # -- introspection ----------------------------------------------------------------------------------------

    @classmethod
    def specs(cls) -> dict[str, Spec]:
        """The declared actions and queries, by name."""
        return cls.__scint_specs__

    @classmethod
    def spec(cls, name: str, where: str) -> Spec:
        """The action or query `name`, or UnknownAction with suggestions."""
        spec = cls.__scint_specs__.get(name)
        if spec is None or not spec.public:
            options = sorted(n for n, s in cls.__scint_specs__.items() if s.public)
            raise UnknownAction(
                f"{where} ({cls.__scint_type__}) has no action `{name}`{did_you_mean(name, options)}; "
                f"it has: {', '.join(options) or 'none'}"
            )
        return spec

    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    def __repr__(self) -> str:
        return f"<{self.__scint_type__} {self._scint_path or '(detached)'}>"


def _hints(obj: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(obj, include_extras=False)
    except Exception as exc:  # an annotation that does not evaluate is the type author's bug; say which
        raise TypeError(f"cannot read the annotations of {getattr(obj, '__qualname__', obj)}: {exc}") from None


def _spec(cls: type, name: str, fn: Callable[..., Any], kind: str) -> Spec:
    if not NAME_RE.fullmatch(name) or keyword.iskeyword(name):
        raise TypeError(f"{cls.__name__}.{name}: actions and queries need plain names (no leading underscore)")
    sig = inspect.signature(fn)
    hints = _hints(fn)
    params = []
    for i, p in enumerate(sig.parameters.values()):
        if i == 0:
            continue  # self
        annotation = hints.get(p.name, Any)
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            params.append(Param(p.name, annotation, MISSING, variadic=True))
            continue
        if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.POSITIONAL_ONLY):
            raise TypeError(f"{cls.__name__}.{name}: *args and positional-only parameters are not supported")
        if not T.supported(annotation):
            raise TypeError(f"{cls.__name__}.{name}: parameter `{p.name}` has an unsupported type {annotation!r}")
        default = MISSING if p.default is inspect.Parameter.empty else p.default
        if default is not MISSING and not T.check(default, annotation):
            raise TypeError(f"{cls.__name__}.{name}: the default of `{p.name}` is not {T.describe(annotation)}")
        params.append(Param(p.name, annotation, default))
    returns = hints.get("return", Any)
    if not T.supported(returns):
        raise TypeError(f"{cls.__name__}.{name}: the return type {returns!r} is not one Scint can store or show")
    return Spec(name, kind, tuple(params), returns, inspect.cleandoc(fn.__doc__ or ""), fn)


def iter_specs(cls: type[Context]) -> Iterator[Spec]:
    yield from cls.__scint_specs__.values()


def call_spec(ctx: Context, spec: Spec, kwargs: dict[str, Any]) -> Any:
    """Run an action or query body; anything it raises that is not a ScintError becomes an ActionError."""
    try:
        return spec.func(ctx, **kwargs)
    except ScintError:
        raise
    except Exception as exc:  # a bug or a refusal in the type's own code: report it, never crash the caller
        raise ActionError(f"{ctx.path}.{spec.name}() failed: {type(exc).__name__}: {exc}") from exc
