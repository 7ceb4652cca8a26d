/** MS-RF's random forest (baselines.md §3.4): recovers a rule, seeded, probability rows, absent classes, options, refusals. */
import { strict as assert } from 'node:assert';
import { RandomForest, randomForestDefaults } from '../../../src/baselines/classifiers/random-forest.js';
import type { Matrix } from '../../../src/baselines/classifiers/types.js';
import { createRng } from '../../../src/core/rng.js';
import { accuracy, argmaxProblem, argmaxRows, expectEadroError } from './helpers.js';

/** The rule problem of these tests: 7 noise columns and two constant ones (0 and 7), labels possibly flipped. */
const problem = (rows: number, seed: number, noise = 7, flip = 0) => argmaxProblem(rows, seed, { noise, constants: [0, 7], flip });

describe('baselines/classifiers: RandomForest', () => {
  const train = problem(1500, 1);
  const test = problem(400, 2);

  it('defaults follow baselines.md §3.4 (100 trees, √d features per split)', () => {
    assert.equal(randomForestDefaults.trees, 100);
    assert.equal(randomForestDefaults.maxFeatures, 'sqrt');
    assert.equal(randomForestDefaults.classWeight, null);
    assert.equal(randomForestDefaults.bootstrap, true);
  });

  it('recovers "class = the largest of 3 features" among noise and constant columns (held-out accuracy > 0.9)', () => {
    const rf = new RandomForest({ seed: 3 });
    rf.fit(train.X, train.y, 3);
    const P = rf.predictProba(test.X);
    assert.equal(P.length, test.X.rows * 3);
    const acc = accuracy(argmaxRows(P, test.X.rows, 3), test.y);
    assert.ok(acc > 0.9, `accuracy ${acc}`);
    for (let r = 0; r < test.X.rows; r++) {
      const s = (P[3 * r] as number) + (P[3 * r + 1] as number) + (P[3 * r + 2] as number);
      assert.ok(Math.abs(s - 1) < 1e-12, `row ${r} sums to ${s}`);
    }
    const f = rf.fitted();
    assert.equal(f['trees'], 100);
    assert.equal(f['featuresPerSplit'], Math.floor(Math.sqrt(train.X.cols)));
    assert.equal(f['constantColumns'], 2);
    assert.ok((f['depthMax'] as number) >= 1);
  });

  it('the same seed gives identical probabilities, another seed different ones', () => {
    const fitP = (seed: number): Float64Array => {
      const rf = new RandomForest({ seed, trees: 20 });
      rf.fit(train.X, train.y, 3);
      return rf.predictProba(test.X);
    };
    const a = fitP(11);
    assert.deepEqual(fitP(11), a);
    assert.notDeepEqual(fitP(12), a);
  });

  it('a class absent from y gets probability 0 and keeps its column; float32 input works alike', () => {
    const rf = new RandomForest({ seed: 1, trees: 15 });
    const X32: Matrix = { ...train.X, values: Float32Array.from(train.X.values) };
    rf.fit(X32, train.y, 5);
    const P = rf.predictProba(test.X);
    assert.equal(P.length, test.X.rows * 5);
    for (let r = 0; r < test.X.rows; r++) {
      assert.equal(P[r * 5 + 3], 0);
      assert.equal(P[r * 5 + 4], 0);
    }
  });

  it('a single class in y gives probability 1 for it', () => {
    const rf = new RandomForest({ seed: 1, trees: 5 });
    rf.fit(train.X, new Int32Array(train.X.rows).fill(1), 2);
    const P = rf.predictProba(test.X);
    for (let r = 0; r < test.X.rows; r++) assert.deepEqual([P[2 * r], P[2 * r + 1]], [0, 1]);
  });

  it('one tree without bootstrap, all features per split, fits distinct training rows exactly', () => {
    // noisy labels: only a tree grown to pure leaves gets them all right (32 or 255 quantile bins of the
    // 5 continuous features separate these 300 rows)
    const noisy = problem(300, 4, 2, 0.3);
    for (const maxBins of [32, 255]) {
      const tree = new RandomForest({ seed: 1, trees: 1, bootstrap: false, maxFeatures: noisy.X.cols, maxBins });
      tree.fit(noisy.X, noisy.y, 3);
      const P = tree.predictProba(noisy.X);
      assert.deepEqual(argmaxRows(P, noisy.X.rows, 3), noisy.y, `maxBins ${maxBins}`);
      for (const p of P) assert.ok(p === 0 || p === 1);
    }
  });

  it('splits at the midpoint between the training values it separates', () => {
    // x in {0, …, 9}: few distinct values, so every one is a bin edge; y = [x ≥ 5]
    const rows = 100;
    const X: Matrix = { rows, cols: 1, values: Float64Array.from({ length: rows }, (_, i) => i % 10) };
    const y = Int32Array.from(X.values, (x) => (x >= 5 ? 1 : 0));
    const stump = new RandomForest({ seed: 1, trees: 1, bootstrap: false, maxDepth: 1 });
    stump.fit(X, y, 2);
    const P = stump.predictProba({ rows: 4, cols: 1, values: Float64Array.from([4, 4.49, 4.51, 5]) });
    assert.deepEqual(Array.from(P), [1, 0, 1, 0, 0, 1, 0, 1]);
  });

  it('maxDepth and minSamplesLeaf bound the trees', () => {
    const stump = new RandomForest({ seed: 1, trees: 10, maxDepth: 1 });
    stump.fit(train.X, train.y, 3);
    assert.equal(stump.fitted()['depthMax'], 1);
    const big = new RandomForest({ seed: 1, trees: 10, minSamplesLeaf: 100 });
    big.fit(train.X, train.y, 3);
    // each leaf holds ≥ 100 of the ≈ 950 distinct bootstrap rows (1 − 1/e of 1,500)
    assert.ok((big.fitted()['leavesMean'] as number) <= 9.5, String(big.fitted()['leavesMean']));
  });

  it("classWeight 'balanced' raises the probability of a rare class", () => {
    // 2 overlapping classes, class 1 about 10 % of the rows
    const rng = createRng(9);
    const rows = 500;
    const values = new Float64Array(rows * 2);
    const y = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      y[i] = rng.next() < 0.1 ? 1 : 0;
      values[2 * i] = rng.normal(y[i] === 1 ? 1 : 0);
      values[2 * i + 1] = rng.normal();
    }
    const X: Matrix = { rows, cols: 2, values };
    const meanRare = (classWeight: 'balanced' | null): number => {
      const rf = new RandomForest({ seed: 2, trees: 30, classWeight, minSamplesLeaf: 10 });
      rf.fit(X, y, 2);
      const P = rf.predictProba(X);
      let s = 0;
      for (let r = 0; r < rows; r++) s += P[2 * r + 1] as number;
      return s / rows;
    };
    assert.ok(meanRare('balanced') > meanRare(null) + 0.1);
  });

  it('refuses bad input with an EadroError naming the field', () => {
    const rf = new RandomForest({ trees: 2 });
    expectEadroError(() => rf.fit(train.X, train.y.subarray(1), 3), /^y\.length$/);
    const bad = Int32Array.from(train.y);
    bad[5] = 3;
    expectEadroError(() => rf.fit(train.X, bad, 3), /^y\[5\]$/);
    bad[5] = -1;
    expectEadroError(() => rf.fit(train.X, bad, 3), /^y\[5\]$/);
    const nan = Float64Array.from(train.X.values);
    nan[2 * train.X.cols + 4] = Number.NaN;
    expectEadroError(() => rf.fit({ ...train.X, values: nan }, train.y, 3), /^X\[2, 4\]$/);
    expectEadroError(() => rf.fit({ rows: 2, cols: 3, values: new Float64Array(5) }, new Int32Array(2), 2), /values\.length/);
    expectEadroError(() => new RandomForest({ trees: 0 }), /^trees$/);
    expectEadroError(() => new RandomForest({ maxBins: 300 }), /^maxBins$/);
    expectEadroError(() => rf.predictProba(test.X), /^fit$/);
    rf.fit(train.X, train.y, 3);
    expectEadroError(() => rf.predictProba({ rows: 1, cols: 4, values: new Float64Array(4) }), /^X\.cols$/);
  });
});
