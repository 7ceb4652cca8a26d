/**
 * FE+ML with a one-class SVM (paper §III-B, Table I: "manually derived features from traces into …
 * OC-SVM", after MicroHECL; `../shared/specs/baselines.md` §3.1). No public code exists, so the
 * features and settings are ours, as the spec lays them out.
 *
 * Features, per window and service, from the latency tensor `traces` [W, N, T] (mean latency in ms of
 * the spans a service served in each second, 0 = no span = a padded slot, paper §IV-A3):
 * - latency mean, std (population), max, min, last − mean (ms), OLS slope (ms per second), all over the
 *   non-padded slots only. A service with no span in the window gets 0 for these statistics; with one
 *   span, std and slope are 0.
 * - fraction of empty (padded) slots.
 * - invocation count mean and max. The window tensor holds no per-second invocation count, so the
 *   invocation indicator "1 if the slot has a span, else 0" stands in for it: its mean is then
 *   1 − (fraction of empty slots) and its max is 1 if the service had any span. These columns are
 *   redundant with the empty fraction; they are kept so the feature layout matches the spec's table
 *   and a dataset with real counts can fill them later.
 * - (max − μ_train)/σ_train, μ and σ per service from the non-padded slots of the training-normal
 *   windows exactly as N-sigma fits them (`fitNSigmaStats`, σ floored at 10 % of μ); 0 where the
 *   service has no span in the window or no training statistics.
 * The per-service blocks are concatenated ([B, N·F], service-major) and every column is z-scored with
 * the mean and std of the training-normal windows; a column constant there becomes 0 everywhere.
 *
 * The OC-SVM solves the one-class dual min ½αᵀKα s.t. 0 ≤ α_i ≤ 1/(νl), Σα = 1 with an RBF kernel,
 * γ = 1/(d·Var(X)) (sklearn's "scale"), by SMO with maximal-violating-pair working sets. Internally
 * it works in libsvm's scaling (0 ≤ α ≤ 1, Σα = νl, `solve_one_class` in svm.cpp), so the stopping
 * tolerance means what libsvm's 1e-3 means; α and ρ are divided by νl at the end. ρ is the mean of
 * (Kα)_i over the free support vectors, else the midpoint of the bounds that the others give.
 * f(x) = Σα_i K(x_i, x) − ρ; a window is anomalous when f(x) < 0, and its score is −f(x).
 *
 * ν is chosen among `feOcsvmDefaults.nuCandidates` by F1 (TN counted) on the selection windows.
 */
import { createRng } from '../core/rng.js';
import type { WindowDataset } from '../windows/types.js';
import { chooseBySelectionF1, requireRawLatency, selectionF1, type DetectorOutput, type FitInput, type WindowDetector } from './contract.js';
import { fitNSigmaStats, type NSigmaStats } from './n-sigma.js';

export const feOcsvmDefaults = {
  /** baselines.md §3.1: ν swept on validation over these values. */
  nuCandidates: [0.01, 0.05, 0.1] as readonly number[],
  /** ours: ν when the selection windows hold no faulty window (the middle of the spec's sweep). */
  defaultNu: 0.05,
  /** libsvm's default stopping tolerance `eps` (svm-train -e 0.001), in libsvm's α scaling. */
  tolerance: 1e-3,
  /** ours: SMO iteration cap = max(minIterations, iterationsPerPoint·l); libsvm uses max(1e7, 100·l), too slow in JS for large l. */
  iterationsPerPoint: 100,
  /** ours: lower bound of the SMO iteration cap (small training sets). */
  minIterations: 100_000,
  /** ours: the kernel matrix holds l² doubles (2,000 -> 32 MB), so at most this many normal training windows. */
  maxTrainWindows: 2000,
  /** ours: α below this (in our Σα = 1 scaling) counts as zero when listing support vectors. */
  supportVectorAlphaEpsilon: 1e-12,
  /** ours: a column whose training std is below this is treated as constant (z-scored to 0). */
  constantColumnStd: 1e-12,
};

/** Names of the F per-service features, in column order within a service block. */
export const serviceFeatureNames = [
  'latencyMean',
  'latencyStd',
  'latencyMax',
  'latencyMin',
  'latencyLastMinusMean',
  'latencySlope',
  'emptySlotFraction',
  'invocationMean',
  'invocationMax',
  'maxZTrain',
] as const;

const F = serviceFeatureNames.length;

/** A dense row-major matrix [rows, cols]. */
export interface FeatureMatrix {
  rows: number;
  cols: number;
  values: Float64Array;
}

/** Raw (not z-scored) features [B, N·F] of `windows` (see the module comment); `trainStats` from `fitNSigmaStats`. */
export function windowFeatures(ds: WindowDataset, windows: readonly number[], trainStats: NSigmaStats): FeatureMatrix {
  requireRawLatency(ds, 'FE+ML');
  const N = ds.nodes.length;
  const T = ds.T;
  const cols = N * F;
  const values = new Float64Array(windows.length * cols);
  windows.forEach((w, b) => {
    for (let n = 0; n < N; n++) {
      const base = (w * N + n) * T;
      const out = b * cols + n * F;
      let count = 0;
      let sum = 0;
      let sumT = 0;
      let max = Number.NEGATIVE_INFINITY;
      let min = Number.POSITIVE_INFINITY;
      let last = 0;
      for (let t = 0; t < T; t++) {
        const v = ds.traces[base + t] as number;
        if (v <= 0) continue; // padding: no span in that second
        count++;
        sum += v;
        sumT += t;
        if (v > max) max = v;
        if (v < min) min = v;
        last = v;
      }
      const emptyFraction = T > 0 ? (T - count) / T : 1;
      values[out + 6] = emptyFraction;
      values[out + 7] = 1 - emptyFraction;
      values[out + 8] = count > 0 ? 1 : 0;
      if (count === 0) continue; // latency statistics stay 0
      const mean = sum / count;
      const meanT = sumT / count;
      let ss = 0;
      let sxy = 0;
      let sxx = 0;
      for (let t = 0; t < T; t++) {
        const v = ds.traces[base + t] as number;
        if (v <= 0) continue;
        ss += (v - mean) * (v - mean);
        sxy += (t - meanT) * (v - mean);
        sxx += (t - meanT) * (t - meanT);
      }
      values[out] = mean;
      values[out + 1] = Math.sqrt(ss / count);
      values[out + 2] = max;
      values[out + 3] = min;
      values[out + 4] = last - mean;
      values[out + 5] = sxx > 0 ? sxy / sxx : 0; // ms per second (slots are 1 s apart)
      const mu = trainStats.mean[n] as number;
      const sd = trainStats.std[n] as number;
      values[out + 9] = Number.isNaN(mu) || Number.isNaN(sd) ? 0 : (max - mu) / sd;
    }
  });
  return { rows: windows.length, cols, values };
}

export interface ColumnScaler {
  /** [cols] training mean. */
  mean: Float64Array;
  /** [cols] training population std; 0 marks a constant column. */
  std: Float64Array;
}

/** Column means and stds of `m` (the training-normal rows); std below `constantColumnStd` is stored as 0. */
export function fitColumnScaler(m: FeatureMatrix): ColumnScaler {
  const mean = new Float64Array(m.cols);
  const std = new Float64Array(m.cols);
  if (m.rows === 0) return { mean, std };
  for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) mean[c] += m.values[r * m.cols + c] as number;
  for (let c = 0; c < m.cols; c++) mean[c] = (mean[c] as number) / m.rows;
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < m.cols; c++) {
      const d = (m.values[r * m.cols + c] as number) - (mean[c] as number);
      std[c] += d * d;
    }
  }
  for (let c = 0; c < m.cols; c++) {
    const s = Math.sqrt((std[c] as number) / m.rows);
    std[c] = s < feOcsvmDefaults.constantColumnStd ? 0 : s;
  }
  return { mean, std };
}

/** z-scored copy of `m`; constant columns (std 0) become 0. */
export function scaleColumns(m: FeatureMatrix, scaler: ColumnScaler): FeatureMatrix {
  const values = new Float64Array(m.values.length);
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < m.cols; c++) {
      const s = scaler.std[c] as number;
      values[r * m.cols + c] = s === 0 ? 0 : ((m.values[r * m.cols + c] as number) - (scaler.mean[c] as number)) / s;
    }
  }
  return { rows: m.rows, cols: m.cols, values };
}

/** sklearn's gamma="scale": 1/(d·Var(X)), Var over every entry of X; 1 when that variance is 0 (as sklearn). */
export function scaleGamma(x: FeatureMatrix): number {
  const n = x.values.length;
  if (n === 0) return 1;
  let sum = 0;
  for (const v of x.values) sum += v;
  const mean = sum / n;
  let ss = 0;
  for (const v of x.values) ss += (v - mean) * (v - mean);
  const variance = ss / n;
  return variance > 0 ? 1 / (x.cols * variance) : 1;
}

function squaredDistance(a: Float64Array, ai: number, b: Float64Array, bi: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) {
    const diff = (a[ai + k] as number) - (b[bi + k] as number);
    s += diff * diff;
  }
  return s;
}

/** [l, l] RBF kernel matrix exp(−γ‖x_i − x_j‖²) of the rows of `x`. */
export function rbfKernelMatrix(x: FeatureMatrix, gamma: number): Float64Array {
  const l = x.rows;
  const d = x.cols;
  const k = new Float64Array(l * l);
  for (let i = 0; i < l; i++) {
    k[i * l + i] = 1;
    for (let j = i + 1; j < l; j++) {
      const v = Math.exp(-gamma * squaredDistance(x.values, i * d, x.values, j * d, d));
      k[i * l + j] = v;
      k[j * l + i] = v;
    }
  }
  return k;
}

export interface OneClassSvmOptions {
  nu: number;
  gamma: number;
  tolerance?: number;
  maxIterations?: number;
}

export interface OneClassSvm {
  nu: number;
  gamma: number;
  /** [l] dual solution in the Σα = 1, 0 ≤ α ≤ 1/(νl) scaling. */
  alpha: Float64Array;
  rho: number;
  /** Training rows with α > 0 (indices into the training matrix). */
  supportIndices: number[];
  /** [nSV, d] the support vectors. */
  supportVectors: FeatureMatrix;
  /** [nSV] their α. */
  supportAlpha: Float64Array;
  /** Support vectors strictly inside the bounds. */
  freeSupportVectors: number;
  converged: boolean;
  iterations: number;
  /** Final maximal KKT violation in libsvm's scaling (< tolerance when converged). */
  violation: number;
}

/**
 * Train the one-class SVM on the rows of `x` ([l, d]) by SMO (see the module comment). `kernel` may
 * pass a precomputed [l, l] kernel matrix for the same `gamma` (the ν sweep reuses it).
 */
export function trainOneClassSvm(x: FeatureMatrix, options: OneClassSvmOptions, kernel?: Float64Array): OneClassSvm {
  const l = x.rows;
  const { nu, gamma } = options;
  if (l === 0) throw new Error('fe-ocsvm: no training rows');
  if (!(nu > 0 && nu <= 1)) throw new Error(`fe-ocsvm: nu must be in (0, 1], got ${nu}`);
  const tolerance = options.tolerance ?? feOcsvmDefaults.tolerance;
  const maxIterations = options.maxIterations ?? Math.max(feOcsvmDefaults.minIterations, feOcsvmDefaults.iterationsPerPoint * l);
  const K = kernel ?? rbfKernelMatrix(x, gamma);
  // libsvm scaling: 0 ≤ a ≤ 1, Σa = νl. Feasible start as libsvm: the first ⌊νl⌋ at 1, the remainder on the next.
  const total = nu * l;
  const a = new Float64Array(l);
  const whole = Math.floor(total);
  for (let i = 0; i < whole && i < l; i++) a[i] = 1;
  if (whole < l) a[whole] = total - whole;
  // Gradient of ½aᵀKa: G = Ka.
  const G = new Float64Array(l);
  for (let j = 0; j < l; j++) {
    const aj = a[j] as number;
    if (aj === 0) continue;
    for (let i = 0; i < l; i++) G[i] += aj * (K[i * l + j] as number);
  }
  let iterations = 0;
  let converged = false;
  let violation = Number.POSITIVE_INFINITY;
  const tau = 1e-12; // libsvm TAU: guards a non-positive curvature
  while (iterations < maxIterations) {
    // Maximal violating pair: i may grow (a_i < 1) with the smallest gradient, j may shrink (a_j > 0) with the largest.
    let i = -1;
    let gi = Number.POSITIVE_INFINITY;
    let j = -1;
    let gj = Number.NEGATIVE_INFINITY;
    for (let t = 0; t < l; t++) {
      const at = a[t] as number;
      const gt = G[t] as number;
      if (at < 1 && gt < gi) {
        gi = gt;
        i = t;
      }
      if (at > 0 && gt > gj) {
        gj = gt;
        j = t;
      }
    }
    violation = i < 0 || j < 0 ? 0 : gj - gi;
    if (violation < tolerance) {
      converged = true;
      break;
    }
    iterations++;
    const curvature = Math.max((K[i * l + i] as number) + (K[j * l + j] as number) - 2 * (K[i * l + j] as number), tau);
    // Move δ from a_j to a_i (keeps Σa), unconstrained optimum (G_j − G_i)/curvature, clipped to the box.
    const delta = Math.min((gj - gi) / curvature, 1 - (a[i] as number), a[j] as number);
    a[i] = (a[i] as number) + delta;
    a[j] = (a[j] as number) - delta;
    for (let t = 0; t < l; t++) G[t] += delta * ((K[t * l + i] as number) - (K[t * l + j] as number));
  }
  // ρ as libsvm's calculate_rho for y = +1: mean G over free SVs, else the midpoint of the bounds.
  let freeCount = 0;
  let freeSum = 0;
  let upper = Number.POSITIVE_INFINITY;
  let lower = Number.NEGATIVE_INFINITY;
  for (let t = 0; t < l; t++) {
    const at = a[t] as number;
    const gt = G[t] as number;
    if (at >= 1) lower = Math.max(lower, gt);
    else if (at <= 0) upper = Math.min(upper, gt);
    else {
      freeCount++;
      freeSum += gt;
    }
  }
  const rhoScaled = freeCount > 0 ? freeSum / freeCount : (upper + lower) / 2;
  const alpha = new Float64Array(l);
  for (let t = 0; t < l; t++) alpha[t] = (a[t] as number) / total;
  const supportIndices: number[] = [];
  for (let t = 0; t < l; t++) if ((alpha[t] as number) > feOcsvmDefaults.supportVectorAlphaEpsilon) supportIndices.push(t);
  const d = x.cols;
  const sv = new Float64Array(supportIndices.length * d);
  supportIndices.forEach((t, s) => sv.set(x.values.subarray(t * d, (t + 1) * d), s * d));
  return {
    nu,
    gamma,
    alpha,
    rho: rhoScaled / total,
    supportIndices,
    supportVectors: { rows: supportIndices.length, cols: d, values: sv },
    supportAlpha: Float64Array.from(supportIndices, (t) => alpha[t] as number),
    freeSupportVectors: freeCount,
    converged,
    iterations,
    violation,
  };
}

/** [B] f(x) = Σα_i K(x_i, x) − ρ for the rows of `x` (negative = outside the learned support). */
export function ocsvmDecision(model: OneClassSvm, x: FeatureMatrix): Float64Array {
  if (x.cols !== model.supportVectors.cols) throw new Error(`fe-ocsvm: ${x.cols} feature columns, the model has ${model.supportVectors.cols}`);
  const d = x.cols;
  const out = new Float64Array(x.rows);
  for (let r = 0; r < x.rows; r++) {
    let s = 0;
    for (let k = 0; k < model.supportVectors.rows; k++) {
      s += (model.supportAlpha[k] as number) * Math.exp(-model.gamma * squaredDistance(model.supportVectors.values, k * d, x.values, r * d, d));
    }
    out[r] = s - model.rho;
  }
  return out;
}

interface FittedState {
  stats: NSigmaStats;
  scaler: ColumnScaler;
  model: OneClassSvm;
  normalTrainWindows: number;
  trainedOn: number;
  subsampled: boolean;
  selectionF1ByNu: Record<string, number | null>;
  fitsByNu: Record<string, { supportVectors: number; converged: boolean; iterations: number }>;
}

/** FE+ML (OC-SVM) as a window detector; `maxTrainWindows` caps the kernel matrix. */
export class OcsvmDetector implements WindowDetector {
  readonly name = 'fe-ml';
  private state: FittedState | null = null;

  constructor(
    private readonly nuCandidates: readonly number[] = feOcsvmDefaults.nuCandidates,
    private readonly maxTrainWindows: number = feOcsvmDefaults.maxTrainWindows,
  ) {}

  fit({ ds, train, select, seed }: FitInput): void {
    requireRawLatency(ds, 'FE+ML');
    const normal = train.filter((w) => (ds.labels[w] as number) < 0);
    if (normal.length === 0) throw new Error('fe-ocsvm: the training windows hold no normal window to learn from');
    const stats = fitNSigmaStats(ds, normal);
    const normalFeatures = windowFeatures(ds, normal, stats);
    const scaler = fitColumnScaler(normalFeatures);
    let used = normal;
    const subsampled = normal.length > this.maxTrainWindows;
    if (subsampled) {
      // A uniform subset of maxTrainWindows, kept in time order.
      used = createRng(seed).fork('fe-ocsvm-subsample').sample(normal, this.maxTrainWindows).sort((p, q) => p - q);
    }
    const x = scaleColumns(subsampled ? windowFeatures(ds, used, stats) : normalFeatures, scaler);
    const gamma = scaleGamma(x);
    const kernel = rbfKernelMatrix(x, gamma);
    const selectX = scaleColumns(windowFeatures(ds, select, stats), scaler);
    const selectLabels = select.map((w) => ds.labels[w] as number);
    const fitsByNu: FittedState['fitsByNu'] = {};
    const models = new Map<number, OneClassSvm>();
    const { chosen, byCandidate } = chooseBySelectionF1(this.nuCandidates, feOcsvmDefaults.defaultNu, (nu) => {
      const model = trainOneClassSvm(x, { nu, gamma }, kernel);
      models.set(nu, model);
      fitsByNu[String(nu)] = { supportVectors: model.supportIndices.length, converged: model.converged, iterations: model.iterations };
      return selectionF1(Array.from(ocsvmDecision(model, selectX), (f) => f < 0), selectLabels);
    });
    const nu = chosen ?? feOcsvmDefaults.defaultNu;
    const model = models.get(nu) ?? trainOneClassSvm(x, { nu, gamma }, kernel);
    const selectionF1ByNu = byCandidate as Record<string, number | null>;
    this.state = { stats, scaler, model, normalTrainWindows: normal.length, trainedOn: used.length, subsampled, selectionF1ByNu, fitsByNu };
  }

  private fittedState(): FittedState {
    if (this.state === null) throw new Error('fe-ocsvm: fit() must run before detect()');
    return this.state;
  }

  detect(ds: WindowDataset, windows: readonly number[]): DetectorOutput {
    const { stats, scaler, model } = this.fittedState();
    const f = ocsvmDecision(model, scaleColumns(windowFeatures(ds, windows, stats), scaler));
    return { score: Array.from(f, (v) => -v), flagged: Array.from(f, (v) => v < 0) };
  }

  fitted(): Record<string, unknown> {
    const s = this.fittedState();
    return {
      nu: s.model.nu,
      gamma: s.model.gamma,
      rho: s.model.rho,
      supportVectors: s.model.supportIndices.length,
      freeSupportVectors: s.model.freeSupportVectors,
      converged: s.model.converged,
      iterations: s.model.iterations,
      finalViolation: s.model.violation,
      normalTrainWindows: s.normalTrainWindows,
      trainedOnWindows: s.trainedOn,
      subsampled: s.subsampled,
      featureColumns: s.scaler.mean.length,
      constantColumns: Array.from(s.scaler.std).filter((v) => v === 0).length,
      selectionF1ByNu: s.selectionF1ByNu,
      fitsByNu: s.fitsByNu,
    };
  }
}
