"""The layers of ARCHITECTURE.md: an import may only point down the list. Checked on the source, so a new
module that reaches upwards fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import scint

PACKAGE = Path(scint.__file__).parent

# Each layer: the scint modules (prefixes) it may import, and the third-party packages it may import.
LAYERS: dict[str, tuple[set[str], set[str]]] = {
    "scint.errors": (set(), set()),
    "scint.dsl": ({"scint.errors", "scint.dsl"}, {"lark", "attrs"}),
    "scint.contexts": ({"scint.errors", "scint.contexts"}, {"attrs"}),
    "scint.core": (
        {"scint.errors", "scint.dsl", "scint.contexts", "scint.core"},
        {"eventsourcing", "attrs", "msgspec"},
    ),
    "scint.store": ({"scint.errors", "scint.store"}, {"eventsourcing", "lmdb", "psycopg"}),
    "scint.llm": (
        {"scint.errors", "scint.dsl", "scint.contexts", "scint.llm"},
        {"openai", "attrs", "httpx", "bpe_openai"},  # bpe_openai: counting o200k tokens where it is installed
    ),
    "scint.modules": ({"scint.errors", "scint.contexts", "scint.modules"}, {"attrs"}),
    "scint.session": (
        {"scint.errors", "scint.dsl", "scint.contexts", "scint.core", "scint.store", "scint.llm", "scint.modules"}
        | {"scint.session"},
        {"eventsourcing", "attrs"},
    ),
    "scint.agents": (
        {"scint.errors", "scint.dsl", "scint.contexts", "scint.core", "scint.llm", "scint.session", "scint.agents"},
        {"attrs"},
    ),
    # The MCP room: the session, the agents room and the public names (it is the only one importing `mcp`).
    "scint.mcp": (
        {"scint.errors", "scint.session", "scint.agents", "scint.llm", "scint.mcp"}
        | {"scint.contexts.base", "scint.contexts.external", "scint.contexts.help", "scint.contexts.registry"},
        {"mcp", "pydantic", "anyio", "uvicorn"},
    ),
    "scint.ui": (
        {"scint.errors", "scint.session", "scint.agents", "scint.ui"},
        {"starlette", "uvicorn"},
    ),
}
# Imports made inside a function (when a method is called) that may point up: Session.up uses the agents room.
LAZY_UP = {"scint.session.facade": {"scint.agents", "scint.mcp"}}
# The surfaces may use the session and the public `scint` names (and their own helpers).
SURFACES = ("scint.cli", "scint.magic", "scint.repl")
SURFACE_MAY = {
    "scint",
    "scint.session",
    "scint.errors",
    "scint.cli",
    "scint.magic",
    "scint.repl",
    "scint.dsl",
    "scint.core.render",
    "scint.core.view",
    "scint.store.urls",
    "scint.contexts.registry",
    "scint.llm",
    "scint.modules",
    "scint.mcp",
    "scint.ui",
    "scint.agents",  # ARCHITECTURE.md: the surfaces may import everything above them (`scint agents`)
}
STDLIB_OK = True  # the standard library is always allowed


def modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts)
        if name.endswith(".__init__"):
            name = name[: -len(".__init__")]
        out.append((name, path))
    return out


def imports(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lazy_ok = LAZY_UP.get(module, set())
    for node in ast.walk(tree):  # imports only for type checkers do not run, so they are not arrows
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
        if lazy_ok and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):  # allowed lazy imports only
            node.body = [
                st
                for st in node.body
                if not (isinstance(st, ast.ImportFrom) and ".".join((st.module or "").split(".")[:2]) in lazy_ok)
            ]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: -node.level] if path.name != "__init__.py" else module.split(".")
                if path.name == "__init__.py" and node.level > 1:
                    base = module.split(".")[: -(node.level - 1)]
                found.add(".".join([*base, node.module] if node.module else base))
            elif node.module:
                found.add(node.module)
    return found


def layer_of(module: str) -> str | None:
    for layer in LAYERS:
        if module == layer or module.startswith(layer + "."):
            return layer
    return None


def allowed(imported: str, scint_ok: set[str], third_ok: set[str]) -> bool:
    top = imported.split(".")[0]
    if top == "scint":
        return any(imported == p or imported.startswith(p + ".") for p in scint_ok)
    if top in third_ok:
        return True
    import sys

    return top in sys.stdlib_module_names or top == "__future__" or top == "typing_extensions"


@pytest.mark.parametrize(("module", "path"), modules(), ids=[m for m, _ in modules()])
def test_imports_point_down(module: str, path: Path) -> None:
    if module == "scint":
        return  # the public namespace gathers everything
    if module.startswith(SURFACES):
        bad = {i for i in imports(path, module) if i.split(".")[0] == "scint" and not allowed(i, SURFACE_MAY, set())}
        assert not bad, f"{module} reaches past the session into {sorted(bad)}"
        return
    layer = layer_of(module)
    assert layer is not None, f"{module} belongs to no layer of ARCHITECTURE.md; add it to LAYERS"
    scint_ok, third_ok = LAYERS[layer]
    bad = {i for i in imports(path, module) if not allowed(i, scint_ok | {layer}, third_ok)}
    assert not bad, f"{module} ({layer}) imports {sorted(bad)}"


def test_only_the_openai_provider_imports_openai() -> None:
    users = [m for m, p in modules() if any(i.split(".")[0] == "openai" for i in imports(p, m))]
    assert len(users) == 1 and users[0].startswith("scint.llm"), users


def test_only_the_mcp_room_imports_mcp() -> None:
    users = {m for m, p in modules() if any(i.split(".")[0] == "mcp" for i in imports(p, m))}
    assert users and all(m.startswith("scint.mcp") for m in users), users


def test_the_llm_layer_knows_no_session_class() -> None:
    """scint.llm depends on the small Host protocol (scint/llm/host.py), not on scint.session, not even for type
    checkers: the two layers do not import each other."""
    for module, path in modules():
        if module.startswith("scint.llm"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            named = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
            named |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
            assert not {m for m in named if m.startswith("scint.session")}, module


def test_the_session_is_a_host() -> None:
    from scint.llm.host import Host

    wanted = {n for n in dir(Host) if not n.startswith("_")} | set(Host.__annotations__)
    with scint.open("memory://") as s:
        missing = {n for n in wanted if n not in dir(s)}  # `llm` is made on first use: not called here
        assert not missing
        contexts, functions, history, allows = s.callables()
        assert contexts == {} and "create_context" in functions and "log" in history and allows is None


def test_only_the_web_view_imports_starlette_and_import_scint_does_not() -> None:
    users = {m for m, p in modules() if any(i.split(".")[0] in ("starlette", "uvicorn") for i in imports(p, m))}
    # The web view, and the MCP server's HTTP transport (the mcp SDK serves streamable HTTP as a Starlette app).
    assert users and all(m.startswith("scint.ui.") or m == "scint.mcp.http" for m in users), users
    code = (
        "import sys, scint, scint.session, scint.cli.app\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn')"
        " or m.startswith('scint.ui')))"
    )
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"


def test_session_is_a_package_of_small_rooms() -> None:
    for path in (PACKAGE / "session").glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) < 600, path.name
