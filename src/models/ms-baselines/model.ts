/**
 * The MS-LSTM / MS-DCC network: per-(window, service) encoder → the N embeddings concatenated
 * [B, N·H] (no graph: what sets these baselines apart from Eadro) → Eadro's detector and localizer
 * heads (paper §IV-C: FC(64) + ReLU + FC, one sigmoid unit and N culprit logits).
 */
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../core/rng.js';
import { torchDefaultUniform } from '../eadro/init.js';
import type { MsConfig } from './config.js';
import { dccEncode, dccParams, type DccBatchNorm } from './dcc-encoder.js';
import { lstmEncode, lstmParams } from './lstm-encoder.js';

export interface MsDims {
  /** Services. */
  N: number;
  /** Seconds per window. */
  T: number;
  /** Channels per (service, second): src/windows/multi-source.ts. */
  C: number;
}

export interface MsModel {
  config: MsConfig;
  dims: MsDims;
  params: Map<string, tf.Variable>;
  /** DCC only: running BatchNorm statistics (not trained by gradients). */
  bn: DccBatchNorm | null;
}

function linear(name: string, fanIn: number, fanOut: number, seed: number): [string, number[], Float32Array][] {
  const rng = createRng(seed).fork(name);
  return [
    [`${name}.w`, [fanIn, fanOut], torchDefaultUniform(rng.fork('w'), fanIn * fanOut, fanIn)],
    [`${name}.b`, [fanOut], torchDefaultUniform(rng.fork('b'), fanOut, fanIn)],
  ];
}

/** A fresh model with weights drawn from `seed` (PyTorch's default initialisers, src/models/eadro/init.ts). */
export function createMsModel(config: MsConfig, dims: MsDims, seed: number): MsModel {
  const rng = createRng(seed).fork(`ms-${config.encoder}`);
  const flat = dims.N * config.hidden;
  const specs = [
    ...(config.encoder === 'lstm' ? lstmParams(dims.C, config, rng) : dccParams(dims.C, config, rng)),
    ...linear('detect.fc1', flat, config.detectHidden, seed),
    ...linear('detect.fc2', config.detectHidden, 1, seed),
    ...linear('locate.fc1', flat, config.locateHidden, seed),
    ...linear('locate.fc2', config.locateHidden, dims.N, seed),
  ];
  const params = new Map<string, tf.Variable>(specs.map(([name, shape, values]) => [name, tf.tidy(() => tf.variable(tf.tensor(values, shape), true))]));
  const bn = config.encoder === 'dcc' ? { mean: tf.zeros([config.hidden]) as tf.Tensor1D, variance: tf.ones([config.hidden]) as tf.Tensor1D } : null;
  return { config, dims, params, bn };
}

export function disposeMsModel(model: MsModel): void {
  for (const v of model.params.values()) v.dispose();
  if (model.bn !== null) tf.dispose([model.bn.mean, model.bn.variance]);
}

export interface MsForward {
  /** [B, 1] detector logit (P(anomalous) = sigmoid). */
  detectLogits: tf.Tensor2D;
  /** [B, N] culprit logits. */
  locateLogits: tf.Tensor2D;
  /** DCC in training mode: the batch's BatchNorm statistics, for `updateRunningStats`. */
  batchMean?: tf.Tensor1D;
  batchVariance?: tf.Tensor1D;
}

function dense(params: Map<string, tf.Variable>, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(x, params.get(`${name}.w`)!), params.get(`${name}.b`)!);
}

/** x [B, N, T, C] (scaled multi-source windows) → logits. */
export function forwardMs(model: MsModel, x: tf.Tensor4D, training: boolean): MsForward {
  const [B, N, T, C] = x.shape;
  const rows = x.reshape([B * N, T, C]) as tf.Tensor3D;
  const params = model.params as Map<string, tf.Tensor>;
  let embedding: tf.Tensor2D;
  let stats: Pick<MsForward, 'batchMean' | 'batchVariance'> = {};
  if (model.config.encoder === 'lstm') embedding = lstmEncode(params, rows, model.config);
  else {
    const out = dccEncode(params, model.bn!, rows, model.config, training);
    embedding = out.embedding;
    stats = { batchMean: out.batchMean, batchVariance: out.batchVariance };
  }
  const fused = embedding.reshape([B, N * model.config.hidden]) as tf.Tensor2D;
  const detectLogits = dense(model.params, 'detect.fc2', tf.relu(dense(model.params, 'detect.fc1', fused)));
  const locateLogits = dense(model.params, 'locate.fc2', tf.relu(dense(model.params, 'locate.fc1', fused)));
  return { detectLogits, locateLogits, ...stats };
}

/** PyTorch's running-average update: new = (1 − m)·old + m·batch (variance unbiased). */
export function updateRunningStats(model: MsModel, batchMean: tf.Tensor1D, batchVariance: tf.Tensor1D): void {
  if (model.bn === null) return;
  const m = model.config.batchNormMomentum;
  const old = model.bn;
  model.bn = tf.tidy(() => ({
    mean: tf.add(tf.mul(old.mean, 1 - m), tf.mul(batchMean, m)) as tf.Tensor1D,
    variance: tf.add(tf.mul(old.variance, 1 - m), tf.mul(batchVariance, m)) as tf.Tensor1D,
  }));
  tf.dispose([old.mean, old.variance]);
}
