/**
 * Cluster bootstrap confidence intervals. Windows of one fault episode are strongly dependent (they
 * overlap by T−1 seconds and share one fault), so the episode, not the window, is the unit that is
 * resampled (`../shared/specs/protocol.md` §4.2): draw as many clusters as there are, with
 * replacement; the statistic sees the items of every drawn cluster (a cluster drawn twice appears
 * twice); the interval is the percentile interval of the resampled statistics.
 */
import { createRng } from '../core/rng.js';
import { quantileSorted } from '../core/stats.js';

// Kept importable from here, where it was first written (tests, notebooks).
export { quantileSorted };

export const bootstrapDefaults = {
  /** protocol.md §4.2: "about 10,000 resamples". */
  resamples: 10_000,
  /** protocol.md §4.2: 95 % intervals. */
  confidence: 0.95,
};

export interface BootstrapOptions {
  resamples?: number;
  confidence?: number;
  seed: number;
}

export interface BootstrapCI {
  /** The statistic on the original sample. */
  estimate: number;
  /** Percentile interval bounds; NaN when no resample gave a finite value. */
  lo: number;
  hi: number;
  /**
   * Resamples whose statistic was finite and used for the interval. A statistic can be undefined on
   * a resample (e.g. recall when no faulty episode was drawn): such resamples are left out and this
   * count says how many remained.
   */
  resamples: number;
}

export interface PairedBootstrapCI extends BootstrapCI {
  /** Share of used resamples where A − B > 0: a one-sided bootstrap support for "A beats B". */
  fractionAboveZero: number;
}

/** Item indices per cluster, clusters in order of first appearance. */
function clusterMembers(clusterIds: ArrayLike<number>): number[][] {
  const byId = new Map<number, number[]>();
  for (let i = 0; i < clusterIds.length; i++) {
    const id = clusterIds[i] as number;
    const m = byId.get(id);
    if (m === undefined) byId.set(id, [i]);
    else m.push(i);
  }
  return [...byId.values()];
}

function resampleIndices(members: readonly number[][], rng: ReturnType<typeof createRng>): number[] {
  const out: number[] = [];
  for (let c = 0; c < members.length; c++) for (const i of members[rng.int(members.length)] as number[]) out.push(i);
  return out;
}

function percentileInterval(values: number[], confidence: number): { lo: number; hi: number } {
  values.sort((a, b) => a - b);
  const alpha = (1 - confidence) / 2;
  return { lo: quantileSorted(values, alpha), hi: quantileSorted(values, 1 - alpha) };
}

function checkOptions(o: BootstrapOptions): { resamples: number; confidence: number } {
  const resamples = o.resamples ?? bootstrapDefaults.resamples;
  const confidence = o.confidence ?? bootstrapDefaults.confidence;
  if (!Number.isInteger(resamples) || resamples < 1) throw new Error(`bootstrap: resamples must be a positive integer, got ${resamples}`);
  if (!(confidence > 0 && confidence < 1)) throw new Error(`bootstrap: confidence must be in (0, 1), got ${confidence}`);
  return { resamples, confidence };
}

/**
 * Percentile CI of `statistic` by resampling clusters with replacement.
 * `clusterIds[i]` is the cluster of item i; `statistic` receives item indices (with repeats).
 */
export function clusterBootstrapCI(
  clusterIds: ArrayLike<number>,
  statistic: (indices: number[]) => number,
  opts: BootstrapOptions,
): BootstrapCI {
  const { resamples, confidence } = checkOptions(opts);
  const members = clusterMembers(clusterIds);
  const all = Array.from({ length: clusterIds.length }, (_, i) => i);
  const estimate = statistic(all);
  if (members.length === 0) return { estimate, lo: NaN, hi: NaN, resamples: 0 };
  const rng = createRng(opts.seed).fork('cluster-bootstrap');
  const values: number[] = [];
  for (let b = 0; b < resamples; b++) {
    const v = statistic(resampleIndices(members, rng));
    if (Number.isFinite(v)) values.push(v);
  }
  return { estimate, ...percentileInterval(values, confidence), resamples: values.length };
}

/**
 * Paired cluster bootstrap of the difference A − B between two methods scored on the same items
 * (same test windows, same episodes): both statistics see the same resampled clusters each time,
 * so the shared episode difficulty cancels.
 */
export function pairedClusterBootstrapCI(
  clusterIds: ArrayLike<number>,
  statisticA: (indices: number[]) => number,
  statisticB: (indices: number[]) => number,
  opts: BootstrapOptions,
): PairedBootstrapCI {
  const { resamples, confidence } = checkOptions(opts);
  const members = clusterMembers(clusterIds);
  const all = Array.from({ length: clusterIds.length }, (_, i) => i);
  const estimate = statisticA(all) - statisticB(all);
  if (members.length === 0) return { estimate, lo: NaN, hi: NaN, resamples: 0, fractionAboveZero: NaN };
  const rng = createRng(opts.seed).fork('paired-cluster-bootstrap');
  const values: number[] = [];
  let above = 0;
  for (let b = 0; b < resamples; b++) {
    const idx = resampleIndices(members, rng);
    const v = statisticA(idx) - statisticB(idx);
    if (Number.isFinite(v)) {
      values.push(v);
      if (v > 0) above++;
    }
  }
  return { estimate, ...percentileInterval(values, confidence), resamples: values.length, fractionAboveZero: values.length === 0 ? NaN : above / values.length };
}
