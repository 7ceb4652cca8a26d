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
 */
import type * as tf from '@tensorflow/tfjs';
import { columnSums, hostMatrix, matMul, transposeMatrix, weightGradient, type HostMatrix, type Workspace } from './host.js';

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
        let max = -Infinity;
        for (let k = 0; k < nIn; k++) {
          const sBase = (g.src[edges[k]!]! * B + b) * W2 + hd;
          let e = 0;
          for (let d = 0; d < D; d++) {
            const z = sd[sBase + d]! + sd[dBase + hd + d]!;
            e += attn[hd + d]! * (z * up + Math.abs(z) * down); // LeakyReLU without a branch
          }
          scoreBuf[k] = e;
          if (e > max) max = e;
        }
        let den = 0;
        for (let k = 0; k < nIn; k++) {
          const ex = Math.exp(scoreBuf[k]! - max);
          scoreBuf[k] = ex;
          den += ex;
        }
        for (let k = 0; k < nIn; k++) {
          const a = Math.fround(scoreBuf[k]! / den);
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
  const slope = o.negativeSlope;
  const up = (1 + slope) / 2;
  const down = (1 - slope) / 2;
  const attn = p.attn;
  let dOut = dOutIn;
  if (o.activation === 'relu') {
    dOut = ws.take('gat/dOut', dOutIn.length);
    for (let k = 0; k < dOut.length; k++) dOut[k] = s.out[k]! > 0 ? dOutIn[k]! : 0;
  }
  const dsd = ws.zeroed('gat/dsd', R * W2);
  const dAttn = new Float64Array(HD);
  const dHead = new Float64Array(D); // this head's share of dOut
  let dAlpha = new Float64Array(64);
  for (let i = 0; i < g.N; i++) {
    const edges = g.inEdges[i]!;
    const nIn = edges.length;
    if (nIn === 0) continue;
    if (dAlpha.length < nIn) dAlpha = new Float64Array(nIn);
    for (let b = 0; b < B; b++) {
      const ri = i * B + b;
      const dBase = ri * W2 + HD;
      const oBase = ri * D;
      for (let h = 0; h < H; h++) {
        const hd = h * D;
        let any = false;
        for (let d = 0; d < D; d++) {
          const v = o.headCombine === 'max' ? (winner[oBase + d] === h ? dOut[oBase + d]! : 0) : dOut[oBase + d]! / H;
          dHead[d] = v;
          if (v !== 0) any = true;
        }
        // dalpha and the message path dS += alpha dOut
        let rho = 0;
        for (let k = 0; k < nIn; k++) {
          const e = edges[k]!;
          const sBase = (g.src[e]! * B + b) * W2 + hd;
          const a = alpha[(e * B + b) * H + h]!;
          let acc = 0;
          if (any) {
            for (let d = 0; d < D; d++) {
              acc += dHead[d]! * sd[sBase + d]!;
              dsd[sBase + d] = dsd[sBase + d]! + a * dHead[d]!;
            }
          }
          dAlpha[k] = acc;
          rho += a * acc;
        }
        if (!any) continue;
        for (let k = 0; k < nIn; k++) {
          const e = edges[k]!;
          const sBase = (g.src[e]! * B + b) * W2 + hd;
          const a = alpha[(e * B + b) * H + h]!;
          const dScore = a * (dAlpha[k]! - rho);
          if (dScore === 0) continue;
          for (let d = 0; d < D; d++) {
            const z = sd[sBase + d]! + sd[dBase + hd + d]!;
            const act = z * up + Math.abs(z) * down; // LeakyReLU without a branch (see gatForward)
            dAttn[hd + d]! += dScore * act;
            // its slope act / z (1 or `slope`) without an unpredictable branch; z = 0 is rare and predictable
            const dz = dScore * attn[hd + d]! * (z !== 0 ? act / z : slope);
            dsd[sBase + d] = dsd[sBase + d]! + dz;
            dsd[dBase + hd + d] = dsd[dBase + hd + d]! + dz;
          }
        }
      }
    }
  }
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
