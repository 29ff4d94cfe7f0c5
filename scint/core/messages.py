"""The message built-ins (SPEC section 11): `send`, `reply` and `inbox`, run by the interpreter like any call.

The sender is the actor (a process's path, or `human` / `human:<name>` for people). Recipients are process paths
or people. Each message is one event (scint/core/mail.py), so a program that sends and then fails sends nothing.
"""

from __future__ import annotations

from typing import Any

from scint.contexts.base import NAME_RE, did_you_mean
from scint.contexts.builtin import Process
from scint.core.capabilities import check_call
from scint.core.interpreter import Interpreter
from scint.core.mail import Mail, address_of, is_person
from scint.errors import ActionError, BadArguments, LimitExceeded, PermissionDenied, UnknownContext

__all__ = ["MAX_CONTENT", "MAX_LISTED", "MAX_MESSAGES", "MAX_UNREAD", "inbox", "reply", "send"]

MAX_CONTENT = 20_000  # characters of one message
MAX_UNREAD = 1_000  # unread messages one recipient may hold
MAX_MESSAGES = 100_000  # messages on one branch
MAX_LISTED = 500  # messages one `inbox(unread=false)` lists (the newest)
SEND_KINDS = ("query", "read", "stop")


def _may_write(it: Interpreter, name: str) -> None:
    """A message is a change: the actor needs the built-in's capability, and a read-only program may not."""
    check_call(it.caps, it.actor, "", name)
    if it.writes is not None and not it.writes.allows("", name):
        raise PermissionDenied(f"{it.actor} may only read: {name}() records a message")


def _content(content: str) -> str:
    if not content.strip():
        raise BadArguments("a message needs some content")
    if len(content) > MAX_CONTENT:
        raise LimitExceeded(f"a message holds at most {MAX_CONTENT:,} characters; this one has {len(content):,}")
    return content


def _mail(it: Interpreter) -> Mail:
    if len(it.state.mail.messages) >= MAX_MESSAGES:
        raise LimitExceeded(f"a branch holds at most {MAX_MESSAGES:,} messages")
    return it.state.mail


def recipient(it: Interpreter, to: str) -> str:
    """`to` checked: a person (`human`, `human:<name>`) or the path of a process that exists."""
    if is_person(to):
        name = to[len("human:") :]
        if to != "human" and not NAME_RE.fullmatch(name):
            raise BadArguments(f'a person is "human" or "human:<name>" (a plain name), not {to!r:.80}')
        return to
    contexts = it.state.contexts
    if getattr(contexts.get(to), "__scint_type__", None) == "Process":
        return to
    processes = [p for p, c in contexts.items() if c.__scint_type__ == "Process"]
    what = f"it is a {contexts[to].__scint_type__}, not a process" if to in contexts else "there is no such process"
    raise UnknownContext(
        f"cannot send to `{to:.80}`: {what}{did_you_mean(to, [*processes, 'human'])}; a message goes to a process path "
        f"({', '.join(processes[:10]) or 'there are none'}) or to a person: \"human\" or \"human:<name>\""
    )


def send(it: Interpreter, to: str, content: str, kind: str = "read") -> str:
    """Send a message to a process (its path) or a person ("human", "human:<name>"); returns its id (m1, m2...).

    `kind` is "query" (the recipient must answer with reply), "read" (information only) or "stop" (finish
    your work). The recipient's model sees it in its next step."""
    _may_write(it, "send")
    if kind not in SEND_KINDS:
        hint = did_you_mean(kind, SEND_KINDS)
        raise BadArguments(f"kind must be one of {', '.join(SEND_KINDS)}, not {kind!r:.40}{hint}")
    to = recipient(it, to)
    mail = _mail(it)
    if not is_person(to) and mail.unread_count(to) >= MAX_UNREAD:
        raise LimitExceeded(f"the inbox of {to} is full: {MAX_UNREAD:,} unread messages")
    return it.record("", "send", {"to": to, "content": _content(content), "kind": kind, "sender": address_of(it.actor)})


def reply(it: Interpreter, to: str, content: str) -> str:
    """Answer the query `to` (a message id such as "m3" sent to you); the answer goes to its sender as a
    `reply` message. Returns the reply's id. A query is answered once. A person may answer a query sent to a
    process whose backend is "human": the reply goes out from that process."""
    _may_write(it, "reply")
    mail = _mail(it)
    query = mail.message(to)
    me = address_of(it.actor)
    if query is None:
        mine = [m["id"] for m in mail.inbox(me) if m["kind"] == "query"]
        raise ActionError(
            f"there is no message {to!r:.40}{did_you_mean(str(to), mine)}; "
            f"your unanswered queries: {', '.join(mine[:10]) or 'none'}"
        )
    process = None
    if query["to"] != me and not (is_person(me) and is_person(query["to"])):
        if not (is_person(me) and query["to"] in _taken_by_people(it)):
            raise PermissionDenied(f"{to} was sent to {query['to']}, not to {me}: only its recipient may reply to it")
        process = query["to"]  # a person answers for the process whose steps they take: it goes out from it
    if query["kind"] != "query":
        raise ActionError(f"{to} is a `{query['kind']}` message, not a query: there is nothing to reply to")
    if query["answer"] is not None:
        raise ActionError(f"{to} was already answered (by {query['answer']}); a query is answered once")
    args = {"to": to, "content": _content(content), "sender": me}
    if process is not None:
        args["process"] = process
    return it.record("", "reply", args)


def _taken_by_people(it: Interpreter) -> set[str]:
    """The processes whose backend is `human`: a person takes their steps, so their messages are in every person's
    inbox and a person's reply to one of their queries goes out from the process."""
    return {
        p for p, c in it.state.contexts.items() if isinstance(c, Process) and getattr(c, "backend", None) == "human"
    }


def inbox(it: Interpreter, path: str | None = None, unread: bool = True) -> list[dict[str, Any]]:
    """The messages sent to `path` (a process path or "human"; default: your own), oldest first: only the
    unread ones unless `unread` is false (then the newest 500). A person's inbox also holds the messages sent
    to processes whose backend is "human" (a person answers their queries with reply)."""
    me = address_of(it.actor)
    whose = me if path is None else path
    if not is_person(whose):
        recipient(it, whose)
    if it.caps is not None and not is_person(me) and not (whose == me or whose.startswith(me + ".")):
        raise PermissionDenied(f"{it.actor} may read only its own inbox and those of the processes below it")
    found = it.state.mail.inbox(whose, unread, also=_taken_by_people(it) if is_person(whose) else ())
    return found if unread else found[-MAX_LISTED:]
