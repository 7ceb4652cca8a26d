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

/**
 * F1 with true negatives counted (as src/evaluation/metrics.ts defines it) of decisions on the
 * selection windows, which the baselines use to choose their settings; null when no window is faulty.
 * (Written here, not imported from evaluation/, so that data keeps flowing one way.)
 */
export function selectionF1(flagged: ArrayLike<boolean>, labels: ArrayLike<number>): number | null {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const faulty = (labels[i] as number) >= 0;
    if (flagged[i] && faulty) tp++;
    else if (flagged[i]) fp++;
    else if (faulty) fn++;
  }
  return tp + fn === 0 ? null : (2 * tp) / (2 * tp + fp + fn);
}

/** A setting chosen on the selection windows, with what each candidate scored (a string: why it was not scored). */
export interface SelectionResult<T> {
  /** The candidate with the best selection F1; null when none could be scored. */
  chosen: T | null;
  /** Per candidate (keyed by String(candidate)): its selection F1, null (no faulty window) or the reason it was skipped. */
  byCandidate: Record<string, number | null | string>;
}

/**
 * Choose a setting by selection F1: strictly better only, so the default (when listed among the
 * candidates) wins the ties it takes part in. `score` returns a candidate's F1 (`selectionF1`), or a
 * string saying why it cannot be used.
 */
export function chooseBySelectionF1<T>(candidates: readonly T[], defaultValue: T, score: (candidate: T) => number | null | string): SelectionResult<T> {
  const byCandidate: Record<string, number | null | string> = {};
  let chosen: T | null = null;
  let best: number | null = null;
  for (const c of candidates) {
    const f1 = score(c);
    byCandidate[String(c)] = f1;
    if (typeof f1 !== 'number') continue;
    if (best === null || f1 > best || (f1 === best && c === defaultValue)) {
      best = f1;
      chosen = c;
    }
  }
  return { chosen, byCandidate };
}
