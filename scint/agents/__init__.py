"""Agents declared in files (SPEC sections 9 and 10): `scint.toml` read and validated whole (`config`), and made
true in a store as one atomic program (`up`); the scheduler that runs the processes with work (`scheduler`)."""

from __future__ import annotations

from scint.agents.config import Config, load, parse
from scint.agents.scheduler import AgentReport, Agents, Scheduler
from scint.agents.up import Change, plan, up

__all__ = ["AgentReport", "Agents", "Change", "Config", "Scheduler", "load", "parse", "plan", "up"]
