#!/usr/bin/env bash
# The whole test suite, on a fresh machine with only Python 3.11 and package-registry access.
# Creates .venv (if needed), installs Scint with every extra, starts the local PostgreSQL if it is down,
# installs chromium (for the web view's browser test) if it is missing, checks ruff, then runs pytest.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.scint-installed
want=$(cat pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install --disable-pip-version-check -q --upgrade pip
  .venv/bin/python -m pip install --disable-pip-version-check -q -e '.[dev]'
  echo "$want" > "$stamp"
fi

# PostgreSQL tests run for real: start the server when it is installed but stopped.
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
    for v in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
    done
  fi
fi

# The web view's end-to-end test drives Debian's chromium through Playwright (the dev extra); browsers cannot be
# downloaded by Playwright here, so the system one is installed once.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
  as_root=""
  if [ "$(id -u)" -ne 0 ]; then as_root="sudo"; fi
  $as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq chromium >/dev/null
fi

.venv/bin/ruff check .
set +e
.venv/bin/python -m pytest -n auto "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "no tests were collected: that is a failure" >&2
  exit 1
fi
exit "$rc"
