"""`scint repl`: an interactive prompt with completion from the live session, highlighting, history and
multi-line input (a program continues while a bracket or a triple-quoted string is open). Names a program
assigns stay bound for the next input, like shell variables: the REPL passes them to the session as params."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.lexers import PygmentsLexer
from rich.console import Console
from rich.text import Text

import scint
from scint.cli import display
from scint.cli.lexer import BUILTINS, ScintLexer
from scint.core.bindings import free_names
from scint.core.view import DISPLAY_CHARS

__all__ = ["Catalog", "ScintCompleter", "needs_more", "run_repl"]

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_WORD_AT_END = re.compile(r"(\$?)((?:" + _NAME + r"\.)*(?:" + _NAME + r")?)$")
_PATH_BEFORE = re.compile(r"((?:" + _NAME + r"\.)*" + _NAME + r")\s*$")
_KEYWORD_USED = re.compile(r"(?:^|[(,])\s*(" + _NAME + r")\s*=")

HELP = """\
Type Scint statements; Enter runs them (a program continues while a bracket or \"\"\" is open; Esc Enter adds a
line). Tab completes contexts, actions and parameter names. help() shows the language's cheat sheet.
  :show [PATH]     the contexts as a tree          :log [N]          the latest programs
  :branches        the branches                    :checkout NAME    switch branch
  :diff A B        what changed from A to B        :ask TEXT         ask the model to write a program
  :vars            the names programs assigned     :help             this text
  :q  (or Ctrl-D)  quit
Names a program assigns (m = notes.get(key="milk")) stay bound: later inputs read them as $m."""


# -- input that is not finished yet ---------------------------------------------------------------------------


def _scan(text: str) -> tuple[list[tuple[str, int]], str | None]:
    """The brackets still open (char, offset) and the open string's quote, if the text ends inside one."""
    stack: list[tuple[str, int]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if c in "\"'":
            quote = c * 3 if text.startswith(c * 3, i) else c
            j = i + len(quote)
            while j < n:
                if text[j] == "\\":
                    j += 2
                    continue
                if text.startswith(quote, j):
                    break
                if len(quote) == 1 and text[j] == "\n":
                    break
                j += 1
            else:
                return stack, quote
            if text[j] == "\n":  # an unterminated one-line string: the parser will say so
                i = j
                continue
            i = j + len(quote)
            continue
        if c in "([{":
            stack.append((c, i))
        elif c in ")]}" and stack:
            stack.pop()
        i += 1
    return stack, None


def needs_more(text: str) -> bool:
    """True while a bracket or a triple-quoted string is open: Enter then continues the program."""
    stack, quote = _scan(text)
    return bool(stack) or (quote is not None and len(quote) == 3)


# -- completion -----------------------------------------------------------------------------------------------


@dataclass
class Catalog:
    """What can be completed: context paths with their types, the types' actions, the built-ins."""

    contexts: dict[str, str] = field(default_factory=dict)
    types: dict[str, dict[str, Any]] = field(default_factory=dict)  # type -> {action: Spec}
    functions: dict[str, Any] = field(default_factory=dict)  # built-in function -> Spec
    history: dict[str, Any] = field(default_factory=dict)  # history action -> Spec

    @classmethod
    def of(cls, session: scint.Session) -> Catalog:
        view = session.view()
        language = session.language()
        return cls(
            contexts={p: view.type_of(p) for p in view.paths()},
            types=language["types"],
            functions=language["functions"] or dict.fromkeys(BUILTINS),
            history=language["history"],
        )

    def specs_at(self, path: str) -> dict[str, Any]:
        if path == "history":
            return self.history
        type_name = self.contexts.get(path)
        return self.types.get(type_name, {}) if type_name else {}

    def spec_of(self, call: str) -> Any:
        """The Spec a dotted call path names, or None."""
        if call in self.functions:
            return self.functions[call]
        owner, _, name = call.rpartition(".")
        return self.specs_at(owner).get(name) if owner else None


def _meta(spec: Any) -> str:
    if spec is None:
        return ""
    kind = "query" if getattr(spec, "is_query", False) else "action"
    summary = spec.summary() if hasattr(spec, "summary") else ""
    return f"{kind}: {summary}" if summary else kind


def complete(before: str, catalog: Catalog, variables: Iterable[str] = ()) -> Iterator[Completion]:
    """Completions for the text before the cursor (`variables`: the names `$` can read)."""
    stack, quote = _scan(before)
    if quote is not None:
        yield from _complete_in_string(before, catalog)
        return
    m = _WORD_AT_END.search(before)
    dollar, word = (m.group(1), m.group(2)) if m else ("", "")
    if dollar:
        if "." not in word:
            for name in sorted(variables):
                if name.startswith(word):
                    yield Completion(name, start_position=-len(word), display_meta="bound by an earlier input")
        return
    start = len(before) - len(word)
    gap = before[:start].rstrip(" \t")
    prev = gap.rstrip()
    if stack:
        char, offset = stack[-1]
        if char == "(" and "." not in word and (not prev or prev[-1] in "(,"):
            yield from _complete_params(before, offset, word, catalog)
        return
    if gap and gap[-1] not in ";=\n":
        return  # after a value: nothing sensible to offer
    yield from _complete_path(word, catalog)


def _complete_path(word: str, catalog: Catalog) -> Iterator[Completion]:
    owner, _, partial = word.rpartition(".")
    options: list[tuple[str, str]] = []
    if not owner:
        options += [(p, f"context: {t}") for p, t in catalog.contexts.items() if "." not in p]
        options += [(name, _meta(spec) or "built-in") for name, spec in catalog.functions.items()]
        options.append(("history", "the branch's history"))
    else:
        prefix = owner + "."
        options += [
            (p[len(prefix) :], f"context: {t}")
            for p, t in catalog.contexts.items()
            if p.startswith(prefix) and "." not in p[len(prefix) :]
        ]
        options += [(name, _meta(spec)) for name, spec in catalog.specs_at(owner).items()]
    seen = set()
    for name, meta in options:
        if name.startswith(partial) and name not in seen:
            seen.add(name)
            yield Completion(name, start_position=-len(partial), display_meta=meta)


def _complete_params(before: str, offset: int, word: str, catalog: Catalog) -> Iterator[Completion]:
    m = _PATH_BEFORE.search(before[:offset])
    if not m:
        return
    spec = catalog.spec_of(m.group(1))
    if spec is None or not hasattr(spec, "params"):
        return
    used = set(_KEYWORD_USED.findall(before[offset:]))
    for p in spec.params:
        if p.variadic or p.name in used or not p.name.startswith(word):
            continue
        yield Completion(p.name + "=", start_position=-len(word), display=p.name, display_meta=p.describe())


def _complete_in_string(before: str, catalog: Catalog) -> Iterator[Completion]:
    m = re.search(r"type\s*=\s*([\"'])([A-Za-z0-9_]*)$", before)
    if not m:
        return
    for name in catalog.types:
        if name.startswith(m.group(2)):
            yield Completion(name, start_position=-len(m.group(2)), display_meta="context type")


class ScintCompleter(Completer):
    """Completes from the live session: its contexts (refreshed when the version changes) and the registry."""

    def __init__(self, session: scint.Session, variables: Callable[[], Iterable[str]] = tuple) -> None:
        self.session = session
        self.variables = variables
        self._cached: tuple[tuple[str, int], Catalog] | None = None

    def catalog(self) -> Catalog:
        key = (self.session.branch_name, self.session.version)
        if self._cached is None or self._cached[0] != key:
            self._cached = (key, Catalog.of(self.session))
        return self._cached[1]

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        try:
            catalog = self.catalog()
        except scint.ScintError:
            return
        yield from complete(document.text_before_cursor, catalog, self.variables())


# -- the loop -----------------------------------------------------------------------------------------------------


def _key_bindings() -> KeyBindings:
    kb = KeyBindings()

    @kb.add("enter")
    @kb.add("c-j")
    def _enter(event: Any) -> None:
        buf = event.current_buffer
        if buf.document.is_cursor_at_the_end and needs_more(buf.text):
            buf.insert_text("\n")
        else:
            buf.validate_and_handle()

    @kb.add("escape", "enter")
    def _newline(event: Any) -> None:
        event.current_buffer.insert_text("\n")

    return kb


def default_history_path() -> Path:
    return Path(os.environ.get("SCINT_HISTORY") or Path.home() / ".scint_history").expanduser()


def _history(path: str | os.PathLike[str] | None) -> History:
    target = Path(path) if path is not None else default_history_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch(exist_ok=True)
    except OSError:
        return InMemoryHistory()
    return FileHistory(str(target))


class Repl:
    """One interactive session: reads programs, runs them, prints results and errors."""

    def __init__(
        self,
        session: scint.Session,
        console: Console,
        *,
        history: str | os.PathLike[str] | None = None,
        input: Any = None,
        output: Any = None,
        ask: Callable[[str], None] | None = None,
    ) -> None:
        self.session = session
        self.console = console
        self.ask = ask
        self.bindings: dict[str, Any] = {}  # names earlier programs assigned, passed on as params
        self.prompt = PromptSession(
            lexer=PygmentsLexer(ScintLexer),
            completer=ScintCompleter(session, self.bindings.keys),
            complete_while_typing=False,
            history=_history(history),
            key_bindings=_key_bindings(),
            multiline=True,
            prompt_continuation=lambda width, line, wrap: "." * (width - 1) + " ",
            input=input,
            output=output,
        )

    def message(self) -> str:
        try:
            return f"{self.session.branch_name}@{self.session.version}> "
        except scint.ScintError:
            return "scint> "

    def loop(self) -> int:
        self.console.print(
            Text(f"Scint {scint.__version__} on {self.session.url} - :help for help, :q or Ctrl-D to quit", "dim")
        )
        while True:
            try:
                text = self.prompt.prompt(self.message())
            except KeyboardInterrupt:
                continue
            except EOFError:
                break
            if not self.handle(text):
                break
        return 0

    def handle(self, text: str) -> bool:
        """Run one input; False when it asks to quit."""
        stripped = text.strip()
        if not stripped:
            return True
        try:
            if stripped.startswith(":"):
                return self.command(stripped[1:])
            program = scint.parse(text, limits=self.session.limits)
            params = {name: self.bindings[name] for name in free_names(program) if name in self.bindings}
            result = self.session.run(program, params=params)
            self.bindings.update(result.bindings)
            self.console.print(display.result_renderable(program, result))
        except scint.ScintError as exc:
            self.console.print(Text(display.clean(f"error: {exc}"), style="red"))
        return True

    def command(self, line: str) -> bool:
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise scint.ScintError(f"cannot read the command: {exc}") from None
        name, args = (words[0], words[1:]) if words else ("help", [])
        s = self.session
        if name in ("q", "quit", "exit"):
            return False
        if name in ("h", "help", "?"):
            self.console.print(Text(HELP))
        elif name == "show":
            self.console.print(display.view_text(s.view(args[0] if args else None), DISPLAY_CHARS), soft_wrap=True)
        elif name == "log":
            self.console.print(display.log_table(s.log(limit=int(args[0]) if args and args[0].isdigit() else 20)))
        elif name == "vars":
            lines = [f"${n} = {display.short(v, 100)}" for n, v in sorted(self.bindings.items())]
            self.console.print(Text("\n".join(lines) or "no names bound yet: name = context.action(...) binds one"))
        elif name == "branches":
            self.console.print(display.branches_table(s.branches()))
        elif name == "checkout" and len(args) == 1:
            s.checkout(args[0])
            self.console.print(Text(f"on branch {args[0]} at version {s.version}"))
        elif name == "diff" and len(args) == 2:
            self.console.print(display.diff_tree(s.diff(*args)))
        elif name == "ask" and args:
            if self.ask is None:
                raise scint.ScintError(":ask needs Session.ask, which this version of Scint does not have")
            self.ask(" ".join(args))
        else:
            raise scint.ScintError(f"unknown command :{line}; type :help for the commands")
        return True


def run_repl(
    session: scint.Session,
    console: Console | None = None,
    *,
    history: str | os.PathLike[str] | None = None,
    input: Any = None,
    output: Any = None,
    ask: Callable[[str], None] | None = None,
) -> int:
    """Read, run and print until :q or end of input; returns the exit code."""
    repl = Repl(session, console or Console(), history=history, input=input, output=output, ask=ask)
    return repl.loop()
