"""Re-running recorded programs on a new branch, and moving a branch's whole history out (export) and in (load)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import IntegrityError

from scint.core.args import check_callable
from scint.core.history import check_branch_name, check_imported, export_lines, lineage_events, load_map, read_export
from scint.core.map import ContextMap
from scint.core.rerun import RerunGuard
from scint.errors import HistoryError, ScintError
from scint.session.checks import PATH_RE, as_int, as_path
from scint.session.results import RerunReport

if TYPE_CHECKING:
    from scint.session.facade import Session


def rerun(s: Session, since: int, branch: str | None = None) -> RerunReport:
    """Re-execute the programs recorded after version `since` on a new branch forked at `since`, with the
    current code (unlike replay, which re-applies recorded events). LLM-driven steps call the model again:
    a program written by `ask` is asked again from its request text, and a process run is run again (the
    programs its model wrote are not re-executed verbatim). Programs that now fail are reported."""
    s._check_open()
    since = as_int(since, "since")
    entries = [e for e in s.log() if e.version > since]
    entries.reverse()
    name = branch or f"rerun-{since}-{uuid.uuid4().hex[:6]}"
    s.branch(name, at=since)  # refuses a version inside a program
    other = type(s)(s.url, branch=name, limits=s.limits, _app=s.app)
    guard = other._rerun = RerunGuard()
    if getattr(s, "_llm", None) is not None:
        other.llm = s._llm
    failures = []
    rerun_processes: list[str] = []  # process runs redone: their model's programs are not re-executed
    count = 0
    for entry in entries:
        request = entry.request if isinstance(entry.request, dict) else {}
        actor = entry.actor
        if actor.startswith("process:"):  # written during a run being redone (a child's run included)
            owner = actor[len("process:") :]
            if any(owner == p or owner.startswith(p + ".") for p in rerun_processes):
                continue
        count += 1
        guard.program = (entry.program_id, entry.version)
        try:
            if "run" in request and actor.startswith("process:"):  # a process run starts: run it again
                run, steps, by = request["run"], request.get("max_steps", 10), request.get("by") or "human"
                if not isinstance(run, str) or not PATH_RE.fullmatch(run) or type(steps) is not int:
                    raise HistoryError(f"the recorded process run {request!r} is damaged; it cannot be run again")
                rerun_processes.append(run)
                other.run(f"{run}.run(max_steps={steps})", actor=by if isinstance(by, str) else "human")
            elif actor.startswith("llm:") and isinstance(request.get("text"), str):  # written by ask
                other.ask(request["text"])
            else:
                other.run(entry.source, actor=actor, request=entry.request, params=entry.params)
        except ScintError as exc:
            failures.append((entry.program_id, entry.version, str(exc)))
    return RerunReport(
        branch=name, since=since, programs=count, failures=tuple(failures), ignored=guard.ignored
    )


def export(s: Session, path: str | os.PathLike[str], progress: Callable[[int], None] | None = None) -> int:
    """Write this branch's whole history (inherited prefix included) as JSON Lines with a checksummed
    trailer; returns the number of events. The file appears complete or not at all."""
    s._check_open()
    target = as_path(path)
    tmp = target.with_name(target.name + ".partial")
    version = s.version
    count = 0
    events = s._guard(lambda: lineage_events(s.app, s.branch_name, version))
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            for line in export_lines(s.branch_name, version, events):
                fh.write(line + "\n")
                count += 1
                if progress is not None and count % 1000 == 0:
                    progress(count)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise HistoryError(f"cannot write {target}: {exc}") from None
    return max(count - 2, 0)


def load(
    path: str | os.PathLike[str],
    into: str = "memory://",
    *,
    branch: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Session:
    """Import a history written by `Session.export` into the store at `into` and return a session on it.

    The whole file is checked (format, order, count, checksum) and replayed in memory before anything is
    written; the import is one store transaction, so a bad file changes nothing. `progress` is called with
    (events replayed, events in the file)."""
    check_callable(progress, "progress")
    try:
        with as_path(path).open("rb") as fh:
            header, events = read_export(fh)
    except OSError as exc:
        raise HistoryError(f"cannot read {path}: {exc}") from None
    name = check_branch_name(branch or header.get("branch") or "main")
    from scint.session.facade import Session

    session = Session(into)
    try:
        if session._guard(lambda: load_map(session.app, name)) is not None:
            raise HistoryError(
                f"{session.url} already has a branch `{name}`; import into an empty store or pass branch="
            )
        head = ContextMap.start(name)
        for n, doc in enumerate(events, 1):
            if progress is not None and n % 5_000 == 0:
                progress(n, len(events))
            try:
                check_imported(head.state, doc)
            except HistoryError as exc:
                raise HistoryError(f"event {n} of {path}: {exc}; the file is damaged or edited") from None
            head.trigger_event(
                ContextMap.Applied,
                path=doc["path"],
                action=doc["action"],
                args=doc["args"],
                meta=doc["meta"],
                timestamp=doc["time"],
            )
        pending = head.collect_events()
        extra: list[Any] = []
        if name != "main":
            index = session._index_for_update()
            index.add(name, None, 0) if name not in index.branches else None
            index.switch(name)
            extra = index.collect_events()
        session._guard(lambda: session.app.events.put([*extra, *pending]))
    except ScintError as exc:
        session.close()
        if isinstance(exc, HistoryError):
            raise
        raise HistoryError(f"the export does not replay: {exc}") from exc
    except IntegrityError:
        session.close()
        raise HistoryError(f"{into} changed while importing; nothing was imported") from None
    except Exception as exc:  # the file is the input: whatever it holds, the caller gets a ScintError
        session.close()
        raise HistoryError(f"the export does not replay: {type(exc).__name__}: {exc}") from exc
    session.branch_name = name
    session._head = head
    session._maybe_snapshot(head)
    if progress is not None:
        progress(len(events), len(events))
    return session
