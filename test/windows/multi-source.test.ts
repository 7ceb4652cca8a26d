/** The early-fused multi-source series (src/windows/multi-source.ts): channel layout, placement, train-only scaling, absent sources. */
import { strict as assert } from 'node:assert';
import { countLogEvents } from '../../src/features/log-counts.js';
import { fitMultiSourceLayout, multiSourceTensor } from '../../src/windows/multi-source.js';
import type { WindowDataset } from '../../src/windows/types.js';

/**
 * W = 4 windows of N = 2 services, T = 2 s, K = 2 KPIs (the second is 0 everywhere), E = 3 templates
 * (template 2 is only ever logged in window 3, a test window). KPI 0 of (w, n, t) = 10w + n + t;
 * latency of (w, n, t) = 100 + w when n = 1, else 0.
 */
function dataset(withLogs = true): WindowDataset {
  const W = 4, N = 2, T = 2, K = 2, E = 3;
  const metrics = new Float32Array(W * N * T * K);
  const traces = new Float32Array(W * N * T);
  for (let w = 0; w < W; w++) for (let n = 0; n < N; n++) for (let t = 0; t < T; t++) {
    metrics[((w * N + n) * T + t) * K] = 10 * w + n + t;
    if (n === 1) traces[(w * N + n) * T + t] = 100 + w;
  }
  const ev = (pairs: [number, number][]) => ({ times: Float64Array.from(pairs.map((p) => p[0])), types: Int32Array.from(pairs.map((p) => p[1])) });
  // Windows start at 0, 10, 20, 30. Service 0 logs template 1 once in second 1 of windows 0-2; service 1
  // logs template 0 twice in second 0 of window 1; template 2 in window 3 only.
  const logCounts = countLogEvents([{
    windowStarts: Float64Array.from([0, 10, 20, 30]),
    perService: [ev([[1.5, 1], [11.5, 1], [21.5, 1], [30.2, 2]]), ev([[10.1, 0], [10.2, 0]])],
  }], T, E);
  return {
    nodes: ['a', 'b'], edges: [[], []], edgeDirection: 'callee->caller', T, metricNames: ['cpu', 'idle'], eventNum: E, W,
    logs: new Float32Array(W * N * E), metrics, traces, labels: Int32Array.from([-1, 0, -1, 1]),
    meta: { start: Float64Array.from([0, 10, 20, 30]), runId: ['r', 'r', 'r', 'r'], episodeId: new Int32Array(W), faultType: ['', 'x', '', 'x'], episodeService: ['a', 'a', 'a', 'a'] },
    normalization: 'none',
    ...(withLogs ? { logCounts } : {}),
  };
}

describe('windows/multi-source', () => {
  const train = [0, 1, 2];

  it('keeps KPIs, templates seen in training and latency as channels, and reports what it dropped', () => {
    const layout = fitMultiSourceLayout(dataset(), train);
    assert.deepEqual(layout.channels.map((c) => `${c.source}:${c.name}`), ['kpi:cpu', 'log:template 0', 'log:template 1', 'latency:latency_ms']);
    assert.equal(layout.C, 4);
    assert.equal(layout.logChannelOf[2], -1, 'template 2 never occurs in training');
    assert.deepEqual(layout.absent, ['kpis: 1 of 2 columns are 0 in every training window (idle)']);
  });

  it('z-scores every (service, channel) with training statistics only, and places values at (n, t, c)', () => {
    const ds = dataset();
    const layout = fitMultiSourceLayout(ds, train);
    const x = multiSourceTensor(ds, layout, [0, 1, 2, 3]);
    const { N, T, C } = layout;
    const at = (b: number, n: number, t: number, c: number): number => x[((b * N + n) * T + t) * C + c]!;
    // Over the training windows, each (service, channel) has mean 0 and std 1, or is constant 0.
    for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
      const v = train.flatMap((_, b) => [at(b, n, 0, c), at(b, n, 1, c)]);
      const mean = v.reduce((a, y) => a + y, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, y) => a + (y - mean) ** 2, 0) / v.length);
      assert.ok(Math.abs(mean) < 1e-5, `mean of (${n}, ${c}) = ${mean}`);
      assert.ok(Math.abs(sd - 1) < 1e-4 || sd < 1e-6, `sd of (${n}, ${c}) = ${sd}`);
    }
    // KPI of service 0: values 0,1,10,11,20,21 in training: mean 10.5, population sd sqrt(70.25 + 16.67)...
    const kpi = [0, 1, 10, 11, 20, 21];
    const m = kpi.reduce((a, y) => a + y, 0) / 6;
    const sd = Math.sqrt(kpi.reduce((a, y) => a + (y - m) ** 2, 0) / 6);
    assert.ok(Math.abs(at(3, 0, 1, 0) - (31 - m) / sd) < 1e-5, 'the test window is scaled by the training statistics');
    // Template 0 of service 1: 2 lines in second 0 of window 1 only -> that cell is the largest.
    assert.ok(at(1, 1, 0, 1) > 0 && at(0, 1, 0, 1) < 0);
    // Latency of service 0 is 0 everywhere: constant -> 0.
    assert.equal(at(3, 0, 0, 3), 0);
  });

  it('runs without log counts, reporting the source as absent', () => {
    const layout = fitMultiSourceLayout(dataset(false), train);
    assert.deepEqual(layout.channels.map((c) => c.source), ['kpi', 'latency']);
    assert.ok(layout.absent.some((a) => a.startsWith('logs: the window set keeps no per-second log counts')));
  });

  it('refuses an empty training split and out-of-range windows by name', () => {
    assert.throws(() => fitMultiSourceLayout(dataset(), []), /split\.train/);
    const layout = fitMultiSourceLayout(dataset(), train);
    assert.throws(() => multiSourceTensor(dataset(), layout, [4]), (e: Error) => /field: windows/.test(e.message) && /\[0, 4\)/.test(e.message));
  });
});
