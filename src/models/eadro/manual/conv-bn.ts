/**
 * Causal conv (as one matMul of the im2col taps) -> BatchNorm -> ReLU, forward and hand-written
 * backward. Same definition as layers/causal-conv.ts (causalConvBlock).
 *
 * Shapes: R rows (node-major windows x nodes), tOut conv positions per row (T, or T + (k-1)d when
 * BatchNorm sees the right-padded positions before the chomp), M = R * tOut, K = k*Cin taps, C filters.
 * The chomp is NOT done here: the output keeps all tOut positions, and the time attention (its only
 * reader) gives the dropped positions zero weight and zero gradient (time-attention.ts).
 *
 * Why it is written through the taps' moments (../shared/specs/fast-tfjs-wasm.md; every pass over an
 * [M, C] array costs ~10 ms at N=27 on the shared machine, a pass over the [M, K] taps a fraction):
 * with the centred taps X = cols - mu (mu their column means) and their covariance S = X^T X / M
 * (K x K, float64), the conv output z = cols W + b has batch mean mu W + b and variance diag(W^T S W),
 * so the forward is ONE fused matMul y = relu(X (W gamma rstd) + beta) with no [M, C] pass for the
 * statistics. Backward, with g = dy * [y > 0] and A = g^T [X | 1] ([C, K+1], one matMul):
 *   dbeta = sum g = A[:, K], dgamma = sum g xhat = rstd sum_k W_kc A_ck,
 *   dW = cols^T dz = gamma rstd (A[:, :K]^T - M rstd dgamma / M (S W))  (the mu terms cancel exactly),
 *   db = 0 (the conv bias cancels inside BatchNorm; autodiff gives rounding noise there).
 */
import * as tf from '@tensorflow/tfjs';
import { readValues } from '../layers/row-gather.js';
import { hostValues, transpose, weightGradient, type Workspace } from './host.js';
import type { ReplicaReducer } from '../parallel/reducer.js';

export interface ConvBnWeights {
  /** [K, C] as a tensor. */
  weight: tf.Tensor2D;
  /** [C] host copies. */
  bias: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
}

export interface ConvBnSaved {
  M: number;
  K: number;
  C: number;
  /** [M, C] the output (ReLU'd): its nonzero entries are the ReLU's mask. */
  y: tf.Tensor2D;
  /** [M, K+1] centred taps and a ones column. */
  centred: tf.Tensor2D;
  /** [K, K] covariance of the taps (float64), and [K, C] host weight. */
  cov: Float64Array;
  weight: Float32Array;
  rstd: Float64Array;
  key: string;
}

export interface ConvBnOutput {
  /** [M, C] = [R, tOut, C] after BatchNorm and ReLU (not chomped). Owned by the caller (in `keep`). */
  y: tf.Tensor2D;
  /** Training only: batch mean (bias included) and biased variance, [C], and the rows behind them (M). */
  batchMean?: Float32Array;
  batchVariance?: Float32Array;
  rows?: number;
  saved?: ConvBnSaved;
}

/** y = relu(x w + bias) in one tfjs op (XNNPACK GEMM with the bias and ReLU fused). */
function fusedAffineRelu(x: tf.Tensor2D, w: Float32Array, K: number, C: number, bias: Float32Array): tf.Tensor2D {
  return tf.tidy(() => tf.fused.matMul({ a: x, b: tf.tensor2d(w, [K, C]), bias: tf.tensor1d(bias), activation: 'relu' })) as tf.Tensor2D;
}

/**
 * BatchNorm in eval mode folded into the convolution: relu((cols W + b - mean) gamma / sqrt(var + eps) + beta)
 * = relu(cols (W a) + (b - mean) a + beta), a = gamma / sqrt(var + eps). W [K, C] host; returns W a [K, C]
 * and the shift [C].
 */
export function foldBatchNorm(
  weight: Float32Array, bias: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>,
  mean: ArrayLike<number>, variance: ArrayLike<number>, epsilon: number, K: number, C: number,
): { scaled: Float32Array; shift: Float32Array } {
  const scaled = new Float32Array(K * C);
  const shift = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const a = (gamma[c] as number) / Math.sqrt((variance[c] as number) + epsilon);
    for (let k = 0; k < K; k++) scaled[k * C + c] = (weight[k * C + c] as number) * a;
    shift[c] = ((bias[c] as number) - (mean[c] as number)) * a + (beta[c] as number);
  }
  return { scaled, shift };
}

/**
 * Forward. `running` (eval mode) gives the running mean and variance [C]; without it the batch
 * statistics are used and what the backward needs is kept. Tensors that outlive the call are pushed
 * to `keep` for the caller to dispose. With `reducer` (data-parallel training, ../parallel/), this
 * replica's rows are one part of the batch: the taps' sums and co-moments are summed across replicas
 * before normalising, so every replica normalises with the whole batch's statistics (the backward then
 * needs no reduction of its own: the conv's gradients are linear in A, and the caller sums them).
 */
export function convBnForward(
  cols: tf.Tensor2D,
  w: ConvBnWeights,
  epsilon: number,
  keep: tf.Tensor[],
  ws: Workspace,
  key: string,
  running?: { mean: Float32Array; variance: Float32Array },
  reducer?: ReplicaReducer,
): ConvBnOutput {
  const [M, K] = cols.shape;
  const C = w.weight.shape[1];
  const weight = hostValues(w.weight); // [K, C]
  const scaled = new Float32Array(K * C);
  const shift = new Float32Array(C);
  if (running !== undefined) {
    const folded = foldBatchNorm(weight, w.bias, w.gamma, w.beta, running.mean, running.variance, epsilon, K, C);
    const y = fusedAffineRelu(cols, folded.scaled, K, C, folded.shift);
    keep.push(y);
    return { y };
  }
  // Taps' means and covariance in float64 (two passes over the [M, K] taps), and the centred taps with
  // a ones column, [M, K+1], for the forward GEMM and the backward's A.
  const cv = readValues(cols);
  const mu = new Float64Array(K);
  for (let m = 0, o = 0; m < M; m++, o += K) for (let k = 0; k < K; k++) mu[k]! += cv[o + k]!;
  // Rows behind the statistics: this replica's, or the whole batch's across replicas.
  let rows = M;
  if (reducer !== undefined) {
    const local = new Float64Array(K + 1);
    local.set(mu);
    local[K] = M;
    const total = reducer.sum(local);
    mu.set(total.subarray(0, K));
    rows = total[K]!;
  }
  for (let k = 0; k < K; k++) mu[k] = mu[k]! / rows;
  const K1 = K + 1;
  const centredHost = ws.take(`${key}/centred`, M * K1);
  const cov = new Float64Array(K * K);
  const row = new Float64Array(K);
  for (let m = 0, o = 0, o1 = 0; m < M; m++, o += K, o1 += K1) {
    for (let k = 0; k < K; k++) {
      const v = cv[o + k]! - mu[k]!;
      row[k] = v;
      centredHost[o1 + k] = v;
    }
    centredHost[o1 + K] = 1;
    for (let k = 0; k < K; k++) {
      const rk = row[k]!;
      for (let j = 0; j <= k; j++) cov[k * K + j]! += rk * row[j]!;
    }
  }
  if (reducer !== undefined) cov.set(reducer.sum(cov)); // co-moments about the global mean: they add up
  for (let k = 0; k < K; k++) {
    for (let j = 0; j <= k; j++) {
      cov[k * K + j] = cov[k * K + j]! / rows;
      cov[j * K + k] = cov[k * K + j]!;
    }
  }
  const rstd = new Float64Array(C);
  const batchMean = new Float32Array(C);
  const batchVariance = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    let mean = 0;
    let variance = 0;
    for (let k = 0; k < K; k++) {
      const wk = weight[k * C + c]!;
      mean += mu[k]! * wk;
      let sw = 0;
      for (let j = 0; j < K; j++) sw += cov[k * K + j]! * weight[j * C + c]!;
      variance += wk * sw;
    }
    variance = Math.max(0, variance);
    rstd[c] = 1 / Math.sqrt(variance + epsilon);
    batchMean[c] = mean + w.bias[c]!;
    batchVariance[c] = variance;
    const a = w.gamma[c]! * rstd[c]!;
    for (let k = 0; k < K; k++) scaled[k * C + c] = weight[k * C + c]! * a;
    scaled[K * C + c] = 0; // the ones column does not enter the forward
    shift[c] = w.beta[c]!;
  }
  const centred = tf.tensor2d(centredHost, [M, K1]);
  // y = relu(X (W gamma rstd) + beta): the ones column of `centred` meets a zero row of weights
  const scaledAug = new Float32Array(K1 * C);
  scaledAug.set(scaled.subarray(0, K * C));
  const y = fusedAffineRelu(centred, scaledAug, K1, C, shift);
  keep.push(y, centred);
  return { y, batchMean, batchVariance, rows, saved: { M, K, C, y, centred, cov, weight, rstd, key } };
}

export interface ConvBnGradients {
  /** [K, C] */
  weight: Float32Array;
  bias: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
}

/**
 * The ReLU's backward on host arrays for dy [M, C] (zero at the chomped positions; overwritten):
 * g = dy * [y > 0], as a tensor. (The tanh attention's backward does this itself, in its own pass.)
 */
export function reluGradient(s: ConvBnSaved, dy: Float32Array): tf.Tensor2D {
  const yv = readValues(s.y);
  // y >= 0, and (bits + 0x7fffffff) >>> 31 is 1 exactly when y != +0 (no branch)
  const yBits = new Int32Array(yv.buffer, yv.byteOffset, yv.length);
  for (let i = 0; i < dy.length; i++) dy[i] = dy[i]! * ((yBits[i]! + 0x7fffffff) >>> 31);
  return tf.tensor2d(dy, [s.M, s.C]);
}

/** Backward given g = dy * [y > 0], [M, C]; formulas in the module comment. */
export function convBnBackward(s: ConvBnSaved, w: ConvBnWeights, g: tf.Tensor2D): ConvBnGradients {
  const { K, C, centred, cov, weight, rstd } = s;
  const K1 = K + 1;
  // A = g^T [X | 1], [C, K+1], as a transposed-A matMul (wasm-kernels.ts puts the long g on the left)
  const A = transpose(weightGradient(centred, g).data, K1, C);
  const dbeta = new Float32Array(C);
  const dgamma = new Float32Array(C);
  const dW = new Float32Array(K * C);
  for (let c = 0; c < C; c++) {
    dbeta[c] = A[c * K1 + K]!;
    let sgx = 0; // sum_m g (z - mean0) = sum_k W_kc A_ck
    for (let k = 0; k < K; k++) sgx += weight[k * C + c]! * A[c * K1 + k]!;
    const dg = rstd[c]! * sgx;
    dgamma[c] = dg;
    const a1 = w.gamma[c]! * rstd[c]!;
    for (let k = 0; k < K; k++) {
      let sw = 0; // (S W)_kc
      for (let j = 0; j < K; j++) sw += cov[k * K + j]! * weight[j * C + c]!;
      dW[k * C + c] = a1 * (A[c * K1 + k]! - rstd[c]! * dg * sw);
    }
  }
  return { weight: dW, bias: new Float32Array(C), gamma: dgamma, beta: dbeta };
}
