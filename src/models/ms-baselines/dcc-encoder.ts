/**
 * MS-DCC's encoder (baselines.md §3.4 "one DCC layer (64 filters, kernel 3, BatchNorm, ReLU, chomp)"):
 * Eadro's dilated causal convolution layer (paper §IV-B2, reference model.py ConvNet) over the T seconds
 * of each (window, service) series of C early-fused channels. Causal by left padding (k − 1)·d zeros,
 * which is what Conv1d(padding = (k − 1)·d) followed by the chomp of the last (k − 1)·d steps computes;
 * BatchNorm over the R·T outputs of each filter (training: batch statistics, running averages updated
 * with PyTorch's momentum; evaluation: the running averages), then ReLU, then pooling over the T steps.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../core/rng.js';
import { filled, torchDefaultUniform } from '../eadro/init.js';
import type { MsConfig } from './config.js';

/** Initial weights: PyTorch Conv1d default U(−1/√(C·k), +) for the kernel [k, C, F] and its bias; BN γ = 1, β = 0. */
export function dccParams(C: number, config: Pick<MsConfig, 'hidden' | 'kernelSize'>, rng: Rng): [string, number[], Float32Array][] {
  const F = config.hidden;
  const k = config.kernelSize;
  return [
    ['dcc.kernel', [k, C, F], torchDefaultUniform(rng.fork('dcc.kernel'), k * C * F, C * k)],
    ['dcc.bias', [F], torchDefaultUniform(rng.fork('dcc.bias'), F, C * k)],
    ['dcc.bn.gamma', [F], filled(F, 1)],
    ['dcc.bn.beta', [F], filled(F, 0)],
  ];
}

/** Running BatchNorm statistics of the conv layer ([F] each). */
export interface DccBatchNorm {
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * x [R, T, C] → embeddings [R, F]. In training mode also returns the batch statistics (mean and the
 * unbiased variance, as PyTorch feeds its running average), for the caller to fold into `bn`.
 */
export function dccEncode(
  params: Map<string, tf.Tensor>,
  bn: DccBatchNorm,
  x: tf.Tensor3D,
  config: Pick<MsConfig, 'kernelSize' | 'dilation' | 'pooling' | 'batchNormEpsilon'>,
  training: boolean,
): { embedding: tf.Tensor2D; batchMean?: tf.Tensor1D; batchVariance?: tf.Tensor1D } {
  const [R, T] = x.shape;
  const pad = (config.kernelSize - 1) * config.dilation;
  const padded = pad > 0 ? tf.pad(x, [[0, 0], [pad, 0], [0, 0]]) : x;
  // The convolution as one matMul over the k shifted copies (im2col): tfjs-wasm has no
  // Conv2DBackpropFilter kernel, and Eadro's conv layer is written the same way (eadro/layers/causal-conv.ts).
  const C = x.shape[2];
  const kernel = params.get('dcc.kernel') as tf.Tensor3D; // [k, C, F], tap-major like the concatenation below
  const k = kernel.shape[0];
  const F = kernel.shape[2];
  const taps = Array.from({ length: k }, (_, j) => tf.slice(padded, [0, j * config.dilation, 0], [R, T, C]));
  const columns = (k === 1 ? taps[0]! : tf.concat(taps, 2)).reshape([R * T, k * C]);
  const flat = tf.add(tf.matMul(columns, kernel.reshape([k * C, F])), params.get('dcc.bias')!) as tf.Tensor2D; // [R·T, F]
  let mean: tf.Tensor1D;
  let variance: tf.Tensor1D;
  let batchVariance: tf.Tensor1D | undefined;
  if (training) {
    const moments = tf.moments(flat, 0);
    mean = moments.mean as tf.Tensor1D;
    variance = moments.variance as tf.Tensor1D; // biased, used to normalise (PyTorch)
    const n = R * T;
    batchVariance = n > 1 ? (tf.mul(variance, n / (n - 1)) as tf.Tensor1D) : variance;
  } else {
    mean = bn.mean;
    variance = bn.variance;
  }
  const normed = tf.add(tf.mul(tf.div(tf.sub(flat, mean), tf.sqrt(tf.add(variance, config.batchNormEpsilon))), params.get('dcc.bn.gamma')!), params.get('dcc.bn.beta')!);
  const activated = tf.relu(normed).reshape([R, T, F]) as tf.Tensor3D;
  const embedding = config.pooling === 'mean' ? (tf.mean(activated, 1) as tf.Tensor2D) : (tf.slice(activated, [0, T - 1, 0], [R, 1, F]).reshape([R, F]) as tf.Tensor2D);
  return training ? { embedding, batchMean: mean, batchVariance } : { embedding };
}
