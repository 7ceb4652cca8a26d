/**
 * Faster replacements for a few stock tfjs-backend-wasm 4.22 kernels that dominate Eadro's training
 * step (profiled: ../shared/specs/fast-tfjs-wasm.md, and our own tf.profile of one step at N=12, where
 * `Sum` over the first axis of [33792, 64] took ~114 ms per call):
 * - `Sum` / `Mean` / `Max` over one contiguous block of axes: one pass over a heap view, accumulating
 *   in float64
 *   (the stock kernel transposes first and adds in float32);
 * - `Slice`: reads a heap view instead of copying the whole input out of the wasm heap;
 * - `Transpose` of the last two axes ([a, b] -> [b, a], [n, a, b] -> [n, b, a]): blocked copy on views;
 * - `BatchMatMul` with transpose flags: explicit transposes first (the flagged path is ~3x slower),
 *   and A^T B with a narrow A as (B^T A)^T (XNNPACK then packs the narrow matrix);
 * - `Identity`: shares the input's buffer (reference count) instead of copying it, as the cpu backend
 *   does (tensors are immutable; clones made for gradients were ~0.9 s of CPU per step at N=12);
 * - `SplitV` (the gradient of concat): slices through the view-based `Slice` above;
 * Anything else falls through to the stock kernel. Installed once per process, only on wasm;
 * `uninstallFastWasmKernels` restores the stock kernels (tests compare both).
 */
import * as tf from '@tensorflow/tfjs';

type AnyBackend = {
  incRef(dataId: object): void;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object): boolean;
};
type KernelArgs = { inputs: Record<string, tf.TensorInfo>; backend: AnyBackend; attrs: Record<string, unknown> };
type KernelFn = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

const REPLACED = ['Sum', 'Mean', 'Max', 'Slice', 'Transpose', 'BatchMatMul', 'Identity', 'SplitV'] as const;
const stock = new Map<string, tf.KernelConfig>();

/** Whether the fast kernels are active. */
export function fastWasmKernelsInstalled(): boolean {
  return stock.size > 0;
}

function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function normalizeAxes(axis: unknown, rank: number): number[] {
  const list = axis === null || axis === undefined ? Array.from({ length: rank }, (_, i) => i) : Array.isArray(axis) ? (axis as number[]) : [axis as number];
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
}

function callStock(name: string, args: KernelArgs): tf.TensorInfo {
  return stock.get(name)!.kernelFunc(args as never) as tf.TensorInfo;
}

/**
 * Sum, mean or max over one contiguous block of axes: x viewed as [outer, reduced, inner] ->
 * [outer, inner], loops over heap views accumulating in float64. (A GEMM with a constant row looks
 * 10x faster in a micro-benchmark, but only because tfjs-wasm caches the packed right-hand matrix by
 * tensor; with a fresh tensor every step it brought no measurable gain in the full step.)
 */
function reduceKernel(name: 'Sum' | 'Mean' | 'Max'): KernelFn {
  return (args) => {
    const x = args.inputs['x']!;
    const rank = x.shape.length;
    // tfjs names the reduced axes `axis` for Sum/Mean and `reductionIndices` for Max
    const axes = normalizeAxes(name === 'Max' ? args.attrs['reductionIndices'] : args.attrs['axis'], rank);
    const contiguous = axes.every((a, i) => a === axes[0]! + i);
    if (x.dtype !== 'float32' || axes.length === 0 || !contiguous) return callStock(name, args);
    const keepDims = Boolean(args.attrs['keepDims']);
    const first = axes[0]!;
    const last = axes[axes.length - 1]!;
    const outer = size(x.shape.slice(0, first));
    const reduced = size(x.shape.slice(first, last + 1));
    const inner = size(x.shape.slice(last + 1));
    const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    const scale = name === 'Mean' ? 1 / reduced : 1;
    const out = args.backend.makeOutput(outShape, 'float32');
    const xv = args.backend.typedArrayFromHeap(x) as Float32Array;
    const ov = args.backend.typedArrayFromHeap(out) as Float32Array;
    if (name === 'Max') {
      for (let o = 0; o < outer; o++) {
        const base = o * reduced * inner;
        for (let j = 0; j < inner; j++) {
          let m = xv[base + j]!;
          for (let r = 1; r < reduced; r++) {
            const v = xv[base + r * inner + j]!;
            if (v > m || Number.isNaN(v)) m = v;
          }
          ov[o * inner + j] = m;
        }
      }
      return out;
    }
    if (inner === 1) {
      for (let o = 0; o < outer; o++) {
        let acc = 0;
        const base = o * reduced;
        for (let r = 0; r < reduced; r++) acc += xv[base + r]!;
        ov[o] = acc * scale;
      }
      return out;
    }
    const acc = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      acc.fill(0);
      const base = o * reduced * inner;
      for (let r = 0; r < reduced; r++) {
        const row = base + r * inner;
        for (let j = 0; j < inner; j++) acc[j]! += xv[row + j]!;
      }
      const ob = o * inner;
      for (let j = 0; j < inner; j++) ov[ob + j] = acc[j]! * scale;
    }
    return out;
  };
}

const sliceKernel: KernelFn = (args) => {
  const x = args.inputs['x']!;
  const rank = x.shape.length;
  if (x.dtype === 'string' || rank === 0) return callStock('Slice', args);
  const beginAttr = args.attrs['begin'] as number | number[];
  const sizeAttr = args.attrs['size'] as number | number[];
  const begin = Array.isArray(beginAttr) ? [...beginAttr] : [beginAttr];
  const sz = Array.isArray(sizeAttr) ? [...sizeAttr] : [sizeAttr];
  while (begin.length < rank) begin.push(0);
  while (sz.length < rank) sz.push(-1);
  for (let i = 0; i < rank; i++) if (sz[i] === -1) sz[i] = x.shape[i]! - begin[i]!;
  const out = args.backend.makeOutput(sz, x.dtype);
  const xv = args.backend.typedArrayFromHeap(x);
  const ov = args.backend.typedArrayFromHeap(out);
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1]! * x.shape[i + 1]!;
  // Copy contiguous runs: the axes after the last partially-taken axis are whole, so each run covers
  // that axis's slice and everything inside it (e.g. the chomp [R, T+p, C] -> [R, T, C] copies T*C at once).
  let cut = rank - 1;
  while (cut > 0 && sz[cut] === x.shape[cut] && begin[cut] === 0) cut--;
  const inner = size(sz.slice(cut));
  const outer = size(sz.slice(0, cut));
  const coord = new Array<number>(cut).fill(0);
  let o = 0;
  for (let n = 0; n < outer; n++) {
    let off = begin[cut]! * strides[cut]!;
    for (let d = 0; d < cut; d++) off += (begin[d]! + coord[d]!) * strides[d]!;
    if (inner >= 64) ov.set(xv.subarray(off, off + inner), o);
    else for (let i = 0; i < inner; i++) ov[o + i] = xv[off + i]!;
    o += inner;
    for (let d = cut - 1; d >= 0; d--) {
      if (++coord[d]! < sz[d]!) break;
      coord[d] = 0;
    }
  }
  return out;
};

/**
 * [n, a, b] -> [n, b, a] on heap views. Blocks of 256 source rows, each output row written
 * contiguously: measured 3.3 ms for [33792, 64] against 18.6 ms with 32 x 32 tiles, whose writes
 * jump a whole output row each (same loop as manual/host.ts transpose).
 */
function transposeLastTwo(backend: AnyBackend, x: tf.TensorInfo, n: number, a: number, b: number, outShape: number[]): tf.TensorInfo {
  const out = backend.makeOutput(outShape, x.dtype);
  const xv = backend.typedArrayFromHeap(x);
  const ov = backend.typedArrayFromHeap(out);
  const BS = 256;
  for (let m = 0; m < n; m++) {
    const base = m * a * b;
    for (let i0 = 0; i0 < a; i0 += BS) {
      const i1 = Math.min(a, i0 + BS);
      for (let j = 0; j < b; j++) {
        const o = base + j * a;
        for (let i = i0, k = base + i0 * b + j; i < i1; i++, k += b) ov[o + i] = xv[k]!;
      }
    }
  }
  return out;
}

const transposeKernel: KernelFn = (args) => {
  const x = args.inputs['x']!;
  const perm = args.attrs['perm'] as number[];
  const rank = x.shape.length;
  const swapsLastTwo = rank >= 2 && perm[rank - 1] === rank - 2 && perm[rank - 2] === rank - 1 && perm.slice(0, rank - 2).every((p, i) => p === i);
  if (!swapsLastTwo || x.dtype === 'string') return callStock('Transpose', args);
  const a = x.shape[rank - 2]!;
  const b = x.shape[rank - 1]!;
  const outShape = perm.map((p) => x.shape[p]!);
  return transposeLastTwo(args.backend, x, size(x.shape.slice(0, rank - 2)), a, b, outShape);
};

const batchMatMulKernel: KernelFn = (args) => {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const tA = Boolean(args.attrs['transposeA']);
  const tB = Boolean(args.attrs['transposeB']);
  if (!tA && !tB) return callStock('BatchMatMul', args);
  const temps: tf.TensorInfo[] = [];
  const sameBatch = a.shape.length === b.shape.length && a.shape.slice(0, -2).every((d, i) => d === b.shape[i]);
  const r = a.shape.length;
  if (tA && !tB && sameBatch && a.shape[r - 1]! < b.shape[r - 1]!) {
    // A^T B for weight gradients: A [.., K, m] (e.g. the conv taps, m = 3) and B [.., K, n] with a long
    // K (rows x time steps). XNNPACK packs its right-hand matrix on every call for a fresh tensor, so
    // pack the narrower one: (B^T A)^T. Profiled at N = 27: 211 ms -> ~30 ms for [69120, 3]^T [69120, 64].
    const bt = transposeLastTwo(args.backend, b, size(b.shape.slice(0, r - 2)), b.shape[r - 2]!, b.shape[r - 1]!, [...b.shape.slice(0, r - 2), b.shape[r - 1]!, b.shape[r - 2]!]);
    const prod = callStock('BatchMatMul', { ...args, inputs: { a: bt, b: a }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    const n = prod.shape.length;
    const out = transposeLastTwo(args.backend, prod, size(prod.shape.slice(0, n - 2)), prod.shape[n - 2]!, prod.shape[n - 1]!, [...prod.shape.slice(0, n - 2), prod.shape[n - 1]!, prod.shape[n - 2]!]);
    args.backend.disposeData(bt.dataId);
    args.backend.disposeData(prod.dataId);
    return out;
  }
  const explicit = (t: tf.TensorInfo): tf.TensorInfo => {
    const r = t.shape.length;
    const shape = [...t.shape];
    shape[r - 2] = t.shape[r - 1]!;
    shape[r - 1] = t.shape[r - 2]!;
    const out = transposeLastTwo(args.backend, t, size(t.shape.slice(0, r - 2)), t.shape[r - 2]!, t.shape[r - 1]!, shape);
    temps.push(out);
    return out;
  };
  const a2 = tA ? explicit(a) : a;
  const b2 = tB ? explicit(b) : b;
  const out = callStock('BatchMatMul', { ...args, inputs: { a: a2, b: b2 }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
  for (const t of temps) args.backend.disposeData(t.dataId);
  return out;
};

const identityKernel: KernelFn = (args) => {
  const x = args.inputs['x']!;
  if (x.dtype === 'string') return callStock('Identity', args);
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
};

const splitVKernel: KernelFn = (args) => {
  const x = args.inputs['x']!;
  const rank = x.shape.length;
  const axisAttr = args.attrs['axis'] as number;
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  const splits = args.attrs['numOrSizeSplits'] as number | number[];
  const sizes = Array.isArray(splits) ? [...splits] : new Array<number>(splits).fill(x.shape[axis]! / splits);
  const known = sizes.reduce((a, b) => a + (b === -1 ? 0 : b), 0);
  for (let i = 0; i < sizes.length; i++) if (sizes[i] === -1) sizes[i] = x.shape[axis]! - known;
  const outs: tf.TensorInfo[] = [];
  let start = 0;
  for (const s of sizes) {
    const begin = x.shape.map((_, i) => (i === axis ? start : 0));
    const sz = x.shape.map((d, i) => (i === axis ? s : d));
    outs.push(sliceKernel({ ...args, attrs: { begin, size: sz } }) as tf.TensorInfo);
    start += s;
  }
  return outs;
};

const REPLACEMENTS: Record<(typeof REPLACED)[number], KernelFn> = {
  Sum: reduceKernel('Sum'),
  Mean: reduceKernel('Mean'),
  Max: reduceKernel('Max'),
  Slice: sliceKernel,
  Transpose: transposeKernel,
  BatchMatMul: batchMatMulKernel,
  Identity: identityKernel,
  SplitV: splitVKernel,
};

/** Set by uninstallFastWasmKernels: trainEadro/predict then leave the stock kernels in place. */
let optedOut = false;

/** Install the fast kernels unless the caller uninstalled them on purpose (used by trainEadro, predict). */
export function ensureFastWasmKernels(): boolean {
  return optedOut ? false : installFastWasmKernels();
}

/** Swap in the fast kernels when the active backend is wasm; returns whether they are active. */
export function installFastWasmKernels(): boolean {
  optedOut = false;
  if (tf.getBackend() !== 'wasm') return false;
  if (stock.size > 0) return true;
  for (const name of REPLACED) {
    const config = tf.getKernel(name, 'wasm');
    if (config === undefined) continue;
    stock.set(name, config);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: REPLACEMENTS[name] as unknown as tf.KernelFunc });
  }
  return true;
}

/** Put the stock kernels back. */
export function uninstallFastWasmKernels(): void {
  optedOut = true;
  for (const [name, config] of stock) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
  }
  stock.clear();
}
