/**
 * The same few training steps on two backends, compared: what the WebGPU tests (test/models/eadro/
 * webgpu.test.ts, on CI's software adapter) and the prepared GPU check (scripts/gpu/check.ts, on an
 * NVIDIA adapter) both assert. Both backends run the device placement (layers/placement.ts), so the
 * same ops run on each and any difference is the backend's arithmetic.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../../core/backend.js';
import type { WindowDataset } from '../../windows/types.js';
import { Adam } from './adam.js';
import type { EadroConfig } from './config.js';
import { datasetDims, disposeBatch, makeBatch } from './data.js';
import { createEadro, disposeEadro } from './model.js';
import { opPlacement, setOpPlacement } from './layers/placement.js';
import { applyStep, autodiffGradientTensors, chooseStep, trainStepAsync } from './step.js';

export const parityDefaults = {
  steps: 3, // ours: enough for Adam's moments to carry a difference forward
  batchSize: 12, // ours: a small batch with normal and faulty windows of the tiny datasets
  learningRate: 1e-2, // ours: 10x the paper's, so that the weights move measurably in 3 steps
  // float32 on two devices sums in another order; measured on Mesa llvmpipe (WebGPU over OpenGL ES):
  // losses within ~1e-6 relative, gradients ~1e-5, weights after 3 steps ~2e-5
  lossTolerance: 1e-4,
  gradientTolerance: 1e-3,
  weightTolerance: 1e-4,
};

/**
 * Parameters whose true gradient is zero: the conv biases feed BatchNorm (the batch mean removes them)
 * and the pooling gate's bias shifts a softmax. Their computed gradients are float32 noise (~1e-9),
 * which Adam divides by its own square root into steps of about the learning rate with a random sign:
 * their values differ between any two devices, so they are checked for a zero gradient instead.
 */
export const ZERO_GRADIENT_PARAMS = /(conv\.bias|pool\.gate\.bias)$/;

export interface StepTrace {
  backend: string;
  losses: number[];
  firstGradients: Map<string, Float32Array>;
  weights: Map<string, Float32Array>;
}

/** `steps` Adam steps of the seeded model on `backend`, everything read back with `await data()`. */
export async function traceSteps(
  backend: BackendName,
  ds: WindowDataset,
  config: Partial<EadroConfig>,
  seed: number,
  opts: Partial<typeof parityDefaults> = {},
): Promise<StepTrace> {
  const o = { ...parityDefaults, ...opts };
  await initBackend(backend);
  const before = opPlacement();
  setOpPlacement('device');
  try {
    const model = createEadro(config, datasetDims(ds), seed);
    const adam = new Adam({ learningRate: o.learningRate, beta1: model.config.adamBeta1, beta2: model.config.adamBeta2, epsilon: model.config.adamEpsilon });
    const step = chooseStep(model.config);
    const out: StepTrace = { backend: tf.getBackend(), losses: [], firstGradients: new Map(), weights: new Map() };
    for (let s = 0; s < o.steps; s++) {
      const ids = Array.from({ length: Math.min(o.batchSize, ds.W) }, (_, i) => (i * 3 + s) % ds.W);
      const batch = makeBatch(ds, ids, model.config);
      if (s === 0) {
        const r = autodiffGradientTensors(model, batch);
        for (const [k, g] of r.grads) out.firstGradients.set(k, (await g.data()) as Float32Array);
        out.losses.push((await r.losses.data())[0]!);
        r.losses.dispose();
        applyStep(model, adam, { ...r, losses: { total: 0, detect: 0, locate: 0 } });
      } else {
        out.losses.push((await trainStepAsync(model, batch, adam, step)).total);
      }
      disposeBatch(batch);
    }
    for (const [k, v] of model.params) out.weights.set(k, (await v.data()) as Float32Array);
    disposeEadro(model);
    adam.dispose();
    return out;
  } finally {
    setOpPlacement(before === 'device' ? 'device' : 'auto');
  }
}

/** max |a - b| relative to max(1, max |b|). */
function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

export interface ParityReport {
  /** Per step: |loss_a - loss_b| / max(1, |loss_b|). */
  lossRelDiff: number[];
  /** The worst parameter of the first step's gradients and of the final weights, zero-gradient ones aside. */
  gradientRelDiff: { max: number; param: string };
  weightRelDiff: { max: number; param: string };
  /** Largest |gradient| of the zero-gradient parameters on either backend (float32 noise). */
  zeroGradientMax: number;
  /** Whether the candidate learned where the reference did (last loss below the first). */
  learns: boolean;
  ok: boolean;
  /** What failed, in words (empty when ok). */
  failures: string[];
}

/** Compare `candidate` against `reference` with the tolerances of parityDefaults. */
export function compareTraces(candidate: StepTrace, reference: StepTrace, tolerances: Partial<typeof parityDefaults> = {}): ParityReport {
  const t = { ...parityDefaults, ...tolerances };
  const failures: string[] = [];
  const lossRelDiff = reference.losses.map((l, i) => Math.abs(l - candidate.losses[i]!) / Math.max(1, Math.abs(l)));
  lossRelDiff.forEach((d, i) => {
    if (!(d <= t.lossTolerance)) failures.push(`step ${i + 1} loss: ${reference.backend} ${reference.losses[i]}, ${candidate.backend} ${candidate.losses[i]}`);
  });
  const worst = (a: Map<string, Float32Array>, b: Map<string, Float32Array>) => {
    let max = 0;
    let param = '';
    for (const [k, v] of b) {
      if (ZERO_GRADIENT_PARAMS.test(k)) continue;
      const other = a.get(k);
      const d = other === undefined || other.length !== v.length ? Number.POSITIVE_INFINITY : maxRelDiff(other, v);
      if (!(d <= max)) (max = d), (param = k);
    }
    return { max, param };
  };
  const gradientRelDiff = worst(candidate.firstGradients, reference.firstGradients);
  if (!(gradientRelDiff.max < t.gradientTolerance)) failures.push(`gradient ${gradientRelDiff.param}: max relative difference ${gradientRelDiff.max}`);
  const weightRelDiff = worst(candidate.weights, reference.weights);
  if (!(weightRelDiff.max < t.weightTolerance)) failures.push(`weights ${weightRelDiff.param}: max relative difference ${weightRelDiff.max}`);
  let zeroGradientMax = 0;
  for (const trace of [candidate, reference]) {
    for (const [k, g] of trace.firstGradients) if (ZERO_GRADIENT_PARAMS.test(k)) for (const v of g) zeroGradientMax = Math.max(zeroGradientMax, Math.abs(v));
  }
  if (!(zeroGradientMax < 1e-5)) failures.push(`a parameter whose true gradient is 0 got ${zeroGradientMax}`);
  const n = candidate.losses.length;
  const learns = candidate.losses[n - 1]! < candidate.losses[0]! || reference.losses[n - 1]! >= reference.losses[0]!;
  if (!learns) failures.push(`${candidate.backend} loss did not fall where ${reference.backend}'s did`);
  return { lossRelDiff, gradientRelDiff, weightRelDiff, zeroGradientMax, learns, ok: failures.length === 0, failures };
}
