/**
 * Windows and their labels (paper §V-A; official `codes/preprocess/align.py get_basic`).
 *
 * A window starting at s covers the seconds [s, s + T) (time slots s .. s+T-1, as the official
 * `[s, s+chunk_len-1]`). Starts run from ceil(range start) in steps of `stride` while s + T <= range end.
 * A fault covers [start, start + duration). The overlap is the length of the intersection in seconds; a
 * window is faulty (label = culprit node index) when the overlap reaches `threshold`, else -1.
 *
 * Rules:
 * - `corrected` (default): every fault is checked; when two faults overlap one window, the LARGER overlap
 *   wins (ties: the earlier-starting fault), since that fault dominates what the window shows.
 * - `reference`: reproduces `get_basic`: the overlap is computed only when the window's first or last
 *   slot lies inside the fault, so a fault lying strictly inside the window (possible when a fault is
 *   shorter than T - 1 s) is MISSED (reference-code-notes.md / protocol.md §4.1 item 8); and the FIRST
 *   fault of the record with a positive overlap decides (`break`), even if below threshold.
 *
 * Episodes (src/windows/types.ts): one injection plus the normal gap that follows it. A window belongs
 * to the latest injection that has begun before the window ends (start < s + T), or to the first
 * injection when none has; so a window overlapping an injection's first seconds is in that injection's
 * episode, together with its label.
 */
import { EadroError } from '../core/errors.js';

export type LabelRule = 'corrected' | 'reference';

export interface LabelOptions {
  /** Window length, seconds (= time slots). */
  T: number;
  /** Step between window starts, seconds. */
  stride: number;
  /** Minimum overlap with a fault, seconds, for a faulty label. */
  threshold: number;
  rule: LabelRule;
}

export const labelDefaults: LabelOptions = {
  T: 10, // paper §V-A3 / align.py `--chunk_lenth 10`
  stride: 1, // align.py get_basic: one window per second
  threshold: 1, // align.py `--threshold 1`
  rule: 'corrected', // ours: the reference misses windows that contain a whole fault (protocol.md §4.1 item 8)
};

/** A fault on a run's clock, with its culprit as a node index. */
export interface FaultInterval {
  /** Unix seconds. */
  start: number;
  /** Unix seconds (start + duration). */
  end: number;
  /** Culprit node index. */
  node: number;
  type: string;
}

export function validateLabelOptions(o: LabelOptions): void {
  const bad = (field: string, expected: string, found: unknown): never => {
    throw new EadroError('Invalid window option.', { field, expected, found: String(found) });
  };
  if (!Number.isInteger(o.T) || o.T < 1) bad('T', 'a positive integer number of seconds', o.T);
  if (!Number.isInteger(o.stride) || o.stride < 1) bad('stride', 'a positive integer number of seconds', o.stride);
  if (!(o.threshold > 0) || o.threshold > o.T) bad('threshold', `seconds in (0, T=${o.T}]`, o.threshold);
  if (o.rule !== 'corrected' && o.rule !== 'reference') bad('labelRule', "'corrected' or 'reference'", o.rule);
}

/** Window starts (unix seconds) over [rangeStart, rangeEnd). */
export function windowStarts(rangeStart: number, rangeEnd: number, T: number, stride: number): Float64Array {
  const first = Math.ceil(rangeStart);
  const count = rangeEnd - T >= first ? Math.floor((rangeEnd - T - first) / stride) + 1 : 0;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = first + i * stride;
  return out;
}

/**
 * Label windows. Returns, per window, the culprit node (-1 normal) and the index of the deciding fault
 * in `faults` (-1 normal), so the caller can read its type.
 */
export function labelWindows(
  starts: Float64Array,
  faults: FaultInterval[],
  options: Partial<LabelOptions> = {},
): { labels: Int32Array; faultIndex: Int32Array } {
  const o = { ...labelDefaults, ...options };
  const W = starts.length;
  const labels = new Int32Array(W).fill(-1);
  const faultIndex = new Int32Array(W).fill(-1);
  const F = faults.length;
  for (let w = 0; w < W; w++) {
    const s = starts[w]!;
    const e = s + o.T;
    if (o.rule === 'corrected') {
      let best = -1;
      let bestOverlap = 0;
      for (let f = 0; f < F; f++) {
        const fs = faults[f]!.start;
        const fe = faults[f]!.end;
        const overlap = Math.min(e, fe) - Math.max(s, fs);
        if (overlap < o.threshold) continue;
        if (overlap > bestOverlap || (overlap === bestOverlap && best >= 0 && fs < faults[best]!.start)) {
          best = f;
          bestOverlap = overlap;
        }
      }
      if (best >= 0) {
        labels[w] = faults[best]!.node;
        faultIndex[w] = best;
      }
    } else {
      for (let f = 0; f < F; f++) {
        const fs = faults[f]!.start;
        const fe = faults[f]!.end;
        // get_basic: `if s in fault ... elif last slot in fault ...`; a fault strictly inside is missed.
        const firstInside = s >= fs && s < fe;
        const lastInside = e > fs && e <= fe;
        const overlap = firstInside || lastInside ? Math.min(e, fe) - Math.max(s, fs) : 0;
        if (overlap >= o.threshold) {
          labels[w] = faults[f]!.node;
          faultIndex[w] = f;
        }
        if (overlap > 0) break;
      }
    }
  }
  return { labels, faultIndex };
}

/**
 * Episode of each window, as an index into `faults` sorted by start (see module comment); all 0 when
 * the run has no fault. Returns also the number of episodes of the run (max(1, faults)).
 */
export function assignEpisodes(
  starts: Float64Array,
  T: number,
  faults: FaultInterval[],
): { episode: Int32Array; episodes: number; order: number[] } {
  const order = faults.map((_, i) => i).sort((a, b) => faults[a]!.start - faults[b]!.start || a - b);
  const sortedStarts = order.map((i) => faults[i]!.start);
  const W = starts.length;
  const episode = new Int32Array(W);
  let k = 0;
  // Starts ascend, so the episode index only moves forward.
  for (let w = 0; w < W; w++) {
    const end = starts[w]! + T;
    while (k + 1 < sortedStarts.length && sortedStarts[k + 1]! < end) k++;
    episode[w] = k;
  }
  return { episode, episodes: Math.max(1, faults.length), order };
}
