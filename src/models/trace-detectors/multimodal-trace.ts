/**
 * MultimodalTrace (Nedelkoski, Cardoso, Kao, CLOUD'19; `../shared/specs/baselines.md` §3.3; no official
 * code, TADBench's Multimodal LSTM is the nearest implementation): next-span prediction over a trace's
 * spans in start order, from two modalities.
 *
 * - Input per span: its label (`service:operation`) and its latency, z-scored per label on the training
 *   spans (ours: labels differ by orders of magnitude in latency). The last `history` spans before span
 *   j predict span j (j ≥ 1; left-padded with a padding label and latency 0).
 * - Network: one LSTM per modality (labels one-hot), their outputs concatenated per step, a shared LSTM, its last state into two heads:
 *   next-label softmax (cross-entropy) and next-latency regression (squared error), losses summed.
 * - A span is anomalous when its true label is not among the `topK` predicted ones (a label never seen
 *   in training never is), or its latency error lies outside the central `latencyInterval` of the
 *   errors on held-out normal traces. A trace is anomalous when one of its spans is.
 *
 * LSTM cells in PyTorch's nn.LSTM form (src/models/ms-baselines/lstm-encoder.ts); shapes: labels and
 * latencies [B, h], LSTM outputs [B, h, H].
 */
import * as tf from '@tensorflow/tfjs';
import { EadroError } from '../../core/errors.js';
import { createProgress } from '../../core/progress.js';
import { createRng, type Rng } from '../../core/rng.js';
import type { TraceSet } from '../../features/trace-records.js';
import { torchDefaultUniform } from '../eadro/init.js';
import { ensureFastWasmKernels } from '../eadro/wasm-kernels.js';
import { Adam, BestWeights, adamStep, createParams, dense, denseParams, disposeAll, endTraining, quantile, shuffledRows, type ParamSpec } from './common.js';

export interface MultimodalTraceConfig {
  /** Units of each LSTM. */
  hidden: number;
  /** Spans of history that predict the next one. */
  history: number;
  /** A true label outside the top-k predictions marks the span. */
  topK: number;
  /** Central share of held-out latency errors that counts as normal. */
  latencyInterval: number;
  learningRate: number;
  batchSize: number;
  maxEpochs: number;
  /** Epochs without a lower held-out loss before stopping. */
  patience: number;
  clipNorm: number;
}

export const multimodalTraceDefaults: MultimodalTraceConfig = {
  hidden: 64, // baselines.md §3.3 (ours)
  history: 10, // baselines.md §3.3 (ours)
  topK: 3, // baselines.md §3.3 (ours); the paper checks the top-k of the label softmax
  latencyInterval: 0.95, // baselines.md §3.3: outside the 95 % interval of the prediction errors
  learningRate: 1e-3, // ours: Adam's usual rate (TADBench trains with Keras Adam defaults)
  batchSize: 256, // ours
  maxEpochs: 50, // ours
  patience: 5, // ours: on the held-out normal traces' loss
  clipNorm: Number.POSITIVE_INFINITY, // ours: no clipping (LSTM gates bound the state)
};

/** Label ids as the model sees them: 0 = padding, 1..L = training labels, L + 1 = a label unseen in training. */
export interface LabelCoding {
  /** TraceSet label id → model id (unseen → L + 1). */
  toModel: Int32Array;
  /** Model classes: padding, the L training labels, unseen. */
  classes: number;
  /** [L + 2] per model id: mean and std of the span latency (µs) on the training spans. */
  latencyMean: Float32Array;
  latencyStd: Float32Array;
}

/** Fit the label coding and per-label latency scaling on the spans of training traces. */
export function fitLabelCoding(ts: TraceSet, trainTraces: readonly number[]): LabelCoding {
  const seen = new Map<number, number>();
  const sum: number[] = [0, 0];
  const sumSq: number[] = [0, 0];
  const count: number[] = [0, 0];
  for (const t of trainTraces) {
    for (let s = ts.spanOffsets[t]!; s < ts.spanOffsets[t + 1]!; s++) {
      const label = ts.spanLabel[s]!;
      let id = seen.get(label);
      if (id === undefined) {
        id = seen.size + 1;
        seen.set(label, id);
        sum.push(0);
        sumSq.push(0);
        count.push(0);
      }
      const d = ts.spanDurationUs[s]!;
      sum[id]! += d;
      sumSq[id]! += d * d;
      count[id]!++;
    }
  }
  const L = seen.size;
  const unseen = L + 1;
  const toModel = Int32Array.from(ts.labels, (_, i) => seen.get(i) ?? unseen);
  const latencyMean = new Float32Array(L + 2);
  const latencyStd = new Float32Array(L + 2).fill(1);
  for (let id = 1; id <= L; id++) {
    const m = sum[id]! / count[id]!;
    latencyMean[id] = m;
    latencyStd[id] = Math.max(1, Math.sqrt(Math.max(0, sumSq[id]! / count[id]! - m * m))); // µs; floor 1 µs
  }
  // Unseen labels: scaled by the training spans overall.
  const all = count.reduce((a, b) => a + b, 0);
  if (all > 0) {
    const m = sum.reduce((a, b) => a + b, 0) / all;
    latencyMean[unseen] = m;
    latencyStd[unseen] = Math.max(1, Math.sqrt(Math.max(0, sumSq.reduce((a, b) => a + b, 0) / all - m * m)));
  }
  return { toModel, classes: L + 2, latencyMean, latencyStd };
}

/** Next-span samples of some traces: the history before each span j ≥ 1 and span j itself. */
export interface SpanSamples {
  /** [S, h] model label ids of the history, left-padded with 0. */
  historyLabels: Int32Array;
  /** [S, h] scaled latencies of the history, 0 at padding. */
  historyLatency: Float32Array;
  /** [S] true model label id of the predicted span. */
  targetLabel: Int32Array;
  /** [S] its scaled latency. */
  targetLatency: Float32Array;
  /** [S] index (into the `traces` list given) of the trace of each sample. */
  traceOf: Int32Array;
  count: number;
}

export function spanSamples(ts: TraceSet, coding: LabelCoding, traces: readonly number[], h: number): SpanSamples {
  let S = 0;
  for (const t of traces) S += Math.max(0, ts.spanOffsets[t + 1]! - ts.spanOffsets[t]! - 1);
  const historyLabels = new Int32Array(S * h);
  const historyLatency = new Float32Array(S * h);
  const targetLabel = new Int32Array(S);
  const targetLatency = new Float32Array(S);
  const traceOf = new Int32Array(S);
  let k = 0;
  traces.forEach((t, ti) => {
    const a = ts.spanOffsets[t]!;
    const b = ts.spanOffsets[t + 1]!;
    const ids = new Int32Array(b - a);
    const lat = new Float32Array(b - a);
    for (let s = a; s < b; s++) {
      const id = coding.toModel[ts.spanLabel[s]!]!;
      ids[s - a] = id;
      lat[s - a] = (ts.spanDurationUs[s]! - coding.latencyMean[id]!) / coding.latencyStd[id]!;
    }
    for (let j = 1; j < ids.length; j++, k++) {
      const from = Math.max(0, j - h);
      const pad = h - (j - from);
      for (let i = from; i < j; i++) {
        historyLabels[k * h + pad + (i - from)] = ids[i]!;
        historyLatency[k * h + pad + (i - from)] = lat[i]!;
      }
      targetLabel[k] = ids[j]!;
      targetLatency[k] = lat[j]!;
      traceOf[k] = ti;
    }
  });
  return { historyLabels, historyLatency, targetLabel, targetLatency, traceOf, count: S };
}

export interface MultimodalTraceModel {
  config: MultimodalTraceConfig;
  classes: number;
  params: Map<string, tf.Variable>;
}

function lstmSpecs(name: string, inputs: number, H: number, rng: Rng): ParamSpec[] {
  return [
    [`${name}.wx`, [inputs, 4 * H], torchDefaultUniform(rng.fork(`${name}.wx`), inputs * 4 * H, H)],
    [`${name}.wh`, [H, 4 * H], torchDefaultUniform(rng.fork(`${name}.wh`), H * 4 * H, H)],
    [`${name}.b`, [4 * H], torchDefaultUniform(rng.fork(`${name}.b`), 4 * H, H)],
  ];
}

export function createMultimodalTraceModel(config: MultimodalTraceConfig, classes: number, seed: number): MultimodalTraceModel {
  const rng = createRng(seed).fork('multimodal-trace');
  const H = config.hidden;
  const specs: ParamSpec[] = [
    ...lstmSpecs('labels', classes, H, rng), // labels.wx rows = the one-hot input's projection (gathered)
    ...lstmSpecs('latency', 1, H, rng),
    ...lstmSpecs('shared', 2 * H, H, rng),
    ...denseParams('head.label', H, classes, rng),
    ...denseParams('head.latency', H, 1, rng),
  ];
  return { config, classes, params: createParams(specs) };
}

export function disposeMultimodalTraceModel(m: MultimodalTraceModel): void {
  disposeAll(m.params.values());
}

/** Run an LSTM over projected inputs [B, h, 4H] (bias included): every step's state [B, h, H]. */
function lstmSteps(params: Map<string, tf.Variable>, name: string, projected: tf.Tensor3D): { outputs: tf.Tensor3D; last: tf.Tensor2D } {
  const [B, h, H4] = projected.shape;
  const H = H4 / 4;
  const wh = params.get(`${name}.wh`)!;
  let hState: tf.Tensor2D = tf.zeros([B, H]);
  let c: tf.Tensor2D = tf.zeros([B, H]);
  const outputs: tf.Tensor2D[] = [];
  for (let t = 0; t < h; t++) {
    const gates = tf.add(tf.slice(projected, [0, t, 0], [B, 1, H4]).reshape([B, H4]), tf.matMul(hState, wh));
    const [i, f, g, o] = tf.split(gates, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
    hState = tf.mul(tf.sigmoid(o), tf.tanh(c));
    outputs.push(hState);
  }
  return { outputs: tf.stack(outputs, 1) as tf.Tensor3D, last: hState };
}

/** Label logits [B, classes] and predicted scaled latency [B] of the next span. */
function forward(m: MultimodalTraceModel, labels: tf.Tensor2D, latency: tf.Tensor2D): { logits: tf.Tensor2D; latency: tf.Tensor1D } {
  const p = m.params;
  const [B, h] = labels.shape;
  const H = m.config.hidden;
  // One-hot times the projection (tf.gather's gradient needs UnsortedSegmentSum, which the wasm backend lacks).
  const oneHot = tf.oneHot(labels.reshape([B * h]) as tf.Tensor1D, m.classes).toFloat() as tf.Tensor2D;
  const labelIn = tf.add(tf.matMul(oneHot, p.get('labels.wx')!), p.get('labels.b')!).reshape([B, h, 4 * H]) as tf.Tensor3D;
  const latencyIn = tf.add(tf.matMul(latency.reshape([B * h, 1]), p.get('latency.wx')!), p.get('latency.b')!).reshape([B, h, 4 * H]) as tf.Tensor3D;
  const a = lstmSteps(p, 'labels', labelIn).outputs;
  const b = lstmSteps(p, 'latency', latencyIn).outputs;
  const joined = tf.concat([a, b], 2).reshape([B * h, 2 * H]) as tf.Tensor2D;
  const sharedIn = tf.add(tf.matMul(joined, p.get('shared.wx')!), p.get('shared.b')!).reshape([B, h, 4 * H]) as tf.Tensor3D;
  const last = lstmSteps(p, 'shared', sharedIn).last;
  return { logits: dense(p, 'head.label', last), latency: dense(p, 'head.latency', last).reshape([B]) as tf.Tensor1D };
}

function batchTensors(s: SpanSamples, ids: ArrayLike<number>, h: number): { labels: tf.Tensor2D; latency: tf.Tensor2D; target: tf.Tensor1D; targetLatency: tf.Tensor1D } {
  const B = ids.length;
  const labels = new Int32Array(B * h);
  const latency = new Float32Array(B * h);
  const target = new Int32Array(B);
  const targetLatency = new Float32Array(B);
  for (let i = 0; i < B; i++) {
    const k = ids[i]!;
    labels.set(s.historyLabels.subarray(k * h, (k + 1) * h), i * h);
    latency.set(s.historyLatency.subarray(k * h, (k + 1) * h), i * h);
    target[i] = s.targetLabel[k]!;
    targetLatency[i] = s.targetLatency[k]!;
  }
  return { labels: tf.tensor2d(labels, [B, h], 'int32'), latency: tf.tensor2d(latency, [B, h]), target: tf.tensor1d(target, 'int32'), targetLatency: tf.tensor1d(targetLatency) };
}

function lossOf(m: MultimodalTraceModel, x: ReturnType<typeof batchTensors>): tf.Scalar {
  const out = forward(m, x.labels, x.latency);
  const ce = tf.losses.softmaxCrossEntropy(tf.oneHot(x.target, m.classes), out.logits);
  const mse = tf.mean(tf.square(tf.sub(out.latency, x.targetLatency)));
  return tf.add(ce, mse) as tf.Scalar;
}

function disposeBatch(x: ReturnType<typeof batchTensors>): void {
  tf.dispose([x.labels, x.latency, x.target, x.targetLatency]);
}

async function meanLoss(m: MultimodalTraceModel, s: SpanSamples): Promise<number> {
  let sum = 0;
  const bs = 1024;
  for (let a = 0; a < s.count; a += bs) {
    const ids = Int32Array.from({ length: Math.min(bs, s.count - a) }, (_, i) => a + i);
    const x = batchTensors(s, ids, m.config.history);
    const t = tf.tidy(() => tf.mul(lossOf(m, x), ids.length));
    sum += (await t.data())[0]!;
    t.dispose();
    disposeBatch(x);
  }
  return s.count > 0 ? sum / s.count : Number.NaN;
}

/** Per sample: rank of the true label among the predictions (0 = top) and the latency error (true − predicted, scaled). */
export async function predictSpans(m: MultimodalTraceModel, s: SpanSamples): Promise<{ labelRank: Int32Array; latencyError: Float32Array }> {
  const labelRank = new Int32Array(s.count);
  const latencyError = new Float32Array(s.count);
  const bs = 1024;
  for (let a = 0; a < s.count; a += bs) {
    const ids = Int32Array.from({ length: Math.min(bs, s.count - a) }, (_, i) => a + i);
    const x = batchTensors(s, ids, m.config.history);
    const [logits, lat] = tf.tidy(() => {
      const out = forward(m, x.labels, x.latency);
      return [out.logits, out.latency];
    });
    const lv = await logits.data();
    const yv = await lat.data();
    tf.dispose([logits, lat]);
    disposeBatch(x);
    const C = m.classes;
    for (let i = 0; i < ids.length; i++) {
      const k = a + i;
      const truth = s.targetLabel[k]!;
      const tv = lv[i * C + truth]!;
      let rank = 0;
      for (let c = 0; c < C; c++) if (c !== truth && (lv[i * C + c]! > tv || (lv[i * C + c]! === tv && c < truth))) rank++;
      labelRank[k] = rank;
      latencyError[k] = s.targetLatency[k]! - yv[i]!;
    }
  }
  return { labelRank, latencyError };
}

export interface MultimodalTraceTrained {
  model: MultimodalTraceModel;
  coding: LabelCoding;
  /** Latency errors outside [low, high] mark a span (quantiles of the held-out errors). */
  latencyBounds: { low: number; high: number };
  history: { epoch: number; trainLoss: number; heldOutLoss: number }[];
  bestEpoch: number;
  trainSamples: number;
  seconds: number;
}

/** Train on the spans of normal traces; the bounds and the kept epoch come from the held-out traces. */
export async function trainMultimodalTrace(
  ts: TraceSet,
  fitTraces: readonly number[],
  heldOutTraces: readonly number[],
  config: MultimodalTraceConfig,
  seed: number,
  onEpoch?: (e: { epoch: number; trainLoss: number; heldOutLoss: number }) => void,
): Promise<MultimodalTraceTrained> {
  const coding = fitLabelCoding(ts, fitTraces);
  const train = spanSamples(ts, coding, fitTraces, config.history);
  const held = spanSamples(ts, coding, heldOutTraces, config.history);
  if (train.count === 0) {
    throw new EadroError('MultimodalTrace has no span to predict: every training trace has a single span.', { field: 'train traces', expected: 'traces with two or more spans' });
  }
  ensureFastWasmKernels();
  const model = createMultimodalTraceModel(config, coding.classes, seed);
  const adam = new Adam({ learningRate: config.learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }); // Keras Adam defaults
  const steps = Math.ceil(train.count / config.batchSize);
  const progress = createProgress('multimodal-trace', config.maxEpochs * steps);
  const history: MultimodalTraceTrained['history'] = [];
  const best = new BestWeights();
  const t0 = performance.now();
  try {
    for (let epoch = 1; epoch <= config.maxEpochs; epoch++) {
      const order = shuffledRows(train.count, seed, epoch);
      let lossSum = 0;
      for (let st = 0; st < steps; st++) {
        const ids = order.slice(st * config.batchSize, (st + 1) * config.batchSize);
        const x = batchTensors(train, ids, config.history);
        const loss = await adamStep(model.params, adam, () => lossOf(model, x), config.clipNorm);
        disposeBatch(x);
        lossSum += loss * ids.length;
        progress.tick(1, `epoch ${epoch} loss ${loss.toFixed(3)}`);
      }
      const trainLoss = lossSum / train.count;
      if (!Number.isFinite(trainLoss)) {
        if (best.epoch === 0) throw new EadroError('MultimodalTrace diverged: the training loss is not finite.', { field: `trainLoss (epoch ${epoch})`, found: String(trainLoss), hint: 'lower the learning rate' });
        break;
      }
      const heldOutLoss = held.count > 0 ? await meanLoss(model, held) : trainLoss;
      history.push({ epoch, trainLoss, heldOutLoss });
      onEpoch?.(history[history.length - 1]!);
      if (best.offerOrStop(model.params, heldOutLoss, epoch, config.patience)) break;
    }
  } catch (err) {
    endTraining(progress, adam, best, model.params.values());
    throw err;
  }
  endTraining(progress, adam, best);
  const bestEpoch = best.epoch;
  best.restoreInto(model.params);
  // The normal band of latency errors, from held-out spans (training spans when none were held out).
  const bandFrom = held.count > 0 ? held : train;
  const { latencyError } = await predictSpans(model, bandFrom);
  const tail = (1 - config.latencyInterval) / 2;
  const latencyBounds = { low: quantile(latencyError, tail), high: quantile(latencyError, 1 - tail) };
  return { model, coding, latencyBounds, history, bestEpoch, trainSamples: train.count, seconds: (performance.now() - t0) / 1000 };
}

export interface TraceVerdicts {
  /** [traces] 1 = at least one anomalous span. */
  anomalous: Uint8Array;
  /** [traces] share of the trace's predicted spans that are anomalous (0 for single-span traces). */
  score: Float32Array;
  /** Spans marked by the label rule and by the latency rule (a span can be both). */
  labelMisses: number;
  latencyMisses: number;
}

/** Apply the span rule to every span j ≥ 1 of `traces`. */
export async function judgeTraces(trained: MultimodalTraceTrained, ts: TraceSet, traces: readonly number[]): Promise<TraceVerdicts> {
  const s = spanSamples(ts, trained.coding, traces, trained.model.config.history);
  const { labelRank, latencyError } = await predictSpans(trained.model, s);
  const bad = new Float32Array(traces.length);
  const predicted = new Float32Array(traces.length);
  let labelMisses = 0;
  let latencyMisses = 0;
  const { low, high } = trained.latencyBounds;
  for (let k = 0; k < s.count; k++) {
    const labelMiss = labelRank[k]! >= trained.model.config.topK;
    const latencyMiss = latencyError[k]! < low || latencyError[k]! > high;
    if (labelMiss) labelMisses++;
    if (latencyMiss) latencyMisses++;
    predicted[s.traceOf[k]!]!++;
    if (labelMiss || latencyMiss) bad[s.traceOf[k]!]!++;
  }
  const anomalous = Uint8Array.from(bad, (b) => (b > 0 ? 1 : 0));
  const score = Float32Array.from(bad, (b, i) => (predicted[i]! > 0 ? b / predicted[i]! : 0));
  return { anomalous, score, labelMisses, latencyMisses };
}
