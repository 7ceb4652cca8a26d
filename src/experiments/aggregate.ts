/**
 * Aggregation of stored runs: runs with the same config hash (same dataset, pipeline, method,
 * protocol; different seeds) form a group. Per metric: mean ± sample std over seeds. Per key metric:
 * a 95 % cluster-bootstrap interval over fault episodes (`../shared/specs/protocol.md` §4.2), with the
 * test predictions of all seeds pooled per episode (so the interval reflects which episodes were
 * tested, the seed spread is the ± std). And, beside every group, the trivial levels its test set
 * gives: the all-anomalous detector at the test prevalence and random ranking over its N nodes.
 */
import { clusterBootstrapCI, bootstrapDefaults, pairedClusterBootstrapCI, type BootstrapCI, type PairedBootstrapCI } from '../evaluation/bootstrap.js';
import { confusionCounts, detectionFromCounts, localizationMetrics, metricsDefaults, type ConfusionCounts, type MetricRecord } from '../evaluation/metrics.js';
import { allAnomalousLevels, chanceLocalizationLevels } from '../evaluation/trivial.js';
import { countAcHits, episodeMetricsDefaults } from '../evaluation/episode-metrics.js';
import { meanAndSampleStd } from '../core/stats.js';
import type { RunSpec } from './config.js';
import type { CoverageRow } from '../evaluation/protocols.js';
import type { StoredPredictions, StoredRun } from './store.js';

export const aggregateDefaults = {
  /** protocol.md §4.2: about 10,000 resamples. */
  resamples: bootstrapDefaults.resamples,
  /** protocol.md §4.2: 95 % intervals. */
  confidence: bootstrapDefaults.confidence,
  /** ours: a fixed seed so that regenerated tables are identical to the ones written by the grid. */
  bootstrapSeed: 0,
  /**
   * Metrics that get episode-bootstrap intervals: ratios of per-episode counts (PR-AUC is not one;
   * nor are the episode delays and false alarms per hour, which need window times the store does not keep).
   */
  ciMetrics: [
    'det.f1', 'det.precision', 'det.recall', 'det.mcc', 'det.for', 'det.fpr', 'det.fdr',
    ...['oracle', 'e2e'].flatMap((m) => [
      ...metricsDefaults.hitRateKs.map((k) => `loc.${m}.hr@${k}`),
      ...metricsDefaults.ndcgKs.map((k) => `loc.${m}.ndcg@${k}`),
    ]),
    'ep.recall',
    ...episodeMetricsDefaults.acKs.map((k) => `ep.ac@${k}`),
    `ep.avg@${episodeMetricsDefaults.avgK}`,
  ] as readonly string[],
};

export interface SeedSummary {
  /** Mean over the seeds where the metric is defined; null if it is defined for none. */
  mean: number | null;
  /** Sample standard deviation (n − 1); null with fewer than 2 defined values. */
  std: number | null;
  /** Seeds where the metric is defined. */
  n: number;
}

export interface AggregatedGroup {
  configHash: string;
  spec: RunSpec;
  seeds: number[];
  /** Test episodes (bootstrap clusters) over all seeds. */
  episodes: number;
  metrics: Record<string, SeedSummary>;
  ci: Record<string, BootstrapCI>;
  /** Trivial and chance levels of this group's test set (mean over seeds). */
  trivial: Record<string, number | null>;
  /** `episode-disjoint` fold coverage per seed ([seed, rows]); empty for other protocols. */
  coverage: [number, CoverageRow[]][];
  /** Warnings of the runs, deduplicated. */
  warnings: string[];
}

export interface AggregateOptions {
  resamples?: number;
  confidence?: number;
  seed?: number;
}

/** Sufficient statistics of one episode: confusion counts, faulty windows, summed hits and gains. */
interface EpisodeStats {
  counts: ConfusionCounts;
  faulty: number;
  /** loc.* metric → summed per-window value (hits or NDCG gains). */
  sums: Record<string, number>;
  /**
   * Fault cases (one per seed and culprit, as episode-metrics.ts counts them), those with a flagged
   * faulty window, and acHits[k] = those whose culprit is in the top k of the Borda-aggregated ranking
   * (k = 1..max AC cut-off; all 0 without rankings).
   */
  faultCases: number;
  detectedCases: number;
  acHits: number[];
  hasRanking: boolean;
}

/** Largest AC@k cut-off the episode statistics keep (AC@k and Avg@K both need it). */
const MAX_AC_K = Math.max(episodeMetricsDefaults.avgK, ...episodeMetricsDefaults.acKs);

/** Per-episode statistics keyed by episode, keys in sorted order. */
function episodeStats(preds: readonly StoredPredictions[]): Map<string, EpisodeStats> {
  const byEpisode = new Map<string, EpisodeStats>();
  for (const p of preds) {
    const groups = new Map<string, number[]>();
    p.episodes.forEach((e, j) => {
      const g = groups.get(e);
      if (g === undefined) groups.set(e, [j]);
      else g.push(j);
    });
    for (const [episode, idx] of groups) {
      const labels = idx.map((j) => p.labels[j] as number);
      const decided = idx.map((j) => p.predictedAnomalous[j] as boolean);
      const c = confusionCounts(labels, decided);
      const loc = localizationMetrics({ labels, anomalyScore: null, predictedAnomalous: decided, ranking: p.ranking === null ? null : idx.map((j) => p.ranking?.[j] as number[]) });
      const faulty = loc['loc.faultyWindows'] as number;
      let s = byEpisode.get(episode);
      if (s === undefined) {
        byEpisode.set(episode, (s = { counts: { tp: 0, fp: 0, fn: 0, tn: 0 }, faulty: 0, sums: {}, faultCases: 0, detectedCases: 0, acHits: new Array<number>(MAX_AC_K + 1).fill(0), hasRanking: p.ranking !== null }));
      }
      // Fault cases: the faulty windows of each culprit (episode-metrics.ts: one per episode and culprit).
      const byCulprit = new Map<number, number[]>();
      for (const j of idx) {
        const l = p.labels[j] as number;
        if (l >= 0) (byCulprit.get(l) ?? byCulprit.set(l, []).get(l)!).push(j);
      }
      for (const [culprit, cases] of byCulprit) {
        s.faultCases++;
        if (cases.some((j) => Boolean(p.predictedAnomalous[j]))) s.detectedCases++;
        if (p.ranking !== null) {
          const ranking = p.ranking;
          countAcHits(s.acHits, cases.map((j) => ranking[j] as number[]), culprit, p.nodeCount);
        }
      }
      s.counts.tp += c.tp;
      s.counts.fp += c.fp;
      s.counts.fn += c.fn;
      s.counts.tn += c.tn;
      s.faulty += faulty;
      for (const [k, v] of Object.entries(loc)) if (k !== 'loc.faultyWindows') s.sums[k] = (s.sums[k] ?? 0) + (v ?? 0) * faulty;
    }
  }
  return new Map([...byEpisode.keys()].sort().map((k) => [k, byEpisode.get(k) as EpisodeStats]));
}

/** A metric over a multiset of episodes (indices into `stats`); NaN when undefined on it. */
function metricOverEpisodes(stats: readonly EpisodeStats[], indices: readonly number[], metric: string): number {
  if (metric.startsWith('ep.')) {
    let cases = 0;
    let detected = 0;
    const hits = new Array<number>(MAX_AC_K + 1).fill(0);
    for (const i of indices) {
      const s = stats[i] as EpisodeStats;
      if (metric !== 'ep.recall' && !s.hasRanking) return NaN;
      cases += s.faultCases;
      detected += s.detectedCases;
      for (let k = 1; k <= MAX_AC_K; k++) hits[k]! += s.acHits[k]!;
    }
    if (cases === 0) return NaN;
    if (metric === 'ep.recall') return detected / cases;
    const ac = /^ep\.ac@(\d+)$/.exec(metric);
    if (ac !== null) return (hits[Number(ac[1])] as number) / cases;
    const avg = /^ep\.avg@(\d+)$/.exec(metric);
    if (avg !== null) {
      const K = Number(avg[1]);
      let sum = 0;
      for (let k = 1; k <= K; k++) sum += (hits[k] as number) / cases;
      return sum / K;
    }
    return NaN;
  }
  if (metric.startsWith('det.')) {
    const sum: ConfusionCounts = { tp: 0, fp: 0, fn: 0, tn: 0 };
    for (const i of indices) {
      const c = (stats[i] as EpisodeStats).counts;
      sum.tp += c.tp;
      sum.fp += c.fp;
      sum.fn += c.fn;
      sum.tn += c.tn;
    }
    return detectionFromCounts(sum)[metric] ?? NaN;
  }
  let num = 0;
  let den = 0;
  for (const i of indices) {
    const s = stats[i] as EpisodeStats;
    num += s.sums[metric] ?? 0;
    den += s.faulty;
  }
  return den === 0 ? NaN : num / den;
}

/** Trivial levels of a test set: all-anomalous at its prevalence, random ranking over its nodes. */
function trivialLevels(p: StoredPredictions): MetricRecord {
  const faulty = p.labels.filter((l) => l >= 0).length;
  const prevalence = p.labels.length === 0 ? 0 : faulty / p.labels.length;
  return {
    prevalence,
    ...Object.fromEntries(Object.entries(allAnomalousLevels(prevalence)).map(([k, v]) => [`allAnomalous.${k}`, v])),
    ...Object.fromEntries(
      Object.entries(chanceLocalizationLevels(p.nodeCount, metricsDefaults.hitRateKs, metricsDefaults.ndcgKs)).map(([k, v]) => [`random.${k}`, v]),
    ),
  };
}

/** Group stored runs by config hash and aggregate each group. Deterministic for a given store. */
export function aggregateRuns(runs: readonly StoredRun[], opts: AggregateOptions = {}): AggregatedGroup[] {
  const groups = new Map<string, StoredRun[]>();
  for (const r of runs) {
    const g = groups.get(r.metrics.configHash);
    if (g === undefined) groups.set(r.metrics.configHash, [r]);
    else g.push(r);
  }
  const out: AggregatedGroup[] = [];
  for (const hash of [...groups.keys()].sort()) {
    const g = (groups.get(hash) as StoredRun[]).slice().sort((a, b) => a.metrics.seed - b.metrics.seed);
    const names = [...new Set(g.flatMap((r) => Object.keys(r.metrics.metrics)))].sort();
    const metrics: Record<string, SeedSummary> = {};
    for (const name of names) metrics[name] = meanAndSampleStd(g.map((r) => r.metrics.metrics[name] ?? null));
    const stats = [...episodeStats(g.map((r) => r.predictions)).values()];
    const ci: Record<string, BootstrapCI> = {};
    const clusterIds = stats.map((_, i) => i);
    for (const m of aggregateDefaults.ciMetrics) {
      if (!(m in metrics)) continue;
      ci[m] = clusterBootstrapCI(clusterIds, (idx) => metricOverEpisodes(stats, idx, m), {
        resamples: opts.resamples ?? aggregateDefaults.resamples,
        confidence: opts.confidence ?? aggregateDefaults.confidence,
        seed: opts.seed ?? aggregateDefaults.bootstrapSeed,
      });
    }
    const trivialPerSeed = g.map((r) => trivialLevels(r.predictions));
    const trivial: Record<string, number | null> = {};
    for (const k of Object.keys(trivialPerSeed[0] ?? {})) trivial[k] = meanAndSampleStd(trivialPerSeed.map((t) => t[k] ?? null)).mean;
    out.push({
      configHash: hash,
      spec: (g[0] as StoredRun).metrics.spec,
      seeds: g.map((r) => r.metrics.seed),
      episodes: stats.length,
      metrics,
      ci,
      trivial,
      coverage: g.flatMap((r) => (r.metrics.coverage ? [[r.metrics.seed, r.metrics.coverage] as [number, CoverageRow[]]] : [])),
      warnings: [...new Set(g.flatMap((r) => r.metrics.warnings ?? []))],
    });
  }
  return out;
}

export interface PairedComparison extends PairedBootstrapCI {
  metric: string;
  /** Episodes both groups were tested on (the paired clusters). */
  sharedEpisodes: number;
}

/**
 * Paired cluster-bootstrap comparison of two methods (A − B) on one metric over the episodes both were
 * tested on, predictions of all seeds pooled per episode (`../shared/specs/protocol.md` §4.2).
 */
export function compareRuns(runsA: readonly StoredRun[], runsB: readonly StoredRun[], metric: string, opts: AggregateOptions = {}): PairedComparison {
  const a = episodeStats(runsA.map((r) => r.predictions));
  const b = episodeStats(runsB.map((r) => r.predictions));
  const shared = [...a.keys()].filter((k) => b.has(k)).sort();
  const statsA = shared.map((k) => a.get(k) as EpisodeStats);
  const statsB = shared.map((k) => b.get(k) as EpisodeStats);
  const ci = pairedClusterBootstrapCI(
    shared.map((_, i) => i),
    (idx) => metricOverEpisodes(statsA, idx, metric),
    (idx) => metricOverEpisodes(statsB, idx, metric),
    { resamples: opts.resamples ?? aggregateDefaults.resamples, confidence: opts.confidence ?? aggregateDefaults.confidence, seed: opts.seed ?? aggregateDefaults.bootstrapSeed },
  );
  return { ...ci, metric, sharedEpisodes: shared.length };
}
