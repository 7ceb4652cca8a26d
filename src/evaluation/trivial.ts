/**
 * Trivial baselines and chance levels, so every table shows what doing nothing clever scores.
 * With ~84 % (TT) / ~77 % (SN) faulty windows (`../shared/specs/reference-code-notes.md` §0.5), the
 * all-anomalous detector already gets F1 ≈ 0.91 / 0.87; random ranking gets HR@k = k/N (§0.6).
 */
import { createRng } from '../core/rng.js';

/** The all-anomalous detector: every window flagged, all with the same score (so PR-AUC = prevalence). */
export function allAnomalousDecisions(count: number): { anomalyScore: number[]; predictedAnomalous: boolean[] } {
  return { anomalyScore: new Array<number>(count).fill(1), predictedAnomalous: new Array<boolean>(count).fill(true) };
}

/** `count` uniformly random permutations of node ids 0..N−1 (seeded; one fork per call). */
export function randomRankings(count: number, nodeCount: number, seed: number): number[][] {
  const rng = createRng(seed).fork('random-ranking');
  const out: number[][] = [];
  for (let i = 0; i < count; i++) out.push(rng.shuffle(Array.from({ length: nodeCount }, (_, j) => j)));
  return out;
}

/** Expected HR@k of a uniformly random ranking of N nodes: min(k, N) / N. */
export function randomHitRate(k: number, nodeCount: number): number {
  return Math.min(k, nodeCount) / nodeCount;
}

/** Expected NDCG@k (one relevant node) of a uniformly random ranking: (1/N) Σ_{r=1}^{min(k,N)} 1/log2(r+1). */
export function randomNdcg(k: number, nodeCount: number): number {
  let sum = 0;
  for (let r = 1; r <= Math.min(k, nodeCount); r++) sum += 1 / Math.log2(r + 1);
  return sum / nodeCount;
}

/**
 * Scores of the all-anomalous detector at a given prevalence p (share of faulty windows), TN counted:
 * precision = p, recall = 1, F1 = 2p/(1+p), FPR = 1, FOR undefined (nothing predicted normal), MCC
 * undefined (a column of the confusion matrix is empty), PR-AUC = p. Null where undefined.
 */
export function allAnomalousLevels(prevalence: number): Record<string, number | null> {
  const p = prevalence;
  return {
    'det.precision': p,
    'det.recall': p > 0 ? 1 : null,
    'det.f1': p > 0 ? (2 * p) / (1 + p) : null,
    'det.fpr': p < 1 ? 1 : null,
    'det.for': null,
    'det.mcc': null,
    'det.prAuc': p > 0 ? p : null,
    'det.fdr': 1 - p,
  };
}

/** Chance levels of localization metrics for N nodes, keyed like `localizationMetrics` (oracle and e2e alike). */
export function chanceLocalizationLevels(nodeCount: number, hitRateKs: readonly number[], ndcgKs: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const mode of ['oracle', 'e2e']) {
    for (const k of hitRateKs) out[`loc.${mode}.hr@${k}`] = randomHitRate(k, nodeCount);
    for (const k of ndcgKs) out[`loc.${mode}.ndcg@${k}`] = randomNdcg(k, nodeCount);
  }
  return out;
}
