/** The localizers' input (src/baselines/localizers/window-series.ts): series put back together from overlapping windows, the access matrix, the frontend. */
import { strict as assert } from 'node:assert';
import { WindowSeries, accessMatrix, chooseFrontend, graphRoots } from '../../../src/baselines/localizers/window-series.js';
import type { WindowDataset } from '../../../src/windows/types.js';

/**
 * One run of 3 services, windows of T = 4 s every 2 s from second 100 (windows at 100, 102, 104, 106:
 * seconds 100..109); a second run 'r2' with one window at 500. Latency of service n in second s:
 * s − 100 + 10n, except service 2, which has a span only in even seconds (0 otherwise). KPI 'cpu' = s.
 */
function dataset(): WindowDataset {
  const N = 3, T = 4;
  const starts = [100, 102, 104, 106, 500];
  const runs = ['r1', 'r1', 'r1', 'r1', 'r2'];
  const W = starts.length;
  const traces = new Float32Array(W * N * T);
  const metrics = new Float32Array(W * N * T);
  starts.forEach((start, w) => {
    for (let n = 0; n < N; n++) for (let t = 0; t < T; t++) {
      const s = start + t;
      traces[(w * N + n) * T + t] = n === 2 && s % 2 === 1 ? 0 : s - 100 + 10 * n;
      metrics[(w * N + n) * T + t] = s;
    }
  });
  return {
    nodes: ['front', 'mid', 'db'],
    // callee -> caller, as the paper variant stores them: mid -> front, db -> mid, plus a self-loop.
    edges: [[1, 2, 0], [0, 1, 0]], edgeDirection: 'callee->caller', T, metricNames: ['cpu'], eventNum: 1, W,
    logs: new Float32Array(W * N), metrics, traces, labels: new Int32Array(W).fill(-1),
    meta: { start: Float64Array.from(starts), runId: runs, episodeId: new Int32Array(W), faultType: runs.map(() => ''), episodeService: runs.map(() => '') },
    normalization: 'none',
  };
}

describe('baselines/localizers window-series', () => {
  it('puts a run back together from its overlapping windows, over at most H seconds ending with the window', () => {
    const ds = dataset();
    const s = new WindowSeries(ds, { historySeconds: 6, fill: 'zero' });
    // Window 3 covers 106..109; H = 6: seconds 104..109.
    assert.deepEqual(Array.from(s.seriesOf(3)[1]!), [14, 15, 16, 17, 18, 19]);
    // Window 1 ends at 106: only 100..105 exist in the run (6 seconds, H not reached before 100).
    assert.deepEqual(Array.from(s.seriesOf(1)[0]!), [0, 1, 2, 3, 4, 5]);
    // Window 0: the run starts there, so the series is the window alone.
    assert.equal(s.seriesOf(0)[0]!.length, 4);
    // Another run is never mixed in.
    assert.deepEqual(Array.from(s.seriesOf(4)[0]!), [400, 401, 402, 403]);
  });

  it("fills seconds without a span with the last latency ('previous', the default) or keeps 0", () => {
    const ds = dataset();
    assert.deepEqual(Array.from(new WindowSeries(ds, { historySeconds: 6, fill: 'zero' }).seriesOf(3)[2]!), [24, 0, 26, 0, 28, 0]);
    assert.deepEqual(Array.from(new WindowSeries(ds, { historySeconds: 6 }).seriesOf(3)[2]!), [24, 24, 26, 26, 28, 28]);
    // A KPI series is taken as it is.
    assert.deepEqual(Array.from(new WindowSeries(ds, { historySeconds: 3, channel: 'cpu' }).seriesOf(3)[2]!), [107, 108, 109]);
  });

  it('builds the caller -> callee access matrix without self-loops, finds the roots and the frontend', () => {
    const ds = dataset();
    const access = accessMatrix(ds);
    assert.deepEqual(access, [[0, 1, 0], [0, 0, 1], [0, 0, 0]]);
    assert.deepEqual(graphRoots(access), [0]);
    assert.deepEqual(chooseFrontend(ds, access), { frontend: 0, rule: 'the only root of the graph' });
    assert.deepEqual(chooseFrontend(ds, access, 'mid'), { frontend: 1, rule: 'given' });
    assert.throws(() => chooseFrontend(ds, access, 'nginx'), /field: method\.params\.frontend[\s\S]*front \| mid \| db/);
    // Two roots, one of them an official entry: that one.
    const two = { nodes: ['a', 'nginx-web-server', 'c'] };
    assert.equal(chooseFrontend(two, [[0, 0, 1], [0, 0, 1], [0, 0, 0]]).frontend, 1);
  });

  it('refuses an unknown channel and a history shorter than 3 s by name', () => {
    assert.throws(() => new WindowSeries(dataset(), { channel: 'mem' }), /field: method\.params\.channel[\s\S]*latency \| cpu/);
    assert.throws(() => new WindowSeries(dataset(), { historySeconds: 2 }), /field: method\.params\.historySeconds/);
  });
});
