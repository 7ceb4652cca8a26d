/**
 * Attention over the T time steps of a conv output, forward and hand-written backward:
 * x [R, T, C] -> [R, C]. Same definitions as layers/time-attention.ts.
 *
 * - tanh-score (reference SelfAttention): u_rt = x_rt . w_t + b_t, s = tanh(u), out_r = sum_t s_rt x_rt.
 *   Backward: ds_rt = dout_r . x_rt, du = ds (1 - s^2), dx_rt = s_rt dout_r + du_rt w_t,
 *   dw_t = sum_r du_rt x_rt, db_t = sum_r du_rt. Reads the conv output where it lies (a tensor,
 *   [R, tOut, C] before the chomp) and drops the chomped positions itself.
 * - softmax-qkv (paper Eq. 2, mean over time): the fused form of layers/time-attention.ts
 *   (M = W_q W_k^T, xbar = abar^T X, out = xbar W_v), reusing its per-row loops on host arrays.
 */
import * as tf from '@tensorflow/tfjs';
import { attentionBackwardRows, attentionForwardRows } from '../layers/time-attention.js';
import { readValues } from '../layers/row-gather.js';
import { columnBlock, hostMatrix, matMul, transpose, transposeMatrix, weightedSum, weightGradient, type HostMatrix, type Workspace } from './host.js';

export interface TanhSaved {
  kind: 'tanh-score';
  R: number;
  tOut: number;
  C: number;
  /** [R*tOut, C] the conv output (ReLU'd, not chomped; owned by the forward pass's tensor list). */
  x: tf.Tensor2D;
  /** [R*tOut] tanh scores (0 at the chomped positions). */
  s: Float32Array;
  /** [tOut, C] the weights with zero rows at the chomped positions. */
  wPad: Float32Array;
}

/**
 * x [R*tOut, C] (conv positions, the last tOut - T of each row to be chomped) -> `out` [R, C] on the
 * host. weight [T, C] and bias [T] host copies. The chomp: a dropped position gets score 0, so it
 * adds nothing, and its gradient is zero (below).
 */
export function tanhAttentionForward(
  x2: tf.Tensor2D,
  R: number,
  T: number,
  weight: Float32Array,
  bias: Float32Array,
  training: boolean,
  out: Float32Array,
): { saved?: TanhSaved } {
  const C = x2.shape[1];
  const tOut = x2.shape[0] / R;
  const M = R * tOut;
  const wPad = new Float32Array(tOut * C);
  wPad.set(weight);
  // Scores u_rt = x_rt . w_t + b_t as ONE matMul x [M, C] x W^T [C, tOut] -> P [M, tOut], of which row
  // m = r*tOut + t keeps column t: tOut times the multiply-adds, but one XNNPACK GEMM (~3 ms at N=27)
  // instead of an elementwise product and a row sum (~13 ms).
  const wT = tf.tensor2d(transpose(wPad, tOut, C), [C, tOut]);
  const p = tf.matMul(x2, wT);
  wT.dispose();
  const pv = readValues(p);
  const score = new Float32Array(M);
  for (let m = 0, t = 0; m < M; m++, t = t + 1 === tOut ? 0 : t + 1) score[m] = t < T ? Math.tanh(pv[m * tOut + t]! + bias[t]!) : 0;
  p.dispose();
  // out_r = sum_t s_rt x_rt: one pass over x (heap view), float64 accumulators per row
  const xv = readValues(x2);
  const acc = new Float64Array(C);
  for (let r = 0; r < R; r++) {
    acc.fill(0);
    for (let t = 0; t < T; t++) {
      const m = r * tOut + t;
      const st = score[m]!;
      const xi = m * C;
      for (let c = 0; c < C; c++) acc[c]! += st * xv[xi + c]!;
    }
    const o = r * C;
    for (let c = 0; c < C; c++) out[o + c] = acc[c]!;
  }
  if (!training) return {};
  return { saved: { kind: 'tanh-score', R, tOut, C, x: x2, s: score, wPad } };
}

/**
 * dOut is read from a strided host matrix: column offset `offset` of rows of width `stride` (the
 * slice of the fusion input's gradient that belongs to this branch). With u the pre-tanh score:
 *   ds_rt = dout_r . x_rt, du = ds (1 - s^2), dx_rt = s_rt dout_r + du_rt w_t,
 *   dw_t = sum_r du_rt x_rt, db_t = sum_r du_rt.
 * One pass over x. It also applies the conv's ReLU backward (x is the ReLU's output) and returns
 * g = dx * [x > 0] [R*tOut, C] as a tensor (zero at the chomped positions), what convBnBackward takes.
 * (Writing g transposed here instead, tile by tile, measured slower: the upload of a host g^T and its
 * matMul cost more than the heap-side transpose of wasm-kernels.ts.)
 */
export function tanhAttentionBackward(
  sv: TanhSaved,
  T: number,
  dOut: Float32Array,
  stride: number,
  offset: number,
  ws: Workspace,
  key: string,
): { g: tf.Tensor2D; dWeight: Float32Array; dBias: Float32Array } {
  const { R, tOut, C, s, wPad } = sv;
  const M = R * tOut;
  const g = ws.take(`${key}/g`, M * C);
  const dw = new Float64Array(T * C);
  const db = new Float64Array(T);
  const xv = readValues(sv.x);
  // the ReLU mask without a branch: x >= 0, and (bits + 0x7fffffff) >>> 31 is 1 exactly when x != +0
  const xBits = new Int32Array(xv.buffer, xv.byteOffset, xv.length);
  for (let r = 0; r < R; r++) {
    const d0 = r * stride + offset;
    for (let t = 0; t < tOut; t++) {
      const m = r * tOut + t;
      const xi = m * C;
      if (t >= T) {
        g.fill(0, xi, xi + C); // chomped position: no gradient
        continue;
      }
      let ds = 0;
      for (let c = 0; c < C; c++) ds += dOut[d0 + c]! * xv[xi + c]!;
      const st = s[m]!;
      const du = ds * (1 - st * st);
      db[t]! += du;
      const wi = t * C;
      for (let c = 0; c < C; c++) {
        const x = xv[xi + c]!;
        dw[wi + c]! += du * x;
        g[xi + c] = (st * dOut[d0 + c]! + du * wPad[wi + c]!) * ((xBits[xi + c]! + 0x7fffffff) >>> 31);
      }
    }
  }
  return { g: tf.tensor2d(g, [M, C]), dWeight: Float32Array.from(dw), dBias: Float32Array.from(db) };
}

export interface QkvSaved {
  kind: 'softmax-qkv';
  R: number;
  T: number;
  C: number;
  x: Float32Array;
  y: Float32Array;
  attn: Float32Array;
  xbar: Float32Array;
  wq: HostMatrix;
  wk: HostMatrix;
  wv: HostMatrix;
  m: HostMatrix;
}

const columnMatrix = (w: Float32Array, rows: number, cols: number, from: number, width: number): HostMatrix => hostMatrix(columnBlock(w, rows, cols, from, width), rows, width);

/**
 * wqkv [C, 3C] host copy (W_q | W_k | W_v). Y [R*T, C] goes to `ws` under `${key}/qkv-y` (kept in the
 * saved values until the backward): a fresh array of that size per step (42 MB at N = 64, batch 256)
 * cost more in page faults than the copy itself, and grew faster than the rows (profiled: host matMul's
 * own time 7.8x from N = 27 to 64 for 2.4x the rows).
 */
export function qkvAttentionForward(x: Float32Array, R: number, T: number, C: number, wqkv: Float32Array, training: boolean, ws: Workspace, key: string): { out: Float32Array; saved?: QkvSaved } {
  const wq = columnMatrix(wqkv, C, 3 * C, 0, C);
  const wk = columnMatrix(wqkv, C, 3 * C, C, C);
  const wv = columnMatrix(wqkv, C, 3 * C, 2 * C, C);
  const m = matMul(wq, transposeMatrix(wk)); // [C, C] = W_q W_k^T
  const y = matMul(hostMatrix(x, R * T, C), m, undefined, ws.take(`${key}/qkv-y`, R * T * C)).data; // [R*T, C]
  const { attn, xbar } = attentionForwardRows(y, x, R, T, C, 1 / Math.sqrt(C));
  const out = matMul(hostMatrix(xbar, R, C), wv).data;
  return training ? { out, saved: { kind: 'softmax-qkv', R, T, C, x, y, attn, xbar, wq, wk, wv, m } } : { out };
}

/** dx [R*T, C] goes to `ws` under `${key}/qkv-dx` (valid until the next backward; as qkvAttentionForward's Y). */
export function qkvAttentionBackward(sv: QkvSaved, dOut: Float32Array, stride: number, offset: number, ws: Workspace, key: string): { dx: Float32Array; dWqkv: Float32Array } {
  const { R, T, C, x, y, attn, xbar, wq, wk, wv, m } = sv;
  const g = new Float32Array(R * C);
  for (let r = 0; r < R; r++) g.set(dOut.subarray(r * stride + offset, r * stride + offset + C), r * C);
  const gm = hostMatrix(g, R, C);
  const dWv = weightGradient(hostMatrix(xbar, R, C), gm); // [C, C]
  const dxbar = matMul(gm, transposeMatrix(wv)).data; // [R, C]
  const rows = attentionBackwardRows(y, x, attn, dxbar, R, T, C, 1 / Math.sqrt(C));
  const dYm = hostMatrix(rows.dy, R * T, C);
  const dx = matMul(dYm, transposeMatrix(m), undefined, ws.take(`${key}/qkv-dx`, R * T * C)).data;
  for (let i = 0; i < dx.length; i++) dx[i] = dx[i]! + rows.dx[i]!;
  const dM = weightGradient(hostMatrix(x, R * T, C), dYm); // [C, C] = X^T dY (rows.dy read in place when SIMD)
  const dWq = matMul(dM, wk).data;
  const dWk = matMul(hostMatrix(transpose(dM.data, C, C), C, C), wq).data;
  const dWqkv = new Float32Array(C * 3 * C);
  for (let r = 0; r < C; r++) {
    dWqkv.set(dWq.subarray(r * C, (r + 1) * C), r * 3 * C);
    dWqkv.set(dWk.subarray(r * C, (r + 1) * C), r * 3 * C + C);
    dWqkv.set(dWv.data.subarray(r * C, (r + 1) * C), r * 3 * C + 2 * C);
  }
  return { dx, dWqkv };
}

/**
 * Forward-only tanh-score attention (eval-forward.ts), written into a strided host matrix: row r of
 * the result goes to out[r*stride + offset ..+C] (the branch's columns of the fusion input).
 * y [R*T, C] is the conv output (heap view, positions < T only: nothing is chomped at inference, see
 * eval-input.ts) and p [R*T, T] = y W^T its product with the score weights, of which row r*T + t keeps
 * column t (u_rt = y_rt . w_t). Same arithmetic as tanhAttentionForward: scores rounded to float32,
 * the sum over t in float64 in the order t = 0..T-1.
 *
 * The weighted sum is weightedSum's (below): ~2.1 ms for [30720, 64] with the scores (scratch timing,
 * not kept), against ~5 ms
 * for the column-by-column accumulator array of tanhAttentionForward.
 */
export function tanhAttentionPredict(
  y: Float32Array,
  p: Float32Array,
  R: number,
  T: number,
  C: number,
  bias: Float32Array,
  out: Float32Array,
  stride: number,
  offset: number,
): void {
  const s = new Float64Array(T);
  for (let r = 0; r < R; r++) {
    const pBase = r * T * T;
    for (let t = 0; t < T; t++) s[t] = Math.fround(Math.tanh(p[pBase + t * T + t]! + bias[t]!));
    weightedSum(s, y, r * T * C, T, C, C, out, r * stride + offset);
  }
}
