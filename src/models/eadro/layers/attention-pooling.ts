/**
 * Global attention pooling (Li et al. 2016; DGL GlobalAttentionPooling with a Linear(D, 1) gate):
 * gate_n = softmax over the N nodes of (h_n . w + b); H_F = sum_n gate_n h_n.
 * Rows are node-major (row n*B + b).
 */
import * as tf from '@tensorflow/tfjs';
import { sumAxis } from './reduce.js';

export interface PoolParams {
  /** [D, 1] */
  weight: tf.Tensor2D;
  /** [1] */
  bias: tf.Tensor1D;
}

/** x: [N*B, D] -> [B, D]. */
export function attentionPooling(x: tf.Tensor2D, B: number, p: PoolParams): tf.Tensor2D {
  const [NB, D] = x.shape;
  const N = NB / B;
  const logits = tf.add(tf.matMul(x, p.weight), p.bias).reshape([N, B]);
  const gate = tf.transpose(tf.softmax(tf.transpose(logits), -1)); // softmax over nodes, [N, B]
  return sumAxis(tf.mul(x.reshape([N, B, D]), gate.reshape([N, B, 1])), 0) as tf.Tensor2D;
}
