import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../../src/core/rng.js';
import { createEadro, disposeEadro, forwardEadro, predict, type Ablation, type EadroConfig, type EadroVariant } from '../../../src/models/eadro/index.js';
import { datasetDims, disposeBatch, makeBatch } from '../../../src/models/eadro/data.js';
import { Adam } from '../../../src/models/eadro/adam.js';
import { applyStep, manualGradients } from '../../../src/models/eadro/step.js';
import { rankDescending } from '../../../src/models/eadro/infer.js';
import { causalTapsHost } from '../../../src/models/eadro/layers/causal-conv.js';
import { disposeEvalPlan, evalForward, prepareEvalPlan } from '../../../src/models/eadro/manual/eval-forward.js';
import { fillEvalInput } from '../../../src/models/eadro/manual/eval-input.js';
import { gatForward, gatPredict, gatPredictRows, graphLists, type GatSettings } from '../../../src/models/eadro/manual/gatv2.js';
import { Workspace, softmaxInto } from '../../../src/models/eadro/manual/host.js';
import { maxRelDiff, tinyDataset, useTestBackend, values } from './helpers.js';
import { parityModel } from '../../../src/models/eadro/backend-parity.js';

/** The parity tests' small layer sizes (src/models/eadro/backend-parity.ts). */
const small = parityModel;

describe('models/eadro/manual/eval-forward (forward-only pass of predict)', function () {
  this.timeout(60000);
  before(useTestBackend);

  const cases: { variant: EadroVariant; without: Ablation[]; extra?: Partial<EadroConfig> }[] = [
    { variant: 'reference', without: [] },
    { variant: 'paper', without: [] },
    { variant: 'reference', without: ['logs'] },
    { variant: 'reference', without: ['kpis'] },
    { variant: 'paper', without: ['traces'] },
    { variant: 'reference', without: ['graph'] },
    { variant: 'paper', without: ['graph'] },
    { variant: 'reference', without: [], extra: { gatHeadCombine: 'mean', dilation: 2, kernelSize: 3 } },
    { variant: 'paper', without: [], extra: { batchNormBeforeChomp: true, gatActivation: 'none' } },
    { variant: 'reference', without: [], extra: { selfLoops: 'every-node' } }, // in-degrees 1 and >= 2 in one graph
  ];
  for (const { variant, without, extra } of cases) {
    const label = `${variant}${without.length ? ` without ${without.join(',')}` : ''}${extra ? ` ${JSON.stringify(extra)}` : ''}`;
    it(`equals forwardEadro in eval mode (BatchNorm unfolded, trained running statistics) within 1e-5: ${label}`, () => {
      const ds = tinyDataset({ W: 30, seed: 21 });
      const model = createEadro({ variant, without, ...small, ...extra }, datasetDims(ds), 8);
      // Running statistics far from (0, 1) and moved weights: two training steps at a large rate.
      const adam = new Adam({ learningRate: 5e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
      for (const ids of [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]) {
        const b = makeBatch(ds, ids, model.config);
        applyStep(model, adam, manualGradients(model, b));
        disposeBatch(b);
      }
      const ids = [12, 14, 15, 16, 17, 19, 22];
      const batch = makeBatch(ds, ids, model.config);
      const ref = tf.tidy(() => {
        const o = forwardEadro(model, batch, false);
        return [values(o.detectLogits).slice(), values(o.locateLogits).slice(), values(o.fused).slice()];
      });
      const before = tf.memory().numTensors;
      const plan = prepareEvalPlan(model);
      const out = evalForward(plan, fillEvalInput(ds, ids, model.config, plan.ws, plan.activeNodes));
      disposeEvalPlan(plan);
      assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
      assert.ok(maxRelDiff(out.detectLogits, ref[0]!) < 1e-5, `detector logits: ${maxRelDiff(out.detectLogits, ref[0]!)}`);
      assert.ok(maxRelDiff(out.locateLogits, ref[1]!) < 1e-5, `localizer logits: ${maxRelDiff(out.locateLogits, ref[1]!)}`);
      assert.ok(maxRelDiff(out.fused, ref[2]!) < 1e-5, `fused representation: ${maxRelDiff(out.fused, ref[2]!)}`);
      // the BatchNorm statistics really were trained (else folding would be trivially exact)
      const mean = values(model.bnState.get(without.includes('kpis') ? 'trace' : 'kpi')!.mean);
      assert.ok(mean.some((v) => Math.abs(v) > 1e-3), 'running means moved');
      disposeBatch(batch);
      adam.dispose();
      disposeEadro(model);
    });
  }

  it('the cases above skipped inactive nodes somewhere and kept all of them elsewhere (both paths tested)', () => {
    const ds = tinyDataset({ W: 30, seed: 21 });
    const activeCounts = cases.map(({ variant, without, extra }) => {
      const model = createEadro({ variant, without, ...small, ...extra }, datasetDims(ds), 8);
      const plan = prepareEvalPlan(model);
      const active = plan.activeNodes.length; // out of 5
      disposeEvalPlan(plan);
      disposeEadro(model);
      return active;
    });
    assert.ok(activeCounts.some((n) => n < 5), `active nodes per case: ${activeCounts.join(', ')}`);
    assert.ok(activeCounts.some((n) => n === 5));
  });

  it('refuses an input filled for other nodes than the plan needs', () => {
    const ds = tinyDataset({ W: 10, seed: 21 });
    const model = createEadro({ variant: 'reference', ...small }, datasetDims(ds), 8);
    const plan = prepareEvalPlan(model);
    try {
      assert.ok(plan.activeNodes.length < 5, 'this graph has leaves');
      assert.throws(() => evalForward(plan, fillEvalInput(ds, [0, 1], model.config, plan.ws)), /active nodes/);
    } finally {
      disposeEvalPlan(plan);
      disposeEadro(model);
    }
  });

  it('builds the conv taps of the first T positions exactly as causalTapsHost, and the log rows node-major', () => {
    const ds = tinyDataset({ N: 4, T: 6, K: 3, E: 5, W: 12, seed: 3 });
    const N = 4;
    const ids = [5, 0, 11];
    const B = ids.length;
    for (const [kernelSize, dilation, batchNormBeforeChomp] of [
      [2, 1, true],
      [3, 2, false],
      [3, 1, true],
    ] as const) {
      const model = createEadro({ variant: 'reference', ...small, kernelSize, dilation, batchNormBeforeChomp }, datasetDims(ds), 1);
      const input = fillEvalInput(ds, ids, model.config, new Workspace());
      const batch = makeBatch(ds, ids);
      const opts = { kernelSize, dilation, batchNormBeforeChomp, epsilon: 1e-5 };
      for (const [given, x, Cin] of [
        [input.kpiTaps!, values(batch.metrics), 3],
        [input.traceTaps!, values(batch.traces), 1],
      ] as const) {
        const full = causalTapsHost(x, N * B, 6, Cin, opts);
        const width = kernelSize * Cin;
        assert.equal(given.rows, N * B * 6);
        assert.equal(given.cols, width);
        for (let r = 0; r < N * B; r++) {
          const expected = full.cols.subarray(r * full.tOut * width, (r * full.tOut + 6) * width); // chomped positions dropped
          assert.deepEqual(Array.from(given.data.subarray(r * 6 * width, (r + 1) * 6 * width)), Array.from(expected), `row ${r}`);
        }
      }
      assert.deepEqual(Array.from(input.logs.data), Array.from(values(batch.logs)));
      disposeBatch(batch);
      disposeEadro(model);
    }
  });

  for (const settings of [
    { heads: 3, negativeSlope: 0.2, headCombine: 'max', activation: 'relu' },
    { heads: 2, negativeSlope: 0.1, headCombine: 'mean', activation: 'none' },
  ] as GatSettings[]) {
    it(`gatPredict equals gatForward on a graph with in-degrees 0, 1 and 3 (${settings.headCombine}, ${settings.activation})`, () => {
      const rng = createRng(17);
      const N = 5;
      const B = 4;
      const Din = 6;
      const Dh = 4;
      const HD = settings.heads * Dh;
      // node 0: no in-edge; 1, 2, 4: one; 3: three (from 0, 1 and itself). Node 2 and 4 send nothing.
      const src = Int32Array.from([0, 1, 0, 1, 3, 0]);
      const dst = Int32Array.from([1, 2, 3, 3, 3, 4]);
      const lists = graphLists(N, src, dst);
      const rows = gatPredictRows(lists);
      assert.deepEqual(Array.from(rows.srcNodes), [0, 1, 3]);
      assert.deepEqual(Array.from(rows.dstNodes), [3]);
      const x = Float32Array.from({ length: N * B * Din }, () => rng.normal(0, 1));
      const w = Float32Array.from({ length: Din * 2 * HD }, () => rng.normal(0, 0.5));
      const bias = Float32Array.from({ length: 2 * HD }, () => rng.normal(0, 0.5));
      const attn = Float32Array.from({ length: HD }, () => rng.normal(0, 0.5));
      const wT = tf.tensor2d(w, [Din, 2 * HD]);
      const ref = gatForward({ data: x, rows: N * B, cols: Din }, B, lists, { w: wT, b: bias, attn }, settings, false, new Workspace()).out.slice();
      wT.dispose();
      // S and D by plain loops on the rows gatPredictRows asks for
      const transform = (nodes: Int32Array, from: number): Float32Array => {
        const out = new Float32Array(nodes.length * B * HD);
        nodes.forEach((n, s) => {
          for (let b = 0; b < B; b++) {
            for (let j = 0; j < HD; j++) {
              let acc = bias[from + j]!;
              for (let i = 0; i < Din; i++) acc += x[(n * B + b) * Din + i]! * w[i * 2 * HD + from + j]!;
              out[(s * B + b) * HD + j] = acc;
            }
          }
        });
        return out;
      };
      const out = new Float32Array(N * B * Dh).fill(Number.NaN); // every entry must be written
      gatPredict(transform(rows.srcNodes, 0), transform(rows.dstNodes, HD), B, lists, rows, attn, settings, out);
      assert.ok(maxRelDiff(out, ref) < 1e-5, `max relative difference ${maxRelDiff(out, ref)}`);
      assert.ok(out.subarray(0, B * Dh).every((v) => v === 0), 'a node without in-edges outputs 0');
    });
  }

  it('rankDescending orders by value, ties by lower index first, as a stable sort', () => {
    const rng = createRng(4);
    const n = 13;
    const rows = 50;
    const v = Float32Array.from({ length: rows * n }, () => Math.round(rng.normal(0, 2))); // many ties
    const out = new Int32Array(rows * n);
    for (let r = 0; r < rows; r++) {
      rankDescending(v, r * n, n, out, r * n);
      const expected = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[r * n + b]! - v[r * n + a]! || a - b);
      assert.deepEqual(Array.from(out.subarray(r * n, (r + 1) * n)), expected, `row ${r}`);
    }
  });

  it('softmaxInto gives rows that sum to 1, equal to exp(x) / sum exp(x), also for large logits', () => {
    const x = Float32Array.from([1, 2, 3, 1000, 1001, 1002, -5, -5, -5]);
    const out = new Float32Array(12).fill(-1);
    softmaxInto(x, 3, 3, out, 3);
    assert.equal(out[0], -1, 'writes from the offset on');
    const first = [1, 2, 3].map((v) => Math.exp(v) / (Math.exp(1) + Math.exp(2) + Math.exp(3)));
    for (let k = 0; k < 3; k++) {
      assert.ok(Math.abs(out[3 + k]! - first[k]!) < 1e-7);
      assert.ok(Math.abs(out[6 + k]! - first[k]!) < 1e-7, 'shift invariant (no overflow at 1000)');
      assert.ok(Math.abs(out[9 + k]! - 1 / 3) < 1e-7);
    }
  });

  it('predict on the forward-only pass keeps the tensor count flat and gives the same results in any batch size', () => {
    const ds = tinyDataset({ W: 40, seed: 2 });
    const model = createEadro({ variant: 'paper', ...small }, datasetDims(ds), 3);
    const ids = Array.from({ length: 23 }, (_, i) => (i * 7) % 40);
    const before = tf.memory().numTensors;
    const whole = predict(model, ds, ids, { batchSize: 256 });
    const pieces = predict(model, ds, ids, { batchSize: 5 });
    assert.equal(tf.memory().numTensors, before);
    assert.ok(maxRelDiff(pieces.anomalyProb, whole.anomalyProb) < 1e-6);
    assert.ok(maxRelDiff(pieces.culpritProb, whole.culpritProb) < 1e-6);
    assert.ok(maxRelDiff(pieces.fused, whole.fused) < 1e-6);
    assert.deepEqual(predict(model, ds, []).anomalyProb.length, 0);
    disposeEadro(model);
  });
});
