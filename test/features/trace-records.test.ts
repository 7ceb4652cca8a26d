/**
 * Whole traces for the trace detectors: span order, labels and call paths of hand-built traces, their
 * layout by window (overlapping windows, traces outside every window), and the traces of a window list.
 */
import { strict as assert } from 'node:assert';
import { TraceVocabularies, assembleTraceSet, compactTrace, tracesOfWindows, type TraceSet } from '../../src/features/trace-records.js';
import type { SpanRecord } from '../../src/raw/types.js';

/** A span of trace `traceId` starting `startMs` ms after t = 1000 s. */
export function span(traceId: string, spanId: string, parent: string | null, service: string, operation: string, startMs: number, durationMs: number, error = false): SpanRecord {
  return { traceId, spanId, parentSpanId: parent, service, operation, startUs: 1000e6 + startMs * 1000, durationUs: durationMs * 1000, error, statusCode: error ? 500 : 200 };
}

describe('features/trace-records', () => {
  it('orders spans by start, labels them service:operation and gives each its call path from the root', () => {
    const vocab = new TraceVocabularies();
    // Root A calls C (starts first) and B; B calls D; E's parent is not in the trace (an orphan).
    const t = compactTrace([
      span('t1', 'a', null, 'front', 'GET /', 0, 50),
      span('t1', 'b', 'a', 'orders', 'list', 20, 10),
      span('t1', 'c', 'a', 'users', 'auth', 5, 5),
      span('t1', 'd', 'b', 'db', 'query', 22, 3, true),
      span('t1', 'e', 'zz', 'cache', 'get', 30, 1),
    ], vocab);
    const labels = Array.from(t.labels, (i) => vocab.labels.names[i]);
    assert.deepEqual(labels, ['front:GET /', 'users:auth', 'orders:list', 'db:query', 'cache:get']);
    assert.deepEqual(Array.from(t.paths, (i) => vocab.callPaths.names[i]), [
      'front:GET /',
      'front:GET / > users:auth',
      'front:GET / > orders:list',
      'front:GET / > orders:list > db:query',
      'cache:get',
    ]);
    assert.deepEqual(Array.from(t.durationsUs), [50_000, 5_000, 10_000, 3_000, 1_000]);
    assert.deepEqual(Array.from(t.errors), [0, 0, 0, 1, 0]);
    assert.equal(t.startUs, 1000e6);
    // A second trace through the same path reuses its id.
    const u = compactTrace([span('t2', 'x', null, 'front', 'GET /', 100, 40), span('t2', 'y', 'x', 'users', 'auth', 101, 4)], vocab);
    assert.deepEqual(Array.from(u.paths), [t.paths[0], t.paths[1]]);
    assert.equal(vocab.callPaths.names.length, 5);
  });

  it('a parent cycle in malformed data ends the chain instead of looping', () => {
    const vocab = new TraceVocabularies();
    const t = compactTrace([span('t', 'a', 'b', 's1', 'op', 0, 1), span('t', 'b', 'a', 's2', 'op', 1, 1)], vocab);
    // a's chain climbs to b and stops where b's parent (a) repeats; b's own chain is then just b.
    assert.deepEqual(Array.from(t.paths, (i) => vocab.callPaths.names[i]), ['s2:op > s1:op', 's2:op']);
  });

  it('lays traces out by window: overlapping windows share traces, traces outside every window are counted', () => {
    const vocab = new TraceVocabularies();
    const at = (id: string, sec: number): ReturnType<typeof compactTrace> => compactTrace([span(id, `${id}s`, null, 'front', 'GET /', sec * 1000, 10)], vocab);
    // Run 1: windows [1000, 1010) and [1005, 1015); traces at +1, +6, +12, +30 s (the last outside).
    // Run 2: one window [2000, 2010); traces at +1000 s (inside) and +1020 s (outside).
    const { traceSet, outsideWindows } = assembleTraceSet(
      [
        { traces: [at('c', 12), at('a', 1), at('b', 6), at('z', 30)], windowStarts: Float64Array.from([1000, 1005]) },
        { traces: [at('d', 1000), at('y', 1020)], windowStarts: Float64Array.from([2000]) },
      ],
      10,
      vocab,
    );
    assert.equal(outsideWindows, 2);
    assert.deepEqual(Array.from(traceSet.start), [1001, 1006, 1012, 2000]);
    const windowTraces = (w: number): number[] => Array.from(traceSet.windowTraces.subarray(traceSet.windowOffsets[w], traceSet.windowOffsets[w + 1]));
    assert.deepEqual(windowTraces(0), [0, 1]);
    assert.deepEqual(windowTraces(1), [1, 2]);
    assert.deepEqual(windowTraces(2), [3]);
    assert.deepEqual(Array.from(traceSet.spanOffsets), [0, 1, 2, 3, 4]);
    assert.deepEqual(tracesOfWindows(traceSet, [1, 0]), [0, 1, 2], 'each trace once, ascending');
  });

  it('an empty window has no traces; a set without windows keeps nothing', () => {
    const vocab = new TraceVocabularies();
    const { traceSet, outsideWindows } = assembleTraceSet([{ traces: [compactTrace([span('t', 's', null, 'a', 'b', 0, 1)], vocab)], windowStarts: new Float64Array(0) }], 10, vocab);
    assert.equal(outsideWindows, 1);
    const ts: TraceSet = traceSet;
    assert.equal(ts.start.length, 0);
    assert.deepEqual(Array.from(ts.windowOffsets), [0]);
  });
});
