/**
 * One training step, two ways that return the same GradientResult (tested against each other):
 * - `manual` (manual/network.ts): a hand-written forward and backward on host arrays with tfjs
 *   matMuls, no autodiff (../shared/specs/fast-tfjs-wasm.md); the default where it covers the config;
 * - `autodiff`: tfjs autodiff (tf.variableGrads) over the model, where the hot blocks carry
 *   hand-written gradients through tf.customGrad (conv + BatchNorm + ReLU in layers/causal-conv.ts, the
 *   max over GAT heads in layers/gatv2.ts), each tested against plain autodiff.
 * `EADRO_STEP=autodiff` forces autodiff (training and inference), e.g. to compare the two.
 */
import * as tf from '@tensorflow/tfjs';
import { EadroError } from '../../core/errors.js';
import type { EadroConfig } from './config.js';
import { eadroLoss } from './loss.js';
import { forwardEadro, type EadroBatch, type EadroModel } from './model.js';
import { updatedRunningStats } from './layers/causal-conv.js';
import { manualGradients, supportsManualStep } from './manual/network.js';
import type { Adam } from './adam.js';

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

/** Loss and gradients of every parameter by autodiff, in training mode. */
export function autodiffGradients(model: EadroModel, batch: EadroBatch): GradientResult {
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
  const losses = { total: value.dataSync()[0]!, detect: detect!.dataSync()[0]!, locate: locate!.dataSync()[0]! };
  tf.dispose([value, detect!, locate!]);
  return { losses, grads: byName, bnBatch };
}

/** Apply gradients and update the BatchNorm running statistics; disposes the gradient result. */
export function applyStep(model: EadroModel, adam: Adam, result: GradientResult): void {
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

/** A whole step by autodiff. */
export function trainStepAutodiff(model: EadroModel, batch: EadroBatch, adam: Adam): StepLosses {
  const result = autodiffGradients(model, batch);
  applyStep(model, adam, result);
  return result.losses;
}
