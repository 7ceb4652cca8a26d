/**
 * The results store: one folder per run, `<resultsDir>/runs/<config-hash>/<seed>/`, holding
 * - `predictions.json`: the raw test outputs with labels and episode ids (enough to recompute every
 *   metric and bootstrap interval without the dataset);
 * - `manifest.json`: provenance (src/core/manifest.ts);
 * - `metrics.json`: the metrics, written LAST: its presence marks the run finished. A run killed
 *   before that has no metrics.json and is redone from an emptied folder on the next grid.
 * Every file is written atomically, so a SIGKILL leaves each file whole or absent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../core/io.js';
import { EadroError } from '../core/errors.js';
import type { MetricRecord } from '../evaluation/metrics.js';
import type { CoverageRow } from '../evaluation/protocols.js';
import type { RunSpec } from './config.js';

export const STORE_VERSION = 1;

/** Raw test outputs of one run (all folds pooled), columnar, aligned by position. */
export interface StoredPredictions {
  storeVersion: number;
  /** Number of nodes N of the dataset (for chance levels). */
  nodeCount: number;
  /** [B] dataset window indices. */
  windows: number[];
  /** [B] ground truth: -1 normal, else culprit node index. */
  labels: number[];
  /** [B] episode key `<runId>/<episodeId>`: the bootstrap cluster. */
  episodes: string[];
  /** [B] fold index (0 for single-split protocols). */
  folds: number[];
  anomalyScore: number[] | null;
  predictedAnomalous: boolean[];
  ranking: number[][] | null;
}

export interface StoredMetrics {
  storeVersion: number;
  configHash: string;
  seed: number;
  spec: RunSpec;
  /** Metrics of the pooled test predictions. */
  metrics: MetricRecord;
  /** Metrics per fold (one entry for single-split protocols). */
  perFold: MetricRecord[];
  /** Split bookkeeping per fold: sizes, purged windows, protocol parameters, model selection. */
  splits: { train: number; val: number; test: number; purged: number; params: Record<string, unknown>; modelSelection: string }[];
  /** Method-specific information per fold. */
  info: (Record<string, unknown> | null)[];
  /** `episode-disjoint` only: which (service, fault type) pairs of each test fold training never saw. */
  coverage: CoverageRow[] | null;
  /** Things a reader of this number must know (e.g. normalisation fitted on test data). */
  warnings: string[];
}

export interface StoredRun {
  dir: string;
  metrics: StoredMetrics;
  predictions: StoredPredictions;
}

export function runDir(resultsDir: string, configHash: string, seed: number): string {
  return path.join(resultsDir, 'runs', configHash, String(seed));
}

export function isRunFinished(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'metrics.json'));
}

/** The content checksum (sha256) of the dataset a stored run was made from; null when it recorded none. */
export function storedDatasetChecksum(dir: string): string | null {
  const file = path.join(dir, 'manifest.json');
  if (!fs.existsSync(file)) return null;
  const manifest = readJson<{ datasets?: Array<{ checksum?: { sha256?: string } | null }> }>(file);
  return manifest.datasets?.[0]?.checksum?.sha256 ?? null;
}

/** Empty a run folder before (re)doing the run: leftovers of a killed attempt must not mix in. */
export function resetRunDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
}

export function writePredictions(dir: string, p: StoredPredictions): void {
  writeJsonAtomic(path.join(dir, 'predictions.json'), p);
}

/** Write metrics.json: call last, it marks the run finished. */
export function writeMetrics(dir: string, m: StoredMetrics): void {
  writeJsonAtomic(path.join(dir, 'metrics.json'), m);
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new EadroError('Cannot read a stored run file.', { file, found: (err as Error).message });
  }
}

/** Every finished run under `<resultsDir>/runs`, sorted by config hash then seed (deterministic). */
export function listFinishedRuns(resultsDir: string): StoredRun[] {
  const root = path.join(resultsDir, 'runs');
  if (!fs.existsSync(root)) return [];
  const out: StoredRun[] = [];
  for (const hash of fs.readdirSync(root).sort()) {
    const hashDir = path.join(root, hash);
    if (!fs.statSync(hashDir).isDirectory()) continue;
    const seeds = fs.readdirSync(hashDir).filter((s) => /^\d+$/.test(s)).sort((a, b) => Number(a) - Number(b));
    for (const seed of seeds) {
      const dir = path.join(hashDir, seed);
      if (!isRunFinished(dir)) continue;
      out.push({
        dir,
        metrics: readJson<StoredMetrics>(path.join(dir, 'metrics.json')),
        predictions: readJson<StoredPredictions>(path.join(dir, 'predictions.json')),
      });
    }
  }
  return out;
}
