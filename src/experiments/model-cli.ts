/**
 * Shared logic of `eadro train`, `eadro evaluate` and `eadro explain`: load windows from a raw folder
 * (built through the window cache) or an exported `.npy` folder, make a protocol's split, train Eadro
 * the way the harness does (`methods/eadro.ts prepareEadroData`), save the selected model with what is
 * needed to use it later (the split, the normalisation statistics, where the data came from), and load
 * it back to predict.
 *
 * A model folder (`eadro train --out DIR`):
 * ```
 * DIR/checkpoints/{last,best}/   resumable checkpoints (trainEadro); a rerun resumes from last/
 * DIR/model/                     the selected model (tfjs weights + metadata.json) and model-cli.json
 * DIR/history.json               per-epoch training log
 * DIR/manifest.json              provenance (src/core/manifest.ts)
 * ```
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EadroError } from '../core/errors.js';
import { writeJsonAtomic } from '../core/io.js';
import { finiteOrNull } from '../core/stats.js';
import { describeDataset, type DatasetInfo } from '../core/manifest.js';
import { makeSplits, protocolNames, type ProtocolName, type ProtocolSplit } from '../evaluation/protocols.js';
import { windowAndEpisodeMetrics } from '../evaluation/episode-metrics.js';
import type { MetricRecord } from '../evaluation/metrics.js';
import {
  disposeEadro,
  loadCheckpoint,
  predictAsync,
  resolveEadroConfig,
  saveCheckpoint,
  trainEadro,
  type Ablation,
  type EadroConfig,
  type EadroModel,
  type EpochLog,
  type Prediction,
  type TrainResult,
} from '../models/eadro/index.js';
import { buildWindowDatasetCached, type CachedBuildOptions } from '../windows/cache.js';
import type { WindowConfig } from '../windows/build.js';
import { isNpyDir, loadNpy } from '../windows/export.js';
import { applyNormalization, type NormStats } from '../windows/normalize.js';
import type { WindowDataset } from '../windows/types.js';
import { decideThreshold, eadroMethodDefaults, predictionScores, prepareEadroData } from './methods/eadro.js';

export const modelCliDefaults = {
  protocol: 'temporal' as ProtocolName, // protocol.md §4.2: the honest default; reference-random only to reproduce the official numbers
  fold: 0, // ours: the first fold of k-fold protocols; the others by --fold
  threshold: eadroMethodDefaults.threshold, // the harness's detector decision (methods/eadro.ts)
  topServices: 10, // ours: the ranked list `eadro explain` prints (paper Fig. 6 shows a handful of services)
};

/** Version of model-cli.json, bumped when its fields change. */
export const MODEL_CLI_FORMAT = 'eadro-ts-model-cli/1';

/** Where windows came from. */
export interface LoadedWindows {
  dataset: WindowDataset;
  kind: 'windows' | 'raw';
  /** Absolute path as given. */
  path: string;
  info: DatasetInfo;
  /** Window config hash when built from raw data. */
  windowConfigHash: string | null;
  fromCache: boolean;
}

/**
 * Windows from `dataPath`: an exported window folder (meta.json + *.npy) is loaded as is; anything
 * else is read as a raw telemetry folder and built through the cache with `windowConfig`.
 */
export async function loadWindows(
  dataPath: string,
  windowConfig: Partial<WindowConfig> = {},
  options: CachedBuildOptions = {},
): Promise<LoadedWindows> {
  const abs = path.resolve(dataPath);
  if (!fs.existsSync(abs)) throw new EadroError('Data folder not found.', { file: abs, field: '--data', expected: 'a raw telemetry folder or an exported window folder' });
  if (isNpyDir(abs)) {
    return { dataset: loadNpy(abs), kind: 'windows', path: abs, info: describeDataset(abs, 'exported windows'), windowConfigHash: null, fromCache: false };
  }
  const build = await buildWindowDatasetCached(abs, windowConfig, options);
  return {
    dataset: build.dataset,
    kind: 'raw',
    path: abs,
    info: { path: abs, checksum: build.checksum, description: 'raw telemetry' },
    windowConfigHash: build.configHash,
    fromCache: build.fromCache,
  };
}

/** The split of one protocol for a seed; `fold` picks one of a k-fold protocol's splits. */
export function splitFor(ds: WindowDataset, protocol: string, seed: number, fold = modelCliDefaults.fold, params: Record<string, number | string | boolean> = {}): ProtocolSplit {
  if (!protocolNames.includes(protocol as ProtocolName)) {
    throw new EadroError('Unknown protocol.', { field: '--protocol', expected: protocolNames.join(' | '), found: protocol });
  }
  const splits = makeSplits(ds, { name: protocol as ProtocolName, params }, seed);
  const split = splits[fold];
  if (!Number.isInteger(fold) || split === undefined) {
    throw new EadroError('Fold out of range.', { field: '--fold', expected: `an integer in [0, ${splits.length})`, found: String(fold) });
  }
  return split;
}

/** Normalisation statistics as JSON (Float64Array -> number[]). */
export interface NormStatsJson {
  N: number;
  K: number;
  metricMean: number[];
  metricStd: number[];
  latencyMean: number[];
  latencyStd: number[];
  fittedOn: number;
}

/** What `eadro evaluate` / `eadro explain` need besides the weights: DIR/model/model-cli.json. */
export interface ModelCliMetadata {
  format: string;
  /** The data the model was trained on. */
  data: { kind: 'windows' | 'raw'; path: string; sha256: string | null; windowConfig: Partial<WindowConfig> | null; windowConfigHash: string | null };
  /** The protocol split (indices into that data's windows). */
  split: ProtocolSplit;
  /** Train-fitted statistics applied to every window before the model sees it; null when the data came normalised. */
  normalization: NormStatsJson | null;
  config: EadroConfig;
  seed: number;
  threshold: number;
  bestEpoch: number;
  epochsRun: number;
  /** The epoch whose training loss was not finite (training stopped there), or null (models/eadro/train.ts). */
  divergedAtEpoch?: number | null;
  /** Whether the attention rows ran in WebAssembly SIMD (models/eadro/train.ts TrainResult); absent in older files. */
  simdTimeAttention?: boolean | null;
  /** Whether the GAT backward's edge loops ran in WebAssembly SIMD; absent in older files. */
  simdGatEdges?: boolean | null;
  /** The node names the model was trained with (order = node index). */
  nodes: string[];
}

/** Normalisation statistics as written to model-cli.json and by `eadro export --protocol`. */
export function statsToJson(s: NormStats): NormStatsJson {
  return { N: s.N, K: s.K, metricMean: [...s.metricMean], metricStd: [...s.metricStd], latencyMean: [...s.latencyMean], latencyStd: [...s.latencyStd], fittedOn: s.fittedOn };
}

function statsFromJson(s: NormStatsJson): NormStats {
  return {
    N: s.N,
    K: s.K,
    metricMean: Float64Array.from(s.metricMean),
    metricStd: Float64Array.from(s.metricStd),
    latencyMean: Float64Array.from(s.latencyMean),
    latencyStd: Float64Array.from(s.latencyStd),
    fittedOn: s.fittedOn,
  };
}

export interface TrainCliOptions {
  variant: EadroConfig['variant'];
  without: Ablation[];
  /** Overrides of any EadroConfig field (maxEpochs, batchSize, patience ...). */
  params: Partial<EadroConfig>;
  protocol: string;
  protocolParams?: Record<string, number | string | boolean>;
  fold?: number;
  seed: number;
  out: string;
  windowConfig?: Partial<WindowConfig> | null;
  /** Training threads (models/eadro/parallel); undefined = EADRO_TRAIN_THREADS, else 1. */
  threads?: number;
  onEpoch?: (e: EpochLog) => void;
}

/** What trainModel passes on from models/eadro/train.ts's TrainResult, as it is there. */
type PassedOn = 'history' | 'bestEpoch' | 'divergedAtEpoch' | 'fastWasmKernels' | 'simdTimeAttention' | 'simdGatEdges';

export interface TrainCliResult extends Pick<TrainResult, PassedOn> {
  split: ProtocolSplit;
  config: EadroConfig;
  modelDir: string;
  /** How many epochs this call trained (0 when a finished run was resumed). */
  epochsThisCall: number;
}

/** Train on `windows` with the protocol's split and write the model folder `opts.out`. */
export async function trainModel(windows: LoadedWindows, opts: TrainCliOptions): Promise<TrainCliResult> {
  const ds = windows.dataset;
  const split = splitFor(ds, opts.protocol, opts.seed, opts.fold, opts.protocolParams);
  const config = resolveEadroConfig({ ...opts.params, variant: opts.variant, without: opts.without });
  checkResumable(path.join(opts.out, 'checkpoints', 'last'), config, opts.seed);
  const { data, normStats, trainSplit } = prepareEadroData(ds, split, opts.variant);
  let epochsThisCall = 0;
  const trained = await trainEadro(data, trainSplit, config, {
    seed: opts.seed,
    checkpointDir: path.join(opts.out, 'checkpoints'),
    ...(opts.threads === undefined ? {} : { threads: opts.threads }),
    onEpoch: (e) => {
      epochsThisCall++;
      opts.onEpoch?.(e);
    },
  });
  const modelDir = path.join(opts.out, 'model');
  try {
    // The same cut as the harness's Eadro runs: chosen on the selection windows (methods/eadro.ts).
    const cut = await decideThreshold(trained.model, data, trainSplit.val, eadroMethodDefaults.thresholdRule);
    await writeModelFolder(modelDir, trained, {
      data: {
        kind: windows.kind,
        path: windows.path,
        sha256: windows.info.checksum?.sha256 ?? null,
        windowConfig: windows.kind === 'raw' ? (opts.windowConfig ?? {}) : null,
        windowConfigHash: windows.windowConfigHash,
      },
      split,
      normStats,
      config,
      seed: opts.seed,
      nodes: ds.nodes,
      threshold: cut.threshold,
    });
  } finally {
    disposeEadro(trained.model);
  }
  writeJsonAtomic(path.join(opts.out, 'history.json'), trained.history.map((h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, typeof v === 'number' ? finiteOrNull(v) : v]))));
  const { history, bestEpoch, divergedAtEpoch, fastWasmKernels, simdTimeAttention, simdGatEdges } = trained;
  return { split, history, bestEpoch, divergedAtEpoch, fastWasmKernels, simdTimeAttention, simdGatEdges, config, modelDir, epochsThisCall };
}

/**
 * Write a model folder's `model/` part: the selected weights and model-cli.json (what evaluate and
 * explain need besides them). Used by `eadro train` and by the grid's Eadro runs (methods/eadro.ts),
 * so that a model trained by a grid opens like one trained by `eadro train`.
 */
export async function writeModelFolder(
  modelDir: string,
  trained: Pick<TrainResult, 'model' | 'history' | 'bestEpoch' | 'divergedAtEpoch' | 'simdTimeAttention' | 'simdGatEdges'>,
  what: { data: ModelCliMetadata['data']; split: ProtocolSplit; normStats: NormStats | null; config: EadroConfig; seed: number; nodes: string[]; threshold?: number },
): Promise<void> {
  const best = trained.history[trained.bestEpoch - 1];
  await saveCheckpoint(trained.model, modelDir, {
    epoch: trained.bestEpoch,
    metrics: { valLoss: finiteOrNull(best?.valLoss), valF1: finiteOrNull(best?.valF1), valHR1: finiteOrNull(best?.valHR1), valHR3: finiteOrNull(best?.valHR3) },
  });
  const meta: ModelCliMetadata = {
    format: MODEL_CLI_FORMAT,
    data: what.data,
    split: what.split,
    normalization: what.normStats === null ? null : statsToJson(what.normStats),
    config: what.config,
    seed: what.seed,
    threshold: what.threshold ?? modelCliDefaults.threshold,
    bestEpoch: trained.bestEpoch,
    epochsRun: trained.history.length,
    divergedAtEpoch: trained.divergedAtEpoch,
    simdTimeAttention: trained.simdTimeAttention,
    simdGatEdges: trained.simdGatEdges,
    nodes: what.nodes,
  };
  writeJsonAtomic(path.join(modelDir, 'model-cli.json'), meta);
}

/**
 * A rerun into the same --out resumes only the same training: the config (all of it, epochs
 * included) and seed must match the last checkpoint. Said here in the CLI's terms, before any work.
 */
function checkResumable(lastDir: string, config: EadroConfig, seed: number): void {
  const file = path.join(lastDir, 'metadata.json');
  if (!fs.existsSync(file)) return;
  const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { config?: Record<string, unknown>; seed?: number };
  const differ = Object.keys(config).filter((k) => JSON.stringify((config as unknown as Record<string, unknown>)[k]) !== JSON.stringify(saved.config?.[k]));
  if (saved.seed !== seed) differ.push('seed');
  if (differ.length > 0) {
    throw new EadroError('The --out folder holds a training run with other settings; rerunning resumes only the same run.', {
      file: lastDir,
      field: differ.join(', '),
      expected: differ.map((k) => `${k} ${k === 'seed' ? String(saved.seed) : JSON.stringify(saved.config?.[k])}`).join(', '),
      hint: 'use a fresh --out, or the same flags and seed to resume',
    });
  }
}

export interface SavedModel {
  model: EadroModel;
  meta: ModelCliMetadata;
  /** The model folder (DIR, the `--out` of train). */
  dir: string;
}

/**
 * The model folder of `dir`: DIR itself (`eadro train --out DIR`), or a grid run's folder
 * (`runs-store/runs/<hash>/<seed>`), whose Eadro model lives in `work/fold-<k>/` (`fold` picks it).
 */
export function modelFolderOf(dir: string, fold = modelCliDefaults.fold): string {
  const abs = path.resolve(dir);
  if (fs.existsSync(path.join(abs, 'model', 'model-cli.json'))) return abs;
  const inRun = path.join(abs, 'work', `fold-${fold}`);
  if (fs.existsSync(path.join(inRun, 'model', 'model-cli.json'))) return inRun;
  throw new EadroError('Not a trained model folder.', {
    file: path.join(abs, 'model', 'model-cli.json'),
    field: '--model',
    expected: `the --out folder of \`eadro train\` (holding model/model-cli.json), or a grid run folder runs-store/runs/<hash>/<seed> of an Eadro run (holding work/fold-${fold}/model/model-cli.json)`,
  });
}

/** Load a model folder (weights + model-cli.json) written by trainModel or a grid's Eadro run. */
export function loadSavedModel(dir: string): SavedModel {
  const abs = modelFolderOf(dir);
  const metaFile = path.join(abs, 'model', 'model-cli.json');
  let meta: ModelCliMetadata;
  try {
    meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as ModelCliMetadata;
  } catch (err) {
    throw new EadroError('model-cli.json is not valid JSON.', { file: metaFile, field: '--model', found: (err as Error).message });
  }
  if (meta.format !== MODEL_CLI_FORMAT) {
    throw new EadroError('Unknown model folder format.', { file: metaFile, field: 'format', expected: MODEL_CLI_FORMAT, found: String(meta.format) });
  }
  const { model } = loadCheckpoint(path.join(abs, 'model'));
  return { model, meta, dir: abs };
}

/**
 * The windows to score with a saved model: its training data (checked against the recorded
 * checksum) unless `dataPath` names other data, normalised with the saved statistics. Other data
 * must have the same services in the same order and the same K, T and E.
 */
export async function windowsForModel(saved: SavedModel, dataPath?: string): Promise<{ windows: LoadedWindows; dataset: WindowDataset; sameData: boolean }> {
  const { meta } = saved;
  const windows = await loadWindows(dataPath ?? meta.data.path, meta.data.windowConfig ?? {});
  const sameData = dataPath === undefined || (windows.info.checksum?.sha256 ?? null) === meta.data.sha256;
  if (dataPath === undefined && meta.data.sha256 !== null && windows.info.checksum?.sha256 !== meta.data.sha256) {
    throw new EadroError('The model\'s training data changed since training.', {
      file: meta.data.path,
      expected: `content sha256 ${meta.data.sha256}`,
      found: String(windows.info.checksum?.sha256),
      hint: 'pass --data to evaluate on other data',
    });
  }
  const ds = windows.dataset;
  const dims = saved.model.dims;
  const checks: [string, number, number][] = [
    ['services (N)', ds.nodes.length, dims.N],
    ['KPIs (K)', ds.metricNames.length, dims.K],
    ['time steps (T)', ds.T, dims.T],
    ['log event types (E)', ds.eventNum, dims.E],
  ];
  for (const [field, found, expected] of checks) {
    if (found !== expected) throw new EadroError('The data does not fit the model.', { file: windows.path, field: `--data: ${field}`, expected: String(expected), found: String(found) });
  }
  const mismatch = ds.nodes.findIndex((n, i) => n !== meta.nodes[i]);
  if (mismatch >= 0) {
    throw new EadroError('The data names its services differently from the model.', { file: windows.path, field: `--data: nodes[${mismatch}]`, expected: String(meta.nodes[mismatch]), found: String(ds.nodes[mismatch]) });
  }
  let dataset = ds;
  if (meta.normalization !== null && ds.normalization === 'none') {
    dataset = { ...ds, metrics: ds.metrics.slice(), traces: ds.traces.slice(), normalization: 'train-fitted' };
    applyNormalization(dataset, statsFromJson(meta.normalization));
  }
  return { windows, dataset, sameData };
}

export interface Evaluation {
  windows: number[];
  prediction: Prediction;
  metrics: MetricRecord;
  /** Wall microseconds per window of predict over all `indices`, after a one-window warm-up. */
  inferUsPerWindow: number;
}

/** Predict `indices` and score them with the shared metrics (computeMetrics). */
export async function evaluateModel(saved: SavedModel, ds: WindowDataset, indices: readonly number[]): Promise<Evaluation> {
  // One untimed window first: the backend compiles its kernels on the first call (ours: the figure is
  // meant as the steady-state time per window, not start-up).
  if (indices.length > 0) await predictAsync(saved.model, ds, indices.slice(0, 1));
  const t0 = process.hrtime.bigint();
  const prediction = await predictAsync(saved.model, ds, indices);
  const inferUsPerWindow = indices.length > 0 ? Number(process.hrtime.bigint() - t0) / 1000 / indices.length : Number.NaN;
  const scored = { labels: indices.map((w) => ds.labels[w] as number), ...predictionScores(prediction, saved.model.dims.N, saved.meta.threshold) };
  const metrics = windowAndEpisodeMetrics(ds, indices, scored, Number.isFinite(inferUsPerWindow) ? inferUsPerWindow : null);
  return { windows: [...indices], prediction, metrics, inferUsPerWindow };
}

/**
 * The window for a time (unix seconds): among the windows whose [start, start + T) holds it, the one
 * that starts last (it ends latest, so it has seen the most of what happened up to then).
 */
export function windowAtTime(ds: WindowDataset, unixSeconds: number): number | null {
  let best: number | null = null;
  for (let w = 0; w < ds.W; w++) {
    const s = ds.meta.start[w] as number;
    if (s <= unixSeconds && unixSeconds < s + ds.T && (best === null || s > (ds.meta.start[best] as number))) best = w;
  }
  return best;
}

/** Parse `--time`: unix seconds (a number) or an ISO-8601 date-time. */
export function parseTime(text: string): number {
  const asNumber = Number(text);
  if (text.trim() !== '' && Number.isFinite(asNumber)) return asNumber;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new EadroError('Cannot read the time.', { field: '--time', expected: 'unix seconds or an ISO time (2022-04-01T12:00:00Z)', found: text });
  return ms / 1000;
}

/** Which part of the saved split a window belongs to. */
export function partOf(split: ProtocolSplit, w: number): 'train' | 'validation' | 'test' | 'none' {
  if (split.train.includes(w)) return 'train';
  if (split.val.includes(w)) return 'validation';
  if (split.test.includes(w)) return 'test';
  return 'none';
}
