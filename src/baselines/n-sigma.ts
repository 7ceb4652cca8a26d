/**
 * N-sigma (paper §III-B, Table I; `../shared/specs/baselines.md` §3.1): per service, the mean μ_s and
 * standard deviation σ_s of the latency of historical fault-free data; a window is anomalous when the
 * maximum latency of some service in it exceeds μ_s + n·σ_s.
 *
 * Details (baselines.md §3.1):
 * - μ_s, σ_s come from the latency slots of the TRAINING windows labelled normal, zero-padded slots
 *   (seconds without a span, paper §IV-A3) dropped: with them μ is biased low. Windows overlap, so a
 *   second counts once per training window that holds it (the statistics of the training tensor).
 * - z_s(w) = (max_t lat_s(t) − μ_s) / σ_s over the window's non-padded slots; a service with no span in
 *   the window has no z. The window score is max_s z_s; a window with no span at all scores
 *   `nSigmaDefaults.noSpanScore` (below any z, so it is never flagged).
 * - n is chosen among `nSigmaDefaults.candidates` by F1 (TN counted) on the selection windows
 *   (validation; test only under the reference protocol), default 3 when they hold no faulty window.
 * - As a localizer (not in the paper: the paper uses N-sigma as a detector) services are ranked by z_s,
 *   services without a span in the window last, ties by lower node index.
 * Latency must be raw milliseconds with 0 = no span: a dataset normalised at build time
 * (`reference-per-run`) has lost the padding marker and is refused.
 */
import type { WindowDataset } from '../windows/types.js';
import { chooseBySelectionF1, requireRawLatency, selectionF1, type DetectorOutput, type FitInput, type WindowDetector, type WindowLocalizer } from './contract.js';

export const nSigmaDefaults = {
  /** baselines.md §3.1 "ours": n swept on validation over these values. */
  candidates: [2, 2.5, 3, 4] as readonly number[],
  /** baselines.md §3.1 "ours": default n (the classic 3-sigma rule) when validation cannot choose. */
  defaultN: 3,
  /**
   * DiagFusion `src/preprocess/dataset/k_sigma.py` (baselines.md §3.1): σ is floored at this share of
   * μ, so a service whose latency barely varies in training does not alarm on every small change.
   */
  sigmaFloorShareOfMean: 0.1,
  /** ours: the least number of non-padded training slots for a service to get statistics. */
  minSlots: 2,
  /** ours: score of a window with no span at all (JSON-safe stand-in for −∞). */
  noSpanScore: -1e6,
};

export interface NSigmaStats {
  /** [N] mean latency (ms) of non-padded training-normal slots; NaN where a service has too few. */
  mean: Float64Array;
  /** [N] floored standard deviation (ms); NaN where a service has too few slots. */
  std: Float64Array;
  /** [N] non-padded training-normal slots per service. */
  slots: Int32Array;
}

/** μ_s, σ_s from the normal windows among `train` (see the module comment). */
export function fitNSigmaStats(ds: WindowDataset, train: readonly number[]): NSigmaStats {
  requireRawLatency(ds, 'N-sigma');
  const N = ds.nodes.length;
  const T = ds.T;
  const sum = new Float64Array(N);
  const sumSq = new Float64Array(N);
  const slots = new Int32Array(N);
  for (const w of train) {
    if ((ds.labels[w] as number) >= 0) continue;
    for (let n = 0; n < N; n++) {
      const base = (w * N + n) * T;
      for (let t = 0; t < T; t++) {
        const v = ds.traces[base + t] as number;
        if (v <= 0) continue; // padding: no span in that second
        sum[n] += v;
        sumSq[n] += v * v;
        slots[n]++;
      }
    }
  }
  const mean = new Float64Array(N).fill(Number.NaN);
  const std = new Float64Array(N).fill(Number.NaN);
  for (let n = 0; n < N; n++) {
    const c = slots[n] as number;
    if (c < nSigmaDefaults.minSlots) continue;
    const m = (sum[n] as number) / c;
    const variance = Math.max(0, (sumSq[n] as number) / c - m * m);
    mean[n] = m;
    std[n] = Math.max(Math.sqrt(variance), nSigmaDefaults.sigmaFloorShareOfMean * m, 1e-9);
  }
  return { mean, std, slots };
}

/** [B, N] z_s(w) per window and service; NaN where the service has no span in the window or no statistics. */
export function nSigmaZ(ds: WindowDataset, stats: NSigmaStats, windows: readonly number[]): Float64Array {
  requireRawLatency(ds, 'N-sigma');
  const N = ds.nodes.length;
  const T = ds.T;
  const z = new Float64Array(windows.length * N).fill(Number.NaN);
  windows.forEach((w, b) => {
    for (let n = 0; n < N; n++) {
      const sd = stats.std[n] as number;
      if (Number.isNaN(sd)) continue;
      const base = (w * N + n) * T;
      let max = 0;
      for (let t = 0; t < T; t++) max = Math.max(max, ds.traces[base + t] as number);
      if (max > 0) z[b * N + n] = (max - (stats.mean[n] as number)) / sd;
    }
  });
  return z;
}

/** Window scores max_s z_s from [B, N] z values. */
function windowScores(z: Float64Array, B: number, N: number): number[] {
  const scores = new Array<number>(B);
  for (let b = 0; b < B; b++) {
    let best = nSigmaDefaults.noSpanScore;
    for (let n = 0; n < N; n++) {
      const v = z[b * N + n] as number;
      if (!Number.isNaN(v) && v > best) best = v;
    }
    scores[b] = best;
  }
  return scores;
}

/** N-sigma as a detector and a localizer (both from the same fitted statistics). */
export class NSigma implements WindowDetector, WindowLocalizer {
  readonly name = 'n-sigma';
  private stats: NSigmaStats | null = null;
  private n: number = nSigmaDefaults.defaultN;
  private selection: Record<string, number | null> = {};

  constructor(private readonly candidates: readonly number[] = nSigmaDefaults.candidates) {}

  fit({ ds, train, select }: FitInput): void {
    this.stats = fitNSigmaStats(ds, train);
    const N = ds.nodes.length;
    const scores = windowScores(nSigmaZ(ds, this.stats, select), select.length, N);
    const labels = select.map((w) => ds.labels[w] as number);
    const { chosen, byCandidate } = chooseBySelectionF1(this.candidates, nSigmaDefaults.defaultN, (n) => selectionF1(scores.map((s) => s > n), labels));
    this.selection = byCandidate as Record<string, number | null>;
    this.n = chosen ?? nSigmaDefaults.defaultN;
  }

  private fittedStats(): NSigmaStats {
    if (this.stats === null) throw new Error('n-sigma: fit() must run before detect() or rank()');
    return this.stats;
  }

  detect(ds: WindowDataset, windows: readonly number[]): DetectorOutput {
    const score = windowScores(nSigmaZ(ds, this.fittedStats(), windows), windows.length, ds.nodes.length);
    return { score, flagged: score.map((s) => s > this.n) };
  }

  rank(ds: WindowDataset, windows: readonly number[]): number[][] {
    const N = ds.nodes.length;
    const z = nSigmaZ(ds, this.fittedStats(), windows);
    return windows.map((_, b) => {
      const key = (n: number): number => {
        const v = z[b * N + n] as number;
        return Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v;
      };
      return Array.from({ length: N }, (_, n) => n).sort((a, c) => key(c) - key(a) || a - c);
    });
  }

  fitted(): Record<string, unknown> {
    const stats = this.fittedStats();
    return {
      n: this.n,
      selectionF1ByN: this.selection,
      servicesWithoutStatistics: Array.from(stats.std).filter((v) => Number.isNaN(v)).length,
    };
  }
}
