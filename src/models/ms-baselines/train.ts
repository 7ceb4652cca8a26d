/**
 * Training and inference of MS-LSTM / MS-DCC, on Eadro's terms (src/models/eadro/train.ts): Adam in
 * PyTorch's form, the epoch order a shuffle by the seed's `shuffle/epoch-e` substream (so a resumed run
 * replays the epochs an uninterrupted one would), the checkpoint chosen on the VALIDATION windows only by
 * the mean of detection F1 and HR@1 (Eadro's `selectBy: 'f1-hr1'`), early stopping after `patience`
 * epochs without a better score, a stop with a warning at an epoch whose training loss is not finite,
 * and resumable checkpoints (`last.json` after every epoch: weights, BatchNorm state, Adam moments,
 * history; `best.json` for the selected epoch).
 *
 * Gradients come from tfjs autodiff (`tf.variableGrads`); `results/bench/ms-baselines.json` has the
 * speed it gives (scripts/bench/ms-baselines.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { EadroError } from '../../core/errors.js';
import { onDeviceBackend } from '../../core/backend.js';
import { assertFiniteInputs } from '../../windows/finite.js';
import { writeJsonAtomic } from '../../core/io.js';
import { createProgress } from '../../core/progress.js';
import { finiteOrNull } from '../../core/stats.js';
import { multiSourceTensor, type MultiSourceLayout } from '../../windows/multi-source.js';
import type { WindowDataset } from '../../windows/types.js';
import { Adam } from '../eadro/adam.js';
import { eadroLoss } from '../eadro/loss.js';
import { selectionMetrics } from '../eadro/selection-metrics.js';
import { epochOrder } from '../eadro/train.js';
import { ensureFastWasmKernels } from '../eadro/wasm-kernels.js';
import type { MsConfig } from './config.js';
import { createMsModel, disposeMsModel, forwardMs, updateRunningStats, type MsModel } from './model.js';

export const msTrainDefaults = {
  inferBatch: 256, // ours: windows per inference pass (memory only; results do not depend on it)
  adam: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, // PyTorch Adam defaults, as Eadro
  checkpointFormat: 'eadro-ts-ms-checkpoint/1',
};

export interface MsEpochLog {
  epoch: number;
  trainLoss: number;
  valF1: number;
  valHR1: number;
  /** Selection score: mean of validation F1 and HR@1 (undefined counts as 0). */
  score: number;
  trainSeconds: number;
  windowsPerSecond: number;
  improved: boolean;
  diverged?: boolean;
}

export interface MsTrainResult {
  model: MsModel;
  history: MsEpochLog[];
  /** 1-based selected epoch. */
  bestEpoch: number;
  divergedAtEpoch: number | null;
  /** Whether Eadro's replacement wasm kernels (eadro/wasm-kernels.ts) ran: about 4x faster steps here. */
  fastWasmKernels: boolean;
}

export interface MsTrainOptions {
  seed: number;
  /** Folder for resumable checkpoints (created); none when undefined. */
  checkpointDir?: string;
  onEpoch?: (e: MsEpochLog) => void;
}

interface TrainerState {
  history: MsEpochLog[];
  bestEpoch: number;
  bestScore: number | null;
  sinceImprovement: number;
  stopped: boolean;
  divergedAtEpoch: number | null;
}

/** Loss settings of Eadro's joint objective as these models use it (one sigmoid unit, BCE). */
const lossConfig = (c: MsConfig) => ({ detector: 'sigmoid-bce' as const, locateMask: c.locateMask, beta: c.beta });

function batchInput(ds: WindowDataset, layout: MultiSourceLayout, windows: readonly number[]): tf.Tensor4D {
  return tf.tensor4d(multiSourceTensor(ds, layout, windows), [windows.length, layout.N, layout.T, layout.C]);
}

export interface MsPrediction {
  /** [B] P(anomalous). */
  anomalyProb: Float32Array;
  /** [B, N] services, most likely culprit first. */
  ranking: Int32Array;
}

/** Evaluation-mode predictions for `windows`. */
export async function predictMs(model: MsModel, ds: WindowDataset, layout: MultiSourceLayout, windows: readonly number[]): Promise<MsPrediction> {
  const N = model.dims.N;
  const anomalyProb = new Float32Array(windows.length);
  const ranking = new Int32Array(windows.length * N);
  for (let s = 0; s < windows.length; s += msTrainDefaults.inferBatch) {
    const ids = windows.slice(s, s + msTrainDefaults.inferBatch);
    // Reads awaited: dataSync fails on webgpu in Node (core/webgpu.ts).
    const outs = tf.tidy(() => {
      const out = forwardMs(model, batchInput(ds, layout, ids), false);
      return [tf.sigmoid(out.detectLogits.reshape([ids.length])), out.locateLogits];
    });
    const [prob, logits] = await Promise.all(outs.map((t) => t.data()));
    tf.dispose(outs);
    anomalyProb.set(prob as Float32Array, s);
    for (let b = 0; b < ids.length; b++) {
      const row = Array.from((logits as Float32Array).subarray(b * N, (b + 1) * N));
      const order = row.map((_, i) => i).sort((x, y) => row[y]! - row[x]! || x - y);
      ranking.set(order, (s + b) * N);
    }
  }
  return { anomalyProb, ranking };
}

// ---- checkpoints ---------------------------------------------------------------------------------

interface SavedTensor {
  shape: number[];
  /** float32 little-endian, base64. */
  data: string;
}

const save = async (t: tf.Tensor): Promise<SavedTensor> => ({ shape: t.shape, data: Buffer.from(((await t.data()) as Float32Array).buffer.slice(0)).toString('base64') });
const saveAll = async (m: Map<string, tf.Tensor>): Promise<Record<string, SavedTensor>> =>
  Object.fromEntries(await Promise.all([...m].map(async ([k, v]) => [k, await save(v)] as const)));
const restore = (s: SavedTensor): tf.Tensor => {
  const bytes = Buffer.from(s.data, 'base64');
  return tf.tensor(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).slice(), s.shape);
};

interface CheckpointFile {
  format: string;
  config: MsConfig;
  seed: number;
  dims: MsModel['dims'];
  /** Channel names of the layout the model was trained on (a resume must see the same input). */
  channels: string[];
  params: Record<string, SavedTensor>;
  bn: { mean: SavedTensor; variance: SavedTensor } | null;
  adam?: { step: number; m: Record<string, SavedTensor>; v: Record<string, SavedTensor> };
  state?: TrainerState;
}

async function checkpointOf(model: MsModel, seed: number, layout: MultiSourceLayout, adam?: Adam, state?: TrainerState): Promise<CheckpointFile> {
  return {
    format: msTrainDefaults.checkpointFormat,
    config: model.config,
    seed,
    dims: model.dims,
    channels: layout.channels.map((c) => `${c.source}:${c.name}`),
    params: await saveAll(model.params),
    bn: model.bn === null ? null : { mean: await save(model.bn.mean), variance: await save(model.bn.variance) },
    ...(adam === undefined ? {} : { adam: { step: adam.step, m: await saveAll(adam.m), v: await saveAll(adam.v) } }),
    ...(state === undefined ? {} : { state }),
  };
}

function readCheckpoint(file: string): CheckpointFile {
  let parsed: CheckpointFile;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as CheckpointFile;
  } catch (err) {
    throw new EadroError('Unreadable MS checkpoint.', { file, found: (err as Error).message, hint: 'delete the checkpoint folder to train from scratch' });
  }
  if (parsed.format !== msTrainDefaults.checkpointFormat) throw new EadroError('Not an MS checkpoint.', { file, field: 'format', expected: msTrainDefaults.checkpointFormat, found: String(parsed.format) });
  return parsed;
}

/** Load weights (and BatchNorm state) of a checkpoint into `model`. */
function loadWeights(model: MsModel, ckpt: CheckpointFile): void {
  for (const [k, v] of model.params) {
    const saved = ckpt.params[k];
    if (saved === undefined) throw new EadroError('The checkpoint lacks a weight.', { field: `params.${k}` });
    const t = restore(saved);
    v.assign(t);
    t.dispose();
  }
  if (model.bn !== null && ckpt.bn !== null) {
    tf.dispose([model.bn.mean, model.bn.variance]);
    model.bn = { mean: restore(ckpt.bn.mean) as tf.Tensor1D, variance: restore(ckpt.bn.variance) as tf.Tensor1D };
  }
}

// ---- training ------------------------------------------------------------------------------------

/**
 * Train on `split.train`, select on `split.val` (the caller hands the test windows here only under the
 * reference protocol's leak). Returns the model of the selected epoch.
 */
export async function trainMs(ds: WindowDataset, layout: MultiSourceLayout, split: { train: readonly number[]; val: readonly number[] }, config: MsConfig, opts: MsTrainOptions): Promise<MsTrainResult> {
  if (split.train.length === 0) throw new EadroError('The training split is empty.', { field: 'split.train', expected: 'at least one window' });
  const dims = { N: layout.N, T: layout.T, C: layout.C };
  // On a GPU backend a NaN input may never reach the loss (windows/finite.ts): check the inputs first.
  if (onDeviceBackend()) assertFiniteInputs(ds, [...split.train, ...split.val]);
  // Eadro's faster wasm kernels (matMul with transposes, reductions, slices): measured 1,190 -> 300 ms
  // per MS-DCC step at TT's shape (batch 128, N = 27, C = 123). A no-op on other backends.
  const fastWasmKernels = ensureFastWasmKernels();
  const model = createMsModel(config, dims, opts.seed);
  const adam = new Adam({ learningRate: config.learningRate, ...msTrainDefaults.adam });
  let state: TrainerState = { history: [], bestEpoch: 0, bestScore: null, sinceImprovement: 0, stopped: false, divergedAtEpoch: null };
  const lastFile = opts.checkpointDir === undefined ? undefined : path.join(opts.checkpointDir, 'last.json');
  const bestFile = opts.checkpointDir === undefined ? undefined : path.join(opts.checkpointDir, 'best.json');
  let best: CheckpointFile | null = null;
  if (lastFile !== undefined && fs.existsSync(lastFile)) {
    const last = readCheckpoint(lastFile);
    const channels = layout.channels.map((c) => `${c.source}:${c.name}`);
    if (JSON.stringify(last.config) !== JSON.stringify(config) || last.seed !== opts.seed || JSON.stringify(last.channels) !== JSON.stringify(channels)) {
      disposeMsModel(model);
      throw new EadroError('The checkpoint folder holds a run with another config, seed or input channels.', { file: lastFile, hint: 'use a fresh folder, or the same config, seed and data to resume' });
    }
    loadWeights(model, last);
    if (last.adam !== undefined) {
      adam.step = last.adam.step;
      for (const [k, s] of Object.entries(last.adam.m)) adam.m.set(k, restore(s));
      for (const [k, s] of Object.entries(last.adam.v)) adam.v.set(k, restore(s));
    }
    if (last.state !== undefined) state = last.state;
    if (bestFile !== undefined && fs.existsSync(bestFile)) best = readCheckpoint(bestFile);
  }
  const stepsPerEpoch = Math.ceil(split.train.length / config.batchSize);
  const firstEpoch = state.history.length + 1;
  const progress = createProgress(`ms-${config.encoder}`, Math.max(0, config.maxEpochs - firstEpoch + 1) * stepsPerEpoch);
  const valLabels = split.val.map((w) => ds.labels[w]!);
  const lc = lossConfig(config);
  try {
    for (let epoch = firstEpoch; epoch <= config.maxEpochs && !state.stopped; epoch++) {
      const order = epochOrder(split.train, opts.seed, epoch);
      let lossSum = 0;
      const t0 = performance.now();
      for (let s = 0; s < stepsPerEpoch; s++) {
        const ids = order.slice(s * config.batchSize, (s + 1) * config.batchSize);
        const labels = Int32Array.from(ids, (w) => ds.labels[w]!);
        const x = batchInput(ds, layout, ids);
        let batchMean: tf.Tensor1D | undefined;
        let batchVariance: tf.Tensor1D | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const out = forwardMs(model, x, true);
          if (out.batchMean !== undefined) batchMean = tf.keep(out.batchMean);
          if (out.batchVariance !== undefined) batchVariance = tf.keep(out.batchVariance);
          return eadroLoss(lc, out.detectLogits, out.locateLogits, labels).total;
        }, [...model.params.values()]);
        // variableGrads keys the gradients by tfjs's variable names; Adam by ours.
        adam.apply(model.params, new Map([...model.params].map(([k, v]) => [k, grads[v.name]!])));
        const loss = (await value.data())[0]!;
        tf.dispose([value, x, ...Object.values(grads)]);
        if (batchMean !== undefined && batchVariance !== undefined) {
          updateRunningStats(model, batchMean, batchVariance);
          tf.dispose([batchMean, batchVariance]);
        }
        lossSum += loss * ids.length;
        progress.tick(1, `epoch ${epoch} loss ${loss.toFixed(4)}`);
      }
      const trainSeconds = (performance.now() - t0) / 1000;
      const trainLoss = lossSum / split.train.length;
      const diverged = !Number.isFinite(trainLoss);
      let sel = { f1: Number.NaN, hr1: Number.NaN };
      if (!diverged && split.val.length > 0) sel = selectionMetrics(await predictMs(model, ds, layout, split.val), valLabels, dims.N);
      const score = (Number.isFinite(sel.f1) ? sel.f1 : 0) + (Number.isFinite(sel.hr1) ? sel.hr1 : 0);
      const improved = !diverged && (split.val.length === 0 || state.bestScore === null || score / 2 > state.bestScore);
      const log: MsEpochLog = { epoch, trainLoss, valF1: sel.f1, valHR1: sel.hr1, score: score / 2, trainSeconds, windowsPerSecond: split.train.length / trainSeconds, improved, ...(diverged ? { diverged: true } : {}) };
      state.history.push(log);
      if (diverged) {
        state.divergedAtEpoch = epoch;
        state.stopped = true;
        process.stderr.write(`ms-${config.encoder}: epoch ${epoch}: training loss is not finite (${trainLoss}); training stopped${state.bestEpoch > 0 ? `, epoch ${state.bestEpoch} kept` : ''}\n`);
      } else if (improved) {
        state.bestEpoch = epoch;
        state.bestScore = score / 2;
        state.sinceImprovement = 0;
        best = await checkpointOf(model, opts.seed, layout);
        if (bestFile !== undefined) writeJsonAtomic(bestFile, best);
      } else if (++state.sinceImprovement >= config.patience) state.stopped = true;
      if (lastFile !== undefined) writeJsonAtomic(lastFile, await checkpointOf(model, opts.seed, layout, adam, state));
      if (!diverged && process.env['EADRO_QUIET'] !== '1') {
        process.stderr.write(`ms-${config.encoder} epoch ${epoch}: train loss ${trainLoss.toFixed(4)}, val F1 ${sel.f1.toFixed(3)}, val HR@1 ${sel.hr1.toFixed(3)}, ${log.windowsPerSecond.toFixed(0)} windows/s${improved ? ' *' : ''}\n`);
      }
      opts.onEpoch?.(log);
    }
  } catch (err) {
    progress.stop();
    adam.dispose();
    disposeMsModel(model);
    throw err;
  }
  progress.stop();
  adam.dispose();
  if (state.bestEpoch === 0 || best === null) {
    disposeMsModel(model);
    throw new EadroError(`MS-${config.encoder.toUpperCase()} diverged in its first epoch: the training loss is not finite and no epoch can be selected.`, {
      field: 'trainLoss (epoch 1)',
      found: String(state.history[0]?.trainLoss),
      hint: 'check the input windows for NaN/Inf values, or lower the learning rate',
    });
  }
  loadWeights(model, best);
  return { model, history: state.history, bestEpoch: state.bestEpoch, divergedAtEpoch: state.divergedAtEpoch, fastWasmKernels };
}

/** The run-info view of a training history: numbers JSON can hold. */
export function msHistorySummary(result: MsTrainResult): Record<string, unknown> {
  const selected = result.history[result.bestEpoch - 1];
  const last = result.history[result.history.length - 1];
  return {
    epochsRun: result.history.length,
    bestEpoch: result.bestEpoch,
    selectedValF1: finiteOrNull(selected?.valF1),
    selectedValHR1: finiteOrNull(selected?.valHR1),
    trainWindowsPerSecond: finiteOrNull(last?.windowsPerSecond),
    divergedAtEpoch: result.divergedAtEpoch,
    step: 'autodiff', // tfjs variableGrads
    fastWasmKernels: result.fastWasmKernels,
  };
}
