"""Modules: extension packages that bring context types, backends, commands and init/exit hooks to a session,
after Linux's loadable kernel modules.

A package declares a `scint.Module` and names it in the `scint.modules` entry-point group (or calls
`scint.register_module`). `scint.open(url, modules=["name"])` loads the named modules (and what they require,
first), plus every module marked `autoload`; `session.close()` exits them in reverse. `scint modules` lists
what is installed. Backends (`python:NAME`) come from `scint.register_backend` or the `scint.backends` group.
"""

from scint.modules.declaration import Module
from scint.modules.loading import Loaded, load_modules, load_order
from scint.modules.registry import (
    Installed,
    get_backend,
    installed,
    refresh,
    register_backend,
    register_module,
    registered_backends,
    unregister_backend,
    unregister_module,
)

__all__ = [
    "Installed",
    "Loaded",
    "Module",
    "get_backend",
    "installed",
    "load_modules",
    "load_order",
    "refresh",
    "register_backend",
    "register_module",
    "registered_backends",
    "unregister_backend",
    "unregister_module",
]
