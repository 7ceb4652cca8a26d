/**
 * Small synthetic WindowDatasets with planted, learnable signals, for tests and the benchmark (no
 * claim of realism). A faulty window with culprit c shows, from a random onset on:
 * - KPIs: indicator (c mod K) of service c rises by `signal` standard deviations;
 * - latency: service c and (weaker) the services that call it are slower;
 * - logs: event type (c mod E) of service c is more intense.
 * Normal windows are noise only. Edges are a random tree of calls, given caller -> callee.
 */
import { createRng } from '../core/rng.js';
import type { Split, WindowDataset } from '../windows/types.js';

export interface SyntheticOptions {
  /** Services. */
  N: number;
  /** Time steps per window. */
  T: number;
  /** KPIs per service. */
  K: number;
  /** Log event types. */
  E: number;
  /** Windows. */
  W: number;
  /** Share of faulty windows (ours: the released data has about 0.8, reference-code-notes §0.5). */
  faultyFraction: number;
  /** Size of the planted shift, in noise standard deviations. */
  signal: number;
  seed: number;
}

export const syntheticDefaults: SyntheticOptions = {
  N: 12, // SN has 12 services in the reference edges (reference-code-notes §0.2)
  T: 10, // reference chunk_lenth 10 (paper: 10 s windows)
  K: 7, // paper §V-A lists 7 KPIs
  E: 24, // ours: within the E ~ 20-40 the issue names
  W: 512, // ours: two batches of 256
  faultyFraction: 0.8, // ours, near the released data's prevalence
  signal: 3, // ours: learnable within a few epochs
  seed: 1,
};

export function makeSyntheticWindows(partial: Partial<SyntheticOptions> = {}): WindowDataset {
  const o = { ...syntheticDefaults, ...partial };
  const { N, T, K, E, W } = o;
  const rng = createRng(o.seed).fork('synthetic-windows');
  // A random call tree: node i > 0 is called by a random earlier node.
  const callers: number[] = [];
  const callees: number[] = [];
  const callerOf = new Int32Array(N).fill(-1);
  for (let i = 1; i < N; i++) {
    const p = rng.int(i);
    callers.push(p);
    callees.push(i);
    callerOf[i] = p;
  }
  const logs = new Float32Array(W * N * E);
  const metrics = new Float32Array(W * N * T * K);
  const traces = new Float32Array(W * N * T);
  const labels = new Int32Array(W);
  const start = new Float64Array(W);
  const episodeId = new Int32Array(W);
  const faultType: string[] = [];
  const episodeService: string[] = [];
  for (let w = 0; w < W; w++) {
    const culprit = rng.next() < o.faultyFraction ? rng.int(N) : -1;
    labels[w] = culprit;
    start[w] = 1_700_000_000 + w * T;
    episodeId[w] = w;
    faultType.push(culprit >= 0 ? 'cpu' : '');
    episodeService.push(culprit >= 0 ? `svc${culprit}` : '');
    const onset = rng.int(Math.max(1, T - 2));
    for (let n = 0; n < N; n++) {
      for (let e = 0; e < E; e++) logs[(w * N + n) * E + e] = Math.abs(rng.normal(0, 0.3));
      if (n === culprit) logs[(w * N + n) * E + (culprit % E)] += o.signal * 0.5;
      for (let t = 0; t < T; t++) {
        for (let k = 0; k < K; k++) {
          let v = rng.normal();
          if (n === culprit && k === culprit % K && t >= onset) v += o.signal;
          metrics[((w * N + n) * T + t) * K + k] = v;
        }
        let lat = rng.normal(0, 0.5);
        if (culprit >= 0 && t >= onset) {
          if (n === culprit) lat += o.signal;
          else if (callerOf[culprit] === n) lat += o.signal * 0.3;
        }
        traces[(w * N + n) * T + t] = lat;
      }
    }
  }
  return {
    nodes: Array.from({ length: N }, (_, i) => `svc${i}`),
    edges: [callers, callees],
    edgeDirection: 'caller->callee',
    T,
    metricNames: Array.from({ length: K }, (_, k) => `kpi${k}`),
    eventNum: E,
    W,
    logs,
    metrics,
    traces,
    labels,
    meta: { start, runId: Array.from({ length: W }, () => 'synthetic'), episodeId, faultType, episodeService },
    normalization: 'none',
  };
}

/** A temporal split by window order: the first share trains, the next validates, the rest tests. */
export function orderedSplit(W: number, trainShare = 0.6, valShare = 0.2): Split {
  const nTrain = Math.floor(W * trainShare);
  const nVal = Math.floor(W * valShare);
  const ids = Array.from({ length: W }, (_, i) => i);
  return { train: ids.slice(0, nTrain), val: ids.slice(nTrain, nTrain + nVal), test: ids.slice(nTrain + nVal) };
}
