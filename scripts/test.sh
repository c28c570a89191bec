#!/usr/bin/env bash
# Installs everything the test suite needs on a bare machine, then runs the whole suite.
# The browser tests drive Debian's chromium (Playwright cannot download browsers here).
set -euo pipefail
cd "$(dirname "$0")/.."

# The emoji font makes screenshots show what users' browsers show.
if ! command -v chromium >/dev/null 2>&1 || [ ! -d /usr/share/fonts/truetype/noto ]; then
  echo "Installing Debian's chromium and fonts for the browser tests..."
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium fonts-noto-color-emoji
fi

# The clock tests shift an engine's wall clock with libfaketime (its monotonic clock left alone).
if ! command -v faketime >/dev/null 2>&1; then
  echo "Installing Debian's faketime for the clock tests..."
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq faketime
fi

# The worker fleet's tests start a throwaway redis-server of their own (Debian's Redis 7).
if ! command -v redis-server >/dev/null 2>&1; then
  echo "Installing Debian's redis-server for the worker fleet's tests..."
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server
fi

# The metrics test scrapes with curl, as an operator would.
if ! command -v curl >/dev/null 2>&1; then
  echo "Installing curl for the metrics test..."
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq curl
fi

python3 -m venv .venv
.venv/bin/pip install -q -r requirements-dev.txt
exec .venv/bin/python -m pytest "$@"
