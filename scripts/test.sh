#!/usr/bin/env bash
# Installs what is missing, then runs the linters, the type checker and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
# Two workers (pytest-xdist), one test file per worker at a time, so a module's servers start
# once: most end-to-end tests wait for polls to close, and the other worker runs meanwhile.
# Arguments come after, so "-n 0" runs everything in one process.
.venv/bin/pytest -q -p no:cacheprovider -n 2 --dist loadfile "$@"
