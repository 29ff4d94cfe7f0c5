"""`scint.toml`: read, validated whole, resolved into what `up` records (SPEC section 9).

`load(path)` returns a `Config` or raises one `ConfigError` listing every problem found (up to a bound), each
with the file, its line and the dotted key, and "did you mean" for misspelt keys and names. Nothing is written
here: `scint/agents/up.py` turns a Config into one program.

What a process stores (`Config.processes[path]`) is resolved from the file: its model's name at the endpoint
(`model`) and the endpoint's settings (`endpoint`: the `[models]` entry, with the NAME of the key's environment
variable, never a key), the text of its `system_file`, the definitions of the templates it may spawn.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scint.agents.lines import KeyLines, dotted
from scint.agents.schema import MAX_TEXT, TOP, Problems
from scint.contexts import types as T
from scint.contexts.base import did_you_mean
from scint.contexts.registry import get_type, registered
from scint.errors import BadArguments, ConfigError, ScintError

__all__ = ["MAX_FILE_BYTES", "Config", "load", "parse"]

MAX_FILE_BYTES = 4 * 1024 * 1024
SCHEMA_VERSION = 1
# A value that looks like an API key (OpenAI's sk-..., and the like) is refused wherever it is written.
_KEY_LIKE = re.compile(r"(sk|pk|rk|ak)-[A-Za-z0-9_-]{16,}|[A-Za-z0-9_-]*(api|secret)[_-]?key[A-Za-z0-9_-]{16,}")
_SECRET_KEYS = {"api_key", "key", "apikey", "token", "secret", "password", "openai_api_key"}


@dataclass(frozen=True)
class Config:
    """A validated `scint.toml`, resolved: what `up` makes the store match."""

    file: str  # the file's name, as provenance and messages show it
    sha256: str
    contexts: dict[str, dict[str, Any]]  # path -> {"type": ..., creation config ...}
    processes: dict[str, dict[str, Any]]  # path -> the Process's configured fields
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    mcp: dict[str, dict[str, Any]] = field(default_factory=dict)
    modules: list[str] = field(default_factory=list)


Prepare = Callable[[list[str]], object]


def load(path: str | Path, prepare: Prepare | None = None) -> Config:
    """Read and validate the file at `path`; a ConfigError lists every problem. `prepare(modules)` is called
    with the file's `modules` once its shape is valid and before its names are checked (`up` loads them there:
    they may bring the context types the file declares); a ScintError from it is a problem at `modules`."""
    if not isinstance(path, (str, Path)):
        raise BadArguments(f"the path of a scint.toml must be a string or a Path, not {type(path).__name__}")
    p = Path(path)
    return parse(_read(p), name=p.name, directory=p.parent, prepare=prepare)


def models(path: str | Path) -> dict[str, dict[str, Any]]:
    """The `[models]` entries of the file at `path` ({name: {"model": ...}}), the whole file's shape checked as
    `load` checks it (a ConfigError lists every problem) but its names not resolved: no module is loaded. What
    `scint rerun --model PATH=NAME` reads to know the model NAME."""
    p = Path(path)
    doc, _ = _checked(_read(p), p.name)
    return {name: dict(entry) for name, entry in doc.get("models", {}).items()}


def _read(p: Path) -> bytes:
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ConfigError(f"{p.name}: the file is {size:,} bytes; at most {MAX_FILE_BYTES:,} are read")
        return p.read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise ConfigError(f"{str(p)[:200]!r}: cannot be read: {getattr(exc, 'strerror', None) or exc}") from None


def parse(
    data: bytes | str, *, name: str = "scint.toml", directory: Path | None = None, prepare: Prepare | None = None
) -> Config:
    """Validate TOML text (`directory` is where `system_file`s are found); a ConfigError lists every problem."""
    doc, raw = _checked(data, name)
    out = Problems()
    if prepare is not None:
        try:
            prepare(list(doc.get("modules", [])))
        except ScintError as exc:
            out.add(("modules",), exc.message)
    if not out:
        config = _resolve(doc, name, hashlib.sha256(raw).hexdigest(), directory, out)
        if not out:
            return config
    raise _error(name, raw.decode("utf-8"), out)


def _checked(data: bytes | str, name: str) -> tuple[dict[str, Any], bytes]:
    """The TOML document with its shape checked (the schema, quoted paths, no secrets), and its bytes."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(f"{name}: the file is {len(raw):,} bytes; at most {MAX_FILE_BYTES:,} are read")
    try:
        text = raw.decode("utf-8")
        doc = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: the file is not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{name}: not valid TOML: nested too deeply") from None
    out = Problems()
    _unquoted_paths(doc, out)
    _refuse_secrets(doc, (), out)
    TOP.check(doc, (), out)
    if out:
        raise _error(name, text, out)
    return doc, raw


def _error(name: str, text: str, out: Problems) -> ConfigError:
    lines = KeyLines(text)  # only when there is something to point at
    problems = tuple((lines.line(key), dotted(key), message) for key, message in out.items)
    shown = [f"  {name}:{line or '?'}: {key or '(top)'}: {message}" for line, key, message in problems]
    if out.more:
        shown.append(f"  ... and {out.more} more")
    count = len(problems) + out.more
    head = f"{name} has {count} problem{'s' if count != 1 else ''}; nothing was written:"
    return ConfigError("\n".join([head, *shown]), problems=problems)


def _unquoted_paths(doc: dict[str, Any], out: Problems) -> None:
    """`[contexts.a.b]` nests table b inside context a; the path a.b is written `[contexts."a.b"]`."""
    for section in ("contexts", "processes"):
        entries = doc.get(section)
        if not isinstance(entries, dict):
            continue
        for name, entry in entries.items():
            if not isinstance(entry, dict):
                continue
            for inner, value in list(entry.items()):
                if not isinstance(value, dict):
                    continue
                # a table in a process is a path unless it is its budget; in a context, when it has a type
                if (inner != "budget") if section == "processes" else ("type" in value):
                    out.add(
                        (section, name, inner),
                        f'is a table inside `{name}`: to declare the path {name}.{inner}, quote it: '
                        f'[{section}."{name}.{inner}"]',
                    )
                    del entry[inner]


def _refuse_secrets(value: Any, key: tuple[str, ...], out: Problems) -> None:
    """A literal key in the file is refused (without repeating it): the file names the variable that holds it."""
    if isinstance(value, dict):
        for k, v in value.items():
            if key[:1] == ("models",) and len(key) == 2 and k.lower() in _SECRET_KEYS:
                out.add(
                    (*key, k),
                    "a literal API key is refused (files get shared and committed): put the key in an environment "
                    'variable and name it here: api_key_env = "OPENAI_API_KEY"',
                )
                continue
            _refuse_secrets(v, (*key, k), out)
    elif isinstance(value, list):
        for v in value:
            _refuse_secrets(v, key, out)
    elif isinstance(value, str) and _KEY_LIKE.search(value):
        out.add(key, "this looks like a literal API key, which is refused: keep it in an environment variable")


def _resolve(doc: dict[str, Any], name: str, sha: str, directory: Path | None, out: Problems) -> Config:
    version = doc.get("schema", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        out.add(("schema",), f"this Scint reads schema = {SCHEMA_VERSION}, not {version}")
    models: dict[str, Any] = doc.get("models", {})
    templates_in: dict[str, Any] = doc.get("templates", {})
    mcp: dict[str, Any] = doc.get("mcp", {})
    for server, spec in mcp.items():
        if ("command" in spec) == ("url" in spec):
            out.add(("mcp", server), "needs exactly one of `command` (a program to start) or `url`")
    contexts = {path: dict(spec) for path, spec in doc.get("contexts", {}).items()}
    for path, spec in contexts.items():
        _check_context(path, spec, out)
    resolved = {"models": models, "templates": templates_in, "mcp": mcp, "directory": directory}
    templates = {t: _agent(("templates", t), spec, resolved, out) for t, spec in templates_in.items()}
    processes = {}
    for path, spec in doc.get("processes", {}).items():
        if path in contexts:
            out.add(("processes", path), "is also declared in [contexts]; declare it once")
        fields = _agent(("processes", path), spec, resolved, out)
        fields["templates"] = {t: templates[t] for t in spec.get("templates", []) if t in templates}
        processes[path] = fields
    for t, fields in templates.items():  # a template names what its spawns may spawn in turn
        fields["templates"] = list(templates_in[t].get("templates", []))
    return Config(
        file=name,
        sha256=sha,
        contexts=contexts,
        processes=processes,
        models=models,
        templates=templates,
        mcp=mcp,
        modules=list(doc.get("modules", [])),
    )


def _check_context(path: str, spec: dict[str, Any], out: Problems) -> None:
    key = ("contexts", path)
    try:
        cls = get_type(spec["type"])
    except BadArguments:
        names = sorted(registered())
        out.add((*key, "type"), f'"{spec["type"]}" is not a registered type{did_you_mean(spec["type"], names)}; '
                f"the types are: {', '.join(names)}")
        return
    for setting, value in spec.items():
        if setting == "type":
            continue
        hint = cls.__scint_fields__.get(setting)
        if not T.is_json(value):
            out.add((*key, setting), "holds a value Scint cannot store (a date, a time, nan or inf)")
        elif hint is None:
            known = ", ".join(cls.__scint_fields__) or "none"
            out.add((*key, setting), f"{spec['type']} has no setting `{setting}`"
                    f"{did_you_mean(setting, cls.__scint_fields__)}; its settings are: {known}")
        elif not T.check(value, hint[0]):
            out.add((*key, setting), f"must be {T.describe(hint[0])} for a {spec['type']}")


def _agent(key: tuple[str, ...], spec: dict[str, Any], resolved: dict[str, Any], out: Problems) -> dict[str, Any]:
    """A process's (or template's) fields as its Process stores them."""
    models, templates, mcp = resolved["models"], resolved["templates"], resolved["mcp"]
    fields: dict[str, Any] = {"goal": spec.get("goal", "")}
    model = spec.get("model")
    if model is not None and model not in models:
        out.add((*key, "model"), f'"{model}" is not in [models]{did_you_mean(model, models)}; '
                f"the models are: {', '.join(models) or 'none (declare one: [models.default])'}")
    fields["model"] = models[model]["model"] if model in models else None
    fields["endpoint"] = {"name": model, **models[model]} if model in models else None
    system = spec.get("system")
    if "system" in spec and "system_file" in spec:
        out.add((*key, "system_file"), "give `system` or `system_file`, not both")
    elif "system_file" in spec:
        system = _read_prompt(key, spec["system_file"], resolved["directory"], out)
    fields["system"] = system
    fields["backend"] = spec.get("backend", "llm")
    fields["can"] = list(spec["can"]) if "can" in spec else None
    fields["approve"] = list(spec.get("approve", []))
    fields["budget"] = dict(spec.get("budget", {}))
    for kind, known in (("templates", templates), ("mcp", mcp)):
        for ref in spec.get(kind, []):
            if ref not in known:
                out.add((*key, kind), f'"{ref}" is not in [{kind}]{did_you_mean(ref, known)}; '
                        f"the {kind} are: {', '.join(known) or 'none'}")
    fields["mcp"] = list(spec.get("mcp", []))
    return fields


def _read_prompt(key: tuple[str, ...], name: str, directory: Path | None, out: Problems) -> str | None:
    where = (*key, "system_file")
    if directory is None:
        out.add(where, "a file given as text has no directory to read system_file from; use `system`")
        return None
    base = directory.resolve()
    target = (base / name).resolve()
    if not target.is_relative_to(base):
        out.add(where, f"{name!r:.80} is outside the file's directory; prompts are read from beside scint.toml")
        return None
    try:
        if target.stat().st_size > MAX_TEXT:
            out.add(where, f"{name!r:.80} is larger than {MAX_TEXT:,} bytes")
            return None
        return target.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        out.add(where, f"{name!r:.80} is not UTF-8 text")
    except OSError as exc:
        out.add(where, f"{name!r:.80} cannot be read: {exc.strerror or exc}")
    return None
