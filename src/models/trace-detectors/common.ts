/**
 * What the two trace detectors (TraceAnomaly, MultimodalTrace; baselines.md §3.3) share: seeded weight
 * creation, Adam with global-norm gradient clipping, a held-out part of the training traces, and the
 * early-stopping loop over epochs. Both train on NORMAL traces only (those of the normal training
 * windows) and select their weights on a held-out share of them, never on labelled windows; the window
 * threshold is chosen afterwards (src/baselines/trace-window-rule.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { createRng, type Rng } from '../../core/rng.js';
import { quantileSorted } from '../../core/stats.js';
import { Adam } from '../eadro/adam.js';

/** [name, shape, values] of a weight to create. */
export type ParamSpec = [string, number[], Float32Array];

/** Dense layer weights: Glorot-uniform kernel [fanIn, fanOut] and zero bias (TensorFlow's defaults, as the TF1 code of TraceAnomaly gets). */
export function denseParams(name: string, fanIn: number, fanOut: number, rng: Rng): ParamSpec[] {
  const bound = Math.sqrt(6 / (fanIn + fanOut));
  const r = rng.fork(name);
  const w = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < w.length; i++) w[i] = r.uniform(-bound, bound);
  return [
    [`${name}.w`, [fanIn, fanOut], w],
    [`${name}.b`, [fanOut], new Float32Array(fanOut)],
  ];
}

export function createParams(specs: readonly ParamSpec[]): Map<string, tf.Variable> {
  return new Map(specs.map(([name, shape, values]) => [name, tf.tidy(() => tf.variable(tf.tensor(values, shape), true))]));
}

export function dense(params: Map<string, tf.Variable>, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(x, params.get(`${name}.w`)!), params.get(`${name}.b`)!);
}

/** The weights of the epoch with the lowest held-out criterion so far, kept in memory. */
export class BestWeights {
  private saved: Map<string, tf.Tensor> | null = null;
  /** Criterion of the kept weights (Infinity while none are kept). */
  value = Number.POSITIVE_INFINITY;
  /** 1-based epoch of the kept weights (0 while none are kept). */
  epoch = 0;

  /** Keep the current weights when `value` is lower than the kept one (or none are kept). */
  offer(params: Map<string, tf.Variable>, value: number, epoch: number): boolean {
    if (this.saved !== null && !(value < this.value)) return false;
    this.dispose();
    this.saved = new Map([...params].map(([k, v]) => [k, tf.clone(v)]));
    this.value = value;
    this.epoch = epoch;
    return true;
  }

  /** Checks since the kept weights were taken. */
  private sinceBest = 0;

  /** Offer an epoch's weights (see `offer`); true when `patience` checks in a row brought nothing better: stop. */
  offerOrStop(params: Map<string, tf.Variable>, value: number, epoch: number, patience: number): boolean {
    if (this.offer(params, value, epoch)) {
      this.sinceBest = 0;
      return false;
    }
    return ++this.sinceBest >= patience;
  }

  /** Put the kept weights back (if any) and free the copies. */
  restoreInto(params: Map<string, tf.Variable>): void {
    if (this.saved !== null) for (const [k, v] of params) v.assign(this.saved.get(k)!);
    this.dispose();
  }

  dispose(): void {
    if (this.saved !== null) disposeAll(this.saved.values());
    this.saved = null;
  }
}

/** End a training loop: stop the progress bar, free the optimizer state, and on failure the model too. */
export function endTraining(progress: { stop(): void }, adam: Adam, best: BestWeights, failedModel?: Iterable<tf.Tensor>): void {
  progress.stop();
  adam.dispose();
  if (failedModel !== undefined) {
    best.dispose();
    disposeAll(failedModel);
  }
}

export function disposeAll(tensors: Iterable<tf.Tensor>): void {
  for (const t of tensors) t.dispose();
}

/**
 * One optimisation step: gradients of `loss` by tfjs autodiff, clipped to a global L2 norm of
 * `clipNorm` (TensorFlow's clip_by_global_norm; Infinity = no clipping), then Adam. Returns the loss.
 */
export async function adamStep(params: Map<string, tf.Variable>, adam: Adam, loss: () => tf.Scalar, clipNorm: number): Promise<number> {
  const { value, grads } = tf.variableGrads(loss, [...params.values()]);
  const byName = new Map([...params].map(([k, v]) => [k, grads[v.name]!]));
  let clipped = byName;
  if (Number.isFinite(clipNorm)) {
    const norm = (await tf.tidy(() => tf.sqrt(tf.addN([...byName.values()].map((g) => tf.sum(tf.square(g)))))).data())[0]!;
    if (norm > clipNorm) {
      const f = clipNorm / norm;
      clipped = new Map([...byName].map(([k, g]) => [k, tf.mul(g, f)]));
    }
  }
  adam.apply(params, clipped);
  const out = (await value.data())[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  if (clipped !== byName) disposeAll(clipped.values());
  return out;
}

/**
 * Split training traces into fit and held-out parts (seeded shuffle; at least one trace each when
 * there are two or more), after subsampling to `maxTraces` (Infinity = all).
 */
export function holdOut(traces: readonly number[], share: number, maxTraces: number, seed: number): { fit: number[]; heldOut: number[]; subsampledFrom: number } {
  const order = createRng(seed).fork('trace-holdout').shuffle([...traces]);
  const kept = Number.isFinite(maxTraces) ? order.slice(0, Math.max(0, Math.floor(maxTraces))) : order;
  let nHeld = Math.round(kept.length * share);
  if (kept.length >= 2) nHeld = Math.min(kept.length - 1, Math.max(1, nHeld));
  else nHeld = 0;
  const heldOut = kept.slice(0, nHeld).sort((a, b) => a - b);
  const fit = kept.slice(nHeld).sort((a, b) => a - b);
  return { fit, heldOut, subsampledFrom: traces.length };
}

/** The epoch order of `n` rows: a shuffle by the seed's `epoch-e` substream (a rerun replays it). */
export function shuffledRows(n: number, seed: number, epoch: number): number[] {
  return createRng(seed).fork(`epoch-${epoch}`).shuffle(Array.from({ length: n }, (_, i) => i));
}

/** Rows `ids` of a row-major [n, D] matrix. */
export function gatherRows(x: Float32Array, D: number, ids: ArrayLike<number>): Float32Array {
  const out = new Float32Array(ids.length * D);
  for (let i = 0; i < ids.length; i++) out.set(x.subarray(ids[i]! * D, (ids[i]! + 1) * D), i * D);
  return out;
}

/** The q-quantile (linear interpolation, numpy's default) of the finite values; NaN when none. */
export function quantile(values: ArrayLike<number>, q: number): number {
  return quantileSorted(Array.from(values).filter((x) => Number.isFinite(x)).sort((a, b) => a - b), q);
}

export { Adam };
