"""The server itself: started in a thread on a free port (as %scint_ui does), `scint ui`'s checks, the magic."""

from __future__ import annotations

import json
import urllib.request

import pytest
from typer.testing import CliRunner

import scint
from scint.errors import ScintError
from scint.session.browse import sibling
from scint.ui.server import check_bind, start


def test_start_serves_on_a_free_loopback_port(ui_session: scint.Session) -> None:
    running = start(sibling(ui_session))
    try:
        assert running.url.startswith("http://127.0.0.1:") and not running.url.endswith(":0/")
        with urllib.request.urlopen(running.url + "api/branches", timeout=30) as r:
            assert {b["name"] for b in json.load(r)["branches"]} == {"main", "what-if"}
    finally:
        running.stop()
    assert not running.thread.is_alive()


@pytest.mark.parametrize(
    ("host", "port", "token", "message"),
    [
        ("0.0.0.0", 8765, None, "--token"),
        ("192.168.1.5", 8765, None, "--token"),
        ("127.0.0.1", 70000, None, "--port"),
        ("127.0.0.1", -1, None, "--port"),
        ("127.0.0.1", True, None, "--port"),
        ("127.0.0.1", 8765, "short", "at least 8"),
        ("", 8765, None, "--host"),
    ],
)
def test_bind_checks(host: str, port: int, token: str | None, message: str) -> None:
    with pytest.raises(ScintError, match=message):
        check_bind(host, port, token)


def test_a_busy_port_is_a_clear_error(ui_session: scint.Session) -> None:
    running = start(sibling(ui_session))
    try:
        port = int(running.url.rsplit(":", 1)[1].strip("/"))
        with pytest.raises(ScintError, match=f"cannot listen on 127.0.0.1:{port}"):
            start(sibling(ui_session), port=port)
    finally:
        running.stop()


def test_the_cli_refuses_another_host_without_a_token(ui_url: str) -> None:
    from scint.cli.app import app

    result = CliRunner().invoke(app, ["ui", "--store", ui_url, "--host", "0.0.0.0"])
    assert result.exit_code == 1 and "--token" in str(result.exception or result.output)


def test_the_magic_prints_a_working_link(ui_url: str, ui_session: scint.Session) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "scint")
    shell.run_line_magic("config", f'ScintMagics.store = "{ui_url}"')
    shell.run_line_magic("config", 'ScintMagics.branch = ""')
    magics = shell.magics_manager.registry["ScintMagics"]
    try:
        shown = shell.run_line_magic("scint_ui", "--read-only")
        url = str(shown).removeprefix("scint ui: ")
        assert url.startswith("http://127.0.0.1:") and f"href='{url}'" in shown._repr_html_()
        assert shell.run_line_magic("scint_ui", "") is not None and magics._ui.url == url  # one server
        with urllib.request.urlopen(url + "api/version", timeout=30) as r:
            assert json.load(r)["versions"]["main"] == 6
    finally:
        magics.close()
        shell.run_line_magic("unload_ext", "scint")
