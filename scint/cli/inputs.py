"""What the command line reads and says: program text from files or stdin (a UTF-8 BOM accepted, invalid UTF-8
named with its byte offset, the size bounded), the `--import` modules that register user types, and errors
reworded for the command line (Python advice such as `pass branch=` becomes the option to use)."""

from __future__ import annotations

import importlib
import os
import re
import sys
from pathlib import Path
from typing import IO

from scint.dsl.limits import DEFAULT_LIMITS
from scint.errors import LimitExceeded, ScintError

__all__ = ["cli_wording", "decode", "import_modules", "imports_from", "read_text", "where"]

_BOM = "\ufeff"
# UTF-8 spends at most 4 bytes on a character: a file longer than this cannot hold a program within the limit.
_MAX_BYTES = 4 * DEFAULT_LIMITS.max_program_chars + 4


def where(file: str) -> str:
    """How messages name FILE (`-` is standard input)."""
    return "<stdin>" if file == "-" else file


def decode(data: bytes, name: str) -> str:
    """UTF-8 text of `data` without a leading byte order mark; invalid UTF-8 is a ScintError naming the byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScintError(
            f"{name} is not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} ({exc.reason}); "
            "save it as UTF-8"
        ) from None
    return text[1:] if text.startswith(_BOM) else text


def _read_bounded(fh: IO[bytes], name: str) -> bytes:
    data = fh.read(_MAX_BYTES + 1)
    if len(data) > _MAX_BYTES:
        raise LimitExceeded(
            f"{name} is over {_MAX_BYTES:,} bytes; a program is at most {DEFAULT_LIMITS.max_program_chars:,} "
            "characters"
        )
    return data


def read_text(file: str) -> str:
    """The text of FILE, or of standard input for `-`."""
    name = where(file)
    if file == "-":
        stream = sys.stdin
        buffer = getattr(stream, "buffer", None)
        if buffer is None:  # a text stream (a test's StringIO, an embedding host): already decoded
            text = stream.read(DEFAULT_LIMITS.max_program_chars + 1)
            if len(text) > DEFAULT_LIMITS.max_program_chars:
                raise LimitExceeded(f"{name} is over the limit of {DEFAULT_LIMITS.max_program_chars:,} characters")
            return text[1:] if text.startswith(_BOM) else text
        return decode(_read_bounded(buffer, name), name)
    try:
        with Path(file).open("rb") as fh:
            return decode(_read_bounded(fh, name), name)
    except OSError as exc:
        raise ScintError(f"cannot read {file}: {exc.strerror or exc}") from None


def import_modules(names: list[str]) -> None:
    """Import each module (which registers its context types). The current directory is searched first, as
    `python -m` does, so `--import mytypes` finds ./mytypes.py."""
    cwd = os.getcwd()
    added = cwd not in sys.path and "" not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        for name in names:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", name):
                raise ScintError(f"--import {name!r}: not a module name (write it as for Python's import, a.b.c)")
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as exc:
                raise ScintError(
                    f"--import {name}: no module named {exc.name or name!r} (is it installed, or in the current "
                    "directory?)"
                ) from None
            except ScintError:
                raise
            except (Exception, SystemExit) as exc:  # the module's own code failed: say so, without a traceback
                raise ScintError(f"--import {name}: importing it failed: {type(exc).__name__}: {exc}") from None
    finally:
        if added:
            sys.path.remove(cwd)


def imports_from(options: list[str] | None) -> list[str]:
    """The modules to import: each `--import`, then `$SCINT_IMPORT` (comma-separated)."""
    env = [m.strip() for m in os.environ.get("SCINT_IMPORT", "").split(",") if m.strip()]
    return [*(options or []), *env]


# Python advice in messages written for the API, and what to say on the command line instead.
_CLI_WORDING = (
    (re.compile(r"import into an empty store or pass branch="), "import into an empty store or pass --branch NAME"),
    (re.compile(r", or pass provider= / set session\.llm"), ""),
    (  # scint/contexts/unloaded.py's advice, for every surface: keep the command line's half
        re.compile(r"\(command line: (--import MODULE or SCINT_IMPORT=MODULE); Python: [^)]*\)"),
        r"(pass \1)",
    ),
    (re.compile(r"\bscint\.open\(url, branch=[^)]*\)"), "--branch NAME"),
    (re.compile(r"^limit must be"), "--limit must be"),
)


def cli_wording(message: str) -> str:
    """`message` with Python advice replaced by the command line's."""
    for pattern, replacement in _CLI_WORDING:
        message = pattern.sub(replacement, message)
    return message
