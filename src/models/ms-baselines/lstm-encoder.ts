/**
 * MS-LSTM's encoder (baselines.md §3.4 "LSTM(64) last hidden state"): one LSTM layer over the T seconds
 * of each (window, service) series of C early-fused channels, in PyTorch's nn.LSTM form (gates i, f, g, o;
 * c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t); one bias, h_0 = c_0 = 0). Written with tfjs ops, so that
 * tfjs autodiff gives its gradients; the input projection of all T steps is one matMul.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../core/rng.js';
import { torchDefaultUniform } from '../eadro/init.js';
import type { MsConfig } from './config.js';

/** Initial weights [name, shape, values]: PyTorch nn.LSTM default U(−1/√H, 1/√H) for every weight and bias. */
export function lstmParams(C: number, config: Pick<MsConfig, 'hidden'>, rng: Rng): [string, number[], Float32Array][] {
  const H = config.hidden;
  return [
    ['lstm.wx', [C, 4 * H], torchDefaultUniform(rng.fork('lstm.wx'), C * 4 * H, H)],
    ['lstm.wh', [H, 4 * H], torchDefaultUniform(rng.fork('lstm.wh'), H * 4 * H, H)],
    ['lstm.b', [4 * H], torchDefaultUniform(rng.fork('lstm.b'), 4 * H, H)],
  ];
}

/** x [R, T, C] (R = windows × services) → embeddings [R, H]: the last hidden state, or the mean of all T. */
export function lstmEncode(params: Map<string, tf.Tensor>, x: tf.Tensor3D, config: Pick<MsConfig, 'hidden' | 'pooling'>): tf.Tensor2D {
  const [R, T, C] = x.shape;
  const H = config.hidden;
  const wx = params.get('lstm.wx') as tf.Tensor2D;
  const wh = params.get('lstm.wh') as tf.Tensor2D;
  const b = params.get('lstm.b') as tf.Tensor1D;
  const projected = tf.add(tf.matMul(x.reshape([R * T, C]), wx), b).reshape([R, T, 4 * H]);
  let h: tf.Tensor2D = tf.zeros([R, H]);
  let c: tf.Tensor2D = tf.zeros([R, H]);
  const outputs: tf.Tensor2D[] = [];
  for (let t = 0; t < T; t++) {
    const gates = tf.add(tf.slice(projected, [0, t, 0], [R, 1, 4 * H]).reshape([R, 4 * H]), tf.matMul(h, wh));
    const [i, f, g, o] = tf.split(gates, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
    h = tf.mul(tf.sigmoid(o), tf.tanh(c));
    if (config.pooling === 'mean') outputs.push(h);
  }
  return config.pooling === 'mean' ? (tf.div(tf.addN(outputs), T) as tf.Tensor2D) : h;
}
