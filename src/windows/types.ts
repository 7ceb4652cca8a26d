/**
 * The window dataset: what the feature stage builds and every model, baseline and protocol consumes.
 * Layout matches the `.npy` export (`../shared/specs/data-formats.md` §2). Tensors are flat, C-order,
 * float32 unless said otherwise.
 */
import type { TraceSet } from '../features/trace-records.js';

export interface WindowDataset {
  /** Service names; node index i is nodes[i]. */
  nodes: string[];
  /** Graph edges as [src ids, dst ids]. Direction is given by `edgeDirection`. */
  edges: [number[], number[]];
  /** `callee->caller` (paper §IV-B1) or `caller->callee` (official code). Self-loops included iff listed. */
  edgeDirection: 'callee->caller' | 'caller->callee';
  /** Window length in seconds (= time slots), default 10. */
  T: number;
  /** KPI column names, K = metricNames.length. */
  metricNames: string[];
  /** Number of log event types E (event 0 = unseen / unmatched lines). */
  eventNum: number;
  /** Number of windows W. */
  W: number;
  /** [W, N, E] Hawkes baseline intensities per window, service, event. */
  logs: Float32Array;
  /** [W, N, T, K] KPIs per window, service, second, indicator. */
  metrics: Float32Array;
  /** [W, N, T, 1] mean latency (ms) of spans served per second, 0 where no span. */
  traces: Float32Array;
  /** [W] -1 = normal window, else the culprit node index. */
  labels: Int32Array;
  /** Per-window bookkeeping, columnar, length W each. */
  meta: WindowMeta;
  /** Whether metrics/traces are already normalised, and how. */
  normalization: 'none' | 'train-fitted' | 'reference-per-run';
  /**
   * Log template counts per second, sparse (src/features/log-counts.ts): what the paper's derived
   * multi-source baselines read from logs. Absent for window sets built before they were kept, or
   * made without logs; those methods then run without log channels and say so.
   */
  logCounts?: LogCounts;
  /**
   * Whole traces with the traces of each window (src/features/trace-records.ts): what the trace
   * detectors of paper Table II read. Absent for window sets built before builder v4 or from data
   * without spans; those detectors then refuse with a message.
   */
  traceSet?: TraceSet;
}

/**
 * Lines of each log template per (window, service, second), compressed by window: the non-zero cells of
 * window w are `cell[offsets[w] .. offsets[w + 1])`, each the flat index n·T·E + t·E + e into the
 * window's dense [N, T, E] block, with its line count in `count`.
 */
export interface LogCounts {
  /** [W + 1] int32 offsets into `cell` and `count`. */
  offsets: Int32Array;
  /** Flat (service, second, template) index of each non-zero cell. */
  cell: Int32Array;
  /** Lines logged in that cell (float32, whole numbers). */
  count: Float32Array;
}

export interface WindowMeta {
  /** Window start, unix seconds; the window covers [start, start + T). */
  start: Float64Array;
  /** Run folder id of each window. */
  runId: string[];
  /**
   * Fault episode id: one injection plus the normal gap that follows it in the same run (windows of a
   * run before its first injection belong to that first episode). Windows of fault-free runs get one
   * episode per run. Episodes are the unit of independence for splits and the cluster bootstrap.
   */
  episodeId: Int32Array;
  /** Fault type of the window's label ('' for normal windows). */
  faultType: string[];
  /** Culprit service of the episode the window belongs to ('' for fault-free runs). */
  episodeService: string[];
}

/** Indices of windows in each part of a split. */
export interface Split {
  train: number[];
  val: number[];
  test: number[];
}
