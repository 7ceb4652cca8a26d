/** The window rule of the trace detectors: share and max scores, windows without traces, the F1-best threshold. */
import { strict as assert } from 'node:assert';
import { chooseWindowThreshold, windowScores, type TraceJudgement } from '../../src/baselines/trace-window-rule.js';
import type { TraceSet } from '../../src/features/trace-records.js';

/** Window w holds the listed trace ids. */
function windowsOf(members: number[][]): TraceSet {
  const offsets = [0];
  for (const m of members) offsets.push(offsets[offsets.length - 1]! + m.length);
  const n = Math.max(0, ...members.flat()) + 1;
  return {
    labels: [],
    callPaths: [],
    start: new Float64Array(n),
    spanOffsets: new Int32Array(n + 1),
    spanLabel: new Int32Array(0),
    spanPath: new Int32Array(0),
    spanDurationUs: new Float32Array(0),
    spanError: new Uint8Array(0),
    windowOffsets: Int32Array.from(offsets),
    windowTraces: Int32Array.from(members.flat()),
  };
}

describe('baselines/trace-window-rule', () => {
  const ts = windowsOf([[0, 1, 2, 3], [2, 3], [], [4]]);
  const judged: TraceJudgement = { score: new Map([[0, 0.1], [1, 0.2], [2, 5], [3, 0.3], [4, -1]]), anomalous: new Set([2]) };

  it("'share' is the share of anomalous traces; 'max' the top trace score; empty windows score 0 or the lowest score", () => {
    const share = windowScores(ts, judged, [0, 1, 2, 3], 'share');
    assert.deepEqual(Array.from(share.score), [0.25, 0.5, 0, 0]);
    assert.equal(share.withoutTraces, 1);
    const max = windowScores(ts, judged, [0, 1, 2, 3], 'max');
    assert.deepEqual(Array.from(max.score), [5, 5, -1, -1]);
  });

  it('traces that were not judged do not count', () => {
    const partial: TraceJudgement = { score: new Map([[0, 1]]), anomalous: new Set([0]) };
    assert.deepEqual(Array.from(windowScores(ts, partial, [0, 1], 'share').score), [1, 0]);
  });

  it('chooses the threshold with the best selection F1 (flag score >= threshold)', () => {
    // Faulty windows score 0.6 and 0.9, normal ones 0.1, 0.2 and 0.7: threshold 0.6 (F1 0.8) beats 0.9 (0.667) and 0.1 (0.571).
    const pick = chooseWindowThreshold([0.1, 0.6, 0.2, 0.9, 0.7], [-1, 2, -1, 0, -1]);
    assert.equal(pick.threshold, 0.6);
    assert.ok(Math.abs(pick.selectionF1! - 0.8) < 1e-12);
    assert.equal(pick.candidates, 6, 'the 5 distinct scores and +Infinity (flag nothing)');
    // No faulty selection window: F1 undefined for every candidate, nothing is chosen, nothing flagged.
    assert.equal(chooseWindowThreshold([0.1, 0.2], [-1, -1]).threshold, Number.POSITIVE_INFINITY);
  });
});
