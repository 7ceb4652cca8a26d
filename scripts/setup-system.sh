#!/usr/bin/env bash
# Debian packages some tests and commands need, installed only when missing (root or sudo).
# - jupyter-nbconvert, jupyter-client: execute the tslab notebooks headless (no pip here);
# - chromium: render plotly figures to PNG through playwright-core.
set -euo pipefail
need=()
command -v jupyter-nbconvert >/dev/null 2>&1 || need+=(jupyter-nbconvert jupyter-client)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup-system: installing ${need[*]}"
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
