/** TBAC (baselines.md §3.2; dycause_rca main_tbac.py): rating rules, traversal depths, a known-root case, input errors. */
import { strict as assert } from 'node:assert';
import { tbacDefaults, tbacRank, traverseCallGraph, weightedPowerMean } from '../../../src/baselines/localizers/tbac.js';
import type { LocalizerInput } from '../../../src/baselines/localizers/types.js';
import { EadroError } from '../../../src/core/errors.js';
import { createRng } from '../../../src/core/rng.js';
import { accessOf, close } from './helpers.js';

/**
 * Latency (ms per second) of the call tree 0 -> 1 -> 2 -> 3, 0 -> 4 with a fault at the root 3: from
 * second t0 its latency rises by `magnitude` ms; each caller up the chain sees the rise `lag` seconds
 * later and `attenuation` times smaller per hop; service 4 only has its noise.
 */
function faultyChain(seed: number, noise: readonly number[], opts = { L: 600, t0: 300, magnitude: 8, attenuation: 0.8, lag: 1 }): LocalizerInput {
  const rng = createRng(seed);
  const base = [20, 15, 10, 5, 8];
  const hopsFromRoot: (number | null)[] = [3, 2, 1, 0, null];
  const series = base.map((b, k) => {
    const hops = hopsFromRoot[k] as number | null;
    return Float64Array.from({ length: opts.L }, (_, t) => {
      let v = b + (noise[k] as number) * rng.normal();
      if (hops !== null && t - hops * opts.lag >= opts.t0) v += Math.pow(opts.attenuation, hops) * opts.magnitude;
      return v;
    });
  });
  return { series, access: accessOf(5, [[0, 1], [1, 2], [2, 3], [0, 4]]), frontend: 0 };
}

describe('localizers/tbac', () => {
  it('defaults carry the reference values', () => {
    assert.deepEqual(tbacDefaults, { maxDepth: 20, powerMeanP: 1, referenceTraversal: false });
  });

  it('applies the rating rules (hand-checked: raise, none, lower)', () => {
    // corr with x0: x1 -> 6/sqrt(60), x2 -> 0.8, x3 -> 0 (orthogonal); graph 0 -> 1 -> 2, service 3 isolated.
    const input: LocalizerInput = {
      series: [[1, 2, 3, 4, 5], [2, 4, 5, 4, 5], [1, 3, 2, 5, 4], [3, 1, 2, 1, 3]],
      access: accessOf(4, [[0, 1], [1, 2]]),
      frontend: 0,
    };
    const a1 = 2 * (6 / Math.sqrt(60)) - 1; // 0.549
    const a2 = 2 * 0.8 - 1; // 0.6
    const { ranking, scores, info } = tbacRank(input);
    const anomaly = info['anomaly'] as number[];
    close(anomaly[0] as number, 1);
    close(anomaly[1] as number, a1);
    close(anomaly[2] as number, a2);
    close(anomaly[3] as number, -1);
    // 0: no callers (missing), callees max(a1, a2) = 0.6 <= 1: raised to (1 + 1)/2.
    close(scores[0] as number, 1);
    // 1: S_in = a0 = 1 > a1 but S_out = a2 > a1: no rule, rating = a1 (the reference's scores.copy()).
    close(scores[1] as number, a1);
    // 2: S_in = (a1·1 + a0·1/2)/(1 + 1/2) = 0.6995 > a2, no callees: raised to (a2 + 1)/2 = 0.8.
    close((info['sIn'] as number[])[2] as number, (a1 + 0.5) / 1.5);
    close(scores[2] as number, 0.8);
    // 3: no callers and no callees: both rules fire, the second (lower) is applied last: (−1 − 1)/2.
    close(scores[3] as number, -1);
    assert.deepEqual(info['rule'], ['raise', 'none', 'raise', 'lower']);
    assert.deepEqual(ranking, [0, 2, 1, 3]);
  });

  it('weighted power mean: p = 1 is the weighted mean; other p keep the sign', () => {
    close(weightedPowerMean([0.5, -1, 1], [1, 1 / 2, 1 / 3], 1), (0.5 - 0.5 + 1 / 3) / (11 / 6));
    close(weightedPowerMean([-0.25, -0.25], [1, 1], 2), -0.25);
  });

  it('referenceTraversal: pop-count depth differs from the BFS depth (hand-checked)', () => {
    // 0 -> 1 -> 3 and 2 -> 3. Callers of 3: 1 and 2 at depth 1; 0 calls 1, so its distance is 2.
    // Reference: pop 3 (finds 1, 2 at depth 1), pop 2 (nothing, depth 2 spent), pop 1 (finds 0 at depth 3).
    const access = accessOf(4, [[0, 1], [1, 3], [2, 3]]);
    assert.deepEqual(traverseCallGraph(access, 3, 'callers', 20, false), [{ node: 1, depth: 1 }, { node: 2, depth: 1 }, { node: 0, depth: 2 }]);
    assert.deepEqual(traverseCallGraph(access, 3, 'callers', 20, true), [{ node: 1, depth: 1 }, { node: 2, depth: 1 }, { node: 0, depth: 3 }]);
    // Callees go the other way: 0 reaches 1 then 3.
    assert.deepEqual(traverseCallGraph(access, 0, 'callees', 20, false), [{ node: 1, depth: 1 }, { node: 3, depth: 2 }]);
    // The depth limit: BFS keeps depth <= 1; the reference stops after one pop.
    assert.deepEqual(traverseCallGraph(access, 3, 'callers', 1, false), [{ node: 1, depth: 1 }, { node: 2, depth: 1 }]);
    assert.deepEqual(traverseCallGraph(access, 3, 'callers', 1, true), [{ node: 1, depth: 1 }, { node: 2, depth: 1 }]);

    // Through tbacRank, S_in of 3 weighs the frontend 1/2 (ours) or 1/3 (reference).
    const rng = createRng(11);
    const series = Array.from({ length: 4 }, () => Array.from({ length: 40 }, () => rng.normal()));
    const input: LocalizerInput = { series, access, frontend: 0 };
    const ours = tbacRank(input).info;
    const ref = tbacRank(input, { referenceTraversal: true }).info;
    const a = ours['anomaly'] as number[];
    const [a0, a1, a2] = [a[0] as number, a[1] as number, a[2] as number];
    close((ours['sIn'] as number[])[3] as number, (a1 + a2 + a0 / 2) / (2 + 1 / 2));
    close((ref['sIn'] as number[])[3] as number, (a1 + a2 + a0 / 3) / (2 + 1 / 3));
    assert.notEqual((ours['sIn'] as number[])[3], (ref['sIn'] as number[])[3]);
  });

  it('ranks the root right after the frontend when its premise holds (generated data)', () => {
    // TBAC as published always rates the frontend (a = 1, no callers) (1 + 1)/2 = 1, the largest rating,
    // so the root can at best come second. Its rules also need the root to be the most anomalous
    // service below the frontend (else a caller on the path has S_out <= a and is raised above it)
    // while its callers' weighted mean, which includes the frontend's a = 1, stays above it. The data are
    // built so that this premise holds: the root's own latency is steady except for the fault (noise 0.5
    // ms), the intermediate services jitter more (1.5 ms), the frontend most (3 ms). The premise is
    // asserted before the answer, so a failure says which one broke. Three data seeds, not one.
    for (const seed of [1, 2, 3]) {
      const input = faultyChain(seed, [3, 1.5, 1.5, 0.5, 1]);
      const { ranking, info } = tbacRank(input);
      const a = info['anomaly'] as number[];
      const sIn = info['sIn'] as number[];
      assert.ok((a[3] as number) > Math.max(a[1] as number, a[2] as number, a[4] as number), `premise, seed ${seed}: a = ${a.map((v) => v.toFixed(3))}`);
      assert.ok((sIn[3] as number) > (a[3] as number), `premise, seed ${seed}: S_in(3) = ${sIn[3]} vs a3 = ${a[3]}`);
      assert.equal(info['frontendRating'], 1);
      assert.equal(ranking[0], 0, `seed ${seed}: the frontend first`);
      assert.equal(ranking[1], 3, `seed ${seed}: the root next, ranking ${ranking.join(',')}`);
      // Same answer with the reference traversal: on a tree the pop count equals the depth.
      assert.deepEqual(tbacRank(input, { referenceTraversal: true }).ranking, ranking);
    }
  });

  it('treats a NaN correlation (constant series) as 0', () => {
    const input: LocalizerInput = { series: [[1, 2, 3, 4], [7, 7, 7, 7], [2, 1, 4, 3]], access: accessOf(3, [[0, 1], [0, 2]]), frontend: 0 };
    const { info } = tbacRank(input);
    assert.deepEqual(info['nanCorrelations'], [1]);
    assert.equal((info['anomaly'] as number[])[1], -1);
  });

  it('refuses bad input and options, naming the field', () => {
    const good = (): LocalizerInput => ({ series: [[1, 2, 3], [3, 1, 2]], access: accessOf(2, [[0, 1]]), frontend: 0 });
    const field = (f: string) => (e: unknown): boolean => e instanceof EadroError && e.details.field === f;
    assert.throws(() => tbacRank({ ...good(), series: [] }), field('series'));
    assert.throws(() => tbacRank({ ...good(), series: [[1, 2, 3], [1, 2]] }), field('series[1]'));
    assert.throws(() => tbacRank({ ...good(), series: [[1, 2], [1, 2]] }), field('series[0]'));
    assert.throws(() => tbacRank({ ...good(), series: [[1, 2, Number.NaN], [1, 2, 3]] }), field('series[0][2]'));
    assert.throws(() => tbacRank({ ...good(), access: [[0, 1]] }), field('access'));
    assert.throws(() => tbacRank({ ...good(), access: [[0, 1], [0]] }), field('access[1]'));
    assert.throws(() => tbacRank({ ...good(), access: [[0, -1], [0, 0]] }), field('access[0][1]'));
    assert.throws(() => tbacRank({ ...good(), frontend: 2 }), field('frontend'));
    assert.throws(() => tbacRank({ ...good(), frontend: 0.5 }), field('frontend'));
    assert.throws(() => tbacRank(good(), { maxDepth: 0 }), field('maxDepth'));
    assert.throws(() => tbacRank(good(), { powerMeanP: 0 }), field('powerMeanP'));
  });
});
