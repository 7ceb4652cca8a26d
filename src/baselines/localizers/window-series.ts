/**
 * The input of the trace-based localizers of Table III (TBAC, MonitorRank, ...): per-service series over
 * [window end − H, window end] and the call graph as an access matrix (`../shared/specs/baselines.md`
 * §3.2: "a 10-second Eadro window is far too short for correlation, Granger or PC. Ours: feed each
 * localizer the raw per-second series over [window end − H, window end] with H = 300 s by default").
 *
 * The window set holds windows, not series, so each run's series are put back together from its
 * windows: within a run, windows start every `stride` ≤ T seconds, so together they cover the run's
 * seconds, and the value of second s is read from any window that holds it (they agree: they were
 * copied from one series). Seconds of the range before the run's first window do not exist: the series
 * is shorter (its length is recorded), never padded with invented values.
 */
import { EadroError } from '../../core/errors.js';
import type { WindowDataset } from '../../windows/types.js';
import type { LocalizerInput } from './types.js';

export const windowSeriesDefaults = {
  /** baselines.md §3.2 "H = 300 s by default" (ours: the spec's choice; the paper gives none). */
  historySeconds: 300,
  /**
   * ours: what a second without a span holds in the latency series: 'previous' carries the last
   * observed latency forward (a second without a call says nothing about latency; zeros would make a
   * rarely called service look anti-correlated with its callers), 'zero' keeps the window tensor's 0.
   * Before a service's first span in the range: 0 either way.
   */
  fill: 'previous' as 'previous' | 'zero',
  /** Which series: span latency (baselines.md §3.2 default), or one KPI column by name. */
  channel: 'latency' as string,
};

export type WindowSeriesOptions = typeof windowSeriesDefaults;

/** Per-run index: window ids by start, so that the windows holding a second are found quickly. */
interface RunIndex {
  /** Window ids of the run, ascending by start. */
  windows: number[];
  starts: number[];
}

/** Builds localizer inputs for windows of one dataset (caches the per-run index). */
export class WindowSeries {
  private readonly runs = new Map<string, RunIndex>();
  private readonly options: WindowSeriesOptions;
  private readonly kpi: number;

  constructor(private readonly ds: WindowDataset, options: Partial<WindowSeriesOptions> = {}) {
    this.options = { ...windowSeriesDefaults, ...options };
    if (!(Number.isInteger(this.options.historySeconds) && this.options.historySeconds >= 3)) {
      throw new EadroError('Bad history length for the localizers.', { field: 'method.params.historySeconds', expected: 'an integer number of seconds >= 3', found: String(this.options.historySeconds) });
    }
    this.kpi = this.options.channel === 'latency' ? -1 : ds.metricNames.indexOf(this.options.channel);
    if (this.options.channel !== 'latency' && this.kpi < 0) {
      throw new EadroError('Unknown series for the localizers.', { field: 'method.params.channel', expected: `latency | ${ds.metricNames.join(' | ')}`, found: this.options.channel });
    }
    for (let w = 0; w < ds.W; w++) {
      const run = ds.meta.runId[w]!;
      let idx = this.runs.get(run);
      if (idx === undefined) this.runs.set(run, (idx = { windows: [], starts: [] }));
      idx.windows.push(w);
    }
    for (const idx of this.runs.values()) {
      idx.windows.sort((a, b) => ds.meta.start[a]! - ds.meta.start[b]!);
      idx.starts = idx.windows.map((w) => ds.meta.start[w]!);
    }
  }

  /** Value of service n in absolute second `second` of the run, from a window holding it; null if none does. */
  private valueAt(idx: RunIndex, n: number, second: number): number | null {
    const { ds } = this;
    const T = ds.T;
    // Last window starting at or before `second`.
    let lo = 0;
    let hi = idx.starts.length - 1;
    if (hi < 0 || idx.starts[0]! > second) return null;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (idx.starts[mid]! <= second) lo = mid;
      else hi = mid - 1;
    }
    const w = idx.windows[lo]!;
    const t = Math.floor(second - idx.starts[lo]!);
    if (t >= T) return null; // a gap between windows (stride > T)
    const N = ds.nodes.length;
    if (this.kpi < 0) return ds.traces[(w * N + n) * T + t]!;
    const K = ds.metricNames.length;
    return ds.metrics[((w * N + n) * T + t) * K + this.kpi]!;
  }

  /**
   * [N][L] series over the H seconds that end with window w (L ≤ H: seconds before the run's first
   * window are left out), oldest first.
   */
  seriesOf(w: number): Float64Array[] {
    const { ds } = this;
    const idx = this.runs.get(ds.meta.runId[w]!)!;
    const end = ds.meta.start[w]! + ds.T; // exclusive
    const first = Math.max(end - this.options.historySeconds, idx.starts[0]!);
    const L = Math.max(0, Math.round(end - first));
    const N = ds.nodes.length;
    const out = Array.from({ length: N }, () => new Float64Array(L));
    for (let n = 0; n < N; n++) {
      let last = 0;
      for (let i = 0; i < L; i++) {
        const v = this.valueAt(idx, n, first + i) ?? 0;
        if (this.kpi < 0 && v === 0 && this.options.fill === 'previous') out[n]![i] = last;
        else {
          out[n]![i] = v;
          last = v;
        }
      }
    }
    return out;
  }
}

/**
 * The call graph of the window set as an access matrix, access[i][j] = 1 when service i calls service j
 * (caller → callee), self-loops left out, whatever direction the set stores its edges in.
 */
export function accessMatrix(ds: Pick<WindowDataset, 'nodes' | 'edges' | 'edgeDirection'>): number[][] {
  const N = ds.nodes.length;
  const access = Array.from({ length: N }, () => new Array<number>(N).fill(0));
  const [src, dst] = ds.edges;
  src.forEach((a, e) => {
    const b = dst[e]!;
    if (a === b) return;
    const [caller, callee] = ds.edgeDirection === 'callee->caller' ? [b, a] : [a, b];
    access[caller]![callee] = 1;
  });
  return access;
}

/** Services no other service calls (the graph's entry points), in node order. */
export function graphRoots(access: readonly (readonly number[])[]): number[] {
  const called = new Set<number>();
  access.forEach((row) => row.forEach((v, j) => v > 0 && called.add(j)));
  return access.map((_, i) => i).filter((i) => !called.has(i));
}

/** Entry services of the released systems' official graphs (baselines.md §3.2, "ours"). */
export const systemFrontends: readonly string[] = ['ts-preserve-service', 'nginx-web-server'];

/**
 * The frontend the localizers start from: `name` when given (it must be a node); else the mined graph's
 * only root; else, among several roots, the official graph's entry when it is one of them
 * (`systemFrontends`), else the first root by node order (ours; recorded with the run).
 */
export function chooseFrontend(ds: Pick<WindowDataset, 'nodes'>, access: readonly (readonly number[])[], name?: string): { frontend: number; rule: string } {
  if (name !== undefined) {
    const i = ds.nodes.indexOf(name);
    if (i < 0) throw new EadroError('The frontend is not a service of the data.', { field: 'method.params.frontend', expected: ds.nodes.join(' | '), found: name });
    return { frontend: i, rule: 'given' };
  }
  const roots = graphRoots(access);
  if (roots.length === 1) return { frontend: roots[0]!, rule: 'the only root of the graph' };
  const official = roots.find((r) => systemFrontends.includes(ds.nodes[r]!));
  if (official !== undefined) return { frontend: official, rule: `the official entry among ${roots.length} roots` };
  if (roots.length > 0) return { frontend: roots[0]!, rule: `the first of ${roots.length} roots` };
  return { frontend: 0, rule: 'no root (the graph has a cycle through every node): node 0' };
}

/** One window's localizer input. */
export function localizerInput(series: WindowSeries, access: number[][], frontend: number, w: number): LocalizerInput {
  return { series: series.seriesOf(w), access, frontend };
}
