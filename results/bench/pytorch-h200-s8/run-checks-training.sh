#!/usr/bin/env bash
# Session 8, fourth call, after the port's GATv2 fix (per-target softmax shift): checks again, then
# paper quick budget (batch 32, 20 epochs, patience 8) seeds 0-9, paper paper-budget (batch 256, 50
# epochs, patience 10) seeds 0-4, reference quick budget seeds 0-4, on SN and TT, all at once.
set -u
export PYTHONUNBUFFERED=1
B=results/tmp/torch-s8
OUT="${OUT:-$PWD/torch-out}"
PY=python3
SCRIPT=scripts/pytorch/eadro_reference.py
W="$(mktemp -d)"
mkdir -p "$OUT"
LOG="$W/run.log"
echo "started $(date -u +%FT%TZ)" | tee "$LOG"
save() { tar czf "$OUT/.s8d.tgz" -C "$W" . && mv "$OUT/.s8d.tgz" "$OUT/s8d.tgz"; cp "$LOG" "$OUT/run.log"; }
job() {
  local name="$1" limit="$2"; shift 2
  local t0=$(date +%s)
  timeout "$limit" $PY $SCRIPT "$@" > "$W/$name.stdout" 2> "$W/$name.stderr"
  local rc=$?
  echo "$name rc=$rc $(( $(date +%s) - t0 ))s" >> "$LOG"
  case "$name" in check-*) grep -E 'FAIL|^check ' "$W/$name.stdout" | sed 's/^/    /' >> "$LOG" ;; esac
  [ $rc -eq 0 ] || tail -n 4 "$W/$name.stderr" | sed 's/^/    ! /' >> "$LOG"
}
for s in sn tt; do
  job check-$s-paper-wasm-manual 90 check --windows $B/$s/paper --init $B/$s/init-paper-wasm-manual --batch $B/$s/fs-paper-wasm-manual.json --device cuda --out "$W/check-$s-paper-wasm-manual.json" &
  job check-$s-ref-wasm-manual 90 check --windows $B/$s/reference --init $B/$s/init-ref-wasm-manual --batch $B/$s/fs-ref-wasm-manual.json --device cuda --out "$W/check-$s-ref-wasm-manual.json" &
done
job check-tt-paper-cpu-f64 90 check --windows $B/tt/paper --init $B/tt/init-paper-cpu --batch $B/tt/fs-paper-cpu.json --device cpu --dtype float64 --threads 2 --out "$W/check-tt-paper-cpu-f64.json" &
wait; save
for s in sn tt; do
  for seed in 0 1 2 3 4 5 6 7 8 9; do
    job train-$s-paper-quick-$seed 200 train --variant paper --windows $B/$s/paper --split $B/$s/split.json --seed $seed --batch-size 32 --epochs 20 --patience 8 --device cuda --threads 1 --out "$W/train-$s-paper-quick-$seed.json" &
  done
  for seed in 0 1 2 3 4; do
    job train-$s-paper-b256-$seed 200 train --variant paper --windows $B/$s/paper --split $B/$s/split.json --seed $seed --device cuda --threads 1 --out "$W/train-$s-paper-b256-$seed.json" &
    job train-$s-ref-quick-$seed 200 train --variant reference --windows $B/$s/reference --split $B/$s/split-ref.json --seed $seed --batch-size 32 --epochs 20 --patience 8 --device cuda --threads 1 --out "$W/train-$s-ref-quick-$seed.json" &
  done
done
wait; echo "training done $(date -u +%T)" | tee -a "$LOG"; save
for f in "$W"/train-*.json; do $PY -c "
import json,sys; d=json.load(open(sys.argv[1])); m=d['metrics']
print('%-24s ep %2d/%2d div %s F1 %.3f MCC %.3f HR@1 %.3f HR@5 %.3f' % (sys.argv[1].split('/')[-1][6:-5], d['bestEpoch'], d['epochsRun'], d.get('divergedAtEpoch'), m['det.f1'], m['det.mcc'] or 0, m['loc.e2e.hr@1'], m['loc.e2e.hr@5']))" "$f"; done 2>&1 | tee -a "$LOG"
echo "ended $(date -u +%FT%TZ)" | tee -a "$LOG"; save
