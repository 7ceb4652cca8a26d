/**
 * KPI and trace series: per service, per second over a run's time range (paper §IV-A2, §IV-A3).
 *
 * - KPIs come from the reader's `MetricTable`s, already on the 1 s grid; seconds the table does not
 *   cover (or holds as NaN/Inf) are filled from the nearest earlier second (the first value backwards
 *   at the start) and counted, never silently.
 * - Latency is the mean duration, in MILLIseconds, of the spans SERVED by the service (the span's own
 *   service is the callee) that start in the second; seconds without such spans stay 0, as the paper
 *   pads them ("we simply pad time slots without corresponding invocations with zeros", §IV-A3).
 * - Request count and error count per second (spans served, and those flagged `error`) are kept for the
 *   baselines (N-sigma, SPOT, TraceAnomaly-style features).
 *
 * Spans are accumulated as they stream (`SpanSeriesAccumulator.addSpan`), so no span is kept in memory;
 * the accumulator covers whatever seconds its spans fall in (chunked storage), because a fault-free run
 * has no record that states its range in advance. Services are indexed by a `ServiceIndex` that also grows while data is read
 * ('discover' mode); the node order is fixed only when the series are finalised.
 */
import type { MetricTable } from '../raw/types.js';

export const seriesDefaults = {
  /** Latency unit: milliseconds (paper Fig. 2 plots latency in ms; spans carry microseconds). */
  microsecondsPerLatencyUnit: 1000,
  /** Seconds per storage chunk of the span accumulator (ours: ~17 min, 24 KiB per service and chunk). */
  chunkSeconds: 1024,
} as const;

/** Growable name -> index map for services seen while reading. */
export class ServiceIndex {
  private readonly byName = new Map<string, number>();
  readonly names: string[] = [];

  /** Index of `name`, adding it if new. */
  intern(name: string): number {
    let i = this.byName.get(name);
    if (i === undefined) {
      i = this.names.length;
      this.byName.set(name, i);
      this.names.push(name);
    }
    return i;
  }

  /** Index of `name`, or -1 if never seen. */
  get(name: string): number {
    return this.byName.get(name) ?? -1;
  }

  get size(): number {
    return this.names.length;
  }
}

/**
 * Streaming per-second accumulation of spans served, per service. Seconds are absolute unix seconds
 * (integers, `Math.floor` of the span start). Storage is chunked (`seriesDefaults.chunkSeconds` per
 * chunk, allocated when a span first lands in it), so a stray timestamp years away costs one chunk, not
 * a dense array over the whole gap.
 */
export class SpanSeriesAccumulator {
  /** Per service: chunk index -> [count x C | latency sum (ms) x C | errors x C]. */
  private readonly chunks: (Map<number, Float64Array> | undefined)[] = [];
  /** Smallest and largest second that received a span (NaN when none). */
  minSecond = Number.NaN;
  maxSecond = Number.NaN;
  /** Spans accumulated. */
  spanCount = 0;

  /**
   * Add one served span.
   * @param service index from a ServiceIndex
   * @param startSeconds span start, unix seconds (float)
   * @param durationMs span duration, milliseconds
   */
  addSpan(service: number, startSeconds: number, durationMs: number, error: boolean): void {
    const C = seriesDefaults.chunkSeconds;
    const second = Math.floor(startSeconds);
    const chunkId = Math.floor(second / C);
    let byChunk = this.chunks[service];
    if (byChunk === undefined) {
      byChunk = new Map();
      this.chunks[service] = byChunk;
    }
    let chunk = byChunk.get(chunkId);
    if (chunk === undefined) {
      chunk = new Float64Array(3 * C);
      byChunk.set(chunkId, chunk);
    }
    const i = second - chunkId * C;
    chunk[i]! += 1;
    chunk[C + i]! += durationMs;
    if (error) chunk[2 * C + i]! += 1;
    if (!(second >= this.minSecond)) this.minSecond = second;
    if (!(second <= this.maxSecond)) this.maxSecond = second;
    this.spanCount++;
  }

  /** Whether service `service` served at least one span. */
  hasService(service: number): boolean {
    return this.chunks[service] !== undefined;
  }

  /**
   * [S] 1 where some node's service (nodeToService as in `fill`) served a span in second t0 + k, else 0:
   * the request presence `fill` would give, without the [N, S] arrays.
   */
  secondsWithSpans(t0: number, S: number, nodeToService: Int32Array): Uint8Array {
    const C = seriesDefaults.chunkSeconds;
    const busy = new Uint8Array(S);
    for (const s of nodeToService) {
      const byChunk = s >= 0 ? this.chunks[s] : undefined;
      if (byChunk === undefined) continue;
      for (const [chunkId, chunk] of byChunk) {
        for (let i = 0; i < C; i++) {
          const k = chunkId * C + i - t0;
          if (chunk[i]! > 0 && k >= 0 && k < S) busy[k] = 1;
        }
      }
    }
    return busy;
  }

  /**
   * Write the accumulated spans into [N, S] arrays for the seconds [t0, t0 + S), services in node order
   * (`nodeToService[n]` = accumulator service index, or -1 for a node never seen). Returns how many spans
   * of node services fell outside the range (they are not used; the caller reports them).
   */
  fill(
    t0: number,
    S: number,
    nodeToService: Int32Array,
    latencyMs: Float32Array,
    requests: Float32Array,
    errors: Float32Array,
  ): { outside: number } {
    const C = seriesDefaults.chunkSeconds;
    let outside = 0;
    const N = nodeToService.length;
    for (let n = 0; n < N; n++) {
      const s = nodeToService[n]!;
      const byChunk = s >= 0 ? this.chunks[s] : undefined;
      if (byChunk === undefined) continue;
      for (const [chunkId, chunk] of byChunk) {
        const chunkStart = chunkId * C;
        for (let i = 0; i < C; i++) {
          const c = chunk[i]!;
          if (c === 0) continue;
          const k = chunkStart + i - t0;
          if (k < 0 || k >= S) {
            outside += c;
            continue;
          }
          latencyMs[n * S + k] = chunk[C + i]! / c;
          requests[n * S + k] = c;
          errors[n * S + k] = chunk[2 * C + i]!;
        }
      }
    }
    return { outside };
  }
}

/** One run's series, on the 1 s grid [t0, t0 + S). */
export interface RunSeries {
  /** Unix second of slot 0 (integer). */
  t0: number;
  /** Number of seconds. */
  S: number;
  N: number;
  K: number;
  /** [N, S, K] KPI values (raw units), filled as described in the module comment. */
  metrics: Float32Array;
  /** [N, S] mean latency of spans served, ms; 0 where no span. */
  latencyMs: Float32Array;
  /** [N, S] spans served. */
  requests: Float32Array;
  /** [N, S] spans served with the error flag. */
  errors: Float32Array;
  /** [N] 1 when the service has a metric table in this run. */
  hasMetrics: Uint8Array;
  /** [N] 1 when the service served at least one span in this run. */
  hasSpans: Uint8Array;
  /** KPI seconds filled (missing or non-finite in the table), summed over services and columns. */
  filledMetricValues: number;
  /** Spans of node services that started outside [t0, t0 + S). */
  spansOutsideRange: number;
}

/**
 * Put a service's metric table on the grid [t0, t0 + S): `out` is the [S, K] block of that service.
 * Returns the number of values filled (missing second or non-finite value), or -1 when the table has no
 * usable value at all for some column (then that column is left 0 and all S values count as filled).
 */
export function gridMetricTable(
  table: MetricTable,
  columns: string[],
  t0: number,
  S: number,
  out: Float32Array,
  outOffset: number,
): number {
  const K = columns.length;
  let filled = 0;
  const ts = table.timestamps;
  for (let k = 0; k < K; k++) {
    const col = table.columns[columns[k]!];
    // Pass 1: exact values where the table has a finite value at that second.
    const have = new Uint8Array(S);
    if (col !== undefined) {
      for (let r = 0; r < ts.length; r++) {
        const slot = Math.floor(ts[r]!) - t0;
        if (slot < 0 || slot >= S) continue;
        const v = col[r]!;
        if (!Number.isFinite(v)) continue;
        out[outOffset + slot * K + k] = v;
        have[slot] = 1;
      }
    }
    // Pass 2: forward fill; leading gap takes the first value (backward fill).
    let first = -1;
    for (let s = 0; s < S; s++) if (have[s] === 1) { first = s; break; }
    if (first < 0) {
      filled += S;
      continue;
    }
    let last = out[outOffset + first * K + k]!;
    for (let s = 0; s < S; s++) {
      if (have[s] === 1) {
        last = out[outOffset + s * K + k]!;
      } else {
        out[outOffset + s * K + k] = last;
        filled++;
      }
    }
  }
  return filled;
}

/**
 * Build a run's series on [t0, t0 + S).
 * @param nodes service names in node order
 * @param serviceIndex the index the accumulator used
 * @param tables metric tables of this run (any service; those not in `nodes` are ignored)
 */
export function buildRunSeries(
  nodes: string[],
  serviceIndex: ServiceIndex,
  spans: SpanSeriesAccumulator,
  tables: MetricTable[],
  metricNames: string[],
  t0: number,
  S: number,
): RunSeries {
  const N = nodes.length;
  const K = metricNames.length;
  const nodeToService = new Int32Array(N);
  for (let n = 0; n < N; n++) nodeToService[n] = serviceIndex.get(nodes[n]!);
  const latencyMs = new Float32Array(N * S);
  const requests = new Float32Array(N * S);
  const errors = new Float32Array(N * S);
  const { outside } = spans.fill(t0, S, nodeToService, latencyMs, requests, errors);
  const hasSpans = new Uint8Array(N);
  for (let n = 0; n < N; n++) hasSpans[n] = nodeToService[n]! >= 0 && spans.hasService(nodeToService[n]!) ? 1 : 0;

  const metrics = new Float32Array(N * S * K);
  const hasMetrics = new Uint8Array(N);
  const nodeOf = new Map(nodes.map((name, i) => [name, i]));
  let filledMetricValues = 0;
  for (const table of tables) {
    const n = nodeOf.get(table.service);
    if (n === undefined) continue;
    hasMetrics[n] = 1;
    filledMetricValues += gridMetricTable(table, metricNames, t0, S, metrics, n * S * K);
  }
  return {
    t0,
    S,
    N,
    K,
    metrics,
    latencyMs,
    requests,
    errors,
    hasMetrics,
    hasSpans,
    filledMetricValues,
    spansOutsideRange: outside,
  };
}
