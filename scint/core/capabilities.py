"""Capabilities: what an actor may call, as globs over `path.action` (SPEC section 10: deny by default).

A glob is dotted segments: a name matches that name, `*` matches exactly one name, `**` matches any number of
names (zero included), and `self` (first segment only) is the process's own path. Built-ins are named bare:
`create_context`, `help`, `send`; the `history` context's actions as `history.log`. So `research.*` allows
`research.post` but not `research.lit.run`; `research.**` allows both; `**` allows everything.

`Capabilities(globs, self_path=None)` compiles a set once into one regular expression and caches answers, so a
check on the interpreter's hot path is a dict lookup. `narrow(other)` is the narrower of two sets (a call must be
allowed by both: a workflow runs with its runner's AND its definer's capabilities); `within(parent)` is a sound
subset test (a spawned child gets at most its parent's): when it says yes, every call the child may make the
parent may make too. It may say no for some sets that are in fact covered by a union of the parent's globs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

from scint.errors import BadArguments, PermissionDenied

__all__ = [
    "PROCESS_DEFAULT",
    "Capabilities",
    "actor_capabilities",
    "check_call",
    "check_grant",
    "parse_glob",
]

# A process's capabilities when its declaration says nothing (`can` replaces them).
PROCESS_DEFAULT: tuple[str, ...] = ("self.**", "help", "contexts", "send", "reply", "inbox", "read")

MAX_GLOBS = 256
MAX_GLOB_CHARS = 256
MAX_SEGMENTS = 32
_CACHE_SIZE = 4096
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_ANY_ONE = r"\.[^.]+"
_ANY_DEPTH = r"(?:\.[^.]+)*"

Glob = tuple[str, ...]  # the segments, `self` already written out


def parse_glob(text: object) -> Glob:
    """The segments of one capability glob, checked; a `BadArguments` saying what is wrong otherwise."""
    if not isinstance(text, str):
        raise BadArguments(f"a capability is a string such as \"notes.get\" or \"self.**\", not {text!r:.60}")
    if not text or len(text) > MAX_GLOB_CHARS:
        raise BadArguments(f"a capability is 1 to {MAX_GLOB_CHARS} characters such as \"notes.*\"; got {text!r:.60}")
    segments = tuple(text.split("."))
    if len(segments) > MAX_SEGMENTS:
        raise BadArguments(f"the capability {text!r:.60} has more than {MAX_SEGMENTS} dotted parts")
    for i, seg in enumerate(segments):
        if seg in ("*", "**") or _NAME.fullmatch(seg):
            if seg == "self" and i > 0:
                raise BadArguments(f"in the capability {text!r:.60}, `self` may only come first (self.**)")
            continue
        if not seg:
            raise BadArguments(f"the capability {text!r:.60} has an empty part (two dots, or a dot at an end)")
        if "*" in seg:
            raise BadArguments(
                f"in the capability {text!r:.60}, `{seg:.40}` mixes a name and `*`: a wildcard stands for whole "
                "names only (`*` one name, `**` any depth), as in notes.* or research.**"
            )
        raise BadArguments(
            f"in the capability {text!r:.60}, `{seg:.40}` is not a name (a letter, then letters, digits or _), "
            "`*` or `**`"
        )
    return segments


def _expand(segments: Glob, self_path: str | None) -> Glob | None:
    """The glob with `self` written out as the process's path; None when it names `self` and there is none."""
    if segments[0] != "self":
        return segments
    if self_path is None:
        return None
    return (*self_path.split("."), *segments[1:])


def _regex(segments: Glob) -> str:
    return "".join(_ANY_DEPTH if s == "**" else _ANY_ONE if s == "*" else r"\." + re.escape(s) for s in segments)


def target(path: str, action: str) -> str:
    """The name a capability glob is matched against: `path.action`, or the bare name of a built-in."""
    return f"{path}.{action}" if path else action


class _GlobSet:
    """One union of globs (the globs as written, and compiled against one `self` path)."""

    __slots__ = ("cache", "expanded", "regex", "written")

    def __init__(self, written: tuple[str, ...], self_path: str | None) -> None:
        self.written = written
        expanded = [_expand(parse_glob(g), self_path) for g in written]
        self.expanded: tuple[Glob, ...] = tuple(dict.fromkeys(e for e in expanded if e is not None))
        pattern = "|".join(f"(?:{_regex(e)})" for e in self.expanded)
        self.regex = re.compile(pattern) if pattern else None
        self.cache: dict[str, bool] = {}

    def allows(self, name: str) -> bool:
        hit = self.cache.get(name)
        if hit is None:
            hit = self.regex is not None and self.regex.fullmatch("." + name) is not None
            if len(self.cache) >= _CACHE_SIZE:
                self.cache.clear()
            self.cache[name] = hit
        return hit

    def within(self, other: _GlobSet) -> bool:
        """Sound: every glob of this set is contained in one glob of `other`."""
        return all(any(_contains(b, a) for b in other.expanded) for a in self.expanded)


@functools.lru_cache(maxsize=1024)
def _compiled(written: tuple[str, ...], self_path: str | None) -> _GlobSet:
    """One compiled set per (globs, self path): a process's sets are compiled once, not per program."""
    return _GlobSet(written, self_path)


@functools.lru_cache(maxsize=4096)
def _contains(outer: Glob, inner: Glob) -> bool:
    """Whether every name `inner` matches, `outer` matches (sound; exact for globs without `**` in `inner`)."""

    @functools.cache
    def sub(i: int, j: int) -> bool:
        if j == len(outer):
            return i == len(inner)
        o = outer[j]
        if o == "**":
            return sub(i, j + 1) or (i < len(inner) and sub(i + 1, j))
        if i == len(inner):
            return False
        a = inner[i]
        if a == "**":  # any depth inside cannot be covered by one fixed part outside
            return False
        if o == "*" or o == a:
            return sub(i + 1, j + 1)
        return False

    return sub(0, 0)


class Capabilities:
    """A compiled capability set: a call is allowed when every one of its glob sets allows it.

    One set for an actor's own capabilities; `narrow` adds another (a workflow's definer, a `can=` restriction).
    """

    __slots__ = ("_sets", "self_path")

    def __init__(self, globs: Iterable[str] = (), self_path: str | None = None) -> None:
        if isinstance(globs, str) or not isinstance(globs, Iterable):
            raise BadArguments('capabilities are a list of globs such as ["notes.get", "self.**"]')
        written = tuple(globs)
        if len(written) > MAX_GLOBS:
            raise BadArguments(f"at most {MAX_GLOBS} capabilities may be given; got {len(written)}")
        for g in written:
            if type(g) is not str:
                parse_glob(g)  # says what a capability is
        if self_path is not None and not (
            type(self_path) is str and all(_NAME.fullmatch(p) for p in self_path.split("."))
        ):
            raise BadArguments(f"self_path must be a context path such as 'research.lit', not {self_path!r:.60}")
        self.self_path = self_path
        self._sets: tuple[_GlobSet, ...] = (_compiled(written, self_path),)

    @classmethod
    def process_default(cls, self_path: str) -> Capabilities:
        """What a process may call when its declaration gives no `can`."""
        return cls(PROCESS_DEFAULT, self_path=self_path)

    @classmethod
    def everything(cls) -> Capabilities:
        """No restriction (a person at the command line)."""
        return cls(("**",))

    @property
    def globs(self) -> tuple[tuple[str, ...], ...]:
        """The globs as written, one tuple per set that must all allow a call."""
        return tuple(s.written for s in self._sets)

    def allows(self, path: str, action: str) -> bool:
        """Whether calling `action` on the context at `path` ("" for a built-in) is allowed."""
        name = target(path, action)
        return all(s.allows(name) for s in self._sets)

    def missing(self, path: str, action: str) -> str:
        """The capability lacking for this call (e.g. "notes.put"), or "" when it is allowed."""
        name = target(path, action)
        return "" if all(s.allows(name) for s in self._sets) else name

    def narrow(self, other: Capabilities) -> Capabilities:
        """The narrower of the two: allows a call exactly when both allow it (never wider than either)."""
        if not isinstance(other, Capabilities):
            raise BadArguments("narrow() takes another Capabilities")
        out = object.__new__(Capabilities)
        out.self_path = self.self_path
        out._sets = self._sets + tuple(s for s in other._sets if s not in self._sets)
        return out

    def within(self, parent: Capabilities) -> bool:
        """Whether these are at most `parent`'s (sound: True means every allowed call the parent allows too)."""
        if not isinstance(parent, Capabilities):
            raise BadArguments("within() takes another Capabilities")
        return all(any(mine.within(theirs) for mine in self._sets) for theirs in parent._sets)

    def describe(self) -> str:
        """The globs as a person reads them ("notes.get, self.**"; sets that must all hold joined by AND)."""
        parts = [", ".join(s.written) or "nothing" for s in self._sets]
        return parts[0] if len(parts) == 1 else " AND ".join(f"({p})" for p in parts)

    def __repr__(self) -> str:
        return f"Capabilities({self.describe()})"


def check_call(caps: Capabilities | None, actor: str, path: str, action: str) -> None:
    """What the interpreter calls before every call it resolves: `PermissionDenied` naming the lacking capability.

    `caps` None means unrestricted. `path` is the context's absolute path ("" for a built-in function) and
    `action` the action, query or built-in name (`history` actions: path "history")."""
    if caps is None:
        return
    lacking = caps.missing(path, action)
    if lacking:
        raise PermissionDenied(
            f"{actor} may not call {lacking}: it lacks the capability `{lacking}`; its capabilities are "
            f"{caps.describe() or 'none'}"
        )


def actor_capabilities(
    actor: str, contexts: Mapping[str, Any], can: Iterable[str] | None = None
) -> Capabilities | None:
    """An actor's capabilities on a branch (None: unrestricted), built once per program.

    `process:P` is held to P's declared `can` (its default when it declares none, or when there is no process
    P), with `self` meaning P; `can` (session.run(..., can=[...])) narrows any actor further."""
    caps = None
    self_path = None
    if actor.startswith("process:"):
        self_path = actor[len("process:") :] or None
        caps = _process_caps(contexts, self_path)
        # A process is held to its parents' capabilities too: a child never has more than the processes above it.
        parts = self_path.split(".") if self_path else []
        for k in range(len(parts) - 1, 0, -1):
            above = ".".join(parts[:k])
            if hasattr(contexts.get(above), "can"):
                caps = caps.narrow(_process_caps(contexts, above))
    if can is not None:
        given = Capabilities(can, self_path=caps.self_path if caps is not None else None)
        caps = given if caps is None else caps.narrow(given)
    return caps


def _process_caps(contexts: Mapping[str, Any], path: str | None) -> Capabilities:
    """The capabilities the process at `path` declares (`can`), or the default when it declares none."""
    declared = getattr(contexts.get(path), "can", None) if path else None
    globs = declared if isinstance(declared, list) else PROCESS_DEFAULT
    try:
        return Capabilities(globs, self_path=path)
    except BadArguments:  # a malformed path after "process:" or a stored glob no longer valid: nothing
        return Capabilities(())


def check_grant(caps: Capabilities | None, actor: str, path: str, granted: Iterable[str] | None) -> None:
    """Before an actor sets the `can` of the process at `path` (creating, spawning or configuring it): the
    grant must be within the actor's own capabilities, so no process widens its own or gives a child more.

    `granted` None means the process default, which is checked like any other set."""
    if caps is None:
        return
    wanted = Capabilities(PROCESS_DEFAULT if granted is None else granted, self_path=path)
    if not wanted.within(caps):
        raise PermissionDenied(
            f"{actor} may not give {path} the capabilities ({wanted.describe() or 'none'}): they are not within "
            f"its own ({caps.describe() or 'none'})"
        )
