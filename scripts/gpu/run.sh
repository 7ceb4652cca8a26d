#!/usr/bin/env bash
# Runs on the GPU machine, from the repository root, with scripts/gpu/.gpu carried (scripts/gpu/pack.sh):
# unpacks Node, dawn.node and the Vulkan loader under /tmp, points the loader at the NVIDIA driver's
# ICD file, prints the diagnostics, then runs the check (scripts/gpu/check.ts). Results go to
# $OUT (the device tool's output folder) when set, else results/bench. Any extra arguments go to the check.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PACK="$ROOT/scripts/gpu/.gpu"
[ -f "$PACK/check.mjs" ] || { echo "run: $PACK/check.mjs is missing: run bash scripts/gpu/pack.sh first"; exit 1; }
OUTDIR="${OUT:-$ROOT/results/bench}"
mkdir -p "$OUTDIR"
echo "== GPU and driver"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -4 || true
echo "== Vulkan ICD files"
ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d 2>&1 || true
RUNDIR=/tmp/eadro-gpu
rm -rf "$RUNDIR"; mkdir -p "$RUNDIR/vk"
cp -r "$PACK/node_modules" "$PACK/check.mjs" "$RUNDIR/"
echo "== unpack"
DEB=$(ls "$PACK"/libvulkan1_*.deb | head -1)
if command -v dpkg-deb >/dev/null 2>&1; then dpkg-deb -x "$DEB" "$RUNDIR/vk"; else
  # no dpkg: a .deb is an ar archive holding data.tar.*
  python3 - "$DEB" "$RUNDIR/vk" <<'PY'
import sys, tarfile, io
deb, dest = sys.argv[1], sys.argv[2]
data = open(deb, 'rb').read()
pos = 8
while pos < len(data):
    name = data[pos:pos + 16].decode().strip().rstrip('/')
    size = int(data[pos + 48:pos + 58].decode().strip())
    body = data[pos + 60:pos + 60 + size]
    if name.startswith('data.tar'):
        tarfile.open(fileobj=io.BytesIO(body)).extractall(dest)
    pos += 60 + size + (size % 2)
PY
fi
export LD_LIBRARY_PATH="$RUNDIR/vk/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
for j in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$j" ]; then export VK_DRIVER_FILES="$j" VK_ICD_FILENAMES="$j"; echo "ICD $j"; break; fi
done
python3 - "$PACK/node.xz" "$RUNDIR/node" "$PACK/node_modules/webgpu/dist/linux-x64/dawn.node.xz" "$RUNDIR/node_modules/webgpu/dist/linux-x64/dawn.node" <<'PY' || exit 1
import lzma, shutil, sys, os
pairs = list(zip(sys.argv[1::2], sys.argv[2::2]))
for src, dst in pairs:
    with lzma.open(src) as f, open(dst, 'wb') as g:
        shutil.copyfileobj(f, g)
os.chmod(pairs[0][1], 0o755)
PY
rm -f "$RUNDIR/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
"$RUNDIR/node" --version
echo "== check (bundle of commit $(cat "$PACK/commit.txt"))"
cd "$ROOT" && timeout "${CHECK_TIMEOUT:-420}" "$RUNDIR/node" "$RUNDIR/check.mjs" --out "$OUTDIR" --pack-info "$PACK/pack-info.json" "$@"
rc=$?
echo "check exit=$rc"
exit $rc
