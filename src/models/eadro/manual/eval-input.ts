/**
 * The inputs of the forward-only pass (eval-forward.ts), copied straight from a WindowDataset into
 * reused host buffers: the log features and the causal conv's im2col taps of both conv branches, rows
 * node-major (row n*B + b) as everywhere in manual/.
 *
 * Why not ../data.ts makeBatch: inference needs neither the metric and trace tensors (the taps replace
 * them) nor the conv positions past T. In eval mode BatchNorm uses its running statistics, so the
 * (k-1)*d right-padded positions that the reference order (Conv -> BN -> ReLU -> Chomp) evaluates
 * only feed the batch statistics and are then chomped: they cannot change an output, and the taps
 * here stop at T. Each tap row t, tap j reads time step t + j*d - (k-1)*d (zero outside [0, T)),
 * exactly as layers/causal-conv.ts causalTapsHost.
 */
import type { WindowDataset } from '../../../windows/types.js';
import type { EadroConfig } from '../config.js';
import { uses } from '../config.js';
import { hostMatrix, type HostMatrix, type Workspace } from './host.js';

export interface EvalInput {
  B: number;
  /** The nodes whose rows these are, in row-block order (all N unless the caller asked for fewer). */
  nodes: Int32Array;
  /** [n*B, E] log features, n = nodes.length, row s*B + b for node nodes[s] of window b. */
  logs: HostMatrix;
  /** [n*B*T, k*K] KPI taps (row (s*B + b)*T + t), when the KPI branch is used. */
  kpiTaps?: HostMatrix;
  /** [n*B*T, k] trace taps, when the trace branch is used. */
  traceTaps?: HostMatrix;
}

/**
 * x [T, Cin] (one node of one window, row-major) -> taps rows [T, k*Cin] written at `out[o..]`,
 * zeros where a tap falls before the window start.
 */
function writeTaps(x: Float32Array, from: number, T: number, Cin: number, k: number, d: number, out: Float32Array, o: number): void {
  const pad = (k - 1) * d;
  const width = k * Cin;
  // tap by tap: tap j of row t reads time step t + j*d - pad, zero before the window starts (plain
  // loops: per copy of Cin = 7 values, a subarray + set or a fill call costs more than the copy)
  for (let j = 0; j < k; j++) {
    const shift = j * d - pad; // <= 0
    for (let t = 0; t < T; t++) {
      const at = o + t * width + j * Cin;
      const src = t + shift;
      if (src < 0) {
        for (let c = 0; c < Cin; c++) out[at + c] = 0;
      } else {
        const s = from + src * Cin;
        for (let c = 0; c < Cin; c++) out[at + c] = x[s + c]!;
      }
    }
  }
}

/**
 * Windows `ids` of `ds` as the forward-only pass's input, in buffers of `ws` (valid until the next
 * call with the same workspace), for the rows of `nodes` only (default: every node, in order; see
 * eval-forward.ts for why a pass may need fewer). The caller has checked the indices
 * (../data.ts checkIndices) and the sizes (../data.ts datasetDims).
 */
export function fillEvalInput(ds: WindowDataset, ids: readonly number[], config: EadroConfig, ws: Workspace, nodes?: Int32Array): EvalInput {
  const N = ds.nodes.length;
  const K = ds.metricNames.length;
  const { T } = ds;
  const E = ds.eventNum;
  const B = ids.length;
  const rowNodes = nodes ?? Int32Array.from({ length: N }, (_, n) => n);
  const R = rowNodes.length * B;
  const k = config.kernelSize;
  const d = config.dilation;
  const logs = ws.take('input/logs', R * E);
  const kpi = uses(config, 'kpis') ? ws.take('input/kpiTaps', R * T * k * K) : undefined;
  const trace = uses(config, 'traces') ? ws.take('input/traceTaps', R * T * k) : undefined;
  const { logs: logsIn, metrics, traces } = ds;
  for (let b = 0; b < B; b++) {
    const w = ids[b]!;
    for (let slot = 0; slot < rowNodes.length; slot++) {
      const row = slot * B + b;
      const src = w * N + rowNodes[slot]!;
      for (let e = 0, a = src * E, z = row * E; e < E; e++) logs[z + e] = logsIn[a + e]!;
      if (kpi !== undefined) writeTaps(metrics, src * T * K, T, K, k, d, kpi, row * T * k * K);
      if (trace !== undefined) writeTaps(traces, src * T, T, 1, k, d, trace, row * T * k);
    }
  }
  const input: EvalInput = { B, nodes: rowNodes, logs: hostMatrix(logs, R, E) };
  if (kpi !== undefined) input.kpiTaps = hostMatrix(kpi, R * T, k * K);
  if (trace !== undefined) input.traceTaps = hostMatrix(trace, R * T, k);
  return input;
}
