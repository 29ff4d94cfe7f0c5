"""Every JSON route of the web view (SPEC section 15) through Starlette's TestClient, on LMDB and SQLite: the
answers match the Session's own, pages and steps cover the history exactly, and bad parameters are 4xx answers
with a clear JSON error, never a 500."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

import scint
from tests.ui.conftest import EVIL


def test_branches_match_the_session(client: TestClient, ui_session: scint.Session) -> None:
    data = client.get("/api/branches").json()
    assert data["branch"] == "main"
    assert data["branches"] == ui_session.branches()
    assert {b["name"]: (b["base"], b["at"], b["version"]) for b in data["branches"]} == {
        "main": (None, 0, 6),
        "what-if": ("main", 3, 4),
    }


def test_log_is_newest_first_with_each_programs_events(client: TestClient, ui_session: scint.Session) -> None:
    data = client.get("/api/log").json()
    assert [e["version"] for e in data["entries"]] == [e.version for e in ui_session.log()] == [6, 3, 2]
    newest = data["entries"][0]
    assert newest["actor"] == "human" and "add_task" in newest["source"]
    assert [(e["version"], e["action"]) for e in newest["events"]] == [
        (4, "create_context"),
        (5, "create_context"),
        (6, "add_task"),
    ]
    fork = client.get("/api/log", params={"branch": "what-if"}).json()
    assert [e["version"] for e in fork["entries"]] == [4, 3, 2]  # the inherited prefix included


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_log_pages_cover_the_history_once(client: TestClient, ui_session: scint.Session, limit: int) -> None:
    for i in range(7):  # programs of one to three statements
        ui_session.run("; ".join(f'notes.put(key="k{i}{j}", value={j})' for j in range(i % 3 + 1)))
    want = [e.version for e in ui_session.log()]
    seen: list[int] = []
    before = None
    while True:
        page = client.get("/api/log", params={"limit": limit, **({"before": before} if before else {})}).json()
        assert len(page["entries"]) <= limit
        seen += [e["version"] for e in page["entries"]]
        before = page["older"]
        if before is None:
            break
    assert seen == want
    # `before` inside a program leaves that program out (its version is not below `before`)
    assert [e["version"] for e in client.get("/api/log?before=5").json()["entries"]] == [3, 2]


@pytest.mark.parametrize(
    ("ref", "version", "branch"),
    [(None, 6, "main"), ("3", 3, "main"), ("main", 6, "main"), ("main@2", 2, "main"), ("what-if", 4, "what-if"),
     ("what-if@3", 3, "what-if"), ("0", 0, "main")],
)
def test_state_at_refs(
    client: TestClient, ui_session: scint.Session, ref: str | None, version: int, branch: str
) -> None:
    data = client.get("/api/state", params={"ref": ref} if ref else {}).json()
    assert (data["branch"], data["version"]) == (branch, version)
    view = scint.open(ui_session.url, branch=branch)
    try:
        want = view.view(at=version)
        assert data["contexts"] == {p: {"type": want.type_of(p), "state": want.get(p)} for p in want.paths()}
    finally:
        view.close()


def test_stepping_program_by_program_visits_every_boundary(client: TestClient, ui_session: scint.Session) -> None:
    boundaries = sorted([0, *(e.version for e in ui_session.log())])
    ref, seen = "0", [0]
    while True:
        data = client.get("/api/state", params={"ref": ref}).json()
        if data["next"] is None:
            break
        seen.append(data["next"])
        back = client.get("/api/state", params={"ref": str(data["next"])}).json()
        assert back["prev"] == data["version"]
        ref = str(data["next"])
    assert seen == boundaries


def test_a_version_inside_a_program_is_a_4xx_naming_its_versions(client: TestClient) -> None:
    for url in ("/api/state?ref=1", "/api/state?ref=main@5", "/api/diff?a=main@4&b=main"):
        r = client.get(url)
        assert r.status_code == 400, url
        assert "inside the program that made versions" in r.json()["error"]


def test_diff_of_two_refs(client: TestClient, ui_session: scint.Session) -> None:
    data = client.get("/api/diff", params={"a": "main@3", "b": "what-if"}).json()
    assert data == ui_session.diff("main@3", "what-if").as_dict()
    assert data["changed"]["notes"]["data"]  # eggs was added on what-if
    assert client.get("/api/diff", params={"a": "2", "b": "main"}).json()["added"] == {
        "research": "Thread",
        "research.lit": "Process",
        "research.lit.t1": "Task",
    }


def test_processes_and_one_process(client: TestClient) -> None:
    rows = client.get("/api/processes").json()["processes"]
    assert [(p["path"], p["status"], p["goal"]) for p in rows] == [("research.lit", "idle", EVIL)]
    assert rows[0]["tasks"] == [{"path": "research.lit.t1", "title": EVIL, "status": "todo"}]
    one = client.get("/api/processes/research.lit").json()
    assert one["transcript"] == [] and one["transcript_total"] == 0 and one["state"]["goal"] == EVIL
    r = client.get("/api/processes/notes")
    assert r.status_code == 404 and "no process `notes`" in r.json()["error"]


def test_no_proposals_yet(client: TestClient) -> None:
    assert client.get("/api/proposals").json() == {"available": True, "status": "pending", "proposals": []}
    client.get("/")  # a page sets the CSRF cookie
    csrf = client.app.state.ui.csrf  # type: ignore[attr-defined]
    r = client.post("/api/proposals/p1/approve", headers={"X-Scint-CSRF": csrf})
    assert r.status_code == 400 and "no proposal 'p1'" in r.json()["error"]



def test_real_proposals_are_decided_from_the_api(client: TestClient, ui_session: scint.Session) -> None:
    ui_session.run('create_context("box"); create_context("w", type="Process", approve=["box.put"], can=["box.*"])')
    for value in (1, 2):
        with pytest.raises(scint.NeedsApproval):
            ui_session.run(f'box.put(key="k", value={value})', actor="process:w")
    listed = client.get("/api/proposals").json()["proposals"]
    assert [(p["id"], p["proposer"], p["status"]) for p in listed] == [
        ("p1", "process:w", "pending"),
        ("p2", "process:w", "pending"),
    ]
    client.get("/")
    csrf = client.app.state.ui.csrf  # type: ignore[attr-defined]
    r = client.post("/api/proposals/p1/approve", headers={"X-Scint-CSRF": csrf})
    assert r.status_code == 200 and r.json()["result"]["status"] == "approved"
    r = client.post("/api/proposals/p2/reject", headers={"X-Scint-CSRF": csrf}, json={"reason": "once is enough"})
    assert r.status_code == 200 and r.json()["result"]["reason"] == "once is enough"
    assert ui_session.view().get("box")["data"] == {"k": 1}
    assert "once is enough" in ui_session.inbox("w")[-1]["content"]

BAD = [
    ("/api/state", {"ref": "x@"}),
    ("/api/state", {"ref": "@5"}),
    ("/api/state", {"ref": "main@-1"}),
    ("/api/state", {"ref": "main@99999"}),
    ("/api/state", {"ref": "nobranch"}),
    ("/api/state", {"ref": "main@²"}),
    ("/api/state", {"ref": "a" * 400}),
    ("/api/log", {"limit": "0"}),
    ("/api/log", {"limit": "abc"}),
    ("/api/log", {"limit": "100000"}),
    ("/api/log", {"before": "-1"}),
    ("/api/log", {"before": "0"}),
    ("/api/log", {"branch": "nope"}),
    ("/api/log", {"branch": "bad name!"}),
    ("/api/diff", {"a": "main"}),
    ("/api/diff", {"a": "main", "b": "nope"}),
    ("/api/processes/nope", {}),
    ("/api/nowhere", {}),
]


@pytest.mark.parametrize(("url", "params"), BAD, ids=[f"{u}-{p}"[:60] for u, p in BAD])
def test_bad_parameters_are_4xx_with_a_clear_error(client: TestClient, url: str, params: dict[str, str]) -> None:
    r = client.get(url, params=params)
    assert 400 <= r.status_code < 500, r.text
    error = r.json()["error"]
    assert isinstance(error, str) and 10 < len(error) < 500


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    route=st.sampled_from(["/api/state", "/api/log", "/api/diff", "/state", "/log", "/diff", "/api/proposals"]),
    key=st.sampled_from(["ref", "branch", "limit", "before", "a", "b", "status"]),
    value=st.text(max_size=40),
)
def test_no_parameter_makes_a_500(client: TestClient, route: str, key: str, value: str) -> None:
    r = client.get(route, params={key: value, "a": "main"} if key == "b" else {key: value})
    assert r.status_code < 500, r.text
    if r.status_code >= 400 and route.startswith("/api/"):
        assert r.json()["error"]


def test_another_process_write_changes_the_version_stamp(client: TestClient, ui_session: scint.Session) -> None:
    before = client.get("/api/version").json()
    code = f"import scint\nwith scint.open({ui_session.url!r}) as s: s.run('notes.put(key=\"x\", value=1)')"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    after = client.get("/api/version").json()
    assert after["versions"]["main"] == before["versions"]["main"] + 1 and after["stamp"] != before["stamp"]
    assert client.get("/api/log?limit=1").json()["entries"][0]["source"] == 'notes.put(key="x", value=1)'
