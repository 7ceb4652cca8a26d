/**
 * Inference per window: anomaly probability, services ranked by culprit probability (paper Fig. 6),
 * and the fused representation H_F (for the t-SNE figure). BatchNorm uses its running statistics.
 *
 * Two paths with the same outputs (tested): the forward-only pass of the hand-written step
 * (manual/eval-forward.ts: BatchNorm folded into the conv, inputs straight from the dataset, no
 * gradient bookkeeping) where it covers the config, else forwardEadro. `EADRO_STEP=autodiff` forces
 * forwardEadro (step.ts chooseStep).
 */
import * as tf from '@tensorflow/tfjs';
import type { WindowDataset } from '../../windows/types.js';
import { checkIndices, disposeBatch, makeBatch } from './data.js';
import { anomalyProbability, eadroLoss } from './loss.js';
import { forwardEadro, type EadroModel } from './model.js';
import { ensureFastWasmKernels } from './wasm-kernels.js';
import { chooseStep } from './step.js';
import { hostDetectMargin, hostLoss } from './manual/loss.js';
import { disposeEvalPlan, evalForward, prepareEvalPlan, type EvalPlan } from './manual/eval-forward.js';
import { fillEvalInput } from './manual/eval-input.js';
import { softmaxInto } from './manual/host.js';
import { onDeviceBackend } from '../../core/backend.js';
import { EadroError } from '../../core/errors.js';
import { throwIfGpuError } from '../../core/webgpu.js';

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
  // ours: the training batch again. Measured once for the forward-only pass (scratch timing, not kept;
  // manual/eval-forward.ts, reference variant, N=12, one wasm thread, a loaded machine): 64 windows
  // 112-126 us/window, 128
  // 89-107, 256 87-95, 512 88-91; below 256 the ~25 tfjs calls per batch start to show, above it
  // nothing is gained and the host and heap buffers grow (a fresh 8.6 MB buffer costs ~6 ms in page faults).
  manualBatchSize: 256,
};

/**
 * Indices of a row sorted by descending value, stable (ties: lower index first). Insertion sort: rows
 * are one service per entry (N = 12 to 27 here), where it needs no allocation per row, unlike
 * Array.prototype.sort over a fresh index array.
 */
export function rankDescending(values: Float32Array, offset: number, n: number, out: Int32Array, outOffset: number): void {
  for (let i = 0; i < n; i++) {
    const v = values[offset + i]!;
    let j = i;
    // shift right every earlier entry with a smaller value; equal values keep their order. (A NaN
    // compares as neither smaller nor larger: the order of such a row is deterministic, not meaningful.)
    while (j > 0 && values[offset + out[outOffset + j - 1]!]! < v) {
      out[outOffset + j] = out[outOffset + j - 1]!;
      j--;
    }
    out[outOffset + j] = i;
  }
}

interface PredictionBuffers {
  anomalyProb: Float32Array;
  culpritProb: Float32Array;
  fused: Float32Array;
}

/** What one predict call needs, decided once. */
function predictPlan(model: EadroModel, ds: WindowDataset, indices: readonly number[], opts: { batchSize?: number }) {
  checkIndices(ds, indices, 'indices');
  ensureFastWasmKernels();
  const manual = chooseStep(model.config) === 'manual';
  const batchSize = opts.batchSize ?? (manual ? predictDefaults.manualBatchSize : predictDefaults.batchSize);
  const N = model.dims.N;
  const B = indices.length;
  const buffers: PredictionBuffers = {
    anomalyProb: new Float32Array(B),
    culpritProb: new Float32Array(B * N),
    fused: new Float32Array(B * model.config.gatHidden),
  };
  return { manual, batchSize, buffers };
}

/** The forward-only pass of the manual path over every batch (host arrays; wasm or cpu only). */
function manualPredictAll(model: EadroModel, ds: WindowDataset, indices: readonly number[], batchSize: number, withLoss: boolean, out: PredictionBuffers): number {
  let lossSum = 0;
  const plan = prepareEvalPlan(model); // folded weights etc., once per call (model weights may change between calls)
  try {
    for (let start = 0; start < indices.length; start += batchSize) {
      lossSum += manualPredictBatch(plan, ds, indices.slice(start, start + batchSize), start, withLoss, out);
    }
  } finally {
    disposeEvalPlan(plan);
  }
  return lossSum;
}

/** forwardEadro in eval mode on one batch: [P(anomalous) [b], culprit softmax [b, N], H_F [b, D], loss []]. */
function forwardBatch(model: EadroModel, ds: WindowDataset, ids: readonly number[], withLoss: boolean): { tensors: tf.Tensor[]; batch: ReturnType<typeof makeBatch> } {
  const batch = makeBatch(ds, ids, model.config);
  const tensors = tf.tidy(() => {
    const out = forwardEadro(model, batch, false);
    const loss = withLoss ? eadroLoss(model.config, out.detectLogits, out.locateLogits, batch.labels).total : tf.scalar(0);
    return [anomalyProbability(model.config, out.detectLogits), tf.softmax(out.locateLogits, -1), out.fused, loss];
  });
  return { tensors, batch };
}

function storeBatch(values: ArrayLike<number>[], start: number, n: number, N: number, D: number, out: PredictionBuffers): number {
  out.anomalyProb.set(values[0]!, start);
  out.culpritProb.set(values[1]!, start * N);
  out.fused.set(values[2]!, start * D);
  return values[3]![0]! * n;
}

function finishPrediction(model: EadroModel, out: PredictionBuffers, lossSum: number, withLoss: boolean): Prediction {
  const N = model.dims.N;
  const B = out.anomalyProb.length;
  const ranking = new Int32Array(B * N);
  for (let b = 0; b < B; b++) rankDescending(out.culpritProb, b * N, N, ranking, b * N);
  const result: Prediction = { ...out, ranking, fusedDim: model.config.gatHidden };
  if (withLoss) result.loss = B > 0 ? lossSum / B : Number.NaN;
  return result;
}

/**
 * Predictions for `indices`, read synchronously: wasm, cpu and tensorflow backends. On webgpu (where
 * dataSync fails in Node) use predictAsync, which works everywhere.
 */
export function predict(
  model: EadroModel,
  ds: WindowDataset,
  indices: readonly number[],
  opts: { batchSize?: number; withLoss?: boolean } = {},
): Prediction {
  const { manual, batchSize, buffers } = predictPlan(model, ds, indices, opts);
  const withLoss = opts.withLoss === true;
  let lossSum = 0;
  if (manual) lossSum = manualPredictAll(model, ds, indices, batchSize, withLoss, buffers);
  else {
    if (onDeviceBackend()) {
      throw new EadroError(`predict() reads synchronously, which the ${tf.getBackend()} backend cannot do in Node.`, { field: 'predict', expected: 'await predictAsync(...) on this backend' });
    }
    for (let start = 0; start < indices.length; start += batchSize) {
      const ids = indices.slice(start, start + batchSize);
      const { tensors, batch } = forwardBatch(model, ds, ids, withLoss);
      lossSum += storeBatch(tensors.map((t) => t.dataSync()), start, ids.length, model.dims.N, model.config.gatHidden, buffers);
      tf.dispose(tensors);
      disposeBatch(batch);
    }
  }
  return finishPrediction(model, buffers, lossSum, withLoss);
}

/** predict with every read awaited: the same numbers, on every backend (webgpu included). */
export async function predictAsync(
  model: EadroModel,
  ds: WindowDataset,
  indices: readonly number[],
  opts: { batchSize?: number; withLoss?: boolean } = {},
): Promise<Prediction> {
  throwIfGpuError();
  const { manual, batchSize, buffers } = predictPlan(model, ds, indices, opts);
  const withLoss = opts.withLoss === true;
  let lossSum = 0;
  if (manual) lossSum = manualPredictAll(model, ds, indices, batchSize, withLoss, buffers);
  else {
    for (let start = 0; start < indices.length; start += batchSize) {
      const ids = indices.slice(start, start + batchSize);
      const { tensors, batch } = forwardBatch(model, ds, ids, withLoss);
      disposeBatch(batch);
      const values = await Promise.all(tensors.map((t) => t.data()));
      tf.dispose(tensors);
      throwIfGpuError();
      lossSum += storeBatch(values, start, ids.length, model.dims.N, model.config.gatHidden, buffers);
    }
  }
  return finishPrediction(model, buffers, lossSum, withLoss);
}

/**
 * Windows `ids` through the forward-only hand-written pass (manual/eval-forward.ts); writes rows
 * `start..` of the outputs and returns the batch's summed loss (0 without `withLoss`).
 */
function manualPredictBatch(
  plan: EvalPlan,
  ds: WindowDataset,
  ids: readonly number[],
  start: number,
  withLoss: boolean,
  out: PredictionBuffers,
): number {
  const N = plan.N;
  const B = ids.length;
  let f: ReturnType<typeof evalForward> | undefined;
  // tidy only frees the pass's tensors should it throw (it disposes them itself); it returns nothing,
  // so tfjs does not walk the host arrays of the result
  tf.tidy(() => {
    f = evalForward(plan, fillEvalInput(ds, ids, plan.config, plan.ws, plan.activeNodes));
  });
  if (f === undefined) throw new Error('predict: the forward-only pass returned nothing');
  for (let b = 0; b < B; b++) {
    // P(anomalous) = sigmoid of the detector margin (loss.ts anomalyProbability), in float32 as there
    out.anomalyProb[start + b] = 1 / (1 + Math.exp(-hostDetectMargin(plan.config, f.detectLogits, b)));
  }
  softmaxInto(f.locateLogits, B, N, out.culpritProb, start * N);
  out.fused.set(f.fused, start * plan.config.gatHidden);
  if (!withLoss) return 0;
  const labels = Int32Array.from(ids, (w) => ds.labels[w]!);
  return hostLoss(plan.config, f.detectLogits, f.locateLogits, labels, N, false).total * B;
}
