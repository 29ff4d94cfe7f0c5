"""The IPython extension, in a real InteractiveShell."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("IPython")

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import scint
from scint.llm import MockProvider


@pytest.fixture
def ip() -> Iterator[InteractiveShell]:
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "scint")
    shell.run_line_magic("config", 'ScintMagics.store = "memory://"')
    shell.run_line_magic("config", 'ScintMagics.branch = ""')
    shell.magics_manager.registry["ScintMagics"].bindings.clear()  # the shell is shared with other test files
    yield shell
    magics = shell.magics_manager.registry["ScintMagics"]
    magics.close()
    magics.store = ""
    magics.bindings.clear()
    for name in ("milk", "keys", "m", "mock", "last", "v", "obj", "nested", "big"):
        shell.user_ns.pop(name, None)


def setup(ip: InteractiveShell) -> scint.Result:
    return ip.run_cell_magic("scint", "", 'create_context("notes")\nnotes.put(key="milk", value=2)')


def setup_more(ip: InteractiveShell) -> scint.Result:
    return ip.run_line_magic("scint", 'notes.put(key="more", value=1)')


def formats(ip: InteractiveShell, obj: object) -> dict[str, str]:
    data, _ = ip.display_formatter.format(obj)
    return data


def test_import_scint_does_not_import_ipython() -> None:
    code = "import sys, scint; assert 'IPython' not in sys.modules and 'scint.magic' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_line_and_cell_magics_return_the_result(ip: InteractiveShell) -> None:
    result = setup(ip)
    assert isinstance(result, scint.Result)
    assert result.version == 2 and len(result.events) == 2
    result = ip.run_line_magic("scint", 'notes.get(key="milk")')
    assert result.value == 2
    shown = formats(ip, result)
    assert shown["text/plain"] == "2"
    assert formats(ip, setup_more(ip))["text/plain"] == "[main @ 3: 1 event recorded]"
    assert "scint-result" in shown["text/html"]


def test_output_to_a_variable(ip: InteractiveShell) -> None:
    setup(ip)
    ip.run_line_magic("scint", '-o milk notes.get(key="milk")')
    assert ip.user_ns["milk"] == 2
    ip.run_line_magic("scint", "keys << notes.keys()")
    assert ip.user_ns["keys"] == ["milk"]
    ip.run_cell_magic("scint", "last <<", 'notes.put(key="eggs", value=6)\nnotes.get(key="eggs")')
    assert ip.user_ns["last"] == 6
    ip.run_cell_magic("scint", "-o m", "notes.keys()")
    assert ip.user_ns["m"] == ["eggs", "milk"]


def test_dollar_references_are_scint_not_python(ip: InteractiveShell) -> None:
    setup(ip)
    ip.user_ns["m"] = "python's m"
    ip.run_cell('%scint m = notes.get(key="milk"); notes.put(key="copy", value=$m)')
    assert ip.run_line_magic("scint", 'notes.get(key="copy")').value == 2
    ip.run_cell('%%scint\nx = notes.keys()\nnotes.put(key="n", value=$x[0])')
    assert ip.run_line_magic("scint", 'notes.get(key="n")').value == "copy"


def test_names_stay_bound_for_the_next_cell_and_are_recorded(ip: InteractiveShell) -> None:
    setup(ip)
    ip.run_cell('%scint m = notes.get(key="milk")')
    ip.run_cell('%%scint\nnotes.put(key="copy", value=$m)\nn = notes.keys()')
    assert ip.run_line_magic("scint", "notes.put(key=\"both\", value=[$m, $n])").value is None
    s = ip.run_line_magic("scint_session", "")
    assert s.run('notes.get(key="both")').value == [2, ["copy", "milk"]]
    assert [e.params for e in s.log(limit=2)] == [{"m": 2, "n": ["copy", "milk"]}, {"m": 2}]
    assert s.run('x = notes.get(key="copy")').bindings == {"x": 2}  # the session itself keeps no variables
    with pytest.raises(scint.BadArguments, match=r"\$m is not defined"):
        s.run('notes.put(key="z", value=$m)')


def test_a_failing_or_dry_program_binds_nothing(ip: InteractiveShell) -> None:
    setup(ip)
    ip.run_line_magic("scint", 'm = notes.get(key="milk")')
    outcome = ip.run_cell('%scint m = notes.keys(); k = notes.get(key="nope")')
    assert isinstance(outcome.error_in_exec, scint.ActionError)
    ip.run_line_magic("scint", '--dry-run m = notes.keys(); d = notes.keys()')
    magics = ip.magics_manager.registry["ScintMagics"]
    assert magics.bindings == {"m": 2}


def test_unbound_names_fall_back_to_json_python_variables(ip: InteractiveShell) -> None:
    setup(ip)
    ip.run_cell("v = 41\nnested = {'a': [1, 2.5, None, True, 'x']}")
    ip.run_cell('%scint notes.put(key="a", value=$v); notes.put(key="b", value=$nested.a)')
    assert ip.run_line_magic("scint", 'notes.get(key="a")').value == 41
    assert ip.run_line_magic("scint", 'notes.get(key="b")').value == [1, 2.5, None, True, "x"]
    ip.run_cell('%scint v = notes.get(key="milk")')  # a Scint binding comes before the Python variable
    ip.run_cell('%scint notes.put(key="c", value=$v)')
    assert ip.run_line_magic("scint", 'notes.get(key="c")').value == 2
    assert ip.user_ns["v"] == 41


@pytest.mark.parametrize(
    ("value", "error", "words"),
    [
        ("object()", scint.BadArguments, "$obj is an object"),
        ("{1, 2}", scint.BadArguments, "$obj is a set"),
        ("__import__('fractions').Fraction(1, 3)", scint.BadArguments, "$obj is a fractions.Fraction"),
        ("{'k': (1, 2)}", scint.BadArguments, '$obj["k"] is a tuple'),
        ("{1: 'a'}", scint.BadArguments, "a dict's keys must be strings"),
        ("float('inf')", scint.BadArguments, "finite numbers only"),
        ("2 ** 70", scint.LimitExceeded, "integer range"),
        ("'x' * 300_000", scint.LimitExceeded, "300,000 characters"),
        ("list(range(10_001))", scint.LimitExceeded, "10,001 items"),
    ],
)
def test_a_python_variable_that_is_not_json_is_a_clear_error(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str], value: str, error: type, words: str
) -> None:
    setup(ip)
    ip.run_cell(f"obj = {value}")
    capsys.readouterr()
    outcome = ip.run_cell('%scint notes.put(key="o", value=$obj)')
    assert isinstance(outcome.error_in_exec, error)
    text = "".join(capsys.readouterr())
    assert words in text and "the Python variable `obj`" in text and "Traceback" not in text
    assert ip.run_line_magic("scint", "notes.keys()").value == ["milk"]


def test_dry_run_records_nothing(ip: InteractiveShell) -> None:
    setup(ip)
    result = ip.run_line_magic("scint", '--dry-run notes.put(key="z", value=1)')
    assert len(result.events) == 1
    assert ip.run_line_magic("scint", "notes.keys()").value == ["milk"]


def test_errors_show_the_message_and_caret_without_a_traceback(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    setup(ip)
    capsys.readouterr()
    outcome = ip.run_cell('%scint notes.put(key="x" value=1)')
    assert isinstance(outcome.error_in_exec, scint.ScintSyntaxError)
    shown = capsys.readouterr()
    text = shown.out + shown.err
    assert "Traceback" not in text and "site-packages" not in text
    lines = text.splitlines()
    assert any("ScintSyntaxError" in line and "line 1, column 19" in line for line in lines)
    code = next(i for i, line in enumerate(lines) if line.strip() == 'notes.put(key="x" value=1)')
    assert lines[code + 1].index("^") == lines[code].index("value")
    outcome = ip.run_cell('%%scint\nnotes.put(key="y", value=1)\nnots.keys()')
    assert isinstance(outcome.error_in_exec, scint.UnknownContext)
    text = "".join(capsys.readouterr())
    assert "did you mean `notes`?" in text and "Traceback" not in text
    assert ip.run_line_magic("scint", "notes.keys()").value == ["milk"]  # the failed cell wrote nothing


def test_usage_errors(ip: InteractiveShell) -> None:
    with pytest.raises(UsageError):
        ip.run_line_magic("scint", "")
    with pytest.raises(UsageError):
        ip.run_cell_magic("scint", "contexts()", "contexts()")


def test_log_view_branch_checkout_diff(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    setup(ip)
    ip.run_line_magic("scint", 'notes.put(key="eggs", value=6)')
    log = ip.run_line_magic("scint_log", "")
    shown = formats(ip, log)
    assert "main @ 3" in shown["text/plain"] and 'notes.put(key="eggs", value=6)' in shown["text/plain"]
    assert "<table>" in shown["text/html"] and "create_context(&quot;notes&quot;)" in shown["text/html"]
    assert len(str(ip.run_line_magic("scint_log", "-n 1")).splitlines()) == 3

    view = ip.run_line_magic("scint_view", "")
    assert isinstance(view, scint.ContextMapView)
    shown = formats(ip, view)
    assert shown["text/plain"].startswith("notes (Container)") and "scint-view" in shown["text/html"]
    assert ip.run_line_magic("scint_view", "notes --at 2").get("notes") == {"data": {"milk": 2}}
    inside = ip.run_cell("%scint_view notes --at 1")  # inside the set-up program (versions 1-2)
    assert isinstance(inside.error_in_exec, scint.HistoryError) and "use 0 or 2" in str(inside.error_in_exec)

    ip.run_line_magic("scint_branch", "what-if --at 2")
    ip.run_line_magic("scint_checkout", "what-if")
    assert "on branch what-if at version 2" in capsys.readouterr().out
    ip.run_line_magic("scint", 'notes.put(key="ham", value=1)')
    branches = str(ip.run_line_magic("scint_branches", ""))
    assert "* what-if" in branches.replace("  ", " ")
    diff = ip.run_line_magic("scint_diff", "main what-if")
    assert isinstance(diff, scint.Diff)
    shown = formats(ip, diff)
    assert "ham" in shown["text/plain"] and "eggs" in shown["text/plain"] and "scint-diff" in shown["text/html"]
    outcome = ip.run_cell("%scint_checkout nowhere")
    assert isinstance(outcome.error_in_exec, scint.HistoryError)


def test_config_store_picks_the_store(ip: InteractiveShell, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/magic.db"
    ip.run_line_magic("config", f'ScintMagics.store = "{url}"')
    setup(ip)
    session = ip.run_line_magic("scint_session", "")
    assert session.url == url
    with scint.open(url) as other:
        assert other.run("notes.keys()").value == ["milk"]
    ip.run_line_magic("config", 'ScintMagics.store = "memory://"')
    assert ip.run_line_magic("scint_view", "").paths() == []


def test_ask_shows_the_program_and_runs_it(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    setup(ip)
    ip.user_ns["mock"] = MockProvider(['notes.put(key="eggs", value=2)', 'notes.put(key="ham", value=1)'])
    result = ip.run_line_magic("scint_ask", "-p mock put two eggs in my notes")
    assert 'notes.put(key="eggs", value=2)' in capsys.readouterr().out
    assert isinstance(result, scint.Result) and len(result.events) == 1
    assert ip.user_ns["mock"].history[0].messages[-1]["content"] == "put two eggs in my notes"
    assert ip.run_line_magic("scint_log", "-n 1").text.splitlines()[2].split()[3] == "llm:mock"
    assert ip.run_line_magic("scint_ask", "--dry-run -p mock and some ham") is None
    assert "dry run" in capsys.readouterr().out
    assert ip.run_line_magic("scint", "notes.keys()").value == ["eggs", "milk"]


def test_ask_uses_the_session_provider_and_reports_failures(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    setup(ip)
    session = ip.run_line_magic("scint_session", "")
    session.llm = MockProvider(["nots.keys()", "nots.keys()"])
    outcome = ip.run_cell("%scint_ask --dry-run what is there")
    assert isinstance(outcome.error_in_exec, scint.LLMError)
    assert "Traceback" not in "".join(capsys.readouterr())
    with pytest.raises(UsageError):
        ip.run_line_magic("scint_ask", "-p missing_variable hello")


MESSAGES_SETUP = (
    'create_context("notes"); create_context("lit", type="Process", goal="g", approve=["notes.put"], '
    'can=["self.**", "notes.*", "send", "reply", "inbox"])'
)


def test_messages_and_proposals(ip: InteractiveShell) -> None:
    s = ip.run_line_magic("scint_session", "")
    s.run(MESSAGES_SETUP)
    s.send("human", "which key?", "query", actor="process:lit")
    with pytest.raises(scint.NeedsApproval):
        s.run('notes.put(key="k", value=1)', actor="process:lit")
    with pytest.raises(scint.NeedsApproval):
        s.run('notes.put(key="k", value=2)', actor="process:lit")
    assert "which key?" in str(ip.run_line_magic("scint_inbox", ""))
    assert ip.run_line_magic("scint_reply", "m1 use k please") == "m2"
    assert s.inbox("lit")[0]["content"] == "use k please"
    assert "p1  pending" in str(ip.run_line_magic("scint_proposals", ""))
    assert ip.run_line_magic("scint_approve", "p1")["status"] == "approved"
    assert ip.run_line_magic("scint_reject", 'p2 --reason "not twice"')["reason"] == "not twice"
    assert s.view().get("notes")["data"] == {"k": 1}
    assert "no pending proposals" in str(ip.run_line_magic("scint_proposals", ""))
    with pytest.raises(scint.ActionError, match="already"):
        ip.run_line_magic("scint_approve", "p1")
    with pytest.raises(scint.NeedsApproval):
        s.run('notes.put(key="k", value=3)', actor="process:lit")
    assert ip.run_line_magic("scint_approve", 'p3 --edit notes.put(key="k", value=5)')["applied"] is True
    assert s.view().get("notes")["data"] == {"k": 5}


def test_view_within_a_budget_or_whole(ip: InteractiveShell) -> None:
    ip.run_line_magic("scint", 'create_context("big")')
    ip.run_cell_magic("scint", "", "; ".join(f'big.put(key="k{i}", value="{"v" * 40}")' for i in range(400)))
    default = formats(ip, ip.run_line_magic("scint_view", ""))
    assert 8_000 < len(default["text/plain"]) <= 10_000 and len(default["text/html"]) <= 10_000
    small = ip.run_line_magic("scint_view", "big --max-chars 300")
    shown = formats(ip, small)
    assert len(shown["text/plain"]) <= 300 and len(shown["text/html"]) <= 300
    assert shown["text/plain"].startswith("big (Container) ") and "(400 keys)" in shown["text/plain"]
    assert small.get("big")["data"]["k399"] == "v" * 40  # the view itself is whole; only its display is bounded
    full = formats(ip, ip.run_line_magic("scint_view", "--full"))["text/plain"]
    assert full == ip.run_line_magic("scint_view", "").render("text") and full.count('"v') == 400
    for line in ("--full --max-chars 500", "--max-chars 20"):
        with pytest.raises(UsageError, match="max-chars"):
            ip.run_line_magic("scint_view", line)
