/** CloudRanger (baselines.md §3.2; dycause_rca main_cloud_ranger.py): second-order transitions, known-root walks, the reference quirks, seeding, errors. */
import { strict as assert } from 'node:assert';
import { cloudRangerDefaults, cloudRangerRank, cloudRangerTransitions } from '../../../src/baselines/localizers/cloud-ranger.js';
import type { LocalizerInput } from '../../../src/baselines/localizers/types.js';
import { EadroError } from '../../../src/core/errors.js';
import { createRng } from '../../../src/core/rng.js';
import { accessOf, close, stepFaultChain } from './helpers.js';

const closeRow = (actual: number[], expected: number[], tol = 1e-12): void => {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, j) => close(v, expected[j] as number, tol));
};
const sum = (xs: ArrayLike<number>): number => Array.from(xs).reduce((s, x) => s + x, 0);

const ref = { beta: 0.3, rho: 0.2, referenceBackwardNormalization: true, signedSelfLoop: true };

describe('localizers/cloud-ranger', () => {
  it('defaults carry the reference values', () => {
    assert.deepEqual(cloudRangerDefaults, {
      beta: 0.3, rho: 0.2, epochs: 10, stepsPerEpoch: 1000, graph: 'pc', pcAlpha: 0.1, pcMaxCondSize: 3, pcHalfAlpha: false,
      pcLinks: 'reference-index-order', referenceBackwardNormalization: true, signedSelfLoop: true,
    });
  });

  it('builds the second-order transitions (hand-checked), rows summing to 1 or 0', () => {
    // 0 -> 1, 0 -> 2, 1 -> 2, 3 -> 1; S = [1, 0.6, 0.4, 0.2]; β = 0.3, ρ = 0.2.
    // P: row 0 = [0, 0.6, 0.4, 0], row 1 = [0, 0, 1, 0], row 2 = 0 (no callee), row 3 = [0, 1, 0, 0].
    const access = accessOf(4, [[0, 1], [0, 2], [1, 2], [3, 1]]);
    const { P, M } = cloudRangerTransitions(access, [1, 0.6, 0.4, 0.2], ref);
    closeRow(P[0]!, [0, 0.6, 0.4, 0]);
    closeRow(P[2]!, [0, 0, 0, 0]);
    // k = 0, i = 1: forward 2: 0.7·0.6 + 0.3·1 = 0.72 → 1; backward 0: 0.2·(0.7·0.6 + 0.3·0.6) = 0.12,
    // backward 3: 0.2·(0.7·0.6 + 0.3·1) = 0.144 → 5/11, 6/11; self max(0, 0.6 − 1) = 0; total 2.
    closeRow(M[0]![1]!, [5 / 22, 0, 1 / 2, 6 / 22]);
    // k = 3: backward 0: 0.2·(0.7·1 + 0.3·0.6) = 0.176, backward 3: 0.2·(0.7 + 0.3) = 0.2 → 22/47, 25/47.
    closeRow(M[3]![1]!, [11 / 47, 0, 1 / 2, 12.5 / 47]);
    // i = 0 (nothing calls 0, so P[k, 0] = 0): forward 0.3·[0.6, 0.4] → [0.6, 0.4]; self 1 − 0.6 = 0.4.
    for (const k of [0, 1, 2, 3]) closeRow(M[k]![0]!, [0.4 / 1.4, 0.6 / 1.4, 0.4 / 1.4, 0]);
    // k = 1, i = 2 (no callee): backward 0: 0.2·(0.7·1 + 0.3·0.4) = 0.164, backward 1: 0.2·(0.7 + 0.3) = 0.2.
    closeRow(M[1]![2]!, [0.164 / 0.364, 0.2 / 0.364, 0, 0]);
    for (const Mk of M) for (const row of Mk) assert.ok(Math.abs(sum(row) - 1) < 1e-12 || sum(row) === 0);
    // ρ cancels in the reference's separate backward normalisation: another ρ, the same M.
    assert.deepEqual(cloudRangerTransitions(access, [1, 0.6, 0.4, 0.2], { ...ref, rho: 0.9 }).M, M);
  });

  it('quirk flags: backward block summing to ρ, and the |S| self-loop', () => {
    const access = accessOf(4, [[0, 1], [0, 2], [1, 2], [3, 1]]);
    const { M } = cloudRangerTransitions(access, [1, 0.6, 0.4, 0.2], { ...ref, referenceBackwardNormalization: false });
    // k = 0, i = 1: forward [2] = 1, backward 0.2·[5/11, 6/11]; total 1.2.
    closeRow(M[0]![1]!, [(0.2 * 5) / 11 / 1.2, 0, 1 / 1.2, (0.2 * 6) / 11 / 1.2]);
    // S_2 = −0.9: P row 0 = [0, 0.6, 0.9]/1.5; k = 1, i = 2: backward 0: 0.2·(0.7 + 0.3·0.6) = 0.176, 1: 0.2.
    const S = [1, 0.6, -0.9, 0.2];
    const signed = cloudRangerTransitions(access, S, ref).M[1]![2]!;
    closeRow(signed, [0.176 / 0.376, 0.2 / 0.376, 0, 0]);
    const self = 0.9 - 0.2 / 0.376;
    const absolute = cloudRangerTransitions(access, S, { ...ref, signedSelfLoop: false }).M[1]![2]!;
    closeRow(absolute, [0.176 / 0.376 / (1 + self), 0.2 / 0.376 / (1 + self), self / (1 + self), 0]);
  });

  it('ranks the root first when ρ weighs the backward edges (given and PC graphs, three data seeds)', () => {
    for (const seed of [1, 2, 3]) {
      const input = stepFaultChain(seed);
      for (const graph of ['given', 'pc'] as const) {
        const { ranking, scores, info } = cloudRangerRank(input, { seed: 7, graph, referenceBackwardNormalization: false });
        assert.equal(ranking[0], 3, `data seed ${seed}, ${graph}: ranking ${ranking.join(',')}, counts ${Array.from(scores).join(',')}`);
        assert.equal(sum(scores), info['steps']);
        assert.equal(info['steps'], 10_000);
      }
    }
  });

  it('reference semantics: on the given chain ρ cancels and visits follow the walk degree; on PC the root is second to the frontend', () => {
    for (const seed of [1, 2, 3]) {
      const input = stepFaultChain(seed);
      // No self-loops survive (every S_i < the largest entry 1 of a row), so the walk on 0 – 1 – 2 – 3 is a
      // reflecting walk: the inner services 1 and 2 are visited about twice as often as the ends 0 and 3.
      const given = cloudRangerRank(input, { seed: 7, graph: 'given' }).scores;
      for (const inner of [1, 2]) {
        const ratio = (given[inner] as number) / (given[3] as number);
        assert.ok(ratio > 1.7 && ratio < 2.3, `data seed ${seed}: counts ${Array.from(given).join(',')}`);
      }
      // PC (index-order links): the frontend keeps a self-loop 1 − max entry, and ranks first.
      const pc = cloudRangerRank(input, { seed: 7 });
      assert.deepEqual(pc.ranking.slice(0, 2), [0, 3], `data seed ${seed}: counts ${Array.from(pc.scores).join(',')}`);
    }
  });

  it('is reproducible for a seed and changes with the seed', () => {
    const input = stepFaultChain(4);
    const a = cloudRangerRank(input, { seed: 123 });
    const b = cloudRangerRank(input, { seed: 123 });
    const c = cloudRangerRank(input, { seed: 124 });
    assert.deepEqual(a.ranking, b.ranking);
    assert.deepEqual(Array.from(a.scores), Array.from(b.scores));
    assert.deepEqual(a.info, b.info);
    assert.notDeepEqual(Array.from(a.scores), Array.from(c.scores));
  });

  it('reports the PC graph and the walk graph in info', () => {
    const input = stepFaultChain(5);
    const pc = cloudRangerRank(input, { seed: 1 });
    assert.equal(typeof pc.info['pcEdges'], 'number');
    assert.ok((pc.info['pcTests'] as number) > 0);
    assert.ok((pc.info['pcDepthReached'] as number) >= 1);
    assert.equal(typeof pc.info['pcDepthLimitHit'], 'boolean');
    const walkEdges = pc.info['walkEdges'] as [number, number][];
    assert.equal(walkEdges.length, pc.info['pcEdges']);
    for (const [i, j] of walkEdges) assert.ok(i < j); // the reference's index-order links
    const given = cloudRangerRank(input, { seed: 1, graph: 'given' });
    assert.deepEqual(given.info['walkEdges'], [[0, 1], [0, 4], [1, 2], [2, 3]]);
    assert.equal(given.info['pcEdges'], null);
    assert.equal(given.info['pcTests'], null);
  });

  it("pcLinks 'effect-to-cause' reverses PC's orientation (collider X → Z ← Y walks from Z)", () => {
    const rng = createRng(11);
    const x = Float64Array.from({ length: 2000 }, () => rng.normal());
    const y = Float64Array.from({ length: 2000 }, () => rng.normal());
    const z = Float64Array.from({ length: 2000 }, (_, t) => 0.8 * (x[t] as number) + 0.8 * (y[t] as number) + rng.normal());
    const input = { series: [x, y, z], access: accessOf(3, []), frontend: 2 };
    assert.deepEqual(cloudRangerRank(input, { seed: 1, pcLinks: 'effect-to-cause' }).info['walkEdges'], [[2, 0], [2, 1]]);
    assert.deepEqual(cloudRangerRank(input, { seed: 1 }).info['walkEdges'], [[0, 2], [1, 2]]);
  });

  it('ends an epoch at a dead end (a constant frontend: every S is 0)', () => {
    const input = { series: [[5, 5, 5, 5], [2, 1, 4, 3], [1, 3, 2, 5]], access: accessOf(3, [[0, 1], [1, 2]]), frontend: 0 };
    const r = cloudRangerRank(input, { seed: 1, graph: 'given', epochs: 3, stepsPerEpoch: 5 });
    assert.equal(r.info['steps'], 0);
    assert.equal(r.info['deadEnds'], 3);
    assert.deepEqual(r.info['nanCorrelations'], [0, 1, 2]);
    assert.deepEqual(r.ranking, [0, 1, 2]);
  });

  it('refuses bad input and options, naming the field', () => {
    const good = (): LocalizerInput => ({ series: [[1, 2, 3, 4], [3, 1, 2, 5]], access: accessOf(2, [[0, 1]]), frontend: 0 });
    const field = (f: string) => (e: unknown): boolean => e instanceof EadroError && e.details.field === f;
    assert.throws(() => cloudRangerRank({ ...good(), series: [[1, 2, 3, 4], [1, 2, 3]] }, { seed: 1 }), field('series[1]'));
    assert.throws(() => cloudRangerRank({ ...good(), access: [[0, 1, 0], [0, 0, 0]] }, { seed: 1 }), field('access[0]'));
    assert.throws(() => cloudRangerRank({ ...good(), frontend: 2 }, { seed: 1 }), field('frontend'));
    assert.throws(() => cloudRangerRank({ ...good(), series: [[1, 2, 3], [3, 1, 2]] }, { seed: 1 }), field('series[0]')); // PC needs L >= 4
    assert.doesNotThrow(() => cloudRangerRank({ ...good(), series: [[1, 2, 3], [3, 1, 2]] }, { seed: 1, graph: 'given' }));
    const bad: [string, Record<string, unknown>][] = [
      ['seed', { seed: -1 }], ['beta', { beta: 1.5 }], ['rho', { rho: Number.NaN }], ['epochs', { epochs: 0 }],
      ['stepsPerEpoch', { stepsPerEpoch: 2.5 }], ['graph', { graph: 'call' }], ['pcAlpha', { pcAlpha: 0 }],
      ['pcMaxCondSize', { pcMaxCondSize: -2 }], ['pcHalfAlpha', { pcHalfAlpha: 1 }], ['pcLinks', { pcLinks: 'causal' }],
      ['referenceBackwardNormalization', { referenceBackwardNormalization: 'no' }], ['signedSelfLoop', { signedSelfLoop: null }],
    ];
    for (const [name, o] of bad) assert.throws(() => cloudRangerRank(good(), { seed: 1, ...o } as Parameters<typeof cloudRangerRank>[1]), field(name), name);
  });
});
