/**
 * The contract between the harness and a method (Eadro, a baseline, a trivial detector). A method
 * trains on `split.train` (choosing checkpoints on `split.val`, or on `split.test` only when
 * `split.modelSelection === 'test'`, the reference protocol's leak) and returns its raw outputs for
 * `split.test`. It never computes metrics: the harness scores every method with the same code
 * (`src/evaluation/metrics.ts`).
 */
import type { BackendInfo } from '../core/backend.js';
import type { ProtocolSplit } from '../evaluation/protocols.js';
import type { WindowDataset } from '../windows/types.js';
import type { MethodSpec } from './config.js';

export interface RunContext {
  /** Seed of this run: weight init, batching, random baselines (derive streams with createRng(seed).fork). */
  seed: number;
  /** A folder this run may write to (checkpoints, logs), inside the run's results folder; the method creates it if it needs it. */
  workDir: string;
  /** The method entry of the config: variant, ablation, params. */
  method: MethodSpec;
  /** Report progress of this run (e.g. epochs); shown per run by the grid runner. */
  progress: (done: number, total: number, status?: string) => void;
  /**
   * Where the run's windows came from (a raw folder, its content checksum, the window config), so that
   * a method can save a model that `eadro evaluate` / `eadro explain` open later; absent for generated data.
   */
  dataSource?: { path: string; sha256: string | null; windowConfig: Record<string, unknown> };
}

/** Raw outputs on the test windows, aligned with `windows` (= split.test, same order). */
export interface RunResult {
  /** [B] test window indices into the dataset. */
  windows: number[];
  /** [B] anomaly score, higher = more anomalous; null if the method only gives decisions. */
  anomalyScore: number[] | null;
  /** [B] detector decision. */
  predictedAnomalous: boolean[];
  /** [B][N] node ids, most likely culprit first; null for detection-only methods. */
  ranking: number[][] | null;
  /** Mean inference time per window in microseconds, measured by the method; null if not measured. */
  inferUsPerWindow: number | null;
  /** Backend that ran the method, when it used tfjs (recorded in the manifest). */
  backend?: BackendInfo;
  /** Anything else worth recording (epochs run, selected checkpoint, thresholds ...). */
  info?: Record<string, unknown>;
}

export interface Method {
  /** Registry name. */
  name: string;
  /** One line for listings. */
  description: string;
  fitAndEvaluate(ds: WindowDataset, split: ProtocolSplit, ctx: RunContext): Promise<RunResult>;
}

/** Builds a window dataset for a dataset spec + pipeline config (`generated` datasets). */
export type DatasetGenerator = (params: Record<string, unknown>, pipeline: Record<string, unknown>) => Promise<WindowDataset> | WindowDataset;

/** A module that adds methods or dataset generators (tests, user studies): loaded by every worker. */
export interface HarnessExtension {
  methods?: Method[];
  generators?: Record<string, DatasetGenerator>;
}
