/**
 * The training state a worker replica starts from, as a structured-cloneable message, and a
 * fingerprint of a replica's weights that the main thread compares after every epoch (the replicas
 * must stay bit-identical; a difference is a bug, reported instead of training on silently).
 */
import * as tf from '@tensorflow/tfjs';
import { sha256Hex } from '../../../core/hash.js';
import { Adam, type AdamOptions } from '../adam.js';
import { createEadro, type EadroModel } from '../model.js';
import type { EadroConfig } from '../config.js';

export interface ReplicaState {
  config: EadroConfig;
  /** The model's dims: edges already in the config's direction (createEadro does not reverse them again). */
  dims: EadroModel['dims'];
  seed: number;
  /** Parameter values in the model's order, name and flat values. */
  params: [string, Float32Array][];
  /** BatchNorm running mean and variance per branch, [C] each. */
  bn: ['kpi' | 'trace', Float32Array, Float32Array][];
  adam: { options: AdamOptions; step: number; m: [string, Float32Array][]; v: [string, Float32Array][] };
}

/** Copy a model and its optimiser into a message (host copies: the sender keeps training). */
export function captureState(model: EadroModel, adam: Adam): ReplicaState {
  const read = (t: tf.Tensor): Float32Array => Float32Array.from(t.dataSync() as Float32Array);
  return {
    config: model.config,
    dims: model.dims,
    seed: model.seed,
    params: [...model.params].map(([name, v]) => [name, read(v)]),
    bn: [...model.bnState].map(([branch, s]) => [branch, read(s.mean), read(s.variance)]),
    adam: {
      options: adam.opts,
      step: adam.step,
      m: [...adam.m].map(([name, t]) => [name, read(t)]),
      v: [...adam.v].map(([name, t]) => [name, read(t)]),
    },
  };
}

/** A model and optimiser equal to the captured ones (in this thread's tfjs backend). */
export function restoreState(state: ReplicaState): { model: EadroModel; adam: Adam } {
  const model = createEadro(state.config, state.dims, state.seed);
  for (const [name, values] of state.params) {
    const variable = model.params.get(name);
    if (variable === undefined) throw new Error(`replica state: the model has no parameter ${name}`);
    variable.assign(tf.tensor(values, variable.shape));
  }
  for (const [branch, mean, variance] of state.bn) {
    const old = model.bnState.get(branch)!;
    tf.dispose([old.mean, old.variance]);
    model.bnState.set(branch, { mean: tf.tensor1d(mean), variance: tf.tensor1d(variance) });
  }
  const adam = new Adam(state.adam.options);
  adam.step = state.adam.step;
  for (const [name, values] of state.adam.m) adam.m.set(name, tf.tensor(values, model.params.get(name)!.shape));
  for (const [name, values] of state.adam.v) adam.v.set(name, tf.tensor(values, model.params.get(name)!.shape));
  return { model, adam };
}

/** SHA-256 of every parameter's and running statistic's bytes, in model order. */
export function weightsFingerprint(model: EadroModel): string {
  const parts: Float32Array[] = [];
  for (const v of model.params.values()) parts.push(v.dataSync() as Float32Array);
  for (const s of model.bnState.values()) parts.push(s.mean.dataSync() as Float32Array, s.variance.dataSync() as Float32Array);
  const total = parts.reduce((a, p) => a + p.length, 0);
  const all = new Float32Array(total);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return sha256Hex(new Uint8Array(all.buffer));
}
