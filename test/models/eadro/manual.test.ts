import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { EadroError } from '../../../src/core/errors.js';
import { createEadro, disposeEadro, forwardEadro, predict, resolveEadroConfig, trainEadro, type Ablation, type EadroConfig, type EadroVariant } from '../../../src/models/eadro/index.js';
import { orderedSplit } from '../../../src/models/synthetic.js';
import { datasetDims, disposeBatch, makeBatch } from '../../../src/models/eadro/data.js';
import { Adam } from '../../../src/models/eadro/adam.js';
import { applyStep, autodiffGradients, chooseStep, type GradientResult } from '../../../src/models/eadro/step.js';
import { manualForward, disposeForward, manualGradients, supportsManualStep } from '../../../src/models/eadro/manual/network.js';
import { flatParams, gradientsToHost, maxRelDiff, tinyDataset, useTestBackend, values } from './helpers.js';
import { parityModel } from '../../../src/models/eadro/backend-parity.js';

/** The parity tests' small layer sizes (src/models/eadro/backend-parity.ts). */
const small = parityModel;
const TOLERANCE = 2e-4; // float32 rounding differs between the two computations (sums in float64 here)

const toHost = gradientsToHost;


describe('models/eadro/manual (hand-written forward and backward)', function () {
  this.timeout(60000);
  before(useTestBackend);

  const cases: { variant: EadroVariant; without: Ablation[]; extra?: Partial<EadroConfig> }[] = [
    { variant: 'reference', without: [] },
    { variant: 'reference', without: ['logs'] },
    { variant: 'reference', without: ['kpis'] },
    { variant: 'reference', without: ['traces'] },
    { variant: 'reference', without: ['graph'] },
    { variant: 'paper', without: [] },
    { variant: 'paper', without: ['graph'] },
    { variant: 'paper', without: ['kpis', 'logs'] },
    { variant: 'reference', without: [], extra: { gatHeadCombine: 'mean', dilation: 2, kernelSize: 3 } },
    { variant: 'paper', without: [], extra: { batchNormBeforeChomp: true, gatActivation: 'none' } }, // softmax-qkv after a chomp
  ];
  for (const { variant, without, extra } of cases) {
    const label = `${variant}${without.length ? ` without ${without.join(',')}` : ''}${extra ? ` ${JSON.stringify(extra)}` : ''}`;
    it(`losses, every gradient and the BatchNorm statistics equal autodiff: ${label}`, () => {
      const ds = tinyDataset({ N: 6, T: 7, W: 40, seed: 5 });
      const config = { variant, without, ...small, ...extra };
      assert.ok(supportsManualStep(resolveEadroConfig(config)));
      const model = createEadro(config, datasetDims(ds), 3);
      // a batch with normal and faulty windows; the paper variant's predicted mask needs flagged ones
      const batch = makeBatch(ds, Array.from({ length: 12 }, (_, i) => i * 3), model.config);
      const auto = toHost(autodiffGradients(model, batch));
      const manual = toHost(manualGradients(model, batch));
      auto.losses.forEach((l, i) => assert.ok(Math.abs(l - manual.losses[i]!) <= TOLERANCE * Math.max(1, Math.abs(l)), `loss ${i}: ${l} vs ${manual.losses[i]}`));
      assert.deepEqual([...manual.grads.keys()].sort(), [...auto.grads.keys()].sort());
      for (const [k, g] of auto.grads) {
        const d = maxRelDiff(manual.grads.get(k)!, g);
        assert.ok(d < TOLERANCE, `gradient ${k}: max relative difference ${d}`);
      }
      assert.deepEqual([...manual.bn.keys()].sort(), [...auto.bn.keys()].sort());
      for (const [k, v] of auto.bn) assert.ok(maxRelDiff(manual.bn.get(k)!, v) < TOLERANCE, `BatchNorm ${k}`);
      disposeBatch(batch);
      disposeEadro(model);
    });
  }

  it('keeps the tensor count flat across steps, also without prebuilt conv taps', () => {
    const ds = tinyDataset({ W: 30 });
    const model = createEadro({ variant: 'reference', ...small }, datasetDims(ds), 4);
    const adam = new Adam({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    const withTaps = makeBatch(ds, [0, 1, 2, 3, 4, 5, 6, 7], model.config);
    const withoutTaps = makeBatch(ds, [8, 9, 10, 11, 12, 13, 14, 15]);
    applyStep(model, adam, manualGradients(model, withTaps)); // first step creates Adam's moments
    const counts: number[] = [];
    for (let s = 0; s < 3; s++) {
      applyStep(model, adam, manualGradients(model, s % 2 ? withTaps : withoutTaps));
      counts.push(tf.memory().numTensors);
    }
    assert.equal(new Set(counts).size, 1, `tensor counts ${counts.join(', ')}`);
    disposeBatch(withTaps);
    disposeBatch(withoutTaps);
    adam.dispose();
    disposeEadro(model);
  });

  it('reuses its host buffers safely: batches of changing size (and a forward-only pass between) keep matching autodiff', () => {
    const ds = tinyDataset({ W: 40, seed: 12 });
    for (const variant of ['reference', 'paper'] as const) {
      const model = createEadro({ variant, ...small }, datasetDims(ds), 5);
      for (const [i, size] of [9, 4, 9, 13].entries()) {
        const batch = makeBatch(ds, Array.from({ length: size }, (_, k) => (i * 7 + k * 3) % 40), model.config);
        if (i === 2) disposeForward(manualForward(model, batch, false));
        const auto = toHost(autodiffGradients(model, batch));
        const manual = toHost(manualGradients(model, batch));
        assert.ok(Math.abs(auto.losses[0]! - manual.losses[0]!) < TOLERANCE * Math.max(1, auto.losses[0]!), `${variant} batch ${size}: loss`);
        for (const [k, g] of auto.grads) assert.ok(maxRelDiff(manual.grads.get(k)!, g) < TOLERANCE, `${variant} batch ${size}: gradient ${k}`);
        disposeBatch(batch);
      }
      disposeEadro(model);
    }
  });

  for (const variant of ['reference', 'paper'] as const) {
    it(`training with manual steps reproduces autodiff-trained weights (${variant}, 5 steps)`, () => {
      const ds = tinyDataset({ W: 40, seed: 9 });
      // The conv biases cancel inside BatchNorm: their gradient is rounding noise (~1e-9) in both
      // computations, which Adam scales up to steps of ~lr. They are compared apart: tiny gradients.
      const train = (step: 'manual' | 'autodiff'): { weights: Float32Array; bn: Float32Array; bnMean: Float32Array } => {
        const model = createEadro({ variant, ...small }, datasetDims(ds), 6);
        const adam = new Adam({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
        for (let s = 0; s < 5; s++) {
          const batch = makeBatch(ds, Array.from({ length: 8 }, (_, i) => (s * 8 + i) % 40), model.config);
          const result = step === 'manual' ? manualGradients(model, batch) : autodiffGradients(model, batch);
          for (const [k, g] of result.grads) if (k.endsWith('.conv.bias')) assert.ok(values(g).every((v) => Math.abs(v) < 1e-6), `${step} ${k} is noise`);
          applyStep(model, adam, result);
          disposeBatch(batch);
        }
        // pool.gate.bias too: the softmax over nodes ignores a shared shift, so its gradient is
        // analytically 0 and numerically noise, which Adam turns into steps of ~lr with either sign.
        const weights = flatParams(model, (k) => !k.endsWith('.conv.bias') && k !== 'pool.gate.bias');
        const bn = Float32Array.from([...model.bnState.values()].flatMap((s) => [...values(s.variance)]));
        const bnMean = Float32Array.from([...model.bnState.values()].flatMap((s) => [...values(s.mean)]));
        adam.dispose();
        disposeEadro(model);
        return { weights, bn, bnMean };
      };
      const a = train('autodiff');
      const m = train('manual');
      const d = maxRelDiff(m.weights, a.weights);
      // Adam normalises each step to ~lr = 1e-3 per weight, so rounding-level gradient differences stay far below it
      assert.ok(d < 1e-4, `weights differ by ${d}`);
      assert.ok(maxRelDiff(m.bn, a.bn) < 1e-4, 'running variances');
      // running means include the conv biases, which may drift apart by up to ~lr per step (see above)
      assert.ok(maxRelDiff(m.bnMean, a.bnMean) < 5e-3, 'running means');
    });
  }

  for (const variant of ['reference', 'paper'] as const) {
    it(`the forward-only pass equals forwardEadro in eval mode (${variant})`, () => {
      const ds = tinyDataset({ W: 30 });
      const model = createEadro({ variant, ...small }, datasetDims(ds), 8);
      // Non-trivial running statistics: one training step first.
      const adam = new Adam({ learningRate: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
      const first = makeBatch(ds, [0, 1, 2, 3, 4, 5], model.config);
      applyStep(model, adam, manualGradients(model, first));
      disposeBatch(first);
      const batch = makeBatch(ds, [10, 11, 12, 13, 14, 15, 16], model.config);
      const before = tf.memory().numTensors;
      const fast = manualForward(model, batch, false);
      disposeForward(fast);
      assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
      const ref = tf.tidy(() => {
        const o = forwardEadro(model, batch, false);
        return [values(o.detectLogits).slice(), values(o.locateLogits).slice(), values(o.fused).slice()];
      });
      assert.ok(maxRelDiff(fast.detectLogits, ref[0]!) < 1e-4, 'detector logits');
      assert.ok(maxRelDiff(fast.locateLogits, ref[1]!) < 1e-4, 'localizer logits');
      assert.ok(maxRelDiff(fast.fused, ref[2]!) < 1e-4, 'fused representation');
      disposeBatch(batch);
      adam.dispose();
      disposeEadro(model);
    });
  }

  /** Run `f` with EADRO_STEP set to `value` (undefined: unset), restoring it afterwards. */
  async function withStepEnv<T>(value: string | undefined, f: () => T | Promise<T>): Promise<T> {
    const saved = process.env['EADRO_STEP'];
    if (value === undefined) delete process.env['EADRO_STEP'];
    else process.env['EADRO_STEP'] = value;
    try {
      return await f();
    } finally {
      if (saved === undefined) delete process.env['EADRO_STEP'];
      else process.env['EADRO_STEP'] = saved;
    }
  }

  for (const variant of ['reference', 'paper'] as const) {
    it(`predict gives the same outputs and loss on the manual path and on forwardEadro (${variant})`, async () => {
      const ds = tinyDataset({ W: 40 });
      const model = createEadro({ variant, ...small }, datasetDims(ds), 10);
      const ids = Array.from({ length: 25 }, (_, i) => i + 3);
      const before = tf.memory().numTensors;
      const fast = await withStepEnv(undefined, () => predict(model, ds, ids, { withLoss: true, batchSize: 10 }));
      assert.equal(tf.memory().numTensors, before, 'the manual path leaks no tensors');
      const slow = await withStepEnv('autodiff', () => predict(model, ds, ids, { withLoss: true, batchSize: 10 })); // the loss is per batch
      assert.ok(maxRelDiff(fast.anomalyProb, slow.anomalyProb) < 1e-5, 'anomaly probabilities');
      assert.ok(maxRelDiff(fast.culpritProb, slow.culpritProb) < 1e-5, 'culprit probabilities');
      assert.ok(maxRelDiff(fast.fused, slow.fused) < 1e-4, 'fused representation');
      assert.ok(Math.abs(fast.loss! - slow.loss!) < 1e-4 * Math.max(1, slow.loss!), `loss ${fast.loss} vs ${slow.loss}`);
      disposeEadro(model);
    });
  }

  it('trainEadro records which step ran; EADRO_STEP=autodiff forces autodiff; a bad value is an input error', async () => {
    const ds = tinyDataset({ W: 30 });
    const split = orderedSplit(30, 0.6, 0.2);
    const config = { variant: 'reference' as const, ...small, batchSize: 8, maxEpochs: 2 };
    const quiet = process.env['EADRO_QUIET'];
    process.env['EADRO_QUIET'] = '1';
    try {
      const manual = await withStepEnv(undefined, () => trainEadro(ds, split, config, { seed: 2 }));
      assert.equal(manual.step, 'manual');
      assert.ok(manual.history.every((h) => h.step === 'manual'));
      const auto = await withStepEnv('autodiff', () => trainEadro(ds, split, config, { seed: 2 }));
      assert.equal(auto.step, 'autodiff');
      assert.ok(auto.history.every((h) => h.step === 'autodiff'));
      // same data, same seed: the two trainings agree on the per-epoch training loss
      auto.history.forEach((h, i) => assert.ok(Math.abs(h.trainLoss - manual.history[i]!.trainLoss) < 1e-3, `epoch ${i + 1} loss`));
      const forced = await withStepEnv('manual', () => trainEadro(ds, split, config, { seed: 2, step: 'autodiff' }));
      assert.equal(forced.step, 'autodiff', 'the train option wins over the environment');
      await withStepEnv('fast', () => assert.throws(() => chooseStep(resolveEadroConfig(config)), (e: unknown) => e instanceof EadroError && /EADRO_STEP/.test(e.message)));
      for (const r of [manual, auto, forced]) disposeEadro(r.model);
    } finally {
      if (quiet === undefined) delete process.env['EADRO_QUIET'];
      else process.env['EADRO_QUIET'] = quiet;
    }
  });
});
