import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../../src/core/rng.js';
import { EadroError } from '../../../src/core/errors.js';
import { createEadro, disposeEadro, forwardEadro, predict, resolveEadroConfig, type Ablation, type EadroVariant, type SelfLoops } from '../../../src/models/eadro/index.js';
import { datasetDims, disposeBatch, makeBatch } from '../../../src/models/eadro/data.js';
import { causalConvBlock, causalTaps, causalTapsHost } from '../../../src/models/eadro/layers/causal-conv.js';
import { Adam } from '../../../src/models/eadro/adam.js';
import { autodiffGradients, trainStepAutodiff } from '../../../src/models/eadro/step.js';
import { installFastWasmKernels, uninstallFastWasmKernels } from '../../../src/models/eadro/wasm-kernels.js';
import { maxRelDiff, tinyDataset, useTestBackend, values } from './helpers.js';

describe('models/eadro/model', () => {
  before(useTestBackend);

  it('resolves both variants with their documented differences, and rejects unknown ablations', () => {
    const paper = resolveEadroConfig({ variant: 'paper' });
    const reference = resolveEadroConfig({ variant: 'reference' });
    assert.deepEqual(
      [paper.kernelSize, paper.gatHidden, paper.timeAttention, paper.detector, paper.locateMask, paper.edgeDirection, paper.selfLoops],
      [3, 128, 'softmax-qkv', 'sigmoid-bce', 'predicted', 'callee->caller', 'every-node'],
    );
    assert.deepEqual(
      [reference.kernelSize, reference.gatHidden, reference.timeAttention, reference.detector, reference.locateMask, reference.edgeDirection, reference.selfLoops],
      [2, 64, 'tanh-score', 'softmax-ce', 'ground-truth', 'caller->callee', 'as-listed'],
    );
    // Configs stored before the three-way choice hold booleans.
    assert.equal(resolveEadroConfig({ selfLoops: true as unknown as SelfLoops }).selfLoops, 'every-node');
    assert.equal(resolveEadroConfig({ variant: 'reference', selfLoops: false as unknown as SelfLoops }).selfLoops, 'none');
    assert.throws(() => resolveEadroConfig({ selfLoops: 'some' as SelfLoops }), (e: unknown) => e instanceof EadroError && e.details.field === 'selfLoops');
    assert.equal(resolveEadroConfig({}).variant, 'paper');
    assert.throws(() => resolveEadroConfig({ without: ['metrics' as Ablation] }), (e: unknown) => e instanceof EadroError && /without/.test(e.message));
    assert.throws(() => resolveEadroConfig({ without: ['logs', 'kpis', 'traces'] }), EadroError);
  });

  const variants: EadroVariant[] = ['paper', 'reference'];
  const ablations: Ablation[][] = [[], ['logs'], ['kpis'], ['traces'], ['graph']];
  for (const variant of variants) {
    for (const without of ablations) {
      it(`predict shapes: ${variant}${without.length ? ` without ${without[0]}` : ''}`, () => {
        const ds = tinyDataset();
        const model = createEadro({ variant, without, gatHidden: 8, fuseDim: 8, kpiFilters: 6, traceFilters: 6, logDim: 4 }, datasetDims(ds), 1);
        const before = tf.memory().numTensors;
        const ids = [0, 3, 5];
        const p = predict(model, ds, ids);
        assert.equal(tf.memory().numTensors, before, 'predict leaks no tensors');
        assert.equal(p.anomalyProb.length, 3);
        assert.equal(p.culpritProb.length, 3 * 5);
        assert.equal(p.ranking.length, 3 * 5);
        assert.equal(p.fused.length, 3 * 8);
        assert.ok(p.anomalyProb.every((v) => v >= 0 && v <= 1));
        for (let b = 0; b < 3; b++) {
          const row = p.culpritProb.slice(b * 5, (b + 1) * 5);
          assert.ok(Math.abs(row.reduce((a, c) => a + c, 0) - 1) < 1e-5, 'culprit probabilities sum to 1');
          const rank = [...p.ranking.slice(b * 5, (b + 1) * 5)];
          assert.deepEqual([...rank].sort(), [0, 1, 2, 3, 4], 'ranking is a permutation');
          for (let r = 1; r < 5; r++) assert.ok(row[rank[r - 1]!]! >= row[rank[r]!]!, 'ranking is by descending probability');
        }
        const names = [...model.params.keys()];
        assert.equal(names.some((n) => n.startsWith('log.')), !without.includes('logs'));
        assert.equal(names.some((n) => n.startsWith('kpi.')), !without.includes('kpis'));
        assert.equal(names.some((n) => n.startsWith('trace.')), !without.includes('traces'));
        assert.equal(names.some((n) => n.startsWith('gat.')), !without.includes('graph'));
        disposeEadro(model);
      });
    }
  }

  it('reverses edges given in the other direction and adds self-loops only in the paper variant', () => {
    const ds = tinyDataset(); // caller->callee edges
    const paper = createEadro({ variant: 'paper' }, datasetDims(ds), 1);
    const reference = createEadro({ variant: 'reference' }, datasetDims(ds), 1);
    const [callers, callees] = ds.edges;
    const N = 5;
    // adjacency row = target: reference messages flow caller -> callee, paper callee -> caller
    assert.equal(reference.adjacency[callees[0]! * N + callers[0]!], 1);
    assert.equal(paper.adjacency[callers[0]! * N + callees[0]!], 1);
    for (let i = 0; i < N; i++) {
      assert.equal(paper.adjacency[i * N + i], 1);
      assert.equal(reference.adjacency[i * N + i], 0);
    }
    disposeEadro(paper);
    disposeEadro(reference);
  });

  it('the conv block\'s hand-written BatchNorm backward equals autodiff of the plain formula', () => {
    const rng = createRng(5);
    const R = 6;
    const T = 5;
    const Cin = 3;
    const C = 4;
    const k = 3;
    const rand = (shape: number[], std = 1) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal(0, std)), shape);
    const x = rand([R, T, Cin]) as tf.Tensor3D;
    const params = [rand([k * Cin, C], 0.5), rand([C], 0.1), rand([C], 0.3).add(1), rand([C], 0.1)];
    const upstream = rand([R, T, C]);
    const opts = { kernelSize: k, dilation: 2, batchNormBeforeChomp: true, epsilon: 1e-5 };
    const state = { mean: tf.zeros([C]) as tf.Tensor1D, variance: tf.ones([C]) as tf.Tensor1D };
    const custom = (w: tf.Tensor, b: tf.Tensor, g: tf.Tensor, be: tf.Tensor) =>
      tf.sum(tf.mul(causalConvBlock(x, { weight: w as tf.Tensor2D, bias: b as tf.Tensor1D, gamma: g as tf.Tensor1D, beta: be as tf.Tensor1D }, state, opts, true).y, upstream));
    // The plain formula: dilated causal conv by explicit per-step sums, BN over the un-chomped output.
    const plain = (w: tf.Tensor, b: tf.Tensor, g: tf.Tensor, be: tf.Tensor) => {
      const pad = (k - 1) * opts.dilation;
      const xp = tf.pad(x, [[0, 0], [pad, pad], [0, 0]]);
      const outs: tf.Tensor[] = [];
      for (let t = 0; t < T + pad; t++) {
        let acc: tf.Tensor = b;
        for (let j = 0; j < k; j++) {
          const xs = tf.slice(xp, [0, t + j * opts.dilation, 0], [R, 1, Cin]).reshape([R, Cin]);
          acc = tf.add(acc, tf.matMul(xs, tf.slice(w, [j * Cin, 0], [Cin, C])));
        }
        outs.push(acc);
      }
      const z = tf.stack(outs, 1).reshape([R * (T + pad), C]);
      const { mean, variance } = tf.moments(z, 0);
      const y = tf.relu(tf.add(tf.mul(tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, 1e-5))), g), be)).reshape([R, T + pad, C]);
      return tf.sum(tf.mul(tf.slice(y, [0, 0, 0], [R, T, C]), upstream));
    };
    assert.ok(Math.abs(values(custom(...(params as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor])))[0]! - values(plain(...(params as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor])))[0]!) < 1e-4);
    const gc = tf.grads(custom)(params);
    const gp = tf.grads(plain)(params);
    gc.forEach((g, i) => assert.ok(maxRelDiff(values(g), values(gp[i]!)) < 1e-4, `gradient ${i}: ${maxRelDiff(values(g), values(gp[i]!))}`));
  });

  for (const [k, d, beforeChomp] of [[2, 1, true], [3, 2, false], [3, 1, true]] as [number, number, boolean][]) {
    it(`host-built im2col equals the pad + slice + concat taps (k=${k}, d=${d}, BN before chomp ${beforeChomp})`, () => {
      const rng = createRng(k * 10 + d);
      const [R, T, Cin] = [4, 6, 3];
      const x = Float32Array.from({ length: R * T * Cin }, () => rng.normal());
      const opts = { kernelSize: k, dilation: d, batchNormBeforeChomp: beforeChomp, epsilon: 1e-5 };
      const host = causalTapsHost(x, R, T, Cin, opts);
      const dev = causalTaps(tf.tensor3d(x, [R, T, Cin]), opts);
      assert.equal(host.tOut, dev.tOut);
      assert.deepEqual(host.cols, values(dev.cols));
    });
  }

  it('the replacement wasm kernels give the same loss, gradients and predictions as the stock kernels', function () {
    if (tf.getBackend() !== 'wasm') this.skip();
    const ds = tinyDataset();
    const run = (): Map<string, Float32Array> => {
      const model = createEadro({ variant: 'reference', gatHidden: 8, fuseDim: 8, kpiFilters: 6, traceFilters: 6 }, datasetDims(ds), 2);
      const batch = makeBatch(ds, [0, 1, 2, 3, 4, 5, 6, 7]);
      const r = autodiffGradients(model, batch);
      const out = new Map<string, Float32Array>([['loss', Float32Array.of(r.losses.total)]]);
      const p = predict(model, ds, [0, 1, 2, 3, 4, 5, 6, 7]); // eval path: Max, Slice, Sum, ...
      out.set('predict.culpritProb', p.culpritProb).set('predict.anomalyProb', p.anomalyProb).set('predict.fused', p.fused);
      for (const [k, g] of r.grads) out.set(k, values(g).slice());
      tf.dispose([...r.grads.values()]);
      for (const s of r.bnBatch.values()) tf.dispose([s.mean, s.variance]);
      disposeBatch(batch);
      disposeEadro(model);
      return out;
    };
    uninstallFastWasmKernels();
    const stock = run();
    assert.ok(installFastWasmKernels());
    const fast = run();
    for (const [k, v] of stock) assert.ok(maxRelDiff(fast.get(k)!, v) < 1e-4, `${k}: ${maxRelDiff(fast.get(k)!, v)}`);
  });

  it('the replacement BatchMatMul equals the stock one for every transpose flag and shape (narrow A^T B included)', function () {
    if (tf.getBackend() !== 'wasm') this.skip();
    const rng = createRng(11);
    const rand = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal(0, 1)), shape);
    const cases: Array<{ a: number[]; b: number[]; tA: boolean; tB: boolean }> = [
      { a: [300, 3], b: [300, 7], tA: true, tB: false }, // narrow A: computed as (B^T A)^T
      { a: [300, 7], b: [300, 3], tA: true, tB: false }, // wide A: explicit transpose
      { a: [2, 50, 2], b: [2, 50, 5], tA: true, tB: false }, // batched, narrow A
      { a: [4, 6], b: [5, 6], tA: false, tB: true },
      { a: [6, 4], b: [5, 6], tA: true, tB: true },
    ];
    const inputs = cases.map((c) => [rand(c.a), rand(c.b)] as const);
    const run = () => cases.map((c, i) => values(tf.tidy(() => tf.matMul(inputs[i]![0], inputs[i]![1], c.tA, c.tB))).slice());
    uninstallFastWasmKernels();
    const stock = run();
    assert.ok(installFastWasmKernels());
    const fast = run();
    stock.forEach((v, i) => assert.ok(maxRelDiff(fast[i]!, v) < 1e-5, `case ${i}: ${maxRelDiff(fast[i]!, v)}`));
    tf.dispose(inputs.flat());
  });

  it('is deterministic: same seed, same weights after a step; another seed differs', () => {
    const ds = tinyDataset();
    const stepOnce = (seed: number): Float32Array => {
      const model = createEadro({ variant: 'paper', gatHidden: 8, fuseDim: 8, kpiFilters: 6, traceFilters: 6 }, datasetDims(ds), seed);
      const adam = new Adam({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
      const batch = makeBatch(ds, [0, 1, 2, 3, 4, 5]);
      const before = tf.memory().numTensors;
      trainStepAutodiff(model, batch, adam);
      const afterOne = tf.memory().numTensors;
      trainStepAutodiff(model, batch, adam);
      assert.equal(tf.memory().numTensors, afterOne, 'tensor count flat across steps');
      assert.ok(afterOne >= before);
      const flat = tf.tidy(() => tf.concat([...model.params.values()].map((v) => v.reshape([-1]))));
      const out = values(flat).slice();
      flat.dispose();
      disposeBatch(batch);
      adam.dispose();
      disposeEadro(model);
      return out;
    };
    const a = stepOnce(11);
    const b = stepOnce(11);
    const c = stepOnce(12);
    assert.deepEqual(a, b);
    assert.ok(maxRelDiff(a, c) > 1e-3);
  });
});
