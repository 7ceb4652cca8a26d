/** NetMedic (baselines.md §3.2; dycause_rca main_netmedic.py, netmedic/compute_functions.py): abnormality, edge weights, a known-root case, input errors. */
import { strict as assert } from 'node:assert';
import { netmedicAbnormality, netmedicDefaults, netmedicEdgeWeight, netmedicRank } from '../../../src/baselines/localizers/netmedic.js';
import type { LocalizerInput } from '../../../src/baselines/localizers/types.js';
import { EadroError } from '../../../src/core/errors.js';
import { createRng } from '../../../src/core/rng.js';
import { accessOf } from './helpers.js';

const close = (actual: number, expected: number, tol = 1e-9): void => assert.ok(Math.abs(actual - expected) <= tol, `${actual} vs ${expected}`);

/**
 * Latency of the call tree 0 -> 1 -> 2 -> 3, 0 -> 4 with a fault at 3 from second t0 (inside the
 * current range, the last 100 points): +magnitude ms at 3, attenuated ×0.8 per hop up to its callers
 * 2, 1, 0; service 4 only has noise.
 */
function faultyChain(seed: number, L = 600, t0 = 520, magnitude = 8): LocalizerInput {
  const rng = createRng(seed);
  const base = [20, 15, 10, 5, 8];
  const hopsFromRoot: (number | null)[] = [3, 2, 1, 0, null];
  const series = base.map((b, k) => {
    const hops = hopsFromRoot[k] as number | null;
    return Float64Array.from({ length: L }, (_, t) => b + rng.normal() + (hops !== null && t >= t0 ? Math.pow(0.8, hops) * magnitude : 0));
  });
  return { series, access: accessOf(5, [[0, 1], [1, 2], [2, 3], [0, 4]]), frontend: 0 };
}

describe('localizers/netmedic', () => {
  it('defaults carry the reference values', () => {
    assert.deepEqual(netmedicDefaults, {
      currentPoints: 100, binSize: 100, maxBins: 50, delta: 0.33, defaultEdgeWeight: 0.8, noPathImpact: 0.01,
      referenceSourceSample: true, referencePathEnumeration: false, maxPathLength: 8,
    });
  });

  it('abnormality by hand: μ = 2, σ = 1, v̄ = 4 gives 1 − 2·sf(2/√2) = erf(1); σ = 0 gives 1 or 0', () => {
    close(netmedicAbnormality([1, 3, 4], 2), 0.8427007929497149);
    close(netmedicAbnormality([1, 3, 2], 2), 0);
    assert.equal(netmedicAbnormality([5, 5, 6], 2), 1);
    assert.equal(netmedicAbnormality([5, 5, 5], 2), 0);
  });

  it('edge weight by hand (K = 2 bins of 2), and referenceSourceSample changes it', () => {
    // history = first 4 points, current = the last one. Source: cur 2, range 4. Destination: cur 0, range 8,
    // bins from the end: mean(8, 4) = 6 (factor 1 − 6/8 = 0.25), mean(4, 4) = 4 (factor 1 − 4/8 = 0.5).
    const xs = [1, 5, 3, 3, 2];
    const xd = [4, 4, 8, 4, 0];
    // Reference quirk: raw samples xs[0] = 1 (diff 0.25, w 0.75), xs[1] = 5 (diff 0.75 > 0.33, w 0): 0.25.
    close(netmedicEdgeWeight(xs, xd, 4, { binSize: 2 }), 0.25);
    // Bin means of the source: 3 and 3 (diff 0.25, w 0.75 each): (0.75·0.25 + 0.75·0.5)/1.5 = 0.375.
    close(netmedicEdgeWeight(xs, xd, 4, { binSize: 2, referenceSourceSample: false }), 0.375);
    // No source bin within δ: 0.8.
    close(netmedicEdgeWeight([0, 0, 0, 0, 10], xd, 4, { binSize: 2 }), 0.8);
    // A constant series differs by 0 from itself: w = 1, factor 1.
    close(netmedicEdgeWeight([3, 3, 3, 3, 3], [3, 3, 3, 3, 3], 4, { binSize: 2 }), 1);
  });

  it('ranks the faulty leaf 3 first on a call chain (edges callee -> caller)', () => {
    for (const seed of [1, 2, 3]) {
      const r = netmedicRank(faultyChain(seed));
      assert.equal(r.ranking[0], 3, `seed ${seed}: ${r.ranking} ${Array.from(r.scores)}`);
      const a = r.info.abnormality as number[];
      assert.ok(a[3]! > 0.99 && a[4]! < 0.9, `abnormality ${a}`);
      const w = r.info.edgeWeight as number[][];
      assert.ok(w[3]![2]! > 0 && w[2]![3] === 0, 'edge 3 -> 2 (2 calls 3), none 2 -> 3');
      assert.equal((r.info.impactToAffected as number[])[0], 1);
      // 4 is called by the frontend (edge 4 -> 0) but is not abnormal: it ranks below 3.
      assert.ok(r.scores[4]! < r.scores[3]!);
      assert.equal(r.info.historyPoints, 500);
      assert.equal(r.info.bins, 5);
    }
  });

  it('clips currentPoints so the history keeps 2 points; referencePathEnumeration runs', () => {
    const r = netmedicRank({ series: [[1, 2, 9], [2, 1, 5]], access: accessOf(2, [[0, 1]]), frontend: 0 });
    assert.equal(r.info.currentPoints, 1);
    assert.equal(r.info.historyPoints, 2);
    assert.equal(r.ranking.length, 2);
    // The frontend 0 calls 1, so no path leads from 0 to 1 (edges callee -> caller): the 0.01 of no path.
    const toCallee = netmedicRank({ series: [[1, 2, 9], [2, 1, 5]], access: accessOf(2, [[0, 1]]), frontend: 1 });
    assert.equal((toCallee.info.impactToAffected as number[])[0], netmedicDefaults.noPathImpact);
    const q = netmedicRank(faultyChain(4), { referencePathEnumeration: true });
    assert.equal(q.ranking[0], 3);
  });

  it('N = 27 call DAG stays fast', () => {
    const rng = createRng(5);
    const N = 27;
    const calls: [number, number][] = [];
    for (let j = 1; j < N; j++) for (let c = 0; c < 3; c++) calls.push([Math.floor(rng.next() * j), j]);
    const series = Array.from({ length: N }, () => Float64Array.from({ length: 300 }, () => rng.normal()));
    const input = { series, access: accessOf(N, calls), frontend: 0 };
    netmedicRank(input);
    const t = performance.now();
    const r = netmedicRank(input);
    const ms = performance.now() - t;
    assert.ok(ms < 200, `${ms} ms`);
    assert.equal(r.ranking.length, N);
  });

  it('input and option errors name the field', () => {
    const good = (): LocalizerInput => ({ series: [[1, 2, 3], [2, 3, 4]], access: accessOf(2, [[0, 1]]), frontend: 0 });
    const field = (f: string) => (e: unknown): boolean => e instanceof EadroError && e.details.field === f;
    assert.throws(() => netmedicRank({ ...good(), series: [] }), field('series'));
    assert.throws(() => netmedicRank({ ...good(), series: [[1, 2, 3], [1, 2]] }), field('series[1]'));
    assert.throws(() => netmedicRank({ ...good(), series: [[1, 2, 3], [1, Number.NaN, 3]] }), field('series[1][1]'));
    assert.throws(() => netmedicRank({ ...good(), access: [[0, 1]] }), field('access'));
    assert.throws(() => netmedicRank({ ...good(), access: [[0, -1], [0, 0]] }), field('access[0][1]'));
    assert.throws(() => netmedicRank({ ...good(), frontend: 2 }), field('frontend'));
    assert.throws(() => netmedicRank(good(), { maxPathLength: 0 }), field('maxPathLength'));
    assert.throws(() => netmedicRank(good(), { delta: -1 }), field('delta'));
  });
});
