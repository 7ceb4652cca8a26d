/**
 * The small kernel library of the hand-written Eadro step (../shared/specs/fast-tfjs-wasm.md). Most
 * activations live in plain Float32Arrays ("host" memory, row-major) reused across passes
 * (Workspace); elementwise work and column sums are JavaScript loops (sums in float64); the tfjs ops
 * are 2-D matMuls: plain (bias fused in) for products, and with transposeA for weight gradients,
 * which the replacement BatchMatMul of ../wasm-kernels.ts runs with the long operand on the left.
 * Each call uploads its host operands, reads the product through a heap view and disposes every
 * tensor it made, so the tensor count stays flat across steps.
 */
import * as tf from '@tensorflow/tfjs';
import { readValues } from '../layers/row-gather.js';
import { simdSettings } from '../layers/simd/module.js';
import { simdRowsAvailable, simdTransposeProduct } from '../layers/simd/rows-simd.js';

/** A row-major matrix in host memory: `data[r * cols + c]`. */
export interface HostMatrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

/** A matMul operand: host data (uploaded for the call) or a tensor already on the backend (weights, batch). */
export type MatOperand = HostMatrix | tf.Tensor2D;

/**
 * Host buffers reused across passes, by purpose. Why: a fresh 8.6 MB Float32Array cost ~6 ms here
 * (page faults on new memory), and one training step at N=12 needs ~40 of them. A buffer handed out
 * under a key is valid until the same key is asked for again (the next pass): results meant to outlive
 * a pass are copied by their caller.
 */
export class Workspace {
  private readonly buffers = new Map<string, Float32Array>();

  /** A buffer of `length` floats under `key`, contents undefined (the previous pass's values). */
  take(key: string, length: number): Float32Array {
    let buf = this.buffers.get(key);
    if (buf === undefined || buf.buffer.byteLength < length * 4) {
      buf = new Float32Array(length);
      this.buffers.set(key, buf);
      return buf;
    }
    return buf.length === length ? buf : new Float32Array(buf.buffer, 0, length);
  }

  /** The same, zero-filled. */
  zeroed(key: string, length: number): Float32Array {
    return this.take(key, length).fill(0);
  }
}

/** The value kept for `key` in `map`, made (once) by `make`: per-model buffers and derived lists. */
export function cachedFor<K extends object, V>(map: WeakMap<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
}

export function hostMatrix(data: Float32Array, rows: number, cols: number): HostMatrix {
  if (data.length !== rows * cols) throw new Error(`host matrix: ${data.length} values for [${rows}, ${cols}]`);
  return { data, rows, cols };
}

function shapeOf(m: MatOperand): [number, number] {
  return m instanceof tf.Tensor ? (m.shape as [number, number]) : [m.rows, m.cols];
}

/**
 * a [m, k] x b [k, n] -> [m, n] in host memory, plus `bias` [n] broadcast over rows when given.
 * `out` (length m*n) is reused when passed.
 */
export function matMul(a: MatOperand, b: MatOperand, bias?: Float32Array, out?: Float32Array): HostMatrix {
  const [m, k] = shapeOf(a);
  const [k2, n] = shapeOf(b);
  if (k !== k2) throw new Error(`matMul: inner sizes differ ([${m}, ${k}] x [${k2}, ${n}])`);
  const result = out ?? new Float32Array(m * n);
  const made: tf.Tensor[] = [];
  const upload = (x: MatOperand): tf.Tensor2D => {
    if (x instanceof tf.Tensor) return x;
    const t = tf.tensor2d(x.data, [x.rows, x.cols]);
    made.push(t);
    return t;
  };
  let product: tf.Tensor;
  if (bias === undefined) product = tf.matMul(upload(a), upload(b));
  else {
    // the bias added inside the GEMM (XNNPACK), not by a JavaScript pass over the product
    const biasTensor = tf.tensor1d(bias);
    made.push(biasTensor);
    product = tf.fused.matMul({ a: upload(a), b: upload(b), bias: biasTensor });
  }
  made.push(product);
  result.set(readValues(product)); // heap view on wasm: read before any other allocation
  tf.dispose(made);
  return { data: result, rows: m, cols: n };
}

export const hostKernelDefaults = {
  // ours: source rows per block of `transpose`; measured 3.3 ms for [33792, 64] with 256 (16 to 1024
  // within 30 %), against 18.6 ms with the usual 32 x 32 tiles, whose writes jump a whole output row each
  transposeBlockRows: 256,
};

/** [rows, cols] -> [cols, rows], in blocks of source rows, each output row written contiguously. */
export function transpose(x: Float32Array, rows: number, cols: number, out = new Float32Array(rows * cols)): Float32Array {
  const BS = hostKernelDefaults.transposeBlockRows;
  for (let r0 = 0; r0 < rows; r0 += BS) {
    const r1 = Math.min(rows, r0 + BS);
    for (let c = 0; c < cols; c++) {
      const o = c * rows;
      for (let r = r0, i = r0 * cols + c; r < r1; r++, i += cols) out[o + r] = x[i]!;
    }
  }
  return out;
}

/** [rows, cols] -> its columns [from, from + width) as a [rows, width] host array. */
export function columnBlock(x: Float32Array, rows: number, cols: number, from: number, width: number): Float32Array {
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) out.set(x.subarray(r * cols + from, r * cols + from + width), r * width);
  return out;
}

export function transposeMatrix(m: HostMatrix, out?: Float32Array): HostMatrix {
  return { data: transpose(m.data, m.rows, m.cols, out), rows: m.cols, cols: m.rows };
}

/** Column sums of [rows, cols], accumulated in float64. */
export function columnSums(x: Float32Array, rows: number, cols: number): Float64Array {
  const acc = new Float64Array(cols);
  for (let r = 0, o = 0; r < rows; r++, o += cols) for (let c = 0; c < cols; c++) acc[c]! += x[o + c]!;
  return acc;
}

/**
 * Weight gradient of y = x W: x^T dy, [in, out]. Where both widths are multiples of 4 and WebAssembly
 * SIMD runs (simdSettings.weightGradients), rows.wat transposeProduct (rows in cache-sized chunks);
 * an input that is already a view of that module's memory is read in place. Else tf.matMul(x, dy,
 * transposeA) through the replacement BatchMatMul of wasm-kernels.ts, which transposes on heap views
 * and puts the long operand on the left ((dy^T x)^T when x is the narrower): XNNPACK packs its
 * right-hand operand on every call, which costs more than the product when that operand is large.
 */
export function weightGradient(x: HostMatrix | tf.Tensor2D, dy: HostMatrix | tf.Tensor2D): HostMatrix {
  const [rows, inDim] = shapeOf(x);
  const outDim = shapeOf(dy)[1];
  if (simdSettings.weightGradients && simdRowsAvailable(inDim) && simdRowsAvailable(outDim)) {
    const values = (m: HostMatrix | tf.Tensor2D): Float32Array => (m instanceof tf.Tensor ? readValues(m) : m.data);
    return hostMatrix(simdTransposeProduct(values(x), values(dy), rows, inDim, outDim), inDim, outDim);
  }
  const made: tf.Tensor[] = [];
  const asTensor = (m: HostMatrix | tf.Tensor2D): tf.Tensor2D => {
    if (m instanceof tf.Tensor) return m;
    const t = tf.tensor2d(m.data, [m.rows, m.cols]);
    made.push(t);
    return t;
  };
  const product = tf.matMul(asTensor(x), asTensor(dy), true, false);
  made.push(product);
  const out = hostMatrix(hostValues(product), inDim, outDim);
  tf.dispose(made);
  return out;
}

/**
 * A host copy of a tensor's values. (`set` into a fresh array: `slice()` of a view over the wasm heap
 * took ~36 ms for 8.6 MB in V8, against ~1 ms for `set`.)
 */
export function hostValues(t: tf.Tensor): Float32Array {
  const view = readValues(t);
  const out = new Float32Array(view.length);
  out.set(view);
  return out;
}

/** A parameter tensor by name (throws naming the parameter when the model lacks it). */
export function paramTensor(params: Map<string, tf.Tensor>, name: string): tf.Tensor {
  const p = params.get(name);
  if (p === undefined) throw new Error(`Eadro parameter ${name} is missing`);
  return p;
}

/** A [rows, cols] host matrix of a parameter's values, transposed ([cols, rows]) when asked. */
export function paramMatrix(params: Map<string, tf.Tensor>, name: string, transposed = false): HostMatrix {
  const t = paramTensor(params, name);
  const [rows, cols] = t.shape.length === 2 ? (t.shape as [number, number]) : [1, t.size];
  const m = hostMatrix(hostValues(t), rows, cols);
  return transposed ? transposeMatrix(m) : m;
}

/**
 * Softmax in place over buf[from .. from+n), in float64: the maximum subtracted, exp, each divided by
 * the sum. The one host softmax of manual/ (GAT in-edges, time-attention rows, attention pooling,
 * culprit probabilities), so that they all round alike.
 */
export function softmaxInPlace(buf: Float64Array, from: number, n: number): void {
  let max = -Infinity;
  for (let k = from; k < from + n; k++) max = Math.max(max, buf[k]!);
  let sum = 0;
  for (let k = from; k < from + n; k++) {
    const e = Math.exp(buf[k]! - max);
    buf[k] = e;
    sum += e;
  }
  for (let k = from; k < from + n; k++) buf[k] = buf[k]! / sum;
}

/** Softmax of each row of x [rows, n] into out[outOffset + r*n ..] (softmaxInPlace per row, rounded to float32). */
export function softmaxInto(x: Float32Array, rows: number, n: number, out: Float32Array, outOffset: number): void {
  const row = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let k = 0; k < n; k++) row[k] = x[o + k]!;
    softmaxInPlace(row, 0, n);
    out.set(row, outOffset + o);
  }
}

/** Float64 accumulator -> float32 array (gradient results). */
export function toFloat32(x: Float64Array): Float32Array {
  return Float32Array.from(x);
}

/**
 * out[o..o+C) = sum_t w[t] m[base + t*rowStride ..] (float64 sums, t in order), in blocks of 8 columns
 * with the sums in locals: one store per output and the T weights read once per block. Serves the
 * time attention (the T rows of one node, rowStride = C) and the attention pooling (one window's row
 * of every node, rowStride = B*D). Measured once (scratch timing, not kept) 1.45 ms for 3,072 rows of [10, 64] against 5.0 ms for a
 * float64 accumulator array and 1.66 ms for blocks of 4.
 */
export function weightedSum(w: Float64Array, m: Float32Array, base: number, T: number, C: number, rowStride: number, out: Float32Array, o: number): void {
  const blocked = C - (C % 8);
  for (let c = 0; c < blocked; c += 8) {
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    for (let t = 0, i = base + c; t < T; t++, i += rowStride) {
      const wt = w[t]!;
      a0 += wt * m[i]!;
      a1 += wt * m[i + 1]!;
      a2 += wt * m[i + 2]!;
      a3 += wt * m[i + 3]!;
      a4 += wt * m[i + 4]!;
      a5 += wt * m[i + 5]!;
      a6 += wt * m[i + 6]!;
      a7 += wt * m[i + 7]!;
    }
    out[o + c] = a0;
    out[o + c + 1] = a1;
    out[o + c + 2] = a2;
    out[o + c + 3] = a3;
    out[o + c + 4] = a4;
    out[o + c + 5] = a5;
    out[o + c + 6] = a6;
    out[o + c + 7] = a7;
  }
  for (let c = blocked; c < C; c++) {
    let acc = 0;
    for (let t = 0, i = base + c; t < T; t++, i += rowStride) acc += w[t]! * m[i]!;
    out[o + c] = acc;
  }
}
