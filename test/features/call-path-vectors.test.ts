/**
 * TraceAnomaly's call-path vectors on a hand-built trace set: columns are the paths with a positive
 * training duration, scaled by the mean and max(1, std) of their positive training entries, absent = −1,
 * a repeated path averaged; paths unseen in training are counted, not given a column.
 */
import { strict as assert } from 'node:assert';
import { callPathVectors, fitCallPathVectorizer, unseenPathCounts } from '../../src/features/call-path-vectors.js';
import type { TraceSet } from '../../src/features/trace-records.js';

/** Traces as lists of [pathId, durationUs]; one label per path (unused here). */
function traceSet(traces: [number, number][][], paths: number): TraceSet {
  const spans = traces.flat();
  const spanOffsets = new Int32Array(traces.length + 1);
  traces.forEach((t, i) => (spanOffsets[i + 1] = spanOffsets[i]! + t.length));
  return {
    labels: Array.from({ length: paths }, (_, i) => `s${i}:op`),
    callPaths: Array.from({ length: paths }, (_, i) => `p${i}`),
    start: Float64Array.from(traces, (_, i) => i),
    spanOffsets,
    spanLabel: Int32Array.from(spans, ([p]) => p),
    spanPath: Int32Array.from(spans, ([p]) => p),
    spanDurationUs: Float32Array.from(spans, ([, d]) => d),
    spanError: new Uint8Array(spans.length),
    windowOffsets: Int32Array.from([0, traces.length]),
    windowTraces: Int32Array.from(traces, (_, i) => i),
  };
}

describe('features/call-path-vectors', () => {
  // Path 0 in every trace (100, 300, 200 µs); path 1 twice in trace 0 (10 and 30 → mean 20) and once
  // in trace 1 (20); path 2 only with duration 0 in training; path 3 only in the test trace.
  const ts = traceSet(
    [
      [[0, 100], [1, 10], [1, 30]],
      [[0, 300], [1, 20], [2, 0]],
      [[0, 200]],
      [[0, 400], [3, 50], [1, 20]],
    ],
    4,
  );
  const train = [0, 1, 2];

  it('keeps the paths with a positive training duration and scales them by the positive entries', () => {
    const v = fitCallPathVectorizer(ts, train);
    assert.deepEqual(Array.from(v.paths), [0, 1], 'path 2 is never > 0 in training; path 3 is not in training');
    assert.equal(v.mean[0], 200);
    assert.ok(Math.abs(v.scale[0]! - Math.sqrt(20000 / 3)) < 1e-3, 'population std of 100, 300, 200');
    assert.equal(v.mean[1], 20, 'the repeated path of trace 0 counts once, as its mean (20)');
    assert.equal(v.scale[1], 1, 'std 0 is floored at 1');
    assert.equal(v.fittedOn, 3);
  });

  it('writes scaled values and −1 where the path is absent; unseen paths are counted', () => {
    const v = fitCallPathVectorizer(ts, train);
    const x = callPathVectors(ts, v, [2, 3]);
    const s0 = Math.sqrt(20000 / 3);
    assert.equal(x.length, 4);
    assert.ok(Math.abs(x[0]! - 0) < 1e-6);
    assert.equal(x[1], -1, 'trace 2 has no span on path 1');
    assert.ok(Math.abs(x[2]! - 200 / s0) < 1e-5);
    assert.equal(x[3], 0);
    assert.deepEqual(Array.from(unseenPathCounts(ts, v, [0, 1, 3])), [0, 1, 1], 'path 2 (no column) and path 3 (unseen)');
  });

  it('refuses to fit on no traces, naming what it needs', () => {
    assert.throws(() => fitCallPathVectorizer(ts, []), /No training traces[\s\S]*normal training windows/);
  });
});
