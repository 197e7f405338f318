#!/usr/bin/env bash
# Installs everything Vmeste needs on a Debian machine with Python 3.11, as root:
# redis-server, PostgreSQL and nginx from Debian, uv from PyPI, the project's locked
# Python packages into .venv. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v runuser >/dev/null 2>&1 || need_apt+=(util-linux)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_apt+=(nginx)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing system packages: ${need_apt[*]} — run this script as root" >&2
    exit 1
  fi
  echo "installing system packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # Debian starts a system-wide PostgreSQL and Redis on install; Vmeste starts its own.
fi

if ! command -v uv >/dev/null 2>&1; then
  if ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq python3-pip >/dev/null
  fi
  # Debian marks its Python as externally managed; uv is a standalone binary, safe to add.
  python3 -m pip install --quiet --break-system-packages uv 2>/dev/null \
    || python3 -m pip install --quiet uv
fi
uv_bin="$(command -v uv || echo "$(python3 -m site --user-base)/bin/uv")"

# Never download an interpreter: the machine's Python 3.11 is the one to use.
export UV_PYTHON_DOWNLOADS=never
"$uv_bin" sync --frozen --quiet --python python3.11
