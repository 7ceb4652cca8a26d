/**
 * The shared input and output of the trace-based root-cause localizers of the paper's Table III
 * (`../shared/specs/baselines.md` §3.2: TBAC, MonitorRank, ...), and their checks. The localizers are
 * pure functions of one `LocalizerInput`; building it from a window set is window-series.ts's job.
 */
import { EadroError, preview } from '../../core/errors.js';

export interface LocalizerInput {
  /** [N][L] per-service series over the analysed range (e.g. latency in ms per second over [window end − H, window end]). */
  series: ArrayLike<number>[];
  /** Call graph as an access matrix: access[i][j] > 0 when service i calls service j (caller -> callee). N x N. */
  access: ArrayLike<number>[];
  /** The frontend / entry service index (the paper's data has none; the harness passes the roots of the mined graph). */
  frontend: number;
}

/** What a localizer returns for one input. */
export interface LocalizerResult {
  /** [N] service indices, most likely root cause first; ties broken by the lower index. */
  ranking: number[];
  /** [N] the score each service was ranked by (higher = more likely the root cause); meaning per method. */
  scores: Float64Array;
  /** Method-specific diagnostics (intermediate scores, counts, the options used); JSON-safe. */
  info: Record<string, unknown>;
}

/** Shortest series the localizers accept (baselines.md §3.2 feeds H = 300 s; a correlation needs a few points). */
export const MIN_SERIES_LENGTH = 3;

/**
 * Checks a localizer input and returns its sizes: N ≥ 1 services, every series of one length L ≥ 3
 * with finite values, `access` N × N with finite values ≥ 0, `frontend` an integer in [0, N).
 * Throws an EadroError naming the field (`series`, `series[i]`, `series[i][t]`, `access`, `access[i]`,
 * `access[i][j]`, `frontend`) and what was expected; `method` names the caller in the message.
 */
export function validateLocalizerInput(input: LocalizerInput, method: string): { N: number; L: number } {
  const { series, access, frontend } = input;
  const bad = (field: string, expected: string, found: unknown): EadroError =>
    new EadroError(`${method}: bad localizer input.`, { field, expected, found: preview(found) });
  if (!Array.isArray(series) || series.length < 1) throw bad('series', 'an array of N >= 1 per-service series', Array.isArray(series) ? `${series.length} series` : typeof series);
  const N = series.length;
  const L = series[0]?.length ?? 0;
  for (let i = 0; i < N; i++) {
    const s = series[i];
    if (s === undefined || s === null || typeof s.length !== 'number') throw bad(`series[${i}]`, 'an array of numbers', s);
    if (s.length !== L) throw bad(`series[${i}]`, `length ${L} (the length of series[0]); every series must cover the same seconds`, `length ${s.length}`);
    if (L < MIN_SERIES_LENGTH) throw bad(`series[${i}]`, `at least ${MIN_SERIES_LENGTH} points`, `length ${L}`);
    for (let t = 0; t < L; t++) {
      const v = s[t];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`series[${i}][${t}]`, 'a finite number', v);
    }
  }
  if (!Array.isArray(access) || access.length !== N) throw bad('access', `an N x N matrix with N = ${N} (one row per series)`, Array.isArray(access) ? `${access.length} rows` : typeof access);
  for (let i = 0; i < N; i++) {
    const row = access[i];
    if (row === undefined || row === null || typeof row.length !== 'number' || row.length !== N) {
      throw bad(`access[${i}]`, `a row of N = ${N} numbers`, row === undefined || row === null ? row : `length ${row.length}`);
    }
    for (let j = 0; j < N; j++) {
      const v = row[j];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(`access[${i}][${j}]`, 'a finite number >= 0 (> 0 when service i calls service j)', v);
    }
  }
  if (!Number.isInteger(frontend) || frontend < 0 || frontend >= N) throw bad('frontend', `an integer service index in [0, ${N - 1}]`, frontend);
  return { N, L };
}

/** [N] indices sorted by score descending, ties (and equal scores) by the lower index. NaN scores sort last. */
export function rankDescending(scores: ArrayLike<number>): number[] {
  const key = (i: number): number => {
    const v = scores[i] as number;
    return Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v;
  };
  const order = Array.from({ length: scores.length }, (_, i) => i);
  // Compare explicitly (not b − a): −∞ − −∞ is NaN, which would break the sort's ordering.
  return order.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka > kb) return -1;
    if (ka < kb) return 1;
    return a - b;
  });
}
