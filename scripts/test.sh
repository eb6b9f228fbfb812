#!/usr/bin/env bash
# The whole test suite, on a fresh machine: install what the tests need, lint and type-check, then run pytest.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh -k run_api`).
set -euo pipefail
cd "$(dirname "$0")/.."

# Install unless this checkout is already the editable install, from this pyproject.toml, with every
# requirement met (scripts/deps_current.py; a fresh clone or machine always installs).
if ! python3 scripts/deps_current.py 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
  python3 scripts/deps_current.py --stamp
fi

# Browser tests drive Debian's Chromium headless shell (Playwright cannot download its own browsers
# here; tests/browser.py says why the shell rather than the full browser).
if ! command -v chromium-headless-shell >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium-headless-shell >/dev/null
fi

# Chinese screenshots need a CJK font (without one 中文 renders as boxes).
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq fonts-noto-cjk >/dev/null
fi

# The suite starts many Python processes (served apps, CLI runs, fake servers) that import the
# project: let them share its compiled modules (__pycache__/, git-ignored) as Python does by default,
# even on a machine whose environment sets PYTHONDONTWRITEBYTECODE.
unset PYTHONDONTWRITEBYTECODE

# Lint, format and type checks first (configured in pyproject.toml): any finding fails the run.
python3 -m ruff check .
python3 -m ruff format --check .
python3 -m mypy

# Three workers share the 2 cores (most tests wait on servers and browsers); a test file stays on one
# worker, so a module's fixtures (a served app, a browser page) and its tests' order are kept. Files
# are handed out slowest first (tests/conftest.py orders them by tests/file_seconds.json; xdist's own
# reordering by test count is off), so the run does not end on one long file that started last.
# (-p no:benchmark: a machine-wide pytest-benchmark plugin would warn under xdist, and warnings fail.)
exec python3 -m pytest -n 3 --dist loadfile --no-loadscope-reorder -p no:benchmark "$@"
