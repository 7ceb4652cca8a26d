import { strict as assert } from 'node:assert';
import { createRng } from '../../src/core/rng.js';
import {
  applyNormalization,
  fitNormalization,
  normalizeTrainFitted,
  zScoreRunLatencyWindows,
  zScoreRunMetrics,
} from '../../src/windows/normalize.js';
import type { RunSeries } from '../../src/features/series.js';
import type { WindowDataset } from '../../src/windows/types.js';

function randomDataset(W: number, N: number, T: number, K: number, seed: number): WindowDataset {
  const rng = createRng(seed);
  const metrics = Float32Array.from({ length: W * N * T * K }, () => 5 + 3 * rng.next());
  const traces = Float32Array.from({ length: W * N * T }, () => 100 * rng.next());
  return {
    nodes: Array.from({ length: N }, (_, i) => `s${i}`),
    edges: [[], []],
    edgeDirection: 'callee->caller',
    T,
    metricNames: Array.from({ length: K }, (_, i) => `k${i}`),
    eventNum: 1,
    W,
    logs: new Float32Array(W * N),
    metrics,
    traces,
    labels: new Int32Array(W).fill(-1),
    meta: { start: new Float64Array(W), runId: [], episodeId: new Int32Array(W), faultType: [], episodeService: [] },
    normalization: 'none',
  };
}

describe('windows/normalize', () => {
  const W = 20;
  const N = 3;
  const T = 4;
  const K = 2;
  const train = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

  it('statistics depend only on the training windows', () => {
    const a = randomDataset(W, N, T, K, 1);
    const b = randomDataset(W, N, T, K, 1);
    // Change every test window of b wildly.
    for (let w = 10; w < W; w++) {
      for (let i = 0; i < N * T * K; i++) b.metrics[w * N * T * K + i] = 1e6 * (i + 1);
      for (let i = 0; i < N * T; i++) b.traces[w * N * T + i] = -1e6;
    }
    const sa = fitNormalization(a, train);
    const sb = fitNormalization(b, train);
    assert.deepEqual(sa, sb);
    assert.equal(sa.fittedOn, 10);
  });

  it('fits mean and population std per (service, KPI) and per service for latency', () => {
    const ds = randomDataset(2, 1, 2, 1, 3);
    ds.metrics.set([1, 3, 5, 7]); // windows 0 and 1, T=2
    ds.traces.set([0, 0, 10, 0]);
    const s = fitNormalization(ds, [0, 1]);
    assert.equal(s.metricMean[0], 4);
    assert.ok(Math.abs(s.metricStd[0]! - Math.sqrt(5)) < 1e-12);
    assert.equal(s.latencyMean[0], 2.5); // zero-padded slots count as values
    const only0 = fitNormalization(ds, [0]);
    assert.equal(only0.metricMean[0], 2);
  });

  it('train-fitted normalisation gives training windows mean 0 and std 1, and refuses twice', () => {
    const ds = randomDataset(W, N, T, K, 2);
    normalizeTrainFitted(ds, train);
    assert.equal(ds.normalization, 'train-fitted');
    const again = fitNormalization(ds, train);
    for (const m of again.metricMean) assert.ok(Math.abs(m) < 1e-5);
    for (const s of again.metricStd) assert.ok(Math.abs(s - 1) < 1e-4);
    for (const m of again.latencyMean) assert.ok(Math.abs(m) < 1e-5);
    assert.throws(() => normalizeTrainFitted(ds, train), /already normalised/);
  });

  it('a constant (missing-modality) series maps to 0, not NaN', () => {
    const ds = randomDataset(4, 1, 2, 1, 4);
    ds.metrics.fill(0);
    ds.traces.fill(0);
    applyNormalization(ds, fitNormalization(ds, [0, 1]));
    assert.ok(ds.metrics.every((v) => v === 0));
    assert.ok(ds.traces.every((v) => v === 0));
  });

  it('reference-per-run: KPIs over the whole run series, latency over all windows of the run', () => {
    const series = { N: 1, S: 4, K: 1, metrics: Float32Array.from([1, 2, 3, 4]) } as unknown as RunSeries;
    zScoreRunMetrics(series);
    const sd = Math.sqrt(1.25);
    assert.deepEqual(Array.from(series.metrics, (v) => Number(v.toFixed(5))), [-1.5, -0.5, 0.5, 1.5].map((x) => Number((x / sd).toFixed(5))));
    // Two runs' windows in one tensor: only [from, to) is touched.
    const traces = Float32Array.from([2, 4, 6, 8, 100, 100]);
    zScoreRunLatencyWindows(traces, 0, 2, 1, 2);
    assert.ok(Math.abs(traces[0]! + 1.3416) < 1e-3);
    assert.deepEqual(Array.from(traces.subarray(4)), [100, 100]);
  });
});
