/**
 * A trace-based localizer of Table III (TBAC, NetMedic, MonitorRank, CloudRanger, DyCause) behind the
 * harness's localizer contract: the per-service series over [anchor end − H, anchor end] and the call
 * graph mined from spans (window-series.ts) go to the algorithm, which ranks the services. Nothing is
 * learned from training windows (the algorithms are unsupervised); `fit` fixes the graph, the frontend
 * and the seed.
 *
 * Two forms (`detection`):
 * - `'given'` (default, the paper's RQ2): the localizer is told which test windows are anomalous (their
 *   labels), so only faulty windows are localized. Normal test windows keep the index order as their
 *   ranking row: no metric reads the ranking of a normal window (evaluation/metrics.ts scores rankings
 *   of faulty windows only), and localizing them would only cost time.
 * - end to end (`'n-sigma'`, set by the harness adapter, which then pairs the localizer with N-sigma's
 *   decisions): every test window is localized, and the end-to-end rows count a fault only where the
 *   detector flagged it.
 *
 * Two scopes (`scope`):
 * - `'window'`: each localized window is ranked from the H seconds that end with it.
 * - `'fault-case'` (ours, for the costly DyCause and CloudRanger; the reference runs them once per fault
 *   case): the faulty test windows of one fault episode share one ranking, made from the H seconds that
 *   end with the episode's first faulty test window (what an operator told "an anomaly is on" at that
 *   moment has). Only with `detection: 'given'`: it anchors on the true labels.
 */
import { EadroError } from '../../core/errors.js';
import type { FitInput, WindowLocalizer } from '../contract.js';
import type { WindowDataset } from '../../windows/types.js';
import type { LocalizerInput } from './types.js';
import { WindowSeries, accessMatrix, chooseFrontend, localizerInput, windowSeriesDefaults, type WindowSeriesOptions } from './window-series.js';

/** One algorithm: rank the services of one input (most likely culprit first). */
export type RankFunction = (input: LocalizerInput, seed: number) => { ranking: number[] };

export type LocalizerScope = 'window' | 'fault-case';
export type LocalizerDetection = 'given' | 'n-sigma';

export interface SeriesLocalizerParams extends Partial<WindowSeriesOptions> {
  /** Entry service by name (default: chooseFrontend's rule). */
  frontend?: string;
  /** Which windows share a ranking (module comment); default per method. */
  scope?: LocalizerScope;
  /** Where the anomaly existence comes from (module comment); default 'given', the paper's RQ2. */
  detection?: LocalizerDetection;
}

export class SeriesLocalizer implements WindowLocalizer {
  private access: number[][] | null = null;
  private frontend = 0;
  private seed = 0;
  private info: Record<string, unknown> = {};
  private readonly scope: LocalizerScope;
  private readonly detection: LocalizerDetection;

  constructor(readonly name: string, private readonly rankOne: RankFunction, private readonly params: SeriesLocalizerParams = {}, private readonly settings: Record<string, unknown> = {}) {
    this.scope = params.scope ?? 'window';
    this.detection = params.detection ?? 'given';
    if (this.scope !== 'window' && this.scope !== 'fault-case') {
      throw new EadroError(`${name}: unknown localization scope.`, { field: 'method.params.scope', expected: "'window' | 'fault-case'", found: String(this.scope) });
    }
    if (this.detection !== 'given' && this.detection !== 'n-sigma') {
      throw new EadroError(`${name}: unknown detection for the localizer.`, { field: 'method.params.detection', expected: "'given' (the true anomaly existence, paper RQ2) | 'n-sigma' (end to end)", found: String(this.detection) });
    }
    if (this.scope === 'fault-case' && this.detection !== 'given') {
      throw new EadroError(`${name}: the 'fault-case' scope anchors on the true fault's first test window, so it cannot run end to end.`, {
        field: 'method.params.scope',
        expected: "'window' with detection 'n-sigma'",
        found: 'fault-case',
      });
    }
  }

  private seriesOptions(): Partial<WindowSeriesOptions> {
    const { frontend: _f, scope: _s, detection: _d, ...seriesOptions } = this.params;
    return seriesOptions;
  }

  fit(input: FitInput): void {
    const { ds, seed } = input;
    this.access = accessMatrix(ds);
    const chosen = chooseFrontend(ds, this.access, this.params.frontend);
    this.frontend = chosen.frontend;
    this.seed = seed;
    this.info = {
      frontend: ds.nodes[chosen.frontend],
      frontendRule: chosen.rule,
      graph: { edges: this.access.flat().filter((v) => v > 0).length, direction: 'caller -> callee (from the window set\'s mined graph)' },
      series: { ...windowSeriesDefaults, ...this.seriesOptions() },
      scope: this.scope,
      settings: this.settings,
      detection:
        this.detection === 'given'
          ? 'given the true anomaly existence, as paper RQ2: faulty test windows localized, normal ones left in index order (read by no metric)'
          : 'end to end: every test window localized, N-sigma decides which count',
    };
  }

  rank(ds: WindowDataset, windows: readonly number[]): number[][] {
    if (this.access === null) throw new Error(`${this.name}: fit() before rank()`);
    const access = this.access;
    const series = new WindowSeries(ds, this.seriesOptions());
    const N = ds.nodes.length;
    const indexOrder = Array.from({ length: N }, (_, i) => i);
    let shortest = Number.POSITIVE_INFINITY;
    let calls = 0;
    let ms = 0;
    const rankAt = (w: number): number[] => {
      const input = localizerInput(series, access, this.frontend, w);
      shortest = Math.min(shortest, input.series[0]?.length ?? 0);
      const t0 = performance.now();
      const ranking = this.rankOne(input, this.seed).ranking;
      ms += performance.now() - t0;
      calls++;
      return ranking;
    };
    const localized = (w: number): boolean => this.detection !== 'given' || ds.labels[w]! >= 0;
    const out: number[][] = new Array(windows.length);
    if (this.scope === 'window') {
      windows.forEach((w, i) => (out[i] = localized(w) ? rankAt(w) : indexOrder.slice()));
    } else {
      // One ranking per fault episode, anchored on its earliest faulty test window.
      const anchor = new Map<number, number>();
      for (const w of windows) {
        if (!localized(w)) continue;
        const e = ds.meta.episodeId[w]!;
        const a = anchor.get(e);
        if (a === undefined || ds.meta.start[w]! < ds.meta.start[a]!) anchor.set(e, w);
      }
      const byEpisode = new Map<number, number[]>();
      for (const [e, w] of anchor) byEpisode.set(e, rankAt(w));
      windows.forEach((w, i) => (out[i] = localized(w) ? byEpisode.get(ds.meta.episodeId[w]!)!.slice() : indexOrder.slice()));
    }
    this.info['shortestSeries'] = Number.isFinite(shortest) ? shortest : null;
    this.info['rankCalls'] = calls;
    this.info['msPerRankCall'] = calls > 0 ? ms / calls : null;
    return out;
  }

  fitted(): Record<string, unknown> {
    return this.info;
  }
}

const SERIES_PARAMS = new Set(['historySeconds', 'fill', 'channel', 'frontend', 'scope', 'detection']);

/**
 * A SeriesLocalizer from a method's params: the series, frontend, scope and detection keys go to this
 * class and window-series.ts, the others must be keys of the algorithm's `defaults` (refused by name
 * otherwise) and override them. `defaultScope` is the method's scope when the params give none.
 */
export function seriesLocalizerFromParams<O extends Record<string, unknown>>(
  name: string,
  params: Record<string, unknown>,
  defaults: O,
  rank: (input: LocalizerInput, options: O, seed: number) => { ranking: number[] },
  defaultScope: LocalizerScope = 'window',
): SeriesLocalizer {
  const seriesParams: SeriesLocalizerParams = { scope: defaultScope };
  const options: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(params)) {
    if (SERIES_PARAMS.has(k)) (seriesParams as Record<string, unknown>)[k] = v;
    else if (k in defaults) options[k] = v;
    else throw new EadroError(`Unknown ${name} parameter.`, { field: `method.params.${k}`, expected: [...SERIES_PARAMS, ...Object.keys(defaults)].sort().join(' | ') });
  }
  return new SeriesLocalizer(name, (input, seed) => rank(input, options as O, seed), seriesParams, options);
}
