/**
 * Row gather and row scatter-add as ops with hand-written gradients, run on host arrays (heap views on
 * wasm). GATv2 (gatv2.ts) uses them to move node features onto edges and edge messages back onto
 * nodes: x is [N, F] with F = B * H * D (node-major rows), so each moved row is one contiguous block
 * (131,072 floats at N = 27, B = 256, paper sizes). The same as a matMul with a one-hot selection
 * matrix, which tfjs-wasm ran at 36-58 ms per call there; a copy is a few ms. wasm has no
 * UnsortedSegmentSum, and tf.gather's gradient needs it.
 */
import * as tf from '@tensorflow/tfjs';

type Grad = Parameters<typeof tf.customGrad>[0];

/**
 * The values of a float32 tensor without copying where the backend allows: on wasm a view of its heap
 * (valid until the next allocation in the heap, so read it before creating any tensor), elsewhere
 * dataSync (the cpu backend returns its own array). Never written to.
 */
export function readValues(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as { typedArrayFromHeap?: (t: tf.TensorInfo) => Float32Array };
  if (tf.getBackend() === 'wasm' && typeof backend.typedArrayFromHeap === 'function') return backend.typedArrayFromHeap(t);
  return t.dataSync() as Float32Array;
}

/** out[e] = x[index[e]]: x [N, F] -> [index.length, F]. */
function gatherHost(x: Float32Array, F: number, index: Int32Array): Float32Array {
  const out = new Float32Array(index.length * F);
  for (let e = 0; e < index.length; e++) out.set(x.subarray(index[e]! * F, (index[e]! + 1) * F), e * F);
  return out;
}

/** out[index[e]] += x[e]: x [E, F] -> [N, F]. */
function scatterAddHost(x: Float32Array, F: number, index: Int32Array, N: number): Float32Array {
  const out = new Float32Array(N * F);
  const written = new Uint8Array(N);
  for (let e = 0; e < index.length; e++) {
    const n = index[e]!;
    const o = n * F;
    const s = e * F;
    if (!written[n]) {
      out.set(x.subarray(s, s + F), o); // first row into a target: a copy (0 + x is x exactly)
      written[n] = 1;
      continue;
    }
    for (let f = 0; f < F; f++) out[o + f] = out[o + f]! + x[s + f]!;
  }
  return out;
}

/** Rows `index` of x [N, F] -> [E, F]; the gradient scatter-adds back to [N, F]. */
export function gatherRows(x: tf.Tensor2D, index: Int32Array): tf.Tensor2D {
  const [N, F] = x.shape;
  const op = tf.customGrad(((input: tf.Tensor2D) => ({
    value: tf.tensor2d(gatherHost(readValues(input), F, index), [index.length, F]),
    gradFunc: (dy: tf.Tensor) => tf.tensor2d(scatterAddHost(readValues(dy), F, index, N), [N, F]),
  })) as unknown as Grad);
  return op(x) as tf.Tensor2D;
}

/** Sum of the rows of x [E, F] into rows `index` of an [N, F] zero matrix; the gradient gathers. */
export function scatterAddRows(x: tf.Tensor2D, index: Int32Array, N: number): tf.Tensor2D {
  const F = x.shape[1];
  const op = tf.customGrad(((input: tf.Tensor2D) => ({
    value: tf.tensor2d(scatterAddHost(readValues(input), F, index, N), [N, F]),
    gradFunc: (dy: tf.Tensor) => tf.tensor2d(gatherHost(readValues(dy), F, index), [index.length, F]),
  })) as unknown as Grad);
  return op(x) as tf.Tensor2D;
}
