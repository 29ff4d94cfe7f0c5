"""Agents at work, offline: a librarian (a scripted model), a catalog and a reader (two Python functions) and a
person (the librarian's checker) exchange queries and replies. The person answers with `scint reply` and approves
the librarian's write to the shelf with `scint approve`; then the whole run replays from the store, calling nobody.

Run: python examples/agents/demo.py [STORE_URL]
(default: a new LMDB store in a temporary folder; look at it afterwards with `scint --store URL log`, `... inbox
--all`, `... proposals --status all`, `... show`)
"""

import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import scint
from scint.llm import MockProvider

STORE = sys.argv[1] if len(sys.argv) > 1 else f"lmdb:///{tempfile.mkdtemp(prefix='scint-demo-')}"
WHERE = {"a survey of event sourcing": "arXiv:2101.00001", "a paper on capability security": "arXiv:1702.00002"}
calls = []  # every call of a backend function


def catalog(message, view):
    """python:catalog answers "where can I read X; Y?" from its table (it has nothing to do for its goal)."""
    calls.append(("catalog", message["kind"]))
    if message["kind"] == "query":
        return "; ".join(f"{title}: {WHERE.get(title, 'not found')}" for title in message["content"].split("; "))
    return None


def reader(message, view):
    """python:reader asks the librarian where to read the wanted papers; the reply is its answer."""
    calls.append(("reader", message["kind"]))
    if message["kind"] == "goal":
        return scint.parse('send(to="desk.librarian", content="where can I read the wanted papers?", kind="query")')
    return f"the librarian says: {message['content']}"


def person(*args):
    """A person at the command line, on the same store (another OS process)."""
    print("$", shlex.join(["scint", *args]))
    done = subprocess.run([sys.executable, "-m", "scint.cli", "--store", STORE, *args], capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr)
    print(done.stdout.rstrip())


def run_agents(s):
    print("-- agents run")
    for report in s.agents.run():  # every process with work, until none has
        print(report)


LIBRARIAN = [  # what the librarian's model answers at each step, scripted: no key, no network
    {"program": 'send(to="desk.catalog", kind="query", content="' + "; ".join(WHERE) + '")'},
    "asked the catalog",
    {"program": 'send(to="desk.librarian.checker", kind="query", content="the catalog has both: may I note them?")'},
    "waiting for my checker",
    {"program": 'shelf.put(key="survey", value="arXiv:2101.00001"); shelf.put(key="caps", value="arXiv:1702.00002")'},
    {"program": 'reply(to="m3", content="both are noted on the shelf")'},  # m3: the reader's query
    "noted both papers",
]

scint.register_backend("catalog", catalog)
scint.register_backend("reader", reader)
with scint.open(STORE) as s:
    if s.version:
        sys.exit(f"{STORE} already holds a history: give the demo a new store")
    s.up(Path(__file__).resolve().with_name("scint.toml"))  # shelf, desk, desk.librarian and its checker (a person)
    s.run('desk.spawn(name="catalog", goal="say where papers are"); desk.spawn(name="reader", goal="find papers")')
    s.run('set_backend(path="desk.catalog", backend="python:catalog")')
    s.run('set_backend(path="desk.reader", backend="python:reader")')
    model = s.models["default"] = MockProvider(LIBRARIAN, model="gpt-5-mini")  # the librarian's model is "default"

    run_agents(s)  # the librarian asks the catalog, answers nobody yet, asks its checker: a person
    person("inbox")
    [query] = s.inbox()
    person("reply", query["id"], "yes, one note per paper")
    run_agents(s)  # the librarian writes to the shelf: `approve = ["shelf.put"]` makes that a proposal
    person("proposals")
    person("approve", s.proposals()[0]["id"])
    run_agents(s)  # the librarian replies to the reader, and the reader has its answer

    print("-- the shelf:", s.view().get("shelf")["data"])
    asked = len(model.history), len(calls)  # model and backend calls so far
    same = s.replay().to_json() == s.view().to_json()  # rebuilt from the events alone
    print(f"model calls: {asked[0]}, backend calls: {asked[1]}")
    print(f"replay equals the live view: {same}, with {len(model.history) - asked[0] + len(calls) - asked[1]} calls")
    print("store:", STORE)
