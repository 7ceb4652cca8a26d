/**
 * Lag search by cross-correlation of sparse per-second series, used to measure clock offsets between
 * telemetry sources. A pair is (reference series x, source series y) of the same run and service; for
 * a lag L the source is moved to y(t - L) and Pearson's r is taken over the union of both time ranges,
 * absent seconds counting as 0 (so when data starts and stops is part of the signal). The score of a
 * lag is the mean r over pairs. Lags are searched coarse to fine (`xcorrDefaults`): every minute over
 * +-24 h on minute bins, then every second around the best minute on 1-s bins; a dense search over
 * +-24 h at 1 s would cost 172,800 evaluations. A whole-hours-only first pass is NOT used: when the true
 * offset is a whole number of hours plus a few minutes of skew, periodic load makes the nearest whole
 * hours anti-correlated and such a pass picks a wrong region. The best whole-hour lag of the minute scan
 * is still reported, since time-zone errors are whole hours.
 */

/** A series: value per whole unix second (sparse). */
export type SecondSeries = Map<number, number>;

export interface SeriesPair {
  /** Reference series (its clock is right). */
  x: SecondSeries;
  /** Source series (its clock is searched). */
  y: SecondSeries;
  /** How values merge into a bin: counts add up, gauges (CPU) average. */
  xMerge: 'sum' | 'mean';
  yMerge: 'sum' | 'mean';
  /**
   * What a series is outside its own time range: 'zero' for counts (no event = 0), 'unknown' for
   * gauges such as CPU, whose absence is not a value (otherwise the step from a near-constant gauge
   * to 0 dominates its variance). r is taken over the union of the ranges, cut to the range of each
   * 'unknown' series. Default: 'zero' for merge 'sum', 'unknown' for 'mean'.
   */
  xOutside?: 'zero' | 'unknown';
  yOutside?: 'zero' | 'unknown';
}

export interface LagStage {
  /** Bin width, seconds. */
  binSeconds: number;
  /** Lag step, seconds (a multiple of binSeconds). */
  stepSeconds: number;
  /** Lags searched: best of the previous stage +- span seconds (first stage: +- maxLagSeconds around 0). */
  spanSeconds: number;
}

export const xcorrDefaults = {
  // ours: fewer seconds of common range than this give r from a handful of bins: such lags score NaN.
  // Capped per pair at half the shorter series (short runs, e.g. 200-s testbed runs), and never < 3 bins.
  minOverlapSeconds: 600,
  // ours: time-zone errors are whole hours within a day (data-formats.md §1: +8 h, +16 h reported).
  maxLagSeconds: 24 * 3600,
  stages: [
    // ours: every minute over the whole range on minute bins, then every second within +-2 min of the
    // best minute on 1-s bins (a minute bin can be off by up to 60 s, plus slack).
    { binSeconds: 60, stepSeconds: 60, spanSeconds: 24 * 3600 },
    { binSeconds: 1, stepSeconds: 1, spanSeconds: 120 },
  ] as LagStage[],
};

interface Binned {
  /** Dense values from bin `first` on. */
  first: number;
  values: Float64Array;
  /** Prefix sums: prefix[i] = sum of values[0..i). */
  prefix: Float64Array;
  prefixSq: Float64Array;
  /** Whether the series is 0 (true) or unknown (false) outside its range. */
  zeroOutside: boolean;
  /** Non-zero bins, for iteration. */
  nzBins: Int32Array;
  nzValues: Float64Array;
}

function bin(series: SecondSeries, width: number, merge: 'sum' | 'mean', zeroOutside: boolean): Binned | null {
  if (series.size === 0) return null;
  const sums = new Map<number, number>();
  const counts = new Map<number, number>();
  for (const [t, v] of series) {
    const b = Math.floor(t / width);
    sums.set(b, (sums.get(b) ?? 0) + v);
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  let first = Infinity;
  let last = -Infinity;
  for (const b of sums.keys()) {
    if (b < first) first = b;
    if (b > last) last = b;
  }
  const values = new Float64Array(last - first + 1);
  for (const [b, s] of sums) values[b - first] = merge === 'mean' ? s / counts.get(b)! : s;
  const prefix = new Float64Array(values.length + 1);
  const prefixSq = new Float64Array(values.length + 1);
  const nzB: number[] = [];
  const nzV: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    prefix[i + 1] = prefix[i]! + v;
    prefixSq[i + 1] = prefixSq[i]! + v * v;
    if (v !== 0) {
      nzB.push(first + i);
      nzV.push(v);
    }
  }
  return { first, values, prefix, prefixSq, zeroOutside, nzBins: Int32Array.from(nzB), nzValues: Float64Array.from(nzV) };
}

/** Sum and sum of squares of a series' bins lo..hi (absolute bins, shifted by `shift`). */
function rangeSums(s: Binned, lo: number, hi: number, shift: number): [number, number] {
  const a = Math.max(0, lo - shift - s.first);
  const b = Math.min(s.values.length, hi - shift - s.first + 1);
  if (b <= a) return [0, 0];
  return [s.prefix[b]! - s.prefix[a]!, s.prefixSq[b]! - s.prefixSq[a]!];
}

/**
 * Pearson r of x(t) and y(t - lagBins) over the union of their (shifted) ranges, cut to the range of
 * any series that is unknown outside it; NaN if that common range is shorter than `minBins` or a
 * series is constant on it.
 */
function pearsonAtLag(x: Binned, y: Binned, lagBins: number, minBins: number): number {
  const xLast = x.first + x.values.length - 1;
  const yFirst = y.first + lagBins;
  const yLast = yFirst + y.values.length - 1;
  let lo = Math.min(x.first, yFirst);
  let hi = Math.max(xLast, yLast);
  if (!x.zeroOutside) {
    lo = Math.max(lo, x.first);
    hi = Math.min(hi, xLast);
  }
  if (!y.zeroOutside) {
    lo = Math.max(lo, yFirst);
    hi = Math.min(hi, yLast);
  }
  const n = hi - lo + 1;
  if (n < minBins) return NaN;
  const [sx, sxx] = rangeSums(x, lo, hi, 0);
  const [sy, syy] = rangeSums(y, lo, hi, lagBins);
  let sxy = 0;
  const nz = y.nzBins;
  const nv = y.nzValues;
  for (let i = 0; i < nz.length; i++) {
    const b = nz[i]! + lagBins;
    if (b < lo || b > hi) continue;
    const xi = b - x.first;
    if (xi >= 0 && xi < x.values.length) sxy += x.values[xi]! * nv[i]!;
  }
  const num = n * sxy - sx * sy;
  const den = Math.sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
  return den > 1e-12 * n * n ? num / den : NaN;
}

export interface LagResult {
  /** Best lag, seconds: source time + lag = reference time. */
  lagSeconds: number;
  /** Mean Pearson r over pairs at the best lag (final stage; undefined r counts as 0). */
  score: number;
  /** Pairs whose r was defined at the best lag (final stage). */
  pairs: number;
  /**
   * Per stage: best lag and its score, the runner-up lag farther than 1 h (first stage) or 10 steps from
   * the best, and the best whole-hour lag among the stage's candidates (null if it tried none).
   */
  stages: {
    binSeconds: number;
    lagSeconds: number;
    score: number;
    runnerUpLag: number | null;
    runnerUpScore: number | null;
    bestWholeHourLag: number | null;
    bestWholeHourScore: number | null;
  }[];
}

/**
 * Mean r over pairs at each candidate lag; returns the best. A pair whose r is undefined at a lag (too
 * little common range, or constant there) counts as 0, not as absent: otherwise a lag could win by
 * pushing the pairs that disagree with it out of range.
 */
function scanStage(binnedPairs: [Binned, Binned][], lags: number[], binSeconds: number) {
  const minBins = Math.max(3, Math.ceil(xcorrDefaults.minOverlapSeconds / binSeconds));
  let best = { lag: 0, score: -Infinity, pairs: 0 };
  const scores: { lag: number; score: number }[] = [];
  for (const lag of lags) {
    let total = 0;
    let used = 0;
    const lagBins = Math.round(lag / binSeconds);
    for (const [x, y] of binnedPairs) {
      const pairMin = Math.max(3, Math.min(minBins, Math.floor(Math.min(x.values.length, y.values.length) / 2)));
      const r = pearsonAtLag(x, y, lagBins, pairMin);
      if (Number.isFinite(r)) {
        total += r;
        used++;
      }
    }
    const score = used > 0 ? total / binnedPairs.length : NaN;
    if (Number.isFinite(score)) scores.push({ lag, score });
    // Ties go to the smaller |lag| so that aligned data reports 0.
    if (Number.isFinite(score) && (score > best.score + 1e-12 || (Math.abs(score - best.score) <= 1e-12 && Math.abs(lag) < Math.abs(best.lag)))) {
      best = { lag, score, pairs: used };
    }
  }
  return { best, scores };
}

/**
 * Find the lag that best aligns the source series with the reference series over all pairs.
 * Returns null when no pair has data in both series.
 */
export function searchLag(pairs: SeriesPair[], stages: LagStage[] = xcorrDefaults.stages, center = 0): LagResult | null {
  let centre = center;
  const out: LagResult['stages'] = [];
  let final: { lag: number; score: number; pairs: number } | null = null;
  for (const stage of stages) {
    const binnedPairs: [Binned, Binned][] = [];
    for (const p of pairs) {
      const x = bin(p.x, stage.binSeconds, p.xMerge, (p.xOutside ?? (p.xMerge === 'sum' ? 'zero' : 'unknown')) === 'zero');
      const y = bin(p.y, stage.binSeconds, p.yMerge, (p.yOutside ?? (p.yMerge === 'sum' ? 'zero' : 'unknown')) === 'zero');
      if (x !== null && y !== null) binnedPairs.push([x, y]);
    }
    if (binnedPairs.length === 0) return null;
    const lags: number[] = [];
    const steps = Math.floor(stage.spanSeconds / stage.stepSeconds);
    for (let k = -steps; k <= steps; k++) lags.push(centre + k * stage.stepSeconds);
    const { best, scores } = scanStage(binnedPairs, lags, stage.binSeconds);
    if (!Number.isFinite(best.score)) return null;
    let runnerUp: { lag: number; score: number } | null = null;
    let wholeHour: { lag: number; score: number } | null = null;
    const apart = out.length === 0 ? 3600 : 10 * stage.stepSeconds;
    for (const s of scores) {
      if (s.lag % 3600 === 0 && (wholeHour === null || s.score > wholeHour.score)) wholeHour = s;
      if (Math.abs(s.lag - best.lag) <= apart) continue;
      if (runnerUp === null || s.score > runnerUp.score) runnerUp = s;
    }
    out.push({
      binSeconds: stage.binSeconds,
      lagSeconds: best.lag,
      score: best.score,
      runnerUpLag: runnerUp?.lag ?? null,
      runnerUpScore: runnerUp?.score ?? null,
      bestWholeHourLag: wholeHour?.lag ?? null,
      bestWholeHourScore: wholeHour?.score ?? null,
    });
    centre = best.lag;
    final = best;
  }
  if (final === null) return null;
  return { lagSeconds: final.lag, score: final.score, pairs: final.pairs, stages: out };
}
