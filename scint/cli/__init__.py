"""The `scint` command (`scint.cli:main`), its REPL and how both display things."""

from scint.cli.app import app, main

__all__ = ["app", "main"]
