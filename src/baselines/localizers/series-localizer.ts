/**
 * A trace-based localizer of Table III (TBAC, MonitorRank, ...) behind the harness's localizer contract:
 * for each window, the per-service series over [window end − H, window end] and the call graph mined
 * from spans (window-series.ts) go to the algorithm, which ranks the services. Nothing is learned from
 * training windows (the algorithms are unsupervised); `fit` fixes the graph, the frontend and the seed.
 * As in the paper's RQ2 the harness gives these localizers the true anomaly existence (every test
 * window is ranked; read the oracle-detection rows of Table III).
 */
import { EadroError } from '../../core/errors.js';
import type { FitInput, WindowLocalizer } from '../contract.js';
import type { WindowDataset } from '../../windows/types.js';
import type { LocalizerInput } from './types.js';
import { WindowSeries, accessMatrix, chooseFrontend, localizerInput, windowSeriesDefaults, type WindowSeriesOptions } from './window-series.js';

/** One algorithm: rank the services of one input (most likely culprit first). */
export type RankFunction = (input: LocalizerInput, seed: number) => { ranking: number[] };

export interface SeriesLocalizerParams extends Partial<WindowSeriesOptions> {
  /** Entry service by name (default: chooseFrontend's rule). */
  frontend?: string;
}

export class SeriesLocalizer implements WindowLocalizer {
  private access: number[][] | null = null;
  private frontend = 0;
  private seed = 0;
  private info: Record<string, unknown> = {};

  constructor(readonly name: string, private readonly rankOne: RankFunction, private readonly params: SeriesLocalizerParams = {}, private readonly settings: Record<string, unknown> = {}) {}

  fit(input: FitInput): void {
    const { ds, seed } = input;
    this.access = accessMatrix(ds);
    const chosen = chooseFrontend(ds, this.access, this.params.frontend);
    this.frontend = chosen.frontend;
    this.seed = seed;
    const { frontend: _name, ...seriesOptions } = this.params;
    this.info = {
      frontend: ds.nodes[chosen.frontend],
      frontendRule: chosen.rule,
      graph: { edges: this.access.flat().filter((v) => v > 0).length, direction: 'caller -> callee (from the window set\'s mined graph)' },
      series: { ...windowSeriesDefaults, ...seriesOptions },
      settings: this.settings,
      detection: 'none: given the true anomaly existence (every test window ranked), as paper RQ2',
    };
  }

  rank(ds: WindowDataset, windows: readonly number[]): number[][] {
    if (this.access === null) throw new Error(`${this.name}: fit() before rank()`);
    const { frontend: _name, ...seriesOptions } = this.params;
    const series = new WindowSeries(ds, seriesOptions);
    const shortest = { length: Number.POSITIVE_INFINITY };
    const ranking = windows.map((w) => {
      const input = localizerInput(series, this.access!, this.frontend, w);
      shortest.length = Math.min(shortest.length, input.series[0]?.length ?? 0);
      return this.rankOne(input, this.seed).ranking;
    });
    this.info['shortestSeries'] = Number.isFinite(shortest.length) ? shortest.length : null;
    return ranking;
  }

  fitted(): Record<string, unknown> {
    return this.info;
  }
}

const SERIES_PARAMS = new Set(['historySeconds', 'fill', 'channel', 'frontend']);

/**
 * A SeriesLocalizer from a method's params: the series and frontend keys go to window-series.ts, the
 * others must be keys of the algorithm's `defaults` (refused by name otherwise) and override them.
 */
export function seriesLocalizerFromParams<O extends Record<string, unknown>>(
  name: string,
  params: Record<string, unknown>,
  defaults: O,
  rank: (input: LocalizerInput, options: O, seed: number) => { ranking: number[] },
): SeriesLocalizer {
  const seriesParams: SeriesLocalizerParams = {};
  const options: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(params)) {
    if (SERIES_PARAMS.has(k)) (seriesParams as Record<string, unknown>)[k] = v;
    else if (k in defaults) options[k] = v;
    else throw new EadroError(`Unknown ${name} parameter.`, { field: `method.params.${k}`, expected: [...SERIES_PARAMS, ...Object.keys(defaults)].sort().join(' | ') });
  }
  return new SeriesLocalizer(name, (input, seed) => rank(input, options as O, seed), seriesParams, options);
}
