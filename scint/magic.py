"""IPython magics: `%load_ext scint`, then

```
%scint notes.put(key="milk", value=2)          # run a program; returns its Result
%%scint                                        # a cell of statements (one atomic program)
%scint -o milk notes.get(key="milk")           # also store the last value in `milk`
%%scint milk <<                                # likewise, for a cell
%scint_ask put two eggs in my notes            # the model writes a program: show it, run it (--dry-run: show)
%scint_view [PATH] [--at N] [--max-chars N | --full]   # the state within N characters (default 10,000)
%scint_log  %scint_branch NAME [--at N]  %scint_checkout NAME  %scint_branches
%scint_diff A B  %scint_session                # the Session itself, for Python code
%scint_inbox [PATH] [--all]  %scint_reply ID TEXT              # messages to you; answer a query
%scint_proposals [--status S]  %scint_approve ID [--edit TEXT]  %scint_reject ID --reason TEXT
%config ScintMagics.store = "memory://"        # which store (default: $SCINT_STORE or lmdb:///.scint)
```

Names a program assigns (`m = notes.get(key="milk")`) stay bound for the next `%scint`, like shell variables
(`ScintMagics.bindings`); a `$name` bound neither by the program nor earlier reads the Python variable `name`
if it holds a JSON-like value. They reach the session as `params`, so they are recorded with the program.

Results, views, logs and diffs display as HTML in Jupyter and as text in a terminal. Scint's errors show their
message (with the caret for syntax errors), not a Python traceback.
"""

from __future__ import annotations

import html
import re
from collections import ChainMap
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class, needs_local_scope, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Unicode, observe

import scint
from scint.core.bindings import check_params, free_names
from scint.core.view import DISPLAY_CHARS, MIN_CHARS
from scint.session.messages import format_message, format_proposal

__all__ = ["ScintMagics", "load_ipython_extension", "unload_ipython_extension"]

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_OUTPUT = re.compile(r"^\s*(?:-o|--output)\s+(" + _NAME + r")(?:\s+|$)")
_ARROW = re.compile(r"^\s*(" + _NAME + r")\s*<<\s*")
_DRY = re.compile(r"^\s*--dry-run(?:\s+|$)")
_PROVIDER = re.compile(r"^\s*(?:-p|--provider)\s+(" + _NAME + r")(?:\s+|$)")


def _shown(exc: scint.ScintError) -> scint.ScintError:
    """Make IPython show the error's message (and caret) instead of a traceback."""
    lines = str(exc).splitlines() or [""]
    name = type(exc).__name__
    rendered = [f"\x1b[31m{name}\x1b[0m: {lines[0]}", *lines[1:]]
    exc._render_traceback_ = lambda: rendered  # type: ignore[attr-defined]
    exc.__cause__ = exc.__context__ = None
    exc.__suppress_context__ = True
    return exc


class _Display:
    """Something to show: text in a terminal, HTML in Jupyter."""

    def __init__(self, text: str, html_text: str) -> None:
        self.text = text
        self.html = html_text

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.text)

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


def _first_line(source: str, width: int = 90) -> str:
    lines = [ln.strip() for ln in source.strip().splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    first = lines[0] if lines else ""
    more = len(lines) > 1 or len(first) > width
    return first[:width] + (" …" if more else "")


def log_display(entries: list[scint.LogEntry], branch: str, version: int) -> _Display:
    """The history as a text table and an HTML table (the whole program text in HTML)."""
    head = f"{branch} @ {version}"
    if not entries:
        text = f"{head}: no history yet"
        return _Display(text, f"<p>{html.escape(text)}</p>")
    rows = [(str(e.version), e.time.strftime("%Y-%m-%d %H:%M:%S"), e.actor, str(e.events), e.source) for e in entries]
    header = ("version", "time (UTC)", "actor", "events")
    widths = [max(len(r[i]) for r in [*rows, header]) for i in range(4)]

    def line(cells: tuple[str, ...], program: str) -> str:
        padded = [c.rjust(w) if i in (0, 3) else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "  ".join([*padded, program])

    lines = [head, line(header, "program"), *(line(r[:4], _first_line(r[4])) for r in rows)]
    body = "".join(
        f"<tr><td>{v}</td><td>{t}</td><td>{html.escape(a)}</td><td>{n}</td>"
        f"<td style='text-align:left'><pre style='margin:0'>{html.escape(src.strip())}</pre></td></tr>"
        for v, t, a, n, src in rows
    )
    table = (
        f"<div class='scint-log'><p><b>{html.escape(branch)}</b> @ {version}</p><table>"
        "<tr><th>version</th><th>time (UTC)</th><th>actor</th><th>events</th><th>program</th></tr>"
        f"{body}</table></div>"
    )
    return _Display("\n".join(lines), table)


def branches_display(branches: list[dict[str, Any]]) -> _Display:
    rows = [
        (
            "*" if b.get("current") else "",
            b["name"],
            str(b["version"]),
            f"{b['base']}@{b['at']}" if b.get("base") else "-",
        )
        for b in branches
    ]
    header = ("", "branch", "version", "forked from")
    widths = [max(len(r[i]) for r in [*rows, header]) for i in range(4)]
    text = "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    head = "<tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr>"
    return _Display(text, f"<table class='scint-branches'>{head}{body}</table>")


def program_display(source: str, note: str = "") -> _Display:
    """A program, highlighted in HTML."""
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter

        from scint.cli.lexer import ScintLexer

        code = highlight(source, ScintLexer(), HtmlFormatter(noclasses=True, nobackground=True))
    except ImportError:  # pragma: no cover - pygments comes with IPython
        code = f"<pre>{html.escape(source)}</pre>"
    extra = f"<small>{html.escape(note)}</small>" if note else ""
    text = source.rstrip() + (f"\n# {note}" if note else "")
    return _Display(text, f"<div class='scint-program'>{code}{extra}</div>")


@magics_class
class ScintMagics(Magics):
    """Scint in IPython: run programs, ask a model, look at the state and its history."""

    store = Unicode(
        "",
        help="The store URL (lmdb:///dir, sqlite:///file.db, memory://, postgresql://...); empty: $SCINT_STORE "
        "or lmdb:///.scint.",
    ).tag(config=True)
    branch = Unicode("", help="The branch to open (empty: the store's current branch).").tag(config=True)
    actor = Unicode("human", help="Who the programs run by these magics are recorded as.").tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        # Set before the config loads: a configured store or branch reopens (closes) as the magics are made.
        self._session: scint.Session | None = None
        self._ui: Any = None  # the web view's server (scint.ui.server.Running), started by %scint_ui
        super().__init__(shell=shell, **kwargs)
        self.bindings: dict[str, Any] = {}  # names earlier programs assigned, passed on as params

    @observe("store", "branch")
    def _reopen(self, change: Any) -> None:
        self.close()

    @property
    def session(self) -> scint.Session:
        """The session these magics use (opened on first use, reopened when `store` or `branch` changes)."""
        if self._session is None:
            try:
                self._session = scint.open(self.store or None, branch=self.branch or None)
            except scint.ScintError as exc:
                raise _shown(exc) from None
        return self._session

    def close(self) -> None:
        if self._ui is not None:
            self._ui.stop()
            self._ui = None
        if self._session is not None:
            self._session.close()
            self._session = None

    # -- running programs ----------------------------------------------------------------------------------------

    @no_var_expand
    @needs_local_scope
    @line_cell_magic
    def scint(self, line: str, cell: str | None = None, local_ns: Any = None) -> scint.Result | None:
        """Run Scint statements (the rest of the line, or the cell) as one atomic program and return its Result.

        `-o NAME` or `NAME <<` before the statements also stores the last statement's value in NAME;
        `--dry-run` runs the program without recording anything."""
        rest = line
        target = None
        dry_run = False
        while True:
            if (m := _OUTPUT.match(rest)) or (m := _ARROW.match(rest)):
                target = m.group(1)
            elif m := _DRY.match(rest):
                dry_run = True
            else:
                break
            rest = rest[m.end() :]
        if cell is not None:
            if rest.strip():
                raise UsageError("%%scint takes only -o NAME, NAME << or --dry-run on its first line")
            text = cell
        else:
            text = rest
        if not text.strip():
            raise UsageError("%scint needs statements, e.g. %scint contexts()")
        try:
            session = self.session
            program = scint.parse(text, limits=session.limits)
            params = self._params(program, local_ns, session.limits)
            result = session.run(program, actor=self.actor, params=params, dry_run=dry_run)
        except scint.ScintError as exc:
            raise _shown(exc) from None
        if not dry_run:
            self.bindings.update(result.bindings)
        if target is not None:
            self.shell.push({target: result.value})
        return result

    def _params(self, program: scint.Program, local_ns: Any, limits: scint.Limits) -> dict[str, Any]:
        """What the program's free `$names` read: earlier programs' bindings, else the user's Python variables
        (JSON-like values only). A name found in neither is left for the interpreter to report."""
        params: dict[str, Any] = {}
        namespace = ChainMap(local_ns or {}, self.shell.user_ns)
        for name in free_names(program):
            if name in self.bindings:
                params[name] = self.bindings[name]
            elif name in namespace:
                try:
                    params.update(check_params({name: namespace[name]}, limits))
                except scint.ScintError as exc:
                    raise type(exc)(
                        f"{exc} (no Scint program bound ${name}, so it was read from the Python variable `{name}`)"
                    ) from None
        return params

    @line_magic
    def scint_session(self, line: str) -> scint.Session:
        """The Session the magics use, for Python code: `s = %scint_session`."""
        return self.session

    # -- asking a model ------------------------------------------------------------------------------------------

    @no_var_expand
    @needs_local_scope
    @line_cell_magic
    def scint_ask(self, line: str, cell: str | None = None, local_ns: Any = None) -> scint.Result | None:
        """Ask the model to write a program for TEXT: show the program, run it and return its Result.

        `--dry-run` only shows the program (it is checked but nothing is recorded); `-p NAME` uses the provider
        in variable NAME (e.g. a `scint.llm.MockProvider`) instead of the one the environment configures
        (OPENAI_API_KEY, OPENAI_BASE_URL, SCINT_MODEL). In cell form the cell is the request."""
        rest, dry_run, provider = line, False, None
        while True:
            if m := _DRY.match(rest):
                dry_run = True
            elif m := _PROVIDER.match(rest):
                ns = {**self.shell.user_ns, **(local_ns or {})}
                if m.group(1) not in ns:
                    raise UsageError(f"-p {m.group(1)}: there is no variable {m.group(1)}")
                provider = ns[m.group(1)]
            else:
                break
            rest = rest[m.end() :]
        text = (cell if cell is not None else rest).strip()
        if not text:
            raise UsageError("%scint_ask needs a request, e.g. %scint_ask put two eggs in my notes")
        s = self.session
        if not hasattr(s, "ask"):
            raise UsageError("this version of Scint has no Session.ask")
        kwargs: dict[str, Any] = {"dry_run": dry_run}
        if provider is not None:
            kwargs["provider"] = provider
        try:
            answer = s.ask(text, **kwargs)
        except scint.ScintError as exc:
            raise _shown(exc) from None
        from IPython.display import display

        note = "dry run: checked, nothing recorded" if dry_run else ""
        display(program_display(answer.program, note))
        return None if dry_run else answer.result

    # -- the state and its history -------------------------------------------------------------------------------

    @magic_arguments()
    @argument("path", nargs="?", default=None, help="Only the contexts under this path.")
    @argument("--at", type=int, default=None, help="As of this version.")
    @argument("--max-chars", type=int, default=None, help="Within this many characters (default 10,000).")
    @argument("--full", action="store_true", help="Everything: every value whole.")
    @line_magic
    def scint_view(self, line: str) -> scint.ContextMapView:
        """Show the contexts and their state (HTML in Jupyter) within a budget of characters: every context with
        its type and size, then values whole or summarised. %scint_view [PATH] [--at N] [--max-chars N | --full]"""
        args = parse_argstring(self.scint_view, line)
        if args.full and args.max_chars is not None:
            raise UsageError("%scint_view takes --max-chars N or --full, not both")
        if args.max_chars is not None and args.max_chars < MIN_CHARS:
            raise UsageError(f"--max-chars must be at least {MIN_CHARS}, not {args.max_chars}")
        view = self._call(lambda s: s.view(path=args.path, at=args.at))
        view.max_chars = None if args.full else DISPLAY_CHARS if args.max_chars is None else args.max_chars
        return view

    @magic_arguments()
    @argument("-n", "--limit", type=int, default=20, help="At most this many programs (0: all).")
    @line_magic
    def scint_log(self, line: str) -> _Display:
        """The programs that changed state, newest first: %scint_log [-n N]."""
        args = parse_argstring(self.scint_log, line)

        def show(s: scint.Session) -> _Display:
            return log_display(s.log(limit=args.limit or None), s.branch_name, s.version)

        return self._call(show)

    @magic_arguments()
    @argument("name", help="The new branch.")
    @argument("--at", type=int, default=None, help="Fork at this version (default: the head).")
    @line_magic
    def scint_branch(self, line: str) -> None:
        """Create a branch from the current one, without switching: %scint_branch NAME [--at N]."""
        args = parse_argstring(self.scint_branch, line)

        def make(s: scint.Session) -> None:
            at = s.version if args.at is None else args.at
            s.branch(args.name, at=args.at)
            print(f"created branch {args.name} from {s.branch_name}@{at}")

        self._call(make)

    @magic_arguments()
    @argument("name", help="The branch to switch to.")
    @line_magic
    def scint_checkout(self, line: str) -> None:
        """Switch to a branch (for these magics, and as the store's current branch): %scint_checkout NAME."""
        args = parse_argstring(self.scint_checkout, line)

        def switch(s: scint.Session) -> None:
            s.checkout(args.name)
            print(f"on branch {s.branch_name} at version {s.version}")

        self._call(switch)

    @line_magic
    def scint_branches(self, line: str) -> _Display:
        """The branches (* marks the current one)."""
        return self._call(lambda s: branches_display(s.branches()))

    @magic_arguments()
    @argument("a", help="A branch, a version of this branch, or branch@version.")
    @argument("b", help="Likewise.")
    @line_magic
    def scint_diff(self, line: str) -> scint.Diff:
        """What changed from A to B: %scint_diff main what-if."""
        args = parse_argstring(self.scint_diff, line)
        a, b = (int(x) if x.isdigit() else x for x in (args.a, args.b))
        return self._call(lambda s: s.diff(a, b))

    @magic_arguments()
    @argument("--read-only", action="store_true", help="Show only: no approve or reject.")
    @argument("--port", type=int, default=0, help="Port on 127.0.0.1 (default: a free one).")
    @line_magic
    def scint_ui(self, line: str) -> _Display:
        """Serve the web view of this store from a background thread on 127.0.0.1 and show its link."""
        args = parse_argstring(self.scint_ui, line)

        def start(s: scint.Session) -> _Display:
            if self._ui is None:
                try:
                    from scint.ui import start as serve
                except ImportError as exc:
                    need = f"the web view needs the ui extra: pip install 'scint[ui]' ({exc})"
                    raise scint.ScintError(need) from exc
                from scint.session.browse import sibling

                self._ui = serve(sibling(s), port=args.port, read_only=args.read_only)
            url = self._ui.url
            link = html.escape(url)
            return _Display(f"scint ui: {url}", f"<a href='{link}' target='_blank'>scint ui: {link}</a>")

        return self._call(start)

    @magic_arguments()
    @argument("path", nargs="?", default=None, help="Whose inbox: a process path (default: yours).")
    @argument("--all", action="store_true", help="Read messages too.")
    @line_magic
    def scint_inbox(self, line: str) -> _Display:
        """The messages sent to you (or to a process; yours include those to `human`-backed processes):
        %scint_inbox [PATH] [--all]."""
        args = parse_argstring(self.scint_inbox, line)
        found = self._call(lambda s: s.inbox(args.path, unread=not args.all))
        return _plain("\n".join(map(format_message, found)) or "no messages")

    @line_magic
    def scint_reply(self, line: str) -> str:
        """Answer a query sent to you (or to a `human`-backed process: it goes out from it): %scint_reply ID TEXT."""
        mid, _, text = line.strip().partition(" ")
        if not mid or not text.strip():
            raise UsageError("%scint_reply ID TEXT")
        return self._call(lambda s: s.reply(mid, text.strip()))

    @magic_arguments()
    @argument("--status", default="pending", help="pending, approved, rejected or all.")
    @line_magic
    def scint_proposals(self, line: str) -> _Display:
        """The programs waiting for approval: %scint_proposals [--status S]."""
        args = parse_argstring(self.scint_proposals, line)
        found = self._call(lambda s: s.proposals(status=None if args.status == "all" else args.status))
        return _plain("\n".join(map(format_proposal, found)) or f"no {args.status} proposals")

    @line_magic
    def scint_approve(self, line: str) -> dict[str, Any]:
        """Run a proposal's program now, as you: %scint_approve ID [--edit TEXT] (TEXT: the rest of the line, a
        program run instead). Returns the proposal."""
        pid, edit = _id_and_option(line, "--edit", "%scint_approve ID [--edit TEXT]")
        return self._call(lambda s: s.approve(pid, edit=edit))

    @line_magic
    def scint_reject(self, line: str) -> dict[str, Any]:
        """Reject a proposal: %scint_reject ID --reason TEXT (the rest of the line)."""
        pid, reason = _id_and_option(line, "--reason", "%scint_reject ID --reason TEXT")
        if reason is None:
            raise UsageError("%scint_reject ID --reason TEXT: the proposer receives the reason")
        return self._call(lambda s: s.reject(pid, reason))

    def _call(self, fn: Any) -> Any:
        try:
            return fn(self.session)
        except scint.ScintError as exc:
            raise _shown(exc) from None


def _id_and_option(line: str, option: str, usage: str) -> tuple[str, str | None]:
    """`ID [OPTION TEXT]`: TEXT is the rest of the line as written (one pair of enclosing quotes removed)."""
    found = re.fullmatch(r"\s*(\S+)(?:\s+" + re.escape(option) + r"\s+(.+?))?\s*", line, re.DOTALL)
    if found is None:
        raise UsageError(usage)
    text = found.group(2)
    if text is not None and len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    return found.group(1), text


def _plain(text: str) -> _Display:
    return _Display(text, f"<pre>{html.escape(text)}</pre>")


def _text(obj: Any, p: Any, cycle: bool) -> None:
    p.text(str(obj))


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext scint`: register the magics, and show Scint's objects as readable text in a terminal."""
    ipython.register_magics(ScintMagics(shell=ipython))
    plain = ipython.display_formatter.formatters["text/plain"]
    for cls in (scint.Result, scint.ContextMapView, scint.Diff, scint.RerunReport):
        plain.for_type(cls, _text)


def unload_ipython_extension(ipython: Any) -> None:
    magics = ipython.magics_manager.registry.get("ScintMagics")
    if magics is not None:
        magics.close()
