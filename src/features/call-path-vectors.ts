/**
 * TraceAnomaly's input (Liu et al., ISSRE'20; `../shared/specs/baselines.md` §3.3): one vector per
 * trace with one dimension per call path, the value the response time of the span on that path.
 *
 * - Columns: the call paths that have a duration > 0 in some TRAINING trace (the authors drop columns
 *   never > 0 in training), so a path first seen at test time has no column (the vector cannot say it
 *   exists; TraceAnomaly has the same blind spot).
 * - Scaling, per column: (x − mean) / max(1, std), mean and std over the positive training entries
 *   (`NetManAIOps/TraceAnomaly:traceanomaly/readdata.py`); absent entries are set to −1.
 * - A path taken several times in one trace (a loop, repeated calls): the MEAN of its durations (ours;
 *   the released vectors come precomputed, the repository does not say).
 * - Unit: microseconds, as Jaeger records durations (max(1, std) then rarely binds).
 */
import { EadroError } from '../core/errors.js';
import type { TraceSet } from './trace-records.js';

export interface CallPathVectorizer {
  /** Call-path ids (TraceSet.callPaths) of the columns, in column order. */
  paths: Int32Array;
  /** [D] mean of the positive training durations, microseconds. */
  mean: Float32Array;
  /** [D] max(1, std) of the positive training durations, microseconds. */
  scale: Float32Array;
  /** Training traces it was fitted on. */
  fittedOn: number;
}

export const callPathDefaults = {
  /** readdata.py: absent entries after scaling. */
  absentValue: -1,
  /** readdata.py: std floored at 1. */
  minScale: 1,
};

/** Mean durations of each call path within one trace: [pathId, mean µs] pairs, in first-seen order. */
function pathMeans(ts: TraceSet, trace: number): Map<number, number> {
  const sums = new Map<number, [number, number]>();
  for (let s = ts.spanOffsets[trace]!; s < ts.spanOffsets[trace + 1]!; s++) {
    const p = ts.spanPath[s]!;
    const acc = sums.get(p);
    if (acc === undefined) sums.set(p, [ts.spanDurationUs[s]!, 1]);
    else {
      acc[0] += ts.spanDurationUs[s]!;
      acc[1]++;
    }
  }
  const out = new Map<number, number>();
  for (const [p, [sum, n]] of sums) out.set(p, sum / n);
  return out;
}

/** Fit the columns and their scaling on training traces. */
export function fitCallPathVectorizer(ts: TraceSet, trainTraces: readonly number[]): CallPathVectorizer {
  if (trainTraces.length === 0) {
    throw new EadroError('No training traces to fit the call-path vectors on.', { field: 'train traces', expected: 'at least one trace in the normal training windows' });
  }
  const P = ts.callPaths.length;
  const count = new Float64Array(P);
  const sum = new Float64Array(P);
  const sumSq = new Float64Array(P);
  for (const t of trainTraces) {
    for (const [p, v] of pathMeans(ts, t)) {
      if (!(v > 0)) continue;
      count[p]!++;
      sum[p]! += v;
      sumSq[p]! += v * v;
    }
  }
  const paths: number[] = [];
  for (let p = 0; p < P; p++) if (count[p]! > 0) paths.push(p);
  const mean = new Float32Array(paths.length);
  const scale = new Float32Array(paths.length);
  paths.forEach((p, j) => {
    const m = sum[p]! / count[p]!;
    const variance = Math.max(0, sumSq[p]! / count[p]! - m * m); // population std, as numpy's default
    mean[j] = m;
    scale[j] = Math.max(callPathDefaults.minScale, Math.sqrt(variance));
  });
  return { paths: Int32Array.from(paths), mean, scale, fittedOn: trainTraces.length };
}

/** [traces.length, D] scaled vectors, row-major. */
export function callPathVectors(ts: TraceSet, v: CallPathVectorizer, traces: readonly number[]): Float32Array {
  const D = v.paths.length;
  const column = new Map<number, number>();
  v.paths.forEach((p, j) => column.set(p, j));
  const out = new Float32Array(traces.length * D).fill(callPathDefaults.absentValue);
  traces.forEach((t, i) => {
    for (const [p, value] of pathMeans(ts, t)) {
      const j = column.get(p);
      if (j === undefined) continue;
      out[i * D + j] = (value - v.mean[j]!) / v.scale[j]!;
    }
  });
  return out;
}

/** How many of a trace's call paths have no column (paths unseen in training), per trace. */
export function unseenPathCounts(ts: TraceSet, v: CallPathVectorizer, traces: readonly number[]): Int32Array {
  const known = new Set(v.paths);
  return Int32Array.from(traces, (t) => {
    let n = 0;
    for (const p of pathMeans(ts, t).keys()) if (!known.has(p)) n++;
    return n;
  });
}
