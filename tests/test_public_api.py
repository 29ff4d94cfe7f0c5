"""The public namespace is exactly what SPEC §3 promises (plus documented extras), and importing it is light."""

from __future__ import annotations

import subprocess
import sys

import scint

SPEC_NAMES = {
    "open", "load", "parse", "format", "Context", "action", "query", "register", "Session", "ContextMapView",
    "ScintError", "ScintSyntaxError", "UnknownContext", "UnknownAction", "BadArguments", "ActionError",
    "ConflictError", "PermissionDenied", "LimitExceeded", "ConfigError",
}  # fmt: skip
EXTRAS = {
    "ResolutionError", "StoreError", "HistoryError", "LLMError", "Limits", "Program", "Result", "LogEntry", "Diff",
    "RerunReport", "__version__", "load_ipython_extension", "Module", "ModuleError", "NeedsApproval", "register_module",
    "register_backend", "registered_backends",
}  # fmt: skip


def test_all_is_what_we_mean_to_export() -> None:
    assert set(scint.__all__) >= SPEC_NAMES
    assert set(scint.__all__) - SPEC_NAMES <= EXTRAS, set(scint.__all__) - SPEC_NAMES - EXTRAS
    for name in scint.__all__:
        assert getattr(scint, name) is not None


def test_every_error_is_a_scint_error() -> None:
    for name in scint.__all__:
        obj = getattr(scint, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, scint.ScintError), name


def test_llm_public_names() -> None:
    import scint.llm

    assert callable(scint.llm.tools)
    assert isinstance(scint.llm.MockProvider, type)


def test_import_is_light() -> None:
    heavy = ("openai", "IPython", "psycopg", "httpx2", "mcp", "uvicorn", "starlette")
    code = f"import sys, scint; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", f"`import scint` pulled in {out}"
