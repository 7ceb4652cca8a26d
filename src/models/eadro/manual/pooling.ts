/**
 * Global attention pooling (DGL GlobalAttentionPooling with a Linear(D, 1) gate), forward and backward
 * on host arrays: p_r = x_r . w + b, gate = softmax of p over the N nodes of each window,
 * out_b = sum_n gate_nb x_nb. Rows node-major (row n*B + b). x [N*B, D] -> [B, D].
 * Backward: dgate_nb = dout_b . x_nb, dp = gate (dgate - sum_n gate dgate), dx_nb = gate dout_b + dp w,
 * dw = sum_r dp_r x_r, db = sum_r dp_r.
 */
import { softmaxInPlace, weightedSum, type Workspace } from './host.js';

export interface PoolSaved {
  N: number;
  B: number;
  D: number;
  x: Float32Array;
  /** [N*B] */
  gate: Float64Array;
}

/** w [D] and b [1] host copies. */
export function poolForward(x: Float32Array, N: number, B: number, D: number, w: Float32Array, bias: number, training: boolean): { out: Float32Array; saved?: PoolSaved } {
  const R = N * B;
  const gate = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    let p = bias;
    const xi = r * D;
    for (let d = 0; d < D; d++) p += x[xi + d]! * w[d]!;
    gate[r] = Math.fround(p);
  }
  const out = new Float32Array(B * D);
  const acc = new Float64Array(D);
  const column = new Float64Array(N); // window b's gate logits over the nodes
  for (let b = 0; b < B; b++) {
    for (let n = 0; n < N; n++) column[n] = gate[n * B + b]!;
    softmaxInPlace(column, 0, N);
    acc.fill(0);
    for (let n = 0; n < N; n++) {
      const g = column[n]!;
      gate[n * B + b] = g;
      const xi = (n * B + b) * D;
      for (let d = 0; d < D; d++) acc[d]! += g * x[xi + d]!;
    }
    for (let d = 0; d < D; d++) out[b * D + d] = acc[d]!;
  }
  return training ? { out, saved: { N, B, D, x, gate } } : { out };
}

export function poolBackward(s: PoolSaved, w: Float32Array, dOut: Float32Array, ws: Workspace): { dx: Float32Array; dw: Float32Array; db: number } {
  const { N, B, D, x, gate } = s;
  const dx = ws.take('pool/dx', N * B * D);
  const dw = new Float64Array(D);
  let db = 0;
  const dgate = new Float64Array(N);
  for (let b = 0; b < B; b++) {
    const gi = b * D;
    let rho = 0;
    for (let n = 0; n < N; n++) {
      const xi = (n * B + b) * D;
      let acc = 0;
      for (let d = 0; d < D; d++) acc += dOut[gi + d]! * x[xi + d]!;
      dgate[n] = acc;
      rho += gate[n * B + b]! * acc;
    }
    for (let n = 0; n < N; n++) {
      const r = n * B + b;
      const g = gate[r]!;
      const dp = g * (dgate[n]! - rho);
      db += dp;
      const xi = r * D;
      for (let d = 0; d < D; d++) {
        dx[xi + d] = g * dOut[gi + d]! + dp * w[d]!;
        dw[d]! += dp * x[xi + d]!;
      }
    }
  }
  return { dx, dw: Float32Array.from(dw), db };
}

/**
 * Forward only (eval-forward.ts): the same pooling into `out` [B, D] without the saved gate, the
 * gate logits as four partial sums (one running sum waits on every add) and the weighted sum over
 * nodes in blocks of 8 columns with the sums in locals (one store per output; ~2x faster here).
 * Gate softmax in float64 as poolForward.
 */
export function poolPredict(x: Float32Array, N: number, B: number, D: number, w: Float32Array, bias: number, out: Float32Array): void {
  const R = N * B;
  const gate = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    const xi = r * D;
    let p0 = 0, p1 = 0, p2 = 0, p3 = 0;
    let d = 0;
    for (; d + 3 < D; d += 4) {
      p0 += x[xi + d]! * w[d]!;
      p1 += x[xi + d + 1]! * w[d + 1]!;
      p2 += x[xi + d + 2]! * w[d + 2]!;
      p3 += x[xi + d + 3]! * w[d + 3]!;
    }
    for (; d < D; d++) p0 += x[xi + d]! * w[d]!;
    gate[r] = Math.fround(bias + (p0 + p1 + p2 + p3));
  }
  const g = new Float64Array(N);
  for (let b = 0; b < B; b++) {
    for (let n = 0; n < N; n++) g[n] = gate[n * B + b]!;
    softmaxInPlace(g, 0, N);
    weightedSum(g, x, b * D, N, D, B * D, out, b * D); // node n's row of window b is (n*B + b)*D
  }
}
