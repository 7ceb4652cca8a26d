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
