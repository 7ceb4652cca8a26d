/**
 * Every figure `eadro figures` can make, with the caption that says what a reader should see, and
 * the source of its data: Figs. 2-4 from raw telemetry (the simulated testbed, or any raw folder in
 * the released layout) or from synthetic data; Figs. 6 and 7 need a trained model, which does not
 * exist yet, so they come from synthetic data (synthetic.ts) and say so.
 */
import type { Seed } from '../core/rng.js';
import { kpiUnderFaultFigure, latencyUnderFaultsFigure, logEventOccurrenceFigure } from './motivation.js';
import type { Figure } from './plotly.js';
import type { MotivationData } from './motivation-data.js';
import { rankingFigure } from './ranking.js';
import { syntheticMotivationInputs, syntheticRankingInput, syntheticRepresentations, SYNTHETIC_LABEL } from './synthetic.js';
import { tsne2d, tsneDefaults } from './tsne.js';
import { tsneFigure } from './tsne-figure.js';

/** Where a figure's numbers come from. */
/** synthetic: generated illustration; testbed: simulated telemetry; telemetry: a given raw folder; model: a trained model's output. */
export type FigureSource = 'synthetic' | 'testbed' | 'telemetry' | 'model';

export interface FigureEntry {
  /** File stem, e.g. "fig2-latency". */
  id: string;
  /** The paper figure it reproduces. */
  paperFigure: string;
  /** What the figure shows and what to look for. */
  caption: string;
  source: FigureSource;
  figure: Figure;
}

export const catalogDefaults = {
  /** t-SNE iterations for Fig. 7 (tsne.ts default). */
  tsneIterations: tsneDefaults.iterations,
};

const syntheticNote = (seed: Seed): string => ` Source: ${SYNTHETIC_LABEL} (seed ${String(seed)}), an illustration, not a measurement.`;

/** Figs. 2-4 from raw telemetry already read by `loadMotivationData`; `description` names the data. */
export function telemetryMotivationFigures(data: MotivationData, description: string, source: FigureSource = 'testbed'): FigureEntry[] {
  const note = ` Source: ${description}, run ${data.run}.`;
  return [
    {
      id: 'fig2-latency', paperFigure: 'Fig. 2', source,
      caption: `Latency of each span served by "${data.latency.callee}", coloured by fault phase (stars: during a fault). Paper: network faults stand out, CPU exhaustion does not.` + note,
      figure: latencyUnderFaultsFigure(data.latency),
    },
    {
      id: 'fig3-log-event', paperFigure: 'Fig. 3', source,
      caption: `Occurrences of the log event "${data.logEvent.eventTemplate}" of "${data.logEvent.service}" per bin. Paper: they drop under network faults.` + note,
      figure: logEventOccurrenceFigure(data.logEvent),
    },
    {
      id: 'fig4-cpu', paperFigure: 'Fig. 4', source,
      caption: `${data.kpi.kpi} of "${data.kpi.service}". Paper: jitters and high values under CPU exhaustion.` + note,
      figure: kpiUnderFaultFigure(data.kpi),
    },
  ];
}

/** Figs. 6 (idea) and 7 from synthetic inputs (no trained model exists yet). */
export function syntheticModelFigures(seed: Seed = 0, options: { tsneIterations?: number } = {}): FigureEntry[] {
  return syntheticFigureSet(seed, options).filter((e) => e.id === 'fig6-ranking' || e.id === 'fig7-tsne');
}

/** All figures from seeded synthetic inputs: Figs. 2, 3, 4, 6 (idea) and 7. */
export function syntheticFigureSet(seed: Seed = 0, options: { tsneIterations?: number } = {}): FigureEntry[] {
  const motivation = syntheticMotivationInputs(seed);
  const note = syntheticNote(seed);
  const representations = syntheticRepresentations(seed);
  const panels = representations.map((r) => ({
    variant: r.variant,
    points: tsne2d(r.rows, { seed, iterations: options.tsneIterations ?? catalogDefaults.tsneIterations }, `synthetic ${r.variant}`).points,
    rootCauses: r.rootCauses,
  }));
  return [
    {
      id: 'fig2-latency', paperFigure: 'Fig. 2', source: 'synthetic',
      caption: 'Latency of each invocation of "travel": invocations during the network faults (stars) stand out; those during CPU exhaustion do not.' + note,
      figure: latencyUnderFaultsFigure(motivation.latency),
    },
    {
      id: 'fig3-log-event', paperFigure: 'Fig. 3', source: 'synthetic',
      caption: 'Occurrences of the log event "Route id: <*>" of "route" per bin: they drop during the network faults.' + note,
      figure: logEventOccurrenceFigure(motivation.logEvent),
    },
    {
      id: 'fig4-cpu', paperFigure: 'Fig. 4', source: 'synthetic',
      caption: 'Total CPU usage of "payment": jitters and high values during CPU exhaustion.' + note,
      figure: kpiUnderFaultFigure(motivation.kpi),
    },
    {
      id: 'fig6-ranking', paperFigure: 'Fig. 6 (idea)', source: 'synthetic',
      caption: 'Services ranked by culprit probability for one anomalous window; the true culprit is highlighted.' + note,
      figure: rankingFigure(syntheticRankingInput(seed)),
    },
    {
      id: 'fig7-tsne', paperFigure: 'Fig. 7', source: 'synthetic',
      caption: 'Seeded t-SNE of representations of abnormal windows per variant, coloured by root cause; panel titles give the leave-one-out 1-NN accuracy in 2-D.' + note,
      figure: tsneFigure({ panels, title: `Representations of abnormal windows (t-SNE, ${SYNTHETIC_LABEL})` }),
    },
  ];
}
