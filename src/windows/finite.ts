/**
 * A check that the model inputs of some windows are finite. Needed where a non-finite input does not
 * surface as a non-finite loss: on WebGPU, WGSL's max/min (ReLU, clamps) may return the other operand
 * for a NaN (measured on Mesa llvmpipe: MS-LSTM trained on NaN KPIs with a finite loss), so the
 * trainers' divergence stop never fires and the numbers would be silently wrong. The trainers call it
 * on device backends; on wasm and cpu the NaN reaches the loss and the divergence stop reports it.
 */
import { EadroError } from '../core/errors.js';
import type { WindowDataset } from './types.js';

/** Throws an EadroError naming the first non-finite input value of `windows` (field, window, service). */
export function assertFiniteInputs(ds: WindowDataset, windows: readonly number[], source = 'the window dataset'): void {
  const N = ds.nodes.length;
  const fields: [string, Float32Array, number][] = [
    ['logs', ds.logs, N * ds.eventNum],
    ['metrics', ds.metrics, N * ds.T * ds.metricNames.length],
    ['traces', ds.traces, N * ds.T],
  ];
  for (const w of windows) {
    for (const [field, data, perWindow] of fields) {
      const from = w * perWindow;
      for (let i = from; i < from + perWindow; i++) {
        if (!Number.isFinite(data[i]!)) {
          const service = ds.nodes[Math.floor((i - from) / (perWindow / N))] ?? '?';
          throw new EadroError('A model input is not finite.', {
            file: source,
            field: `${field} of window ${w}, service ${service}`,
            expected: 'finite numbers (NaN/Inf would not reach the loss on a GPU backend, so training could not notice them)',
            found: String(data[i]),
          });
        }
      }
    }
  }
}
