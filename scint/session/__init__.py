"""The Session facade (scint.session.facade) and the rooms it delegates to: running one program
(running), history (history), rerun/export/import (transfer), result types (results), the store glue and
argument checks (checks)."""

from scint.session.facade import Session, load, open
from scint.session.results import Diff, LogEntry, RerunReport, Result

__all__ = ["Diff", "LogEntry", "RerunReport", "Result", "Session", "load", "open"]
