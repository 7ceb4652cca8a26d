/**
 * GATv2 with heads combined by max (reference MaxPool1d) or mean, forward and hand-written backward on
 * host arrays. Same definition as layers/gatv2.ts; rows are node-major (row n*B + b).
 *
 * The source and target transforms are one matMul: x [R, Din] x [W_src | W_dst] -> SD [R, 2HD]
 * (row r: HD source features, then HD target features). Per edge j -> i, window b, head h:
 *   z = S_jbh + D_ibh, score = a_h . LeakyReLU(z), alpha = softmax of score over the in-edges of i,
 *   out_ibh = sum_j alpha S_jbh, then max (or mean) over h.
 * Backward, with dOut the head-combine's gradient:
 *   dalpha_e = dOut_ibh . S_jbh; dscore_e = alpha_e (dalpha_e - sum_e' alpha_e' dalpha_e');
 *   dz = dscore_e a_h * LeakyReLU'(z); dS_jbh += alpha_e dOut_ibh + dz; dD_ibh += dz;
 *   da_h += dscore_e LeakyReLU(z).
 * With max over heads, the gradient goes to the first maximal head only (PyTorch MaxPool1d).
 * The backward's loops over the edges are layers/simd/gat-simd.ts (their per-feature work in
 * WebAssembly SIMD where it runs).
 */
import type * as tf from '@tensorflow/tfjs';
import { gatEdgeGradients, gatPredictKernels, simdGatAvailable, type GatEdgeInput } from '../layers/simd/gat-simd.js';
import { put, regions, simdSettings, view } from '../layers/simd/module.js';
import { uses, type EadroConfig } from '../config.js';
import { columnSums, hostMatrix, matMul, softmaxInPlace, transposeMatrix, weightGradient, type HostMatrix, type Workspace } from './host.js';

export interface GatGraphLists {
  N: number;
  /** Per target node, the edge ids into it, and each edge's source. */
  inEdges: Int32Array[];
  src: Int32Array;
  nEdges: number;
}

export function graphLists(N: number, srcIndex: Int32Array, dstIndex: Int32Array): GatGraphLists {
  const lists: number[][] = Array.from({ length: N }, () => []);
  for (let e = 0; e < dstIndex.length; e++) lists[dstIndex[e]!]!.push(e);
  return { N, inEdges: lists.map((l) => Int32Array.from(l)), src: srcIndex, nEdges: srcIndex.length };
}

export interface GatSettings {
  heads: number;
  negativeSlope: number;
  headCombine: 'max' | 'mean';
  activation: 'relu' | 'none';
}

export interface GatSaved {
  B: number;
  R: number;
  H: number;
  D: number;
  x: HostMatrix;
  /** [R, 2HD] source | target features. */
  sd: Float32Array;
  /** [nEdges, B, H] attention weights. */
  alpha: Float32Array;
  /** [R, D] winning head (max) . */
  winner: Uint8Array;
  /** [R, D] output (after the activation). */
  out: Float32Array;
}

export interface GatWeights {
  /** [Din, 2HD] = [W_src | W_dst] (a tensor: the matMul's right-hand side). */
  w: tf.Tensor2D;
  /** [2HD] = [b_src | b_dst]. */
  b: Float32Array;
  /** [H, D] */
  attn: Float32Array;
}

export function gatForward(x: HostMatrix, B: number, g: GatGraphLists, p: GatWeights, o: GatSettings, training: boolean, ws: Workspace): { out: Float32Array; saved?: GatSaved } {
  const R = x.rows;
  const H = o.heads;
  const HD = p.w.shape[1] / 2;
  const D = HD / H;
  const W2 = 2 * HD;
  const sd = matMul(x, p.w, p.b, ws.take('gat/sd', R * W2)).data; // [R, 2HD]
  const out = ws.zeroed('gat/out', R * D);
  const winner = new Uint8Array(R * D);
  const alpha = ws.take('gat/alpha', g.nEdges * B * H);
  const slope = o.negativeSlope;
  // LeakyReLU(z) = z up + |z| down: V8 compiles `z > 0 ? z : z * slope` to a branch here, which
  // mispredicts on about half the edges (see conv-bn.ts relu for the measurement)
  const up = (1 + slope) / 2;
  const down = (1 - slope) / 2;
  const attn = p.attn;
  const headOut = new Float64Array(H * D);
  const scores = new Float64Array(64);
  let scoreBuf = scores;
  for (let i = 0; i < g.N; i++) {
    const edges = g.inEdges[i]!;
    const nIn = edges.length;
    if (nIn === 0) continue; // no in-edges: output 0 (DGL allow_zero_in_degree)
    if (scoreBuf.length < nIn) scoreBuf = new Float64Array(nIn);
    for (let b = 0; b < B; b++) {
      const ri = i * B + b;
      const dBase = ri * W2 + HD;
      headOut.fill(0);
      for (let h = 0; h < H; h++) {
        const hd = h * D;
        for (let k = 0; k < nIn; k++) {
          const sBase = (g.src[edges[k]!]! * B + b) * W2 + hd;
          let e = 0;
          for (let d = 0; d < D; d++) {
            const z = sd[sBase + d]! + sd[dBase + hd + d]!;
            e += attn[hd + d]! * (z * up + Math.abs(z) * down); // LeakyReLU without a branch
          }
          scoreBuf[k] = e;
        }
        softmaxInPlace(scoreBuf, 0, nIn);
        for (let k = 0; k < nIn; k++) {
          const a = Math.fround(scoreBuf[k]!);
          alpha[(edges[k]! * B + b) * H + h] = a;
          const sBase = (g.src[edges[k]!]! * B + b) * W2 + hd;
          for (let d = 0; d < D; d++) headOut[hd + d]! += a * sd[sBase + d]!;
        }
      }
      const oBase = ri * D;
      if (o.headCombine === 'max') {
        for (let d = 0; d < D; d++) {
          let best = Math.fround(headOut[d]!);
          let win = 0;
          for (let h = 1; h < H; h++) {
            const v = Math.fround(headOut[h * D + d]!);
            if (v > best) (best = v), (win = h);
          }
          out[oBase + d] = best;
          winner[oBase + d] = win;
        }
      } else {
        for (let d = 0; d < D; d++) {
          let acc = 0;
          for (let h = 0; h < H; h++) acc += Math.fround(headOut[h * D + d]!);
          out[oBase + d] = acc / H;
        }
      }
    }
  }
  if (o.activation === 'relu') for (let k = 0; k < out.length; k++) if (out[k]! < 0) out[k] = 0;
  return training ? { out, saved: { B, R, H, D, x, sd, alpha, winner, out } } : { out };
}

/**
 * Whether a model's GAT backward runs its edge loops in WebAssembly SIMD (and so does its forward-only
 * pass at inference, same switch), for the record (run info):
 * null without the GAT; false with the autodiff step (tfjs computes the gradient) or where switched off
 * or unavailable.
 */
export function simdGatEdgesUsed(config: EadroConfig, step: 'manual' | 'autodiff'): boolean | null {
  if (!uses(config, 'graph')) return null;
  return step === 'manual' && simdSettings.gatEdges && simdGatAvailable(config.gatHidden);
}

export interface GatGradients {
  /** [Din, 2HD] */
  w: Float32Array;
  /** [2HD] */
  b: Float32Array;
  /** [H, D] */
  attn: Float32Array;
  /** [R, Din] */
  dx: Float32Array;
}

export function gatBackward(s: GatSaved, g: GatGraphLists, p: GatWeights, o: GatSettings, dOutIn: Float32Array, ws: Workspace): GatGradients {
  const { B, R, H, D, sd, alpha, winner } = s;
  const HD = H * D;
  const W2 = 2 * HD;
  const attn = p.attn;
  let dOut = dOutIn;
  if (o.activation === 'relu') {
    dOut = ws.take('gat/dOut', dOutIn.length);
    for (let k = 0; k < dOut.length; k++) dOut[k] = s.out[k]! > 0 ? dOutIn[k]! : 0;
  }
  const dsd = ws.take('gat/dsd', R * W2); // overwritten by gatEdgeGradients
  const edgeInput: GatEdgeInput = { B, R, H, D, sd, alpha, winner, dOut, attn, inEdges: g.inEdges, src: g.src, N: g.N, headCombine: o.headCombine, negativeSlope: o.negativeSlope };
  const dAttn = gatEdgeGradients(edgeInput, dsd, simdSettings.gatEdges && simdGatAvailable(D));
  const dsdm = hostMatrix(dsd, R, W2);
  const Din = p.w.shape[0];
  const dW = weightGradient(s.x, dsdm); // [Din, 2HD]
  const wT = transposeMatrix(hostMatrix(readWeight(p.w), Din, W2)); // [2HD, Din]
  const dx = matMul(dsdm, wT, undefined, ws.take('gat/dx', R * Din)).data;
  return { w: dW.data, b: Float32Array.from(columnSums(dsd, R, W2)), attn: Float32Array.from(dAttn), dx };
}

function readWeight(w: tf.Tensor2D): Float32Array {
  return w.dataSync() as Float32Array;
}

/**
 * Which rows the forward-only pass (gatPredict) needs transformed. Source features S_j only for nodes
 * that send a message; target features D_i only for nodes with two or more in-edges: with one in-edge
 * the softmax over in-edges is exactly 1 whatever the score (exp(e - e) / 1), and with none the output
 * is 0, so D_i would only feed a score that cannot matter. (The released TT graph has 15 of 27 services
 * without out-edges, reference-code-notes §0.2.) Rows of a node are one block of B rows (node-major).
 */
export interface GatPredictRows {
  /** Nodes whose source features are computed, ascending; slot[n] is n's block in that product or -1. */
  srcNodes: Int32Array;
  srcSlot: Int32Array;
  /** Nodes whose target features are computed (two or more in-edges). */
  dstNodes: Int32Array;
  dstSlot: Int32Array;
}

export function gatPredictRows(g: GatGraphLists): GatPredictRows {
  const isSrc = new Uint8Array(g.N);
  for (let e = 0; e < g.nEdges; e++) isSrc[g.src[e]!] = 1;
  const slots = (keep: (n: number) => boolean): { nodes: Int32Array; slot: Int32Array } => {
    const nodes: number[] = [];
    const slot = new Int32Array(g.N).fill(-1);
    for (let n = 0; n < g.N; n++) if (keep(n)) slot[n] = nodes.push(n) - 1;
    return { nodes: Int32Array.from(nodes), slot };
  };
  const s = slots((n) => isSrc[n] === 1);
  const d = slots((n) => g.inEdges[n]!.length >= 2);
  return { srcNodes: s.nodes, srcSlot: s.slot, dstNodes: d.nodes, dstSlot: d.slot };
}

/**
 * Forward-only GATv2 (eval-forward.ts) from precomputed features: S [srcNodes*B, HD] = x W_src + b_src
 * and D [dstNodes*B, HD] = x W_dst + b_dst on the rows `rows` names (heap views or host arrays), into
 * `out` [N*B, D] (overwritten). Same arithmetic as gatForward where a node has two or more in-edges;
 * with one, alpha = 1 and the head's output is S_j itself (gatForward computes 1 * S_j, the same).
 * The per-feature work in WebAssembly SIMD where it runs (gatPredictSimd, simdSettings.gatEdges),
 * else in JavaScript (gatPredictScalar); the same up to float32 rounding (tested).
 */
export function gatPredict(S: Float32Array, D: Float32Array | undefined, B: number, g: GatGraphLists, rows: GatPredictRows, attn: Float32Array, o: GatSettings, out: Float32Array): void {
  const Dh = attn.length / o.heads;
  if (simdSettings.gatEdges && simdGatAvailable(Dh)) gatPredictSimd(S, D, B, g, rows, attn, o, out);
  else gatPredictScalar(S, D, B, g, rows, attn, o, out);
}

/**
 * gatPredict with the scores and the heads' weighted sums in WebAssembly SIMD (gat.wat edgeScores,
 * gatherHeads: float32 sums in four lanes), the softmax over a target's in-edges here (float64,
 * alpha rounded to float32 as gatPredictScalar). The features are copied into the module's memory
 * (S and D, ~12.6 MB per batch of 256 at N = 12 with H*Dh = 512) and the output copied out.
 * Measured (CPU profile of 63 predict passes over SN's 445 test windows, paper variant, one thread;
 * not kept): gatPredict's time per pass 24.6 ms in JavaScript, 5.9 ms here, copies included.
 */
export function gatPredictSimd(S: Float32Array, D: Float32Array | undefined, B: number, g: GatGraphLists, rows: GatPredictRows, attn: Float32Array, o: GatSettings, out: Float32Array): void {
  const H = o.heads;
  const HD = attn.length;
  const Dh = HD / H;
  const k = gatPredictKernels(Dh);
  let maxIn = 1;
  for (const edges of g.inEdges) maxIn = Math.max(maxIn, edges.length);
  const nS = rows.srcNodes.length * B * HD;
  const nD = D === undefined ? 0 : rows.dstNodes.length * B * HD;
  const [sP, dP, attnP, listP, scoreP, alphaP, outP] = regions(k, [nS * 4, nD * 4, HD * 4, maxIn * 4, H * maxIn * 4, H * maxIn * 4, g.N * B * Dh * 4], 'SIMD GAT predict');
  put(k, sP, S.subarray(0, nS));
  if (D !== undefined) put(k, dP, D.subarray(0, nD));
  put(k, attnP, attn);
  const list = new Int32Array(k.memory.buffer, listP, maxIn); // byte offsets of the in-edges' source rows
  const scores = view(k, scoreP, H * maxIn);
  const alpha = view(k, alphaP, H * maxIn);
  const row = new Float64Array(maxIn);
  const mean = o.headCombine === 'mean' ? 1 : 0;
  const relu = o.activation === 'relu' ? 1 : 0;
  const rowBytes = HD * 4;
  for (let i = 0; i < g.N; i++) {
    const edges = g.inEdges[i]!;
    const nIn = edges.length;
    const outBlock = outP + i * B * Dh * 4;
    if (nIn === 0) {
      view(k, outBlock, B * Dh).fill(0); // no in-edges: output 0 (DGL allow_zero_in_degree)
      continue;
    }
    if (nIn === 1) alpha.fill(1, 0, H); // alpha = 1: each head's output is the source's features
    const srcBlock = Int32Array.from(edges, (e) => rows.srcSlot[g.src[e]!]! * B);
    for (let b = 0; b < B; b++) {
      for (let e = 0; e < nIn; e++) list[e] = sP + (srcBlock[e]! + b) * rowBytes;
      if (nIn >= 2) {
        k.edgeScores(listP, nIn, dP + (rows.dstSlot[i]! * B + b) * rowBytes, attnP, H, Dh, o.negativeSlope, scoreP);
        for (let h = 0; h < H; h++) {
          for (let e = 0; e < nIn; e++) row[e] = scores[h * nIn + e]!;
          softmaxInPlace(row, 0, nIn);
          for (let e = 0; e < nIn; e++) alpha[h * nIn + e] = row[e]!;
        }
      }
      k.gatherHeads(listP, nIn, alphaP, H, Dh, mean, relu, outBlock + b * Dh * 4);
    }
  }
  out.set(view(k, outP, g.N * B * Dh));
}

/** gatPredict in JavaScript (sums in float64). */
export function gatPredictScalar(S: Float32Array, D: Float32Array | undefined, B: number, g: GatGraphLists, rows: GatPredictRows, attn: Float32Array, o: GatSettings, out: Float32Array): void {
  const H = o.heads;
  const HD = attn.length;
  const Dh = HD / H;
  const slope = o.negativeSlope;
  const up = (1 + slope) / 2; // LeakyReLU without a branch, as gatForward
  const down = (1 - slope) / 2;
  const headOut = new Float64Array(HD);
  let scoreBuf = new Float64Array(64);
  const max = o.headCombine === 'max';
  const relu = o.activation === 'relu';
  for (let i = 0; i < g.N; i++) {
    const edges = g.inEdges[i]!;
    const nIn = edges.length;
    if (nIn === 0) {
      out.fill(0, i * B * Dh, (i + 1) * B * Dh); // no in-edges: output 0 (DGL allow_zero_in_degree)
      continue;
    }
    if (nIn === 1) {
      // alpha = 1: each head's output is the source's features (float32 values, so the copy is exact)
      const sBlock = rows.srcSlot[g.src[edges[0]!]!]! * B;
      for (let b = 0; b < B; b++) {
        const sBase = (sBlock + b) * HD;
        headOut.set(S.subarray(sBase, sBase + HD));
        combineHeads(headOut, H, Dh, max, relu, out, (i * B + b) * Dh);
      }
      continue;
    }
    if (scoreBuf.length < nIn) scoreBuf = new Float64Array(nIn);
    const dBlock = rows.dstSlot[i]! * B;
    const srcBlock = Int32Array.from(edges, (e) => rows.srcSlot[g.src[e]!]! * B); // per in-edge
    for (let b = 0; b < B; b++) {
      const dBase = (dBlock + b) * HD;
      for (let h = 0; h < H; h++) {
        const hd = h * Dh;
        const q = dBase + hd;
        for (let k = 0; k < nIn; k++) {
          const sBase = (srcBlock[k]! + b) * HD + hd;
          // four partial sums: one running sum waits on each add (Dh = 64 or 128 here)
          let e0 = 0, e1 = 0, e2 = 0, e3 = 0;
          let d = 0;
          for (; d + 3 < Dh; d += 4) {
            const z0 = S[sBase + d]! + D![q + d]!;
            const z1 = S[sBase + d + 1]! + D![q + d + 1]!;
            const z2 = S[sBase + d + 2]! + D![q + d + 2]!;
            const z3 = S[sBase + d + 3]! + D![q + d + 3]!;
            e0 += attn[hd + d]! * (z0 * up + Math.abs(z0) * down);
            e1 += attn[hd + d + 1]! * (z1 * up + Math.abs(z1) * down);
            e2 += attn[hd + d + 2]! * (z2 * up + Math.abs(z2) * down);
            e3 += attn[hd + d + 3]! * (z3 * up + Math.abs(z3) * down);
          }
          for (; d < Dh; d++) {
            const z = S[sBase + d]! + D![q + d]!;
            e0 += attn[hd + d]! * (z * up + Math.abs(z) * down);
          }
          scoreBuf[k] = e0 + e1 + e2 + e3;
        }
        softmaxInPlace(scoreBuf, 0, nIn);
        for (let k = 0; k < nIn; k++) scoreBuf[k] = Math.fround(scoreBuf[k]!); // alpha in float32, as gatForward
        // head output sum_k alpha_k S_k: blocks of 4 features summed over the in-edges in locals,
        // one store each (not a read-modify-write of every feature per in-edge)
        let d = 0;
        for (; d + 3 < Dh; d += 4) {
          let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
          for (let k = 0; k < nIn; k++) {
            const a = scoreBuf[k]!;
            const sBase = (srcBlock[k]! + b) * HD + hd + d;
            a0 += a * S[sBase]!;
            a1 += a * S[sBase + 1]!;
            a2 += a * S[sBase + 2]!;
            a3 += a * S[sBase + 3]!;
          }
          headOut[hd + d] = a0;
          headOut[hd + d + 1] = a1;
          headOut[hd + d + 2] = a2;
          headOut[hd + d + 3] = a3;
        }
        for (; d < Dh; d++) {
          let a0 = 0;
          for (let k = 0; k < nIn; k++) a0 += scoreBuf[k]! * S[(srcBlock[k]! + b) * HD + hd + d]!;
          headOut[hd + d] = a0;
        }
      }
      combineHeads(headOut, H, Dh, max, relu, out, (i * B + b) * Dh);
    }
  }
}

/**
 * max(a, b) and max(x, 0) without a branch, for float32 values held in doubles: the winner is random
 * per entry, and both a comparison and Math.max (a compare-and-jump sequence in V8, for NaN and -0)
 * mispredicted on about half of them: measured once (scratch timing, not kept) 4.0 ms for the max over 4 heads at N=12, B=256, against
 * 1.1 ms here. x + |x| is 2x or 0, exactly. max is exact when b - a is (two float32 values whose
 * exponents differ by at most 29, i.e. all but magnitudes ~1e9 apart); beyond that the result is off
 * by at most the smaller magnitude (max(-1e30, 1e-30) gives 0). NaN propagates (a comparison would
 * skip it).
 */
function maxNoBranch(a: number, b: number): number {
  const z = b - a;
  return a + 0.5 * (z + Math.abs(z));
}

function reluNoBranch(x: number): number {
  return 0.5 * (x + Math.abs(x));
}

/** Heads [H, Dh] (float64 sums) -> out[o..o+Dh]: max or mean over heads of their float32 values, ReLU'd when asked. */
function combineHeads(headOut: Float64Array, H: number, Dh: number, max: boolean, relu: boolean, out: Float32Array, o: number): void {
  for (let d = 0; d < Dh; d++) {
    let v: number;
    if (max) {
      v = Math.fround(headOut[d]!);
      for (let h = 1; h < H; h++) v = maxNoBranch(v, Math.fround(headOut[h * Dh + d]!));
    } else {
      v = 0;
      for (let h = 0; h < H; h++) v += Math.fround(headOut[h * Dh + d]!);
      v /= H;
    }
    out[o + d] = relu ? reluNoBranch(v) : v;
  }
}
