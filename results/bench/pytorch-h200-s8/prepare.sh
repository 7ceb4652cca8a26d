#!/usr/bin/env bash
# Builds the session-8 bundle for the GPU machine (run here, from the repo root).
set -eu
B=results/tmp/torch-s8
for s in sn tt; do
  data=results/data/testbed/$s-quick-seed0
  common="--data $data --stride 2 --protocol temporal --seed 0"
  t0=$(date +%s)
  EADRO_QUIET=1 npx tsx scripts/pytorch/prepare.ts $common --variant paper --split $B/$s/split.json --pack $B/$s/paper --compress \
    --first-step $B/$s/fs-paper-wasm-manual.json --checkpoint $B/$s/init-paper-wasm-manual --backend wasm --step manual --warm-epochs 2 > $B/$s/prep-paper-wasm.log 2>&1
  echo "$s paper wasm manual $(( $(date +%s) - t0 ))s"
  t0=$(date +%s)
  EADRO_QUIET=1 npx tsx scripts/pytorch/prepare.ts $common --variant paper --split $B/$s/split.json \
    --first-step $B/$s/fs-paper-cpu.json --checkpoint $B/$s/init-paper-cpu --backend cpu --step autodiff --from-checkpoint $B/$s/init-paper-wasm-manual > $B/$s/prep-paper-cpu.log 2>&1
  echo "$s paper cpu autodiff $(( $(date +%s) - t0 ))s"
  t0=$(date +%s)
  EADRO_QUIET=1 npx tsx scripts/pytorch/prepare.ts $common --variant reference --split $B/$s/split-ref.json --pack $B/$s/reference --compress \
    --first-step $B/$s/fs-ref-wasm-manual.json --checkpoint $B/$s/init-ref-wasm-manual --backend wasm --step manual > $B/$s/prep-ref.log 2>&1
  echo "$s reference wasm manual $(( $(date +%s) - t0 ))s"
done
