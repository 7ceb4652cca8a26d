/**
 * Sum and mean whose gradients reuse a cached ones tensor. tfjs-core's own Sum/Mean gradients multiply
 * dy by `ones(x.shape)`, a full-size array filled in JavaScript and uploaded on every step (profiled:
 * ~0.8 s of CPU per training step at N=12 went to `makeOnesTypedArray`); `tf.broadcastTo` instead runs
 * the wasm `Tile` kernel, which is slower still (~0.25 s for one [3072, 10, 64] broadcast). A broadcast
 * multiply by a ones tensor kept per shape costs one fast elementwise kernel.
 */
import * as tf from '@tensorflow/tfjs';

type Grad = Parameters<typeof tf.customGrad>[0];

/**
 * Ones tensors by shape, kept across steps (a few shapes per model and batch size). One cache per
 * backend instance: a tensor of another backend would be moved with a synchronous read, which webgpu
 * cannot do in Node (tests switch backends within one process).
 */
const onesCaches = new WeakMap<object, Map<string, tf.Tensor>>();
const ONES_CACHE_LIMIT = 32; // ours: more shapes than one model uses; beyond it, start over

function cachedOnes(shape: number[]): tf.Tensor {
  const backend = tf.backend();
  let onesCache = onesCaches.get(backend);
  if (onesCache === undefined) onesCaches.set(backend, (onesCache = new Map()));
  const key = shape.join('x');
  let t = onesCache.get(key);
  if (t === undefined || t.isDisposed) {
    if (onesCache.size >= ONES_CACHE_LIMIT) clearOnesCache();
    t = tf.keep(tf.ones(shape));
    onesCache.set(key, t);
  }
  return t;
}

/** Free the cached ones tensors of the active backend (they are rebuilt on demand). */
export function clearOnesCache(): void {
  const onesCache = onesCaches.get(tf.backend());
  if (onesCache === undefined) return;
  for (const t of onesCache.values()) t.dispose();
  onesCache.clear();
}

function reduceWithBroadcastGrad(kind: 'sum' | 'mean', x: tf.Tensor, axis: number): tf.Tensor {
  const rank = x.shape.length;
  const ax = axis < 0 ? axis + rank : axis;
  const kept = x.shape.map((d, i) => (i === ax ? 1 : d));
  const n = x.shape[ax]!;
  const op = tf.customGrad(((input: tf.Tensor) => ({
    value: kind === 'sum' ? tf.sum(input, ax) : tf.mean(input, ax),
    gradFunc: (dy: tf.Tensor) => {
      const spread = tf.mul(tf.reshape(dy, kept), cachedOnes(x.shape));
      return kind === 'sum' ? spread : tf.mul(spread, 1 / n);
    },
  })) as unknown as Grad);
  return op(x);
}

/** tf.sum(x, axis) with a cheaper gradient. */
export function sumAxis(x: tf.Tensor, axis: number): tf.Tensor {
  return reduceWithBroadcastGrad('sum', x, axis);
}

/** tf.mean(x, axis) with a cheaper gradient. */
export function meanAxis(x: tf.Tensor, axis: number): tf.Tensor {
  return reduceWithBroadcastGrad('mean', x, axis);
}
