/**
 * The early-fused multi-source series of the paper's derived baselines (paper §V-B2: "we transform all
 * data sources into time series: logs → event-occurrence sequences, traces → latency series, KPIs →
 * natural series"; `../shared/specs/baselines.md` §3.4): one tensor [B, N, T, C] per set of windows,
 * the C channels of service n in second t being
 *   - its K KPIs as they are (`ds.metrics`),
 *   - the lines it logged of each template in that second (`ds.logCounts`; not Hawkes intensities),
 *   - the mean latency (ms) of the spans it served in that second, 0 = none (`ds.traces`, paper §IV-A3).
 * MS-RF, MS-SVM, MS-LSTM and MS-DCC all read it through this module.
 *
 * Normalisation is Eadro's (`src/windows/normalize.ts`, `train-fitted`): every (service, channel) is
 * z-scored, (x − mean) / (std + 1e-8), with statistics of the TRAINING windows only (population std,
 * each second counted once per training window that holds it), so a channel constant on the training
 * windows maps to 0. On a window set normalised at build time (`reference-per-run`) KPIs and latency are
 * taken as they are and only the log channels are z-scored.
 *
 * A source with nothing in the training windows (no log counts kept, no span, no KPI column) has no
 * channel; `absent` says which and why, so that the methods report it instead of feeding zeros.
 */
import { EadroError } from '../core/errors.js';
import { normalizeDefaults } from './normalize.js';
import type { WindowDataset } from './types.js';

export type ChannelSource = 'kpi' | 'log' | 'latency';

export interface MultiSourceChannel {
  source: ChannelSource;
  /** KPI column name, `template <id>`, or `latency_ms`. */
  name: string;
}

/** Which channels exist and how each is scaled; fitted on training windows (`fitMultiSourceLayout`). */
export interface MultiSourceLayout {
  N: number;
  T: number;
  /** Channels per (service, second). */
  C: number;
  channels: MultiSourceChannel[];
  /** KPI column of each KPI channel (channels 0 .. kpiColumns.length − 1). */
  kpiColumns: number[];
  /** [E] log channel of each template id, −1 when it is not a channel (not seen in training). */
  logChannelOf: Int32Array;
  /** Channel of the latency series, or −1 when it is absent. */
  latencyChannel: number;
  /** [N · C] per (service, channel) mean and 1 / (std + eps) (identity for channels taken as they are). */
  mean: Float32Array;
  scale: Float32Array;
  /** One line per source without channels, with the reason (recorded with the runs). */
  absent: string[];
  /** Number of training windows the layout was fitted on. */
  fittedOn: number;
}

export const multiSourceDefaults = {
  /**
   * ours: a log channel per template that occurs in the training windows. A template never logged in
   * training is 0 on every training window, so no classifier can learn from it, and dropping it keeps C
   * near K + (templates in use) + 1 instead of K + E + 1. Template 0 (lines no template matched) is
   * kept whenever it occurs: unseen lines are a fault signal.
   */
  logTemplates: 'seen-in-train' as const,
};

function checkWindows(ds: WindowDataset, windows: readonly number[], field: string): void {
  for (const w of windows) {
    if (!(Number.isInteger(w) && w >= 0 && w < ds.W)) {
      throw new EadroError('Window index out of range.', { field, expected: `integers in [0, ${ds.W})`, found: String(w) });
    }
  }
}

/** Raw (unscaled) [N, T, C] block of window w into `out` (zeroed here first). */
function rawBlock(ds: WindowDataset, layout: Omit<MultiSourceLayout, 'mean' | 'scale' | 'absent' | 'fittedOn'>, w: number, out: Float32Array): void {
  const { N, T, C, kpiColumns, logChannelOf, latencyChannel } = layout;
  const K = ds.metricNames.length;
  const E = ds.eventNum;
  out.fill(0);
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < T; t++) {
      const row = (n * T + t) * C;
      const m = ((w * N + n) * T + t) * K;
      for (let c = 0; c < kpiColumns.length; c++) out[row + c] = ds.metrics[m + kpiColumns[c]!]!;
      if (latencyChannel >= 0) out[row + latencyChannel] = ds.traces[(w * N + n) * T + t]!;
    }
  }
  const lc = ds.logCounts;
  if (lc === undefined) return;
  const TE = T * E;
  for (let i = lc.offsets[w]!; i < lc.offsets[w + 1]!; i++) {
    const cell = lc.cell[i]!;
    const ch = logChannelOf[cell % E]!;
    if (ch < 0) continue;
    const n = Math.floor(cell / TE);
    const t = Math.floor((cell % TE) / E);
    out[(n * T + t) * C + ch] = lc.count[i]!;
  }
}

/** Choose the channels and fit their scaling on the training windows `train`. */
export function fitMultiSourceLayout(ds: WindowDataset, train: readonly number[]): MultiSourceLayout {
  if (train.length === 0) throw new EadroError('The training split is empty.', { field: 'split.train', expected: 'at least one window' });
  checkWindows(ds, train, 'split.train');
  const N = ds.nodes.length;
  const T = ds.T;
  const K = ds.metricNames.length;
  const E = ds.eventNum;
  const absent: string[] = [];
  // Which sources have anything in the training windows.
  const kpiColumns: number[] = [];
  for (let k = 0; k < K; k++) {
    let any = false;
    for (let i = 0; i < train.length && !any; i++) {
      const base = train[i]! * N * T * K;
      for (let j = k; j < N * T * K; j += K) if (ds.metrics[base + j] !== 0) { any = true; break; }
    }
    if (any) kpiColumns.push(k);
  }
  if (K === 0) absent.push('kpis: the window set has no KPI column');
  else if (kpiColumns.length === 0) absent.push('kpis: every KPI is 0 in every training window');
  else if (kpiColumns.length < K) absent.push(`kpis: ${K - kpiColumns.length} of ${K} columns are 0 in every training window (${ds.metricNames.filter((_, k) => !kpiColumns.includes(k)).join(', ')})`);
  let anySpan = false;
  for (let i = 0; i < train.length && !anySpan; i++) {
    const base = train[i]! * N * T;
    for (let j = 0; j < N * T; j++) if (ds.traces[base + j] !== 0) { anySpan = true; break; }
  }
  if (!anySpan) absent.push('traces: no span latency in any training window');
  const templates: number[] = [];
  const lc = ds.logCounts;
  if (lc === undefined) {
    absent.push('logs: the window set keeps no per-second log counts (built before window builder version 3, or from data without logs)');
  } else {
    const seen = new Uint8Array(E);
    for (const w of train) for (let i = lc.offsets[w]!; i < lc.offsets[w + 1]!; i++) seen[lc.cell[i]! % E] = 1;
    for (let e = 0; e < E; e++) if (seen[e] === 1) templates.push(e);
    if (templates.length === 0) absent.push('logs: no log line in any training window');
  }
  const channels: MultiSourceChannel[] = [
    ...kpiColumns.map((k): MultiSourceChannel => ({ source: 'kpi', name: ds.metricNames[k]! })),
    ...templates.map((e): MultiSourceChannel => ({ source: 'log', name: `template ${e}` })),
    ...(anySpan ? [{ source: 'latency', name: 'latency_ms' } as MultiSourceChannel] : []),
  ];
  const C = channels.length;
  if (C === 0) throw new EadroError('No source has any value in the training windows.', { field: 'dataset', expected: 'KPIs, spans or log lines in the training windows', found: absent.join('; ') });
  const logChannelOf = new Int32Array(E).fill(-1);
  templates.forEach((e, i) => (logChannelOf[e] = kpiColumns.length + i));
  const latencyChannel = anySpan ? C - 1 : -1;
  const base = { N, T, C, channels, kpiColumns, logChannelOf, latencyChannel };
  // Per (service, channel) statistics over the training windows' seconds, float64 (two passes).
  const sum = new Float64Array(N * C);
  const sq = new Float64Array(N * C);
  const block = new Float32Array(N * T * C);
  for (const w of train) {
    rawBlock(ds, base, w, block);
    for (let n = 0; n < N; n++) for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) sum[n * C + c]! += block[(n * T + t) * C + c]!;
  }
  const count = train.length * T;
  const mean64 = sum.map((v) => v / count);
  for (const w of train) {
    rawBlock(ds, base, w, block);
    for (let n = 0; n < N; n++) {
      for (let t = 0; t < T; t++) {
        for (let c = 0; c < C; c++) {
          const d = block[(n * T + t) * C + c]! - mean64[n * C + c]!;
          sq[n * C + c]! += d * d;
        }
      }
    }
  }
  const mean = new Float32Array(N * C);
  const scale = new Float32Array(N * C).fill(1);
  // A set normalised at build time keeps its KPIs and latency as they are (normalising twice is wrong).
  const prescaled = ds.normalization !== 'none';
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      if (prescaled && channels[c]!.source !== 'log') continue;
      mean[n * C + c] = mean64[n * C + c]!;
      scale[n * C + c] = 1 / (Math.sqrt(sq[n * C + c]! / count) + normalizeDefaults.epsilon);
    }
  }
  return { ...base, mean, scale, absent, fittedOn: train.length };
}

/** The scaled [N, T, C] block of window w into `out` (length N·T·C). */
export function multiSourceBlock(ds: WindowDataset, layout: MultiSourceLayout, w: number, out: Float32Array): void {
  if (ds.nodes.length !== layout.N || ds.T !== layout.T) {
    throw new EadroError('The window set does not match the fitted multi-source layout.', { field: 'dataset', expected: `N = ${layout.N}, T = ${layout.T}`, found: `N = ${ds.nodes.length}, T = ${ds.T}` });
  }
  rawBlock(ds, layout, w, out);
  const { N, T, C, mean, scale } = layout;
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < T; t++) {
      const row = (n * T + t) * C;
      for (let c = 0; c < C; c++) out[row + c] = (out[row + c]! - mean[n * C + c]!) * scale[n * C + c]!;
    }
  }
}

/** The scaled tensor [B, N, T, C] of `windows` (B = windows.length), C-order. */
export function multiSourceTensor(ds: WindowDataset, layout: MultiSourceLayout, windows: readonly number[]): Float32Array {
  checkWindows(ds, windows, 'windows');
  const size = layout.N * layout.T * layout.C;
  const out = new Float32Array(windows.length * size);
  windows.forEach((w, b) => multiSourceBlock(ds, layout, w, out.subarray(b * size, (b + 1) * size)));
  return out;
}
