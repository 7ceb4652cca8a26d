/**
 * From a WindowDataset (src/windows/types.ts) to model batches: checks the arrays against the declared
 * sizes, and copies the chosen windows into node-major rows ([N*B, ...], row = n*B + b).
 */
import * as tf from '@tensorflow/tfjs';
import { EadroError } from '../../core/errors.js';
import type { WindowDataset } from '../../windows/types.js';
import type { EadroBatch, EadroDims } from './model.js';
import type { EadroConfig } from './config.js';
import { causalTapsHost } from './layers/causal-conv.js';

/** Model sizes of a dataset, checked. */
export function datasetDims(ds: WindowDataset): EadroDims {
  const N = ds.nodes.length;
  const K = ds.metricNames.length;
  const { T, W } = ds;
  const E = ds.eventNum;
  const expect = (field: string, actual: number, expected: number, shape: string): void => {
    if (actual !== expected) {
      throw new EadroError('Window dataset array has the wrong size.', { field, expected: `${expected} values (${shape})`, found: `${actual}` });
    }
  };
  expect('logs', ds.logs.length, W * N * E, `[W=${W}, N=${N}, E=${E}]`);
  expect('metrics', ds.metrics.length, W * N * T * K, `[W=${W}, N=${N}, T=${T}, K=${K}]`);
  expect('traces', ds.traces.length, W * N * T, `[W=${W}, N=${N}, T=${T}, 1]`);
  expect('labels', ds.labels.length, W, `[W=${W}]`);
  return { N, T, K, E, edges: ds.edges, edgeDirection: ds.edgeDirection, nodes: ds.nodes };
}

/** Check window indices and labels once before training or inference. */
export function checkIndices(ds: WindowDataset, indices: readonly number[], field: string): void {
  const N = ds.nodes.length;
  for (const w of indices) {
    if (!Number.isInteger(w) || w < 0 || w >= ds.W) {
      throw new EadroError('Window index out of range.', { field, expected: `integers in [0, ${ds.W})`, found: String(w) });
    }
    const l = ds.labels[w]!;
    if (l < -1 || l >= N) {
      throw new EadroError('Window label out of range.', { field: `labels[${w}]`, expected: `-1 or a node index < ${N}`, found: String(l) });
    }
  }
}

/**
 * Copy windows `indices` of `ds` into a batch (tensors owned by the caller). With `config`, the conv
 * branches' im2col is built here on the host (see causalTapsHost), which the forward pass then uses.
 */
export function makeBatch(ds: WindowDataset, indices: readonly number[], config?: EadroConfig): EadroBatch {
  const N = ds.nodes.length;
  const K = ds.metricNames.length;
  const { T } = ds;
  const E = ds.eventNum;
  const B = indices.length;
  const logs = new Float32Array(B * N * E);
  const metrics = new Float32Array(B * N * T * K);
  const traces = new Float32Array(B * N * T);
  const labels = new Int32Array(B);
  const TK = T * K;
  indices.forEach((w, b) => {
    for (let n = 0; n < N; n++) {
      const row = n * B + b;
      const src = w * N + n;
      logs.set(ds.logs.subarray(src * E, (src + 1) * E), row * E);
      metrics.set(ds.metrics.subarray(src * TK, (src + 1) * TK), row * TK);
      traces.set(ds.traces.subarray(src * T, (src + 1) * T), row * T);
    }
    labels[b] = ds.labels[w]!;
  });
  const batch: EadroBatch = {
    B,
    logs: tf.tensor2d(logs, [N * B, E]),
    metrics: tf.tensor3d(metrics, [N * B, T, K]),
    traces: tf.tensor3d(traces, [N * B, T, 1]),
    labels,
  };
  if (config !== undefined) {
    const opts = { kernelSize: config.kernelSize, dilation: config.dilation, batchNormBeforeChomp: config.batchNormBeforeChomp, epsilon: config.batchNormEpsilon };
    if (!config.without.includes('kpis')) {
      const { cols, tOut } = causalTapsHost(metrics, N * B, T, K, opts);
      batch.kpiTaps = { cols: tf.tensor2d(cols, [N * B * tOut, config.kernelSize * K]), tOut };
    }
    if (!config.without.includes('traces')) {
      const { cols, tOut } = causalTapsHost(traces, N * B, T, 1, opts);
      batch.traceTaps = { cols: tf.tensor2d(cols, [N * B * tOut, config.kernelSize]), tOut };
    }
  }
  return batch;
}

export function disposeBatch(batch: EadroBatch): void {
  batch.logs.dispose();
  batch.metrics.dispose();
  batch.traces.dispose();
  batch.kpiTaps?.cols.dispose();
  batch.traceTaps?.cols.dispose();
}
