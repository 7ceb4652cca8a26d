import { strict as assert } from 'node:assert';
import { ServiceIndex, SpanSeriesAccumulator, buildRunSeries, gridMetricTable } from '../../src/features/series.js';
import type { MetricTable } from '../../src/raw/types.js';

describe('features/series', () => {
  it('mean latency (ms) of spans served, request and error counts per second, zero-padded', () => {
    const idx = new ServiceIndex();
    const acc = new SpanSeriesAccumulator();
    const a = idx.intern('a');
    const b = idx.intern('b');
    // Second 100: a serves 2 spans of 10 and 30 ms (one error); second 102: a serves 1 of 5 ms.
    acc.addSpan(a, 100.2, 10, false);
    acc.addSpan(a, 100.9, 30, true);
    acc.addSpan(a, 102.0, 5, false);
    acc.addSpan(b, 101.5, 7, true);
    const s = buildRunSeries(['a', 'b', 'c'], idx, acc, [], ['cpu'], 100, 4);
    assert.deepEqual(Array.from(s.latencyMs.subarray(0, 4)), [20, 0, 5, 0]);
    assert.deepEqual(Array.from(s.requests.subarray(0, 4)), [2, 0, 1, 0]);
    assert.deepEqual(Array.from(s.errors.subarray(0, 4)), [1, 0, 0, 0]);
    assert.deepEqual(Array.from(s.latencyMs.subarray(4, 8)), [0, 7, 0, 0]);
    assert.deepEqual(Array.from(s.errors.subarray(4, 8)), [0, 1, 0, 0]);
    // c has no spans at all: zeros and mask 0.
    assert.deepEqual(Array.from(s.latencyMs.subarray(8, 12)), [0, 0, 0, 0]);
    assert.deepEqual(Array.from(s.hasSpans), [1, 1, 0]);
    assert.equal(s.spansOutsideRange, 0);
    // Seconds with a span somewhere: those with requests in the series; only the nodes asked for count.
    assert.deepEqual(Array.from(acc.secondsWithSpans(100, 4, Int32Array.from([a, b, -1]))), [1, 1, 1, 0]);
    assert.deepEqual(Array.from(acc.secondsWithSpans(100, 4, Int32Array.from([-1, b, -1]))), [0, 1, 0, 0]);
    assert.deepEqual(Array.from(acc.secondsWithSpans(101, 2, Int32Array.from([a, b]))), [1, 1], 'a window of the grid');
  });

  it('covers spans before and after the first one and counts spans outside the requested range', () => {
    const idx = new ServiceIndex();
    const acc = new SpanSeriesAccumulator();
    const a = idx.intern('a');
    acc.addSpan(a, 50_000, 1, false);
    acc.addSpan(a, 40_000, 2, false); // earlier than the first span
    acc.addSpan(a, 70_000.5, 3, false); // later
    assert.equal(acc.minSecond, 40_000);
    assert.equal(acc.maxSecond, 70_000);
    const s = buildRunSeries(['a'], idx, acc, [], [], 40_000, 10);
    assert.equal(s.latencyMs[0], 2);
    assert.equal(s.spansOutsideRange, 2);
    const all = buildRunSeries(['a'], idx, acc, [], [], 40_000, 30_001);
    assert.equal(all.latencyMs[10_000], 1);
    assert.equal(all.latencyMs[30_000], 3);
    assert.equal(all.spansOutsideRange, 0);
    // A stray timestamp decades away is one more counted span outside, not a giant allocation.
    acc.addSpan(a, 4_102_444_800, 9, false); // year 2100
    assert.equal(buildRunSeries(['a'], idx, acc, [], [], 40_000, 30_001).spansOutsideRange, 1);
  });

  it('puts metric tables on the grid, filling gaps and non-finite values (counted)', () => {
    const table: MetricTable = {
      service: 'a',
      timestamps: Float64Array.from([11, 12, 14]),
      columns: { cpu: Float64Array.from([1, 2, 4]), mem: Float64Array.from([10, NaN, 40]) },
    };
    const out = new Float32Array(6 * 2);
    const filled = gridMetricTable(table, ['cpu', 'mem'], 10, 6, out, 0);
    // [S=6, K=2]; second 10 back-filled from 11; 13 and 15 forward-filled; mem at 12 is NaN -> 10.
    assert.deepEqual(Array.from(out), [1, 10, 1, 10, 2, 10, 2, 10, 4, 40, 4, 40]);
    assert.equal(filled, 3 + 4);
  });

  it('gives a service without a metric table zeros and mask 0', () => {
    const idx = new ServiceIndex();
    const table: MetricTable = { service: 'b', timestamps: Float64Array.from([0, 1]), columns: { cpu: Float64Array.from([3, 5]) } };
    const s = buildRunSeries(['a', 'b'], idx, new SpanSeriesAccumulator(), [table], ['cpu'], 0, 2);
    assert.deepEqual(Array.from(s.hasMetrics), [0, 1]);
    assert.deepEqual(Array.from(s.metrics), [0, 0, 3, 5]);
    assert.equal(s.filledMetricValues, 0);
  });
});
