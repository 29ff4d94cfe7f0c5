"""Scint: one small, exact language for changing and inspecting shared state, with every change remembered.

```python
import scint
with scint.open("memory://") as s:
    s.run('create_context("notes", type="Container"); notes.put(key="milk", value=2)')
    s.run('notes.get(key="milk")').value   # 2
```
"""

from scint.contexts.base import Context, action, query
from scint.contexts.registry import register
from scint.core.view import ContextMapView
from scint.dsl import Limits, Program, parse
from scint.dsl import format_program as format
from scint.errors import (
    ActionError,
    BadArguments,
    ConfigError,
    ConflictError,
    HistoryError,
    LimitExceeded,
    LLMError,
    ModuleError,
    NeedsApproval,
    PermissionDenied,
    ResolutionError,
    ScintError,
    ScintSyntaxError,
    StoreError,
    UnknownAction,
    UnknownContext,
)
from scint.modules import Module, register_backend, register_module, registered_backends
from scint.session import Diff, LogEntry, RerunReport, Result, Session, load, open

__version__ = "0.1.0"


def load_ipython_extension(ipython: object) -> None:
    """`%load_ext scint`: the IPython magics (imported only then, so `import scint` stays light)."""
    from scint.magic import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: object) -> None:
    from scint.magic import unload_ipython_extension as unload

    unload(ipython)


__all__ = [
    "ActionError",
    "BadArguments",
    "ConfigError",
    "ConflictError",
    "Context",
    "ContextMapView",
    "Diff",
    "HistoryError",
    "LLMError",
    "LimitExceeded",
    "Limits",
    "LogEntry",
    "Module",
    "ModuleError",
    "NeedsApproval",
    "PermissionDenied",
    "Program",
    "RerunReport",
    "ResolutionError",
    "Result",
    "ScintError",
    "ScintSyntaxError",
    "Session",
    "StoreError",
    "UnknownAction",
    "UnknownContext",
    "__version__",
    "action",
    "format",
    "load",
    "open",
    "parse",
    "query",
    "register",
    "register_backend",
    "register_module",
    "registered_backends",
]
