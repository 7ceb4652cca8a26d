/**
 * TraceAnomaly (Liu et al., ISSRE'20; `NetManAIOps/TraceAnomaly:traceanomaly/main.py`,
 * `../shared/specs/baselines.md` §3.3): a variational autoencoder over call-path vectors
 * (src/features/call-path-vectors.ts), trained on normal traces; a trace's anomaly score is its
 * importance-sampled negative log-likelihood per dimension, −log p(x) / D.
 *
 * - q(z|x): Dense(hidden) → Dense(hidden), leaky ReLU, L2 on the kernels → z mean and softplus z std
 *   + 1e-4 (zDim); optionally a posterior flow (RealNVP: per layer ActNorm, an invertible dense layer in
 *   LU form, an affine coupling with one hidden layer and a sigmoid scale), as the authors use.
 * - p(x|z): Dense(hidden) ×2 → x mean and softplus x std + 1e-4 (a diagonal Gaussian).
 * - SGVB (one z sample per trace), Adam with the learning rate halved every `lrHalveEvery` epochs,
 *   gradients clipped to a global norm, the held-out NLL checked every `evalEvery` epochs and the best
 *   weights kept (tfsnippet's early stopping); `patience` stops after that many checks without a better one.
 *
 * Shapes: x [B, D] (D call paths), z [B, Z]; scoring draws K samples per trace: [K·B, Z] → [K·B, D].
 */
import * as tf from '@tensorflow/tfjs';
import { EadroError } from '../../core/errors.js';
import { createProgress } from '../../core/progress.js';
import { createRng } from '../../core/rng.js';
import { ensureFastWasmKernels } from '../eadro/wasm-kernels.js';
import { Adam, BestWeights, adamStep, createParams, dense, denseParams, disposeAll, endTraining, gatherRows, shuffledRows, type ParamSpec } from './common.js';

export interface TraceAnomalyConfig {
  /** Units of each hidden Dense layer of q(z|x), p(x|z) and the flow's couplings. */
  hidden: number;
  zDim: number;
  /** L2 weight on the hidden layers' kernels. */
  l2: number;
  /** The RealNVP posterior flow (the authors' model); false = a plain VAE (cheaper; say which ran). */
  posteriorFlow: boolean;
  flowLayers: number;
  learningRate: number;
  /** Epochs between halvings of the learning rate. */
  lrHalveEvery: number;
  batchSize: number;
  /** Global gradient-norm clip. */
  clipNorm: number;
  maxEpochs: number;
  /** Epochs between held-out NLL checks (the best weights are kept). */
  evalEvery: number;
  /** Checks without a better held-out NLL before stopping (Infinity = run every epoch). */
  patience: number;
  /** z samples per trace in the importance-sampled log-likelihood. */
  scoreSamples: number;
}

export const traceAnomalyDefaults: TraceAnomalyConfig = {
  hidden: 500, // main.py: Dense 500 -> Dense 500 (q and p)
  zDim: 10, // main.py z_dim
  l2: 1e-4, // main.py l2_reg
  posteriorFlow: true, // main.py: RealNVP posterior flow
  flowLayers: 10, // main.py n_flows (ActNorm + coupling + invertible dense each)
  learningRate: 1e-3, // main.py initial_lr
  lrHalveEvery: 100, // main.py lr_anneal_epochs, lr_anneal_factor 0.5
  batchSize: 256, // main.py batch_size
  clipNorm: 10, // main.py clip norm
  maxEpochs: 2000, // main.py max_epoch
  evalEvery: 10, // main.py valid_epoch_freq
  patience: Number.POSITIVE_INFINITY, // tfsnippet early stopping keeps the best weights without stopping early
  scoreSamples: 500, // main.py test_n_z
};

const LOG_2PI = Math.log(2 * Math.PI);
const STD_EPS = 1e-4;
const LEAKY_ALPHA = 0.2; // tf.nn.leaky_relu default

export interface TraceAnomalyModel {
  config: TraceAnomalyConfig;
  D: number;
  params: Map<string, tf.Variable>;
}

export function createTraceAnomalyModel(config: TraceAnomalyConfig, D: number, seed: number): TraceAnomalyModel {
  if (D < 1) throw new EadroError('TraceAnomaly needs at least one call path.', { field: 'call paths', expected: '>= 1 path with a positive duration in training' });
  const rng = createRng(seed).fork('trace-anomaly');
  const H = config.hidden;
  const Z = config.zDim;
  const specs: ParamSpec[] = [
    ...denseParams('q.h1', D, H, rng),
    ...denseParams('q.h2', H, H, rng),
    ...denseParams('q.mean', H, Z, rng),
    ...denseParams('q.std', H, Z, rng),
    ...denseParams('p.h1', Z, H, rng),
    ...denseParams('p.h2', H, H, rng),
    ...denseParams('p.mean', H, D, rng),
    ...denseParams('p.std', H, D, rng),
  ];
  if (config.posteriorFlow) {
    const half = Math.floor(Z / 2);
    for (let l = 0; l < config.flowLayers; l++) {
      const r = rng.fork(`flow${l}`);
      specs.push([`flow${l}.act.logs`, [Z], new Float32Array(Z)]);
      specs.push([`flow${l}.act.bias`, [Z], new Float32Array(Z)]);
      // LU form of the invertible dense layer: W = L·U, L unit lower, U upper with exp(logd) on the diagonal.
      const small = (n: number): Float32Array => Float32Array.from({ length: n }, () => r.uniform(-0.05, 0.05));
      specs.push([`flow${l}.inv.lower`, [Z, Z], small(Z * Z)]);
      specs.push([`flow${l}.inv.upper`, [Z, Z], small(Z * Z)]);
      specs.push([`flow${l}.inv.logd`, [Z], new Float32Array(Z)]);
      specs.push(...denseParams(`flow${l}.coupling.h`, half, H, r));
      specs.push(...denseParams(`flow${l}.coupling.scale`, H, Z - half, r));
      specs.push(...denseParams(`flow${l}.coupling.shift`, H, Z - half, r));
    }
  }
  return { config, D, params: createParams(specs) };
}

export function disposeTraceAnomalyModel(m: TraceAnomalyModel): void {
  disposeAll(m.params.values());
}

const leaky = (x: tf.Tensor2D): tf.Tensor2D => tf.leakyRelu(x, LEAKY_ALPHA);

/** Sum over the last axis of log N(x; mean, std²): [R, D] → [R]. */
function gaussianLogDensity(x: tf.Tensor2D, mean: tf.Tensor2D, std: tf.Tensor2D): tf.Tensor1D {
  const z = tf.div(tf.sub(x, mean), std);
  return tf.sum(tf.sub(tf.mul(-0.5, tf.add(tf.square(z), LOG_2PI)), tf.log(std)), 1) as tf.Tensor1D;
}

/** Push z [R, Z] through the flow: the output and log|det ∂out/∂z| [R] (exported for its test). */
export function flowForward(m: TraceAnomalyModel, z0: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
  const p = m.params;
  const Z = m.config.zDim;
  const half = Math.floor(Z / 2);
  const R = z0.shape[0];
  let z = z0;
  let logDet: tf.Tensor1D = tf.zeros([R]);
  const lowerMask = tf.linalg.bandPart(tf.ones([Z, Z]), -1, 0).sub(tf.eye(Z));
  const upperMask = tf.linalg.bandPart(tf.ones([Z, Z]), 0, -1).sub(tf.eye(Z));
  for (let l = 0; l < m.config.flowLayers; l++) {
    // ActNorm: z·exp(logs) + bias.
    const logs = p.get(`flow${l}.act.logs`)!;
    z = tf.add(tf.mul(z, tf.exp(logs)), p.get(`flow${l}.act.bias`)!);
    logDet = tf.add(logDet, tf.sum(logs));
    // Invertible dense: z·W, W = L·U.
    const logd = p.get(`flow${l}.inv.logd`)!;
    const L = tf.add(tf.mul(p.get(`flow${l}.inv.lower`)!, lowerMask), tf.eye(Z));
    const U = tf.add(tf.mul(p.get(`flow${l}.inv.upper`)!, upperMask), tf.mul(tf.eye(Z), tf.exp(logd))); // eye·exp(logd): tf.diag has no gradient
    z = tf.matMul(z, tf.matMul(L, U));
    logDet = tf.add(logDet, tf.sum(logd));
    // Affine coupling: the second part scaled and shifted by a function of the first.
    const z1 = tf.slice(z, [0, 0], [R, half]);
    const z2 = tf.slice(z, [0, half], [R, Z - half]);
    const h = leaky(dense(p, `flow${l}.coupling.h`, z1));
    const scale = tf.sigmoid(tf.add(dense(p, `flow${l}.coupling.scale`, h), 2)); // +2: starts near identity (RealNVP practice)
    const shift = dense(p, `flow${l}.coupling.shift`, h);
    z = tf.concat([z1, tf.add(tf.mul(z2, scale), shift)], 1) as tf.Tensor2D;
    logDet = tf.add(logDet, tf.sum(tf.log(scale), 1));
  }
  return { z, logDet };
}

/**
 * log p(x, z) − log q(z|x) for `samples` z draws per row of x [B, D]: [samples·B] (sample-major).
 * `seed` fixes the draws.
 */
function logWeights(m: TraceAnomalyModel, x: tf.Tensor2D, samples: number, seed: number): tf.Tensor1D {
  const p = m.params;
  const [B, D] = x.shape;
  const Z = m.config.zDim;
  const h = leaky(dense(p, 'q.h2', leaky(dense(p, 'q.h1', x))));
  const zMean = dense(p, 'q.mean', h);
  const zStd = tf.add(tf.softplus(dense(p, 'q.std', h)), STD_EPS) as tf.Tensor2D;
  const eps = tf.randomNormal([samples, B, Z], 0, 1, 'float32', seed);
  const z0 = tf.add(tf.mul(eps, zStd), zMean).reshape([samples * B, Z]) as tf.Tensor2D;
  const zMeanR = tf.tile(zMean, [samples, 1]) as tf.Tensor2D;
  const zStdR = tf.tile(zStd, [samples, 1]) as tf.Tensor2D;
  let logQ = gaussianLogDensity(z0, zMeanR, zStdR);
  let z = z0;
  if (m.config.posteriorFlow) {
    const f = flowForward(m, z0);
    z = f.z;
    logQ = tf.sub(logQ, f.logDet);
  }
  const logPz = gaussianLogDensity(z, tf.zerosLike(z), tf.onesLike(z));
  const g = leaky(dense(p, 'p.h2', leaky(dense(p, 'p.h1', z))));
  const xMean = dense(p, 'p.mean', g);
  const xStd = tf.add(tf.softplus(dense(p, 'p.std', g)), STD_EPS) as tf.Tensor2D;
  const xR = tf.tile(x, [samples, 1]).reshape([samples * B, D]) as tf.Tensor2D;
  const logPx = gaussianLogDensity(xR, xMean, xStd);
  return tf.sub(tf.add(logPx, logPz), logQ);
}

/** The training loss of a batch: −ELBO (one sample) averaged over rows, plus the L2 term. */
function sgvbLoss(m: TraceAnomalyModel, x: tf.Tensor2D, seed: number): tf.Scalar {
  const elbo = tf.mean(logWeights(m, x, 1, seed));
  const kernels = ['q.h1', 'q.h2', 'p.h1', 'p.h2'].map((n) => tf.sum(tf.square(m.params.get(`${n}.w`)!)));
  return tf.add(tf.neg(elbo), tf.mul(m.config.l2, tf.addN(kernels))) as tf.Scalar;
}

/** Mean −ELBO per row of a matrix (fixed draws), the held-out criterion. */
async function meanNegElbo(m: TraceAnomalyModel, x: Float32Array, D: number, seed: number): Promise<number> {
  const n = x.length / D;
  let sum = 0;
  for (let s = 0; s < n; s += 1024) {
    const rows = Math.min(1024, n - s);
    const t = tf.tidy(() => tf.sum(logWeights(m, tf.tensor2d(x.subarray(s * D, (s + rows) * D), [rows, D]), 1, seed + s)));
    sum -= (await t.data())[0]!;
    t.dispose();
  }
  return sum / n;
}

/**
 * Anomaly score of each row of x [n, D]: −log p(x) / D with log p(x) importance-sampled from
 * `scoreSamples` draws (log-mean-exp of the weights). Higher = more anomalous.
 */
export async function scoreTraceVectors(m: TraceAnomalyModel, x: Float32Array, seed: number): Promise<Float32Array> {
  const D = m.D;
  const n = x.length / D;
  const K = m.config.scoreSamples;
  const out = new Float32Array(n);
  // Rows per pass so that [K·B, max(hidden, D)] stays near 4M floats.
  const B = Math.max(1, Math.floor(4_000_000 / (K * Math.max(m.config.hidden, D))));
  for (let s = 0; s < n; s += B) {
    const rows = Math.min(B, n - s);
    const t = tf.tidy(() => {
      const lw = logWeights(m, tf.tensor2d(x.subarray(s * D, (s + rows) * D), [rows, D]), K, seed + s).reshape([K, rows]);
      const logPx = tf.sub(tf.logSumExp(lw, 0), Math.log(K));
      return tf.div(tf.neg(logPx), D);
    });
    out.set(await t.data(), s);
    t.dispose();
  }
  return out;
}

export interface TraceAnomalyTrainLog {
  epoch: number;
  trainLoss: number;
  /** Held-out −ELBO per trace at this check (null between checks). */
  heldOutNll: number | null;
  learningRate: number;
}

export interface TraceAnomalyTrained {
  model: TraceAnomalyModel;
  history: TraceAnomalyTrainLog[];
  bestEpoch: number;
  bestHeldOutNll: number;
  seconds: number;
}

/** Train on x [n, D] (normal traces), keeping the weights of the best held-out check. */
export async function trainTraceAnomaly(
  x: Float32Array,
  heldOut: Float32Array,
  D: number,
  config: TraceAnomalyConfig,
  seed: number,
  onEpoch?: (log: TraceAnomalyTrainLog) => void,
): Promise<TraceAnomalyTrained> {
  const n = x.length / D;
  if (n === 0) throw new EadroError('TraceAnomaly has no training traces.', { field: 'train traces', expected: 'at least one trace in the normal training windows' });
  ensureFastWasmKernels();
  const model = createTraceAnomalyModel(config, D, seed);
  const adam = new Adam({ learningRate: config.learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }); // tf.train.AdamOptimizer defaults
  const rng = createRng(seed).fork('trace-anomaly-draws');
  const drawSeed = (): number => rng.int(2 ** 30);
  const steps = Math.ceil(n / config.batchSize);
  const progress = createProgress('trace-anomaly', config.maxEpochs * steps);
  const history: TraceAnomalyTrainLog[] = [];
  const best = new BestWeights();
  const heldSeed = drawSeed();
  const t0 = performance.now();
  try {
    for (let epoch = 1; epoch <= config.maxEpochs; epoch++) {
      adam.opts.learningRate = config.learningRate * Math.pow(0.5, Math.floor((epoch - 1) / config.lrHalveEvery));
      const order = shuffledRows(n, seed, epoch);
      let lossSum = 0;
      for (let s = 0; s < steps; s++) {
        const ids = order.slice(s * config.batchSize, (s + 1) * config.batchSize);
        const xb = tf.tensor2d(gatherRows(x, D, ids), [ids.length, D]);
        const seedB = drawSeed();
        const loss = await adamStep(model.params, adam, () => sgvbLoss(model, xb, seedB), config.clipNorm);
        xb.dispose();
        lossSum += loss * ids.length;
        progress.tick(1, `epoch ${epoch} loss ${loss.toFixed(3)}`);
      }
      const trainLoss = lossSum / n;
      if (!Number.isFinite(trainLoss)) {
        if (best.epoch === 0) throw new EadroError('TraceAnomaly diverged: the training loss is not finite.', { field: `trainLoss (epoch ${epoch})`, found: String(trainLoss), hint: 'lower the learning rate or check the call-path vectors' });
        break;
      }
      const check = epoch % config.evalEvery === 0 || epoch === config.maxEpochs;
      const heldOutNll = check ? (heldOut.length > 0 ? await meanNegElbo(model, heldOut, D, heldSeed) : trainLoss) : null;
      history.push({ epoch, trainLoss, heldOutNll, learningRate: adam.opts.learningRate });
      onEpoch?.(history[history.length - 1]!);
      if (heldOutNll === null) continue;
      if (best.offerOrStop(model.params, heldOutNll, epoch, config.patience)) break;
    }
  } catch (err) {
    endTraining(progress, adam, best, model.params.values());
    throw err;
  }
  endTraining(progress, adam, best);
  const bestEpoch = best.epoch;
  const bestNll = best.value;
  best.restoreInto(model.params);
  return { model, history, bestEpoch, bestHeldOutNll: bestNll, seconds: (performance.now() - t0) / 1000 };
}
