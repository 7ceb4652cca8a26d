/**
 * Attention over the T time steps of a conv output, turning [R, T, C] into one vector [R, C] per row.
 *
 * - `tanh-score` (reference model.py SelfAttention): score_t = tanh(x_t . w_t + b_t) with a separate
 *   weight vector per time step, output sum_t score_t x_t. Not a softmax: scores are in (-1, 1).
 * - `softmax-qkv` (paper Eq. 2): softmax(Q K^T / sqrt(d)) V with Q, K, V linear maps of x, d = C; the
 *   paper does not say how the T outputs become one vector: we take their mean (ours).
 */
import * as tf from '@tensorflow/tfjs';
import { meanAxis, sumAxis } from './reduce.js';

export interface TanhScoreParams {
  /** [T, C] per-time-step scoring weights. */
  weight: tf.Tensor2D;
  /** [T] per-time-step bias. */
  bias: tf.Tensor1D;
}

export interface QkvParams {
  /** [C, 3C]: W_q, W_k, W_v side by side (one matMul for the three; no bias, ours). */
  wqkv: tf.Tensor2D;
}

export function tanhScoreAttention(x: tf.Tensor3D, p: TanhScoreParams): tf.Tensor2D {
  const score = tf.tanh(tf.add(sumAxis(tf.mul(x, p.weight), 2), p.bias)); // [R, T]
  return sumAxis(tf.mul(x, tf.expandDims(score, 2)), 1) as tf.Tensor2D; // [R, C]
}

export function softmaxQkvAttention(x: tf.Tensor3D, p: QkvParams): tf.Tensor2D {
  const [R, T, C] = x.shape;
  const qkv = tf.matMul(x.reshape([R * T, C]), p.wqkv); // [R*T, 3C]
  const q = tf.slice(qkv, [0, 0], [R * T, C]).reshape([R, T, C]) as tf.Tensor3D;
  const k = tf.slice(qkv, [0, C], [R * T, C]).reshape([R, T, C]) as tf.Tensor3D;
  const v = tf.slice(qkv, [0, 2 * C], [R * T, C]).reshape([R, T, C]) as tf.Tensor3D;
  const scores = tf.mul(tf.matMul(q, tf.transpose(k, [0, 2, 1])), 1 / Math.sqrt(C)); // [R, T, T]
  const attn = tf.softmax(scores, -1);
  return meanAxis(tf.matMul(attn, v), 1) as tf.Tensor2D; // [R, C]
}
