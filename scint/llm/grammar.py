"""The grammar of the custom tool: `grammar/scint.lark` specialised to what one session may call right now.

Everything but the calls is the language's own grammar, word for word (values, strings, references,
whitespace and comments, the start rule). The generic `call: path "(" arguments ")"` is replaced by one
alternative per (action, set of paths): the literal paths of the contexts that have it (and `self...` paths
for a process), and keyword names limited to its declared parameters. Actions (not queries) appear only for
contexts inside the caller's scope. So a constrained decoder can only produce calls that name existing
contexts, their actions and their parameters; the specialised language is a subset of Scint's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping

from scint.contexts.base import Context, Spec
from scint.contexts.external import MCP
from scint.dsl import grammar_text

__all__ = ["CallTarget", "specialise", "targets"]

MAX_PATHS = 5_000  # beyond this many callable paths, paths are left generic (keywords stay specialised)

CallTarget = tuple[str, Spec]  # a callable path ("notes.put", "history.log", "help") and its Spec

_RULE_START = re.compile(r"^\??[A-Za-z_][A-Za-z0-9_]*\s*:")
_REPLACED = {"call", "path", "_arguments", "_keyword", "keyword"}


def targets(
    contexts: Mapping[str, Context],
    functions: Mapping[str, Spec],
    history: Mapping[str, Spec],
    *,
    scope: str | None = None,
    self_path: str | None = None,
    allows: Callable[[str, str], bool] | None = None,
) -> list[CallTarget]:
    """Every path a program may call, with its Spec: built-ins, `history.*`, and each context's actions (inside
    `scope`) and queries (anywhere); with `self_path`, also `self...` spellings of its subtree."""

    def may_change(path: str) -> bool:
        return scope is None or path == scope or path.startswith(scope + ".")

    out: list[CallTarget] = [(name, spec) for name, spec in functions.items()]
    if "history" not in contexts:
        out += [(f"history.{n}", s) for n, s in history.items() if s.is_query or scope is None]
    for path, ctx in contexts.items():
        spellings = [path]
        if self_path is not None and (path == self_path or path.startswith(self_path + ".")):
            spellings.append("self" + path[len(self_path) :])
        specs = list(type(ctx).__scint_specs__.items())
        if isinstance(ctx, MCP):  # an MCP server's tools: actions whose Specs come from the recorded schemas
            specs += list(ctx.tool_specs().items())
        for name, spec in specs:
            if spec.public and (spec.is_query or may_change(path)) and (allows is None or allows(path, name)):
                out += [(f"{p}.{name}", spec) for p in spellings]
    return out


def _blocks(text: str) -> list[tuple[str | None, str]]:
    """The grammar split into (rule name or None, text) blocks, in order; comments and blank lines kept."""
    blocks: list[tuple[str | None, str]] = []
    for line in text.splitlines():
        m = _RULE_START.match(line)
        if m:
            blocks.append((line.split(":", 1)[0].strip().lstrip("?"), line))
        elif line[:1] in (" ", "\t", "|") and blocks and blocks[-1][0] is not None and line.strip():
            name, body = blocks[-1]
            blocks[-1] = (name, body + "\n" + line)
        else:
            blocks.append((None, line))
    return blocks


def _alternatives(words: Iterable[str]) -> str:
    return " | ".join(json.dumps(w) for w in sorted(set(words)))


def specialise(calls: list[CallTarget], base: str | None = None) -> str:
    """The Lark grammar admitting exactly the programs whose calls are among `calls` (see the module doc)."""
    groups: dict[tuple[str, ...] | None, list[str]] = {}
    for path, spec in calls:
        key = None if spec.variadic is not None else tuple(p.name for p in spec.params)
        groups.setdefault(key, []).append(path)
    generic_paths = len(calls) > MAX_PATHS
    rules = []
    alternatives = []
    for i, (params, paths) in enumerate(sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or ()))):
        path_rule = "path" if generic_paths else f"_p{i}"
        if not generic_paths:
            rules.append(f"_p{i}: {_alternatives(paths)}")
        if params == ():
            rules.append(f'_c{i}: {path_rule} "(" _NL? ")"')
        else:
            name = "NAME" if params is None else f"_n{i}"
            if params is not None:
                rules.append(f"_n{i}: {_alternatives(params)}")
            rules.append(f'_k{i}: {name} "=" value _NL?')
            rules.append(
                f'_a{i}: _positional ("," _NL? _positional)* ("," _NL? _k{i})* ["," _NL?]\n'
                f'     | _k{i} ("," _NL? _k{i})* ["," _NL?]'
            )
            rules.append(f'_c{i}: {path_rule} "(" _NL? [_a{i}] ")"')
        alternatives.append(f"_c{i}")
    if not alternatives:  # nothing may be called: only empty programs
        alternatives.append('"help" "(" ")"')
    out = []
    for name, text in _blocks(base if base is not None else grammar_text()):
        if name == "call":
            out.append("// calls specialised to one session: the paths and parameter names it may use")
            out.append("call: " + "\n    | ".join(alternatives))
            out.extend(rules)
            if generic_paths:
                out.append('path: NAME ("." NAME)*')
        elif name not in _REPLACED:
            out.append(text)
    return "\n".join(out) + "\n"
