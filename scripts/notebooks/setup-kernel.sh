#!/usr/bin/env bash
# Writes a project-local Jupyter kernelspec for tslab into .jupyter/kernels/tslab/kernel.json.
#
# Why project-local: `npx tslab install` needs an IPython-equipped python3 and writes global state;
# a kernelspec found through JUPYTER_PATH=$PWD/.jupyter needs neither. Why generated here, not
# committed: the kernel must `cd` to the project root before starting tslab (tslab sets TypeScript's
# rootDir to its working directory, so notebooks import './src/...' relative to the root), and the
# root differs between checkouts (CI clones elsewhere). TSLAB_ROOT overrides the root at launch.
# The kernel preloads tslab-preload.cjs, which lets tslab's CommonJS output of ./src modules run
# inside this "type": "module" package (see that file).
#
# Usage: bash scripts/notebooks/setup-kernel.sh        (then: JUPYTER_PATH=$PWD/.jupyter jupyter ...)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tslab_bin="$root/node_modules/tslab/bin/tslab"
if [ ! -f "$tslab_bin" ]; then
  echo "setup-kernel: $tslab_bin not found; run 'npm ci' first (tslab is a devDependency)" >&2
  exit 1
fi
spec_dir="$root/.jupyter/kernels/tslab"
mkdir -p "$spec_dir"
tmp="$spec_dir/.kernel.json.tmp-$$"
# $0 inside the sh -c script is the connection file Jupyter substitutes for {connection_file}.
cat > "$tmp" <<JSON
{
  "argv": ["/bin/sh", "-c", "cd \"\${TSLAB_ROOT:-$root}\" && exec node --require ./scripts/notebooks/tslab-preload.cjs ./node_modules/tslab/bin/tslab kernel --config-path \"\$0\"", "{connection_file}"],
  "display_name": "TypeScript (tslab)",
  "language": "typescript"
}
JSON
mv "$tmp" "$spec_dir/kernel.json"
echo "setup-kernel: wrote $spec_dir/kernel.json (root $root)"
