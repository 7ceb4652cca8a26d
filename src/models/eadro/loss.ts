/**
 * The joint objective beta * L_detect + (1 - beta) * L_locate (paper §IV-C), both variants.
 *
 * - Detector: `sigmoid-bce` (paper Eq. 4) or `softmax-ce` (reference: 2-class CrossEntropyLoss).
 *   Both are means over the batch (Eq. 4 writes a sum; the mean is what PyTorch's criterion does and
 *   keeps beta on the same scale in both variants).
 * - Localizer: cross-entropy of the culprit under softmax over the N services, averaged over the masked
 *   windows. `ground-truth` mask (reference, ignore_index=-1): the faulty windows. `predicted` mask
 *   (paper): the faulty windows that the detector flags (Eq. 5 has c_{i,s} = 0 for normal windows, so
 *   flagged normal windows add nothing). The flag is a step function and carries no gradient.
 */
import * as tf from '@tensorflow/tfjs';
import type { EadroConfig } from './config.js';

export interface LossParts {
  total: tf.Scalar;
  detect: tf.Scalar;
  locate: tf.Scalar;
}

/** One-hot [B, N] of the culprits; all-zero rows for normal windows (label -1). */
export function culpritOneHot(labels: Int32Array, N: number): Float32Array {
  const out = new Float32Array(labels.length * N);
  labels.forEach((l, b) => {
    if (l >= 0) out[b * N + l] = 1;
  });
  return out;
}

/** [B] 1 for faulty windows, 0 for normal. */
export function faultyIndicator(labels: Int32Array): Float32Array {
  return Float32Array.from(labels, (l) => (l >= 0 ? 1 : 0));
}

/** Detector margin: > 0 means the window is flagged anomalous. [B] */
export function detectMargin(config: Pick<EadroConfig, 'detector'>, detectLogits: tf.Tensor2D): tf.Tensor1D {
  if (config.detector === 'sigmoid-bce') return detectLogits.reshape([-1]) as tf.Tensor1D;
  const B = detectLogits.shape[0];
  return tf.sub(tf.slice(detectLogits, [0, 1], [B, 1]), tf.slice(detectLogits, [0, 0], [B, 1])).reshape([B]) as tf.Tensor1D;
}

/** P(anomalous) per window. [B] */
export function anomalyProbability(config: Pick<EadroConfig, 'detector'>, detectLogits: tf.Tensor2D): tf.Tensor1D {
  // For two logits softmax(l)[1] = sigmoid(l1 - l0): one formula for both detectors.
  return tf.sigmoid(detectMargin(config, detectLogits));
}

/** The joint loss; `config` needs only the detector, the localizer mask and beta (MS-LSTM / MS-DCC share it). */
export function eadroLoss(config: Pick<EadroConfig, 'detector' | 'locateMask' | 'beta'>, detectLogits: tf.Tensor2D, locateLogits: tf.Tensor2D, labels: Int32Array): LossParts {
  const [B, N] = locateLogits.shape;
  const y = tf.tensor1d(faultyIndicator(labels));
  let detect: tf.Scalar;
  if (config.detector === 'sigmoid-bce') {
    const l = detectLogits.reshape([B]);
    // BCE with logits, stable form: softplus(l) - l*y
    detect = tf.mean(tf.sub(tf.softplus(l), tf.mul(l, y)));
  } else {
    const logp = tf.logSoftmax(detectLogits, -1); // [B, 2]
    const target = tf.stack([tf.sub(1, y), y], 1);
    detect = tf.neg(tf.mean(tf.sum(tf.mul(logp, target), 1))) as tf.Scalar;
  }
  const onehot = tf.tensor2d(culpritOneHot(labels, N), [B, N]);
  const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(locateLogits, -1), onehot), 1)); // [B]
  let mask: tf.Tensor1D = y;
  if (config.locateMask === 'predicted') mask = tf.mul(y, tf.step(detectMargin(config, detectLogits))) as tf.Tensor1D;
  const locate = tf.div(tf.sum(tf.mul(nll, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  const total = tf.add(tf.mul(detect, config.beta), tf.mul(locate, 1 - config.beta)) as tf.Scalar;
  return { total, detect, locate };
}
