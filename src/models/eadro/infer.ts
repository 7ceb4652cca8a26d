/**
 * Inference per window: anomaly probability, services ranked by culprit probability (paper Fig. 6),
 * and the fused representation H_F (for the t-SNE figure). BatchNorm uses its running statistics.
 *
 * Two paths with the same outputs (tested): the forward-only pass of the hand-written step
 * (manual/network.ts: host arrays, no gradient bookkeeping, larger batches) where it covers the
 * config, else forwardEadro. `EADRO_STEP=autodiff` forces forwardEadro (step.ts chooseStep).
 */
import * as tf from '@tensorflow/tfjs';
import type { WindowDataset } from '../../windows/types.js';
import { checkIndices, disposeBatch, makeBatch } from './data.js';
import { anomalyProbability, eadroLoss } from './loss.js';
import { forwardEadro, type EadroModel } from './model.js';
import { ensureFastWasmKernels } from './wasm-kernels.js';
import { chooseStep } from './step.js';
import { disposeForward, manualForward } from './manual/network.js';
import { hostDetectMargin, hostLoss } from './manual/loss.js';

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
  // ours: the training batch again. The forward-only pass is as fast per window at 256, 512 and 1024
  // (measured 189-191 us at N=12, 433-451 at N=27), and at the training size it reuses the host buffers
  // training allocated instead of growing them (a fresh 8.6 MB buffer costs ~6 ms in page faults).
  manualBatchSize: 256,
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
  const manual = chooseStep(model.config) === 'manual';
  const batchSize = opts.batchSize ?? (manual ? predictDefaults.manualBatchSize : predictDefaults.batchSize);
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
    if (manual) {
      lossSum += manualPredictBatch(model, batch, start, opts.withLoss === true, { anomalyProb, culpritProb, fused });
      disposeBatch(batch);
      continue;
    }
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

/**
 * One batch through the forward-only hand-written pass; writes rows `start..` of the outputs and
 * returns the batch's summed loss (0 without `withLoss`).
 */
function manualPredictBatch(
  model: EadroModel,
  batch: ReturnType<typeof makeBatch>,
  start: number,
  withLoss: boolean,
  out: { anomalyProb: Float32Array; culpritProb: Float32Array; fused: Float32Array },
): number {
  const N = model.dims.N;
  const B = batch.B;
  const f = manualForward(model, batch, false);
  try {
    for (let b = 0; b < B; b++) {
      // P(anomalous) = sigmoid of the detector margin (loss.ts anomalyProbability), in float32 as there
      out.anomalyProb[start + b] = 1 / (1 + Math.exp(-hostDetectMargin(model.config, f.detectLogits, b)));
      const o = b * N;
      let max = -Infinity;
      for (let n = 0; n < N; n++) max = Math.max(max, f.locateLogits[o + n]!);
      let sum = 0;
      for (let n = 0; n < N; n++) sum += Math.exp(f.locateLogits[o + n]! - max);
      for (let n = 0; n < N; n++) out.culpritProb[(start + b) * N + n] = Math.exp(f.locateLogits[o + n]! - max) / sum;
    }
    out.fused.set(f.fused, start * model.config.gatHidden);
    return withLoss ? hostLoss(model.config, f.detectLogits, f.locateLogits, batch.labels, N, false).total * B : 0;
  } finally {
    disposeForward(f);
  }
}
