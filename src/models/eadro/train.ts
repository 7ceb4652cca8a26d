/**
 * Joint training (paper §IV-C, §V-C): Adam, batch 256, up to 50 epochs, early stopping and checkpoint
 * selection on the VALIDATION split only (the test split is never read here), by the mean of validation
 * detection F1 and HR@1 (config.selectBy; 'loss' selects by validation loss).
 *
 * Determinism: initial weights come from `seed` (init.ts); the training order of epoch e is a shuffle by
 * its own substream `rng(seed).fork('shuffle/epoch-e')`, so an interrupted run resumed from its last
 * checkpoint replays exactly the epochs an uninterrupted run would (same backend), and gets identical
 * weights.
 *
 * The step (step.ts chooseStep): the hand-written forward and backward (manual/) where it covers the
 * config, else tfjs autodiff; `opts.step` or EADRO_STEP=autodiff|manual picks one. Both give the same
 * gradients up to float32 rounding (tested), so a run resumed with the other step continues the same
 * optimisation, though not bit for bit. Which one ran is recorded per epoch and in the result.
 *
 * Threads (parallel/trainer.ts): `opts.threads` or EADRO_TRAIN_THREADS = 2 trains data-parallel on the
 * main thread plus worker threads (each its part of every batch, gradients and BatchNorm statistics
 * summed across them: the batch-B model up to float32 rounding); manual step only; default 1.
 *
 * Label noise (config.labelNoiseForget > 0, off by default): each epoch first scores the faulty-labelled
 * training windows and leaves out the share the model finds least anomalous (smallLossTrainSet).
 *
 * Checkpoints (when `checkpointDir` is given): `last/` after every epoch (weights, BatchNorm state, Adam
 * moments, history: resumable) and `best/` whenever the validation loss improves (what is returned).
 * Calling trainEadro again with the same directory, data and config resumes after the last epoch.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../core/rng.js';
import { finiteOrNull } from '../../core/stats.js';
import { EadroError } from '../../core/errors.js';
import { createProgress } from '../../core/progress.js';
import type { Split, WindowDataset } from '../../windows/types.js';
import { resolveEadroConfig, type EadroConfig } from './config.js';
import { checkIndices, datasetDims, disposeBatch, makeBatch } from './data.js';
import { createEadro, disposeEadro, type EadroModel } from './model.js';
import { Adam } from './adam.js';
import { predictAsync } from './infer.js';
import { selectionMetrics } from './selection-metrics.js';
import { chooseStep, trainStepAsync, type StepKind, type StepLosses } from './step.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { ensureFastWasmKernels } from './wasm-kernels.js';
import { onDeviceBackend } from '../../core/backend.js';
import { assertFiniteInputs } from '../../windows/finite.js';
import { simdTimeAttentionUsed } from './layers/time-attention.js';
import { simdGatEdgesUsed } from './manual/gatv2.js';
import { ParallelTrainer, resolveTrainThreads } from './parallel/trainer.js';

export interface EpochLog {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training losses over the epoch's windows (training mode). */
  trainLoss: number;
  trainDetectLoss: number;
  trainLocateLoss: number;
  /** Validation loss (eval mode); NaN without a validation split. */
  valLoss: number;
  valF1: number;
  valHR1: number;
  valHR3: number;
  /** Wall seconds of the epoch's training steps, and training windows per second. */
  trainSeconds: number;
  windowsPerSecond: number;
  /** Whether this epoch became the selected one (best validation selection score, config.selectBy). */
  improved: boolean;
  /** Which training step ran: hand-written forward/backward or tfjs autodiff (step.ts). */
  step: StepKind;
  /** Threads that trained (data-parallel replicas, parallel/trainer.ts); 1 = this thread alone. */
  threads: number;
  /** Windows labelled faulty that sat this epoch out (config.labelNoiseForget; 0 when off). */
  forgotten: number;
  /** The epoch's training loss was not finite: training stopped here (see TrainResult.divergedAtEpoch). */
  diverged?: boolean;
  /** The validation loss exceeded config.selectLossCeiling times the lowest so far: not selectable. */
  runawayValLoss?: boolean;
}

export interface TrainOptions {
  seed: number;
  checkpointDir?: string;
  onEpoch?: (e: EpochLog) => void;
  /** Force the training step (default: EADRO_STEP, else manual where supported; see step.ts chooseStep). */
  step?: StepKind;
  /** Training threads (default: EADRO_TRAIN_THREADS, else 1); > 1 needs the manual step. */
  threads?: number;
}

export interface TrainResult {
  /** The model of the selected epoch (best validation selection score, config.selectBy). */
  model: EadroModel;
  history: EpochLog[];
  /** 1-based selected epoch (the last one when there is no validation split). */
  bestEpoch: number;
  /** Whether the replacement wasm kernels (wasm-kernels.ts) were active. */
  fastWasmKernels: boolean;
  /** Which training step ran (step.ts). */
  step: StepKind;
  /** Whether the softmax-QKV attention rows ran in WebAssembly SIMD (layers/time-attention.ts simdTimeAttentionUsed); null for tanh-score. */
  simdTimeAttention: boolean | null;
  /** Whether the GAT backward's edge loops ran in WebAssembly SIMD (manual/gatv2.ts simdGatEdgesUsed); null without the GAT. */
  simdGatEdges: boolean | null;
  /** Training threads (parallel/trainer.ts). */
  threads: number;
  /**
   * The epoch whose mean training loss was not finite, or null. Training stops there and keeps the
   * selected epoch before it: a NaN model scores NaN metrics that count as 0 in the selection score, so
   * without the stop patience would run out on a dead model and the result would look like an
   * ordinary early stop (what the PyTorch port's runs did until its GATv2 fix, scripts/pytorch/README.md).
   */
  divergedAtEpoch: number | null;
}

interface TrainerState {
  history: EpochLog[];
  bestEpoch: number;
  bestValLoss: number | null;
  /** Best validation selection score (config.selectBy 'f1-hr1'), null before the first epoch. */
  bestScore?: number | null;
  /** Set when an epoch's training loss was not finite (TrainResult.divergedAtEpoch). */
  divergedAtEpoch?: number | null;
  sinceImprovement: number;
  stopped: boolean;
}

export function sameConfig(a: EadroConfig, b: EadroConfig): boolean {
  // Checkpoints written before a config field existed hold no value for it: compare with defaults filled.
  return JSON.stringify(resolveEadroConfig(a)) === JSON.stringify(resolveEadroConfig(b));
}

/**
 * Whether an epoch's validation loss has run away: above `ceiling` times the lowest finite validation
 * loss of this and the earlier epochs (config.selectLossCeiling). A non-finite loss is not judged here.
 */
export function isRunawayValLoss(valLoss: number, earlier: readonly number[], ceiling: number): boolean {
  if (!Number.isFinite(valLoss)) return false;
  let lowest = valLoss;
  for (const v of earlier) if (Number.isFinite(v) && v < lowest) lowest = v;
  return valLoss > ceiling * lowest;
}

/**
 * The training windows of epoch `epoch` (1-based) under small-loss selection (config.labelNoiseForget):
 * all of them, less the share `forget * min(1, (epoch - 1) / rampEpochs)` of the faulty-labelled ones
 * on which the current model gives the lowest anomaly probability (ties: the earlier window id stays).
 * Normal windows always stay. Deterministic: it depends only on the model's weights at the epoch's start.
 */
export async function smallLossTrainSet(model: EadroModel, ds: WindowDataset, train: readonly number[], epoch: number): Promise<{ windows: number[]; forgotten: number }> {
  const { labelNoiseForget: forget, labelNoiseRampEpochs: ramp } = model.config;
  const share = forget * (ramp === 0 ? 1 : Math.min(1, (epoch - 1) / ramp));
  const faulty = train.filter((w) => ds.labels[w]! >= 0);
  const drop = Math.floor(share * faulty.length);
  if (drop === 0) return { windows: [...train], forgotten: 0 };
  const prob = (await predictAsync(model, ds, faulty)).anomalyProb;
  const byProb = faulty.map((w, i) => ({ w, p: prob[i]! })).sort((a, b) => a.p - b.p || a.w - b.w);
  const dropped = new Set(byProb.slice(0, drop).map((x) => x.w));
  return { windows: train.filter((w) => !dropped.has(w)), forgotten: drop };
}

/**
 * The training order of epoch `epoch` (1-based): a shuffle by the substream `shuffle/epoch-e` of the
 * seed, so a resumed run replays the epochs an uninterrupted one would. Exported so that tools that
 * must see the same batches (scripts/pytorch/prepare.ts) ask this function instead of copying it.
 */
export function epochOrder(train: readonly number[], seed: number, epoch: number): number[] {
  return createRng(seed).fork(`shuffle/epoch-${epoch}`).shuffle([...train]);
}

export async function trainEadro(
  ds: WindowDataset,
  split: Split,
  partial: Partial<EadroConfig>,
  opts: TrainOptions,
): Promise<TrainResult> {
  const config = resolveEadroConfig(partial);
  const dims = datasetDims(ds);
  checkIndices(ds, split.train, 'split.train');
  checkIndices(ds, split.val, 'split.val');
  if (split.train.length === 0) throw new EadroError('The training split is empty.', { field: 'split.train', expected: 'at least one window' });
  // On a GPU backend a NaN input may never reach the loss (windows/finite.ts): check the inputs first.
  if (onDeviceBackend()) assertFiniteInputs(ds, [...split.train, ...split.val]);
  const fastWasmKernels = ensureFastWasmKernels();
  const step = chooseStep(config, opts.step);
  const threads = resolveTrainThreads(opts.threads);
  if (threads > 1 && step !== 'manual') {
    throw new EadroError('Multi-threaded training needs the hand-written step.', { field: 'threads', expected: '1 with the autodiff step', found: String(threads) });
  }

  const lastDir = opts.checkpointDir === undefined ? undefined : path.join(opts.checkpointDir, 'last');
  const bestDir = opts.checkpointDir === undefined ? undefined : path.join(opts.checkpointDir, 'best');
  let model: EadroModel;
  let adam: Adam;
  let state: TrainerState = { history: [], bestEpoch: 0, bestValLoss: null, sinceImprovement: 0, stopped: false };
  if (lastDir !== undefined && fs.existsSync(path.join(lastDir, 'metadata.json'))) {
    const loaded = loadCheckpoint(lastDir);
    if (!sameConfig(loaded.metadata.config, config) || loaded.metadata.seed !== opts.seed || loaded.metadata.dims.N !== dims.N) {
      disposeEadro(loaded.model);
      loaded.adam?.dispose();
      throw new EadroError('The checkpoint directory holds a run with another config, seed or dataset.', {
        file: lastDir,
        hint: 'use a fresh --checkpoint-dir, or the same config and seed to resume',
      });
    }
    model = loaded.model;
    adam = loaded.adam ?? new Adam(adamOptions(config));
    state = loaded.metadata.trainerState as TrainerState;
    // JSON stores NaN (no validation split) as null: restore the numbers.
    for (const h of state.history) {
      for (const k of ['valLoss', 'valF1', 'valHR1', 'valHR3'] as const) if (h[k] === null) h[k] = Number.NaN;
      // Checkpoints written before `threads` / `forgotten` were recorded: one thread, nothing forgotten.
      h.threads ??= 1;
      h.forgotten ??= 0;
    }
  } else {
    model = createEadro(config, dims, opts.seed);
    adam = new Adam(adamOptions(config));
  }

  // In-memory copy of the selected epoch's weights (restored at the end).
  let best: Map<string, tf.Tensor> | null = null;
  const snapshot = (m: EadroModel): Map<string, tf.Tensor> => {
    const s = new Map<string, tf.Tensor>();
    for (const [k, v] of m.params) s.set(`param/${k}`, tf.clone(v));
    for (const [k, v] of m.bnState) {
      s.set(`bn/${k}/mean`, tf.clone(v.mean));
      s.set(`bn/${k}/variance`, tf.clone(v.variance));
    }
    return s;
  };
  if (state.bestEpoch > 0 && bestDir !== undefined && fs.existsSync(path.join(bestDir, 'metadata.json'))) {
    const loadedBest = loadCheckpoint(bestDir);
    best = snapshot(loadedBest.model);
    disposeEadro(loadedBest.model);
  }

  const stepsPerEpoch = Math.ceil(split.train.length / config.batchSize);
  const firstEpoch = state.history.length + 1;
  let parallel: ParallelTrainer | null = null;
  const progress = createProgress(`eadro ${config.variant}${config.without.length ? ` w/o ${config.without.join(',')}` : ''}`, (config.maxEpochs - firstEpoch + 1) * stepsPerEpoch);
  try {
    if (threads > 1 && firstEpoch <= config.maxEpochs && !state.stopped) {
      parallel = await ParallelTrainer.start({ ds, model, adam, threads, fastWasmKernels });
    }
    for (let epoch = firstEpoch; epoch <= config.maxEpochs && !state.stopped; epoch++) {
      const epochTrain = model.config.labelNoiseForget > 0 ? await smallLossTrainSet(model, ds, split.train, epoch) : { windows: split.train, forgotten: 0 };
      const order = epochOrder(epochTrain.windows, opts.seed, epoch);
      const epochSteps = Math.ceil(order.length / config.batchSize);
      let sum = { total: 0, detect: 0, locate: 0 };
      const t0 = performance.now();
      const addStep = (l: StepLosses, windows: number): void => {
        sum = { total: sum.total + l.total * windows, detect: sum.detect + l.detect * windows, locate: sum.locate + l.locate * windows };
        progress.tick(1, `epoch ${epoch} loss ${l.total.toFixed(4)}`);
      };
      if (parallel !== null) await parallel.runEpoch(epoch, order, config.batchSize, addStep);
      else {
        for (let s = 0; s < epochSteps; s++) {
          const ids = order.slice(s * config.batchSize, (s + 1) * config.batchSize);
          const batch = makeBatch(ds, ids, model.config);
          const l: StepLosses = await trainStepAsync(model, batch, adam, step);
          disposeBatch(batch);
          addStep(l, ids.length);
        }
      }
      const trainSeconds = (performance.now() - t0) / 1000;
      // Steps small-loss selection left out: counted, so that the bar's total (full epochs) holds.
      if (epochSteps < stepsPerEpoch) progress.tick(stepsPerEpoch - epochSteps, `epoch ${epoch}: ${epochTrain.forgotten} windows left out`);
      const n = order.length;
      // A non-finite loss poisons every later epoch: stop here, never select this epoch, and say so.
      const diverged = !Number.isFinite(sum.total / n);
      let valLoss = Number.NaN;
      let sel = { f1: Number.NaN, hr1: Number.NaN, hr3: Number.NaN };
      if (!diverged && split.val.length > 0) {
        const pred = await predictAsync(model, ds, split.val, { withLoss: true });
        valLoss = pred.loss!;
        sel = selectionMetrics(pred, split.val.map((w) => ds.labels[w]!), dims.N);
      }
      // Selection score: higher is better (NaN metrics count as 0; see eadroDefaults.common.selectBy).
      const score = config.selectBy === 'loss' ? -valLoss : ((Number.isFinite(sel.f1) ? sel.f1 : 0) + (Number.isFinite(sel.hr1) ? sel.hr1 : 0)) / 2;
      const bestScore = state.bestScore ?? null;
      // A run-away validation loss (config.selectLossCeiling times the lowest so far) makes an epoch
      // ineligible, whatever its F1 and HR@1.
      const runaway = split.val.length > 0 && isRunawayValLoss(valLoss, state.history.map((h) => h.valLoss), config.selectLossCeiling);
      const improved =
        !diverged &&
        !runaway &&
        (split.val.length === 0 ||
          bestScore === null ||
          score > bestScore ||
          (score === bestScore && state.bestValLoss !== null && valLoss < state.bestValLoss));
      const log: EpochLog = {
        epoch,
        trainLoss: sum.total / n,
        trainDetectLoss: sum.detect / n,
        trainLocateLoss: sum.locate / n,
        valLoss,
        valF1: sel.f1,
        valHR1: sel.hr1,
        valHR3: sel.hr3,
        trainSeconds,
        windowsPerSecond: n / trainSeconds,
        improved,
        step,
        threads,
        forgotten: epochTrain.forgotten,
        ...(diverged ? { diverged: true } : {}),
        ...(runaway ? { runawayValLoss: true } : {}),
      };
      state.history.push(log);
      if (diverged) {
        state.divergedAtEpoch = epoch;
        state.stopped = true;
        // Always said, quiet or not: the run's numbers come from an earlier epoch than its budget suggests.
        process.stderr.write(`eadro: epoch ${epoch}: training loss is not finite (${log.trainLoss}); training stopped${state.bestEpoch > 0 ? `, epoch ${state.bestEpoch} kept` : ''}\n`);
      } else if (improved) {
        state.bestEpoch = epoch;
        state.bestValLoss = split.val.length > 0 ? valLoss : null;
        state.bestScore = split.val.length > 0 ? score : null;
        state.sinceImprovement = 0;
        if (best !== null) tf.dispose([...best.values()]);
        best = snapshot(model);
      } else {
        state.sinceImprovement++;
        if (state.sinceImprovement >= config.patience) state.stopped = true;
      }
      const metrics = { valLoss: finiteOrNull(valLoss), valF1: finiteOrNull(sel.f1), valHR1: finiteOrNull(sel.hr1), valHR3: finiteOrNull(sel.hr3) };
      if (improved && bestDir !== undefined) await saveCheckpoint(model, bestDir, { epoch, metrics });
      if (lastDir !== undefined) await saveCheckpoint(model, lastDir, { epoch, metrics, adam, trainerState: state });
      if (!diverged && process.env['EADRO_QUIET'] !== '1') {
        process.stderr.write(
          `epoch ${epoch}: train loss ${log.trainLoss.toFixed(4)}, val loss ${valLoss.toFixed(4)}, val F1 ${sel.f1.toFixed(3)}, val HR@1 ${sel.hr1.toFixed(3)}, ${log.windowsPerSecond.toFixed(0)} windows/s (${step} step${threads > 1 ? `, ${threads} threads` : ''})${improved ? ' *' : ''}\n`,
        );
      }
      opts.onEpoch?.(log);
    }
  } catch (err) {
    progress.stop();
    await parallel?.close();
    if (best !== null) tf.dispose([...best.values()]);
    adam.dispose();
    disposeEadro(model);
    throw err;
  }
  progress.stop();
  await parallel?.close();
  adam.dispose();
  if (state.bestEpoch === 0 && state.divergedAtEpoch !== undefined && state.divergedAtEpoch !== null) {
    disposeEadro(model);
    throw new EadroError('Training diverged in its first epoch: the training loss is not finite and no epoch can be selected.', {
      field: 'trainLoss (epoch 1)',
      found: String(state.history[0]?.trainLoss),
      hint: 'check the input windows for NaN/Inf values, or lower the learning rate',
    });
  }
  if (best !== null) {
    for (const [k, v] of model.params) v.assign(best.get(`param/${k}`)!);
    for (const [k, s] of model.bnState) {
      tf.dispose([s.mean, s.variance]);
      model.bnState.set(k, { mean: best.get(`bn/${k}/mean`)! as tf.Tensor1D, variance: best.get(`bn/${k}/variance`)! as tf.Tensor1D });
    }
    for (const [k, t] of best) if (k.startsWith('param/')) t.dispose();
  }
  return { model, history: state.history, bestEpoch: state.bestEpoch, fastWasmKernels, step, simdTimeAttention: simdTimeAttentionUsed(config, step), simdGatEdges: simdGatEdgesUsed(config, step), threads, divergedAtEpoch: state.divergedAtEpoch ?? null };
}

function adamOptions(c: EadroConfig): { learningRate: number; beta1: number; beta2: number; epsilon: number } {
  return { learningRate: c.learningRate, beta1: c.adamBeta1, beta2: c.adamBeta2, epsilon: c.adamEpsilon };
}
