import { strict as assert } from 'node:assert';
import { createRng } from '../../src/core/rng.js';
import { clusterBootstrapCI, pairedClusterBootstrapCI, quantileSorted } from '../../src/evaluation/bootstrap.js';

/** k clusters of m items; every item of cluster j carries the cluster's value v_j ~ N(0, 1). */
function clustered(k: number, m: number, seed: number): { ids: number[]; values: number[]; clusterValues: number[] } {
  const rng = createRng(seed);
  const ids: number[] = [];
  const values: number[] = [];
  const clusterValues: number[] = [];
  for (let j = 0; j < k; j++) {
    const v = rng.normal();
    clusterValues.push(v);
    for (let i = 0; i < m; i++) (ids.push(j), values.push(v));
  }
  return { ids, values, clusterValues };
}

const meanOf = (values: readonly number[]) => (idx: number[]): number => idx.reduce((a, i) => a + (values[i] as number), 0) / idx.length;

describe('evaluation/bootstrap', () => {
  it('mean of cluster means: CI width ≈ 2·1.96·sd/sqrt(k), centred on the estimate', () => {
    const k = 300;
    const { ids, values, clusterValues } = clustered(k, 4, 11);
    const mean = clusterValues.reduce((a, b) => a + b, 0) / k;
    const sd = Math.sqrt(clusterValues.reduce((a, b) => a + (b - mean) ** 2, 0) / (k - 1));
    const ci = clusterBootstrapCI(ids, meanOf(values), { seed: 1, resamples: 2000 });
    const expected = (2 * 1.96 * sd) / Math.sqrt(k);
    assert.ok(Math.abs(ci.estimate - mean) < 1e-12);
    assert.equal(ci.resamples, 2000);
    assert.ok(Math.abs(ci.hi - ci.lo - expected) / expected < 0.1, `width ${ci.hi - ci.lo} vs ${expected}`);
    assert.ok(Math.abs((ci.lo + ci.hi) / 2 - mean) < 0.2 * expected, 'interval roughly centred');
  });

  it('resamples clusters, not items: items within a cluster do not narrow the interval', () => {
    // Same cluster values with 1 vs 20 items each: a window-level bootstrap would shrink by sqrt(20).
    const one = clustered(100, 1, 5);
    const many = clustered(100, 20, 5);
    const w1 = clusterBootstrapCI(one.ids, meanOf(one.values), { seed: 2, resamples: 1500 });
    const w20 = clusterBootstrapCI(many.ids, meanOf(many.values), { seed: 2, resamples: 1500 });
    assert.ok(Math.abs((w20.hi - w20.lo) / (w1.hi - w1.lo) - 1) < 0.15);
  });

  it('degenerate single-value clusters give a zero-width interval', () => {
    const ids = [0, 0, 1, 1, 2, 3];
    const values = [0.7, 0.7, 0.7, 0.7, 0.7, 0.7];
    const ci = clusterBootstrapCI(ids, meanOf(values), { seed: 0, resamples: 500 });
    assert.ok(Math.abs(ci.estimate - 0.7) < 1e-12);
    assert.ok(Math.abs(ci.lo - 0.7) < 1e-12 && Math.abs(ci.hi - 0.7) < 1e-12);
  });

  it('is deterministic by seed; undefined resamples are left out and counted', () => {
    const { ids, values } = clustered(30, 3, 9);
    const a = clusterBootstrapCI(ids, meanOf(values), { seed: 4, resamples: 300 });
    assert.deepEqual(clusterBootstrapCI(ids, meanOf(values), { seed: 4, resamples: 300 }), a);
    assert.notDeepEqual(clusterBootstrapCI(ids, meanOf(values), { seed: 5, resamples: 300 }), a);
    // A statistic defined only when cluster 0 is drawn (like recall without faulty episodes).
    const onlyWith0 = (idx: number[]): number => (idx.some((i) => ids[i] === 0) ? 1 : NaN);
    const partial = clusterBootstrapCI(ids, onlyWith0, { seed: 4, resamples: 1000 });
    // P(cluster 0 drawn in 30 draws) = 1 − (29/30)^30 ≈ 0.638.
    assert.ok(partial.resamples > 560 && partial.resamples < 720, String(partial.resamples));
    assert.throws(() => clusterBootstrapCI(ids, onlyWith0, { seed: 0, confidence: 1.5 }), /confidence/);
  });

  it('paired bootstrap: a constant difference has a zero-width interval; shared noise cancels', () => {
    const { ids, values } = clustered(50, 3, 3);
    const shifted = values.map((v) => v + 0.1);
    const p = pairedClusterBootstrapCI(ids, meanOf(shifted), meanOf(values), { seed: 1, resamples: 500 });
    assert.ok(Math.abs(p.estimate - 0.1) < 1e-12);
    assert.ok(Math.abs(p.lo - 0.1) < 1e-9 && Math.abs(p.hi - 0.1) < 1e-9);
    assert.equal(p.fractionAboveZero, 1);
    // Unpaired, the two intervals overlap widely; paired, the difference is clearly positive.
    const a = clusterBootstrapCI(ids, meanOf(shifted), { seed: 1, resamples: 500 });
    const b = clusterBootstrapCI(ids, meanOf(values), { seed: 1, resamples: 500 });
    assert.ok(a.lo < b.hi, 'separate intervals overlap');
  });

  it('quantiles interpolate linearly', () => {
    assert.equal(quantileSorted([1, 2, 3, 4, 5], 0.5), 3);
    assert.equal(quantileSorted([0, 10], 0.25), 2.5);
    assert.ok(Number.isNaN(quantileSorted([], 0.5)));
  });
});
