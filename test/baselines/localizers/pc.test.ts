/** PC / IC* graph search (baselines.md §3.2; dycause_rca cloud_ranger/get_link_matrix.py, causality IC): Fisher z, partial correlation, chain, collider, rule 1, bounds, errors. */
import { strict as assert } from 'node:assert';
import { correlationMatrix, fisherZTest, partialCorrelation, pcDefaults, pcGraph } from '../../../src/baselines/localizers/pc.js';
import { EadroError } from '../../../src/core/errors.js';
import { createRng } from '../../../src/core/rng.js';
import { close } from './helpers.js';

const field = (f: string) => (e: unknown): boolean => e instanceof EadroError && e.details.field === f;

/** n samples of independent standard normals per named root, combined by `make` into the variables. */
function gaussian(seed: number, n: number, make: (e: () => number, v: number[]) => void, vars: number): Float64Array[] {
  const rng = createRng(seed);
  const out = Array.from({ length: vars }, () => new Float64Array(n));
  const v = new Array<number>(vars).fill(0);
  for (let t = 0; t < n; t++) {
    make(() => rng.normal(), v);
    for (let k = 0; k < vars; k++) (out[k] as Float64Array)[t] = v[k] as number;
  }
  return out;
}

/** X → Y → Z (indices 0, 1, 2). */
const chain = (seed: number): Float64Array[] =>
  gaussian(seed, 2000, (e, v) => {
    v[0] = e();
    v[1] = 0.8 * (v[0] as number) + e();
    v[2] = 0.8 * (v[1] as number) + e();
  }, 3);

/** X → Z ← Y (indices 0, 1, 2), and Z → W (index 3) when `withW`. */
const collider = (seed: number, withW = false): Float64Array[] =>
  gaussian(seed, 2000, (e, v) => {
    v[0] = e();
    v[1] = e();
    v[2] = 0.8 * (v[0] as number) + 0.8 * (v[1] as number) + e();
    if (withW) v[3] = 0.8 * (v[2] as number) + e();
  }, withW ? 4 : 3);

/** Edges of a PC result as "a-b" (undirected), "a>b" (a → b) or "a<>b", sorted. */
function edgesOf(r: ReturnType<typeof pcGraph>): string[] {
  const out: string[] = [];
  for (let a = 0; a < r.n; a++) {
    for (let b = a + 1; b < r.n; b++) {
      if (r.skeleton[a]![b] !== 1) continue;
      const atB = r.arrowheads[a]![b] === 1;
      const atA = r.arrowheads[b]![a] === 1;
      out.push(atA && atB ? `${a}<>${b}` : atB ? `${a}>${b}` : atA ? `${b}>${a}` : `${a}-${b}`);
    }
  }
  return out;
}

describe('localizers/pc', () => {
  it('defaults: α = 0.1 (reference), |Z| <= 3 (ours), level α', () => {
    assert.deepEqual(pcDefaults, { alpha: 0.1, maxCondSize: 3, halfAlpha: false });
  });

  it('Fisher z p-values (hand-checked)', () => {
    // r = 0.5, L = 29, |Z| = 1: statistic √25·atanh(0.5); p = 2·sf (scipy.stats.norm.sf: 0.006022924485883396).
    const t = fisherZTest(0.5, 29, 1);
    close(t.z, 0.5493061443340549);
    close(t.statistic, 5 * 0.5493061443340549);
    close(t.pValue, 0.006022924485883396, 1e-12);
    // The normal quantiles: statistic 1.959963984540054 → p = 0.05, 1.6448536269514722 → p = 0.1.
    close(fisherZTest(Math.tanh(1.959963984540054 / 5), 30, 2).pValue, 0.05, 1e-12);
    close(fisherZTest(-Math.tanh(1.6448536269514722 / 10), 103, 0).pValue, 0.1, 1e-12);
    assert.equal(fisherZTest(0, 10, 0).pValue, 1);
    assert.equal(fisherZTest(1, 10, 0).pValue, 0);
    assert.throws(() => fisherZTest(0.3, 5, 2), field('samples')); // 5 − 2 − 3 = 0 degrees of freedom
    assert.throws(() => fisherZTest(Number.NaN, 50, 0), field('r'));
  });

  it('partial correlation from the correlation matrix (hand-checked, singular R_ZZ, degenerate)', () => {
    // r = 0.5 everywhere: r_01·2 = (0.5 − 0.25)/(1 − 0.25) = 1/3.
    const R3 = [1, 0.5, 0.5, 0.5, 1, 0.5, 0.5, 0.5, 1];
    close(partialCorrelation(R3, 3, 0, 1, []), 0.5);
    close(partialCorrelation(R3, 3, 0, 1, [2]), 1 / 3);
    // Variable 3 duplicates 2: R_ZZ for Z = {2, 3} is singular, the pseudo-inverse gives the same projection.
    const R4 = [1, 0.5, 0.5, 0.5, 0.5, 1, 0.5, 0.5, 0.5, 0.5, 1, 1, 0.5, 0.5, 1, 1];
    close(partialCorrelation(R4, 4, 0, 1, [2, 3]), 1 / 3, 1e-9);
    // x is Z itself (x = 2 duplicated by 3): residual variance 0, independent given Z by definition.
    assert.equal(partialCorrelation(R4, 4, 2, 0, [3]), 0);
    // A constant series: NaN correlations become 0 (the localizers' policy), diagonal 1.
    const { R, nanPairs } = correlationMatrix([[1, 2, 3, 5], [4, 4, 4, 4], [2, 1, 0, 1]]);
    assert.deepEqual(nanPairs, ['0,1', '1,2']);
    assert.equal(R[0 * 3 + 1], 0);
    assert.equal(R[1 * 3 + 1], 1);
  });

  it('recovers a chain X → Y → Z: X ⫫ Z | Y removes X–Z, nothing oriented', () => {
    for (const seed of [1, 2, 3]) {
      const r = pcGraph(chain(seed));
      assert.deepEqual(edgesOf(r), ['0-1', '1-2'], `data seed ${seed}`);
      assert.deepEqual(r.sepsets, { '0,2': [1] });
      // The reference's link matrix: the skeleton's upper triangle, orientation dropped.
      assert.deepEqual(r.linkMatrix, [[0, 1, 0], [0, 0, 1], [0, 0, 0]]);
      // d = 0: 3 tests, all dependent; d = 1: (0,1 | 2), (0,2 | 1) removes, (1,2 | 0); no edge has 2 candidates.
      assert.equal(r.testsRun, 6);
      assert.equal(r.depthReached, 1);
      assert.equal(r.depthLimitHit, false);
      assert.equal(r.edges, 2);
    }
  });

  it('orients a collider X → Z ← Y', () => {
    for (const seed of [1, 2, 3]) {
      const r = pcGraph(collider(seed));
      assert.deepEqual(edgesOf(r), ['0>2', '1>2'], `data seed ${seed}`);
      assert.deepEqual(r.sepsets, { '0,1': [] });
      assert.deepEqual(r.linkMatrix, [[0, 0, 1], [0, 0, 1], [0, 0, 0]]);
      assert.equal(r.marked[0]![2], 0); // collider arrows are not marked (IC*)
    }
  });

  it('propagates with rule 1: X → Z ← Y, Z – W becomes a marked Z → W', () => {
    const r = pcGraph(collider(4, true));
    assert.deepEqual(edgesOf(r), ['0>2', '1>2', '2>3']);
    assert.equal(r.marked[2]![3], 1);
    assert.equal(r.marked[3]![2], 1);
    assert.equal(r.marked[0]![2], 0);
  });

  it('is deterministic, and the depth bound keeps edges it would have cut', () => {
    const data = chain(5);
    assert.deepEqual(pcGraph(data), pcGraph(data));
    const r0 = pcGraph(data, { maxCondSize: 0 });
    assert.deepEqual(edgesOf(r0), ['0-1', '0-2', '1-2']); // X and Z are marginally dependent
    assert.equal(r0.testsRun, 3);
    assert.equal(r0.depthReached, 0);
    assert.equal(r0.depthLimitHit, true);
    assert.deepEqual(edgesOf(pcGraph(data, { maxCondSize: Number.POSITIVE_INFINITY })), ['0-1', '1-2']);
  });

  it('halfAlpha tests at α/2 like the reference RobustRegressionTest', () => {
    // Two centred, orthogonal-noise series with sample correlation exactly tanh(0.18): L = 103, statistic
    // √100·0.18 = 1.8, p = 0.0718606 (scipy): dependent at α = 0.1, independent at α/2 = 0.05.
    const rng = createRng(9);
    const L = 103;
    const centred = (): number[] => {
      const v = Array.from({ length: L }, () => rng.normal());
      const m = v.reduce((s, x) => s + x, 0) / L;
      return v.map((x) => x - m);
    };
    const dot = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * (b[i] as number), 0);
    const e1 = centred();
    const raw = centred();
    const k = dot(raw, e1) / dot(e1, e1);
    const e2 = raw.map((x, i) => x - k * (e1[i] as number));
    const n1 = Math.sqrt(dot(e1, e1));
    const n2 = Math.sqrt(dot(e2, e2));
    const r = Math.tanh(0.18);
    const x = e1.map((v) => v / n1);
    const y = x.map((v, i) => r * v + Math.sqrt(1 - r * r) * ((e2[i] as number) / n2));
    close(fisherZTest(r, L, 0).pValue, 0.07186063822585162, 1e-12);
    assert.equal(pcGraph([x, y]).edges, 1);
    assert.equal(pcGraph([x, y], { halfAlpha: true }).edges, 0);
  });

  it('drops a constant series at d = 0', () => {
    const data = chain(6);
    const r = pcGraph([data[0]!, data[1]!, new Float64Array(2000).fill(3)]);
    assert.deepEqual(edgesOf(r), ['0-1']);
    assert.deepEqual(r.nanCorrelations, ['0,2', '1,2']);
  });

  it('refuses bad data and options, naming the field', () => {
    const good = [[1, 2, 3, 4], [2, 1, 4, 3]];
    assert.throws(() => pcGraph([[1, 2, 3, 4]]), field('data'));
    assert.throws(() => pcGraph([[1, 2, 3, 4], [1, 2, 3]]), field('data[1]'));
    assert.throws(() => pcGraph([[1, 2, 3], [1, 2, 3]]), field('data[0]'));
    assert.throws(() => pcGraph([[1, 2, 3, 4], [1, 2, Number.NaN, 4]]), field('data[1][2]'));
    assert.throws(() => pcGraph(good, { alpha: 0 }), field('alpha'));
    assert.throws(() => pcGraph(good, { alpha: 1 }), field('alpha'));
    assert.throws(() => pcGraph(good, { maxCondSize: -1 }), field('maxCondSize'));
    assert.throws(() => pcGraph(good, { maxCondSize: 1.5 }), field('maxCondSize'));
    assert.throws(() => pcGraph(good, { halfAlpha: 'yes' as unknown as boolean }), field('halfAlpha'));
  });
});
