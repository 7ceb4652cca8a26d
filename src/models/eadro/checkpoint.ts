/**
 * Checkpoints: a directory with tfjs-format weights (`weights.json` holding a tfjs weightsManifest,
 * `weights.bin` the float32 values in manifest order) and our `metadata.json` (config, variant, dims,
 * node names, epoch, validation metrics, training state). It is written into a temporary sibling
 * directory and renamed into place, so a crash leaves the old checkpoint or the new one.
 *
 * Entries: `param/<name>` (trainable), `bn/<branch>/mean|variance` (BatchNorm running statistics) and,
 * for resumable checkpoints, `adam/m/<name>`, `adam/v/<name>` (optimizer moments).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { EadroError } from '../../core/errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../../core/io.js';
import type { EadroConfig } from './config.js';
import { createEadro, disposeEadro, type EadroModel } from './model.js';
import { Adam } from './adam.js';

export const CHECKPOINT_FORMAT = 'eadro-ts-checkpoint/1';

/** Our metadata beside the weights. */
export interface CheckpointMetadata {
  format: string;
  config: EadroConfig;
  variant: EadroConfig['variant'];
  dims: EadroModel['dims'];
  seed: number;
  /** Epochs completed when saved (1-based count; 0 = untrained). */
  epoch: number;
  /** Free-form numbers recorded by the trainer (validation metrics of this epoch, best epoch, ...). */
  metrics: Record<string, number | null>;
  /** Anything else the trainer needs to resume (history, early-stopping counters). */
  trainerState?: unknown;
  /** Adam step count when optimizer moments are included. */
  adamStep?: number;
  savedAt: string;
}

interface WeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
}

export interface SaveOptions {
  epoch?: number;
  metrics?: Record<string, number | null>;
  trainerState?: unknown;
  /** Include the optimizer's moments (a resumable checkpoint). */
  adam?: Adam;
}

/** Save a model (and optionally its optimizer) to `dir`, replacing what is there. */
export async function saveCheckpoint(model: EadroModel, dir: string, opts: SaveOptions = {}): Promise<void> {
  const tensors: [string, tf.Tensor][] = [];
  for (const [name, v] of model.params) tensors.push([`param/${name}`, v]);
  for (const [branch, s] of model.bnState) {
    tensors.push([`bn/${branch}/mean`, s.mean], [`bn/${branch}/variance`, s.variance]);
  }
  if (opts.adam !== undefined) {
    for (const [name, t] of opts.adam.m) tensors.push([`adam/m/${name}`, t]);
    for (const [name, t] of opts.adam.v) tensors.push([`adam/v/${name}`, t]);
  }
  const entries: WeightEntry[] = [];
  let total = 0;
  for (const [, t] of tensors) total += t.size;
  const values = new Float32Array(total);
  let offset = 0;
  for (const [name, t] of tensors) {
    values.set(await t.data<'float32'>(), offset);
    offset += t.size;
    entries.push({ name, shape: t.shape, dtype: 'float32' });
  }
  const meta: CheckpointMetadata = {
    format: CHECKPOINT_FORMAT,
    config: model.config,
    variant: model.config.variant,
    dims: model.dims,
    seed: model.seed,
    epoch: opts.epoch ?? 0,
    metrics: opts.metrics ?? {},
    savedAt: new Date().toISOString(),
  };
  if (opts.trainerState !== undefined) meta.trainerState = opts.trainerState;
  if (opts.adam !== undefined) meta.adamStep = opts.adam.step;

  const target = path.resolve(dir);
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = path.join(parent, `.${path.basename(target)}.tmp-${process.pid}-${Date.now()}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  writeFileAtomic(path.join(tmp, 'weights.bin'), new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  writeJsonAtomic(path.join(tmp, 'weights.json'), { weightsManifest: [{ paths: ['weights.bin'], weights: entries }] });
  writeJsonAtomic(path.join(tmp, 'metadata.json'), meta);
  const old = path.join(parent, `.${path.basename(target)}.old-${process.pid}-${Date.now()}`);
  if (fs.existsSync(target)) fs.renameSync(target, old);
  fs.renameSync(tmp, target);
  fs.rmSync(old, { recursive: true, force: true });
}

export interface LoadedCheckpoint {
  model: EadroModel;
  metadata: CheckpointMetadata;
  /** The optimizer, when the checkpoint holds its moments. */
  adam?: Adam;
}

/** Load a checkpoint written by saveCheckpoint. */
export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const metaFile = path.join(dir, 'metadata.json');
  const weightsFile = path.join(dir, 'weights.json');
  const binFile = path.join(dir, 'weights.bin');
  for (const f of [metaFile, weightsFile, binFile]) {
    if (!fs.existsSync(f)) throw new EadroError('Checkpoint file is missing.', { file: f, hint: 'was the directory written by saveCheckpoint?' });
  }
  const metadata = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as CheckpointMetadata;
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new EadroError('Unknown checkpoint format.', { file: metaFile, field: 'format', expected: CHECKPOINT_FORMAT, found: String(metadata.format) });
  }
  const manifest = JSON.parse(fs.readFileSync(weightsFile, 'utf8')) as { weightsManifest: { weights: WeightEntry[] }[] };
  const entries = manifest.weightsManifest[0]?.weights ?? [];
  const bytes = fs.readFileSync(binFile);
  const values = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(values.buffer).set(bytes);
  const model = createEadro(metadata.config, metadata.dims, metadata.seed);
  const adamM = new Map<string, tf.Tensor>();
  const adamV = new Map<string, tf.Tensor>();
  let offset = 0;
  const seen = new Set<string>();
  try {
    for (const entry of entries) {
      const size = entry.shape.reduce((a, b) => a * b, 1);
      if (offset + size > values.length) throw new EadroError('Checkpoint weights are truncated.', { file: binFile, field: entry.name });
      const data = values.slice(offset, offset + size);
      offset += size;
      seen.add(entry.name);
      const [kind, ...rest] = entry.name.split('/');
      const name = rest.join('/');
      if (kind === 'param') {
        const v = model.params.get(name);
        if (v === undefined || v.size !== size) {
          throw new EadroError('Checkpoint parameter does not fit the model.', { file: weightsFile, field: entry.name, expected: v ? `shape ${v.shape.join('x')}` : 'a parameter of this config' });
        }
        v.assign(tf.tensor(data, v.shape));
      } else if (kind === 'bn') {
        const [branch, stat] = rest as ['kpi' | 'trace', 'mean' | 'variance'];
        const s = model.bnState.get(branch);
        if (s === undefined) throw new EadroError('Checkpoint BatchNorm state does not fit the model.', { file: weightsFile, field: entry.name });
        s[stat].dispose();
        s[stat] = tf.tensor1d(data);
      } else if (kind === 'adam') {
        const [moment, ...pname] = rest;
        (moment === 'm' ? adamM : adamV).set(pname.join('/'), tf.tensor(data, entry.shape));
      }
    }
    for (const name of model.params.keys()) {
      if (!seen.has(`param/${name}`)) throw new EadroError('Checkpoint lacks a parameter.', { file: weightsFile, field: `param/${name}` });
    }
  } catch (err) {
    disposeEadro(model);
    for (const t of [...adamM.values(), ...adamV.values()]) t.dispose();
    throw err;
  }
  const loaded: LoadedCheckpoint = { model, metadata };
  if (metadata.adamStep !== undefined) {
    const c = metadata.config;
    const adam = new Adam({ learningRate: c.learningRate, beta1: c.adamBeta1, beta2: c.adamBeta2, epsilon: c.adamEpsilon });
    adam.step = metadata.adamStep;
    for (const [k, t] of adamM) adam.m.set(k, t);
    for (const [k, t] of adamV) adam.v.set(k, t);
    loaded.adam = adam;
  }
  return loaded;
}
