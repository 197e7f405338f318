#!/usr/bin/env bash
# Installs what is missing, then runs the whole system locally (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/vmeste dev "$@"
