/**
 * Per-trace records for the trace anomaly detectors of paper Table II (TraceAnomaly, MultimodalTrace;
 * `../shared/specs/baselines.md` §3.3). Both read single traces, not per-second series: TraceAnomaly a
 * vector with one dimension per call path, MultimodalTrace the sequence of span labels and latencies.
 * The window builder feeds every trace of its streaming pass over `spans.json` to a `TraceCollector`
 * (no second read of the file) and lays the kept traces out here, with the traces of each window.
 *
 * - A span's LABEL is `service:operation` (the callee that served it and the operation it ran).
 * - A span's CALL PATH is the chain of labels from its trace's root down to it, joined by ` > `; a span
 *   whose parent is not in the trace starts its own chain (Jaeger exports lose parents at trace
 *   boundaries).
 * - Spans of a trace are ordered by start time (ties: file order): the order MultimodalTrace reads.
 * - A trace belongs to window w when its start (the earliest span start) lies in [start_w, start_w + T)
 *   of the same run; windows overlap (stride < T), so a trace can belong to several.
 */
import type { SpanRecord } from '../raw/types.js';

export interface TraceSet {
  /** Span label vocabulary, `service:operation`; span label ids index it. */
  labels: string[];
  /** Call-path vocabulary, labels joined by ` > ` from the root; span path ids index it. */
  callPaths: string[];
  /** [nTraces] trace start (earliest span start), unix SECONDS. */
  start: Float64Array;
  /** [nTraces + 1] spans of trace i are span rows spanOffsets[i] .. spanOffsets[i + 1]. */
  spanOffsets: Int32Array;
  /** [nSpans] label id of each span (spans ordered by start time within their trace). */
  spanLabel: Int32Array;
  /** [nSpans] call-path id of each span. */
  spanPath: Int32Array;
  /** [nSpans] span duration, MICROseconds. */
  spanDurationUs: Float32Array;
  /** [nSpans] 1 = error tag or HTTP status >= 500. */
  spanError: Uint8Array;
  /** [W + 1] traces of window w are windowTraces[windowOffsets[w] .. windowOffsets[w + 1]]. */
  windowOffsets: Int32Array;
  /** Trace ids per window, ascending by start within a window. */
  windowTraces: Int32Array;
}

/** Ids for strings, in order of first sight. */
export class Vocabulary {
  readonly names: string[] = [];
  private readonly index = new Map<string, number>();

  intern(name: string): number {
    let i = this.index.get(name);
    if (i === undefined) {
      i = this.names.length;
      this.names.push(name);
      this.index.set(name, i);
    }
    return i;
  }
}

/** One trace in compact form (before window assignment). */
interface CompactTrace {
  startUs: number;
  labels: Int32Array;
  paths: Int32Array;
  durationsUs: Float32Array;
  errors: Uint8Array;
}

/** The vocabularies shared by every run of a build (so that ids mean the same in all runs). */
export class TraceVocabularies {
  readonly labels = new Vocabulary();
  readonly callPaths = new Vocabulary();
}

export const traceRecordDefaults = {
  /** ours: separator of call-path labels (not in any service or operation name of TT/SN). */
  pathSeparator: ' > ',
  /** ours: a parent chain deeper than this is a cycle in malformed data; the span starts a new chain. */
  maxDepth: 256,
};

/** Turn one trace's spans into ordered label, call-path, duration and error columns. */
export function compactTrace(spans: readonly SpanRecord[], vocab: TraceVocabularies): CompactTrace {
  const order = spans.map((_, i) => i).sort((a, b) => spans[a]!.startUs - spans[b]!.startUs || a - b);
  const byId = new Map<string, SpanRecord>();
  for (const s of spans) byId.set(s.spanId, s);
  const labelOf = (s: SpanRecord): string => `${s.service}:${s.operation}`;
  const pathCache = new Map<string, string>();
  const pathOf = (s: SpanRecord): string => {
    const cached = pathCache.get(s.spanId);
    if (cached !== undefined) return cached;
    // Walk up to the root (or a missing parent), then build the chains down, caching each.
    const chain: SpanRecord[] = [s];
    const seen = new Set<string>([s.spanId]);
    let cur = s;
    while (cur.parentSpanId !== null && chain.length < traceRecordDefaults.maxDepth) {
      const parent = byId.get(cur.parentSpanId);
      if (parent === undefined || seen.has(parent.spanId)) break;
      const known = pathCache.get(parent.spanId);
      if (known !== undefined) {
        let text = known;
        for (let i = chain.length - 1; i >= 0; i--) {
          text = `${text}${traceRecordDefaults.pathSeparator}${labelOf(chain[i]!)}`;
          pathCache.set(chain[i]!.spanId, text);
        }
        return text;
      }
      chain.push(parent);
      seen.add(parent.spanId);
      cur = parent;
    }
    let text = '';
    for (let i = chain.length - 1; i >= 0; i--) {
      text = text === '' ? labelOf(chain[i]!) : `${text}${traceRecordDefaults.pathSeparator}${labelOf(chain[i]!)}`;
      pathCache.set(chain[i]!.spanId, text);
    }
    return text;
  };
  const n = spans.length;
  const labels = new Int32Array(n);
  const paths = new Int32Array(n);
  const durationsUs = new Float32Array(n);
  const errors = new Uint8Array(n);
  let startUs = Infinity;
  for (let j = 0; j < n; j++) {
    const s = spans[order[j]!]!;
    labels[j] = vocab.labels.intern(labelOf(s));
    paths[j] = vocab.callPaths.intern(pathOf(s));
    durationsUs[j] = s.durationUs;
    errors[j] = s.error ? 1 : 0;
    if (s.startUs < startUs) startUs = s.startUs;
  }
  return { startUs, labels, paths, durationsUs, errors };
}

/** The traces of one run, as its spans stream in. */
export class TraceCollector {
  readonly traces: CompactTrace[] = [];
  spanCount = 0;

  constructor(private readonly vocab: TraceVocabularies) {}

  addTrace(spans: readonly SpanRecord[]): void {
    if (spans.length === 0) return;
    this.traces.push(compactTrace(spans, this.vocab));
    this.spanCount += spans.length;
  }
}

/** One windowed run: its collected traces and its window starts (unix s, ascending). */
export interface TraceRun {
  traces: readonly CompactTrace[];
  windowStarts: Float64Array;
}

/**
 * Lay out the traces of `runs` (in the builder's run order, whose windows concatenate to [0, W)) with
 * the traces of each window. Traces that start in no window of their run are left out and counted.
 */
export function assembleTraceSet(runs: readonly TraceRun[], T: number, vocab: TraceVocabularies): { traceSet: TraceSet; outsideWindows: number } {
  const kept: CompactTrace[] = [];
  const W = runs.reduce((a, r) => a + r.windowStarts.length, 0);
  const windowOffsets = new Int32Array(W + 1);
  const members: number[] = [];
  let outsideWindows = 0;
  let w = 0;
  for (const run of runs) {
    const starts = run.windowStarts;
    const sorted = [...run.traces].sort((a, b) => a.startUs - b.startUs);
    const first = kept.length;
    const startSec: number[] = [];
    for (const t of sorted) {
      const sec = t.startUs / 1e6;
      if (!coveredBy(starts, sec, T)) {
        outsideWindows++;
        continue;
      }
      kept.push(t);
      startSec.push(sec);
    }
    // Two pointers: windows and traces both ascend by start.
    let lo = 0;
    for (let r = 0; r < starts.length; r++, w++) {
      const a = starts[r]!;
      while (lo < startSec.length && startSec[lo]! < a) lo++;
      for (let i = lo; i < startSec.length && startSec[i]! < a + T; i++) members.push(first + i);
      windowOffsets[w + 1] = members.length;
    }
  }
  const nSpans = kept.reduce((a, t) => a + t.labels.length, 0);
  const spanOffsets = new Int32Array(kept.length + 1);
  const spanLabel = new Int32Array(nSpans);
  const spanPath = new Int32Array(nSpans);
  const spanDurationUs = new Float32Array(nSpans);
  const spanError = new Uint8Array(nSpans);
  const start = new Float64Array(kept.length);
  let o = 0;
  kept.forEach((t, i) => {
    start[i] = t.startUs / 1e6;
    spanLabel.set(t.labels, o);
    spanPath.set(t.paths, o);
    spanDurationUs.set(t.durationsUs, o);
    spanError.set(t.errors, o);
    o += t.labels.length;
    spanOffsets[i + 1] = o;
  });
  return {
    traceSet: {
      labels: [...vocab.labels.names],
      callPaths: [...vocab.callPaths.names],
      start,
      spanOffsets,
      spanLabel,
      spanPath,
      spanDurationUs,
      spanError,
      windowOffsets,
      windowTraces: Int32Array.from(members),
    },
    outsideWindows,
  };
}

/** Whether second `sec` lies in some window [s, s + T) of ascending `starts` (binary search). */
function coveredBy(starts: Float64Array, sec: number, T: number): boolean {
  if (starts.length === 0) return false;
  let lo = 0;
  let hi = starts.length - 1;
  // Last start <= sec.
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= sec) lo = mid;
    else hi = mid - 1;
  }
  return starts[lo]! <= sec && sec < starts[lo]! + T;
}

/** Trace ids of a list of windows, each once, ascending. */
export function tracesOfWindows(ts: TraceSet, windows: readonly number[]): number[] {
  const seen = new Uint8Array(ts.start.length);
  for (const w of windows) {
    for (let k = ts.windowOffsets[w]!; k < ts.windowOffsets[w + 1]!; k++) seen[ts.windowTraces[k]!] = 1;
  }
  const out: number[] = [];
  for (let i = 0; i < seen.length; i++) if (seen[i] === 1) out.push(i);
  return out;
}
