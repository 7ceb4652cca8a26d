/** FE+ML with OC-SVM (baselines.md §3.1): features by hand, z-scoring, SMO optimality, ν-property, detector, refusal. */
import { strict as assert } from 'node:assert';
import {
  OcsvmDetector,
  feOcsvmDefaults,
  fitColumnScaler,
  ocsvmDecision,
  scaleColumns,
  scaleGamma,
  serviceFeatureNames,
  trainOneClassSvm,
  windowFeatures,
  type FeatureMatrix,
} from '../../src/baselines/fe-ocsvm.js';
import type { NSigmaStats } from '../../src/baselines/n-sigma.js';
import { createRng } from '../../src/core/rng.js';
import { baselineMethod } from '../../src/experiments/methods/baseline.js';
import { getMethod } from '../../src/experiments/registry.js';
import type { ProtocolSplit } from '../../src/evaluation/protocols.js';
import type { WindowDataset } from '../../src/windows/types.js';
import { latencyDataset } from './helpers.js';

/** `l` points of a seeded 2-D standard normal cloud. */
function gaussianCloud(l: number, seed: number): FeatureMatrix {
  const rng = createRng(seed);
  return { rows: l, cols: 2, values: Float64Array.from({ length: 2 * l }, () => rng.normal()) };
}

const close = (a: number, b: number, tol = 1e-9): boolean => Math.abs(a - b) <= tol;

describe('baselines/fe-ocsvm', () => {
  it('computes each per-service statistic by hand (T = 4, a service without spans gets zeros)', () => {
    // a: slots 10, pad, 20, 30 (ms) at t = 0, 2, 3; b: no span at all.
    const ds = latencyDataset([[[10, 0, 20, 30], [0, 0, 0, 0]]], [-1]);
    const stats: NSigmaStats = { mean: Float64Array.from([20, Number.NaN]), std: Float64Array.from([5, Number.NaN]), slots: Int32Array.from([3, 0]) };
    const m = windowFeatures(ds, [0], stats);
    assert.equal(m.rows, 1);
    assert.equal(m.cols, 2 * serviceFeatureNames.length);
    const a = Object.fromEntries(serviceFeatureNames.map((name, k) => [name, m.values[k]!]));
    const b = Object.fromEntries(serviceFeatureNames.map((name, k) => [name, m.values[serviceFeatureNames.length + k]!]));
    assert.ok(close(a.latencyMean!, 20));
    assert.ok(close(a.latencyStd!, Math.sqrt(200 / 3))); // population std of 10, 20, 30
    assert.equal(a.latencyMax, 30);
    assert.equal(a.latencyMin, 10);
    assert.ok(close(a.latencyLastMinusMean!, 10));
    // OLS on (0, 10), (2, 20), (3, 30): Sxy = 30, Sxx = 14/3 -> 45/7 ms per second
    assert.ok(close(a.latencySlope!, 45 / 7));
    assert.equal(a.emptySlotFraction, 0.25);
    assert.equal(a.invocationMean, 0.75);
    assert.equal(a.invocationMax, 1);
    assert.ok(close(a.maxZTrain!, 2)); // (30 - 20) / 5
    assert.deepEqual(
      serviceFeatureNames.map((n) => b[n]),
      [0, 0, 0, 0, 0, 0, 1, 0, 0, 0],
    );
  });

  it('a service with one span: std 0, slope 0, and its max-z from the given N-sigma statistics ((7 - 5) / 1)', () => {
    // With one span a service has std 0 and slope 0.
    const ds = latencyDataset([[[0, 7, 0, 0], [0, 0, 0, 0]]], [-1]);
    const stats: NSigmaStats = { mean: Float64Array.from([5, 5]), std: Float64Array.from([1, 1]), slots: Int32Array.from([9, 9]) };
    const v = windowFeatures(ds, [0], stats).values;
    assert.deepEqual(Array.from(v.subarray(0, 10)), [7, 0, 7, 7, 0, 0, 0.75, 0.25, 1, 2]);
  });

  it('z-scores columns with training statistics and maps a constant column to 0', () => {
    const train: FeatureMatrix = { rows: 3, cols: 2, values: Float64Array.from([1, 5, 2, 5, 3, 5]) };
    const scaler = fitColumnScaler(train);
    assert.ok(close(scaler.mean[0]!, 2) && close(scaler.std[0]!, Math.sqrt(2 / 3)));
    assert.equal(scaler.std[1], 0);
    const other: FeatureMatrix = { rows: 1, cols: 2, values: Float64Array.from([4, 99]) };
    const z = scaleColumns(other, scaler);
    assert.ok(close(z.values[0]!, 2 / Math.sqrt(2 / 3)));
    assert.equal(z.values[1], 0); // constant in training: no information, whatever the value now
    // gamma "scale": 1 / (d · Var(X)) over all entries
    assert.ok(close(scaleGamma({ rows: 2, cols: 2, values: Float64Array.from([0, 0, 2, 2]) }), 1 / (2 * 1)));
  });

  for (const gamma of [0.1, 0.5]) {
    it(`SMO reaches the KKT conditions of the one-class dual and the ν-property holds (γ = ${gamma})`, () => {
      const l = 200;
      const nu = 0.1;
      const x = gaussianCloud(l, 7);
      const model = trainOneClassSvm(x, { nu, gamma });
      assert.ok(model.converged);
      const bound = 1 / (nu * l);
      const sum = model.alpha.reduce((s, v) => s + v, 0);
      assert.ok(close(sum, 1, 1e-9), `sum alpha ${sum}`);
      for (const a of model.alpha) assert.ok(a >= 0 && a <= bound + 1e-12);
      // libsvm's tolerance 1e-3 is in its Σα = νl scaling; here it shrinks by νl.
      const tol = feOcsvmDefaults.tolerance / (nu * l);
      const f = ocsvmDecision(model, x);
      let free = 0;
      model.alpha.forEach((a, i) => {
        const fi = f[i]!;
        if (a > 1e-12 && a < bound - 1e-12) {
          free++;
          assert.ok(Math.abs(fi) <= tol, `free SV ${i}: f = ${fi}`);
        } else if (a <= 1e-12) assert.ok(fi >= -tol, `α = 0 but f = ${fi}`);
        else assert.ok(fi <= tol, `α at the bound but f = ${fi}`);
      });
      assert.equal(free, model.freeSupportVectors);
      // ν-property (Schölkopf et al. 2001, Prop. 4): outlier share ≤ ν ≤ SV share. SVs ≥ νl follows
      // from Σα = 1 with α ≤ 1/(νl); outliers (f < −tol) are all at the bound, so at most νl of them;
      // the bounded SVs carry at least 1 − free·(1/(νl)) of the mass, so outliers ≥ νl − free − (the
      // bounded SVs that sit on the boundary within tol). So the outlier share is ν within free/l:
      // a wide band at γ = 0.5 (23 free SVs here), a tight one at γ = 0.1 (3).
      const outliers = Array.from(f).filter((v) => v < -tol).length;
      const onBoundary = Array.from(f).filter((v) => Math.abs(v) <= tol).length;
      assert.ok(model.supportIndices.length >= nu * l);
      assert.ok(outliers <= nu * l, `outliers ${outliers}`);
      assert.ok(outliers + onBoundary >= nu * l, `outliers ${outliers}, on the boundary ${onBoundary}`);
      assert.ok(outliers >= nu * l - free - onBoundary, `outliers ${outliers}, free ${free}`);
      if (gamma === 0.1) assert.ok(Math.abs(outliers / l - nu) <= 0.03, `outlier share ${outliers / l}`);
    });
  }

  it('puts the centre of the cloud inside (f > 0) and far points outside (f < 0)', () => {
    // A small γ (kernel width about 3 standard deviations): with a narrow kernel and small ν the mass
    // of α sits on the rim and the centre of a Gaussian cloud can fall just below ρ (a real property
    // of RBF OC-SVMs, seen here at γ = 0.5, ν = 0.05).
    const x = gaussianCloud(150, 3);
    const model = trainOneClassSvm(x, { nu: 0.1, gamma: 0.1 });
    const probe: FeatureMatrix = { rows: 4, cols: 2, values: Float64Array.from([0, 0, 6, 6, -8, 1, -40, 1]) };
    const f = ocsvmDecision(model, probe);
    assert.ok(f[0]! > 0, `centre f = ${f[0]}`);
    assert.ok(f[1]! < 0 && f[2]! < 0 && f[3]! < 0, `far f = ${f[1]}, ${f[2]}, ${f[3]}`);
    assert.ok(close(f[3]!, -model.rho, 1e-12)); // no kernel mass that far: f = −ρ
  });

  /** 40 normal training windows (latency ≈ 10 ms, some padding), then selection and test windows. */
  function detectorData(): { ds: WindowDataset; train: number[]; val: number[]; test: number[] } {
    const rng = createRng(11);
    const lat: number[][][] = [];
    const labels: number[] = [];
    const normalWindow = (): number[][] => [0, 1].map(() => [0, 1, 2, 3].map(() => (rng.next() < 0.1 ? 0 : 10 + rng.normal())));
    const faultyWindow = (): number[][] => [[60 + rng.normal(), 70 + rng.normal(), 80, 90], normalWindow()[1]!];
    for (let w = 0; w < 40; w++) {
      lat.push(normalWindow());
      labels.push(-1);
    }
    const val: number[] = [];
    const test: number[] = [];
    for (const part of [val, test]) {
      for (let k = 0; k < 6; k++) {
        const faulty = k % 2 === 0;
        part.push(lat.length);
        lat.push(faulty ? faultyWindow() : normalWindow());
        labels.push(faulty ? 0 : -1);
      }
    }
    return { ds: latencyDataset(lat, labels), train: Array.from({ length: 40 }, (_, w) => w), val, test };
  }

  it('runs as a harness method: ν chosen on validation, faulty windows flagged and scored higher', async () => {
    const { ds, train, val, test } = detectorData();
    const method = baselineMethod('fe-ml', 'test', () => ({ detector: new OcsvmDetector() }));
    const split = { train, val, test, protocol: 'temporal', params: {}, modelSelection: 'validation', fold: null, purged: 0 } as unknown as ProtocolSplit;
    const ctx = { seed: 0, workDir: '/nonexistent', method: { name: 'fe-ml' }, progress: () => undefined };
    const r = await method.fitAndEvaluate(ds, split, ctx);
    assert.deepEqual(r.windows, test);
    assert.equal(r.ranking, null);
    const faulty = test.map((w) => ds.labels[w]! >= 0);
    faulty.forEach((isFaulty, b) => {
      if (isFaulty) assert.equal(r.predictedAnomalous[b], true, `faulty test window ${b} missed`);
    });
    const minFaulty = Math.min(...r.anomalyScore!.filter((_, b) => faulty[b]));
    const maxNormal = Math.max(...r.anomalyScore!.filter((_, b) => !faulty[b]));
    assert.ok(minFaulty > maxNormal, `faulty ${minFaulty} vs normal ${maxNormal}`);
    r.anomalyScore!.forEach((s, b) => assert.equal(s > 0, r.predictedAnomalous[b])); // flagged iff f < 0
    const info = (r.info as { detector: Record<string, unknown> }).detector;
    assert.ok(feOcsvmDefaults.nuCandidates.includes(info.nu as number));
    const f1s = info.selectionF1ByNu as Record<string, number>;
    assert.equal(f1s[String(info.nu)], Math.max(...Object.values(f1s)));
    assert.equal(info.trainedOnWindows, 40);
    assert.equal(info.subsampled, false);
    assert.equal(info.converged, true);
    assert.ok((info.supportVectors as number) >= 1);
    // The registry entry is the same adapter around the same detector.
    const registered = await (await getMethod('fe-ml')).fitAndEvaluate(ds, split, ctx);
    assert.deepEqual(registered.anomalyScore, r.anomalyScore);
    assert.deepEqual(registered.predictedAnomalous, r.predictedAnomalous);
  });

  it('subsamples the training windows reproducibly and keeps the default ν without faulty selection windows', () => {
    const { ds, train, val } = detectorData();
    const normalVal = val.filter((w) => ds.labels[w]! < 0);
    const fitOnce = (): Record<string, unknown> => {
      const d = new OcsvmDetector(feOcsvmDefaults.nuCandidates, 20);
      d.fit({ ds, train, select: normalVal, seed: 5 });
      return d.fitted();
    };
    const first = fitOnce();
    assert.equal(first.subsampled, true);
    assert.equal(first.trainedOnWindows, 20);
    assert.equal(first.normalTrainWindows, 40);
    assert.equal(first.nu, feOcsvmDefaults.defaultNu);
    assert.deepEqual(Object.values(first.selectionF1ByNu as object), [null, null, null]);
    assert.deepEqual(fitOnce(), first);
  });

  it('refuses latency normalised at build time, naming the setting', () => {
    const ds = latencyDataset([[[1, 2, 3], [1, 2, 3]]], [-1], 'reference-per-run');
    assert.throws(
      () => new OcsvmDetector().fit({ ds, train: [0], select: [], seed: 0 }),
      (e: Error) => /FE\+ML needs raw latency/.test(e.message) && /field: pipeline\.normalization/.test(e.message) && /found: reference-per-run/.test(e.message),
    );
  });
});
