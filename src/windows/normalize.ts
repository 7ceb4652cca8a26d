/**
 * Z-score normalisation of KPIs and latency.
 *
 * - `train-fitted` (ours, protocol.md §4.2 "fit all preprocessing on training data only"): the mean and
 *   (population) standard deviation per (service, KPI) and per service for latency are computed over the
 *   TRAINING windows' values only, then applied to every window. Windows overlap, so a second counts
 *   once per training window that holds it: the statistics are those of the training tensor itself.
 *   Zero-padded latency slots (no span in that second) count as values, as they are model input.
 * - `reference-per-run` (official `codes/preprocess/single_process.py`): KPIs z-scored over each run's
 *   whole series, faults included (`deal_metrics`: `z_zero_scaler` per column of the run's CSV), and
 *   latency z-scored per node over all windows of the run (`deal_traces`), overlapping duplicates and
 *   padding included. Leaky (protocol.md §4.1 item 7); kept to reproduce the reference numbers.
 *
 * Both use `(x - mean) / (std + epsilon)` like the reference's `z_zero_scaler`, so a constant series
 * (e.g. a service without a modality, all zeros) maps to 0.
 */
import type { WindowDataset } from './types.js';
import type { RunSeries } from '../features/series.js';

export const normalizeDefaults = {
  epsilon: 1e-8, // single_process.py z_zero_scaler: (x - mean) / (std + 1e-8)
} as const;

/** Fitted statistics: metric ones [N, K], latency ones [N]. */
export interface NormStats {
  N: number;
  K: number;
  metricMean: Float64Array;
  metricStd: Float64Array;
  latencyMean: Float64Array;
  latencyStd: Float64Array;
  /** Number of windows the statistics were fitted on. */
  fittedOn: number;
}

type Tensors = Pick<WindowDataset, 'metrics' | 'traces' | 'W' | 'T' | 'nodes' | 'metricNames'>;

/** Fit statistics on the windows `trainIdx` only (population std, float64 accumulation). */
export function fitNormalization(ds: Tensors, trainIdx: ArrayLike<number>): NormStats {
  const N = ds.nodes.length;
  const T = ds.T;
  const K = ds.metricNames.length;
  const sum = new Float64Array(N * K);
  const latSum = new Float64Array(N);
  const nTrain = trainIdx.length;
  for (let i = 0; i < nTrain; i++) {
    const w = trainIdx[i]!;
    if (!(w >= 0 && w < ds.W)) throw new Error(`fitNormalization: window index ${w} outside [0, ${ds.W})`);
    for (let n = 0; n < N; n++) {
      const mBase = ((w * N + n) * T) * K;
      for (let t = 0; t < T; t++) for (let k = 0; k < K; k++) sum[n * K + k]! += ds.metrics[mBase + t * K + k]!;
      const lBase = (w * N + n) * T;
      for (let t = 0; t < T; t++) latSum[n]! += ds.traces[lBase + t]!;
    }
  }
  const count = Math.max(1, nTrain * T);
  const metricMean = sum.map((v) => v / count);
  const latencyMean = latSum.map((v) => v / count);
  const sq = new Float64Array(N * K);
  const latSq = new Float64Array(N);
  for (let i = 0; i < nTrain; i++) {
    const w = trainIdx[i]!;
    for (let n = 0; n < N; n++) {
      const mBase = ((w * N + n) * T) * K;
      for (let t = 0; t < T; t++) {
        for (let k = 0; k < K; k++) {
          const d = ds.metrics[mBase + t * K + k]! - metricMean[n * K + k]!;
          sq[n * K + k]! += d * d;
        }
      }
      const lBase = (w * N + n) * T;
      for (let t = 0; t < T; t++) {
        const d = ds.traces[lBase + t]! - latencyMean[n]!;
        latSq[n]! += d * d;
      }
    }
  }
  return {
    N,
    K,
    metricMean,
    metricStd: sq.map((v) => Math.sqrt(v / count)),
    latencyMean,
    latencyStd: latSq.map((v) => Math.sqrt(v / count)),
    fittedOn: nTrain,
  };
}

/** Apply fitted statistics to every window, in place. */
export function applyNormalization(ds: Tensors, stats: NormStats): void {
  const N = ds.nodes.length;
  const T = ds.T;
  const K = ds.metricNames.length;
  if (stats.N !== N || stats.K !== K) throw new Error(`applyNormalization: stats are [${stats.N}, ${stats.K}], data [${N}, ${K}]`);
  const eps = normalizeDefaults.epsilon;
  const mMean = Float32Array.from(stats.metricMean);
  const mScale = Float32Array.from(stats.metricStd, (s) => 1 / (s + eps));
  for (let w = 0; w < ds.W; w++) {
    for (let n = 0; n < N; n++) {
      const base = ((w * N + n) * T) * K;
      for (let t = 0; t < T; t++) {
        const row = base + t * K;
        for (let k = 0; k < K; k++) ds.metrics[row + k] = (ds.metrics[row + k]! - mMean[n * K + k]!) * mScale[n * K + k]!;
      }
      const lBase = (w * N + n) * T;
      const lm = stats.latencyMean[n]!;
      const ls = 1 / (stats.latencyStd[n]! + eps);
      for (let t = 0; t < T; t++) ds.traces[lBase + t] = (ds.traces[lBase + t]! - lm) * ls;
    }
  }
}

/**
 * `train-fitted`: fit on `trainIdx`, apply to all windows in place, mark the dataset. Refuses a dataset
 * that is already normalised (normalising twice silently would be wrong).
 */
export function normalizeTrainFitted(ds: WindowDataset, trainIdx: ArrayLike<number>): NormStats {
  if (ds.normalization !== 'none') {
    throw new Error(`normalizeTrainFitted: dataset is already normalised (${ds.normalization})`);
  }
  const stats = fitNormalization(ds, trainIdx);
  applyNormalization(ds, stats);
  ds.normalization = 'train-fitted';
  return stats;
}

/**
 * `reference-per-run`, KPI part: z-score each (service, KPI) series over the run's whole range
 * [t0, t0 + S), in place (deal_metrics).
 */
export function zScoreRunMetrics(series: RunSeries): void {
  const { N, S, K, metrics } = series;
  const eps = normalizeDefaults.epsilon;
  for (let n = 0; n < N; n++) {
    const base = n * S * K;
    for (let k = 0; k < K; k++) {
      let sum = 0;
      for (let s = 0; s < S; s++) sum += metrics[base + s * K + k]!;
      const mean = sum / Math.max(1, S);
      let sq = 0;
      for (let s = 0; s < S; s++) {
        const d = metrics[base + s * K + k]! - mean;
        sq += d * d;
      }
      const scale = 1 / (Math.sqrt(sq / Math.max(1, S)) + eps);
      for (let s = 0; s < S; s++) metrics[base + s * K + k] = (metrics[base + s * K + k]! - mean) * scale;
    }
  }
}

/**
 * `reference-per-run`, latency part: z-score per node over all windows [from, to) of one run (their
 * [T] latency vectors, overlaps included), in place (deal_traces).
 */
export function zScoreRunLatencyWindows(traces: Float32Array, from: number, to: number, N: number, T: number): void {
  const eps = normalizeDefaults.epsilon;
  const count = Math.max(1, (to - from) * T);
  for (let n = 0; n < N; n++) {
    let sum = 0;
    for (let w = from; w < to; w++) {
      const base = (w * N + n) * T;
      for (let t = 0; t < T; t++) sum += traces[base + t]!;
    }
    const mean = sum / count;
    let sq = 0;
    for (let w = from; w < to; w++) {
      const base = (w * N + n) * T;
      for (let t = 0; t < T; t++) {
        const d = traces[base + t]! - mean;
        sq += d * d;
      }
    }
    const scale = 1 / (Math.sqrt(sq / count) + eps);
    for (let w = from; w < to; w++) {
      const base = (w * N + n) * T;
      for (let t = 0; t < T; t++) traces[base + t] = (traces[base + t]! - mean) * scale;
    }
  }
}
