/**
 * Where the few non-tfjs pieces of the training step run. On wasm and cpu, row gathers, the GAT's
 * segment max and head max and the softmax-QKV attention rows are loops over host arrays (heap views on
 * wasm: faster than the stock kernels there, see row-gather.ts, gatv2.ts, time-attention.ts). On a GPU
 * each of them would copy its tensor to the host and back every step, so on `device` placement the same
 * maths runs as tfjs ops (tf.gather, tf.unsortedSegmentSum, masked max, the plain attention formula)
 * and every tensor of the step stays on the device. Both give the same values up to float32 rounding
 * (test/models/eadro/placement.test.ts).
 *
 * `auto` (default): host on wasm and cpu, device on every other backend (webgpu, tensorflow).
 * EADRO_OPS=host|device or setOpPlacement forces one (tests run the device ops on cpu).
 */
import * as tf from '@tensorflow/tfjs';
import { EadroError } from '../../../core/errors.js';

export type OpPlacement = 'host' | 'device';

/** Backends on which host-array loops beat the stock kernels (their tensors are host memory). */
const HOST_BACKENDS: readonly string[] = ['wasm', 'cpu'];

let forced: OpPlacement | null = null;

/** Force a placement (null or 'auto' = decide by the active backend). */
export function setOpPlacement(p: OpPlacement | 'auto' | null): void {
  forced = p === 'auto' ? null : p;
}

export function opPlacement(): OpPlacement {
  if (forced !== null) return forced;
  const env = process.env['EADRO_OPS'];
  if (env === 'host' || env === 'device') return env;
  if (env !== undefined && env !== '' && env !== 'auto') {
    throw new EadroError(`Unknown op placement "${env}".`, { field: 'EADRO_OPS', expected: 'auto, host or device', found: env });
  }
  return HOST_BACKENDS.includes(tf.getBackend()) ? 'host' : 'device';
}
