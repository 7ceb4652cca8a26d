#!/usr/bin/env bash
# Debian packages some tests and commands need, installed only when missing. Run by the README's test
# command (npm test) before the tests and by .ci/run:
# - jupyter-nbconvert, jupyter-client: execute the tslab notebooks headless (no pip here);
# - chromium: render plotly figures to PNG through playwright-core;
# - libegl1, libegl-mesa0, libgles2, libgl1-mesa-dri: Mesa's EGL/OpenGL ES with llvmpipe, the software
#   WebGPU adapter (Dawn's OpenGL ES backend) on which the webgpu training tests run without a GPU;
# - slurm-wlm, munge: a one-node SLURM cluster (scripts/slurm/local-cluster.sh) for the SLURM grid test.
# As root (or with passwordless sudo) it installs them; otherwise it prints the exact command and the
# tests that will be skipped for want of them, and exits 0 so that every other test still runs.
# `bash scripts/setup-system.sh chromium` checks Chromium only (npm start: the main job's PNG figures).
# `bash scripts/setup-system.sh torch` installs python3-torch (Debian's PyTorch 1.13 for /usr/bin/python3)
# for `eadro bench --vs-pytorch` only: never part of the default (`all`), the tests and CI do not need it.
set -euo pipefail
want="${1:-all}"
need=()
if [ "$want" = "all" ] || [ "$want" = "jupyter" ]; then
  command -v jupyter-nbconvert >/dev/null 2>&1 || need+=(jupyter-nbconvert jupyter-client)
fi
if [ "$want" = "all" ] || [ "$want" = "chromium" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi
if [ "$want" = "all" ] || [ "$want" = "webgpu" ]; then
  # bash only (no ldconfig or grep needed): the library in a multiarch or plain lib folder
  have_lib() { local f; for f in /usr/lib/*/"$1" /lib/*/"$1" /usr/lib64/"$1" /usr/lib/"$1"; do [ -e "$f" ] && return 0; done; return 1; }
  have_lib libEGL.so.1 || need+=(libegl1)
  have_lib libEGL_mesa.so.0 || need+=(libegl-mesa0)
  have_lib libGLESv2.so.2 || need+=(libgles2)
  have_lib dri/swrast_dri.so || need+=(libgl1-mesa-dri)
fi
if [ "$want" = "all" ] || [ "$want" = "slurm" ]; then
  { command -v slurmctld >/dev/null 2>&1 || [ -x /usr/sbin/slurmctld ]; } || need+=(slurm-wlm)
  { command -v munged >/dev/null 2>&1 || [ -x /usr/sbin/munged ]; } || need+=(munge)
fi
if [ "$want" = "torch" ]; then
  /usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1 || need+=(python3-torch)
fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo"
  else
    echo "setup-system: missing ${need[*]}, and no root or passwordless sudo to install them." >&2
    echo "setup-system: install them with:  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
    echo "setup-system: until then the notebook, PNG, WebGPU and SLURM tests they need are SKIPPED (listed at the end of the test run), and figures are written as HTML only." >&2
    exit 0
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-system: missing ${need[*]} and this is not a Debian/Ubuntu system (no apt-get): install Jupyter (nbconvert, jupyter-client), Chromium, Mesa EGL/GLES and SLURM (slurm-wlm, munge) with your package manager; until then the notebook, PNG, WebGPU and SLURM tests they need are SKIPPED." >&2
  exit 0
fi
echo "setup-system: installing ${need[*]} (Debian packages; once)"
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
