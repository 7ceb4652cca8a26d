/**
 * Dilated causal 1-D convolution + BatchNorm + ReLU (+ chomp), written with ops that train on every
 * tfjs backend: wasm has no Conv2DBackpropFilter, no backend has dilated-conv gradients, and conv1d
 * has no 'causal' padding (../shared/specs/tooling-notes.md §2). So: pad the time axis on the left by
 * (k-1)*d, take one slice per kernel tap, concatenate the taps on the channel axis and do ONE matMul
 * with the [k*Cin, C] weight (taps fused).
 *
 * `batchNormBeforeChomp` reproduces the reference order Conv1d(padding both sides) -> BN -> ReLU ->
 * Chomp: the conv is also evaluated at the (k-1)*d right-padded positions, BatchNorm statistics include
 * them, and the chomp drops them afterwards.
 */
import * as tf from '@tensorflow/tfjs';

export interface ConvParams {
  /** [k * Cin, C]; row j*Cin + c is PyTorch's weight[o, c, j] (tap j looks back (k-1-j)*d steps). */
  weight: tf.Tensor2D;
  bias: tf.Tensor1D;
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
}

export interface BatchNormState {
  /** [C] running mean and (unbiased) running variance, used at inference. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

export interface ConvOptions {
  kernelSize: number;
  dilation: number;
  batchNormBeforeChomp: boolean;
  epsilon: number;
}

export interface ConvOutput {
  /** [R, T, C] */
  y: tf.Tensor3D;
  /** Batch statistics (training only): [C] mean and biased variance, and the row count behind them. */
  batchMean?: tf.Tensor1D;
  batchVariance?: tf.Tensor1D;
  rows?: number;
}

/** The im2col input of the causal conv: [R * Tout, k * Cin], Tout = T (+ (k-1)*d before the chomp). */
export function causalTaps(x: tf.Tensor3D, opts: ConvOptions): { cols: tf.Tensor2D; tOut: number } {
  const [R, T, Cin] = x.shape;
  const pad = (opts.kernelSize - 1) * opts.dilation;
  const rightPad = opts.batchNormBeforeChomp ? pad : 0;
  const tOut = T + rightPad;
  if (pad === 0) return { cols: x.reshape([R * T, Cin]), tOut: T };
  const xp = tf.pad(x, [
    [0, 0],
    [pad, rightPad],
    [0, 0],
  ]);
  const taps: tf.Tensor3D[] = [];
  for (let j = 0; j < opts.kernelSize; j++) taps.push(tf.slice(xp, [0, j * opts.dilation, 0], [R, tOut, Cin]));
  const cols = (taps.length === 1 ? taps[0]! : tf.concat(taps, 2)).reshape([R * tOut, opts.kernelSize * Cin]);
  return { cols: cols as tf.Tensor2D, tOut };
}

/**
 * The same im2col built on the host from a plain array (the conv input is data, so no gradient is
 * needed): x [R, T, Cin] row-major -> [R * tOut, k * Cin]. Saves the pad, k slices and the concat.
 */
export function causalTapsHost(x: Float32Array, R: number, T: number, Cin: number, opts: ConvOptions): { cols: Float32Array; tOut: number } {
  const k = opts.kernelSize;
  const d = opts.dilation;
  const pad = (k - 1) * d;
  const tOut = T + (opts.batchNormBeforeChomp ? pad : 0);
  const width = k * Cin;
  const cols = new Float32Array(R * tOut * width);
  for (let r = 0; r < R; r++) {
    for (let t = 0; t < tOut; t++) {
      const rowBase = (r * tOut + t) * width;
      for (let j = 0; j < k; j++) {
        const src = t + j * d - pad; // time step this tap reads; outside [0, T) is zero padding
        if (src < 0 || src >= T) continue;
        const from = (r * T + src) * Cin;
        for (let c = 0; c < Cin; c++) cols[rowBase + j * Cin + c] = x[from + c]!;
      }
    }
  }
  return { cols, tOut };
}

/**
 * Conv -> BN -> ReLU -> chomp. x: [R, T, Cin] (R = windows x nodes). `precomputed` is the im2col of x
 * from causalTapsHost, when the caller has it.
 */
export function causalConvBlock(
  x: tf.Tensor3D,
  p: ConvParams,
  state: BatchNormState,
  opts: ConvOptions,
  training: boolean,
  precomputed?: { cols: tf.Tensor2D; tOut: number },
): ConvOutput {
  const [R, T] = x.shape;
  const C = p.weight.shape[1];
  const { cols, tOut } = precomputed ?? causalTaps(x, opts);
  const out: ConvOutput = { y: null as unknown as tf.Tensor3D };
  let act2d: tf.Tensor2D;
  if (training) {
    const stats: { mean?: tf.Tensor1D; variance?: tf.Tensor1D } = {};
    act2d = convBnReluTrainOp(cols, opts.epsilon, stats)(p.weight, p.bias, p.gamma, p.beta) as tf.Tensor2D;
    out.batchMean = stats.mean!;
    out.batchVariance = stats.variance!;
    out.rows = R * tOut;
  } else {
    const z = tf.add(tf.matMul(cols, p.weight), p.bias);
    const normed = tf.mul(tf.sub(z, state.mean), tf.rsqrt(tf.add(state.variance, opts.epsilon)));
    act2d = tf.relu(tf.add(tf.mul(normed, p.gamma), p.beta)) as tf.Tensor2D;
  }
  const act = act2d.reshape([R, tOut, C]) as tf.Tensor3D;
  out.y = tOut === T ? act : (tf.slice(act, [0, 0, 0], [R, T, C]) as tf.Tensor3D);
  return out;
}

/**
 * Conv (as a matMul of the taps) -> BatchNorm (batch statistics) -> ReLU, with a hand-written backward:
 * with g = dy * [y > 0], the BatchNorm gradient is dz = gamma * rstd * (g - mean(g) - xhat * mean(g * xhat))
 * (column means over the M = rows x time positions), dgamma = sum(g * xhat), dbeta = sum(g), and the
 * conv's dW = cols^T dz, db = sum(dz). About a third of the passes over [M, C] that autodiff makes.
 * No gradient flows to `cols` (it is the data). The batch statistics are handed out through `stats`.
 */
function convBnReluTrainOp(cols: tf.Tensor2D, epsilon: number, stats: { mean?: tf.Tensor1D; variance?: tf.Tensor1D }) {
  const M = cols.shape[0];
  const f = (weight: tf.Tensor, bias: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, save: tf.GradSaveFunc) => {
    const z = tf.add(tf.matMul(cols, weight as tf.Tensor2D), bias);
    const { mean, variance } = tf.moments(z, 0);
    const rstd = tf.rsqrt(tf.add(variance, epsilon));
    const xhat = tf.mul(tf.sub(z, mean), rstd);
    const y = tf.relu(tf.add(tf.mul(xhat, gamma), beta));
    stats.mean = tf.keep(mean as tf.Tensor1D);
    stats.variance = tf.keep(variance as tf.Tensor1D);
    save([xhat, y, rstd, gamma, cols]); // cols: the closure's tensor would be freed after the forward
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sy, srstd, sgamma, scols] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Tensor2D];
        const g = tf.mul(dy, tf.step(sy));
        const dbeta = tf.sum(g, 0);
        const dgamma = tf.sum(tf.mul(g, sx), 0);
        const dz = tf.mul(
          tf.sub(tf.sub(g, tf.mul(dbeta, 1 / M)), tf.mul(sx, tf.mul(dgamma, 1 / M))),
          tf.mul(sgamma, srstd),
        ) as tf.Tensor2D;
        const dW = tf.matMul(scols, dz, true, false);
        const db = tf.sum(dz, 0);
        return [dW, db, dgamma, dbeta];
      },
    };
  };
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]);
}

/** PyTorch's running-statistics update (unbiased variance). Returns new tensors; the caller disposes old. */
export function updatedRunningStats(
  state: BatchNormState,
  batchMean: tf.Tensor1D,
  batchVariance: tf.Tensor1D,
  rows: number,
  momentum: number,
): BatchNormState {
  return tf.tidy(() => {
    const unbiased = tf.mul(batchVariance, rows / Math.max(1, rows - 1));
    return {
      mean: tf.add(tf.mul(state.mean, 1 - momentum), tf.mul(batchMean, momentum)) as tf.Tensor1D,
      variance: tf.add(tf.mul(state.variance, 1 - momentum), tf.mul(unbiased, momentum)) as tf.Tensor1D,
    };
  });
}
