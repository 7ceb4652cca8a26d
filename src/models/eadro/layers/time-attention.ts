/**
 * Attention over the T time steps of a conv output, turning [R, T, C] into one vector [R, C] per row.
 *
 * - `tanh-score` (reference model.py SelfAttention): score_t = tanh(x_t . w_t + b_t) with a separate
 *   weight vector per time step, output sum_t score_t x_t. Not a softmax: scores are in (-1, 1).
 * - `softmax-qkv` (paper Eq. 2): softmax(Q K^T / sqrt(d)) V with Q, K, V linear maps of x, d = C; the
 *   paper does not say how the T outputs become one vector: we take their mean (ours).
 *
 * The softmax-qkv block runs as one op with a hand-written backward (`softmaxQkvAttention`); the plain
 * tfjs formula is kept (`softmaxQkvAttentionPlain`) as the definition the tests compare against. Why:
 * with T = 10 the plain formula is thousands of tiny batched matMuls ([R, 10, 64] x [R, 64, 10]) that
 * tfjs-wasm runs ~10x below its large-matMul speed, and autodiff adds four more of them plus transposes
 * (profiled at N = 27, B = 256: ~1.3 s of a 4.5 s training step). The op uses two identities:
 *   S_tu = (x_t W_q) . (x_u W_k) = (x_t M) . x_u          with M = W_q W_k^T   [C, C]
 *   mean_t (A V)_t = abar^T X W_v = xbar W_v              with abar_u = mean_t A_tu, xbar = abar^T X
 * so the large matMuls are X M ([R*T, C] x [C, C]) and xbar W_v ([R, C] x [C, C]) instead of
 * X W_qkv ([R*T, C] x [C, 3C]), and the per-row T x T work (scores, softmax, their gradients) is a
 * loop over plain arrays with float64 accumulation. Equal to the plain formula up to float32 rounding.
 */
import * as tf from '@tensorflow/tfjs';
import { meanAxis, sumAxis } from './reduce.js';
import { readValues } from './row-gather.js';

export interface TanhScoreParams {
  /** [T, C] per-time-step scoring weights. */
  weight: tf.Tensor2D;
  /** [T] per-time-step bias. */
  bias: tf.Tensor1D;
}

export interface QkvParams {
  /** [C, 3C]: W_q, W_k, W_v side by side (no bias, ours). */
  wqkv: tf.Tensor2D;
}

export function tanhScoreAttention(x: tf.Tensor3D, p: TanhScoreParams): tf.Tensor2D {
  const score = tf.tanh(tf.add(sumAxis(tf.mul(x, p.weight), 2), p.bias)); // [R, T]
  return sumAxis(tf.mul(x, tf.expandDims(score, 2)), 1) as tf.Tensor2D; // [R, C]
}

/** Paper Eq. 2 with the mean over time steps, as plain tfjs ops (autodiff). The definition. */
export function softmaxQkvAttentionPlain(x: tf.Tensor3D, p: QkvParams): tf.Tensor2D {
  const [R, T, C] = x.shape;
  const qkv = tf.matMul(x.reshape([R * T, C]), p.wqkv); // [R*T, 3C]
  const q = tf.slice(qkv, [0, 0], [R * T, C]).reshape([R, T, C]) as tf.Tensor3D;
  const k = tf.slice(qkv, [0, C], [R * T, C]).reshape([R, T, C]) as tf.Tensor3D;
  const v = tf.slice(qkv, [0, 2 * C], [R * T, C]).reshape([R, T, C]) as tf.Tensor3D;
  const scores = tf.mul(tf.matMul(q, tf.transpose(k, [0, 2, 1])), 1 / Math.sqrt(C)); // [R, T, T]
  const attn = tf.softmax(scores, -1);
  return meanAxis(tf.matMul(attn, v), 1) as tf.Tensor2D; // [R, C]
}


/** a[a0 .. a0+C) . b[b0 .. b0+C), four partial sums (float64). */
function dot(a: Float32Array, a0: number, b: Float32Array, b0: number, C: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let c = 0;
  for (; c + 3 < C; c += 4) {
    s0 += a[a0 + c]! * b[b0 + c]!;
    s1 += a[a0 + c + 1]! * b[b0 + c + 1]!;
    s2 += a[a0 + c + 2]! * b[b0 + c + 2]!;
    s3 += a[a0 + c + 3]! * b[b0 + c + 3]!;
  }
  for (; c < C; c++) s0 += a[a0 + c]! * b[b0 + c]!;
  return s0 + s1 + s2 + s3;
}

/** out[o0 + c] = sum_{u < T} w[w0 + u] * m[m0 + u*C + c] for c < C (float64 sums, one per column). */
function weightedRows(w: Float64Array, w0: number, m: Float32Array, m0: number, T: number, C: number, out: Float32Array, o0: number): void {
  for (let c = 0; c < C; c++) {
    let acc = 0;
    for (let u = 0, k = m0 + c; u < T; u++, k += C) acc += w[w0 + u]! * m[k]!;
    out[o0 + c] = acc;
  }
}

/**
 * Per row r: S_tu = scale * Y_t . X_u, A_t = softmax_u(S_t), abar_u = mean_t A_tu, xbar = sum_u abar_u X_u.
 * y, x: [R, T, C] flat. Returns A [R, T, T] and xbar [R, C].
 */
export function attentionForwardRows(y: Float32Array, x: Float32Array, R: number, T: number, C: number, scale: number): { attn: Float32Array; xbar: Float32Array } {
  const attn = new Float32Array(R * T * T);
  const xbar = new Float32Array(R * C);
  const s = new Float64Array(T);
  const abar = new Float64Array(T);
  for (let r = 0; r < R; r++) {
    const base = r * T * C;
    abar.fill(0);
    for (let t = 0; t < T; t++) {
      const yt = base + t * C;
      let max = -Infinity;
      for (let u = 0; u < T; u++) {
        const xu = base + u * C;
        const v = dot(y, yt, x, xu, C) * scale;
        s[u] = v;
        if (v > max) max = v;
      }
      let sum = 0;
      for (let u = 0; u < T; u++) {
        const e = Math.exp(s[u]! - max);
        s[u] = e;
        sum += e;
      }
      const a0 = (r * T + t) * T;
      for (let u = 0; u < T; u++) {
        const a = s[u]! / sum;
        attn[a0 + u] = a;
        abar[u]! += a;
      }
    }
    for (let u = 0; u < T; u++) abar[u] = abar[u]! / T;
    weightedRows(abar, 0, x, base, T, C, xbar, r * C);
  }
  return { attn, xbar };
}

/**
 * Backward of attentionForwardRows given dxbar [R, C]: dX (the direct part: through xbar and through
 * S's X_u factor) and dY, both [R, T, C] flat. With abar_u = mean_t A_tu:
 *   dabar_u = dxbar . X_u;  dS_tu = A_tu (dabar_u - sum_w A_tw dabar_w) / T;
 *   dY_t = scale sum_u dS_tu X_u;  dX_u = abar_u dxbar + scale sum_t dS_tu Y_t.
 */
export function attentionBackwardRows(
  y: Float32Array,
  x: Float32Array,
  attn: Float32Array,
  dxbar: Float32Array,
  R: number,
  T: number,
  C: number,
  scale: number,
): { dx: Float32Array; dy: Float32Array } {
  const dx = new Float32Array(R * T * C);
  const dy = new Float32Array(R * T * C);
  const abar = new Float64Array(T);
  const dabar = new Float64Array(T);
  const ds = new Float64Array(T * T);
  const col = new Float64Array(T);
  for (let r = 0; r < R; r++) {
    const base = r * T * C;
    const a0 = r * T * T;
    const g0 = r * C;
    abar.fill(0);
    for (let t = 0; t < T; t++) for (let u = 0; u < T; u++) abar[u]! += attn[a0 + t * T + u]!;
    for (let u = 0; u < T; u++) dabar[u] = dot(dxbar, g0, x, base + u * C, C);
    for (let t = 0; t < T; t++) {
      let rho = 0;
      for (let w = 0; w < T; w++) rho += attn[a0 + t * T + w]! * dabar[w]!;
      for (let u = 0; u < T; u++) ds[t * T + u] = (attn[a0 + t * T + u]! * (dabar[u]! - rho) * scale) / T;
    }
    // dY_t = sum_u dS_tu X_u (row t of dS against the T rows of X)
    for (let t = 0; t < T; t++) weightedRows(ds, t * T, x, base, T, C, dy, base + t * C);
    // dX_u = abar_u dxbar + sum_t dS_tu Y_t (column u of dS against the T rows of Y)
    for (let u = 0; u < T; u++) {
      for (let t = 0; t < T; t++) col[t] = ds[t * T + u]!;
      weightedRows(col, 0, y, base, T, C, dx, base + u * C);
      const w0 = abar[u]! / T;
      const o = base + u * C;
      for (let c = 0; c < C; c++) dx[o + c] = dx[o + c]! + w0 * dxbar[g0 + c]!;
    }
  }
  return { dx, dy };
}

type Grad = Parameters<typeof tf.customGrad>[0];

/**
 * Which implementation the model uses (ours: the fused op; benchmarks and tests switch to the plain
 * formula to compare). Only the speed differs.
 */
export const timeAttentionSettings = { fusedSoftmaxQkv: true };

/**
 * Paper Eq. 2 with the mean over time steps: x [R, T, C] -> [R, C]. Same values and gradients as
 * softmaxQkvAttentionPlain (tested), computed as described in the module comment.
 */
export function softmaxQkvAttention(x: tf.Tensor3D, p: QkvParams): tf.Tensor2D {
  const [R, T, C] = x.shape;
  const scale = 1 / Math.sqrt(C);
  const op = tf.customGrad(((xIn: tf.Tensor3D, wqkv: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const wq = tf.slice(wqkv, [0, 0], [C, C]);
    const wk = tf.slice(wqkv, [0, C], [C, C]);
    const wv = tf.slice(wqkv, [0, 2 * C], [C, C]);
    const m = tf.matMul(wq, tf.transpose(wk)); // [C, C] = W_q W_k^T
    const x2 = xIn.reshape([R * T, C]);
    const y2 = tf.matMul(x2, m); // [R*T, C]
    const { attn, xbar } = attentionForwardRows(readValues(y2), readValues(x2), R, T, C, scale);
    const attnT = tf.tensor3d(attn, [R, T, T]);
    const xbarT = tf.tensor2d(xbar, [R, C]);
    const out = tf.matMul(xbarT, wv); // [R, C]
    save([x2, y2, attnT, xbarT, wq, wk, wv, m]);
    return {
      value: out,
      gradFunc: (dOut: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sy, sa, sxbar, swq, swk, swv, sm] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const g = dOut as tf.Tensor2D;
        const dWv = tf.matMul(tf.transpose(sxbar), g); // [C, C]
        const dxbar = tf.matMul(g, tf.transpose(swv)); // [R, C]
        const rows = attentionBackwardRows(readValues(sy), readValues(sx), readValues(sa), readValues(dxbar), R, T, C, scale);
        const dxDirect = tf.tensor2d(rows.dx, [R * T, C]);
        const dY = tf.tensor2d(rows.dy, [R * T, C]);
        const dX = tf.add(dxDirect, tf.matMul(dY, tf.transpose(sm))).reshape([R, T, C]);
        const dM = tf.matMul(tf.transpose(sx), dY); // [C, C]
        const dWq = tf.matMul(dM, swk);
        const dWk = tf.matMul(tf.transpose(dM), swq);
        return [dX, tf.concat([dWq, dWk, dWv], 1)];
      },
    };
  }) as unknown as Grad);
  return op(x, p.wqkv) as tf.Tensor2D;
}
