"""A process's prompt, of bounded size however long its run (SPEC 14).

The prompt is: the instructions (and the process's declared `system` text and capabilities), the budgeted view
of its subtree, its goal, the latest summary of its older transcript, and its last transcript entries (the
window). Everything in it is read from the recorded transcript, so replay and views build the same prompt and
never call a model.

When the entries after the latest summary outgrow the window (`WINDOW_MAX` entries, or `WINDOW_CHARS` of prompt
text), `prepare` asks the process's model (or the provider set as `session.models["summaries"]`), before the
step's own call, for a new summary of the older ones: the
previous summary and the entries it does not cover yet, so a summary of summaries stays within `SUMMARY_CHARS`.
It is recorded as a transcript entry `{"summary": text, "covers": [first, last]}` (transcript indices, the range
it stands for); raw entries are never deleted. A summary call that fails is tried again (`SUMMARY_ATTEMPTS`, within
the run's limits); if it keeps failing, the failure is recorded (`summary_failed`), the step goes on with the
newest `WINDOW_ITEMS` entries (and a note saying older ones are left out), and a summary is tried again
`SUMMARY_BACKOFF` entries later. `prepare` also records a nudge (`{"nudge": text}`) when the last two steps
failed or the last three ran the same program; the prompt shows it like any entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import attrs

from scint.errors import LLMError
from scint.llm import control
from scint.llm.docs import PROCESS_INSTRUCTIONS, describe_state
from scint.llm.loop import MAY_FAIL, PROVIDER, assistant_message, tool_message
from scint.llm.provider import Message, Provider, Reply, ToolCall

if TYPE_CHECKING:
    from scint.llm.host import Host

__all__ = ["NUDGE_FAILED", "NUDGE_REPEATED", "WINDOW_ITEMS", "WINDOW_MAX", "messages", "nudge_for", "prepare"]

WINDOW_ITEMS = 12  # entries a summary leaves after it (the newest), and a failed summary's clipped window
WINDOW_MAX = 24  # entries after the latest summary before a new one is written
WINDOW_CHARS = 48_000  # prompt characters of those entries before a new one is written
ITEM_CHARS = 6_000  # characters of one text, program or output shown in a prompt
CALLS_SHOWN = 8  # tool calls of one step shown in a prompt (with their outputs)
SYSTEM_CHARS = 8_000  # of the declared system text shown, and of the goal
SUMMARY_CHARS = 6_000  # of one summary kept
SUMMARY_ITEMS = 60  # entries one summary request covers (a longer backlog takes several steps' summaries)
SUMMARY_INPUT_CHARS = 60_000  # of the entries a summary request shows
SUMMARY_ATTEMPTS = 2  # model calls per summary before the failure is recorded
SUMMARY_BACKOFF = 4  # entries after a recorded failure before a summary is tried again
SUMMARIES = "summaries"  # session.models[SUMMARIES], when set, writes every process's summaries
_META = ("summary", "summary_failed")  # entries about the transcript, not items of it

NUDGE_FAILED = (
    "Your last two steps failed. Read the errors above, and change the approach rather than the spelling: check "
    'the names with contexts() or help("Type.action"), make the program smaller, or answer if you cannot go on.'
)
NUDGE_REPEATED = (
    "You have run the same program three times in a row; running it again will not change its result. Use what "
    "it returned: take the next step towards your goal, or answer."
)

SUMMARY_INSTRUCTIONS = """\
You keep the working memory of the process `{path}`, an agent working towards a goal. Write a summary of its \
work so far from the summary you are given (if any) and the transcript entries that follow it: what it did, what \
it found (keep names, paths, ids such as t3, m2 or h4, and numbers exactly), what failed, and what is left to \
do. Write plain text, at most {chars:,} characters. Do not call tools."""

Record = Callable[..., None]


# -- the prompt ---------------------------------------------------------------------------------------------------


def messages(session: Host, path: str, state: dict[str, Any]) -> list[Message]:
    """The prompt of the process at `path` for its next step, from its state (`session.view(path).get(path)`)."""
    system = PROCESS_INSTRUCTIONS.format(path=path)
    if state.get("system"):
        system += "\n\n" + _clip(str(state["system"]), SYSTEM_CHARS)
    if state.get("can") is not None:
        system += "\n\nYour capabilities: " + _clip(", ".join(map(str, state["can"])), 2_000)
    out: list[Message] = [
        {"role": "system", "content": system + "\n\n" + describe_state(session, path)},
        {"role": "user", "content": f"Your goal: {_clip(str(state.get('goal') or '(none given)'), SYSTEM_CHARS)}"},
    ]
    transcript = state.get("transcript", [])
    summary = latest_summary(transcript)
    if summary is not None:
        first, last = summary["covers"]
        out.append(
            {
                "role": "user",
                "content": f"A summary of your earlier work (transcript entries {first + 1} to {last + 1}; they stay "
                f"recorded):\n{summary['summary']}",
            }
        )
    items = pending(transcript)
    if len(items) > WINDOW_MAX or _chars(items) > WINDOW_CHARS:  # no summary covers them yet (it failed, or
        kept = window(items)  # the backlog takes several)
        left = len(items) - len(kept)
        note = f"({left} older transcript entries are left out here, not yet summarised; they stay recorded.)"
        out.append({"role": "user", "content": note})
        items = kept
    for _, entry in items:
        out.extend(_entry_messages(entry))
    if out[-1]["role"] == "assistant" and "tool_calls" not in out[-1]:
        out.append({"role": "user", "content": "You are run again: continue towards the goal, or answer."})
    elif out[-1]["role"] == "tool" and state.get("status") == "stopped":
        out.append({"role": "user", "content": "You were stopped and are run again: continue."})
    return out


def _entry_messages(entry: dict[str, Any]) -> list[Message]:
    out: list[Message] = []
    if "calls" in entry:
        calls = [_shown(ToolCall(**c)) for c in entry["calls"][:CALLS_SHOWN]]
        tool_calls = [c.as_dict() for c in calls]
        out.append({"role": "assistant", "content": _clip(entry.get("text")), "tool_calls": tool_calls})
        out += [tool_message(c, _clip(o) or "") for c, o in zip(calls, entry.get("outputs", []), strict=False)]
        if len(entry["calls"]) > CALLS_SHOWN:
            more = len(entry["calls"]) - CALLS_SHOWN
            out.append({"role": "user", "content": f"({more} more tool calls of that step are not shown here.)"})
    elif "messages" in entry:
        out.append({"role": "user", "content": _clip(delivered(entry["messages"]), 3 * ITEM_CHARS)})
    elif "nudge" in entry:
        out.append({"role": "user", "content": f"Note: {entry['nudge']}"})
    else:
        if entry.get("text"):
            out.append(assistant_message(Reply(text=_clip(entry["text"]))))
        if "unreadable" in entry:
            problem = f"Your last reply could not be read: {_clip(entry['unreadable'])}."
            out.append({"role": "user", "content": problem + " Call the `scint` tool, or answer in words."})
        elif "error" in entry:
            failed = f"Your last run failed: {_clip(entry['error'])}\nYou are run again: continue."
            out.append({"role": "user", "content": failed})
    return out


def _shown(call: ToolCall) -> ToolCall:
    """A recorded call as a prompt shows it: its program cut to ITEM_CHARS (the call's shape kept)."""
    if len(call.input) <= ITEM_CHARS:
        return call
    if call.kind == "function" and call.program is not None:
        return attrs.evolve(call, input=json.dumps({"program": _clip(call.program)}))
    return attrs.evolve(call, input=_clip(call.input))


def delivered(messages: list[dict[str, Any]]) -> str:
    """Messages delivered to a process, as its model reads them."""
    lines = ["Messages for you (answer a query with reply(to=ID, content=...); a `stop` asks you to finish):"]
    for m in messages:
        about = f" (answering {m['reply_to']})" if m.get("reply_to") else ""
        lines.append(f"[{m['id']}] {m['kind']} from {m['from']}{about}: {m['content']}")
    return "\n".join(lines)


# -- the window and its summary -----------------------------------------------------------------------------------


def latest_summary(transcript: list[dict[str, Any]]) -> dict[str, Any] | None:
    for entry in reversed(transcript):
        if "summary" in entry:
            return entry
    return None


def pending(transcript: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """The entries no summary covers yet, with their indices."""
    summary = latest_summary(transcript)
    start = summary["covers"][1] + 1 if summary is not None else 0
    return [(i, e) for i, e in enumerate(transcript[start:], start) if not any(k in e for k in _META)]


def window(items: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, dict[str, Any]]]:
    """The newest entries a prompt shows whole: at most WINDOW_ITEMS, within half of WINDOW_CHARS (at least 1)."""
    kept = items[-WINDOW_ITEMS:]
    while len(kept) > 1 and _chars(kept) > WINDOW_CHARS // 2:
        kept = kept[1:]
    return kept


def _chars(items: list[tuple[int, dict[str, Any]]]) -> int:
    return sum(len(_entry_text(e, ITEM_CHARS)) for _, e in items)


def _entry_text(entry: dict[str, Any], limit: int) -> str:
    """An entry as the summary request shows it (and as its size is counted)."""
    parts = []
    for m in _entry_messages(entry):
        role = m["role"]
        if role == "assistant" and m.get("tool_calls"):
            programs = [ToolCall(**c).program or ToolCall(**c).input for c in m["tool_calls"]]
            parts += [f"assistant: {m.get('content') or ''}".rstrip(), *(f"program: {p}" for p in programs)]
        else:
            parts.append(f"{role}: {m.get('content') or ''}")
    return _clip("\n".join(parts), limit) or ""


def _due(transcript: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]] | None:
    """The entries a new summary should cover now, or None."""
    items = pending(transcript)
    if len(items) <= WINDOW_MAX and _chars(items) <= WINDOW_CHARS:
        return None
    for i in range(len(transcript) - 1, -1, -1):  # a failed attempt waits SUMMARY_BACKOFF entries
        if "summary" in transcript[i]:
            break
        if "summary_failed" in transcript[i]:
            if len(transcript) - 1 - i < SUMMARY_BACKOFF:
                return None
            break
    kept = window(items)
    return items[: min(len(items) - len(kept), SUMMARY_ITEMS)] or None


def _summary_request(path: str, state: dict[str, Any], older: list[tuple[int, dict[str, Any]]]) -> list[Message]:
    summary = latest_summary(state.get("transcript", []))
    parts = [f"The goal: {_clip(str(state.get('goal') or '(none given)'), ITEM_CHARS)}"]
    if summary is not None:
        parts.append(f"The summary so far (entries {summary['covers'][0] + 1} to {summary['covers'][1] + 1}):")
        parts.append(summary["summary"])
    parts.append(f"The transcript entries {older[0][0] + 1} to {older[-1][0] + 1}:")
    budget = SUMMARY_INPUT_CHARS // max(len(older), 1)
    parts += [f"[{i + 1}] {_entry_text(e, max(budget, 200))}" for i, e in older]
    return [
        {"role": "system", "content": SUMMARY_INSTRUCTIONS.format(path=path, chars=SUMMARY_CHARS)},
        {"role": "user", "content": _clip("\n".join(parts), SUMMARY_INPUT_CHARS + 2 * SUMMARY_CHARS)},
    ]


def prepare(
    session: Host, path: str, state: dict[str, Any], provider: Provider, limits: Any, record: Record
) -> Generator[tuple[Any, ...], Reply, dict[str, Any]]:
    """Before a step's model call: record a nudge if one is due and, if the transcript outgrew its window, a
    summary written by `provider`, or by `session.models["summaries"]` when one is set (a conversation step of
    its own: it yields the summary request). Returns the
    process's state as the step's prompt should read it. `limits` is the run's RunLimits: a summary spends its
    tokens, and is not tried once they are spent."""
    transcript = state.get("transcript", [])
    changed = False
    nudge = nudge_for(transcript)
    if nudge is not None:
        record(entry={"nudge": nudge})
        changed = True
    older = _due(transcript)
    if older is not None:
        models = getattr(session, "models", None)
        summariser = models[SUMMARIES] if models is not None and SUMMARIES in models else None
        yield from _summarise(path, state, older, provider, summariser, limits, record)
        changed = True
    return session.view(path=path).get(path) if changed else state


def _summarise(
    path: str,
    state: dict[str, Any],
    older: list[tuple[int, dict[str, Any]]],
    provider: Provider,
    summariser: Provider | None,
    limits: Any,
    record: Record,
) -> Generator[tuple[Any, ...], Reply, None]:
    summary = latest_summary(state.get("transcript", []))
    covers = [summary["covers"][0] if summary is not None else older[0][0], older[-1][0]]
    request = _summary_request(path, state, older)
    options: dict[str, Any] = {MAY_FAIL: True}
    if summariser is not None:
        options[PROVIDER] = provider = summariser
    started, tokens, problem = control.clock(), 0, "the run's limits left no model call for it"
    for _ in range(SUMMARY_ATTEMPTS):
        if limits.exhausted() is not None:
            break
        try:
            reply: Reply = yield request, [], options
        except LLMError as exc:  # the service failed, or its reply could not be read: try again
            problem = str(exc)
            continue
        tokens += reply.usage.total
        limits.tokens += reply.usage.total
        text = (reply.text or "").strip()
        if not text or reply.tool_calls:
            problem = "the reply held no summary (no text, or a tool call)"
            continue
        entry = {"summary": _clip(text, SUMMARY_CHARS), "covers": covers, "model": reply.model or provider.model}
        record(entry={**entry, "tokens": tokens}, used=_spent(started, tokens))
        return
    record(entry={"summary_failed": _clip(problem), "covers": covers}, used=_spent(started, tokens))


def _spent(started: float, tokens: int) -> dict[str, Any]:
    """What a summary spent: no step, its tokens and seconds (counted against the process's budget)."""
    return {"steps": 0, "tokens": tokens, "seconds": round(max(control.clock() - started, 0.0), 3)}


# -- nudges -------------------------------------------------------------------------------------------------------


def nudge_for(transcript: list[dict[str, Any]]) -> str | None:
    """The nudge the next prompt should carry, or None: the last two model steps failed, or the last three ran
    the same program (counting from the latest nudge, so each happening is told once)."""
    steps: list[dict[str, Any]] = []
    for entry in reversed(transcript):
        if "nudge" in entry or len(steps) == 3:
            break
        if "calls" in entry or "unreadable" in entry:
            steps.append(entry)
    if len(steps) >= 2 and _failed(steps[0]) and _failed(steps[1]):
        return NUDGE_FAILED
    if (
        len(steps) == 3
        and _program(steps[0]) is not None
        and _program(steps[0]) == _program(steps[1]) == (_program(steps[2]))
    ):
        return NUDGE_REPEATED
    return None


def _failed(entry: dict[str, Any]) -> bool:
    outputs = entry.get("outputs") or []
    return "unreadable" in entry or (bool(outputs) and all(str(o).startswith("error:") for o in outputs))


def _program(entry: dict[str, Any]) -> str | None:
    calls = entry.get("calls")
    if not calls:
        return None
    return json.dumps([ToolCall(**c).program or ToolCall(**c).input for c in calls])


def _clip(text: str | None, limit: int = ITEM_CHARS) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 40] + f"... ({len(text):,} characters in all)"
