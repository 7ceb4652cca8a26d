import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../../src/core/rng.js';
import { softmaxQkvAttention, softmaxQkvAttentionPlain } from '../../../src/models/eadro/layers/time-attention.js';
import { clearOnesCache } from '../../../src/models/eadro/layers/reduce.js';
import { maxRelDiff, useTestBackend, values } from './helpers.js';

function randn(seed: number, label: string, n: number, std: number): Float32Array {
  const rng = createRng(seed).fork(label);
  return Float32Array.from({ length: n }, () => rng.normal(0, std));
}

describe('models/eadro/time-attention', () => {
  before(useTestBackend);

  const cases = [
    { R: 7, T: 10, C: 8, std: 1 },
    { R: 5, T: 6, C: 5, std: 2 }, // larger scores: a peaked softmax
    { R: 3, T: 1, C: 4, std: 1 }, // one time step: the softmax is 1
  ];
  for (const { R, T, C, std } of cases) {
    it(`the fused softmax-QKV op equals the plain formula in value and gradients (R=${R}, T=${T}, C=${C})`, () => {
      clearOnesCache();
      const before = tf.memory().numTensors;
      const x = tf.tensor3d(randn(1, 'x', R * T * C, std), [R, T, C]);
      const wqkv = tf.tensor2d(randn(1, 'w', C * 3 * C, std / Math.sqrt(C)), [C, 3 * C]);
      // a weighted sum makes every output element matter differently in the gradient
      const weights = tf.tensor2d(randn(1, 'g', R * C, 1), [R, C]);
      const run = (f: typeof softmaxQkvAttention) =>
        tf.tidy(() => {
          const loss = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor3D, { wqkv: b as tf.Tensor2D }), weights)) as tf.Scalar;
          const { value, grads } = tf.valueAndGrads(loss)([x, wqkv]);
          return [f(x, { wqkv }), value, grads[0]!, grads[1]!];
        });
      const fast = run(softmaxQkvAttention);
      const plain = run(softmaxQkvAttentionPlain);
      assert.deepEqual(fast[0]!.shape, [R, C]);
      const names = ['output', 'loss', 'dx', 'dwqkv'];
      for (let i = 0; i < 4; i++) {
        const d = maxRelDiff(values(fast[i]!), values(plain[i]!));
        assert.ok(d < 2e-5, `${names[i]} differs by ${d}`);
      }
      // and the gradient is not trivially zero
      assert.ok(values(plain[3]!).some((v) => Math.abs(v) > 1e-4));
      tf.dispose([...fast, ...plain, x, wqkv, weights]);
      clearOnesCache(); // the plain formula's mean keeps a ones tensor for its gradient
      assert.equal(tf.memory().numTensors, before, 'no tensors leak');
    });
  }
});
