/** Shared helpers of the Eadro tests: backend init once, small synthetic data, tensor comparisons. */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/core/backend.js';
import { makeSyntheticWindows, type SyntheticOptions } from '../../../src/models/synthetic.js';
import type { WindowDataset } from '../../../src/windows/types.js';
import type { GradientResult } from '../../../src/models/eadro/step.js';
import { maxRelDiff as parityMaxRelDiff } from '../../../src/models/eadro/backend-parity.js';

let ready: Promise<unknown> | null = null;

/**
 * The wasm backend (as initBackend picks here); tests are about numbers, not the backend choice.
 * EADRO_BACKEND=cpu or webgpu runs the model tests on that backend instead (tests that read
 * synchronously fail on webgpu: the library's own paths read with await).
 */
export async function useTestBackend(): Promise<void> {
  const asked = process.env['EADRO_BACKEND'];
  ready ??= initBackend(asked === 'cpu' || asked === 'webgpu' ? asked : 'wasm');
  await ready;
}

export function tinyDataset(partial: Partial<SyntheticOptions> = {}): WindowDataset {
  return makeSyntheticWindows({ N: 5, T: 6, K: 3, E: 4, W: 40, seed: 7, ...partial });
}

/** max |a - b| relative to max(1, max |b|) (backend-parity.ts), asserting equal lengths. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'length');
  return parityMaxRelDiff(a, b);
}

export function values(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

/** Every parameter (those `keep` accepts, in the model's order) as one host array. */
export function flatParams(model: { params: Map<string, tf.Variable> }, keep: (name: string) => boolean = () => true): Float32Array {
  const flat = tf.tidy(() => tf.concat([...model.params].filter(([k]) => keep(k)).map(([, v]) => v.reshape([-1]))));
  const out = values(flat).slice();
  flat.dispose();
  return out;
}

/** A step's losses, gradients and BatchNorm statistics as host arrays (disposes the tensors). */
export interface HostResult {
  losses: number[];
  grads: Map<string, Float32Array>;
  bn: Map<string, Float32Array>;
}

export function gradientsToHost(r: GradientResult): HostResult {
  const grads = new Map<string, Float32Array>();
  for (const [k, g] of r.grads) grads.set(k, values(g).slice());
  const bn = new Map<string, Float32Array>();
  for (const [k, s] of r.bnBatch) {
    bn.set(`${k}.mean`, values(s.mean).slice());
    bn.set(`${k}.variance`, values(s.variance).slice());
    bn.set(`${k}.rows`, Float32Array.of(s.rows));
  }
  tf.dispose([...r.grads.values(), ...[...r.bnBatch.values()].flatMap((s) => [s.mean, s.variance])]);
  return { losses: [r.losses.total, r.losses.detect, r.losses.locate], grads, bn };
}

/** Mocha hooks that silence the trainer's per-epoch lines (EADRO_QUIET=1) for a describe block. */
export function quietTraining(): void {
  let quiet: string | undefined;
  before(() => {
    quiet = process.env['EADRO_QUIET'];
    process.env['EADRO_QUIET'] = '1';
  });
  after(() => {
    if (quiet === undefined) delete process.env['EADRO_QUIET'];
    else process.env['EADRO_QUIET'] = quiet;
  });
}
