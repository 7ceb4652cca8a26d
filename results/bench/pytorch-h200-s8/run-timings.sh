#!/usr/bin/env bash
# Session 8 on the GPU machine: the PyTorch port's paper variant (scripts/pytorch/eadro_reference.py)
# checked against tfjs, then both variants trained on SN and TT `quick` windows (testbed 1.3, stride 2,
# temporal, selection on validation) with several seeds, then timings. Run from the repo root with
# this folder carried. Everything lands in $OUT/s8.tgz (re-packed after every phase) and $OUT/run.log.
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
nvidia-smi -L 2>&1 | tee -a "$LOG"
nproc | tee -a "$LOG"
$PY -c "import sys, numpy, torch; print(sys.version.split()[0], 'numpy', numpy.__version__, 'torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.is_available())" 2>&1 | tee -a "$LOG"
save() { tar czf "$OUT/.s8.tgz" -C "$W" . && mv "$OUT/.s8.tgz" "$OUT/s8.tgz"; cp "$LOG" "$OUT/run.log"; }
job() { # job NAME SECONDS ARGS... (foreground)
  local name="$1" limit="$2"; shift 2
  local t0=$(date +%s)
  timeout "$limit" $PY $SCRIPT "$@" > "$W/$name.stdout" 2> "$W/$name.stderr"
  local rc=$?
  echo "$name rc=$rc $(( $(date +%s) - t0 ))s" >> "$LOG"
  case "$name" in check-*) grep -E 'FAIL|^check |maskedWindows' "$W/$name.stdout" | sed 's/^/    /' >> "$LOG" ;; esac
  [ $rc -eq 0 ] || tail -n 6 "$W/$name.stderr" | sed 's/^/    ! /' >> "$LOG"
}
# 1. checks (parallel, CUDA float32; TT also CPU float64)
for s in sn tt; do
  job check-$s-paper-cpu 150 check --windows $B/$s/paper --init $B/$s/init-paper-cpu --batch $B/$s/fs-paper-cpu.json --device cuda --out "$W/check-$s-paper-cpu.json" &
  job check-$s-paper-wasm-manual 150 check --windows $B/$s/paper --init $B/$s/init-paper-wasm-manual --batch $B/$s/fs-paper-wasm-manual.json --device cuda --out "$W/check-$s-paper-wasm-manual.json" &
  job check-$s-ref-wasm-manual 150 check --windows $B/$s/reference --init $B/$s/init-ref-wasm-manual --batch $B/$s/fs-ref-wasm-manual.json --device cuda --out "$W/check-$s-ref-wasm-manual.json" &
done
job check-tt-paper-cpu-f64 150 check --windows $B/tt/paper --init $B/tt/init-paper-cpu --batch $B/tt/fs-paper-cpu.json --device cpu --dtype float64 --threads 4 --out "$W/check-tt-paper-cpu-f64.json" &
wait; echo "checks done $(date -u +%T)" | tee -a "$LOG"; cat "$LOG" | tail -n 40; save
# 2. training: paper seeds 0-4, reference seeds 0-2, both systems, all at once (tiny models; one CPU thread each)
for s in sn tt; do
  for seed in 0 1 2 3 4; do
    job train-$s-paper-$seed 300 train --variant paper --windows $B/$s/paper --split $B/$s/split.json --seed $seed --device cuda --threads 1 --out "$W/train-$s-paper-$seed.json" &
  done
  for seed in 0 1 2; do
    job train-$s-ref-$seed 300 train --variant reference --windows $B/$s/reference --split $B/$s/split-ref.json --seed $seed --device cuda --threads 1 --out "$W/train-$s-ref-$seed.json" &
  done
done
wait; echo "training done $(date -u +%T)" | tee -a "$LOG"; save
for f in "$W"/train-*.json; do $PY -c "
import json,sys; d=json.load(open(sys.argv[1])); m=d['metrics']
print('%-22s ep %2d/%2d F1 %.3f MCC %.3f FPR %.3f HR@1 %.3f HR@5 %.3f  %.0f w/s' % (sys.argv[1].split('/')[-1][6:-5], d['bestEpoch'], d['epochsRun'], m['det.f1'], m['det.mcc'] or 0, m['det.fpr'] or 0, m['loc.e2e.hr@1'], m['loc.e2e.hr@5'], d['timings']['trainWindowsPerSecondMedian']))" "$f"; done 2>&1 | tee -a "$LOG"
save
# 3. timings, one at a time: paper and reference, CPU 1 and 2 threads, CUDA
for v in paper ref; do
  for s in sn tt; do
    init=$B/$s/init-paper-wasm-manual; win=$B/$s/paper
    [ $v = ref ] && init=$B/$s/init-ref-wasm-manual && win=$B/$s/reference
    for th in 1 2; do job time-$s-$v-cpu$th 90 time --windows $win --init $init --steps 20 --device cpu --threads $th --out "$W/time-$s-$v-cpu$th.json"; done
    job time-$s-$v-cuda 60 time --windows $win --init $init --steps 20 --device cuda --out "$W/time-$s-$v-cuda.json"
    save
  done
done
for f in "$W"/time-*.json; do $PY -c "
import json,sys; d=json.load(open(sys.argv[1])); t=d['timings']
print('%-22s train %7.0f w/s  infer %7.1f us/window' % (sys.argv[1].split('/')[-1][5:-5], t['trainWindowsPerSecond'], t['inferenceMicrosecondsPerWindow']))" "$f"; done 2>&1 | tee -a "$LOG"
echo "ended $(date -u +%FT%TZ)" | tee -a "$LOG"
save
