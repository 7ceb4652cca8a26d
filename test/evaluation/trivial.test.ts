import { strict as assert } from 'node:assert';
import { computeMetrics } from '../../src/evaluation/metrics.js';
import { allAnomalousDecisions, allAnomalousLevels, chanceLocalizationLevels, randomHitRate, randomNdcg, randomRankings } from '../../src/evaluation/trivial.js';

describe('evaluation/trivial', () => {
  it('chance levels of random ranking match the notes: TT (N=27) and SN (N=12)', () => {
    assert.deepEqual([1, 3, 5].map((k) => randomHitRate(k, 27).toFixed(3)), ['0.037', '0.111', '0.185']);
    assert.deepEqual([1, 3, 5].map((k) => randomHitRate(k, 12).toFixed(3)), ['0.083', '0.250', '0.417']);
    assert.equal(randomHitRate(5, 3), 1);
    assert.ok(Math.abs(randomNdcg(3, 4) - (1 + 1 / Math.log2(3) + 0.5) / 4) < 1e-12);
  });

  it('seeded random rankings are permutations whose hit rates approach k/N', () => {
    const N = 12;
    const rankings = randomRankings(6000, N, 3);
    assert.deepEqual(randomRankings(5, N, 3), rankings.slice(0, 5), 'deterministic by seed');
    for (const r of rankings.slice(0, 50)) assert.deepEqual([...r].sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i));
    const labels = rankings.map((_, i) => i % N);
    const m = computeMetrics({ labels, anomalyScore: null, predictedAnomalous: labels.map(() => true), ranking: rankings });
    for (const k of [1, 3, 5]) {
      const sd = Math.sqrt((randomHitRate(k, N) * (1 - randomHitRate(k, N))) / 6000);
      assert.ok(Math.abs((m[`loc.e2e.hr@${k}`] as number) - randomHitRate(k, N)) < 4 * sd, `HR@${k}`);
    }
    assert.ok(Math.abs((m['loc.e2e.ndcg@5'] as number) - randomNdcg(5, N)) < 0.02);
    assert.deepEqual(Object.keys(chanceLocalizationLevels(N, [1, 3, 5], [3, 5])).length, 10);
  });

  it('the all-anomalous detector scores exactly its analytic levels', () => {
    // TT-like prevalence 0.84: F1 = 2p/(1+p) ≈ 0.913 (reference-code-notes §0.5 says about 0.91).
    const labels = [...Array.from({ length: 84 }, () => 0), ...Array.from({ length: 16 }, () => -1)];
    const d = allAnomalousDecisions(labels.length);
    const m = computeMetrics({ labels, anomalyScore: d.anomalyScore, predictedAnomalous: d.predictedAnomalous, ranking: null });
    const levels = allAnomalousLevels(0.84);
    for (const k of ['det.precision', 'det.recall', 'det.f1', 'det.fpr', 'det.for', 'det.mcc', 'det.prAuc', 'det.fdr']) {
      const want = levels[k];
      const got = m[k];
      if (want === null) assert.equal(got, null, k);
      else assert.ok(Math.abs((got as number) - want) < 1e-12, `${k}: ${got} vs ${want}`);
    }
    assert.equal((levels['det.f1'] as number).toFixed(3), '0.913');
  });
});
