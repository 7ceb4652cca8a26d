/** Shared helpers of the Eadro tests: backend init once, small synthetic data, tensor comparisons. */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/core/backend.js';
import { makeSyntheticWindows, type SyntheticOptions } from '../../../src/models/synthetic.js';
import type { WindowDataset } from '../../../src/windows/types.js';

let ready: Promise<unknown> | null = null;

/** The wasm backend (as initBackend picks here); tests are about numbers, not the backend choice. */
export async function useTestBackend(): Promise<void> {
  ready ??= initBackend(process.env['EADRO_BACKEND'] === 'cpu' ? 'cpu' : 'wasm');
  await ready;
}

export function tinyDataset(partial: Partial<SyntheticOptions> = {}): WindowDataset {
  return makeSyntheticWindows({ N: 5, T: 6, K: 3, E: 4, W: 40, seed: 7, ...partial });
}

/** max |a - b| relative to max(1, max |b|). */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'length');
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

export function values(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}
