/**
 * SPOT (Siffer et al., "Anomaly Detection in Streams with Extreme Value Theory", KDD'17), the third
 * detector of the paper's Table I (§III-B). Ported from the algorithm as `../shared/specs/baselines.md`
 * §3.1 describes it; the reference (`dycause_rca:SPOT/spot.py`) is GPLv3 and no code was taken from it.
 *
 * One stream of values x (here: latency in milliseconds of one service, one value per second):
 * - Init on calibration values X_1..X_n: t = the empirical quantile at `level` (S[floor(level·n)] of the
 *   sorted values); the peaks are Y_i = X_i − t for X_i > t (N_t of them).
 * - Fit a generalised Pareto distribution GPD(γ, σ) to the peaks by Grimshaw's maximum likelihood
 *   (`fitGpd`).
 * - The alarm threshold z_q, exceeded with probability q: with r = q·n/N_t,
 *   z_q = t + (σ/γ)(r^(−γ) − 1), or t − σ·log r when γ = 0 (`spotQuantile`).
 * - Streaming (`Spot.step`): x > z_q alarms, and the value is neither a peak nor counted in n; else
 *   x > t adds the peak x − t (n and N_t + 1), refits the GPD and moves z_q; else n + 1.
 *
 * Deviations from the reference, each for a reason (baselines.md asks for a grid scan plus bisection
 * in place of the reference's L-BFGS-B on Σw²):
 * - The reference searches the positive roots of Grimshaw's w(x) in (2(Ȳ−Y_min)/(Ȳ·Y_min),
 *   2(Ȳ−Y_min)/Y_min²). The positive root of a heavy tail lies BELOW that lower bound whenever Y_min is
 *   small (a GPD with γ = 0.2 has its root near γ/σ, far below a bound that grows as 1/Y_min), so a
 *   search confined to that bracket cannot find it (test/baselines/spot.test.ts: γ = 0.2, σ = 5, 2000
 *   peaks; the fit in that bracket gets γ ≤ 0 and a lower likelihood). We scan
 *   (0, 2(Ȳ−Y_min)/Y_min²) instead, the upper bound being Grimshaw's; `referenceRightBracket: true`
 *   scans the reference's bracket.
 * - The brackets stop short of 0 by `zeroMargin / Ȳ` (not the reference's absolute ε = 1e-8, whose
 *   meaning changes with the unit of the data): near x = 0, w(x) ≈ x²·(E[Y²]/2 − Ȳ²) drowns in
 *   rounding noise and gives spurious roots, and a root with |x|·Ȳ below the margin has |γ| ≲ margin,
 *   which the always-included exponential candidate (γ = 0) already represents.
 * - The γ = 0 candidate uses the correct exponential log-likelihood −n·(1 + log Ȳ); the reference's
 *   n·(1 + log Ȳ), positive once Ȳ > 1/e and then usually above every real fit (so γ = 0 wins: peaks in
 *   milliseconds), is reproduced behind `referenceGammaZeroBug`.
 *
 * As a window detector (`SpotDetector`, registry name 'spot'; the window rule is ours, baselines.md
 * §3.1):
 * - Per service, SPOT is calibrated on the non-padded latency slots (0 = no span in that second, paper
 *   §IV-A3: dropped, as N-sigma does) of the TRAINING windows labelled normal. Windows overlap (stride <
 *   T), so each (run, second) counts once. A service with fewer than `minPeaks` peaks is skipped (it
 *   never alarms) and counted in `fitted()`.
 * - Streaming: the windows to score are grouped by run; within a run the union of their seconds, in
 *   time order and each second once, is the stream, and each service's SPOT starts from its calibration
 *   at the start of every run (runs are separate recordings). Padded seconds are not part of a stream.
 *   Non-alarm peaks refit the tail as above. `streaming: false` keeps the calibrated thresholds.
 * - A window is flagged when some service alarms at one of its seconds. Its score is the largest
 *   x / z_q over services and non-padded slots, z_q being the threshold in force when that second was
 *   streamed: > 1 exactly when it alarms (up to the rounding of the division; the flag itself comes
 *   from the alarm decision), so scores rank windows by how far they pass their threshold. A window
 *   with no span of a calibrated service scores `spotDefaults.noSpanScore`.
 * - q is chosen among `qCandidates` by F1 (TN counted) on the selection windows (validation; test only
 *   under the reference protocol), default q when they hold no faulty window; the default wins ties.
 * Latency must be raw milliseconds with 0 = no span: a dataset normalised at build time is refused.
 */
import { EadroError } from '../core/errors.js';
import type { WindowDataset } from '../windows/types.js';
import { chooseBySelectionF1, requireRawLatency, selectionF1, type DetectorOutput, type FitInput, type WindowDetector } from './contract.js';

export const spotDefaults = {
  /** baselines.md §3.1 Init (the reference's `initialize(level=0.98)`): quantile of the initial threshold t. */
  level: 0.98,
  /** baselines.md §3.1 Threshold (the reference's `SPOT.__init__(q=1e-4)`): alarm probability q. */
  q: 1e-4,
  /** ours (the brief; MicroCause uses 1e-3, baselines.md §3.1): q swept on the selection windows. */
  qCandidates: [1e-4, 1e-3, 1e-2] as readonly number[],
  /**
   * baselines.md §3.1 "Bug in the reference": false = the correct exponential log-likelihood
   * −n(1 + log Ȳ) for the γ = 0 candidate; true = the reference's n(1 + log Ȳ).
   */
  referenceGammaZeroBug: false,
  /** ours (module comment): true scans the reference's positive bracket (2(Ȳ−Y_min)/(Ȳ·Y_min), 2(Ȳ−Y_min)/Y_min²). */
  referenceRightBracket: false,
  /**
   * ours: grid points per bracket, used twice (evenly spaced and geometrically spaced, so roots near
   * either end of a bracket spanning decades are resolved); the reference starts 10 optimiser runs.
   */
  gridPoints: 60,
  /** ours: bisection steps per sign change (halves the bracket each time; 2^-60 of a grid cell). */
  bisectionSteps: 60,
  /** ours (module comment): the brackets end at |x| = zeroMargin / Ȳ, i.e. |γ| ≈ 1e-4, short of the trivial root 0. */
  zeroMargin: 1e-4,
  /** baselines.md §3.1 (the reference's ε = 1e-8), made relative: the left bracket starts at −(1 − ε)/Y_max, short of the pole of log(1 + x·Y_max). */
  poleMargin: 1e-8,
  /** ours: the fewest peaks for a GPD fit (two parameters); at level 0.98 that needs about 250 seconds of calibration. */
  minPeaks: 5,
  /** baselines.md §3.1 Streaming: refit on every non-alarm peak; false = calibrated thresholds only. */
  streaming: true,
  /** ours: score of a window with no span of a calibrated service (ratios x / z_q are > 0 otherwise). */
  noSpanScore: 0,
};

// ---------------------------------------------------------------------------------------------------
// Grimshaw's maximum likelihood fit of a GPD

export interface GpdFitOptions {
  referenceGammaZeroBug: boolean;
  referenceRightBracket: boolean;
  gridPoints: number;
  bisectionSteps: number;
  zeroMargin: number;
  poleMargin: number;
}

export interface GpdFit {
  /** Shape γ (> 0 heavy tail, 0 exponential, < 0 bounded tail). */
  gamma: number;
  /** Scale σ, in the unit of the peaks (ms here). */
  sigma: number;
  /** Log-likelihood of the peaks under (γ, σ), as the candidates were compared (see `referenceGammaZeroBug`). */
  logLikelihood: number;
  /** Roots of w(x) found in both brackets (candidates besides γ = 0). */
  roots: number;
}

function gpdFitOptions(options: Partial<GpdFitOptions>): GpdFitOptions {
  const d = spotDefaults;
  return {
    referenceGammaZeroBug: options.referenceGammaZeroBug ?? d.referenceGammaZeroBug,
    referenceRightBracket: options.referenceRightBracket ?? d.referenceRightBracket,
    gridPoints: options.gridPoints ?? d.gridPoints,
    bisectionSteps: options.bisectionSteps ?? d.bisectionSteps,
    zeroMargin: options.zeroMargin ?? d.zeroMargin,
    poleMargin: options.poleMargin ?? d.poleMargin,
  };
}

/**
 * Log-likelihood of peaks Y (all > 0) under GPD(γ, σ):
 * −n·log σ − (1 + 1/γ)·Σ log(1 + γ·Y/σ) for γ ≠ 0 (−∞ outside the support), and the exponential
 * −n·log σ − ΣY/σ for γ = 0 (= −n(1 + log Ȳ) at σ = Ȳ). With `referenceGammaZeroBug` the γ = 0 value is
 * the reference's n(1 + log Ȳ), whatever σ.
 */
export function gpdLogLikelihood(peaks: ArrayLike<number>, gamma: number, sigma: number, referenceGammaZeroBug = false): number {
  const n = peaks.length;
  let sum = 0;
  if (gamma === 0) {
    for (let i = 0; i < n; i++) sum += peaks[i] as number;
    if (referenceGammaZeroBug) return n * (1 + Math.log(sum / n));
    if (!(sigma > 0)) return Number.NEGATIVE_INFINITY;
    return -n * Math.log(sigma) - sum / sigma;
  }
  if (!(sigma > 0)) return Number.NEGATIVE_INFINITY;
  const tau = gamma / sigma;
  for (let i = 0; i < n; i++) {
    const a = tau * (peaks[i] as number);
    if (!(a > -1)) return Number.NEGATIVE_INFINITY;
    sum += Math.log1p(a);
  }
  return -n * Math.log(sigma) - (1 + 1 / gamma) * sum;
}

/** Grimshaw's w(x) = u(x)·v(x) − 1, u = 1 + mean log(1 + x·Y), v = mean 1/(1 + x·Y). */
function grimshawW(peaks: ArrayLike<number>, x: number): number {
  const n = peaks.length;
  let logSum = 0;
  let invSum = 0;
  for (let i = 0; i < n; i++) {
    const xy = x * (peaks[i] as number);
    logSum += Math.log1p(xy);
    invSum += 1 / (1 + xy);
  }
  return (1 + logSum / n) * (invSum / n) - 1;
}

/** Sorted grid on [lo, hi] (lo < hi, same sign): `points` evenly spaced plus `points` geometrically spaced in |x|. */
function bracketGrid(lo: number, hi: number, points: number): number[] {
  const grid: number[] = [];
  for (let i = 0; i < points; i++) grid.push(lo + ((hi - lo) * i) / (points - 1));
  const sign = lo < 0 ? -1 : 1;
  const a = Math.abs(lo);
  const b = Math.abs(hi);
  const logRatio = Math.log(b / a);
  for (let i = 1; i < points - 1; i++) grid.push(sign * a * Math.exp((logRatio * i) / (points - 1)));
  return grid.sort((p, q) => p - q);
}

/** Roots of f in [lo, hi]: sign changes on the grid, each refined by bisection. */
function bracketRoots(f: (x: number) => number, lo: number, hi: number, o: GpdFitOptions): number[] {
  if (!(lo < hi) || lo * hi <= 0) return [];
  const xs = bracketGrid(lo, hi, Math.max(3, o.gridPoints));
  const fs = xs.map(f);
  const roots: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    const fa = fs[i] as number;
    if (fa === 0) {
      roots.push(xs[i] as number);
      continue;
    }
    if (i + 1 === xs.length) break;
    const fb = fs[i + 1] as number;
    if (!(fa * fb < 0)) continue; // no sign change (or NaN)
    let a = xs[i] as number;
    let b = xs[i + 1] as number;
    let fLeft = fa;
    for (let step = 0; step < o.bisectionSteps; step++) {
      const mid = 0.5 * (a + b);
      if (mid === a || mid === b) break;
      const fm = f(mid);
      if (fm === 0) {
        a = mid;
        b = mid;
        break;
      }
      if (fLeft * fm < 0) b = mid;
      else {
        a = mid;
        fLeft = fm;
      }
    }
    roots.push(0.5 * (a + b));
  }
  return roots;
}

function requirePeaks(peaks: ArrayLike<number>): void {
  if (peaks.length === 0) {
    throw new EadroError('SPOT: a GPD fit needs at least one peak.', { field: 'peaks', expected: 'values above the initial threshold t', found: 'none' });
  }
  for (let i = 0; i < peaks.length; i++) {
    const y = peaks[i] as number;
    if (!(y > 0) || !Number.isFinite(y)) {
      throw new EadroError('SPOT: peaks are excesses over the initial threshold and must be finite and > 0.', { field: `peaks[${i}]`, expected: 'a finite number > 0', found: String(y) });
    }
  }
}

/**
 * Grimshaw's MLE of GPD(γ, σ) on peaks Y (baselines.md §3.1): the roots x of w(x) in the left bracket
 * (−1/Y_max, 0) and the right bracket (0, 2(Ȳ−Y_min)/Y_min²) (margins and the reference's right bracket:
 * module comment) give candidates γ = u(x) − 1, σ = γ/x; with the exponential γ = 0, σ = Ȳ, the
 * candidate of the highest log-likelihood wins (the exponential on ties).
 */
export function fitGpd(peaks: ArrayLike<number>, options: Partial<GpdFitOptions> = {}): GpdFit {
  requirePeaks(peaks);
  const o = gpdFitOptions(options);
  const n = peaks.length;
  let yMin = Number.POSITIVE_INFINITY;
  let yMax = 0;
  let ySum = 0;
  for (let i = 0; i < n; i++) {
    const y = peaks[i] as number;
    yMin = Math.min(yMin, y);
    yMax = Math.max(yMax, y);
    ySum += y;
  }
  const yMean = ySum / n;
  const w = (x: number): number => grimshawW(peaks, x);
  const nearZero = o.zeroMargin / yMean;
  const roots = bracketRoots(w, -(1 - o.poleMargin) / yMax, -nearZero, o);
  if (yMean > yMin) {
    // Equal peaks: w has no root but 0 (Jensen), only the exponential remains.
    const upper = (2 * (yMean - yMin)) / (yMin * yMin);
    const lower = o.referenceRightBracket ? (2 * (yMean - yMin)) / (yMean * yMin) : nearZero;
    roots.push(...bracketRoots(w, lower, upper, o));
  }
  let best = { gamma: 0, sigma: yMean, logLikelihood: gpdLogLikelihood(peaks, 0, yMean, o.referenceGammaZeroBug) };
  for (const x of roots) {
    let logSum = 0;
    for (let i = 0; i < n; i++) logSum += Math.log1p(x * (peaks[i] as number));
    const gamma = logSum / n;
    const sigma = gamma / x;
    if (gamma === 0 || !Number.isFinite(gamma) || !(sigma > 0) || !Number.isFinite(sigma)) continue;
    const logLikelihood = gpdLogLikelihood(peaks, gamma, sigma, o.referenceGammaZeroBug);
    if (logLikelihood > best.logLikelihood) best = { gamma, sigma, logLikelihood };
  }
  return { ...best, roots: roots.length };
}

// ---------------------------------------------------------------------------------------------------
// Calibration and the threshold

/** Settings of one SPOT stream. */
export interface SpotSettings extends GpdFitOptions {
  level: number;
  q: number;
}

function spotSettings(options: Partial<SpotSettings>): SpotSettings {
  const s: SpotSettings = { ...gpdFitOptions(options), level: options.level ?? spotDefaults.level, q: options.q ?? spotDefaults.q };
  if (!(s.level > 0 && s.level < 1)) throw new EadroError('SPOT: bad level.', { field: 'level', expected: 'a number in (0, 1)', found: String(s.level) });
  if (!(s.q > 0 && s.q < 1)) throw new EadroError('SPOT: bad q.', { field: 'q', expected: 'a probability in (0, 1)', found: String(s.q) });
  return s;
}

/** The initial threshold t (empirical quantile at `level`: S[floor(level·n)] of the sorted values) and the peaks above it. */
export function spotInitialThreshold(calibration: ArrayLike<number>, level: number): { n: number; initialThreshold: number; peaks: number[] } {
  const n = calibration.length;
  if (n === 0) throw new EadroError('SPOT: no calibration values.', { field: 'calibration', expected: 'at least one value' });
  const sorted = Float64Array.from(calibration);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(sorted[i] as number)) throw new EadroError('SPOT: calibration values must be finite.', { field: `calibration[${i}]`, expected: 'a finite number', found: String(sorted[i]) });
  }
  sorted.sort();
  const initialThreshold = sorted[Math.min(n - 1, Math.floor(level * n))] as number;
  const peaks: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = calibration[i] as number;
    if (x > initialThreshold) peaks.push(x - initialThreshold);
  }
  return { n, initialThreshold, peaks };
}

/**
 * z_q = t + (σ/γ)((q·n/N_t)^(−γ) − 1), or t − σ·log(q·n/N_t) when γ = 0 (baselines.md §3.1). Above t
 * only while q·n < N_t; this function does not require it (a stream may drift there), the calibration does.
 */
export function spotQuantile(p: { initialThreshold: number; gamma: number; sigma: number; q: number; n: number; peakCount: number }): number {
  const r = (p.q * p.n) / p.peakCount;
  if (p.gamma === 0) return p.initialThreshold - p.sigma * Math.log(r);
  return p.initialThreshold + (p.sigma / p.gamma) * (Math.pow(r, -p.gamma) - 1);
}

/** A calibrated SPOT: the state a stream starts from. */
export interface SpotCalibration {
  settings: SpotSettings;
  /** Values seen (calibration, then non-alarm stream values). */
  n: number;
  /** t, in the unit of the values. */
  initialThreshold: number;
  /** Excesses over t. */
  peaks: number[];
  gamma: number;
  sigma: number;
  logLikelihood: number;
  /** z_q, in the unit of the values. */
  threshold: number;
}

/** Calibrate SPOT: t, peaks, GPD fit and z_q (baselines.md §3.1 Init and Threshold). */
export function spotThreshold(calibration: ArrayLike<number>, options: Partial<SpotSettings> = {}): SpotCalibration {
  const settings = spotSettings(options);
  const { n, initialThreshold, peaks } = spotInitialThreshold(calibration, settings.level);
  if (peaks.length === 0) {
    throw new EadroError('SPOT: no calibration value lies above the initial threshold, nothing to fit.', { field: 'calibration', expected: `values above the ${settings.level} quantile`, found: `${n} values, quantile ${initialThreshold}` });
  }
  if (!(settings.q * n < peaks.length)) {
    throw new EadroError('SPOT: q is too large for this calibration (q·n/N_t must be < 1, or z_q falls below t).', { field: 'q', expected: `q < N_t/n = ${peaks.length}/${n}`, found: String(settings.q) });
  }
  return calibrateOnPeaks(settings, { n, initialThreshold, peaks });
}

/** The GPD fit and z_q of checked peaks (`spotThreshold` and `SpotDetector.fit`). */
function calibrateOnPeaks(settings: SpotSettings, { n, initialThreshold, peaks }: { n: number; initialThreshold: number; peaks: number[] }): SpotCalibration {
  const fit = fitGpd(peaks, settings);
  return { settings, n, initialThreshold, peaks, gamma: fit.gamma, sigma: fit.sigma, logLikelihood: fit.logLikelihood, threshold: spotQuantile({ initialThreshold, gamma: fit.gamma, sigma: fit.sigma, q: settings.q, n, peakCount: peaks.length }) };
}

/** The same calibration with another q (t, peaks and the fit do not depend on q). */
export function withQ(calibration: SpotCalibration, q: number): SpotCalibration {
  const settings = spotSettings({ ...calibration.settings, q });
  const threshold = spotQuantile({ ...calibration, q, peakCount: calibration.peaks.length });
  return { ...calibration, settings, peaks: [...calibration.peaks], threshold };
}

// ---------------------------------------------------------------------------------------------------
// Streaming

export interface SpotStep {
  /** 'alarm': x > z_q; 'peak': t < x ≤ z_q (added, tail refitted); 'normal': x ≤ t. */
  kind: 'alarm' | 'peak' | 'normal';
  /** z_q in force when x arrived (before any update). */
  threshold: number;
}

/** One SPOT stream, started from a calibration (copied: the calibration is not changed). */
export class Spot {
  private readonly settings: SpotSettings;
  private readonly peaks: number[];
  private nSeen: number;
  private fit: { gamma: number; sigma: number; logLikelihood: number };
  private z: number;
  readonly initialThreshold: number;

  constructor(calibration: SpotCalibration) {
    this.settings = calibration.settings;
    this.peaks = [...calibration.peaks];
    this.nSeen = calibration.n;
    this.fit = { gamma: calibration.gamma, sigma: calibration.sigma, logLikelihood: calibration.logLikelihood };
    this.z = calibration.threshold;
    this.initialThreshold = calibration.initialThreshold;
  }

  /** Current z_q. */
  get threshold(): number {
    return this.z;
  }

  /** The stream's state now, as a calibration (for inspection, or to start another stream from). */
  state(): SpotCalibration {
    return { settings: this.settings, n: this.nSeen, initialThreshold: this.initialThreshold, peaks: [...this.peaks], ...this.fit, threshold: this.z };
  }

  step(x: number): SpotStep {
    if (!Number.isFinite(x)) throw new EadroError('SPOT: stream values must be finite.', { field: 'x', expected: 'a finite number', found: String(x) });
    const threshold = this.z;
    if (x > threshold) return { kind: 'alarm', threshold };
    if (x > this.initialThreshold) {
      this.peaks.push(x - this.initialThreshold);
      this.nSeen++;
      const fit = fitGpd(this.peaks, this.settings);
      this.fit = { gamma: fit.gamma, sigma: fit.sigma, logLikelihood: fit.logLikelihood };
      this.z = spotQuantile({ initialThreshold: this.initialThreshold, gamma: fit.gamma, sigma: fit.sigma, q: this.settings.q, n: this.nSeen, peakCount: this.peaks.length });
      return { kind: 'peak', threshold };
    }
    this.nSeen++;
    return { kind: 'normal', threshold };
  }
}

// ---------------------------------------------------------------------------------------------------
// The window detector

export interface SpotDetectorOptions extends GpdFitOptions {
  level: number;
  /** q values tried on the selection windows. */
  qCandidates: readonly number[];
  /** q when the selection windows cannot choose (and the tie winner). */
  defaultQ: number;
  minPeaks: number;
  streaming: boolean;
}

/** Counts of the last `detect` call, recorded by `fitted()`. */
export interface SpotStreamStats {
  windows: number;
  runs: number;
  /** Distinct (run, second) pairs streamed. */
  seconds: number;
  /** Non-padded values stepped, over all services. */
  values: number;
  alarms: number;
  /** Non-alarm values above t: added as peaks (and refitted) when streaming. */
  peaks: number;
  /** Slots whose value differed between two windows holding the same second (the first one seen is used). */
  conflictingSlots: number;
}

/** Key of a second: milliseconds, so float window starts that add up to the same second agree. */
const secondKey = (start: number, t: number): number => Math.round((start + t) * 1000);

/** [N] non-padded latency values (ms) of the training-normal windows, each (run, second) once. */
export function spotCalibrationValues(ds: WindowDataset, train: readonly number[]): number[][] {
  requireRawLatency(ds, 'SPOT');
  const N = ds.nodes.length;
  const T = ds.T;
  const values: number[][] = Array.from({ length: N }, () => []);
  const seen = new Map<string, Set<number>>();
  for (const w of train) {
    if ((ds.labels[w] as number) >= 0) continue;
    const run = ds.meta.runId[w] as string;
    let runSeconds = seen.get(run);
    if (runSeconds === undefined) {
      runSeconds = new Set<number>();
      seen.set(run, runSeconds);
    }
    for (let t = 0; t < T; t++) {
      const key = secondKey(ds.meta.start[w] as number, t);
      if (runSeconds.has(key)) continue;
      runSeconds.add(key);
      for (let n = 0; n < N; n++) {
        const v = ds.traces[(w * N + n) * T + t] as number;
        if (v > 0) (values[n] as number[]).push(v); // 0 = padding: no span in that second
      }
    }
  }
  return values;
}

/** Per-service record of the calibration, or why the service was skipped. */
type ServiceCalibration = { ok: true; calibration: SpotCalibration } | { ok: false; reason: string };

/** SPOT per service on latency, as a window detector (module comment). */
export class SpotDetector implements WindowDetector {
  readonly name = 'spot';
  private readonly options: SpotDetectorOptions;
  private services: ServiceCalibration[] | null = null;
  private serviceNames: string[] = [];
  private q: number;
  private selection: Record<string, number | null | string> = {};
  private lastStats: SpotStreamStats | null = null;

  constructor(options: Partial<SpotDetectorOptions> = {}) {
    const d = spotDefaults;
    this.options = {
      ...gpdFitOptions(options),
      level: options.level ?? d.level,
      qCandidates: options.qCandidates ?? d.qCandidates,
      defaultQ: options.defaultQ ?? d.q,
      minPeaks: options.minPeaks ?? d.minPeaks,
      streaming: options.streaming ?? d.streaming,
    };
    spotSettings({ level: this.options.level, q: this.options.defaultQ });
    for (const q of this.options.qCandidates) spotSettings({ q });
    this.q = this.options.defaultQ;
  }

  fit({ ds, train, select }: FitInput): void {
    requireRawLatency(ds, 'SPOT');
    const o = this.options;
    this.serviceNames = [...ds.nodes];
    const values = spotCalibrationValues(ds, train);
    // Calibrated at the default q; other candidates reuse t, the peaks and the fit (`withQ`).
    const settings = spotSettings({ ...o, q: o.defaultQ });
    const services = values.map((v): ServiceCalibration => {
      if (v.length === 0) return { ok: false, reason: 'no non-padded training-normal slot' };
      const init = spotInitialThreshold(v, o.level);
      if (init.peaks.length < o.minPeaks) return { ok: false, reason: `${init.peaks.length} peaks above t over ${v.length} seconds (needs ${o.minPeaks})` };
      return { ok: true, calibration: calibrateOnPeaks(settings, init) };
    });
    this.services = services;
    // A q is usable when q·n < N_t for every calibrated service (z_q above t, see `spotQuantile`).
    const usable = (q: number): string | null => {
      for (let s = 0; s < services.length; s++) {
        const c = services[s] as ServiceCalibration;
        if (c.ok && !(q * c.calibration.n < c.calibration.peaks.length)) return `q·n ≥ N_t for ${this.serviceNames[s]}`;
      }
      return null;
    };
    const labels = select.map((w) => ds.labels[w] as number);
    const { chosen, byCandidate } = chooseBySelectionF1(o.qCandidates, o.defaultQ, (q) => usable(q) ?? selectionF1(this.run(ds, select, q).flagged, labels));
    this.selection = byCandidate;
    this.q = chosen ?? o.defaultQ;
    const problem = chosen === null ? usable(this.q) : null;
    if (problem !== null) {
      throw new EadroError('SPOT: the default q is too large for a service calibration.', { field: 'method.params.q', expected: 'a smaller q', found: `${this.q} (${problem})` });
    }
    this.lastStats = null;
  }

  detect(ds: WindowDataset, windows: readonly number[]): DetectorOutput {
    const out = this.run(ds, windows, this.q);
    this.lastStats = out.stats;
    return { score: out.score, flagged: out.flagged };
  }

  /** Stream the windows' seconds run by run at alarm probability q (module comment). */
  private run(ds: WindowDataset, windows: readonly number[], q: number): DetectorOutput & { stats: SpotStreamStats } {
    requireRawLatency(ds, 'SPOT');
    const services = this.fittedServices();
    const N = ds.nodes.length;
    if (N !== services.length) {
      throw new EadroError('SPOT: the dataset has another number of services than the one it was fitted on.', { field: 'nodes', expected: `${services.length} services`, found: String(N) });
    }
    const T = ds.T;
    const score = new Array<number>(windows.length).fill(spotDefaults.noSpanScore);
    const flagged = new Array<boolean>(windows.length).fill(false);
    const stats: SpotStreamStats = { windows: windows.length, runs: 0, seconds: 0, values: 0, alarms: 0, peaks: 0, conflictingSlots: 0 };
    const byRun = new Map<string, number[]>(); // run id -> positions b in `windows`
    windows.forEach((w, b) => {
      const run = ds.meta.runId[w] as string;
      const list = byRun.get(run);
      if (list === undefined) byRun.set(run, [b]);
      else list.push(b);
    });
    for (const positions of byRun.values()) {
      stats.runs++;
      // The run's distinct seconds in time order; [S, N] latency (ms) of each, 0 = padding.
      const row = new Map<number, number>();
      const keys: number[] = [];
      for (const b of positions) {
        const w = windows[b] as number;
        for (let t = 0; t < T; t++) {
          const key = secondKey(ds.meta.start[w] as number, t);
          if (!row.has(key)) {
            row.set(key, keys.length);
            keys.push(key);
          }
        }
      }
      const S = keys.length;
      stats.seconds += S;
      const latency = new Float64Array(S * N);
      const filled = new Uint8Array(S);
      for (const b of positions) {
        const w = windows[b] as number;
        for (let t = 0; t < T; t++) {
          const s = row.get(secondKey(ds.meta.start[w] as number, t)) as number;
          for (let n = 0; n < N; n++) {
            const v = ds.traces[(w * N + n) * T + t] as number;
            if (filled[s] === 0) latency[s * N + n] = v;
            else if (latency[s * N + n] !== v) stats.conflictingSlots++;
          }
          filled[s] = 1;
        }
      }
      const order = Array.from({ length: S }, (_, i) => i).sort((a, c) => (keys[a] as number) - (keys[c] as number));
      // [S, N] x / z_q at each streamed slot (NaN: padding or an uncalibrated service), and the alarms.
      const ratio = new Float64Array(S * N).fill(Number.NaN);
      const alarm = new Uint8Array(S * N);
      services.forEach((service, n) => {
        if (!service.ok) return;
        const spot = new Spot(withQ(service.calibration, q));
        const fixedThreshold = spot.threshold;
        for (const s of order) {
          const x = latency[s * N + n] as number;
          if (!(x > 0)) continue; // padding is not part of the stream
          stats.values++;
          let threshold: number;
          let alarmed: boolean;
          if (this.options.streaming) {
            const step = spot.step(x);
            threshold = step.threshold;
            alarmed = step.kind === 'alarm';
            if (step.kind === 'peak') stats.peaks++;
          } else {
            threshold = fixedThreshold;
            alarmed = x > threshold;
            if (!alarmed && x > spot.initialThreshold) stats.peaks++;
          }
          if (!(threshold > 0)) {
            throw new Error(`spot: threshold ${threshold} ≤ 0 for service ${this.serviceNames[n]} (q·n/N_t drifted above 1 in the stream)`);
          }
          ratio[s * N + n] = x / threshold;
          if (alarmed) {
            alarm[s * N + n] = 1;
            stats.alarms++;
          }
        }
      });
      for (const b of positions) {
        const w = windows[b] as number;
        let best = spotDefaults.noSpanScore;
        let anyAlarm = false;
        for (let t = 0; t < T; t++) {
          const s = row.get(secondKey(ds.meta.start[w] as number, t)) as number;
          for (let n = 0; n < N; n++) {
            const r = ratio[s * N + n] as number;
            if (r > best) best = r;
            if (alarm[s * N + n] === 1) anyAlarm = true;
          }
        }
        score[b] = best;
        flagged[b] = anyAlarm;
      }
    }
    return { score, flagged, stats };
  }

  private fittedServices(): ServiceCalibration[] {
    if (this.services === null) throw new Error('spot: fit() must run before detect()');
    return this.services;
  }

  fitted(): Record<string, unknown> {
    const services = this.fittedServices();
    const o = this.options;
    const perService: Record<string, unknown> = {};
    const skipped: Record<string, string> = {};
    services.forEach((c, n) => {
      const name = this.serviceNames[n] as string;
      if (!c.ok) {
        skipped[name] = c.reason;
        return;
      }
      const cal = withQ(c.calibration, this.q);
      perService[name] = { seconds: cal.n, initialThresholdMs: cal.initialThreshold, peaks: cal.peaks.length, gamma: cal.gamma, sigmaMs: cal.sigma, thresholdMs: cal.threshold };
    });
    return {
      q: this.q,
      qCandidates: [...o.qCandidates],
      selectionF1ByQ: this.selection,
      level: o.level,
      streaming: o.streaming
        ? 'per run: the distinct seconds of the scored windows in time order, each service restarted from its calibration; non-alarm peaks refit the tail'
        : 'off: calibrated thresholds, no updates',
      gammaZeroLogLikelihood: o.referenceGammaZeroBug ? 'reference bug: n(1 + log mean)' : 'correct: -n(1 + log mean)',
      rightBracket: o.referenceRightBracket ? 'reference (2(mean-min)/(mean*min), 2(mean-min)/min^2)' : '(0, 2(mean-min)/min^2)',
      servicesFitted: services.filter((c) => c.ok).length,
      servicesSkipped: services.filter((c) => !c.ok).length,
      skipped,
      services: perService,
      lastDetect: this.lastStats,
    };
  }
}

/**
 * Detector options from a method spec's `params` (`{ name: 'spot', params: {...} }`): `q` (fixes q,
 * no selection; it overrides `qCandidates`), `qCandidates`, `level`, `minPeaks`, `streaming`,
 * `referenceGammaZeroBug`, `referenceRightBracket`. Anything else is refused, naming the field.
 */
export function spotOptionsFromParams(params: Record<string, unknown>): Partial<SpotDetectorOptions> {
  const out: Partial<SpotDetectorOptions> = {};
  const bad = (key: string, expected: string): EadroError => new EadroError('Bad SPOT parameter.', { field: `method.params.${key}`, expected, found: JSON.stringify(params[key]) });
  const num = (key: string): number => {
    const v = params[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(key, 'a number');
    return v;
  };
  const bool = (key: string): boolean => {
    const v = params[key];
    if (typeof v !== 'boolean') throw bad(key, 'true or false');
    return v;
  };
  for (const key of Object.keys(params)) {
    switch (key) {
      case 'q':
        out.defaultQ = num(key);
        out.qCandidates = [out.defaultQ];
        break;
      case 'qCandidates': {
        const v = params[key];
        if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && x > 0 && x < 1)) throw bad(key, 'a non-empty list of probabilities in (0, 1)');
        if (params['q'] === undefined) out.qCandidates = v as number[];
        break;
      }
      case 'level':
        out.level = num(key);
        break;
      case 'minPeaks':
        out.minPeaks = num(key);
        if (!Number.isInteger(out.minPeaks) || out.minPeaks < 1) throw bad(key, 'an integer ≥ 1');
        break;
      case 'streaming':
      case 'referenceGammaZeroBug':
      case 'referenceRightBracket':
        out[key] = bool(key);
        break;
      default:
        throw new EadroError('Unknown SPOT parameter.', { field: `method.params.${key}`, expected: 'q | qCandidates | level | minPeaks | streaming | referenceGammaZeroBug | referenceRightBracket' });
    }
  }
  return out;
}
