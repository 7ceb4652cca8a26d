/**
 * Also the forward-only kernels of inference (gatPredictKernels, for ../../manual/gatv2.ts gatPredict).
 *
 * The loops over the edges of GATv2's hand-written backward (../../manual/gatv2.ts gatBackward): the
 * loops over nodes, windows, heads and in-edges, the head-combine gradient and the softmax algebra in
 * JavaScript; the work over a head's D features in WebAssembly SIMD (gat.wat) or, where that cannot
 * run, in JavaScript on a buffer of the same layout. Same results up to float32 rounding (tested):
 * per-edge sums are float32 in SIMD, float64 in JavaScript; the attention vector's gradient sums in
 * float64 in both.
 */
import { wasmBase64 } from './gat-wasm.js';
import { lazyInstance, put, regions, runsFor, view, type SimdExports } from './module.js';

const load = lazyInstance<EdgeKernels>(wasmBase64);

/** Whether the SIMD edge loops can run for heads of D features (WebAssembly SIMD, D % 4 == 0). */
export function simdGatAvailable(D: number): boolean {
  return runsFor(D, load);
}

/** What the edge loops read: gatBackward's saved forward values and settings. */
export interface GatEdgeInput {
  B: number;
  R: number;
  H: number;
  D: number;
  /** [R, 2HD] source | target features. */
  sd: Float32Array;
  /** [nEdges, B, H] attention weights. */
  alpha: Float32Array;
  /** [R, D] winning head (max). */
  winner: Uint8Array;
  /** [R, D] gradient of the output, after the activation's gradient. */
  dOut: Float32Array;
  /** [H, D] attention vectors. */
  attn: Float32Array;
  inEdges: Int32Array[];
  src: Int32Array;
  N: number;
  headCombine: 'max' | 'mean';
  negativeSlope: number;
}

/** The two per-edge operations, on byte offsets into one memory (WebAssembly's or a plain buffer). */
interface EdgeKernels extends SimdExports {
  messageGrad(g: number, s: number, ds: number, a: number, D: number): number;
  scoreGrad(s: number, t: number, attn: number, dAttn: number, ds: number, dt: number, dScore: number, slope: number, D: number): void;
}

/** The forward-only kernels (gat.wat; SIMD only: where it cannot run, gatPredict stays in JavaScript). */
export interface PredictKernels extends SimdExports {
  /** out[h, k] = sum_d attn[h, d] LeakyReLU(src_k[h, d] + t[h, d]); list: nIn i32 byte offsets of source rows. */
  edgeScores(list: number, nIn: number, t: number, attn: number, H: number, D: number, slope: number, out: number): void;
  /** out[d] = max (or mean) over h of sum_k alpha[h, k] src_k[h, d], ReLU'd when relu is 1. */
  gatherHeads(list: number, nIn: number, alpha: number, H: number, D: number, mean: number, relu: number, out: number): void;
}

/**
 * The same operations in JavaScript on a plain buffer laid out as the WebAssembly memory: sums in
 * float64 (and LeakyReLU without a branch: V8 compiles `z > 0 ? z : z * slope` to a branch that
 * mispredicts on about half the edges, see conv-bn.ts relu). Used where SIMD is not.
 */
function scalarKernels(): EdgeKernels {
  let f32 = new Float32Array(0);
  let f64 = new Float64Array(0);
  const k: EdgeKernels = {
    memory: {
      buffer: f32.buffer as ArrayBuffer,
      grow(pages: number): number {
        const before = k.memory.buffer.byteLength / 65536;
        const buffer = new ArrayBuffer(k.memory.buffer.byteLength + pages * 65536);
        f32 = new Float32Array(buffer);
        f64 = new Float64Array(buffer);
        k.memory.buffer = buffer;
        return before;
      },
    },
    messageGrad(g, s, ds, a, D) {
      const g0 = g >> 2;
      const s0 = s >> 2;
      const ds0 = ds >> 2;
      let acc = 0;
      for (let d = 0; d < D; d++) {
        acc += f32[g0 + d]! * f32[s0 + d]!;
        f32[ds0 + d] = f32[ds0 + d]! + a * f32[g0 + d]!;
      }
      return acc;
    },
    scoreGrad(s, t, attn, dAttn, ds, dt, dScore, slope, D) {
      const up = (1 + slope) / 2;
      const down = (1 - slope) / 2;
      const s0 = s >> 2;
      const t0 = t >> 2;
      const a0 = attn >> 2;
      const q0 = dAttn >> 3;
      const ds0 = ds >> 2;
      const dt0 = dt >> 2;
      for (let d = 0; d < D; d++) {
        const z = f32[s0 + d]! + f32[t0 + d]!;
        const act = z * up + Math.abs(z) * down;
        f64[q0 + d]! += dScore * act;
        // the slope act / z (1 or `slope`) without an unpredictable branch; z = 0 is rare and predictable
        const dz = dScore * f32[a0 + d]! * (z !== 0 ? act / z : slope);
        f32[ds0 + d] = f32[ds0 + d]! + dz;
        f32[dt0 + d] = f32[dt0 + d]! + dz;
      }
    },
  };
  return k;
}

let scalar: EdgeKernels | undefined;

/**
 * dsd [R, 2HD] (into `dsdOut`, overwritten) and dAttn [HD] (float64) of gatBackward's loops over the
 * edges (formulas in ../../manual/gatv2.ts), the per-feature work in WebAssembly SIMD when `simd`
 * (check simdGatAvailable first), else in JavaScript.
 */
export function gatEdgeGradients(p: GatEdgeInput, dsdOut: Float32Array, simd: boolean): Float64Array {
  if (simd && !simdGatAvailable(p.D)) throw new Error(`SIMD GAT edge loops: unavailable for D = ${p.D} (needs WebAssembly SIMD and D a multiple of 4)`);
  const k: EdgeKernels = simd ? load()! : (scalar ??= scalarKernels());
  const { B, R, H, D, sd, alpha, winner, dOut, attn } = p;
  const HD = H * D;
  const W2 = 2 * HD;
  const [sdP, dsdP, gP, attnP, dAttnP] = regions(k, [R * W2 * 4, R * W2 * 4, D * 4, HD * 4, HD * 8], 'GAT edge loops');
  put(k, sdP, sd.subarray(0, R * W2));
  view(k, dsdP, R * W2).fill(0);
  put(k, attnP, attn.subarray(0, HD));
  new Float64Array(k.memory.buffer, dAttnP, HD).fill(0);
  const g = view(k, gP, D);
  const slope = p.negativeSlope;
  let dAlpha = new Float64Array(64);
  for (let i = 0; i < p.N; i++) {
    const edges = p.inEdges[i]!;
    const nIn = edges.length;
    if (nIn === 0) continue; // no in-edges: output 0, no gradient
    if (dAlpha.length < nIn) dAlpha = new Float64Array(nIn);
    for (let b = 0; b < B; b++) {
      const ri = i * B + b;
      const dBase = ri * W2 + HD;
      const oBase = ri * D;
      for (let h = 0; h < H; h++) {
        const hd = h * D;
        // a head without output gradient here adds nothing on either path (dalpha = 0)
        if (!headGradient(dOut, winner, oBase, D, h, H, p.headCombine === 'max', g)) continue;
        // dalpha and the message path dS += alpha dOut
        let rho = 0;
        for (let e = 0; e < nIn; e++) {
          const edge = edges[e]!;
          const sBase = (p.src[edge]! * B + b) * W2 + hd;
          const a = alpha[(edge * B + b) * H + h]!;
          const acc = k.messageGrad(gP, sdP + sBase * 4, dsdP + sBase * 4, a, D);
          dAlpha[e] = acc;
          rho += a * acc;
        }
        // the score path, through the softmax over the in-edges
        for (let e = 0; e < nIn; e++) {
          const edge = edges[e]!;
          const sBase = (p.src[edge]! * B + b) * W2 + hd;
          const a = alpha[(edge * B + b) * H + h]!;
          const dScore = a * (dAlpha[e]! - rho);
          if (dScore === 0) continue;
          k.scoreGrad(sdP + sBase * 4, sdP + (dBase + hd) * 4, attnP + hd * 4, dAttnP + hd * 8, dsdP + sBase * 4, dsdP + (dBase + hd) * 4, dScore, slope, D);
        }
      }
    }
  }
  dsdOut.set(view(k, dsdP, R * W2));
  return Float64Array.from(new Float64Array(k.memory.buffer, dAttnP, HD));
}

/**
 * Head h's share of the output gradient at row oBase (max: where h won; mean: 1/H of it) into g [D];
 * false when it is all 0.
 */
function headGradient(dOut: Float32Array, winner: Uint8Array, oBase: number, D: number, h: number, H: number, max: boolean, g: Float32Array): boolean {
  let any = false;
  for (let d = 0; d < D; d++) {
    const v = max ? (winner[oBase + d] === h ? dOut[oBase + d]! : 0) : dOut[oBase + d]! / H;
    g[d] = v;
    if (v !== 0) any = true;
  }
  return any;
}

/**
 * The forward-only kernels, for ../../manual/gatv2.ts gatPredict (which loops over targets and windows
 * and does the softmax over in-edges in JavaScript). Check simdGatAvailable(D) first.
 */
export function gatPredictKernels(D: number): PredictKernels {
  if (!simdGatAvailable(D)) throw new Error(`SIMD GAT predict: unavailable for D = ${D} (needs WebAssembly SIMD and D a multiple of 4)`);
  return load()! as unknown as PredictKernels;
}
