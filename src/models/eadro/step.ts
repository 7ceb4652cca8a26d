/**
 * One training step: tfjs autodiff (tf.variableGrads) over the model, where the hot blocks carry
 * hand-written gradients through tf.customGrad (conv + BatchNorm + ReLU in layers/causal-conv.ts, the
 * max over GAT heads in layers/gatv2.ts), each tested against plain autodiff.
 */
import * as tf from '@tensorflow/tfjs';
import { eadroLoss } from './loss.js';
import { forwardEadro, type EadroBatch, type EadroModel } from './model.js';
import { updatedRunningStats } from './layers/causal-conv.js';
import type { Adam } from './adam.js';

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

/** A whole step by autodiff. */
export function trainStepAutodiff(model: EadroModel, batch: EadroBatch, adam: Adam): StepLosses {
  const result = autodiffGradients(model, batch);
  applyStep(model, adam, result);
  return result.losses;
}
