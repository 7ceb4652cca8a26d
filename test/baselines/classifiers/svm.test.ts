/** MS-SVM's RBF SVM (baselines.md §3.4): SIMD products, libsvm's solver and coupling, a rule, calibration, seeds, refusals. */
import { strict as assert } from 'node:assert';
import {
  RbfSvm,
  gramWasmBase64,
  gramWat,
  multiclassProbability,
  rowDots,
  sigmoidPredict,
  sigmoidTrain,
  solveCsvc,
  svmDefaults,
  svmKernelSettings,
} from '../../../src/baselines/classifiers/svm.js';
import type { Matrix } from '../../../src/baselines/classifiers/types.js';
import { EadroError } from '../../../src/core/errors.js';
import { createRng } from '../../../src/core/rng.js';
import { argmaxProblem, argmaxRows, assertRowsSumToOne, expectEadroError } from './helpers.js';

/** The rule problem of these tests: 5 noise columns and one constant column (3). */
const problem = (rows: number, seed: number, noise = 5) => argmaxProblem(rows, seed, { noise, constants: [3] });

/** Two 1-D Gaussian classes N(−1, 1) (class 0) and N(+1, 1) (class 1), alternating: Bayes P(1 | x) = 1 / (1 + e^(−2x)). */
function twoGaussians(rows: number, seed: number): { X: Matrix; y: Int32Array } {
  const rng = createRng(seed);
  const y = Int32Array.from({ length: rows }, (_, i) => i % 2);
  const values = Float64Array.from(y, (c) => rng.normal(c === 1 ? 1 : -1));
  return { X: { rows, cols: 1, values }, y };
}

describe('baselines/classifiers: RbfSvm', () => {
  it('defaults follow baselines.md §3.4 (RBF, C = 1, γ = scale, probability estimates)', () => {
    assert.equal(svmDefaults.C, 1);
    assert.equal(svmDefaults.gamma, 'scale');
    assert.equal(svmDefaults.probability, true);
    assert.equal(svmDefaults.cvFolds, 5);
  });

  it('the embedded WebAssembly is the build of gramWat', async () => {
    const wabt = await (await import('wabt')).default();
    const mod = wabt.parseWat('gram.wat', gramWat, { simd: true });
    try {
      mod.resolveNames();
      mod.validate();
      const { buffer } = mod.toBinary({ write_debug_names: false });
      assert.equal(Buffer.from(buffer).toString('base64'), gramWasmBase64);
    } finally {
      mod.destroy();
    }
  });

  it('SIMD row products equal float64 products of the same float32 rows (general and symmetric, padded sizes)', () => {
    const rng = createRng(4);
    for (const [nA, nB, D] of [
      [7, 5, 16],
      [9, 9, 528],
      [1, 3, 2064],
    ] as const) {
      const A = Float32Array.from({ length: nA * D }, () => rng.normal());
      const B = Float32Array.from({ length: nB * D }, () => rng.normal());
      const exact = (X: Float32Array, i: number, Y: Float32Array, k: number): number => {
        let s = 0;
        for (let j = 0; j < D; j++) s += (X[i * D + j] as number) * (Y[k * D + j] as number);
        return s;
      };
      const { dots, engine } = rowDots(A, nA, B, nB, D);
      assert.equal(engine, 'simd');
      for (let i = 0; i < nA; i++) {
        for (let k = 0; k < nB; k++) {
          const e = exact(A, i, B, k);
          assert.ok(Math.abs((dots[i * nB + k] as number) - e) < 1e-5 * Math.sqrt(D), `${nA}x${nB}x${D} [${i}, ${k}]: ${dots[i * nB + k]} vs ${e}`);
        }
      }
      const sym = rowDots(A, nA, null, nA, D).dots;
      for (let i = 0; i < nA; i++) {
        for (let k = 0; k <= i; k++) assert.ok(Math.abs((sym[i * nA + k] as number) - exact(A, i, A, k)) < 1e-5 * Math.sqrt(D));
      }
    }
  });

  it('solveCsvc meets the KKT conditions within the tolerance', () => {
    const { X, y } = twoGaussians(120, 5);
    const m = X.rows;
    const K = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let k = 0; k < m; k++) K[i * m + k] = Math.exp(-0.5 * ((X.values[i] as number) - (X.values[k] as number)) ** 2);
    const yy = Int8Array.from(y, (c) => (c === 0 ? 1 : -1));
    const Cp = 1;
    const Cn = 2;
    const sol = solveCsvc(K, m, yy, Cp, Cn, 1e-3, 1e6);
    assert.ok(sol.converged);
    let balance = 0;
    for (let t = 0; t < m; t++) balance += (sol.alpha[t] as number) * (yy[t] as number);
    assert.ok(Math.abs(balance) < 1e-9, `Σ α y = ${balance}`);
    for (let t = 0; t < m; t++) {
      let f = -sol.rho;
      for (let s = 0; s < m; s++) f += (sol.alpha[s] as number) * (yy[s] as number) * (K[t * m + s] as number);
      const margin = (yy[t] as number) * f;
      const a = sol.alpha[t] as number;
      const C = (yy[t] as number) > 0 ? Cp : Cn;
      assert.ok(a >= 0 && a <= C);
      if (a <= 0) assert.ok(margin >= 1 - 2e-3, `α = 0 but y f = ${margin}`);
      else if (a >= C) assert.ok(margin <= 1 + 2e-3, `α = C but y f = ${margin}`);
      else assert.ok(Math.abs(margin - 1) < 2e-3, `free α but y f = ${margin}`);
    }
  });

  it('sigmoidTrain recovers a known sigmoid; multiclassProbability recovers consistent pairwise probabilities', () => {
    const rng = createRng(6);
    const l = 4000;
    const dec = Float64Array.from({ length: l }, () => rng.uniform(-3, 3));
    const y = Int8Array.from(dec, (f) => (rng.next() < sigmoidPredict(f, -2, 0.5) ? 1 : -1));
    const { A, B } = sigmoidTrain(dec, y);
    assert.ok(Math.abs(A + 2) < 0.2 && Math.abs(B - 0.5) < 0.15, `A ${A}, B ${B}`);
    const p = [0.5, 0.3, 0.15, 0.05];
    const k = p.length;
    const r = new Float64Array(k * k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) if (i !== j) r[i * k + j] = (p[i] as number) / ((p[i] as number) + (p[j] as number));
    const out = new Float64Array(k);
    multiclassProbability(k, r, out);
    for (let i = 0; i < k; i++) assert.ok(Math.abs((out[i] as number) - (p[i] as number)) < 5e-3, `p[${i}] = ${out[i]}`);
  });

  it('recovers "class = the largest of 3 features" among noise and constant columns (held-out accuracy > 0.9)', () => {
    const train = problem(500, 1);
    const test = problem(400, 2);
    const svm = new RbfSvm({ seed: 1 });
    svm.fit(train.X, train.y, 3);
    const P = svm.predictProba(test.X);
    assert.equal(P.length, test.X.rows * 3);
    assertRowsSumToOne(P, 3);
    let hit = 0;
    const pred = argmaxRows(P, test.X.rows, 3);
    for (let i = 0; i < test.X.rows; i++) if (pred[i] === test.y[i]) hit++;
    assert.ok(hit / test.X.rows > 0.9, `accuracy ${hit / test.X.rows}`);
    const f = svm.fitted();
    assert.equal(f['pairs'], 3);
    assert.equal(f['constantColumns'], 1);
    assert.equal(f['smoIterationCapHits'], 0);
    assert.ok((f['gamma'] as number) > 0 && (f['supportVectors'] as number) > 0);
  });

  it('probabilities are calibrated on two Gaussian classes: near the Bayes posterior, monotone between the means', () => {
    const { X, y } = twoGaussians(400, 1);
    const svm = new RbfSvm({ seed: 1 });
    svm.fit(X, y, 2);
    const grid = Float64Array.from({ length: 81 }, (_, i) => -2 + i * 0.05);
    const P = svm.predictProba({ rows: grid.length, cols: 1, values: grid });
    assertRowsSumToOne(P, 2);
    let gap = 0;
    for (let i = 0; i < grid.length; i++) gap += Math.abs((P[2 * i + 1] as number) - 1 / (1 + Math.exp(-2 * (grid[i] as number))));
    gap /= grid.length;
    assert.ok(gap < 0.1, `mean |P(1 | x) − Bayes| = ${gap}`);
    // an RBF machine's decision values flatten and turn back beyond the classes (and Platt's sigmoid with
    // them), so monotonicity is asked where the posterior changes: |x| ≤ 0.75
    for (let i = 1; i < grid.length; i++) {
      if ((grid[i - 1] as number) < -0.751 || (grid[i] as number) > 0.751) continue;
      assert.ok((P[2 * i + 1] as number) >= (P[2 * i - 1] as number), `P(1 | x) falls at x = ${grid[i]}`);
    }
  });

  it('the same seed gives identical probabilities, another seed (other CV folds) different ones', () => {
    const { X, y } = twoGaussians(200, 2);
    const fitP = (seed: number): Float64Array => {
      const svm = new RbfSvm({ seed });
      svm.fit(X, y, 2);
      return svm.predictProba(X);
    };
    const a = fitP(3);
    assert.deepEqual(fitP(3), a);
    assert.notDeepEqual(fitP(4), a);
  });

  it('the JavaScript kernel path gives the same probabilities up to float32 rounding', () => {
    const train = problem(150, 3);
    const run = (): Float64Array => {
      const svm = new RbfSvm({ seed: 2 });
      svm.fit(train.X, train.y, 3);
      return svm.predictProba(train.X);
    };
    const simd = run();
    svmKernelSettings.engine = 'js';
    let js: Float64Array;
    try {
      js = run();
    } finally {
      svmKernelSettings.engine = 'simd';
    }
    for (let i = 0; i < simd.length; i++) assert.ok(Math.abs((simd[i] as number) - (js[i] as number)) < 1e-3, `${i}: ${simd[i]} vs ${js[i]}`);
  });

  it('a class absent from y gets probability 0; one class in y gets probability 1; votes when probability is off', () => {
    const train = problem(150, 3);
    const test = problem(50, 4);
    const svm = new RbfSvm({ seed: 1 });
    svm.fit(train.X, train.y, 5);
    const P = svm.predictProba(test.X);
    assert.equal(P.length, 50 * 5);
    assertRowsSumToOne(P, 5);
    for (let r = 0; r < 50; r++) assert.deepEqual([P[r * 5 + 3], P[r * 5 + 4]], [0, 0]);

    const one = new RbfSvm();
    one.fit(train.X, new Int32Array(150).fill(2), 3);
    const P1 = one.predictProba(test.X);
    for (let r = 0; r < 50; r++) assert.deepEqual([P1[3 * r], P1[3 * r + 1], P1[3 * r + 2]], [0, 0, 1]);

    const votes = new RbfSvm({ probability: false });
    votes.fit(train.X, train.y, 3);
    const V = votes.predictProba(test.X);
    assertRowsSumToOne(V, 3);
    for (const v of V) assert.ok([0, 1 / 3, 2 / 3].some((x) => Math.abs(v - x) < 1e-12), String(v));
  });

  it("a column constant in training still counts at prediction; classWeight 'balanced' and a numeric gamma run", () => {
    const train = problem(150, 5);
    const svm = new RbfSvm({ gamma: 0.2, classWeight: 'balanced' });
    svm.fit(train.X, train.y, 3);
    assert.equal(svm.fitted()['gamma'], 0.2);
    assert.equal((svm.fitted()['classWeights'] as number[]).length, 3);
    const row = Float64Array.from(train.X.values.subarray(0, train.X.cols));
    const far = Float64Array.from(row);
    far[train.X.cols - 1] = 3 + 10; // the constant column (3 in training) moved away: every kernel value shrinks
    const P = svm.predictProba({ rows: 2, cols: train.X.cols, values: Float64Array.from([...row, ...far]) });
    assert.notDeepEqual(Array.from(P.subarray(0, 3)), Array.from(P.subarray(3, 6)));
  });

  it('refuses bad input with an EadroError naming the field', () => {
    const { X, y } = twoGaussians(40, 1);
    const svm = new RbfSvm();
    expectEadroError(() => svm.fit(X, y.subarray(2), 2), /^y\.length$/);
    const bad = Int32Array.from(y);
    bad[3] = 2;
    expectEadroError(() => svm.fit(X, bad, 2), /^y\[3\]$/);
    const nan = Float64Array.from(X.values);
    nan[7] = Number.NaN;
    expectEadroError(() => svm.fit({ ...X, values: nan }, y, 2), /^X\[7, 0\]$/);
    const inf = Float64Array.from(X.values);
    inf[1] = Number.POSITIVE_INFINITY;
    expectEadroError(() => svm.fit({ ...X, values: inf }, y, 2), /^X\[1, 0\]$/);
    expectEadroError(() => new RbfSvm({ C: 0 }), /^C$/);
    expectEadroError(() => new RbfSvm({ gamma: -1 }), /^gamma$/);
    expectEadroError(() => svm.predictProba(X), /^fit$/);
    svm.fit(X, y, 2);
    expectEadroError(() => svm.predictProba({ rows: 1, cols: 2, values: new Float64Array(2) }), /^X\.cols$/);
    const nanTest = Float64Array.from([0, Number.NaN]);
    expectEadroError(() => svm.predictProba({ rows: 2, cols: 1, values: nanTest }), /^X\[1, 0\]$/);
  });
});
