/**
 * Pearson correlation as the reference localizers use it (`../shared/specs/baselines.md` §3.2:
 * "Pearson correlation for these methods is `np.corrcoef` over the series", `dycause_rca:
 * util_funcs/pearson.py` with method="numpy"), and the correlation of every service with the frontend,
 * which TBAC and MonitorRank both start from.
 *
 * NaN policy: a correlation is NaN when a series is constant (numpy: 0/0). The reference would let the
 * NaN flow on (TBAC's comparisons with NaN are false; MonitorRank's `np.random.choice` refuses NaN
 * probabilities). Our localizers treat a NaN correlation as 0, "no evidence of a relation with the
 * frontend" (so TBAC's a = 2·0 − 1 = −1, MonitorRank's S = 0), and list the services concerned in their
 * `info.nanCorrelations`. `pearson` itself returns the NaN; `frontendCorrelations` replaces it.
 *
 * Plain float64 loops, two passes (mean, then centred sums), so no cancellation of large raw sums.
 */
import { EadroError } from '../../core/errors.js';

/**
 * Pearson correlation of x and y with `numpy.corrcoef(x, y)[0, 1]` semantics:
 * r = (Sxy/(n−1)) / sqrt(Sxx/(n−1)) / sqrt(Syy/(n−1)) over the centred values, clipped to [−1, 1]
 * (numpy clips too; rounding can leave |r| a few ulps above 1).
 * - NaN when either series is constant (every value equal: checked exactly, so that e.g.
 *   [0.1, 0.1, 0.1], whose floating mean is not exactly 0.1, is NaN as intended; numpy there returns
 *   a meaningless 0 from 1e-17 residues), when n < 2, or when a value is NaN or ±∞ (numpy propagates).
 * - Callers decide what NaN means: the localizers treat it as 0 (module comment).
 * @param x [n] values (any unit; correlation is unit-free).
 * @param y [n] values, the same length as x (an EadroError otherwise, field `y`).
 * @returns r in [−1, 1], or NaN.
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (y.length !== n) throw new EadroError('pearson: series of different lengths.', { field: 'y', expected: `length ${n} (the length of x)`, found: `length ${y.length}` });
  if (n < 2) return Number.NaN;
  let sx = 0;
  let sy = 0;
  let xConst = true;
  let yConst = true;
  const x0 = x[0] as number;
  const y0 = y[0] as number;
  for (let t = 0; t < n; t++) {
    const xv = x[t] as number;
    const yv = y[t] as number;
    if (!Number.isFinite(xv) || !Number.isFinite(yv)) return Number.NaN;
    sx += xv;
    sy += yv;
    if (xv !== x0) xConst = false;
    if (yv !== y0) yConst = false;
  }
  if (xConst || yConst) return Number.NaN;
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let t = 0; t < n; t++) {
    const dx = (x[t] as number) - mx;
    const dy = (y[t] as number) - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  // numpy's order of operations: covariance, then divide by each standard deviation in turn.
  const r = sxy / (n - 1) / Math.sqrt(sxx / (n - 1)) / Math.sqrt(syy / (n - 1));
  if (Number.isNaN(r)) return r;
  return Math.min(1, Math.max(-1, r));
}

/**
 * Correlation of every service's series with the frontend's, NaN replaced by 0 (module comment).
 * The frontend's own entry is exactly 1 (numpy's diagonal, which the reference keeps with
 * `calc_pearson(..., zero_diag=False)`, is 1 up to an ulp of rounding; exact 1 keeps TBAC's frontend
 * at a = 1 and MonitorRank's S_frontend = 1 as the algorithms mean), or 0 when its series is constant.
 * @param series [N][L] per-service series (checked by the caller).
 * @param frontend index of the frontend service.
 * @returns corr [N] in [−1, 1]; nanServices: the indices whose correlation was NaN (now 0).
 */
export function frontendCorrelations(series: ArrayLike<number>[], frontend: number): { corr: Float64Array; nanServices: number[] } {
  const N = series.length;
  const corr = new Float64Array(N);
  const nanServices: number[] = [];
  const xf = series[frontend] as ArrayLike<number>;
  for (let i = 0; i < N; i++) {
    const r = pearson(series[i] as ArrayLike<number>, xf);
    if (Number.isNaN(r)) nanServices.push(i);
    else corr[i] = i === frontend ? 1 : r;
  }
  return { corr, nanServices };
}
