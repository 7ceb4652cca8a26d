/**
 * The contract every baseline implements (one algorithm per file in this folder). A detector is fitted
 * on training windows (selecting its own settings on a selection part), then scores windows; a
 * localizer ranks the services of windows. The harness adapter (src/experiments/methods/baseline.ts)
 * turns a detector, a localizer or both into a method of the experiment runner, so every baseline is
 * scored by the same metrics code as Eadro.
 */
import { EadroError } from '../core/errors.js';
import type { WindowDataset } from '../windows/types.js';

/** What a baseline sees when fitting: the dataset and the window indices of each part. */
export interface FitInput {
  ds: WindowDataset;
  /** Training windows (both classes; a detector fitted on normal data picks the normal ones). */
  train: readonly number[];
  /** Windows the baseline may select its settings on (validation, or test under the reference protocol). */
  select: readonly number[];
  /** Seed of the run, for baselines with random parts. */
  seed: number;
}

export interface DetectorOutput {
  /** [B] higher = more anomalous. */
  score: number[];
  /** [B] the decision. */
  flagged: boolean[];
}

export interface WindowDetector {
  readonly name: string;
  fit(input: FitInput): void;
  detect(ds: WindowDataset, windows: readonly number[]): DetectorOutput;
  /** Settings chosen by `fit` (thresholds, n), recorded with the run. */
  fitted(): Record<string, unknown>;
}

export interface WindowLocalizer {
  readonly name: string;
  fit(input: FitInput): void;
  /** [B][N] node ids, most likely culprit first. */
  rank(ds: WindowDataset, windows: readonly number[]): number[][];
  fitted(): Record<string, unknown>;
}

/**
 * Baselines that read latency need it raw: milliseconds, 0 = no span in that second (paper §IV-A3). A
 * dataset normalised at build time (`reference-per-run`) has lost the padding marker: refused.
 */
export function requireRawLatency(ds: Pick<WindowDataset, 'normalization'>, method: string): void {
  if (ds.normalization !== 'none') {
    throw new EadroError(`${method} needs raw latency (milliseconds, 0 = no span).`, {
      field: 'pipeline.normalization',
      expected: "'none' (the method-side, train-fitted normalisation)",
      found: ds.normalization,
    });
  }
}
