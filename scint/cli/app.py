"""The `scint` command: run programs, look at the state and its history, branch, replay, ask a model, move
histories between stores. A thin surface over `scint.Session`."""

from __future__ import annotations

import io
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.syntax import Syntax
from rich.text import Text

import scint
from scint.cli import agents as _agents
from scint.cli import display
from scint.cli import mcp as _mcp
from scint.cli import messages as _messages
from scint.cli import modules as _modules
from scint.cli import rerun as _rerun
from scint.cli import ui as _ui
from scint.cli.inputs import cli_wording, import_modules, imports_from, read_text, where
from scint.core.view import DISPLAY_CHARS, MIN_CHARS
from scint.errors import BadArguments, ScintError

app = typer.Typer(
    name="scint",
    help="Scint: one small, exact language for changing and inspecting shared state, with every change recorded.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Not on a terminal (a pipe, a file, a test), lines are not cut at 80 columns.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Options:
    """The global options, and the session they open (once, closed when the command ends)."""

    def __init__(self, store: str | None, branch: str | None) -> None:
        self.store = store
        self.branch = branch
        self._session: scint.Session | None = None

    @property
    def url(self) -> str:
        from scint.store.urls import default_url

        return self.store or default_url()

    def session(self) -> scint.Session:
        if self._session is None:
            self._session = scint.open(self.url, branch=self.branch)
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


def _version(value: bool) -> None:
    if value:
        out.print(f"scint {scint.__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            envvar="SCINT_STORE",
            help="Store URL: lmdb:///dir (default lmdb:///.scint), sqlite:///file.db, memory://, postgresql://...",
            show_default=False,
        ),
    ] = None,
    branch: Annotated[
        str | None, typer.Option("--branch", help="Work on this branch (default: the store's current branch).")
    ] = None,
    imports: Annotated[
        list[str] | None,
        typer.Option(
            "--import",
            help="A module that registers context types (repeatable; also $SCINT_IMPORT, comma-separated).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Scint: one small, exact language for changing and inspecting shared state, with every change recorded."""
    import_modules(imports_from(imports))
    options = Options(store, branch)
    ctx.obj = options
    ctx.call_on_close(options.close)


def _opts(ctx: typer.Context) -> Options:
    return ctx.obj if isinstance(ctx.obj, Options) else Options(None, None)


def _json(data: Any) -> None:
    out.print(display.clean(json.dumps(data, ensure_ascii=False, indent=2, default=str)), markup=False, soft_wrap=True)


@contextmanager
def _progress(description: str, total: int | None) -> Iterator[Any]:
    """A progress bar on stderr (only when it is a terminal); yields a function taking the count done."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    with progress:
        task = progress.add_task(description, total=total)

        def advance(done: int, total: int | None = None) -> None:
            progress.update(task, completed=done, **({"total": total} if total is not None else {}))

        yield advance
        progress.update(task, completed=progress.tasks[0].total or 0)


# -- running programs ---------------------------------------------------------------------------------------------


def _fresh_branch_name(stem: str, existing: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-_.")[:56] or "run"
    name, n = base, 1
    while name in existing:
        n += 1
        name = f"{base}-{n}"
    return name


@app.command()
def run(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="A .scint program, or - for standard input.")],
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh",
            help="Start from an empty state: if this branch already has history, run on a new branch forked at "
            "version 0 (named after FILE) and check it out. Nothing is deleted.",
        ),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Run the program but record nothing.")] = False,
    show_log: Annotated[bool, typer.Option("--log", help="Afterwards, show the branch's history.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the values and version as JSON.")] = False,
) -> None:
    """Run a program atomically: print each statement's result, then the branch and version.

    If any statement fails, nothing is recorded and the error (with its line and caret) goes to stderr."""
    text = read_text(file)
    try:
        program = scint.parse(text)
    except ScintError as exc:
        raise ScintError(f"{where(file)}: {exc}") from None
    opts = _opts(ctx)
    s: scint.Session | None = None
    before = 0
    try:
        s = opts.session()
        before = s.version
        _run(s, program, where(file), fresh=fresh, dry_run=dry_run, show_log=show_log, as_json=as_json)
    except KeyboardInterrupt:
        message = "interrupted before the program started: nothing was recorded"
        err.print(message if s is None else _interrupted(s, text, before, dry_run), markup=False)
        raise typer.Exit(130) from None


def _interrupted(s: scint.Session, text: str, before: int, dry_run: bool) -> str:
    """What Ctrl-C during `scint run` left behind: the program is wholly recorded or not at all; say which."""
    if dry_run:
        return "interrupted: a dry run records nothing"
    try:
        now = s.version  # the session reloads the head after an interrupt
        latest = s.log(limit=1) if now > before else []
    except (ScintError, KeyboardInterrupt):
        return "interrupted: could not check the store; run `scint log` to see whether the program was recorded"
    if latest and latest[0].source.strip() == text.strip():
        return f"interrupted: the program was recorded ({s.branch_name} @ {now}); its output was cut short"
    return f"interrupted: the program was not recorded ({s.branch_name} is at version {now})"


def _run(
    s: scint.Session, program: scint.Program, where: str, *, fresh: bool, dry_run: bool, show_log: bool, as_json: bool
) -> None:
    if fresh and not dry_run and (s.version > 0 or len(s.view())):
        with scint.open("memory://") as scratch:  # check it works from an empty state before writing anything
            scratch.run(program)
        previous = s.branch_name
        name = _fresh_branch_name(Path(where).stem, {b["name"] for b in s.branches()})
        s.run(f"history.branch(name={json.dumps(name)}, at=0); history.checkout(name={json.dumps(name)})")
        err.print(Text(f"{previous} already has history: running on a new branch {name} (forked at version 0)"))
        try:
            result = s.run(program)
        except ScintError:
            s.checkout(previous)
            raise
    else:
        result = s.run(program, dry_run=dry_run)
    if as_json:
        _json({"values": list(result.values), "branch": result.branch, "version": result.version})
    else:
        out.print(display.statements_table(program, result))
        out.print(display.result_footer(result, dry_run))
    if show_log:
        out.print(display.log_table(s.log(limit=20), title=f"history of {s.branch_name}"))


@app.command()
def repl(
    ctx: typer.Context,
    history: Annotated[
        str | None,
        typer.Option(help="The history file (default: $SCINT_HISTORY or ~/.scint_history).", show_default=False),
    ] = None,
) -> None:
    """An interactive prompt: Tab completes contexts, actions and parameters; a program may span lines."""
    from scint.cli.repl import run_repl

    s = _opts(ctx).session()
    raise typer.Exit(run_repl(s, out, history=history, ask=lambda text: _ask(s, text, False, out)))


@app.command()
def fmt(
    file: Annotated[str, typer.Argument(help="A .scint file, or - for standard input.")],
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if FILE is not in canonical form.")
    ] = False,
    write: Annotated[bool, typer.Option("--write", help="Rewrite FILE in canonical form.")] = False,
) -> None:
    """Print FILE in canonical form, keeping its comments and blank lines (exit 1 if it is not valid Scint)."""
    if check and write:
        raise ScintError("fmt takes --check or --write, not both")
    if write and file == "-":
        raise ScintError("fmt --write rewrites a file; for standard input, leave out --write")
    text = read_text(file)
    try:
        formatted = scint.format(scint.parse(text), comments=True)
    except ScintError as exc:
        raise ScintError(f"{where(file)}: {exc}") from None
    if check:
        if formatted != text:
            err.print(f"{where(file)} is not in canonical form (scint fmt --write {file} rewrites it)", markup=False)
            raise typer.Exit(1)
        return
    if write:
        if formatted != text:
            _replace(Path(file), formatted)
        return
    sys.stdout.write(formatted)


def _replace(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all (a temporary file renamed over it)."""
    tmp = path.with_name(f".{path.name}.scint-fmt")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ScintError(f"cannot write {path}: {exc.strerror or exc}") from None


# -- looking at the state and its history -------------------------------------------------------------------------


@app.command()
def show(
    ctx: typer.Context,
    path: Annotated[str | None, typer.Argument(help="Only the contexts under this path.", show_default=False)] = None,
    at: Annotated[int | None, typer.Option("--at", help="As of this version.", show_default=False)] = None,
    max_chars: Annotated[
        int | None,
        typer.Option(
            "--max-chars",
            help=f"Within this many characters (default {DISPLAY_CHARS:,}): every context with its type and size "
            "first, then values whole while they fit and summarised when not.",
            show_default=False,
        ),
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Everything: every value whole.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The state as JSON (deterministic, complete).")] = False,
) -> None:
    """Show the contexts and their state: an outline within a budget of characters."""
    budget = _budget(max_chars, full, as_json)
    view = _opts(ctx).session().view(path=path, at=at)
    _note_unloaded(view)
    _show_view(view, budget, as_json)


def _budget(max_chars: int | None, full: bool, as_json: bool) -> int | None:
    """The character budget `--max-chars`/`--full` ask for (None: everything)."""
    if full and max_chars is not None:
        raise BadArguments("show takes --max-chars N or --full, not both")
    if as_json and (full or max_chars is not None):
        raise BadArguments("--json is always complete; leave out --max-chars and --full")
    budget = None if full else DISPLAY_CHARS if max_chars is None else max_chars
    if budget is not None and budget < MIN_CHARS:
        raise BadArguments(f"--max-chars must be at least {MIN_CHARS}, not {budget}")
    return budget


def _show_view(view: scint.ContextMapView, budget: int | None, as_json: bool) -> None:
    if as_json:
        out.print(display.clean(view.render("json")), markup=False, soft_wrap=True)
    else:
        out.print(display.view_text(view, budget), soft_wrap=True)


def _note_unloaded(view: scint.ContextMapView) -> None:
    """Say (on stderr) which contexts are of types not loaded here: their state is shown as stored data."""
    from scint.contexts.registry import registered

    known = registered()
    missing = sorted({view.type_of(p) for p in view.paths()} - set(known))
    if missing:
        names = ", ".join(display.clean(m) for m in missing)
        err.print(
            f"note: not loaded here: {names} (pass --import MODULE or set SCINT_IMPORT); their contexts show their "
            "state as stored data, which may miss their latest actions, and cannot be changed",
            markup=False,
        )


@app.command()
def log(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", help="At most this many programs.")] = 20,
    show_all: Annotated[bool, typer.Option("--all", help="Every program.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
) -> None:
    """The programs that changed state on this branch, newest first."""
    s = _opts(ctx).session()
    entries = s.log(limit=None if show_all else limit)
    if as_json:
        _json([{**e.as_dict(), "events": e.events} for e in entries])
        return
    if not entries and (show_all or limit > 0):
        out.print(Text(f"{s.branch_name} has no history yet (version {s.version})", style="dim"))
        return
    out.print(display.log_table(entries, title=f"{s.branch_name} @ {s.version}"))


@contextmanager
def _own_words() -> Iterator[None]:
    """For commands that run a built-in program for the user (`history.checkout(...)`): the error without the
    statement it came from, which the user never wrote."""
    try:
        yield
    except ScintError as exc:
        if exc.statement is not None:
            exc.args = (exc.message,)
        raise


@app.command()
def branch(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The new branch's name.")],
    at: Annotated[int | None, typer.Option("--at", help="Fork at this version (default: the head).")] = None,
) -> None:
    """Create a branch from this one (without switching to it)."""
    s = _opts(ctx).session()
    with _own_words():
        s.branch(name, at=at)
    out.print(f"created branch {name} from {s.branch_name}@{s.version if at is None else at}", markup=False)


@app.command()
def checkout(ctx: typer.Context, name: Annotated[str, typer.Argument(help="The branch to switch to.")]) -> None:
    """Switch the store's current branch."""
    s = _opts(ctx).session()
    with _own_words():
        s.checkout(name)
    out.print(f"on branch {s.branch_name} at version {s.version}", markup=False)


@app.command()
def branches(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False) -> None:
    """List the branches (* marks the current one)."""
    items = _opts(ctx).session().branches()
    if as_json:
        _json(items)
    else:
        out.print(display.branches_table(items))


@app.command()
def diff(
    ctx: typer.Context,
    a: Annotated[str, typer.Argument(help="A branch, a version of this branch, or branch@version.")],
    b: Annotated[str, typer.Argument(help="Likewise.")],
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
) -> None:
    """What changed from A to B (exits 0 whether or not they differ)."""
    d = _opts(ctx).session().diff(_ref(a), _ref(b))
    if as_json:
        _json(d.as_dict())
    else:
        out.print(display.diff_tree(d))


def _ref(text: str) -> str | int:
    return int(text) if text.isdigit() else text


@app.command()
def replay(
    ctx: typer.Context,
    to: Annotated[int | None, typer.Option("--to", help="Rebuild up to this version (default: the head).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The state as JSON.")] = False,
) -> None:
    """Rebuild the state at a version from the recorded events alone (no model is called), and show it."""
    s = _opts(ctx).session()
    target = s.version if to is None else to
    with _progress(f"replaying {s.branch_name} to version {target}", target) as advance:
        view = s.replay(to=to, progress=advance)
    _show_view(view, DISPLAY_CHARS, as_json)


# -- moving histories ---------------------------------------------------------------------------------------------


@contextmanager
def _scratch_file(name: str) -> Iterator[Path]:
    """A path in a private temporary directory, removed afterwards (for `-`: standard input or output)."""
    with tempfile.TemporaryDirectory(prefix="scint-") as tmp:
        yield Path(tmp) / name


def _copy(src: IO[Any], dst: IO[Any]) -> None:
    """Copy a stream to another in chunks: the binary layer of a text stream when it has one (standard input
    and output), else text (an embedding host's or a test's StringIO), encoding or decoding UTF-8 to fit."""
    reader = getattr(src, "buffer", src)
    writer = getattr(dst, "buffer", dst)
    if writer is not dst:
        dst.flush()  # what the text layer holds goes first
    wants_text = isinstance(writer, io.TextIOBase)
    while chunk := reader.read(1 << 16):
        if isinstance(chunk, bytes) and wants_text:
            chunk = chunk.decode("utf-8", "replace")
        elif isinstance(chunk, str) and not wants_text:
            chunk = chunk.encode("utf-8", "surrogateescape")
        writer.write(chunk)
    writer.flush()


@app.command()
def export(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="The JSON Lines file to write, or - for standard output.")],
) -> None:
    """Write this branch's whole history to FILE (checksummed JSON Lines)."""
    s = _opts(ctx).session()
    version = s.version
    with _progress(f"exporting {s.branch_name}", version + 2) as advance, _scratch_file("export.jsonl") as tmp:
        count = s.export(tmp if file == "-" else file, progress=advance)
        if file == "-":
            with tmp.open("rb") as fh:
                _copy(fh, sys.stdout)
    (err if file == "-" else out).print(
        f"exported {count} events of {s.branch_name}@{version} to {'<stdout>' if file == '-' else file}", markup=False
    )


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="A file written by scint export, or - for standard input.")],
) -> None:
    """Load a history written by `scint export` into the store (as --branch, or the branch it was exported from)."""
    opts = _opts(ctx)
    with _scratch_file("import.jsonl") as tmp:
        if file == "-":
            with tmp.open("wb") as fh:
                _copy(sys.stdin, fh)
        path = tmp if file == "-" else Path(file)
        what = where(file)
        try:  # the export's header names its branch and version: say what is coming
            with path.open(encoding="utf-8") as fh:
                header = json.loads(fh.readline(1 << 16))
            what = f"{header['branch']}@{header['version']} from {where(file)}"
        except (OSError, ValueError, KeyError, TypeError):
            pass  # scint.load says what is wrong with the file
        with _progress(f"importing {display.clean(what)}", None) as advance:
            session = scint.load(path, into=opts.url, branch=opts.branch, progress=lambda done, n: advance(done, n))
    with session:
        out.print(
            f"imported branch {session.branch_name} at version {session.version} into {session.url}", markup=False
        )


# -- asking a model -----------------------------------------------------------------------------------------------


def _ask(s: scint.Session, text: str, dry_run: bool, console: Console, approve: bool = False) -> None:
    """Ask the model for a program; show it, then what running it did (with --dry-run: checked, not recorded)."""
    if not hasattr(s, "ask"):
        raise ScintError("this version of Scint has no Session.ask")
    from scint.cli.lexer import ScintLexer

    answer = s.ask(text, dry_run=dry_run, **({"approve": True} if approve else {}))
    source = str(answer.program)
    console.print(Syntax(source.rstrip(), ScintLexer(), theme="ansi_dark", background_color="default"))
    if getattr(answer, "proposal", None):
        console.print(f"recorded as proposal {answer.proposal['id']}: `scint approve {answer.proposal['id']}`")
        return
    program = scint.parse(source)
    if len(program.statements) > 1:
        console.print(display.statements_table(program, answer.result))
    elif answer.result.value is not None:
        console.print(Text(display.short(answer.result.value, 2000), style="green"))
    console.print(display.result_footer(answer.result, dry_run))


@app.command()
def ask(
    ctx: typer.Context,
    text: Annotated[list[str], typer.Argument(help="What you want, in your own words.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show the program; do not run it.")] = False,
    approve: Annotated[bool, typer.Option("--approve", help="Record a changing program as a proposal.")] = False,
) -> None:
    """Ask the model (OPENAI_API_KEY, OPENAI_BASE_URL, SCINT_MODEL) to write a program, show it and run it."""
    _ask(_opts(ctx).session(), " ".join(text), dry_run, out, approve)


app.command("modules")(_modules.command(out, err, _json))
app.command("mcp")(_mcp.command(_opts, err))
app.command("ui")(_ui.command(out, _opts))
_messages.add_commands(app, out, lambda ctx: _opts(ctx).session(), _json)  # inbox, reply, proposals, approve, reject
_agents.add_commands(app, out, err, _json, lambda ctx: _opts(ctx).session())  # agents, agents run
app.command("rerun")(_rerun.command(out, _json, lambda ctx: _opts(ctx).session()))


@app.command()
def up(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="The declaration file.")] = "scint.toml",
    plan: Annotated[bool, typer.Option("--plan", help="Only show what would change; write nothing.")] = False,
) -> None:
    """Make the store match a scint.toml (models, contexts, agents) in one atomic program."""
    out.print(str(_opts(ctx).session().up(file, plan=plan)), markup=False)


# -- the entry point ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Run the command; Scint's errors go to stderr without a traceback and exit 1."""
    try:
        _modules.add_commands(app, err)  # `scint NAME` for the commands installed modules bring
        app(args=argv, prog_name="scint")
    except ScintError as exc:
        message = display.clean(cli_wording(str(exc)))
        err.print(f"error: {message}", markup=False, style="red" if err.is_terminal else None)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        sys.exit(130)
    except Exception as exc:  # keep the promise of no tracebacks, unless asked for one
        if os.environ.get("SCINT_DEBUG"):
            raise
        message = display.clean(f"{type(exc).__name__}: {exc}")
        err.print(f"error: internal error: {message} (SCINT_DEBUG=1 shows the traceback)", markup=False)
        sys.exit(1)
