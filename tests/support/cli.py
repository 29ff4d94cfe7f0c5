"""Running the `scint` command in tests: as a subprocess, or in this process through the same `main`."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs

from scint.cli import main

SCRIPT = Path(sys.executable).with_name("scint")


def command() -> list[str]:
    return [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "scint.cli"]


class Cli:
    """Runs `scint --store <store> ...` with cwd = tmp_path: as a subprocess, or (faster, for the many tests of
    plain behaviour) in this process through the same `main` the console script calls."""

    def __init__(self, cwd: Path, store: str | None, subprocess: bool = True) -> None:
        self.cwd = cwd
        self.store = store
        self.subprocess = subprocess

    def __call__(self, *args: str, input: str | None = None, ok: bool = True, env: dict | None = None) -> Proc:
        argv = [*(["--store", self.store] if self.store else []), *args]
        run = self._subprocess if self.subprocess else self._inprocess
        proc = run(argv, input, {"NO_COLOR": "1", "COLUMNS": "200", **(env or {})})
        assert "Traceback" not in proc.stderr, proc.stderr
        if ok:
            assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        return proc

    def _subprocess(self, argv: list[str], input: str | None, env: dict) -> Proc:
        full_env = {k: v for k, v in os.environ.items() if k not in ("SCINT_STORE", "SCINT_DEBUG")}
        full_env.update(env)
        p = subprocess.run(
            [*command(), *argv], input=input, capture_output=True, text=True, cwd=self.cwd, env=full_env, timeout=60
        )
        return Proc(p.returncode, p.stdout, p.stderr)

    def _inprocess(self, argv: list[str], input: str | None, env: dict) -> Proc:
        stdout, stderr = io.StringIO(), io.StringIO()
        saved_env, saved_cwd, saved_stdin = dict(os.environ), os.getcwd(), sys.stdin
        os.environ.pop("SCINT_STORE", None)
        os.environ.update(env)
        os.chdir(self.cwd)
        sys.stdin = io.StringIO(input or "")
        code: object = 0
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                main(argv)
        except SystemExit as exc:
            code = exc.code
        finally:
            sys.stdin = saved_stdin
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
        return Proc(code if isinstance(code, int) else (0 if code is None else 1), stdout.getvalue(), stderr.getvalue())

    def json(self, *args: str, env: dict | None = None) -> Any:
        return json.loads(self(*args, "--json", env=env).stdout)


@attrs.frozen
class Proc:
    returncode: int
    stdout: str
    stderr: str


