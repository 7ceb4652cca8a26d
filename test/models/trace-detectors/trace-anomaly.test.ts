/**
 * TraceAnomaly's VAE on generated call-path vectors: injected outlier vectors score above normal ones
 * (plain VAE and with the posterior flow), the flow's log-determinant is that of its Jacobian, and a
 * seed reproduces training and scores.
 */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../../src/core/rng.js';
import {
  createTraceAnomalyModel,
  disposeTraceAnomalyModel,
  flowForward,
  scoreTraceVectors,
  traceAnomalyDefaults,
  trainTraceAnomaly,
  type TraceAnomalyConfig,
} from '../../../src/models/trace-detectors/trace-anomaly.js';
import { useTestBackend } from '../eadro/helpers.js';

const D = 16;

/** Normal vectors: 3 latent factors mixed into D dims plus noise; a few paths absent (−1) at random. */
function normalVectors(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const mix = createRng(99);
  const A = Array.from({ length: D * 3 }, () => mix.normal(0, 0.6));
  const x = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const z = [rng.normal(), rng.normal(), rng.normal()];
    for (let d = 0; d < D; d++) x[i * D + d] = d >= 12 && rng.bernoulli(0.3) ? -1 : A[d * 3]! * z[0]! + A[d * 3 + 1]! * z[1]! + A[d * 3 + 2]! * z[2]! + rng.normal(0, 0.1);
  }
  return x;
}

/** Outliers: normal vectors with three paths 6 std slower. */
function outlierVectors(n: number, seed: number): Float32Array {
  const x = normalVectors(n, seed);
  for (let i = 0; i < n; i++) for (const d of [2, 5, 9]) x[i * D + d]! += 6;
  return x;
}

/** Share of (outlier, normal) pairs ordered right: the ROC AUC of the scores. */
function auc(outlier: Float32Array, normal: Float32Array): number {
  let right = 0;
  for (const o of outlier) for (const v of normal) right += o > v ? 1 : o === v ? 0.5 : 0;
  return right / (outlier.length * normal.length);
}

const small: TraceAnomalyConfig = { ...traceAnomalyDefaults, hidden: 32, maxEpochs: 40, evalEvery: 5, batchSize: 64, scoreSamples: 16, posteriorFlow: false, flowLayers: 2 };

describe('models/trace-detectors/trace-anomaly', function () {
  this.timeout(120_000);
  before(useTestBackend);

  for (const posteriorFlow of [false, true]) {
    it(`${posteriorFlow ? 'with the posterior flow' : 'plain VAE'}: outlier vectors score above normal ones`, async () => {
      const config = { ...small, posteriorFlow };
      const trained = await trainTraceAnomaly(normalVectors(600, 1), normalVectors(100, 2), D, config, 0);
      try {
        assert.ok(trained.bestEpoch > 0 && trained.bestEpoch % config.evalEvery === 0, 'the kept epoch is a held-out check');
        const first = trained.history[0]!.trainLoss;
        const last = trained.history[trained.history.length - 1]!.trainLoss;
        assert.ok(last < first, `training lowers the loss (${first} -> ${last})`);
        const normal = await scoreTraceVectors(trained.model, normalVectors(200, 3), 5);
        const outliers = await scoreTraceVectors(trained.model, outlierVectors(40, 4), 5);
        const a = auc(outliers, normal);
        assert.ok(a > 0.97, `AUC ${a.toFixed(3)}`);
      } finally {
        disposeTraceAnomalyModel(trained.model);
      }
    });
  }

  it('a seed reproduces the training history and the scores', async () => {
    const config = { ...small, maxEpochs: 10 };
    const run = async (): Promise<{ losses: number[]; scores: number[] }> => {
      const t = await trainTraceAnomaly(normalVectors(200, 1), normalVectors(50, 2), D, config, 7);
      const scores = Array.from(await scoreTraceVectors(t.model, outlierVectors(10, 4), 3));
      disposeTraceAnomalyModel(t.model);
      return { losses: t.history.map((h) => h.trainLoss), scores };
    };
    const a = await run();
    const b = await run();
    assert.deepEqual(a, b);
  });

  it("the flow's log-determinant is log |det| of its Jacobian (finite differences)", () => {
    const Z = 4;
    const model = createTraceAnomalyModel({ ...small, zDim: Z, posteriorFlow: true, flowLayers: 3, hidden: 8 }, 5, 11);
    // Move every flow weight off its start (ActNorm 0, logd 0) so that each part counts.
    const rng = createRng(3);
    for (const [name, v] of model.params) {
      if (!name.startsWith('flow')) continue;
      v.assign(tf.tensor(Array.from({ length: v.size }, () => rng.uniform(-0.4, 0.4)), v.shape));
    }
    const z0 = [0.3, -0.7, 1.1, 0.2];
    const f = (z: number[]): number[] => tf.tidy(() => Array.from(flowForward(model, tf.tensor2d([z], [1, Z])).z.dataSync()));
    const logDet = tf.tidy(() => flowForward(model, tf.tensor2d([z0], [1, Z])).logDet.dataSync()[0]!);
    const h = 1e-2;
    const J: number[][] = Array.from({ length: Z }, () => new Array<number>(Z).fill(0));
    for (let j = 0; j < Z; j++) {
      const up = f(z0.map((v, i) => (i === j ? v + h : v)));
      const down = f(z0.map((v, i) => (i === j ? v - h : v)));
      for (let i = 0; i < Z; i++) J[i]![j] = (up[i]! - down[i]!) / (2 * h);
    }
    // log |det J| by Gaussian elimination with partial pivoting.
    let logAbs = 0;
    const M = J.map((r) => [...r]);
    for (let c = 0; c < Z; c++) {
      let p = c;
      for (let r = c + 1; r < Z; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
      [M[c], M[p]] = [M[p]!, M[c]!];
      logAbs += Math.log(Math.abs(M[c]![c]!));
      for (let r = c + 1; r < Z; r++) {
        const k = M[r]![c]! / M[c]![c]!;
        for (let q = c; q < Z; q++) M[r]![q]! -= k * M[c]![q]!;
      }
    }
    disposeTraceAnomalyModel(model);
    assert.ok(Math.abs(logAbs - logDet) < 2e-2, `numeric ${logAbs.toFixed(4)} vs flow ${logDet.toFixed(4)}`);
  });

  it('refuses an empty vector space and empty training data, by name', async () => {
    assert.throws(() => createTraceAnomalyModel(small, 0, 0), /at least one call path/);
    await assert.rejects(trainTraceAnomaly(new Float32Array(0), new Float32Array(0), D, small, 0), /no training traces/);
  });
});
