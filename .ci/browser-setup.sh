#!/usr/bin/env bash
# Install what tests/test_browser.py and benchmarks/labeller_latency.py need on a fresh Debian machine, as root.
# The Python side (playwright, jupyterlab) comes from the [dev] extra in settings.ini: pip install -e ".[dev]".
# The browser is Debian's chromium, used through Playwright's executable_path. Never run `playwright install`:
# it downloads browsers from a CDN that this machine cannot reach.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "chromium already installed: $(command -v chromium)"
else
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  $SUDO apt-get install -y chromium
fi
chromium --version 2>/dev/null || true
