/**
 * Granger's ssr F-test and the augmented Dickey-Fuller test, as DyCause (`dycause.ts`; Pan et al.,
 * ISSTA'21, `PanYicheng/dycause_rca:dycause_lib/Granger_all_code.py`) runs them on every ordered pair of
 * services and every segment of the analysed range (`../shared/specs/baselines.md` §3.2 "DyCause").
 *
 * Granger test "x Granger-causes y" with `lag` = p lags, statsmodels `grangercausalitytests(
 * np.column_stack([y, x]), [p])[p][0]['ssr_ftest']` semantics (Granger_all_code.py's own `f_test` is
 * the same formula):
 * - rows t = p … n−1 (n_obs = n − p); restricted model y_t ~ 1 + y_{t−1} + … + y_{t−p}; full model adds
 *   x_{t−1} + … + x_{t−p}; both by ordinary least squares;
 * - F = ((ssr_r − ssr_f)/p) / (ssr_f/df), df = n_obs − 2p − 1; p-value = P(F(p, df) > F).
 * - The p-value is the F survival function from jstat: sf(F; d1, d2) = I_{d2/(d2 + d1·F)}(d2/2, d1/2),
 *   jStat.ibeta in its symmetric form, because 1 − jStat.centralF.cdf loses every digit below 1e-16
 *   (DyCause's strong links have p ≈ 1e-80). jStat's incomplete beta stops its continued fraction at
 *   a relative step of 3e-7 and its log-gamma is good to about 1e-10: p-values agree with scipy's to
 *   about 1e-7 relative (the fixtures check 1e-6); F agrees to rounding.
 *
 * Two implementations that give the same numbers (the tests check both against statsmodels):
 * - `grangerTest(y, x, lag)`: the direct regression, the lagged design built row by row and solved by
 *   ml-matrix's QR (Householder) decomposition, as statsmodels' OLS would (it uses a pseudo-inverse).
 * - `GrangerSegmentTester`: for DyCause's many segments. Every cross-product that a regression over
 *   rows [r0, r1) needs is Σ_t a_{t−i}·b_{t−j}, a lag-shifted product of two series, so it is a
 *   difference of two prefix sums of a_u·b_{u−d} (d = |i − j|, u shifted by min(i, j)). Per series
 *   we keep the prefix sums of z_u·z_{u−d} (d = 0 … p) and of z_u; per pair of series those of
 *   a_u·b_{u−d} and b_u·a_{u−d}. A segment's test is then 66 look-ups, the centred 11 × 11 (p = 5)
 *   cross-product matrix of [y lags, x lags, y_t] (centring = the constant), scaled to a correlation
 *   matrix, and ONE Cholesky decomposition (ml-matrix): with the rows ordered [y lags, x lags, y_t],
 *   the last row of the Cholesky factor L gives both fits at once, ssr_f/tss = L_yy² and
 *   ssr_r/tss = L_yy² + Σ_{x-lag columns j} L_yj², so ssr_r − ssr_f is a sum of squares (no
 *   cancellation) and the restricted fit of y (its leading block) is never solved on its own.
 *   Cost per segment test O((2p+1)³), independent of the segment's length; per pair of series O(p·L).
 *   Series are standardised (mean 0, sd 1 over the whole series) before the sums (F is invariant to an
 *   affine map of either series); the ssr values are reported in the original units.
 *
 * Degenerate cases (status ≠ 'ok'): the test cannot be computed, and we return the reference's
 * "missing" p-value GRANGER_MISSING = −1 (loop_granger's −1, which DyCause's get_ordered_intervals
 * reads through abs() as 1: "not significant"), F = NaN:
 * - 'too-few-points': n ≤ 3p + 1 (statsmodels and Granger_all_code.get_lagged_data raise
 *   "Insufficient observations"; DyCause's constraint step > 3·lag + 1 keeps its segments above this).
 * - 'constant-target': y_t constant over the rows (tss = 0; statsmodels 0.13.5 raises
 *   InfeasibleTestError "perfect fit").
 * - 'constant-regressor': a lag column constant over the rows (statsmodels 0.13.5 raises
 *   InfeasibleTestError "a column with constant values"; the reference's own OLS would solve a
 *   singular system through a pseudo-inverse and report F = 0, p = 1: "not significant" too).
 * - 'singular-design': lag columns collinear (a Cholesky pivot of the correlation matrix, 1 − R² of a
 *   column on the ones before it, below SINGULAR_TOL; QR: |R_jj| below √SINGULAR_TOL of the column's
 *   centred norm). statsmodels would go on with a pseudo-inverse; the F-test's df is then not 2p + 1.
 * - 'perfect-fit': the RESTRICTED model already fits exactly (ssr_r/tss < PERFECT_FIT_TOL), so x has
 *   nothing left to explain (the reference's F is 0/0 there).
 * When only the FULL model fits exactly (ssr_f/tss < PERFECT_FIT_TOL, ssr_r not): F = +∞, p = 0,
 * status 'ok', what the reference's own OLS gives (division by 0 → inf, sf(inf) = 0: x determines y);
 * statsmodels 0.13.5 raises there instead.
 *
 * ADF (`adfTest`): statsmodels `adfuller(x, maxlag, regression='c', autolag='AIC')`: Δx_u regressed on a
 * constant, x_{u−1} and Δx_{u−1..u−k}; k chosen in 0 … maxlag by the least AIC over the common rows
 * u ≥ maxlag + 1 (ties: the smaller k), then refitted on rows u ≥ k + 1; stat = the t-value of x_{u−1};
 * p-value = MacKinnon's (1994) approximate p-value (`mackinnonp(stat, 'c', N=1)`, its constants
 * copied from statsmodels' adfvalues.py) through jstat's normal cdf (absolute precision ~1e-16, so a
 * p-value below ~1e-12 is only approximately relative-exact). Both fits use the same Cholesky trick
 * (the nested AIC models share one factorisation). Used by DyCause to drop causal intervals whose
 * series are not stationary. Statuses: 'too-few-points' (maxlag > ⌊n/2⌋ − 2: statsmodels raises),
 * 'constant', 'singular-design'; stat and p-value NaN there.
 */
// tslab type-checks notebook imports without our tsconfig's include list, so the typing is referenced here.
/// <reference path="../../types/jstat.d.ts" />
import jstatPkg from 'jstat';
import { CholeskyDecomposition, Matrix, QrDecomposition } from 'ml-matrix';
import { EadroError } from '../../core/errors.js';

const { jStat } = jstatPkg;

/** The reference's "missing" p-value (loop_granger's −1): the test could not be computed. */
export const GRANGER_MISSING = -1;
/** A lag column whose 1 − R² on the columns before it is below this is collinear with them. */
export const SINGULAR_TOL = 1e-12;
/** ssr/tss below this is an exact fit. */
export const PERFECT_FIT_TOL = 1e-12;

export type GrangerStatus = 'ok' | 'too-few-points' | 'constant-target' | 'constant-regressor' | 'singular-design' | 'perfect-fit';

/** One Granger ssr F-test "x Granger-causes y". */
export interface GrangerResult {
  /** F statistic (NaN unless status is 'ok'; +∞ when the full model fits exactly). */
  F: number;
  /** P(F(dfNum, dfDenom) > F), or GRANGER_MISSING (−1) unless status is 'ok'. */
  pValue: number;
  /** Numerator degrees of freedom = lag. */
  dfNum: number;
  /** Denominator degrees of freedom = nObs − 2·lag − 1 (statsmodels' df_resid of the full model). */
  dfDenom: number;
  /** Rows of the regressions = n − lag. */
  nObs: number;
  /** Residual sums of squares of the restricted and full models, in the squared unit of y (NaN unless 'ok'). */
  ssrRestricted: number;
  ssrFull: number;
  status: GrangerStatus;
}

export type AdfStatus = 'ok' | 'too-few-points' | 'constant' | 'singular-design';

/** One augmented Dickey-Fuller test (constant, AIC lag selection). */
export interface AdfResult {
  /** t-value of the lagged level (statsmodels' adfstat). */
  stat: number;
  /** MacKinnon's approximate p-value; small = stationary (unit root rejected). NaN unless 'ok'. */
  pValue: number;
  /** Number of lagged differences chosen by AIC. */
  usedLag: number;
  /** Rows of the final regression. */
  nObs: number;
  /** AIC of the chosen model (statsmodels' icbest). */
  icBest: number;
  status: AdfStatus;
}

/** F survival function sf(F; d1, d2) = P(F(d1, d2) > F) via jstat's regularized incomplete beta (module comment). */
export function fSurvival(F: number, dfNum: number, dfDenom: number): number {
  if (Number.isNaN(F)) return Number.NaN;
  if (F <= 0) return 1;
  if (F === Number.POSITIVE_INFINITY) return 0;
  return jStat.ibeta(dfDenom / (dfDenom + dfNum * F), dfDenom / 2, dfNum / 2);
}

function missing(status: GrangerStatus, lag: number, nObs: number): GrangerResult {
  return { F: Number.NaN, pValue: GRANGER_MISSING, dfNum: lag, dfDenom: nObs - 2 * lag - 1, nObs, ssrRestricted: Number.NaN, ssrFull: Number.NaN, status };
}

/** F and p from the two ssr ratios (ssr/tss) and the tss (module comment's conventions). */
function finish(lag: number, nObs: number, ratioRestricted: number, ratioFull: number, ratioDiff: number, tss: number): GrangerResult {
  if (!(ratioRestricted >= PERFECT_FIT_TOL)) return missing('perfect-fit', lag, nObs);
  const df = nObs - 2 * lag - 1;
  const F = ratioFull >= PERFECT_FIT_TOL ? ratioDiff / lag / (ratioFull / df) : Number.POSITIVE_INFINITY;
  return { F, pValue: fSurvival(F, lag, df), dfNum: lag, dfDenom: df, nObs, ssrRestricted: ratioRestricted * tss, ssrFull: ratioFull * tss, status: 'ok' };
}

function checkLag(lag: number, method: string): void {
  if (!(Number.isInteger(lag) && lag >= 1)) throw new EadroError(`${method}: bad lag.`, { field: 'lag', expected: 'an integer >= 1', found: String(lag) });
}

function checkSeries(s: ArrayLike<number>, field: string, method: string, length?: number): void {
  if (s === null || s === undefined || typeof s.length !== 'number') throw new EadroError(`${method}: bad series.`, { field, expected: 'an array of numbers', found: String(s) });
  if (length !== undefined && s.length !== length) throw new EadroError(`${method}: series of different lengths.`, { field, expected: `length ${length}`, found: `length ${s.length}` });
  for (let t = 0; t < s.length; t++) {
    const v = s[t];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new EadroError(`${method}: bad series value.`, { field: `${field}[${t}]`, expected: 'a finite number', found: String(v) });
  }
}

/** True when s[from..to) holds one value (exact comparison). */
function constantRange(s: ArrayLike<number>, from: number, to: number): boolean {
  const v0 = s[from] as number;
  for (let u = from + 1; u < to; u++) if ((s[u] as number) !== v0) return false;
  return true;
}

/** Householder least squares: the residual sum of squares of y on the columns of X, or null when X is rank-deficient. */
function qrSsr(X: Matrix, y: Matrix): number | null {
  const qr = new QrDecomposition(X);
  const R = qr.upperTriangularMatrix;
  for (let j = 0; j < X.columns; j++) {
    // |R_jj| is the norm of column j orthogonal to the columns before it (the constant comes first, so centred).
    let norm2 = 0;
    let mean = 0;
    for (let i = 0; i < X.rows; i++) mean += X.get(i, j);
    mean /= X.rows;
    for (let i = 0; i < X.rows; i++) norm2 += (X.get(i, j) - mean) ** 2;
    const scale = j === 0 ? Math.sqrt(X.rows) : Math.sqrt(norm2);
    if (!(Math.abs(R.get(j, j)) > Math.sqrt(SINGULAR_TOL) * scale)) return null;
  }
  const beta = qr.solve(y);
  const fitted = X.mmul(beta);
  let ssr = 0;
  for (let i = 0; i < X.rows; i++) ssr += (y.get(i, 0) - fitted.get(i, 0)) ** 2;
  return ssr;
}

/**
 * Granger ssr F-test "x Granger-causes y" by direct regression (module comment; statsmodels
 * `grangercausalitytests(column_stack([y, x]), [lag])` 'ssr_ftest').
 * @param y [n] the effect series (any unit, e.g. latency ms per second).
 * @param x [n] the cause series, the same length.
 * @param lag number of lags p ≥ 1.
 * @returns the test; pValue = GRANGER_MISSING (−1) with a status for the degenerate cases.
 */
export function grangerTest(y: ArrayLike<number>, x: ArrayLike<number>, lag: number): GrangerResult {
  checkLag(lag, 'grangerTest');
  checkSeries(y, 'y', 'grangerTest');
  checkSeries(x, 'x', 'grangerTest', y.length);
  const n = y.length;
  const nObs = n - lag;
  if (n <= 3 * lag + 1) return missing('too-few-points', lag, Math.max(0, nObs));
  if (constantRange(y, lag, n)) return missing('constant-target', lag, nObs);
  for (let a = 1; a <= lag; a++) {
    if (constantRange(y, lag - a, n - a) || constantRange(x, lag - a, n - a)) return missing('constant-regressor', lag, nObs);
  }
  const Xf = new Matrix(nObs, 2 * lag + 1);
  const Y = new Matrix(nObs, 1);
  let ySum = 0;
  for (let r = 0; r < nObs; r++) {
    const t = r + lag;
    Xf.set(r, 0, 1);
    for (let a = 1; a <= lag; a++) {
      Xf.set(r, a, y[t - a] as number);
      Xf.set(r, lag + a, x[t - a] as number);
    }
    Y.set(r, 0, y[t] as number);
    ySum += y[t] as number;
  }
  const yMean = ySum / nObs;
  let tss = 0;
  for (let r = 0; r < nObs; r++) tss += (Y.get(r, 0) - yMean) ** 2;
  const ssrF = qrSsr(Xf, Y);
  const ssrR = qrSsr(Xf.subMatrix(0, nObs - 1, 0, lag), Y);
  if (ssrF === null || ssrR === null) return missing('singular-design', lag, nObs);
  // ssr_r − ssr_f as statsmodels computes it (a difference here; the segment path gets it as a sum of squares).
  return finish(lag, nObs, ssrR / tss, ssrF / tss, (ssrR - ssrF) / tss, tss);
}

/**
 * Cholesky factor of a symmetric positive semi-definite k × k matrix given as a flat row-major array,
 * after scaling it to unit diagonal (a correlation matrix); ml-matrix's decomposition.
 * @returns the lower factor, or null when a diagonal entry is not positive (a constant column).
 */
function correlationCholesky(M: Float64Array, k: number, work: Matrix): Matrix | null {
  const d = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const v = M[i * k + i] as number;
    if (!(v > 0)) return null;
    d[i] = 1 / Math.sqrt(v);
  }
  for (let i = 0; i < k; i++) {
    work.set(i, i, 1);
    for (let j = 0; j < i; j++) {
      const r = (M[i * k + j] as number) * (d[i] as number) * (d[j] as number);
      work.set(i, j, r);
      work.set(j, i, r);
    }
  }
  return new CholeskyDecomposition(work).lowerTriangularMatrix;
}

/** True when every leading pivot L_jj² (j < count) is at least SINGULAR_TOL (and not NaN). */
function pivotsOk(L: Matrix, count: number): boolean {
  for (let j = 0; j < count; j++) {
    const p = L.get(j, j);
    if (!(p * p >= SINGULAR_TOL)) return false;
  }
  return true;
}

/**
 * Granger tests of one set of series over many segments [start, end), by prefix sums of lag-shifted
 * cross-products (module comment). Build once per input; `test` caches the sums of the last pair of
 * series it saw, so test every segment of one pair (both directions) before moving to the next pair.
 */
export class GrangerSegmentTester {
  readonly lag: number;
  /** Length L of every series. */
  readonly length: number;
  private readonly raw: ArrayLike<number>[];
  private readonly sd: Float64Array;
  /** sum[s][k] = Σ_{u<k} z_s[u]. */
  private readonly sum: Float64Array[];
  /** own[s][d][k] = Σ_{d ≤ u < k} z_s[u]·z_s[u−d], d = 0 … lag. */
  private readonly own: Float64Array[][];
  /** changes[s][k] = #{1 ≤ u ≤ k : raw_s[u] ≠ raw_s[u−1]}: s[a..b) is constant iff changes[b−1] = changes[a]. */
  private readonly changes: Int32Array[];
  private readonly z: Float64Array[];
  private pairLo = -1;
  private pairHi = -1;
  /** lohi[d][k] = Σ_{u<k} z_lo[u]·z_hi[u−d]; hilo[d][k] = Σ_{u<k} z_hi[u]·z_lo[u−d] (d = 0 … lag). */
  private readonly lohi: Float64Array[];
  private readonly hilo: Float64Array[];
  private readonly M: Float64Array;
  private readonly S: Float64Array;
  private readonly work: Matrix;
  private readonly vars: { s: number; a: number }[];

  /**
   * @param series [N][L] series (finite numbers, any unit), all of one length L.
   * @param lag number of lags p ≥ 1.
   */
  constructor(series: readonly ArrayLike<number>[], lag: number) {
    checkLag(lag, 'GrangerSegmentTester');
    if (!Array.isArray(series) || series.length < 1) throw new EadroError('GrangerSegmentTester: bad series.', { field: 'series', expected: 'an array of N >= 1 series', found: String(series) });
    const L = (series[0] as ArrayLike<number>).length;
    series.forEach((s, i) => checkSeries(s, `series[${i}]`, 'GrangerSegmentTester', L));
    this.lag = lag;
    this.length = L;
    this.raw = [...series];
    const N = series.length;
    this.sd = new Float64Array(N);
    this.z = [];
    this.sum = [];
    this.own = [];
    this.changes = [];
    for (let s = 0; s < N; s++) {
      const x = series[s] as ArrayLike<number>;
      let mean = 0;
      for (let u = 0; u < L; u++) mean += x[u] as number;
      mean /= L;
      let v = 0;
      for (let u = 0; u < L; u++) v += ((x[u] as number) - mean) ** 2;
      const sd = Math.sqrt(v / L);
      this.sd[s] = sd;
      const z = new Float64Array(L);
      if (sd > 0) for (let u = 0; u < L; u++) z[u] = ((x[u] as number) - mean) / sd;
      this.z.push(z);
      const sum = new Float64Array(L + 1);
      for (let u = 0; u < L; u++) sum[u + 1] = (sum[u] as number) + (z[u] as number);
      this.sum.push(sum);
      this.own.push(lagProducts(z, z, lag));
      const ch = new Int32Array(Math.max(L, 1));
      for (let u = 1; u < L; u++) ch[u] = (ch[u - 1] as number) + ((x[u] as number) !== (x[u - 1] as number) ? 1 : 0);
      this.changes.push(ch);
    }
    this.lohi = Array.from({ length: lag + 1 }, () => new Float64Array(L + 1));
    this.hilo = Array.from({ length: lag + 1 }, () => new Float64Array(L + 1));
    const k = 2 * lag + 1;
    this.M = new Float64Array(k * k);
    this.S = new Float64Array(k);
    this.work = new Matrix(k, k);
    this.vars = new Array(k);
  }

  private constant(s: number, from: number, to: number): boolean {
    const ch = this.changes[s] as Int32Array;
    return ch[to - 1] === ch[from];
  }

  private usePair(a: number, b: number): void {
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    if (lo === this.pairLo && hi === this.pairHi) return;
    fillLagProducts(this.z[lo] as Float64Array, this.z[hi] as Float64Array, this.lohi);
    fillLagProducts(this.z[hi] as Float64Array, this.z[lo] as Float64Array, this.hilo);
    this.pairLo = lo;
    this.pairHi = hi;
  }

  /** Σ_{t ∈ [r0, r1)} z_s1[t − a1]·z_s2[t − a2] (r0 ≥ lag ≥ a1, a2). */
  private cross(s1: number, a1: number, s2: number, a2: number, r0: number, r1: number): number {
    if (s1 === s2) {
      const a = Math.min(a1, a2);
      const P = (this.own[s1] as Float64Array[])[Math.abs(a1 - a2)] as Float64Array;
      return (P[r1 - a] as number) - (P[r0 - a] as number);
    }
    // Orient as Σ_u first_u·second_{u−d}, first = the series with the smaller lag.
    const [f, af, g, ag] = a1 <= a2 ? [s1, a1, s2, a2] : [s2, a2, s1, a1];
    const P = (f === this.pairLo && g === this.pairHi ? this.lohi : this.hilo)[ag - af] as Float64Array;
    return (P[r1 - af] as number) - (P[r0 - af] as number);
  }

  /**
   * Granger ssr F-test "source Granger-causes target" on the rows of segment [start, end) of the series
   * (the same test as `grangerTest(target.slice(start, end), source.slice(start, end), lag)`).
   * @param target index of y.
   * @param source index of x (≠ target).
   * @param start first index of the segment (inclusive).
   * @param end last index (exclusive), start < end ≤ L.
   */
  test(target: number, source: number, start: number, end: number): GrangerResult {
    const N = this.raw.length;
    const L = this.length;
    const p = this.lag;
    const bad = (field: string, expected: string, found: unknown): EadroError => new EadroError('GrangerSegmentTester.test: bad argument.', { field, expected, found: String(found) });
    if (!(Number.isInteger(target) && target >= 0 && target < N)) throw bad('target', `a series index in [0, ${N - 1}]`, target);
    if (!(Number.isInteger(source) && source >= 0 && source < N && source !== target)) throw bad('source', `a series index in [0, ${N - 1}] other than target`, source);
    if (!(Number.isInteger(start) && start >= 0 && start < L)) throw bad('start', `an integer in [0, ${L - 1}]`, start);
    if (!(Number.isInteger(end) && end > start && end <= L)) throw bad('end', `an integer in [start + 1, ${L}]`, end);
    const n = end - start;
    const r0 = start + p;
    const r1 = end;
    const nObs = n - p;
    if (n <= 3 * p + 1) return missing('too-few-points', p, Math.max(0, nObs));
    if (this.constant(target, r0, r1)) return missing('constant-target', p, nObs);
    for (let a = 1; a <= p; a++) {
      if (this.constant(target, r0 - a, r1 - a) || this.constant(source, r0 - a, r1 - a)) return missing('constant-regressor', p, nObs);
    }
    this.usePair(target, source);
    const k = 2 * p + 1;
    const vars = this.vars;
    for (let a = 1; a <= p; a++) {
      vars[a - 1] = { s: target, a };
      vars[p + a - 1] = { s: source, a };
    }
    vars[2 * p] = { s: target, a: 0 };
    const { M, S } = this;
    for (let i = 0; i < k; i++) {
      const vi = vars[i] as { s: number; a: number };
      const sum = this.sum[vi.s] as Float64Array;
      S[i] = (sum[r1 - vi.a] as number) - (sum[r0 - vi.a] as number);
    }
    for (let i = 0; i < k; i++) {
      const vi = vars[i] as { s: number; a: number };
      for (let j = 0; j <= i; j++) {
        const vj = vars[j] as { s: number; a: number };
        // Centred cross-product: the constant of both regressions, removed once.
        const c = this.cross(vi.s, vi.a, vj.s, vj.a, r0, r1) - ((S[i] as number) * (S[j] as number)) / nObs;
        M[i * k + j] = c;
        M[j * k + i] = c;
      }
    }
    const L_ = correlationCholesky(M, k, this.work);
    if (L_ === null || !pivotsOk(L_, 2 * p)) return missing('singular-design', p, nObs);
    const lyy = L_.get(2 * p, 2 * p);
    const ratioFull = lyy * lyy;
    let ratioDiff = 0;
    for (let j = p; j < 2 * p; j++) ratioDiff += L_.get(2 * p, j) ** 2;
    const sdy = this.sd[target] as number;
    const tss = (M[k * k - 1] as number) * sdy * sdy;
    return finish(p, nObs, ratioFull + ratioDiff, ratioFull, ratioDiff, tss);
  }
}

/** [d][k] prefix sums Σ_{d ≤ u < k} a[u]·b[u−d] for d = 0 … lag. */
function lagProducts(a: Float64Array, b: Float64Array, lag: number): Float64Array[] {
  const out = Array.from({ length: lag + 1 }, () => new Float64Array(a.length + 1));
  fillLagProducts(a, b, out);
  return out;
}

function fillLagProducts(a: Float64Array, b: Float64Array, out: Float64Array[]): void {
  const L = a.length;
  for (let d = 0; d < out.length; d++) {
    const P = out[d] as Float64Array;
    P[0] = 0;
    let acc = 0;
    for (let u = 0; u < L; u++) {
      if (u >= d) acc += (a[u] as number) * (b[u - d] as number);
      P[u + 1] = acc;
    }
  }
}

// MacKinnon (1994) approximate p-value of the ADF t-statistic, regression 'c', N = 1 series
// (statsmodels tsa/adfvalues.py: _tau_maxs/_tau_mins/_tau_stars['c'][0], tau_c_smallp[0]·small_scaling,
// tau_c_largep[0]·large_scaling; the products are written as statsmodels computes them).
const TAU_MAX_C = 2.74;
const TAU_MIN_C = -18.83;
const TAU_STAR_C = -1.61;
const TAU_C_SMALLP = [2.1659 * 1, 1.4412 * 1, 3.8269 * 1e-2];
const TAU_C_LARGEP = [1.7339 * 1, 9.3202 * 1e-1, -1.2745 * 1e-1, -1.0368 * 1e-2];

/** statsmodels `mackinnonp(stat, regression='c', N=1)`: Φ(polynomial in stat), 1 above 2.74, 0 below −18.83. */
export function mackinnonPValue(stat: number): number {
  if (Number.isNaN(stat)) return Number.NaN;
  if (stat > TAU_MAX_C) return 1;
  if (stat < TAU_MIN_C) return 0;
  const c = stat <= TAU_STAR_C ? TAU_C_SMALLP : TAU_C_LARGEP;
  // numpy polyval(c[::-1], stat): Horner from the highest power.
  let v = 0;
  for (let i = c.length - 1; i >= 0; i--) v = v * stat + (c[i] as number);
  return jStat.normal.cdf(v, 0, 1);
}

/** Centred cross-products of the columns cols[j](u) for u in [from, to) into a flat k × k matrix; returns it. */
function centredCrossProducts(cols: ((u: number) => number)[], from: number, to: number): Float64Array {
  const k = cols.length;
  const n = to - from;
  const mean = new Float64Array(k);
  const vals = new Float64Array(n * k);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < k; j++) {
      const v = (cols[j] as (u: number) => number)(from + r);
      vals[r * k + j] = v;
      mean[j] = (mean[j] as number) + v;
    }
  }
  for (let j = 0; j < k; j++) mean[j] = (mean[j] as number) / n;
  const M = new Float64Array(k * k);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < k; i++) {
      const vi = (vals[r * k + i] as number) - (mean[i] as number);
      for (let j = 0; j <= i; j++) M[i * k + j] = (M[i * k + j] as number) + vi * ((vals[r * k + j] as number) - (mean[j] as number));
    }
  }
  for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) M[j * k + i] = M[i * k + j] as number;
  return M;
}

/**
 * Augmented Dickey-Fuller test with a constant and AIC lag selection (module comment; statsmodels
 * `adfuller(x, maxlag=maxlag)`).
 * @param x [n] the series (any unit).
 * @param maxlag the largest number of lagged differences tried (≥ 0; DyCause passes its Granger lag).
 * @returns stat, MacKinnon p-value, the lag chosen, rows, AIC; NaN stat/p with a status when not computable.
 */
export function adfTest(x: ArrayLike<number>, maxlag: number): AdfResult {
  if (!(Number.isInteger(maxlag) && maxlag >= 0)) throw new EadroError('adfTest: bad maxlag.', { field: 'maxlag', expected: 'an integer >= 0', found: String(maxlag) });
  checkSeries(x, 'x', 'adfTest');
  const n = x.length;
  const fail = (status: AdfStatus): AdfResult => ({ stat: Number.NaN, pValue: Number.NaN, usedLag: -1, nObs: 0, icBest: Number.NaN, status });
  // statsmodels: maxlag must not exceed nobs // 2 − ntrend − 1 (ntrend = 1 for 'c').
  if (maxlag > Math.floor(n / 2) - 2) return fail('too-few-points');
  if (constantRange(x, 0, n)) return fail('constant');
  const dx = (u: number): number => (x[u] as number) - (x[u - 1] as number);
  const level = (u: number): number => x[u - 1] as number;
  const lagged = (i: number) => (u: number): number => dx(u - i);
  const work1 = new Matrix(maxlag + 2, maxlag + 2);

  // Lag selection: rows u in [maxlag + 1, n); columns [level, Δ_{u−1} … Δ_{u−maxlag}, Δx_u].
  const colsA = [level, ...Array.from({ length: maxlag }, (_, i) => lagged(i + 1)), dx];
  const kA = maxlag + 2;
  const nA = n - 1 - maxlag;
  const MA = centredCrossProducts(colsA, maxlag + 1, n);
  const LA = correlationCholesky(MA, kA, work1);
  if (LA === null || !pivotsOk(LA, kA - 1)) return fail('singular-design');
  const tssA = MA[kA * kA - 1] as number;
  let best = -1;
  let bestAic = Number.POSITIVE_INFINITY;
  // ssr of the model with m lagged differences = tss·(L_yy² + Σ_{j > m} L_yj²), j over the dropped Δ columns.
  let tail = LA.get(kA - 1, kA - 1) ** 2;
  const aics = new Float64Array(maxlag + 1);
  for (let m = maxlag; m >= 0; m--) {
    const ssr = tail * tssA;
    // statsmodels OLS aic = −2·llf + 2·(number of regressors incl. the constant) = n(log 2π + log(ssr/n) + 1) + 2(m + 2).
    aics[m] = nA * (Math.log(2 * Math.PI) + Math.log(ssr / nA) + 1) + 2 * (m + 2);
    if (m >= 1) tail += LA.get(kA - 1, m) ** 2;
  }
  for (let m = 0; m <= maxlag; m++) {
    if ((aics[m] as number) < bestAic) {
      bestAic = aics[m] as number;
      best = m;
    }
  }
  if (best < 0) return fail('singular-design');

  // Final fit: rows u in [best + 1, n); columns [Δ_{u−1} … Δ_{u−best}, level, Δx_u] (level last: its t-value is L_y,level·√df / L_yy).
  const colsF = [...Array.from({ length: best }, (_, i) => lagged(i + 1)), level, dx];
  const kF = best + 2;
  const nF = n - 1 - best;
  const MF = centredCrossProducts(colsF, best + 1, n);
  const LF = correlationCholesky(MF, kF, new Matrix(kF, kF));
  if (LF === null || !pivotsOk(LF, kF - 1)) return fail('singular-design');
  const df = nF - (best + 2);
  const lyy = LF.get(kF - 1, kF - 1);
  const stat = (LF.get(kF - 1, kF - 2) * Math.sqrt(df)) / lyy;
  return { stat, pValue: mackinnonPValue(stat), usedLag: best, nObs: nF, icBest: bestAic, status: 'ok' };
}
