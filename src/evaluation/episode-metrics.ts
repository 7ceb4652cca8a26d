/**
 * Episode-level detection and localization metrics (`../shared/specs/protocol.md` §4.2): false alarms
 * per hour of normal time, episode-level recall and detection delay, and episode-level AC@k / Avg@5
 * "the RCAEval style", each localization figure with its chance level beside it.
 *
 * Input is one row per test window (aligned arrays, like `ScoredWindows` in metrics.ts) plus, per
 * window, its episode key (`<runId>/<episodeId>`, as stored in predictions.json) and its start (unix
 * seconds); the window covers [start, start + T) with T in seconds. A "fault episode" is an episode
 * holding at least one faulty TEST window (label >= 0); episodes whose faulty windows all went to
 * training do not count. Where an episode's faulty windows name several culprits (synthetic data,
 * overlapping faults in users' data) each (episode, culprit) pair is a fault episode of its own; in
 * the testbed and the released data an episode is one injection, so the two coincide. Conventions as in metrics.ts: a ratio with a zero denominator is `null`, never
 * a made-up 0 or 1.
 *
 * Definitions (E = the fault episodes, F_e = the faulty test windows of episode e):
 *   ep.faultEpisodes      = |E|
 *   ep.detectedEpisodes   = |{e ∈ E : some window of F_e is flagged}|
 *   ep.recall             = ep.detectedEpisodes / |E|
 *   delay_e               = start of the earliest flagged window of F_e − start of the earliest window
 *                           of F_e, in seconds, for each detected e
 *   ep.delaySeconds       = mean of delay_e;  ep.delaySecondsMedian = their median (mean of the two
 *                           middle values for an even count); null when no episode was detected.
 *     Under the temporal protocol the test part of an episode starts INSIDE the fault (its first 60 %
 *     went to training), so this is the delay from the start of the test part, not from the
 *     injection; only under protocols whose test part covers the fault onset do the two coincide.
 *   alarm                 = a maximal group of flagged NORMAL test windows (label −1) of one run,
 *                           ordered by start, in which consecutive starts are at most T seconds apart:
 *                           overlapping or touching flagged windows are one alarm. Unflagged windows
 *                           between two such flagged ones do not split it (the flagged windows still
 *                           cover the time between them).
 *   ep.falseAlarms        = the number of alarms
 *   ep.normalHours        = the length of the union of the normal test windows' [start, start + T)
 *                           intervals, taken per run and summed, in hours (overlapping windows count
 *                           their shared time once)
 *   ep.falseAlarmsPerHour = ep.falseAlarms / ep.normalHours
 *   ranking_e             = Borda aggregation of the rankings of F_e: each node's mean 1-based rank over
 *                           the windows of F_e, ascending, ties broken by lower node id. Every window
 *                           of F_e is used whether or not it was flagged (oracle detection).
 *   ep.ac@k               = (1/|E|) Σ_{e∈E} [culprit_e within the first k of ranking_e]
 *   ep.avg@5              = (1/5) Σ_{k=1..5} ep.ac@k      (RCAEval `benchmark/evaluation.py` Evaluator:
 *                           per case `answer in ranks[:k]`, averaged over cases, then over k = 1..5)
 *   ep.chanceAc@k         = min(k, N) / N, the AC@k of a uniformly random ranking of N nodes;
 *   ep.chanceAvg@5        = (1/5) Σ_{k=1..5} min(k, N) / N.
 * A method without rankings (ranking = null) has no localization: its ep.ac@k and ep.avg@5 are null
 * (the chance levels are still given).
 *
 * Input checks (EadroError naming the field): equal lengths, T > 0, N a positive integer, labels in
 * −1..N−1, finite starts, and each ranking row a permutation of 0..N−1.
 */
import { EadroError } from '../core/errors.js';
import { median } from '../core/stats.js';
import { computeMetrics, ratio, type MetricRecord, type ScoredWindows } from './metrics.js';
import type { WindowDataset } from '../windows/types.js';

/** Defaults of the episode-metrics module. */
export const episodeMetricsDefaults = {
  /** AC@k cut-offs reported: RCAEval reports AC@1, AC@3, AC@5 (protocol.md §4.2 "the RCAEval style"). */
  acKs: [1, 3, 5] as readonly number[],
  /** Avg@K averages AC@1..AC@K: RCAEval `benchmark/evaluation.py` uses K = 5 (its Avg@5). */
  avgK: 5,
  /** Seconds per hour, for false alarms per hour of normal time (protocol.md §4.2). */
  secondsPerHour: 3600,
};

export type EpisodeMetricsSettings = Partial<typeof episodeMetricsDefaults>;

/** Per-window test outputs plus the episode bookkeeping the episode-level metrics need. */
export interface EpisodeWindows {
  /** [B] ground truth: −1 = normal, else the culprit node index (0..N−1). */
  labels: ArrayLike<number>;
  /** [B] the method's decision: 1/true = anomalous. */
  predictedAnomalous: ArrayLike<boolean | number>;
  /** [B][N] node ids, most likely culprit first, each row a permutation of 0..N−1; null = no ranking. */
  ranking: ArrayLike<ArrayLike<number>> | null;
  /** [B] episode key, `<runId>/<episodeId>` (the bootstrap cluster of aggregate.ts). */
  episodes: ArrayLike<string>;
  /** [B] window start, unix seconds. */
  windowStart: ArrayLike<number>;
  /**
   * [B] run id of each window, which groups normal windows into alarms and normal time. Optional:
   * when absent, the run is the episode key up to its last '/' (the whole key if it has none).
   */
  runs?: ArrayLike<string>;
  /** Window length T in seconds (`WindowDataset.T`). */
  windowSeconds: number;
  /** Number of nodes N (for the ranking check and the chance levels). */
  nodeCount: number;
}

function fail(field: string, expected: string, found?: string): never {
  throw new EadroError('episodeMetrics: invalid input.', found === undefined ? { field, expected } : { field, expected, found });
}

/** Run key of an episode key `<runId>/<episodeId>`: everything before the last '/'. */
export function runOfEpisodeKey(episodeKey: string): string {
  const slash = episodeKey.lastIndexOf('/');
  return slash < 0 ? episodeKey : episodeKey.slice(0, slash);
}

/**
 * Number of alarms among flagged window starts (seconds) of one run: starts sorted, a new alarm
 * begins where the gap to the previous flagged start exceeds T seconds.
 */
export function countAlarms(flaggedStarts: readonly number[], windowSeconds: number): number {
  if (flaggedStarts.length === 0) return 0;
  const s = [...flaggedStarts].sort((a, b) => a - b);
  let alarms = 1;
  for (let i = 1; i < s.length; i++) if ((s[i] as number) - (s[i - 1] as number) > windowSeconds) alarms++;
  return alarms;
}

/** Length in seconds of the union of [start, start + T) over the given starts (seconds). */
export function unionSeconds(starts: readonly number[], windowSeconds: number): number {
  const s = [...starts].sort((a, b) => a - b);
  let total = 0;
  // All intervals have the same length T, so each one adds up to T seconds, cut off where the next begins.
  for (let i = 0; i < s.length; i++) {
    const next = i + 1 < s.length ? (s[i + 1] as number) : Infinity;
    total += Math.min(windowSeconds, next - (s[i] as number));
  }
  return total;
}

/**
 * Borda aggregation of rankings of N nodes: node ids ordered by their mean 1-based rank over `rows`,
 * ties by lower node id. Each row must be a permutation of 0..N−1 (checked by `episodeMetrics`).
 */
export function bordaRanking(rows: readonly ArrayLike<number>[], nodeCount: number): number[] {
  // Summed ranks order nodes exactly like mean ranks (same number of rows for every node) and stay integers, so ties are exact.
  const rankSum = new Array<number>(nodeCount).fill(0);
  for (const row of rows) for (let r = 0; r < row.length; r++) rankSum[row[r] as number] += r + 1;
  return Array.from({ length: nodeCount }, (_, n) => n).sort((a, b) => (rankSum[a] as number) - (rankSum[b] as number) || a - b);
}

/**
 * Count one fault case into `hits`: hits[k] += 1 for every k (1 <= k < hits.length) with the culprit
 * within the first k of the Borda aggregate of the case's window rankings (AC@k's numerator).
 */
export function countAcHits(hits: number[], rows: readonly ArrayLike<number>[], culprit: number, nodeCount: number): void {
  const rank = bordaRanking(rows, nodeCount).indexOf(culprit) + 1;
  for (let k = rank; k < hits.length; k++) hits[k]!++;
}

function checkInput(w: EpisodeWindows): void {
  const b = w.labels.length;
  const sameLength = (field: string, arr: ArrayLike<unknown> | undefined): void => {
    if (arr !== undefined && arr.length !== b) fail(field, `${b} values, one per test window like labels`, `${arr.length}`);
  };
  sameLength('predictedAnomalous', w.predictedAnomalous);
  sameLength('episodes', w.episodes);
  sameLength('windowStart', w.windowStart);
  sameLength('runs', w.runs);
  if (w.ranking !== null) sameLength('ranking', w.ranking);
  if (!(Number.isFinite(w.windowSeconds) && w.windowSeconds > 0)) fail('windowSeconds', 'a window length T > 0 in seconds', String(w.windowSeconds));
  const n = w.nodeCount;
  if (!(Number.isInteger(n) && n >= 1)) fail('nodeCount', 'an integer N >= 1', String(n));
  for (let i = 0; i < b; i++) {
    const label = w.labels[i] as number;
    if (!(Number.isInteger(label) && label >= -1 && label < n)) fail(`labels[${i}]`, `-1 (normal) or a node index 0..${n - 1}`, String(label));
    if (!Number.isFinite(w.windowStart[i] as number)) fail(`windowStart[${i}]`, 'a finite unix time in seconds', String(w.windowStart[i]));
  }
  if (w.ranking === null) return;
  const seen = new Uint8Array(n);
  for (let i = 0; i < b; i++) {
    const row = w.ranking[i] as ArrayLike<number>;
    const expected = `a permutation of the node ids 0..${n - 1} (length ${n})`;
    if (row.length !== n) fail(`ranking[${i}]`, expected, `length ${row.length}`);
    seen.fill(0);
    for (let r = 0; r < n; r++) {
      const id = row[r] as number;
      if (!(Number.isInteger(id) && id >= 0 && id < n) || seen[id] === 1) fail(`ranking[${i}]`, expected, `${id} at position ${r}`);
      seen[id] = 1;
    }
  }
}

/** Every episode-level metric of one method on one test set (definitions in the module comment). */
export function episodeMetrics(w: EpisodeWindows, settings: EpisodeMetricsSettings = {}): MetricRecord {
  checkInput(w);
  const acKs = settings.acKs ?? episodeMetricsDefaults.acKs;
  const avgK = settings.avgK ?? episodeMetricsDefaults.avgK;
  const secondsPerHour = settings.secondsPerHour ?? episodeMetricsDefaults.secondsPerHour;
  for (const k of [...acKs, avgK]) if (!(Number.isInteger(k) && k >= 1)) fail('settings.acKs / settings.avgK', 'integer cut-offs k >= 1', String(k));
  const T = w.windowSeconds;
  const N = w.nodeCount;

  // Faulty test windows by episode; normal test windows (all, and flagged) by run.
  const faultyByEpisode = new Map<string, number[]>();
  const normalStartsByRun = new Map<string, number[]>();
  const flaggedNormalStartsByRun = new Map<string, number[]>();
  const push = <K>(m: Map<K, number[]>, key: K, v: number): void => {
    const list = m.get(key);
    if (list === undefined) m.set(key, [v]);
    else list.push(v);
  };
  for (let i = 0; i < w.labels.length; i++) {
    const episode = w.episodes[i] as string;
    if ((w.labels[i] as number) >= 0) {
      // One fault case per (episode, culprit): the episode itself wherever an episode is one injection.
      push(faultyByEpisode, `${episode}\u0000${w.labels[i]}`, i);
      continue;
    }
    const run = w.runs === undefined ? runOfEpisodeKey(episode) : (w.runs[i] as string);
    const start = w.windowStart[i] as number;
    push(normalStartsByRun, run, start);
    if (Boolean(w.predictedAnomalous[i])) push(flaggedNormalStartsByRun, run, start);
  }

  // Recall, delay and the per-episode Borda ranking.
  const maxK = Math.max(avgK, ...acKs);
  const hits = new Array<number>(maxK + 1).fill(0); // hits[k] = fault episodes with the culprit in the top k
  const delays: number[] = [];
  for (const idx of faultyByEpisode.values()) {
    const culprit = w.labels[idx[0] as number] as number;
    let firstStart = Infinity;
    let firstFlaggedStart = Infinity;
    for (const i of idx) {
      const start = w.windowStart[i] as number;
      firstStart = Math.min(firstStart, start);
      if (Boolean(w.predictedAnomalous[i])) firstFlaggedStart = Math.min(firstFlaggedStart, start);
    }
    if (firstFlaggedStart !== Infinity) delays.push(firstFlaggedStart - firstStart);
    if (w.ranking !== null) {
      const ranking = w.ranking;
      countAcHits(hits, idx.map((i) => ranking[i] as ArrayLike<number>), culprit, N);
    }
  }
  const faultEpisodes = faultyByEpisode.size;

  // False alarms and normal time, per run.
  let alarms = 0;
  for (const starts of flaggedNormalStartsByRun.values()) alarms += countAlarms(starts, T);
  let normalSeconds = 0;
  for (const starts of normalStartsByRun.values()) normalSeconds += unionSeconds(starts, T);
  const normalHours = normalSeconds / secondsPerHour;

  const out: MetricRecord = {
    'ep.faultEpisodes': faultEpisodes,
    'ep.detectedEpisodes': delays.length,
    'ep.recall': ratio(delays.length, faultEpisodes),
    'ep.delaySeconds': delays.length === 0 ? null : delays.reduce((a, b) => a + b, 0) / delays.length,
    'ep.delaySecondsMedian': delays.length === 0 ? null : median(delays),
    'ep.falseAlarms': alarms,
    'ep.normalHours': normalHours,
    'ep.falseAlarmsPerHour': ratio(alarms, normalHours),
  };
  const ac = (k: number): number | null => (w.ranking === null ? null : ratio(hits[k] as number, faultEpisodes));
  const chance = (k: number): number => Math.min(k, N) / N;
  const upToAvgK = Array.from({ length: avgK }, (_, j) => j + 1);
  for (const k of acKs) out[`ep.ac@${k}`] = ac(k);
  const acs = upToAvgK.map(ac);
  out[`ep.avg@${avgK}`] = acs.some((v) => v === null) ? null : (acs as number[]).reduce((a, b) => a + b, 0) / avgK;
  for (const k of acKs) out[`ep.chanceAc@${k}`] = chance(k);
  out[`ep.chanceAvg@${avgK}`] = upToAvgK.reduce((a, k) => a + chance(k), 0) / avgK;
  return out;
}

/** Episode key `<runId>/<episodeId>` of a dataset window: the bootstrap cluster and the unit of episode metrics. */
export const episodeKey = (ds: Pick<WindowDataset, 'meta'>) => (w: number): string => `${ds.meta.runId[w]}/${ds.meta.episodeId[w]}`;

/**
 * Episode-level metrics of a method's outputs on dataset windows `windows` (aligned with `out`):
 * episode keys (and with them the runs) and window starts (unix seconds) come from the dataset's bookkeeping.
 */
export function episodeMetricsOf(
  ds: Pick<WindowDataset, 'meta' | 'T' | 'nodes'>,
  windows: readonly number[],
  out: { labels: ArrayLike<number>; predictedAnomalous: ArrayLike<boolean | number>; ranking: ArrayLike<ArrayLike<number>> | null },
  settings: EpisodeMetricsSettings = {},
): MetricRecord {
  return episodeMetrics(
    {
      labels: out.labels,
      predictedAnomalous: out.predictedAnomalous,
      ranking: out.ranking,
      episodes: windows.map(episodeKey(ds)), // its run is the key up to the last '/' (episodeId is an integer)
      windowStart: windows.map((w) => ds.meta.start[w] as number),
      windowSeconds: ds.T,
      nodeCount: ds.nodes.length,
    },
    settings,
  );
}

/**
 * What every results path stores for outputs on dataset windows `windows`: the window-level metrics
 * (`computeMetrics`, with the measured inference microseconds per window) and the episode-level ones.
 */
export function windowAndEpisodeMetrics(
  ds: Pick<WindowDataset, 'meta' | 'T' | 'nodes'>,
  windows: readonly number[],
  scored: ScoredWindows,
  inferUsPerWindow: number | null = null,
): MetricRecord {
  return { ...computeMetrics(scored, inferUsPerWindow), ...episodeMetricsOf(ds, windows, scored) };
}
