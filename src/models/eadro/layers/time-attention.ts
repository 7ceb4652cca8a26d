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
import { simdAttentionBackwardRows, simdRowsAvailable, simdSoftmaxMeanRows } from './simd/rows-simd.js';
import { simdSettings } from './simd/module.js';
import { softmaxGradientOfRow, softmaxMeanOfRow } from './attention-row.js';

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
 * Scores S[t*T + u] = Y_t . X_u of one row (y, x from `base`, [T, C] each), as register blocks: four
 * t against two u (eight running sums, six loads per eight products), then the t left over one at a
 * time against four u. Why: V8 keeps the sums in registers but does not vectorise, so loads and the
 * add latency of a single running sum set the pace: measured once (scratch timing, not kept) 8.6 ms for the 4 x 2 blocks of
 * [3072 rows, T = 8 of 10, C = 64] against 11.9 ms for 4 x 1 and ~2x that for one dot at a time.
 */
function rowScores(y: Float32Array, x: Float32Array, base: number, T: number, C: number, S: Float64Array): void {
  let t = 0;
  for (; t + 3 < T; t += 4) {
    const y0 = base + t * C;
    const y1 = y0 + C;
    const y2 = y1 + C;
    const y3 = y2 + C;
    let u = 0;
    for (; u + 1 < T; u += 2) {
      const xu = base + u * C;
      const xw = xu + C;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      for (let c = 0; c < C; c++) {
        const xv = x[xu + c]!;
        const wv = x[xw + c]!;
        const v0 = y[y0 + c]!;
        const v1 = y[y1 + c]!;
        const v2 = y[y2 + c]!;
        const v3 = y[y3 + c]!;
        a0 += v0 * xv;
        a1 += v1 * xv;
        a2 += v2 * xv;
        a3 += v3 * xv;
        b0 += v0 * wv;
        b1 += v1 * wv;
        b2 += v2 * wv;
        b3 += v3 * wv;
      }
      S[t * T + u] = a0;
      S[(t + 1) * T + u] = a1;
      S[(t + 2) * T + u] = a2;
      S[(t + 3) * T + u] = a3;
      S[t * T + u + 1] = b0;
      S[(t + 1) * T + u + 1] = b1;
      S[(t + 2) * T + u + 1] = b2;
      S[(t + 3) * T + u + 1] = b3;
    }
    for (; u < T; u++) {
      const xu = base + u * C;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let c = 0; c < C; c++) {
        const xv = x[xu + c]!;
        a0 += y[y0 + c]! * xv;
        a1 += y[y1 + c]! * xv;
        a2 += y[y2 + c]! * xv;
        a3 += y[y3 + c]! * xv;
      }
      S[t * T + u] = a0;
      S[(t + 1) * T + u] = a1;
      S[(t + 2) * T + u] = a2;
      S[(t + 3) * T + u] = a3;
    }
  }
  for (; t < T; t++) {
    const y0 = base + t * C;
    let u = 0;
    for (; u + 3 < T; u += 4) {
      const x0 = base + u * C;
      const x1 = x0 + C;
      const x2 = x1 + C;
      const x3 = x2 + C;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let c = 0; c < C; c++) {
        const v = y[y0 + c]!;
        a0 += v * x[x0 + c]!;
        a1 += v * x[x1 + c]!;
        a2 += v * x[x2 + c]!;
        a3 += v * x[x3 + c]!;
      }
      S[t * T + u] = a0;
      S[t * T + u + 1] = a1;
      S[t * T + u + 2] = a2;
      S[t * T + u + 3] = a3;
    }
    for (; u < T; u++) {
      const x0 = base + u * C;
      let a0 = 0, a1 = 0;
      let c = 0;
      for (; c + 1 < C; c += 2) {
        a0 += y[y0 + c]! * x[x0 + c]!;
        a1 += y[y0 + c + 1]! * x[x0 + c + 1]!;
      }
      for (; c < C; c++) a0 += y[y0 + c]! * x[x0 + c]!;
      S[t * T + u] = a0 + a1;
    }
  }
}

/**
 * out_t = sum_u W[t*T + u] m_u for the T rows of one row block (m and out [T, C] from `base`; W [T, T]
 * float64): four output rows at a time, so that each loaded m value feeds four running sums (five
 * loads per four products; one row at a time, weightedRows, takes two per product). The sums are
 * float64, as in weightedRows.
 */
function mixRows(W: Float64Array, m: Float32Array, base: number, T: number, C: number, out: Float32Array): void {
  let t = 0;
  for (; t + 3 < T; t += 4) {
    const w0 = t * T;
    const w1 = w0 + T;
    const w2 = w1 + T;
    const w3 = w2 + T;
    const o0 = base + t * C;
    for (let c = 0; c < C; c++) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let u = 0, k = base + c; u < T; u++, k += C) {
        const v = m[k]!;
        a0 += W[w0 + u]! * v;
        a1 += W[w1 + u]! * v;
        a2 += W[w2 + u]! * v;
        a3 += W[w3 + u]! * v;
      }
      out[o0 + c] = a0;
      out[o0 + C + c] = a1;
      out[o0 + 2 * C + c] = a2;
      out[o0 + 3 * C + c] = a3;
    }
  }
  for (; t < T; t++) weightedRows(W, t * T, m, base, T, C, out, base + t * C);
}

/**
 * Per row r: S_tu = scale * Y_t . X_u, A_t = softmax_u(S_t), abar_u = mean_t A_tu, xbar = sum_u abar_u X_u.
 * y, x: [R, T, C] flat. Writes xbar [R, C], and A [R, T, T] into `attn` when given (the backward reads
 * it; inference, manual/eval-forward.ts, passes null). Scores in register blocks (rowScores); softmax
 * and abar in float64. (The T x T products as one batched tfjs matMul, [R, T, C] x [R, C, T], measured
 * slower than these loops in a one-off scratch timing.) Runs in WebAssembly SIMD (simd/rows-simd.ts)
 * where it can (simd/module.ts simdSettings.attentionRows), else in JavaScript (softmaxMeanRowsScalar).
 */
export function softmaxMeanRows(y: Float32Array, x: Float32Array, R: number, T: number, C: number, scale: number, xbar: Float32Array, attn: Float32Array | null): void {
  if (simdSettings.attentionRows && simdRowsAvailable(C)) simdSoftmaxMeanRows(y, x, R, T, C, scale, xbar, attn);
  else softmaxMeanRowsScalar(y, x, R, T, C, scale, xbar, attn);
}

/** softmaxMeanRows in JavaScript: products in register blocks (rowScores), sums in float64. */
export function softmaxMeanRowsScalar(y: Float32Array, x: Float32Array, R: number, T: number, C: number, scale: number, xbar: Float32Array, attn: Float32Array | null): void {
  const S = new Float64Array(T * T); // [t, u] scores of one row
  const abar = new Float64Array(T);
  for (let r = 0; r < R; r++) {
    const base = r * T * C;
    rowScores(y, x, base, T, C, S);
    softmaxMeanOfRow(S, T, scale, attn, r * T * T, abar);
    weightedRows(abar, 0, x, base, T, C, xbar, r * C);
  }
}

/** softmaxMeanRows keeping the attention: A [R, T, T] and xbar [R, C]. */
export function attentionForwardRows(y: Float32Array, x: Float32Array, R: number, T: number, C: number, scale: number): { attn: Float32Array; xbar: Float32Array } {
  const attn = new Float32Array(R * T * T);
  const xbar = new Float32Array(R * C);
  softmaxMeanRows(y, x, R, T, C, scale, xbar, attn);
  return { attn, xbar };
}

/**
 * The backward of the rows (attentionBackwardRows, its JavaScript and SIMD implementations): y, x
 * [R, T, C], the attention A [R, T, T] and dxbar [R, C] in; dx, dy [R, T, C] out.
 */
export type AttentionBackwardRows = (
  y: Float32Array,
  x: Float32Array,
  attn: Float32Array,
  dxbar: Float32Array,
  R: number,
  T: number,
  C: number,
  scale: number,
) => { dx: Float32Array; dy: Float32Array };

/**
 * Backward of attentionForwardRows given dxbar [R, C]: dX (the direct part: through xbar and through
 * S's X_u factor) and dY, both [R, T, C] flat. With abar_u = mean_t A_tu:
 *   dabar_u = dxbar . X_u;  dS_tu = A_tu (dabar_u - sum_w A_tw dabar_w) / T;
 *   dY_t = scale sum_u dS_tu X_u;  dX_u = abar_u dxbar + scale sum_t dS_tu Y_t.
 * In WebAssembly SIMD where it can (as softmaxMeanRows), when dx and dy are views of that module's
 * memory, valid until the next call of either function: copy what must be kept.
 */
export const attentionBackwardRows: AttentionBackwardRows = (y, x, attn, dxbar, R, T, C, scale) => {
  if (simdSettings.attentionRows && simdRowsAvailable(C)) return simdAttentionBackwardRows(y, x, attn, dxbar, R, T, C, scale);
  return attentionBackwardRowsScalar(y, x, attn, dxbar, R, T, C, scale);
};

/** attentionBackwardRows in JavaScript (fresh arrays), sums in float64. */
export function attentionBackwardRowsScalar(...[y, x, attn, dxbar, R, T, C, scale]: Parameters<AttentionBackwardRows>): ReturnType<AttentionBackwardRows> {
  const dx = new Float32Array(R * T * C);
  const dy = new Float32Array(R * T * C);
  const abar = new Float64Array(T);
  const dabar = new Float64Array(T);
  const ds = new Float64Array(T * T);
  const dsT = new Float64Array(T * T);
  for (let r = 0; r < R; r++) {
    const base = r * T * C;
    const a0 = r * T * T;
    const g0 = r * C;
    for (let u = 0; u < T; u++) dabar[u] = dot(dxbar, g0, x, base + u * C, C);
    softmaxGradientOfRow(attn, a0, dabar, T, scale, ds, abar);
    // dY_t = sum_u dS_tu X_u (row t of dS against the T rows of X)
    mixRows(ds, x, base, T, C, dy);
    // dX_u = abar_u dxbar + sum_t dS_tu Y_t (row u of dS^T against the T rows of Y)
    for (let t = 0; t < T; t++) for (let u = 0; u < T; u++) dsT[u * T + t] = ds[t * T + u]!;
    mixRows(dsT, y, base, T, C, dx);
    for (let u = 0; u < T; u++) {
      const w0 = abar[u]!;
      const o = base + u * C;
      for (let c = 0; c < C; c++) dx[o + c] = dx[o + c]! + w0 * dxbar[g0 + c]!;
    }
  }
  return { dx, dy };
}

type Grad = Parameters<typeof tf.customGrad>[0];

/**
 * Whether the softmax-QKV attention rows of a model run in WebAssembly SIMD, for the record (run info):
 * null for the tanh-score attention; false where the plain formula runs (autodiff step without the
 * fused op) or a branch's width is not a multiple of 4 or the runtime lacks SIMD.
 */
export function simdTimeAttentionUsed(config: { timeAttention: string; kpiFilters: number; traceFilters: number }, step: 'manual' | 'autodiff'): boolean | null {
  if (config.timeAttention !== 'softmax-qkv') return null;
  if (step === 'autodiff' && !timeAttentionSettings.fusedSoftmaxQkv) return false;
  return simdSettings.attentionRows && simdRowsAvailable(config.kpiFilters) && simdRowsAvailable(config.traceFilters);
}

/**
 * Which implementation the model uses; only the speed differs (equal up to float32 rounding, tested).
 * Benchmarks and tests switch them to compare.
 */
export const timeAttentionSettings = {
  // ours: the fused op (module comment) instead of the plain formula
  fusedSoftmaxQkv: true,
};

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
