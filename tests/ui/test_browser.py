"""End to end in headless Chromium (Debian's `chromium`, driven by Playwright): load the pages, click through
the log and a diff, step through states, and see another process's program appear live, with no console
errors. Screenshots go to $SCINT_UI_ARTIFACTS (default: the test's tmp dir)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

import scint
from scint.session.browse import sibling
from scint.ui.server import start

CHROMIUM = "/usr/bin/chromium"  # scripts/test.sh installs it with apt-get


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    out = Path(os.environ.get("SCINT_UI_ARTIFACTS") or tmp_path / "artifacts")
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture
def browser_page(artifacts: Path) -> Iterator[tuple[Page, list[str]]]:
    assert Path(CHROMIUM).exists(), "chromium is missing: scripts/test.sh installs it (apt-get install chromium)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        try:
            yield page, problems
        finally:
            browser.close()


@pytest.mark.parametrize("ui_url", ["lmdb"], indirect=True)
def test_click_through_and_see_another_writer_live(
    ui_session: scint.Session, browser_page: tuple[Page, list[str]], artifacts: Path
) -> None:
    page, problems = browser_page
    running = start(sibling(ui_session))
    try:
        page.goto(running.url)
        expect(page.locator("svg.branches")).to_be_visible()
        expect(page.locator("svg.branches text.name")).to_have_text(["main", "what-if"])
        page.screenshot(path=str(artifacts / "1-branches.png"), full_page=True)

        page.click("header nav >> text=Log")
        expect(page.locator("tr.entry")).to_have_count(3)
        expect(page.locator("tr.entry pre.program").first).to_contain_text("research.lit.add_task")
        expect(page.locator("tr.entry pre.program").nth(1)).to_contain_text("<script>alert(1)</script>")
        page.locator("tr.entry details summary").first.click()
        expect(page.locator("tr.entry ul.events").first).to_contain_text("research.lit.add_task")
        page.screenshot(path=str(artifacts / "2-log.png"), full_page=True)

        page.locator("a.difflink").first.click()
        expect(page.locator("main h1")).to_have_text("Diff")
        expect(page.locator("main")).to_contain_text("research.lit.t1")
        page.screenshot(path=str(artifacts / "3-diff.png"), full_page=True)

        page.goto(running.url + "state?ref=main@3")
        page.click("a.next")
        expect(page.locator("p.steps")).to_contain_text("main@6")
        page.click("a.prev")
        expect(page.locator("p.steps")).to_contain_text("main@3")
        page.screenshot(path=str(artifacts / "4-state.png"), full_page=True)

        page.goto(running.url + "log")
        expect(page.locator("tr.entry")).to_have_count(3)
        program = 'notes.put(key="from another process", value=42)'
        code = f"import scint\nwith scint.open({ui_session.url!r}) as s: s.run({program!r}, actor='human:bob')"
        subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
        expect(page.locator("tr.entry")).to_have_count(4, timeout=20_000)  # the page updates by itself
        expect(page.locator("tr.entry pre.program").first).to_have_text(program)
        expect(page.locator("tr.entry").first).to_contain_text("human:bob")
        page.screenshot(path=str(artifacts / "5-live.png"), full_page=True)

        page.goto(running.url + "processes/research.lit")
        expect(page.locator("main")).to_contain_text("<script>alert(1)</script>")  # shown as text, not run
        page.screenshot(path=str(artifacts / "6-process.png"), full_page=True)
    finally:
        running.stop()
    assert problems == []


@pytest.mark.parametrize("ui_url", ["lmdb"], indirect=True)
def test_approve_a_proposal_in_the_browser(
    ui_session: scint.Session, browser_page: tuple[Page, list[str]], artifacts: Path
) -> None:
    """A process whose `approve` globs match proposes instead of changing; a person approves it on the page."""
    page, problems = browser_page
    ui_session.run('research.lit.configure(settings={"can": ["self.**", "notes.*"], "approve": ["notes.put"]})')
    with pytest.raises(scint.NeedsApproval):
        ui_session.run('notes.put(key="proposed", value=1)', actor="process:research.lit")
    assert "proposed" not in ui_session.view("notes").get("notes")["data"]
    running = start(sibling(ui_session))
    try:
        page.goto(running.url + "proposals")
        expect(page.locator("table.proposals tbody tr")).to_have_count(1)
        expect(page.locator("table.proposals")).to_contain_text('notes.put(key="proposed", value=1)')
        page.screenshot(path=str(artifacts / "7-proposal.png"), full_page=True)
        page.click("table.proposals >> text=approve")
        page.goto(running.url + "proposals")
        expect(page.locator("main")).to_contain_text("There are no pending proposals")
        page.screenshot(path=str(artifacts / "8-approved.png"), full_page=True)
    finally:
        running.stop()
    assert problems == []
    with scint.open(ui_session.url) as fresh:
        assert fresh.view("notes").get("notes")["data"]["proposed"] == 1
        assert fresh.proposals(status="pending") == []
