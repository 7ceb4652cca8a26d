/**
 * Inference per window: anomaly probability, services ranked by culprit probability (paper Fig. 6),
 * and the fused representation H_F (for the t-SNE figure). BatchNorm uses its running statistics.
 */
import * as tf from '@tensorflow/tfjs';
import type { WindowDataset } from '../../windows/types.js';
import { checkIndices, disposeBatch, makeBatch } from './data.js';
import { anomalyProbability, eadroLoss } from './loss.js';
import { forwardEadro, type EadroModel } from './model.js';
import { ensureFastWasmKernels } from './wasm-kernels.js';

export interface Prediction {
  /** [B] P(window is anomalous). */
  anomalyProb: Float32Array;
  /** [B, N] softmax over services of the localizer (row-major). */
  culpritProb: Float32Array;
  /** [B, N] service indices, most likely culprit first (ties: lower index first). */
  ranking: Int32Array;
  /** [B, D] H_F, D = gatHidden. */
  fused: Float32Array;
  /** D, the width of `fused`. */
  fusedDim: number;
  /** Mean validation-style loss over these windows (eval mode), when `withLoss` was asked. */
  loss?: number;
}

export const predictDefaults = {
  batchSize: 256, // ours: the training batch; fits the wasm heap at N=27 (fast-tfjs-wasm.md)
};

/** Indices of a row sorted by descending value, stable. */
export function rankDescending(values: Float32Array, offset: number, n: number, out: Int32Array, outOffset: number): void {
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => values[offset + b]! - values[offset + a]! || a - b);
  for (let i = 0; i < n; i++) out[outOffset + i] = idx[i]!;
}

export function predict(
  model: EadroModel,
  ds: WindowDataset,
  indices: readonly number[],
  opts: { batchSize?: number; withLoss?: boolean } = {},
): Prediction {
  checkIndices(ds, indices, 'indices');
  ensureFastWasmKernels();
  const batchSize = opts.batchSize ?? predictDefaults.batchSize;
  const N = model.dims.N;
  const D = model.config.gatHidden;
  const B = indices.length;
  const anomalyProb = new Float32Array(B);
  const culpritProb = new Float32Array(B * N);
  const fused = new Float32Array(B * D);
  let lossSum = 0;
  for (let start = 0; start < B; start += batchSize) {
    const ids = indices.slice(start, start + batchSize);
    const batch = makeBatch(ds, ids, model.config);
    const [p, c, f, l] = tf.tidy(() => {
      const out = forwardEadro(model, batch, false);
      const loss = opts.withLoss ? eadroLoss(model.config, out.detectLogits, out.locateLogits, batch.labels).total : tf.scalar(0);
      return [anomalyProbability(model.config, out.detectLogits), tf.softmax(out.locateLogits, -1), out.fused, loss];
    });
    anomalyProb.set(p.dataSync(), start);
    culpritProb.set(c.dataSync(), start * N);
    fused.set(f.dataSync(), start * D);
    lossSum += l.dataSync()[0]! * ids.length;
    tf.dispose([p, c, f, l]);
    disposeBatch(batch);
  }
  const ranking = new Int32Array(B * N);
  for (let b = 0; b < B; b++) rankDescending(culpritProb, b * N, N, ranking, b * N);
  const result: Prediction = { anomalyProb, culpritProb, ranking, fused, fusedDim: D };
  if (opts.withLoss) result.loss = B > 0 ? lossSum / B : Number.NaN;
  return result;
}
