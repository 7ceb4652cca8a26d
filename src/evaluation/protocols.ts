/**
 * Evaluation protocols: how windows are split into train / validation / test. Every split carries the
 * protocol's name and resolved parameters so each result names the protocol that produced it
 * (`../shared/specs/protocol.md` §4.2).
 *
 * - `reference-random`: the official code's split (`align.py split_chunks`): all windows shuffled and
 *   cut, no validation; the reference then selects its checkpoint on the TEST set every 10 epochs
 *   (`codes/base.py fit`). The split says so in `modelSelection` so the runner/method can honour it.
 * - `temporal`: inside each fault episode (and each fault-free run) the first windows train, then
 *   validation, then test, in time order; windows that would overlap a window of another part of the
 *   same run are purged (validation kept first, then test, training gives way), which leaves a gap of
 *   at least T−1 s of window starts between parts.
 * - `episode-disjoint`: whole runs held out, k-fold over runs (seeded); validation is the temporal
 *   tail of each training episode (same purge rule). A coverage table tells which (service, fault
 *   type) pairs of a test fold training never saw.
 */
import type { Split, WindowDataset } from '../windows/types.js';
import { EadroError } from '../core/errors.js';
import { createRng } from '../core/rng.js';

export type ProtocolName = 'reference-random' | 'temporal' | 'episode-disjoint';

export const protocolNames: readonly ProtocolName[] = ['reference-random', 'temporal', 'episode-disjoint'];

/** Defaults of every protocol, each with its source. */
export const protocolDefaults = {
  referenceRandom: {
    /** Test share. Reference `align.py` argparse `--test_ratio 0.3`; the paper says 60/40 (set 0.4). */
    testFraction: 0.3,
    /** Reference selects its checkpoint on the test set (`codes/base.py fit`). */
    modelSelection: 'test' as ModelSelection,
    /** Reference evaluates the test set when (epoch+1) % 10 == 0 (`codes/base.py fit`, evaluation_epoch). */
    modelSelectionEveryEpochs: 10,
  },
  temporal: {
    /** Paper §V-A: 60 % train / 40 % test; protocol.md §4.2 carves validation from the training part. */
    trainFraction: 0.5,
    /** ours: one sixth of the paper's 60 % training share, enough windows for early stopping. */
    valFraction: 0.1,
    /** Paper §V-A: last 40 % of each period tests. */
    testFraction: 0.4,
    /**
     * ours: split the faulty and the normal windows of each episode separately (each in time order),
     * so that every part holds both classes in the episode's proportions. Without it the test part
     * (the episode's tail) is the fault's last seconds plus the recovery gap: with short faults (the
     * `quick` testbed: 40-60 s faults, 20-30 s gaps) nearly all faulty test windows were edge windows
     * overlapping the fault by a few seconds, and training saw almost no normal windows of the
     * fault runs. The purge still removes every window that overlaps a window of another part.
     */
    stratifyByLabel: true,
  },
  episodeDisjoint: {
    /** protocol.md §4.2: TT has 9 runs -> 3-fold; SN (4 runs) would set folds = 4 (leave-one-run-out). */
    folds: 3,
    /** ours: validation = last 10 % of each training episode, like `temporal`. */
    valFraction: 0.1,
    /** protocol.md §4.2 "include the no-fault runs as normal training data, behind a flag": off = they are folded like any run. */
    faultFreeRunsTrainOnly: false,
  },
};

/** Where the checkpoint / early stopping is chosen: validation (honest) or test (the reference's leak). */
export type ModelSelection = 'validation' | 'test';

/** A split that names its protocol and parameters. */
export interface ProtocolSplit extends Split {
  protocol: ProtocolName;
  /** Resolved parameters (defaults filled in), recorded with every result. */
  params: Record<string, number | string | boolean>;
  /** Which data selects checkpoints; 'test' only under `reference-random`. */
  modelSelection: ModelSelection;
  /** Fold index and count for k-fold protocols; null otherwise. */
  fold: { index: number; count: number } | null;
  /** Windows dropped by the purge (in no part). */
  purged: number;
}

/** What a protocol needs of a dataset: labels, window length and per-window bookkeeping. */
export type SplitInput = Pick<WindowDataset, 'W' | 'T' | 'labels' | 'meta' | 'nodes'>;

/** A protocol choice as written in experiment configs. */
export interface ProtocolSpec {
  name: ProtocolName;
  params?: Record<string, number | string | boolean>;
}

function checkFraction(name: string, value: number): void {
  if (!(value >= 0 && value <= 1)) {
    throw new EadroError('Protocol fraction out of range.', { field: name, expected: 'a number in [0, 1]', found: String(value) });
  }
}

/** `reference-random`: shuffle every window (seeded) and cut; no validation part. */
export function referenceRandomSplit(
  ds: SplitInput,
  seed: number,
  params: Partial<typeof protocolDefaults.referenceRandom> = {},
): ProtocolSplit {
  const p = { ...protocolDefaults.referenceRandom, ...params };
  checkFraction('testFraction', p.testFraction);
  const order = createRng(seed).fork('reference-random').shuffle(Array.from({ length: ds.W }, (_, i) => i));
  const nTest = Math.round(ds.W * p.testFraction);
  return {
    train: order.slice(nTest).sort((a, b) => a - b),
    val: [],
    test: order.slice(0, nTest).sort((a, b) => a - b),
    protocol: 'reference-random',
    params: { testFraction: p.testFraction, seed, modelSelectionEveryEpochs: p.modelSelectionEveryEpochs },
    modelSelection: p.modelSelection,
    fold: null,
    purged: 0,
  };
}

/** Window indices grouped by a key, each group sorted by window start (then index). */
function groupByTime(ds: SplitInput, indices: Iterable<number>, key: (i: number) => string): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (const i of indices) {
    const k = key(i);
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [i]);
    else g.push(i);
  }
  const start = ds.meta.start;
  for (const g of groups.values()) g.sort((a, b) => (start[a] as number) - (start[b] as number) || a - b);
  return groups;
}

const episodeKey = (ds: SplitInput) => (i: number): string => `${ds.meta.runId[i]}\u0000${ds.meta.episodeId[i]}`;

/**
 * Assign each episode's windows (with `stratifyByLabel`, its faulty and its normal windows separately), in
 * time order, to parts by count fractions; then purge, per run, the
 * windows whose time range [start, start + T) overlaps a kept window of another part. Conflicts are
 * settled by `keepOrder`: parts earlier in it keep their windows, later ones lose theirs (validation
 * is the smallest part and would vanish otherwise; training, the largest, gives way). At stride 1 s
 * each part boundary costs T−1 windows, including the boundaries between adjacent episodes of a run.
 * Returns the part index per window (-1 = not in the split or purged).
 */
function temporalParts(
  ds: SplitInput,
  indices: Iterable<number>,
  fractions: readonly number[],
  keepOrder: readonly number[],
  stratifyByLabel = false,
): { part: Int8Array; purged: number } {
  const part = new Int8Array(ds.W).fill(-1);
  const total = fractions.reduce((a, b) => a + b, 0);
  const byEpisode = episodeKey(ds);
  const key = stratifyByLabel ? (i: number): string => `${byEpisode(i)}\u0000${(ds.labels[i] as number) >= 0 ? 'faulty' : 'normal'}` : byEpisode;
  for (const g of groupByTime(ds, indices, key).values()) {
    let from = 0;
    let cum = 0;
    for (let p = 0; p < fractions.length; p++) {
      cum += fractions[p] as number;
      const to = p === fractions.length - 1 ? g.length : Math.round((g.length * cum) / total);
      for (let j = from; j < to; j++) part[g[j] as number] = p;
      from = to;
    }
  }
  let purged = 0;
  const inSplit: number[] = [];
  for (let i = 0; i < ds.W; i++) if ((part[i] as number) >= 0) inSplit.push(i);
  for (const run of groupByTime(ds, inSplit, (i) => ds.meta.runId[i] as string).values()) {
    // Sorted starts (s) of the windows kept so far, all from parts earlier in keepOrder.
    let kept: number[] = [];
    for (const p of keepOrder) {
      const keptNow: number[] = [];
      for (const i of run) {
        if (part[i] !== p) continue;
        const s = ds.meta.start[i] as number;
        // Overlap with a kept window starting at k means s − T < k < s + T.
        const j = lowerBoundAbove(kept, s - ds.T);
        if (j < kept.length && (kept[j] as number) < s + ds.T) {
          part[i] = -1;
          purged++;
        } else keptNow.push(s);
      }
      kept = kept.concat(keptNow).sort((a, b) => a - b);
    }
  }
  return { part, purged };
}

/** First index j with sorted[j] > x (binary search). */
function lowerBoundAbove(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function partsToLists(part: Int8Array, count: number): number[][] {
  const lists: number[][] = Array.from({ length: count }, () => []);
  for (let i = 0; i < part.length; i++) if ((part[i] as number) >= 0) (lists[part[i] as number] as number[]).push(i);
  return lists;
}

/** `temporal`: within each episode, first part trains, then validation, last part tests (purged). */
export function temporalSplit(ds: SplitInput, params: Partial<typeof protocolDefaults.temporal> = {}): ProtocolSplit {
  const p = { ...protocolDefaults.temporal, ...params };
  for (const k of ['trainFraction', 'valFraction', 'testFraction'] as const) checkFraction(k, p[k]);
  if (!(p.trainFraction > 0 && p.testFraction > 0)) {
    throw new EadroError('temporal split needs a training and a test part.', { field: 'trainFraction/testFraction', expected: '> 0' });
  }
  const { part, purged } = temporalParts(
    ds,
    Array.from({ length: ds.W }, (_, i) => i),
    [p.trainFraction, p.valFraction, p.testFraction],
    [1, 2, 0],
    p.stratifyByLabel,
  );
  const [train, val, test] = partsToLists(part, 3) as [number[], number[], number[]];
  return {
    train,
    val,
    test,
    protocol: 'temporal',
    params: {
      trainFraction: p.trainFraction,
      valFraction: p.valFraction,
      testFraction: p.testFraction,
      stratifyByLabel: p.stratifyByLabel,
      purgeGapSeconds: ds.T - 1,
    },
    modelSelection: 'validation',
    fold: null,
    purged,
  };
}

/** A run is fault-free when none of its windows belongs to a fault episode. */
function faultFreeRuns(ds: SplitInput): Set<string> {
  const hasFault = new Map<string, boolean>();
  for (let i = 0; i < ds.W; i++) {
    const run = ds.meta.runId[i] as string;
    const faulty = (ds.meta.episodeService[i] as string) !== '' || (ds.labels[i] as number) >= 0;
    hasFault.set(run, (hasFault.get(run) ?? false) || faulty);
  }
  return new Set([...hasFault].filter(([, f]) => !f).map(([r]) => r));
}

/** `episode-disjoint`: k folds of whole runs (seeded); each fold tests one group of runs. */
export function episodeDisjointSplits(
  ds: SplitInput,
  seed: number,
  params: Partial<typeof protocolDefaults.episodeDisjoint> = {},
): ProtocolSplit[] {
  const p = { ...protocolDefaults.episodeDisjoint, ...params };
  checkFraction('valFraction', p.valFraction);
  const free = p.faultFreeRunsTrainOnly ? faultFreeRuns(ds) : new Set<string>();
  const runs = [...new Set(ds.meta.runId)].filter((r) => !free.has(r)).sort();
  if (!Number.isInteger(p.folds) || p.folds < 2 || p.folds > runs.length) {
    throw new EadroError('episode-disjoint: fold count does not fit the runs.', {
      field: 'folds',
      expected: `an integer in [2, ${runs.length}] (the number of runs that can be held out)`,
      found: String(p.folds),
    });
  }
  createRng(seed).fork('episode-disjoint').shuffle(runs);
  const foldOfRun = new Map<string, number>(runs.map((r, j) => [r, j % p.folds]));
  const splits: ProtocolSplit[] = [];
  for (let f = 0; f < p.folds; f++) {
    const test: number[] = [];
    const trainPool: number[] = [];
    for (let i = 0; i < ds.W; i++) {
      if (foldOfRun.get(ds.meta.runId[i] as string) === f) test.push(i);
      else trainPool.push(i);
    }
    const { part, purged } = temporalParts(ds, trainPool, [1 - p.valFraction, p.valFraction], [1, 0]);
    const [train, val] = partsToLists(part, 2) as [number[], number[]];
    splits.push({
      train,
      val,
      test,
      protocol: 'episode-disjoint',
      params: { folds: p.folds, valFraction: p.valFraction, faultFreeRunsTrainOnly: p.faultFreeRunsTrainOnly, seed },
      modelSelection: 'validation',
      fold: { index: f, count: p.folds },
      purged,
    });
  }
  return splits;
}

/** Every split a protocol makes for one seed: one for `reference-random`/`temporal`, k for `episode-disjoint`. */
export function makeSplits(ds: SplitInput, spec: ProtocolSpec, seed: number): ProtocolSplit[] {
  const params = (spec.params ?? {}) as Record<string, never>;
  switch (spec.name) {
    case 'reference-random':
      return [referenceRandomSplit(ds, seed, params)];
    case 'temporal':
      return [temporalSplit(ds, params)];
    case 'episode-disjoint':
      return episodeDisjointSplits(ds, seed, params);
    default:
      throw new EadroError('Unknown protocol.', { field: 'protocol.name', expected: protocolNames.join(' | '), found: String((spec as ProtocolSpec).name) });
  }
}

/** One (service, fault type) pair of a test fold and whether any training window of that fold had it. */
export interface CoverageRow {
  fold: number;
  service: string;
  faultType: string;
  testWindows: number;
  trainWindows: number;
  seenInTraining: boolean;
}

/** Coverage of (service, fault type) pairs: which pairs each test fold holds that training never saw. */
export function coverageTable(ds: SplitInput, splits: readonly ProtocolSplit[]): CoverageRow[] {
  const pairOf = (i: number): string | null => {
    const label = ds.labels[i] as number;
    return label < 0 ? null : `${ds.nodes[label] ?? `node${label}`}\u0000${ds.meta.faultType[i] ?? ''}`;
  };
  const count = (indices: readonly number[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const i of indices) {
      const key = pairOf(i);
      if (key !== null) m.set(key, (m.get(key) ?? 0) + 1);
    }
    return m;
  };
  const rows: CoverageRow[] = [];
  splits.forEach((s, f) => {
    const trainCounts = count([...s.train, ...s.val]);
    for (const [key, n] of [...count(s.test)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const [service, faultType] = key.split('\u0000') as [string, string];
      const seen = trainCounts.get(key) ?? 0;
      rows.push({ fold: s.fold?.index ?? f, service, faultType, testWindows: n, trainWindows: seen, seenInTraining: seen > 0 });
    }
  });
  return rows;
}

/** The coverage table as Markdown, with the count of unseen pairs per fold. */
export function coverageMarkdown(rows: readonly CoverageRow[]): string {
  const lines = ['| fold | service | fault type | test windows | train windows | seen in training |', '|---|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.fold} | ${r.service} | ${r.faultType} | ${r.testWindows} | ${r.trainWindows} | ${r.seenInTraining ? 'yes' : '**no**'} |`);
  const folds = [...new Set(rows.map((r) => r.fold))];
  for (const f of folds) {
    const inFold = rows.filter((r) => r.fold === f);
    lines.push('', `fold ${f}: ${inFold.filter((r) => !r.seenInTraining).length} of ${inFold.length} test (service, fault type) pairs never seen in training`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The parts of a split that lack a class (issue 26): a validation part with no normal window (or no
 * faulty one) cannot select a checkpoint or a threshold by F1, and a test part without both classes
 * leaves MCC and PR-AUC undefined. One sentence per such part; empty when every part has both.
 */
export function splitClassWarnings(ds: Pick<WindowDataset, 'labels'>, split: Pick<ProtocolSplit, 'val' | 'test'>): string[] {
  const out: string[] = [];
  const parts: [string, readonly number[]][] = [['validation', split.val], ['test', split.test]];
  for (const [name, windows] of parts) {
    if (windows.length === 0) continue;
    let faulty = 0;
    for (const i of windows) if ((ds.labels[i] as number) >= 0) faulty++;
    if (faulty === 0 || faulty === windows.length) {
      const has = faulty === 0 ? 'only normal' : 'only faulty';
      const consequence = name === 'validation'
        ? 'F1 on it cannot tell checkpoints or thresholds apart'
        : 'MCC and PR-AUC are undefined on it';
      out.push(`the ${name} part holds ${has} windows (${windows.length}): ${consequence}`);
    }
  }
  return out;
}
