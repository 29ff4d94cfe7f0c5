"""Agents declared in files (SPEC sections 9 and 10): `scint.toml` read and validated whole (`config`), and made
true in a store as one atomic program (`up`)."""

from __future__ import annotations

from scint.agents.config import Config, load, parse
from scint.agents.up import Change, plan, up

__all__ = ["Change", "Config", "load", "parse", "plan", "up"]
