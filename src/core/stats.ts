/** Small numeric helpers shared by every stage (the raw reader, evaluation, training, benchmarks). */

/** Median of a non-empty list: the middle value, or the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** x where it is a finite number, else null: what JSON can store (NaN and Infinity would become null anyway, silently). */
export function finiteOrNull(x: number | undefined): number | null {
  return x !== undefined && Number.isFinite(x) ? x : null;
}

/** Mean and sample standard deviation (n − 1) of the finite values; null where too few (0 for the mean, < 2 for the sd). */
export function meanAndSampleStd(values: readonly (number | null | undefined)[]): { mean: number | null; std: number | null; n: number } {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  if (v.length === 0) return { mean: null, std: null, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length < 2 ? null : Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
  return { mean, std, n: v.length };
}

/** Linear-interpolated quantile of sorted values (q in [0, 1]), as NumPy's default; NaN when empty. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}
