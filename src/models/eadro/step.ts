/**
 * One training step, two ways that return the same GradientResult (tested against each other):
 * - `manual` (manual/network.ts): a hand-written forward and backward on host arrays with tfjs
 *   matMuls, no autodiff (../shared/specs/fast-tfjs-wasm.md); the default where it covers the config;
 * - `autodiff`: tfjs autodiff (tf.variableGrads) over the model, where the hot blocks carry
 *   hand-written gradients through tf.customGrad (conv + BatchNorm + ReLU in layers/causal-conv.ts, the
 *   max over GAT heads in layers/gatv2.ts), each tested against plain autodiff.
 * `EADRO_STEP=autodiff` forces autodiff (training and inference), e.g. to compare the two.
 * On a GPU (device placement, layers/placement.ts) only autodiff runs, every op a tfjs kernel on the
 * device, and the step's losses are read with `await data()` (trainStepAsync): one read per step.
 */
import * as tf from '@tensorflow/tfjs';
import { EadroError } from '../../core/errors.js';
import type { EadroConfig } from './config.js';
import { eadroLoss } from './loss.js';
import { forwardEadro, type EadroBatch, type EadroModel } from './model.js';
import { updatedRunningStats } from './layers/causal-conv.js';
import { manualGradients, supportsManualStep } from './manual/network.js';
import type { Adam } from './adam.js';
import { opPlacement } from './layers/placement.js';
import { throwIfGpuError } from '../../core/webgpu.js';

export { manualGradients, supportsManualStep };

/** Which implementation computes the gradients. */
export type StepKind = 'manual' | 'autodiff';

/**
 * The step to use for a config: `requested` (a train option), else EADRO_STEP, else manual where
 * supported. Asking for `manual` where it is not supported is an error.
 */
export function chooseStep(config: EadroConfig, requested?: StepKind): StepKind {
  const fromEnv = process.env['EADRO_STEP'];
  const asked = requested ?? (fromEnv === undefined || fromEnv === '' ? undefined : fromEnv);
  if (asked !== undefined && asked !== 'manual' && asked !== 'autodiff') {
    throw new EadroError(`Unknown training step "${asked}".`, { field: 'EADRO_STEP', expected: 'manual or autodiff', found: asked });
  }
  if (asked === 'autodiff') return 'autodiff';
  if (opPlacement() === 'device') {
    if (asked === 'manual') {
      throw new EadroError('The hand-written training step runs on host arrays (wasm or cpu backend); on this backend training uses autodiff.', {
        field: 'step',
        expected: 'autodiff (or --backend wasm for the hand-written step)',
        found: 'manual',
      });
    }
    return 'autodiff';
  }
  if (supportsManualStep(config)) return 'manual';
  if (asked === 'manual') {
    throw new EadroError('The hand-written training step does not cover this configuration.', { field: 'step', expected: 'autodiff for this config' });
  }
  return 'autodiff';
}

export interface StepLosses {
  total: number;
  detect: number;
  locate: number;
}

export interface GradientResult {
  losses: StepLosses;
  /** Gradient per parameter name (caller disposes). */
  grads: Map<string, tf.Tensor>;
  /** Per conv branch: batch mean, biased variance and row count, for the running statistics. */
  bnBatch: Map<'kpi' | 'trace', { mean: tf.Tensor1D; variance: tf.Tensor1D; rows: number }>;
}

/** The autodiff step's result with its losses still on the device: [3] = total, detect, locate. */
export interface DeviceGradientResult extends Omit<GradientResult, 'losses'> {
  losses: tf.Tensor1D;
}

/** Loss and gradients of every parameter by autodiff, in training mode; no read from the device. */
export function autodiffGradientTensors(model: EadroModel, batch: EadroBatch): DeviceGradientResult {
  const bnBatch: GradientResult['bnBatch'] = new Map();
  let detect: tf.Scalar | null = null;
  let locate: tf.Scalar | null = null;
  const vars = [...model.params.values()];
  const { value, grads } = tf.variableGrads(() => {
    const out = forwardEadro(model, batch, true);
    for (const [branch, s] of out.bnStats) {
      bnBatch.set(branch, { mean: tf.keep(s.batchMean!), variance: tf.keep(s.batchVariance!), rows: s.rows! });
    }
    const l = eadroLoss(model.config, out.detectLogits, out.locateLogits, batch.labels);
    detect = tf.keep(l.detect);
    locate = tf.keep(l.locate);
    return l.total;
  }, vars);
  const byName = new Map<string, tf.Tensor>();
  for (const [name, v] of model.params) byName.set(name, grads[v.name]!);
  const losses = tf.stack([value, detect!, locate!]) as tf.Tensor1D;
  tf.dispose([value, detect!, locate!]);
  return { losses, grads: byName, bnBatch };
}

function lossesOf(values: ArrayLike<number>): StepLosses {
  return { total: values[0]!, detect: values[1]!, locate: values[2]! };
}

/** Loss and gradients of every parameter by autodiff, in training mode (losses read synchronously). */
export function autodiffGradients(model: EadroModel, batch: EadroBatch): GradientResult {
  const r = autodiffGradientTensors(model, batch);
  const losses = lossesOf(r.losses.dataSync());
  r.losses.dispose();
  return { ...r, losses };
}

/** Apply gradients and update the BatchNorm running statistics; disposes the gradient result. */
export function applyStep(model: EadroModel, adam: Adam, result: Pick<GradientResult, 'grads' | 'bnBatch'>): void {
  adam.apply(model.params, result.grads);
  for (const [branch, s] of result.bnBatch) {
    const old = model.bnState.get(branch)!;
    model.bnState.set(branch, updatedRunningStats(old, s.mean, s.variance, s.rows, model.config.batchNormMomentum));
    tf.dispose([old.mean, old.variance, s.mean, s.variance]);
  }
  tf.dispose([...result.grads.values()]);
}

/** A whole step by the chosen implementation. */
export function trainStep(model: EadroModel, batch: EadroBatch, adam: Adam, kind: StepKind): StepLosses {
  const result = kind === 'manual' ? manualGradients(model, batch) : autodiffGradients(model, batch);
  applyStep(model, adam, result);
  return result.losses;
}

/**
 * A whole step, reading its losses with `await data()`: what training runs on every backend (dataSync
 * fails on webgpu in Node). The update is queued before the read, so the device is never idle waiting
 * for the host. Fails if the GPU reported an error (core/webgpu.ts).
 */
export async function trainStepAsync(model: EadroModel, batch: EadroBatch, adam: Adam, kind: StepKind): Promise<StepLosses> {
  if (kind === 'manual') return trainStep(model, batch, adam, kind);
  const result = autodiffGradientTensors(model, batch);
  applyStep(model, adam, result);
  const losses = lossesOf(await result.losses.data());
  result.losses.dispose();
  throwIfGpuError();
  return losses;
}

/** A whole step by autodiff. */
export function trainStepAutodiff(model: EadroModel, batch: EadroBatch, adam: Adam): StepLosses {
  const result = autodiffGradients(model, batch);
  applyStep(model, adam, result);
  return result.losses;
}
