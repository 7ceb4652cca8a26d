/** MS-LSTM's and MS-DCC's encoders against plain-JavaScript references (known answers on random input). */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../../src/core/rng.js';
import { resolveMsConfig } from '../../../src/models/ms-baselines/config.js';
import { dccEncode, dccParams } from '../../../src/models/ms-baselines/dcc-encoder.js';
import { lstmEncode, lstmParams } from '../../../src/models/ms-baselines/lstm-encoder.js';
import { maxRelDiff, useTestBackend } from '../eadro/helpers.js';

const [R, T, C, H] = [3, 5, 4, 6];
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

function randomInput(seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: R * T * C }, () => rng.normal());
}

function asParams(specs: [string, number[], Float32Array][]): { params: Map<string, tf.Tensor>; raw: Map<string, Float32Array> } {
  return { params: new Map(specs.map(([k, shape, v]) => [k, tf.tensor(v, shape)])), raw: new Map(specs.map(([k, , v]) => [k, v])) };
}

describe('models/ms-baselines encoders', () => {
  before(useTestBackend);

  for (const pooling of ['last', 'mean'] as const) {
    it(`LSTM equals a step-by-step JavaScript LSTM (PyTorch gate order i, f, g, o), pooling ${pooling}`, () => {
      const x = randomInput(1);
      const { params, raw } = asParams(lstmParams(C, { hidden: H }, createRng(2)));
      const out = tf.tidy(() => lstmEncode(params, tf.tensor3d(x, [R, T, C]), { hidden: H, pooling }).dataSync());
      const wx = raw.get('lstm.wx')!, wh = raw.get('lstm.wh')!, b = raw.get('lstm.b')!;
      const expected = new Float32Array(R * H);
      for (let r = 0; r < R; r++) {
        let h = new Float64Array(H);
        let c = new Float64Array(H);
        const sum = new Float64Array(H);
        for (let t = 0; t < T; t++) {
          const g = new Float64Array(4 * H);
          for (let j = 0; j < 4 * H; j++) {
            let v = b[j]!;
            for (let k = 0; k < C; k++) v += x[(r * T + t) * C + k]! * wx[k * 4 * H + j]!;
            for (let k = 0; k < H; k++) v += h[k]! * wh[k * 4 * H + j]!;
            g[j] = v;
          }
          const hn = new Float64Array(H);
          const cn = new Float64Array(H);
          for (let j = 0; j < H; j++) {
            cn[j] = sigmoid(g[H + j]!) * c[j]! + sigmoid(g[j]!) * Math.tanh(g[2 * H + j]!);
            hn[j] = sigmoid(g[3 * H + j]!) * Math.tanh(cn[j]!);
            sum[j]! += hn[j]!;
          }
          h = hn;
          c = cn;
        }
        for (let j = 0; j < H; j++) expected[r * H + j] = pooling === 'last' ? h[j]! : sum[j]! / T;
      }
      assert.ok(maxRelDiff(out, expected) < 1e-5, `max rel diff ${maxRelDiff(out, expected)}`);
      tf.dispose([...params.values()]);
    });
  }

  for (const training of [true, false]) {
    it(`DCC equals a causal convolution + BatchNorm (${training ? 'batch statistics' : 'running statistics'}) + ReLU + mean, written out`, () => {
      const config = { ...resolveMsConfig('dcc'), hidden: H, kernelSize: 3, dilation: 2 };
      const x = randomInput(3);
      const { params, raw } = asParams(dccParams(C, config, createRng(4)));
      const rng = createRng(5);
      const runMean = Float32Array.from({ length: H }, () => rng.normal());
      const runVar = Float32Array.from({ length: H }, () => 0.5 + rng.next());
      const bn = { mean: tf.tensor1d(runMean), variance: tf.tensor1d(runVar) };
      const got = tf.tidy(() => {
        const r = dccEncode(params, bn, tf.tensor3d(x, [R, T, C]), config, training);
        return { emb: r.embedding.dataSync(), mean: r.batchMean?.dataSync(), variance: r.batchVariance?.dataSync() };
      });
      const kernel = raw.get('dcc.kernel')!, bias = raw.get('dcc.bias')!;
      // conv[r, t, f] = bias[f] + sum_j sum_c x[r, t - (k-1-j)·d, c] · kernel[j, c, f] (zero before t = 0)
      const conv = new Float64Array(R * T * H);
      for (let r = 0; r < R; r++) for (let t = 0; t < T; t++) for (let f = 0; f < H; f++) {
        let v = bias[f]!;
        for (let j = 0; j < 3; j++) {
          const src = t - (2 - j) * 2;
          if (src < 0) continue;
          for (let c = 0; c < C; c++) v += x[(r * T + src) * C + c]! * kernel[(j * C + c) * H + f]!;
        }
        conv[(r * T + t) * H + f] = v;
      }
      const mean = new Float64Array(H);
      const variance = new Float64Array(H);
      for (let f = 0; f < H; f++) {
        if (!training) {
          mean[f] = runMean[f]!;
          variance[f] = runVar[f]!;
          continue;
        }
        let s = 0;
        for (let i = 0; i < R * T; i++) s += conv[i * H + f]!;
        mean[f] = s / (R * T);
        let q = 0;
        for (let i = 0; i < R * T; i++) q += (conv[i * H + f]! - mean[f]!) ** 2;
        variance[f] = q / (R * T);
      }
      const expected = new Float32Array(R * H);
      for (let r = 0; r < R; r++) for (let f = 0; f < H; f++) {
        let s = 0;
        for (let t = 0; t < T; t++) s += Math.max(0, (conv[(r * T + t) * H + f]! - mean[f]!) / Math.sqrt(variance[f]! + config.batchNormEpsilon));
        expected[r * H + f] = s / T;
      }
      assert.ok(maxRelDiff(got.emb, expected) < 1e-4, `max rel diff ${maxRelDiff(got.emb, expected)}`);
      if (training) {
        // The running average is fed the unbiased variance, as PyTorch's BatchNorm does.
        assert.ok(maxRelDiff(got.variance!, Array.from(variance, (v) => (v * R * T) / (R * T - 1))) < 1e-4);
      } else assert.equal(got.mean, undefined);
      tf.dispose([...params.values(), bn.mean, bn.variance]);
    });
  }

  it('refuses an unknown or bad setting by name', () => {
    assert.throws(() => resolveMsConfig('lstm', { hiden: 32 }), (e: Error) => /field: method\.params\.hiden/.test(e.message));
    assert.throws(() => resolveMsConfig('dcc', { kernelSize: 0 }), (e: Error) => /method\.params\.kernelSize[\s\S]*a positive integer/.test(e.message));
    assert.throws(() => resolveMsConfig('dcc', { pooling: 'max' }), /last \| mean/);
  });
});
