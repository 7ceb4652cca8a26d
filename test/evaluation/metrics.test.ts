import { strict as assert } from 'node:assert';
import {
  averagePrecision,
  computeMetrics,
  confusionCounts,
  detectionFromCounts,
  localizationMetrics,
  referenceMetrics,
  type ScoredWindows,
} from '../../src/evaluation/metrics.js';

const close = (a: number | null | undefined, b: number, msg?: string): void => {
  assert.ok(a !== null && a !== undefined, `${msg ?? 'value'} is null`);
  assert.ok(Math.abs(a - b) < 1e-12, `${msg ?? 'value'}: ${a} != ${b}`);
};

// Eight windows over N = 4 nodes, computed by hand:
// idx  label  flagged  ranking     true rank
//  0     0      yes    0 1 2 3     1
//  1     1      yes    0 2 1 3     3
//  2     2      no     2 0 1 3     1  (missed by the detector)
//  3    -1      yes    -           false alarm
//  4-6  -1      no     -           true negatives
//  7     3      no     0 1 2 3     4  (missed)
const handCase: ScoredWindows = {
  labels: [0, 1, 2, -1, -1, -1, -1, 3],
  anomalyScore: null,
  predictedAnomalous: [1, 1, 0, 1, 0, 0, 0, 0],
  ranking: [[0, 1, 2, 3], [0, 2, 1, 3], [2, 0, 1, 3], [0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3]],
};

describe('evaluation/metrics', () => {
  it('counts a confusion matrix with true negatives', () => {
    assert.deepEqual(confusionCounts(handCase.labels, handCase.predictedAnomalous), { tp: 2, fp: 1, fn: 2, tn: 3 });
  });

  it('detection metrics match the hand computation', () => {
    const m = detectionFromCounts({ tp: 2, fp: 1, fn: 2, tn: 3 });
    close(m['det.precision'], 2 / 3, 'precision');
    close(m['det.recall'], 1 / 2, 'recall');
    close(m['det.f1'], 4 / 7, 'F1');
    close(m['det.accuracy'], 5 / 8, 'accuracy');
    close(m['det.mcc'], (2 * 3 - 1 * 2) / Math.sqrt(3 * 4 * 4 * 5), 'MCC');
    close(m['det.for'], 2 / 5, 'FOR = FN/(FN+TN)');
    close(m['det.fpr'], 1 / 4, 'FPR (paper "FDR") = FP/(FP+TN)');
    close(m['det.fdr'], 1 / 3, 'true FDR = FP/(FP+TP)');
    close(m['det.prevalence'], 4 / 8, 'prevalence');
  });

  it('HR@k and NDCG@k over faulty windows, oracle and end-to-end', () => {
    const m = localizationMetrics(handCase);
    assert.equal(m['loc.faultyWindows'], 4);
    close(m['loc.oracle.hr@1'], 2 / 4);
    close(m['loc.oracle.hr@3'], 3 / 4);
    close(m['loc.oracle.hr@5'], 4 / 4);
    close(m['loc.e2e.hr@1'], 1 / 4);
    close(m['loc.e2e.hr@3'], 2 / 4);
    close(m['loc.e2e.hr@5'], 2 / 4);
    close(m['loc.oracle.ndcg@3'], (1 + 1 / Math.log2(4) + 1) / 4);
    close(m['loc.oracle.ndcg@5'], (1 + 1 / Math.log2(4) + 1 + 1 / Math.log2(5)) / 4);
    close(m['loc.e2e.ndcg@3'], (1 + 1 / Math.log2(4)) / 4);
    close(m['loc.e2e.ndcg@5'], (1 + 1 / Math.log2(4)) / 4);
  });

  it("reproduces the official code's formulas, quirks included", () => {
    const r = referenceMetrics(handCase);
    // Normal→normal (idx 4-6) counted as TP, plus 2 detected faults: TP 5, FP 1, FN 2, pos = 7.
    assert.equal(r['ref.tp'], 5);
    assert.equal(r['ref.fp'], 1);
    assert.equal(r['ref.fn'], 2);
    close(r['ref.f1'], 10 / 13, 'ref F1 = 2TP/(TP+FP+pos)');
    close(r['ref.recall'], 5 / 7);
    close(r['ref.precision'], 5 / 6);
    close(r['ref.hr@1'], 1 / 7, 'hits from detected faults over TP+FN');
    close(r['ref.hr@3'], 2 / 7);
    close(r['ref.ndcg@3'], (1 + 0.5) / 7);
  });

  it('more false alarms RAISE the reference HR@k but not ours', () => {
    // 5 normal and 5 faulty windows; every fault detected and its culprit ranked first.
    const labels = [-1, -1, -1, -1, -1, 0, 1, 2, 0, 1];
    const ranking = labels.map((l) => (l >= 0 ? [l, ...[0, 1, 2].filter((x) => x !== l)] : [0, 1, 2]));
    const quiet = { labels, anomalyScore: null, predictedAnomalous: labels.map((l) => l >= 0), ranking };
    const alarmist = { ...quiet, predictedAnomalous: labels.map(() => true) };
    const q = computeMetrics(quiet);
    const a = computeMetrics(alarmist);
    close(q['ref.hr@1'], 5 / 10, 'quiet detector: capped by correctly quiet normals in the denominator');
    close(a['ref.hr@1'], 5 / 5, 'alarmist detector: perfect reference HR@1');
    // Ours: localization unchanged, detection shows the false alarms.
    close(q['loc.e2e.hr@1'], 1);
    close(a['loc.e2e.hr@1'], 1);
    close(q['det.fpr'], 0);
    close(a['det.fpr'], 1);
    close(a['det.precision'], 0.5);
    assert.ok((a['ref.hr@1'] as number) > (q['ref.hr@1'] as number));
  });

  it('average precision from scores: hand case and ties', () => {
    // Ranked by score: pos, neg, pos, neg → AP = 1·(1/2) + (2/3)·(1/2).
    close(averagePrecision([0, -1, 1, -1], [0.9, 0.8, 0.7, 0.6]), 0.5 + 1 / 3);
    // All scores tied: one threshold, AP = prevalence.
    close(averagePrecision([0, -1, 1, -1, -1], [1, 1, 1, 1, 1]), 2 / 5);
    // Perfect separation.
    close(averagePrecision([-1, 0, -1, 2], [0.1, 0.9, 0.2, 0.8]), 1);
  });

  it('degenerate cases give null, never a fake 0 or 1', () => {
    // No faulty window at all.
    const noPos = computeMetrics({ labels: [-1, -1, -1], anomalyScore: [0.1, 0.2, 0.3], predictedAnomalous: [0, 1, 0], ranking: [[0], [0], [0]] });
    assert.equal(noPos['det.recall'], null);
    assert.equal(noPos['det.mcc'], null);
    assert.equal(noPos['det.prAuc'], null);
    assert.equal(noPos['loc.oracle.hr@1'], null);
    assert.equal(noPos['loc.e2e.ndcg@3'], null);
    assert.equal(noPos['det.for'], 0, 'FOR is defined (2 windows predicted normal, none faulty)');
    close(noPos['det.fpr'], 1 / 3);
    // Nothing flagged while faults exist: precision undefined, F1 defined as 0, MCC undefined.
    const silent = computeMetrics({ labels: [0, -1], anomalyScore: null, predictedAnomalous: [0, 0], ranking: null });
    assert.equal(silent['det.precision'], null);
    assert.equal(silent['det.f1'], 0);
    assert.equal(silent['det.mcc'], null);
    assert.equal(silent['det.fdr'], null);
    assert.equal(silent['det.prAuc'], null, 'no scores given');
    assert.equal(silent['loc.oracle.hr@1'], 0, 'no ranking: the culprit is never found');
    // Empty test set.
    const empty = computeMetrics({ labels: [], anomalyScore: [], predictedAnomalous: [], ranking: [] });
    for (const k of ['det.precision', 'det.recall', 'det.f1', 'det.accuracy', 'det.for', 'det.fpr', 'loc.e2e.hr@1']) assert.equal(empty[k], null, k);
    // The reference's own guards return 0 for F1/Rec/Pre; its HR@k divides unguarded: we give null.
    assert.equal(empty['ref.f1'], 0);
    assert.equal(empty['ref.hr@1'], null);
  });

  it('records the caller-measured inference time and rejects misaligned inputs', () => {
    assert.equal(computeMetrics(handCase, 73.5)['inferUsPerWindow'], 73.5);
    assert.equal(computeMetrics(handCase)['inferUsPerWindow'], null);
    assert.throws(() => confusionCounts([0, 1], [1]), /2 labels but 1 predictions/);
  });
});
