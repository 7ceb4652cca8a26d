/**
 * Seeded initial weights. tfjs's initialisers draw from their own generator, which our seed does not
 * control, so every initial value is drawn here from an `Rng` (src/core/rng.ts), following the
 * PyTorch/DGL defaults the reference model gets.
 */
import type { Rng } from '../../core/rng.js';

/** PyTorch nn.Linear / nn.Conv1d default: weight and bias ~ U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
export function torchDefaultUniform(rng: Rng, size: number, fanIn: number): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.uniform(-bound, bound);
  return out;
}

/** Glorot uniform U(-sqrt(6 / (fanIn + fanOut)), +): reference SelfAttention.glorot. */
export function glorotUniform(rng: Rng, size: number, fanIn: number, fanOut: number): Float32Array {
  const bound = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.uniform(-bound, bound);
  return out;
}

/** Xavier normal N(0, gain^2 * 2 / (fanIn + fanOut)): DGL GATv2Conv.reset_parameters (gain = sqrt(2), ReLU). */
export function xavierNormal(rng: Rng, size: number, fanIn: number, fanOut: number, gain = Math.SQRT2): Float32Array {
  const std = gain * Math.sqrt(2 / (fanIn + fanOut));
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.normal(0, std);
  return out;
}

export function filled(size: number, value: number): Float32Array {
  return new Float32Array(size).fill(value);
}
