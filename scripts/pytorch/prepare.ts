/**
 * Prepares the bundle that `scripts/pytorch/eadro_reference.py` runs on (issue 5: time and compare a
 * PyTorch port of our Eadro, `reference` or `paper` variant, on IDENTICAL input):
 *
 * - SPLIT.json: the protocol's train / validation / test window indices (makeSplits), plus `selection`
 *   (the windows that select the checkpoint: validation, or test only under reference-random's leak).
 * - `--pack DIR`: the windows exactly as our trainer sees them for the variant (prepareEadroData: KPIs
 *   and latency z-scored with training-window statistics; the reference variant's official caller ->
 *   callee graph, or the paper variant's graph mined from spans), as a `.npy` directory (src/windows/export.ts layout),
 *   optionally gzip-compressed (`--compress`: `logs.npy.gz` etc., which the Python loader reads).
 * - `--first-step OUT.json --checkpoint DIR`: a seeded model of the variant saved as our checkpoint,
 *   and, for the first training batch of the split (the order train.ts would use in epoch 1), the loss
 *   parts, every parameter gradient (`--step autodiff`: tfjs autodiff, step.ts; `--step manual`: the
 *   hand-written step training uses, manual/network.ts), the BatchNorm batch statistics and the
 *   eval-mode logits: what `eadro_reference.py check` compares the PyTorch port against. With
 *   `--warm-epochs E` the model first trains E epochs (train.ts, no validation) and the step is the first
 *   batch of epoch E + 1: a fresh paper-variant detector flags nothing or everything, so its
 *   predicted-mask localizer loss is only exercised on a model that has learned something. With
 *   `--from-checkpoint DIR` the model is that checkpoint's (another backend's warm-up reused: tfjs's cpu
 *   backend trains about 10 windows/s).
 *
 *   npx tsx scripts/pytorch/prepare.ts --data <raw-dir|windows-dir> [--variant reference|paper] [--stride 3]
 *     [--protocol temporal] [--seed 0] --split OUT/split.json [--pack OUT/windows] [--compress]
 *     [--first-step OUT/first-step.json --checkpoint OUT/init] [--batch-size 256] [--backend wasm|cpu]
 *     [--step autodiff|manual] [--warm-epochs 0 | --from-checkpoint DIR]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendInfo } from '../../src/core/backend.js';
import { EadroError } from '../../src/core/errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../../src/core/io.js';
import { finishManifest, startManifest } from '../../src/core/manifest.js';
import { epochOrder } from '../../src/models/eadro/train.js';
import { loadWindows, splitFor } from '../../src/experiments/model-cli.js';
import { prepareEadroData } from '../../src/experiments/methods/eadro.js';
import { createEadro, datasetDims, disposeBatch, disposeEadro, forwardEadro, loadCheckpoint, makeBatch, resolveEadroConfig, saveCheckpoint, trainEadro, type EadroModel } from '../../src/models/eadro/index.js';
import { sameConfig } from '../../src/models/eadro/train.js';
import { autodiffGradients, manualGradients, supportsManualStep, type StepKind } from '../../src/models/eadro/step.js';
import type { EadroVariant } from '../../src/models/eadro/config.js';
import { exportNpy } from '../../src/windows/export.js';
import type { WindowDataset } from '../../src/windows/types.js';
import type { ProtocolSplit } from '../../src/evaluation/protocols.js';

export const prepareDefaults = {
  protocol: 'temporal', // protocol.md §4.2: the honest default (the issue asks for it)
  seed: 0, // ours: the seed of the quick reproduction
  batchSize: 256, // paper §V-C; reference main.py batch_size (the first step's batch)
  backend: 'wasm' as 'wasm' | 'cpu', // ours: what the project's tests and benches run on here
  variant: 'reference' as EadroVariant, // issue 5's timing figures are the reference variant's
  step: 'autodiff' as StepKind, // ours: tfjs's own gradients; `manual` checks the hand-written step training runs
  warmEpochs: 0, // ours: check the freshly seeded model unless asked
  /** Files gzip-compressed by --compress (the big arrays; meta.json and windows.json stay plain). */
  compressed: ['logs.npy', 'metrics.npy', 'traces.npy', 'labels.npy'],
  gzipLevel: 6, // zlib default: a fair size/time trade-off
};

/** FIRST_STEP.json: what the PyTorch `check` mode compares against. Arrays are flat, C-order. */
export interface FirstStepFile {
  format: 'eadro-ts-first-step/1';
  variant: EadroVariant;
  seed: number;
  backend: string;
  /** Which implementation computed the gradients and BatchNorm statistics (step.ts StepKind). */
  step: StepKind;
  /** Epochs trained before the step (0: the seeded initial weights); the checkpoint holds that model. */
  warmEpochs: number;
  /** Window indices (into the packed windows) of the batch, in batch order. */
  windows: number[];
  labels: number[];
  losses: { total: number; detect: number; locate: number };
  /** Gradient of the total loss per parameter (our checkpoint names without the `param/` prefix). */
  grads: Record<string, { shape: number[]; values: number[] }>;
  /** Per conv branch: batch mean and biased variance over rows x time positions, and that count. */
  bnBatch: Record<string, { mean: number[]; variance: number[]; rows: number }>;
  /** Eval-mode (running BatchNorm statistics of the checkpoint) logits on the same batch. */
  eval: { detectLogits: { shape: number[]; values: number[] }; locateLogits: { shape: number[]; values: number[] } };
  /** Training-mode logits on the same batch (batch statistics), for diagnosis. */
  train: { detectLogits: { shape: number[]; values: number[] }; locateLogits: { shape: number[]; values: number[] } };
  /** The graph the model computes on: [src[], dst[]] in the config's direction, self-loops per config. */
  edges: [number[], number[]];
}

interface Options {
  data: string;
  stride: number | null;
  protocol: string;
  seed: number;
  split: string;
  pack: string | null;
  compress: boolean;
  firstStep: string | null;
  checkpoint: string | null;
  batchSize: number;
  backend: 'wasm' | 'cpu';
  variant: EadroVariant;
  step: StepKind;
  warmEpochs: number;
  fromCheckpoint: string | null;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      stride: { type: 'string' },
      protocol: { type: 'string', default: prepareDefaults.protocol },
      seed: { type: 'string', default: String(prepareDefaults.seed) },
      split: { type: 'string' },
      pack: { type: 'string' },
      compress: { type: 'boolean', default: false },
      'first-step': { type: 'string' },
      checkpoint: { type: 'string' },
      'batch-size': { type: 'string', default: String(prepareDefaults.batchSize) },
      backend: { type: 'string', default: prepareDefaults.backend },
      variant: { type: 'string', default: prepareDefaults.variant },
      step: { type: 'string', default: prepareDefaults.step },
      'warm-epochs': { type: 'string', default: String(prepareDefaults.warmEpochs) },
      'from-checkpoint': { type: 'string' },
    },
    strict: true,
  });
  const integer = (flag: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new EadroError('Bad flag value.', { field: `--${flag}`, expected: `an integer >= ${min}`, found: text });
    return n;
  };
  if (values.data === undefined) throw new EadroError('Missing flag.', { field: '--data', expected: 'a raw telemetry folder or an exported window folder' });
  if (values.split === undefined) throw new EadroError('Missing flag.', { field: '--split', expected: 'the SPLIT.json file to write' });
  if ((values['first-step'] === undefined) !== (values.checkpoint === undefined)) {
    throw new EadroError('--first-step and --checkpoint go together.', { field: '--first-step/--checkpoint', expected: 'both or neither' });
  }
  if (values.backend !== 'wasm' && values.backend !== 'cpu') {
    throw new EadroError('Bad flag value.', { field: '--backend', expected: 'wasm | cpu', found: String(values.backend) });
  }
  if (values.variant !== 'reference' && values.variant !== 'paper') {
    throw new EadroError('Bad flag value.', { field: '--variant', expected: 'reference | paper', found: String(values.variant) });
  }
  if (values['from-checkpoint'] !== undefined && values['warm-epochs'] !== String(prepareDefaults.warmEpochs)) {
    throw new EadroError('--from-checkpoint and --warm-epochs exclude each other.', { field: '--from-checkpoint/--warm-epochs', expected: 'one of them' });
  }
  if (values.step !== 'autodiff' && values.step !== 'manual') {
    throw new EadroError('Bad flag value.', { field: '--step', expected: 'autodiff | manual', found: String(values.step) });
  }
  return {
    data: values.data,
    stride: values.stride === undefined ? null : integer('stride', values.stride, 1),
    protocol: values.protocol!,
    seed: integer('seed', values.seed!, 0),
    split: values.split,
    pack: values.pack ?? null,
    compress: values.compress!,
    firstStep: values['first-step'] ?? null,
    checkpoint: values.checkpoint ?? null,
    batchSize: integer('batch-size', values['batch-size']!, 1),
    backend: values.backend,
    variant: values.variant,
    step: values.step,
    warmEpochs: integer('warm-epochs', values['warm-epochs']!, 0),
    fromCheckpoint: values['from-checkpoint'] ?? null,
  };
}

/** The first batch train.ts would take in epoch `epoch` (1-based; same substream, same shuffle). */
export function firstTrainingBatch(train: readonly number[], seed: number, batchSize: number, epoch = 1): number[] {
  return epochOrder(train, seed, epoch).slice(0, batchSize);
}

async function flat(t: tf.Tensor): Promise<{ shape: number[]; values: number[] }> {
  return { shape: [...t.shape], values: Array.from(await t.data()) };
}

export interface FirstStepOptions {
  seed: number;
  /** Where the model the step starts from is saved (our checkpoint format). */
  checkpointDir: string;
  /** The backend's name, recorded. */
  backend: string;
  variant: EadroVariant;
  step: StepKind;
  /** The training windows (the split's): warm-up epochs run on them, and the batch is drawn from them. */
  train: number[];
  batchSize: number;
  /** Epochs of train.ts (no validation) before the step; 0 = the seeded initial weights. */
  warmEpochs: number;
  /** Start from this checkpoint instead (its metadata `epoch` = the epochs it was trained). */
  fromCheckpoint: string | null;
}

/**
 * Loss, gradients, BN batch statistics and logits of one batch, from a freshly seeded model, from that
 * model after `warmEpochs` epochs of train.ts, or from a checkpoint. The batch is the first one train.ts
 * takes in the epoch after those the model was trained.
 */
export async function firstStep(data: WindowDataset, o: FirstStepOptions): Promise<FirstStepFile> {
  const { seed, variant, step } = o;
  const config = resolveEadroConfig({ variant });
  if (step === 'manual' && !supportsManualStep(config)) {
    throw new EadroError('The hand-written step does not cover this configuration.', { field: '--step', expected: 'autodiff' });
  }
  let loaded: { model: EadroModel; epochs: number } | null = null;
  if (o.fromCheckpoint !== null) {
    const c = loadCheckpoint(o.fromCheckpoint);
    c.adam?.dispose();
    // The warm-up trained with maxEpochs = its epoch count: the budget is not the model.
    if (!sameConfig({ ...c.metadata.config, maxEpochs: config.maxEpochs }, config) || c.metadata.seed !== seed) {
      disposeEadro(c.model);
      throw new EadroError('The checkpoint holds another config or seed.', { file: path.join(o.fromCheckpoint, 'metadata.json'), field: 'config/seed', expected: `the ${variant} variant's defaults, seed ${seed}` });
    }
    loaded = { model: c.model, epochs: c.metadata.epoch };
  }
  const model =
    loaded !== null
      ? loaded.model
      : o.warmEpochs === 0
      ? createEadro(config, datasetDims(data), seed)
      : (await trainEadro(data, { train: o.train, val: [], test: [] }, { ...config, maxEpochs: o.warmEpochs }, { seed, step })).model;
  try {
    const warmEpochs = loaded?.epochs ?? o.warmEpochs;
    const windows = firstTrainingBatch(o.train, seed, o.batchSize, warmEpochs + 1);
    await saveCheckpoint(model, o.checkpointDir, { epoch: warmEpochs, metrics: {} }); // epoch: the epochs trained before the step
    const batch = makeBatch(data, windows, model.config);
    try {
      const result = step === 'manual' ? manualGradients(model, batch) : autodiffGradients(model, batch);
      const grads: FirstStepFile['grads'] = {};
      for (const [name, g] of result.grads) grads[name] = await flat(g);
      const bnBatch: FirstStepFile['bnBatch'] = {};
      for (const [branch, s] of result.bnBatch) {
        bnBatch[branch] = { mean: Array.from(await s.mean.data()), variance: Array.from(await s.variance.data()), rows: s.rows };
      }
      tf.dispose([...result.grads.values(), ...[...result.bnBatch.values()].flatMap((s) => [s.mean, s.variance])]);
      const outputs = async (training: boolean): Promise<FirstStepFile['eval']> => {
        const out = forwardEadro(model, batch, training);
        const r = { detectLogits: await flat(out.detectLogits), locateLogits: await flat(out.locateLogits) };
        const extra: tf.Tensor[] = [];
        for (const s of out.bnStats.values()) for (const t of [s.y, s.batchMean, s.batchVariance]) if (t !== undefined) extra.push(t);
        tf.dispose([out.detectLogits, out.locateLogits, out.fused, ...extra]);
        return r;
      };
      const evalOut = await outputs(false);
      const trainOut = await outputs(true);
      return {
        format: 'eadro-ts-first-step/1',
        variant,
        seed,
        backend: o.backend,
        step,
        warmEpochs,
        windows,
        labels: Array.from(batch.labels),
        losses: result.losses,
        grads,
        bnBatch,
        eval: evalOut,
        train: trainOut,
        edges: [[...model.dims.edges[0]], [...model.dims.edges[1]]],
      };
    } finally {
      disposeBatch(batch);
    }
  } finally {
    disposeEadro(model);
  }
}

/** Write the prepared windows as a `.npy` directory; with `compress`, the big arrays as `.npy.gz`. */
export function packWindows(data: WindowDataset, dir: string, extra: Record<string, unknown>, compress: boolean): number {
  exportNpy(data, dir, extra);
  if (compress) {
    for (const name of prepareDefaults.compressed) {
      const file = path.join(dir, name);
      writeFileAtomic(`${file}.gz`, zlib.gzipSync(fs.readFileSync(file), { level: prepareDefaults.gzipLevel }));
      fs.rmSync(file);
    }
  } else {
    for (const name of prepareDefaults.compressed) fs.rmSync(path.join(dir, `${name}.gz`), { force: true });
  }
  return directoryBytes(dir);
}

export function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? directoryBytes(p) : fs.statSync(p).size;
  }
  return total;
}

/** SPLIT.json content. */
export function splitFile(split: ProtocolSplit, selection: number[], W: number, seed: number): Record<string, unknown> {
  return {
    format: 'eadro-ts-split/1',
    protocol: split.protocol,
    params: split.params,
    seed,
    W,
    modelSelection: split.modelSelection,
    purged: split.purged,
    train: split.train,
    val: split.val,
    test: split.test,
    selection,
  };
}

export async function main(argv: string[]): Promise<void> {
  const opts = parseOptions(argv);
  const startedAt = new Date();
  const windowConfig = opts.stride === null ? {} : { stride: opts.stride };
  const loaded = await loadWindows(opts.data, windowConfig);
  const ds = loaded.dataset;
  const split = splitFor(ds, opts.protocol, opts.seed);
  const { data, normStats, trainSplit } = prepareEadroData(ds, split, opts.variant);
  const splitJson = splitFile(split, trainSplit.val, ds.W, opts.seed);
  writeJsonAtomic(opts.split, splitJson);
  const config = resolveEadroConfig({ variant: opts.variant });
  const provenance = {
    source: loaded.path,
    sourceKind: loaded.kind,
    sourceChecksum: loaded.info.checksum?.sha256 ?? null,
    windowConfig: loaded.kind === 'raw' ? windowConfig : null,
    windowConfigHash: loaded.windowConfigHash,
    preparedFor: 'scripts/pytorch/eadro_reference.py',
    variant: opts.variant,
    graph: `${opts.variant === 'reference' ? 'reference (the official edge list)' : 'mined from spans'} (methods/eadro.ts prepareEadroData)`,
    normalization: normStats === null ? 'as built' : `train-fitted on ${normStats.fittedOn} training windows`,
    protocol: split.protocol,
    seed: opts.seed,
  };
  let backend: BackendInfo | null = null;
  const summary: Record<string, unknown> = {
    windows: ds.W,
    N: ds.nodes.length,
    E: ds.eventNum,
    K: ds.metricNames.length,
    T: ds.T,
    train: split.train.length,
    val: split.val.length,
    test: split.test.length,
    split: path.resolve(opts.split),
  };
  if (opts.pack !== null) {
    const bytes = packWindows(data, opts.pack, { split: splitJson, provenance }, opts.compress);
    summary['pack'] = path.resolve(opts.pack);
    summary['packBytes'] = bytes;
  }
  if (opts.firstStep !== null && opts.checkpoint !== null) {
    backend = await initBackend(opts.backend);
    if (split.train.length === 0) throw new EadroError('The training split is empty.', { field: 'split.train', expected: 'at least one window' });
    const result = await firstStep(data, {
      seed: opts.seed,
      checkpointDir: opts.checkpoint,
      backend: backend.name,
      variant: opts.variant,
      step: opts.step,
      train: split.train,
      batchSize: opts.batchSize,
      warmEpochs: opts.warmEpochs,
      fromCheckpoint: opts.fromCheckpoint,
    });
    writeJsonAtomic(opts.firstStep, result);
    summary['firstStep'] = { file: path.resolve(opts.firstStep), checkpoint: path.resolve(opts.checkpoint), batch: result.windows.length, losses: result.losses };
  }
  const manifest = startManifest({
    command: 'scripts/pytorch/prepare.ts',
    config: { ...opts, eadro: config },
    seeds: [opts.seed],
    protocol: split.protocol,
    backend,
    datasets: [loaded.info],
    commandLine: ['scripts/pytorch/prepare.ts', ...argv],
    startedAt,
  });
  finishManifest(manifest, opts.pack ?? path.dirname(path.resolve(opts.split)));
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (invokedDirectly) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof EadroError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
