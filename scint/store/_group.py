"""Group commit: the writes of concurrent callers in one process share one LMDB write transaction.

A durable LMDB commit costs two write barriers whatever it holds, so callers that write at the same time share
one: each caller `submit`s a body (a function of a write transaction) and `wait`s for it. The first waiter finding
no commit under way becomes the leader: it takes every body queued so far, runs each in a nested transaction of
one write transaction (a body that raises has its own part rolled back and the others are kept), commits, and
hands each caller its own result or error. Callers that queue meanwhile form the next batch; no timer is needed,
the barriers of one batch are the window in which the next one gathers. A caller is answered only after the
batch holding its body is durable (or failed as a whole, when every caller gets the error).

A ticket may name an earlier ticket it depends on (`after`): a session that runs its next program on top of one
whose commit is still in flight. If the earlier ticket fails, the later one fails with IntegrityError without
running, so nothing is ever recorded on top of a state that was not.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import lmdb
from eventsourcing.persistence import DatabaseError, IntegrityError

if TYPE_CHECKING:
    from scint.store._env import Store


class Ticket:
    """One body waiting for (or done with) its place in a group commit."""

    __slots__ = ("after", "alone", "body", "committed", "done", "error", "priority", "result", "txnid")

    def __init__(self, body: Callable[[Any], Any], after: Ticket | None, priority: int = 0) -> None:
        self.body = body
        self.after = after
        self.priority = priority
        self.done = False
        self.committed = False  # committed, its durability not yet known (waiting for the meta page's sync)
        self.result: Any = None
        self.error: BaseException | None = None
        self.txnid = 0  # the LMDB transaction that committed it
        self.alone = False  # whether it was all that transaction held

    @property
    def failed(self) -> bool:
        return self.done and self.error is not None


class _Culprit(Exception):
    """Internal: an LMDB error inside one body; the batch is retried without it."""

    def __init__(self, ticket: Ticket, error: lmdb.Error) -> None:
        super().__init__(str(error))
        self.ticket = ticket
        self.error = error


class GroupCommit:
    """The queue of one store's writers and the leader protocol (see the module's docstring)."""

    def __init__(self, store: Store, translate: Callable[[lmdb.Error], Exception]) -> None:
        self._store = store
        self._translate = translate
        self._cond = threading.Condition(threading.Lock())
        self._queue: list[Ticket] = []
        self._leading = False

    def submit(self, body: Callable[[Any], Any], after: Ticket | None = None, priority: int = 0) -> Ticket:
        """Queue `body` for the next batch; `wait` must follow (on this thread or another). Within a batch, bodies
        that depend on none run first by `priority` (a program's retries: when two write the same version, the
        one that has waited longest wins), the rest in the order they came."""
        after = after if after is not None and not (after.done and after.error is None) else None
        ticket = Ticket(body, after, priority)
        with self._cond:
            self._queue.append(ticket)
        return ticket

    def wait(self, ticket: Ticket) -> Any:
        """Block until `ticket`'s batch is durable (leading a batch if no one is); its result, or raise its error."""
        cond = self._cond
        while not ticket.done:
            with cond:
                while (self._leading or ticket.committed) and not ticket.done:
                    cond.wait()
                if ticket.done:
                    break
                self._leading = True
                batch, self._queue = self._queue, []
            if len(batch) > 1:  # a body that depends on another keeps its place after it
                batch.sort(key=_order)
            committed: list[Ticket] = []
            try:
                committed = self._lead(batch)
            finally:
                with cond:  # the next batch may start now, while this one's meta page is synced
                    self._leading = False
                    cond.notify_all()
            if committed:
                self._sync(committed)
        if ticket.error is not None:
            raise ticket.error
        return ticket.result

    def _sync(self, committed: list[Ticket]) -> None:
        """The second barrier, outside the writer lock: make the batch's meta page durable, then answer."""
        store = self._store
        error: BaseException | None = None
        try:
            store.sync()
        except lmdb.Error as e:
            error = e
        except BaseException as e:
            error = e
            raise
        finally:
            for ticket in committed:
                if error is not None:
                    ticket.result, ticket.error = None, _not_durable(error, self._translate)
                ticket.done = True
            with self._cond:
                self._cond.notify_all()

    def _lead(self, batch: list[Ticket]) -> list[Ticket]:
        """Commit the batch; the tickets committed that still wait for the meta page's sync (none if the store
        syncs it in the commit itself)."""
        store = self._store
        try:
            while batch:
                try:
                    outcomes, txnid = self._commit(batch)
                except lmdb.MapFullError:
                    store._resize(grow=True)
                    continue
                except lmdb.MapResizedError:
                    store._resize(grow=False)
                    continue
                except _Culprit as c:  # that body's error may have spoilt the transaction: retry without it
                    _finish(c.ticket, None, self._translate(c.error), 0)
                    batch = [t for t in batch if t is not c.ticket]
                    continue
                waiting = []
                for ticket, (result, error) in zip(batch, outcomes, strict=True):
                    ticket.alone = len(batch) == 1
                    if error is None and store.sync_after:
                        ticket.result, ticket.txnid, ticket.committed = result, txnid, True
                        ticket.body = _spent
                        waiting.append(ticket)
                    else:
                        _finish(ticket, result, error, txnid)
                return waiting
        except lmdb.Error as e:
            for ticket in batch:
                _finish(ticket, None, self._translate(e), 0)
        except BaseException as e:
            for ticket in batch:
                _finish(ticket, None, DatabaseError(f"LMDB: the batch was not committed: {e!r}"), 0)
            raise
        finally:
            for ticket in batch:  # whatever happened, nobody is left waiting
                if not ticket.done and not ticket.committed:
                    _finish(ticket, None, DatabaseError("LMDB: the batch was not committed"), 0)
        return []

    def _commit(self, batch: list[Ticket]) -> tuple[list[tuple[Any, BaseException | None]], int]:
        """Run the batch's bodies in one write transaction and commit it; (result, error) per ticket."""
        store = self._store
        env = store.env
        with store.write_lock:
            store.gate.enter()
            try:
                txn = env.begin(write=True)
                try:
                    if len(batch) == 1 and batch[0].after is None:  # alone: no nested transaction needed
                        outcomes = [_run_alone(batch[0], txn)]
                    else:
                        outcomes = _run_nested(env, txn, batch)
                    if all(error is not None for _, error in outcomes):
                        _abort(txn)  # nothing to record: no barrier either
                        return outcomes, 0
                    txnid = txn.id()
                    txn.commit()
                except BaseException:
                    _abort(txn)
                    raise
                return outcomes, txnid
            finally:
                store.gate.leave()


def _order(ticket: Ticket) -> int:
    return -ticket.priority if ticket.after is None else 0


def _abort(txn: Any) -> None:
    try:
        txn.abort()
    except lmdb.Error:
        pass


def _run_alone(ticket: Ticket, txn: Any) -> tuple[Any, BaseException | None]:
    """The only body of a batch, in the batch's transaction itself (aborted if the body raises)."""
    try:
        return ticket.body(txn), None
    except lmdb.Error:
        raise
    except Exception as e:
        return None, e


def _run_nested(env: Any, txn: Any, batch: list[Ticket]) -> list[tuple[Any, BaseException | None]]:
    outcomes: list[tuple[Any, BaseException | None]] = []
    failed: set[int] = set()
    for ticket in batch:
        after = ticket.after
        if after is not None and (after.failed or id(after) in failed):
            failed.add(id(ticket))
            outcomes.append((None, IntegrityError("an earlier program of this session was not recorded")))
            continue
        child = env.begin(write=True, parent=txn)
        try:
            result = ticket.body(child)
            child.commit()
        except (lmdb.MapFullError, lmdb.MapResizedError):
            child.abort()
            raise
        except lmdb.Error as e:
            child.abort()
            raise _Culprit(ticket, e) from e
        except Exception as e:
            child.abort()
            failed.add(id(ticket))
            outcomes.append((None, e))
            continue
        outcomes.append((result, None))
    return outcomes


def _not_durable(error: BaseException, translate: Callable[[lmdb.Error], Exception]) -> BaseException:
    if isinstance(error, lmdb.Error):
        return translate(error)
    return DatabaseError(f"LMDB: the batch was committed but not made durable: {error!r}")


def _finish(ticket: Ticket, result: Any, error: BaseException | None, txnid: int) -> None:
    ticket.result, ticket.error, ticket.txnid = result, error, txnid
    ticket.done = True
    ticket.body = _spent  # let go of the records


def _spent(txn: Any) -> None:
    raise AssertionError("a ticket's body ran twice")
