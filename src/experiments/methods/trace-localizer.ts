/**
 * A trace-based localizer of Table III (series-localizer.ts) as a method of the harness. Given the true
 * anomaly existence by default (the paper's RQ2: every test window flagged, faulty ones localized);
 * with `params.detection = 'n-sigma'` it runs end to end, N-sigma (fitted and tuned like the N-sigma
 * baseline) deciding which windows are anomalous, so its end-to-end rows differ from its oracle rows.
 */
import { NSigma } from '../../baselines/n-sigma.js';
import type { SeriesLocalizer } from '../../baselines/localizers/series-localizer.js';
import type { Method } from '../method.js';
import { baselineMethod } from './baseline.js';

export function traceLocalizerMethod(name: string, description: string, build: (params: Record<string, unknown>) => SeriesLocalizer): Method {
  return baselineMethod(name, description, (params) => {
    const localizer = build(params);
    return params['detection'] === 'n-sigma' ? { detector: new NSigma(), localizer } : { localizer };
  });
}
