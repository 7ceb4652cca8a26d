/**
 * Log template counts per second: the "event-occurrence sequences" that the paper's derived
 * multi-source baselines take from logs instead of Hawkes intensities (paper §V-B2: "logs →
 * event-occurrence sequences"; `../shared/specs/baselines.md` §3.4).
 *
 * For every window [start, start + T) and service n, the lines of each template e logged in second
 * t = floor(time − start). Most (service, second, template) cells are empty (a service logs a few of
 * the E templates, a few lines a second), so the counts are kept sparse, one compressed row per window:
 * dense they would be [W, N, T, E] (TT `quick` at stride 2 with three fault types: 4,620 × 27 × 10 × 115 floats, 574 MB), sparse a few
 * MB. `denseLogCounts` expands the windows a model needs.
 */
import { lowerBound, type ServiceEvents } from './log-features.js';
import type { LogCounts } from '../windows/types.js';

/** One run's windows and its services' log events (as the Hawkes stage receives them). */
export interface LogCountRun {
  /** Unix seconds; window w covers [windowStarts[w], windowStarts[w] + T). */
  windowStarts: Float64Array;
  /** [N] one entry per node, events ascending by time. */
  perService: readonly ServiceEvents[];
}

/** Growable int32 / float32 column pair. */
class Columns {
  cell = new Int32Array(4096);
  count = new Float32Array(4096);
  length = 0;

  push(cell: number, count: number): void {
    if (this.length === this.cell.length) {
      const c = new Int32Array(this.length * 2);
      c.set(this.cell);
      this.cell = c;
      const v = new Float32Array(this.length * 2);
      v.set(this.count);
      this.count = v;
    }
    this.cell[this.length] = cell;
    this.count[this.length] = count;
    this.length++;
  }
}

/**
 * Sparse per-second template counts of the windows of `runs`, concatenated in run order (the order in
 * which the window builder lays the runs' windows out). Within a window, cells ascend by
 * n·T·E + t·E + e.
 */
export function countLogEvents(runs: readonly LogCountRun[], T: number, E: number): LogCounts {
  const W = runs.reduce((a, r) => a + r.windowStarts.length, 0);
  const offsets = new Int32Array(W + 1);
  const cols = new Columns();
  const TE = T * E;
  // Scratch counts of one (window, service): [T, E], reset through the list of touched cells.
  const scratch = new Float32Array(TE);
  const touched: number[] = [];
  let w = 0;
  for (const run of runs) {
    const N = run.perService.length;
    for (let r = 0; r < run.windowStarts.length; r++, w++) {
      const start = run.windowStarts[r] as number;
      for (let n = 0; n < N; n++) {
        const s = run.perService[n] as ServiceEvents;
        const i1 = lowerBound(s.times, start + T);
        for (let i = lowerBound(s.times, start); i < i1; i++) {
          const t = Math.min(T - 1, Math.floor((s.times[i] as number) - start));
          const c = t * E + (s.types[i] as number);
          if (scratch[c] === 0) touched.push(c);
          scratch[c]! += 1;
        }
        touched.sort((a, b) => a - b);
        for (const c of touched) {
          cols.push(n * TE + c, scratch[c] as number);
          scratch[c] = 0;
        }
        touched.length = 0;
      }
      offsets[w + 1] = cols.length;
    }
  }
  return { offsets, cell: cols.cell.slice(0, cols.length), count: cols.count.slice(0, cols.length) };
}

/** Total lines counted in window `w`. */
export function logLinesInWindow(counts: LogCounts, w: number): number {
  let sum = 0;
  for (let i = counts.offsets[w] as number; i < (counts.offsets[w + 1] as number); i++) sum += counts.count[i] as number;
  return sum;
}
