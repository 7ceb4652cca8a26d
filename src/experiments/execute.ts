/**
 * One run of a grid, start to end, in the current process: build the dataset, make the protocol's
 * splits for the seed, fit and evaluate the method on each, score the pooled test outputs with the
 * shared metrics, and store predictions, manifest and metrics (metrics last = finished).
 */
import * as path from 'node:path';
import { stableStringify } from '../core/hash.js';
import { finishManifest, startManifest, type DatasetInfo } from '../core/manifest.js';
import { EadroError } from '../core/errors.js';
import { episodeKey, windowAndEpisodeMetrics } from '../evaluation/episode-metrics.js';
import { coverageTable, makeSplits, splitClassWarnings } from '../evaluation/protocols.js';
import type { WindowDataset } from '../windows/types.js';
import type { DatasetSpec } from './config.js';
import type { GridRun } from './grid.js';
import type { RunResult } from './method.js';
import { getMethod, loadDataset } from './registry.js';
import { ensureTestbed, freshRawChecksum, rawDatasetInfo, testbedRoot } from './datasets.js';
import { isRunFinished, resetRunDir, runDir, storedDatasetChecksum, writeMetrics, writePredictions, STORE_VERSION, type StoredPredictions } from './store.js';

/** Datasets built in this process, by spec: the runs of one worker usually share a few datasets. */
const datasetCache = new Map<string, WindowDataset>();

async function datasetFor(run: GridRun): Promise<WindowDataset> {
  const key = stableStringify({ dataset: run.spec.dataset, pipeline: run.spec.pipeline });
  let ds = datasetCache.get(key);
  if (ds === undefined) {
    ds = await loadDataset(run.spec.dataset, run.spec.pipeline);
    datasetCache.set(key, ds);
  }
  return ds;
}

function checkResult(r: RunResult, test: readonly number[], method: string): void {
  const b = test.length;
  const bad = (field: string, expected: string): never => {
    throw new EadroError(`Method '${method}' returned malformed results.`, { field, expected });
  };
  if (r.windows.length !== b || r.windows.some((w, j) => w !== test[j])) bad('windows', 'split.test in the same order');
  if (r.predictedAnomalous.length !== b) bad('predictedAnomalous', `${b} values`);
  if (r.anomalyScore !== null && r.anomalyScore.length !== b) bad('anomalyScore', `${b} values or null`);
  if (r.ranking !== null && r.ranking.length !== b) bad('ranking', `${b} rankings or null`);
}

/** Provenance of a run's dataset; raw and testbed folders reuse the checksum their window build made. */
function datasetInfo(d: DatasetSpec): DatasetInfo {
  if (d.kind === 'raw') return rawDatasetInfo(d.path, `raw ${d.system}`);
  if (d.kind === 'testbed') {
    return rawDatasetInfo(testbedRoot(d.system, d.profile, d.seed), `testbed ${d.system} profile ${d.profile} seed ${d.seed}`);
  }
  // Generated windows are fully described by their spec (seeded), recorded in the config.
  return { path: `(${d.kind})`, checksum: null, description: `generated '${d.generator}' ${d.system}` };
}

/**
 * The content checksum (sha256) of a run's dataset as it is now: testbed data made or brought up to
 * date first (as executing the run would), then hashed afresh, since a folder may have changed since
 * this process last hashed it. Null for generated datasets (their spec, in the config hash, describes them).
 */
export async function currentDatasetChecksum(d: DatasetSpec): Promise<string | null> {
  if (d.kind === 'generated') return null;
  const root = d.kind === 'raw' ? d.path : await ensureTestbed(d.system, d.profile, d.seed);
  return freshRawChecksum(root)?.sha256 ?? null;
}

/**
 * The runs of a grid still to do: not finished, or finished on a dataset whose content has changed
 * since (a new testbed version, an edited raw folder): a stored result must come from the data it is
 * reported with. Each distinct dataset is checked once.
 */
export async function unfinishedRuns(runs: readonly GridRun[], resultsDir: string): Promise<GridRun[]> {
  const current = new Map<string, string | null>();
  const out: GridRun[] = [];
  for (const r of runs) {
    const dir = runDir(resultsDir, r.configHash, r.seed);
    if (!isRunFinished(dir)) {
      out.push(r);
      continue;
    }
    const key = stableStringify(r.spec.dataset);
    if (!current.has(key)) current.set(key, await currentDatasetChecksum(r.spec.dataset));
    if (storedDatasetChecksum(dir) !== current.get(key)) out.push(r);
  }
  return out;
}

export interface ExecuteOptions {
  resultsDir: string;
  /** Per-run progress callback (epochs and such), forwarded to the grid's display. */
  progress?: (done: number, total: number, status?: string) => void;
}

/** Execute one run and store it; returns the run folder. */
export async function executeRun(run: GridRun, opts: ExecuteOptions): Promise<string> {
  const dir = runDir(opts.resultsDir, run.configHash, run.seed);
  resetRunDir(dir);
  const startedAt = new Date();
  const ds = await datasetFor(run);
  const manifest = startManifest({
    startedAt,
    command: 'grid',
    config: run.spec,
    seeds: [run.seed],
    protocol: run.spec.protocol.name,
    datasets: [datasetInfo(run.spec.dataset)],
  });
  const method = await getMethod(run.spec.method.name);
  const splits = makeSplits(ds, run.spec.protocol, run.seed);
  const pooled: StoredPredictions = {
    storeVersion: STORE_VERSION,
    nodeCount: ds.nodes.length,
    windows: [],
    labels: [],
    episodes: [],
    folds: [],
    anomalyScore: [],
    predictedAnomalous: [],
    ranking: [],
  };
  const perFold = [];
  const info = [];
  let inferUsSum = 0;
  let inferCount = 0;
  const dsInfo = manifest.datasets[0];
  const dataSource = run.spec.dataset.kind === 'generated' || dsInfo === undefined
    ? undefined
    : { path: dsInfo.path, sha256: dsInfo.checksum?.sha256 ?? null, windowConfig: run.spec.pipeline };
  for (const [f, split] of splits.entries()) {
    const ctx = {
      ...(dataSource === undefined ? {} : { dataSource }),
      seed: run.seed,
      workDir: path.join(dir, 'work', `fold-${f}`),
      method: run.spec.method,
      progress: opts.progress ?? (() => undefined),
    };
    const r = await method.fitAndEvaluate(ds, split, ctx);
    checkResult(r, split.test, method.name);
    if (r.backend !== undefined) manifest.backend = r.backend;
    const labels = r.windows.map((w) => ds.labels[w] as number);
    perFold.push(windowAndEpisodeMetrics(ds, r.windows, { labels, anomalyScore: r.anomalyScore, predictedAnomalous: r.predictedAnomalous, ranking: r.ranking }, r.inferUsPerWindow));
    info.push(r.info ?? null);
    if (r.inferUsPerWindow !== null) {
      inferUsSum += r.inferUsPerWindow * r.windows.length;
      inferCount += r.windows.length;
    }
    pooled.windows.push(...r.windows);
    pooled.labels.push(...labels);
    pooled.episodes.push(...r.windows.map(episodeKey(ds)));
    pooled.folds.push(...r.windows.map(() => f));
    pooled.predictedAnomalous.push(...r.predictedAnomalous.map(Boolean));
    // A method that gives no scores (or no ranking) in any fold stores null for all of them.
    if (r.anomalyScore === null) pooled.anomalyScore = null;
    else pooled.anomalyScore?.push(...r.anomalyScore);
    if (r.ranking === null) pooled.ranking = null;
    else pooled.ranking?.push(...r.ranking);
  }
  const metrics = windowAndEpisodeMetrics(ds, pooled.windows, pooled, inferCount > 0 ? inferUsSum / inferCount : null);
  const warnings: string[] = [];
  // issue 26: a part without one class selects on nothing (validation) or leaves metrics undefined (test)
  splits.forEach((split, f) => {
    for (const w of splitClassWarnings(ds, split)) warnings.push(splits.length > 1 ? `fold ${f}: ${w}` : w);
  });
  if (ds.normalization === 'reference-per-run' && run.spec.protocol.name !== 'reference-random') {
    // protocol.md §4.1 item 7: z-scores over each whole run, faults and test part included.
    warnings.push('dataset normalised per run over all its windows (reference preprocessing): test statistics leaked into the features');
  }
  writePredictions(dir, pooled);
  finishManifest(manifest, dir);
  writeMetrics(dir, {
    storeVersion: STORE_VERSION,
    configHash: run.configHash,
    seed: run.seed,
    spec: run.spec,
    metrics,
    perFold,
    splits: splits.map((s) => ({ train: s.train.length, val: s.val.length, test: s.test.length, purged: s.purged, params: s.params, modelSelection: s.modelSelection })),
    info,
    coverage: run.spec.protocol.name === 'episode-disjoint' ? coverageTable(ds, splits) : null,
    warnings,
  });
  return dir;
}
