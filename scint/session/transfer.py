"""Re-running recorded programs on a new branch (swapping models: scint/session/swaps.py), and moving a branch's
whole history out (export) and in (load)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import IntegrityError

from scint.core.args import check_callable
from scint.core.history import check_branch_name, check_imported, export_lines, lineage_events, load_map, read_export
from scint.core.mail import MAIL_ACTIONS, is_person
from scint.core.map import ContextMap
from scint.core.rerun import RerunGuard
from scint.errors import HistoryError, NeedsApproval, ScintError
from scint.session import swaps
from scint.session.approval import asking_approval
from scint.session.checks import PATH_RE, as_int, as_path
from scint.session.history import entry as entry_of
from scint.session.history import iter_programs
from scint.session.results import LogEntry, RerunReport

if TYPE_CHECKING:
    from scint.session.facade import Session


def rerun(
    s: Session,
    since: int,
    branch: str | None = None,
    models: Any = None,
    endpoints: Any = None,
) -> RerunReport:
    """`Session.rerun` (its docstring says what a rerun does). Checks everything (the version, the branch name,
    the swaps) before the branch is made; then runs each recorded program after `since` again, in order, as
    `Rerun.again` decides, in a session on the new branch."""
    s._check_open()
    since = as_int(since, "since")
    name = check_branch_name(branch) if branch is not None else f"rerun-{since}-{uuid.uuid4().hex[:6]}"
    settings, asked = swaps.plan(s, since, models, endpoints)  # reads version `since`: refuses one inside a program
    programs = [group for group in iter_programs(s) if group[0][0] > since]
    programs.reverse()
    s.branch(name, at=since)  # refuses a name taken
    other = type(s)(s.url, branch=name, limits=s.limits, _app=s.app)
    guard = other._rerun = RerunGuard()
    if getattr(s, "_llm", None) is not None:
        other.llm = s._llm
    other._models_by_name = s.models  # the providers set for names (session.models["other"] = ...) hold here too
    rerun = Rerun(other)
    swapper = swaps.Swapper(settings, {"rerun": {"branch": s.branch_name, "since": since, "models": asked}})
    guard.after = swapper.apply  # after each commit on the new branch: a chosen process created just now
    swapper.apply(other)  # the processes that exist at `since`: before anything runs
    for group in programs:
        entry = entry_of(s, group)
        events = [e for _, e in reversed(group)]
        guard.program = (entry.program_id, entry.version)
        try:
            rerun.again(entry, events)
        except ScintError as exc:
            rerun.failures.append((entry.program_id, entry.version, str(exc)))
    return RerunReport(
        branch=name,
        since=since,
        programs=rerun.count,
        failures=(*rerun.failures, *(("", since, error) for error in swapper.failures)),
        ignored=guard.ignored,
        models=tuple(asked.items()),
        people=tuple(rerun.people),
        proposed=tuple(rerun.proposed),
    )


class Rerun:
    """How a rerun runs one recorded program again in `other` (the session on the new branch)."""

    def __init__(self, other: Session) -> None:
        self.other = other
        self.count = 0
        self.failures: list[tuple[str, int, str]] = []
        self.people: list[tuple[str, int, str]] = []  # a person's answers and decisions, not replayed
        self.proposed: list[tuple[str, int, str]] = []  # (program id, version, the new proposal's id)
        self.processes: list[str] = []  # process runs redone: their model's programs are not re-executed

    def again(self, entry: LogEntry, events: list[Any]) -> None:
        request = entry.request if isinstance(entry.request, dict) else {}
        actor = entry.actor
        by = request.get("by") if "run" in request else None
        # a process run starts here, started from outside the runs being redone (by a person, another process)
        starts = actor.startswith("process:") and "run" in request and not self._redone(str(by))
        if not starts and self._redone(actor):  # written during a run being redone (a child's run included)
            return
        mail = [(e.action, e.args) for e in events if e.path == "" and e.action in MAIL_ACTIONS]
        person = self._persons(mail)
        if person is not None:  # a person's answer or decision: asked again, not replayed
            self.people.append((entry.program_id, entry.version, person))
            return
        proposal = next((args for action, args in mail if action == "propose"), None)
        if isinstance(proposal, dict):
            self.count += 1
            self._propose_again(entry, proposal)
            return
        if not entry.source.strip():  # the runtime's own records of a run (messages delivered...): nothing to do
            return
        self.count += 1
        other = self.other
        if starts:  # a process run starts: run it again
            run, steps = request["run"], request.get("max_steps", 10)
            if not isinstance(run, str) or not PATH_RE.fullmatch(run) or type(steps) is not int:
                raise HistoryError(f"the recorded process run {request!r} is damaged; it cannot be run again")
            self.processes.append(run)
            other.run(f"{run}.run(max_steps={steps})", actor=by if isinstance(by, str) else "human")
        elif actor.startswith("llm:") and isinstance(request.get("text"), str):  # written by ask
            other.ask(request["text"])
        else:
            other.run(entry.source, actor=actor, request=entry.request, params=entry.params)

    def _redone(self, actor: str) -> bool:
        """Whether `actor` is a process whose run (or a run above it) is being redone."""
        owner = actor[len("process:") :] if actor.startswith("process:") else None
        return owner is not None and any(owner == p or owner.startswith(p + ".") for p in self.processes)

    @staticmethod
    def _persons(mail: list[tuple[str, Any]]) -> str | None:
        """What a person did in this program, if it answered a query or decided a proposal (else None)."""
        for action, args in mail:
            if not isinstance(args, dict):
                continue
            if action == "reply" and is_person(str(args.get("sender"))):
                return f"{args.get('sender')} replied to {args.get('to')}"
            if action == "decide":
                return f"{args.get('by')} {args.get('status')} {args.get('id')}"
            if action == "proposal_error":
                return f"an approval of {args.get('id')} failed"
        return None

    def _propose_again(self, entry: LogEntry, proposal: Any) -> None:
        """A proposal recorded outside a run being redone: its program is proposed again, as its proposer, so it
        waits for a person on the new branch too (never applied without one)."""
        program, proposer = proposal.get("program"), proposal.get("proposer")
        self_path = proposal.get("self_path")
        if not isinstance(program, str) or not isinstance(proposer, str) or not isinstance(self_path, str | None):
            raise HistoryError(f"the recorded proposal {proposal!r:.200} is damaged; it cannot be proposed again")
        try:
            with asking_approval(("**",)):
                self.other.run(program, actor=proposer, self_path=self_path)
        except NeedsApproval as exc:
            self.proposed.append((entry.program_id, entry.version, str(exc.proposal.get("id"))))


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
