/**
 * The paper's Fig. 6 idea: for one anomalous window, the services ranked by the model's culprit
 * probability, as a horizontal bar chart (most suspicious on top), the true culprit highlighted.
 */
import { EadroError } from '../core/errors.js';
import type { Figure } from './plotly.js';
import { baseLayout, figureStyleDefaults } from './style.js';

export const rankingDefaults = {
  /** Services shown (paper Fig. 6 shows a short list; ours: 10 keeps labels readable). */
  topK: 10,
};

export interface RankedService {
  /** 1-based rank. */
  rank: number;
  service: string;
  probability: number;
}

/** Services sorted by probability, highest first; ties keep input order (stable sort). */
export function rankServices(services: readonly string[], probabilities: readonly number[], source = 'ranking input'): RankedService[] {
  if (services.length !== probabilities.length) {
    throw new EadroError('Services and probabilities differ in length.', {
      file: source, field: 'probabilities', expected: `${services.length} values`, found: `${probabilities.length}`,
    });
  }
  if (services.length === 0) throw new EadroError('No services to rank.', { file: source, field: 'services' });
  probabilities.forEach((p, i) => {
    if (!Number.isFinite(p) || p < 0) {
      throw new EadroError('Culprit probabilities must be finite and non-negative.', { file: source, field: `probabilities[${i}]`, found: String(p) });
    }
  });
  return services
    .map((service, i) => ({ service, probability: probabilities[i]!, index: i }))
    .sort((a, b) => b.probability - a.probability || a.index - b.index)
    .map((r, i) => ({ rank: i + 1, service: r.service, probability: r.probability }));
}

export interface RankingFigureInput {
  services: readonly string[];
  /** Culprit probability per service (the localisation head's softmax), same order as services. */
  probabilities: readonly number[];
  /** The injected root cause, highlighted when among the shown services. */
  trueCulprit?: string;
  topK?: number;
  title?: string;
}

/** Horizontal bars of the top-K services by culprit probability, most suspicious on top. */
export function rankingFigure(input: RankingFigureInput, source = 'ranking input'): Figure {
  const ranked = rankServices(input.services, input.probabilities, source).slice(0, input.topK ?? rankingDefaults.topK);
  // Plotly draws the first category of a horizontal bar chart at the bottom: reverse for top-down.
  const shown = [...ranked].reverse();
  const isCulprit = (s: string): boolean => input.trueCulprit !== undefined && s === input.trueCulprit;
  const title = input.title ?? 'Services ranked by culprit probability';
  const culpritNote = input.trueCulprit === undefined ? ''
    : `<br><sup>true culprit: ${input.trueCulprit}${ranked.some((r) => isCulprit(r.service)) ? ' (highlighted)' : ` (not in the top ${ranked.length})`}</sup>`;
  return {
    data: [{
      type: 'bar', orientation: 'h', name: 'culprit probability',
      x: shown.map((r) => r.probability), y: shown.map((r) => `${r.rank}. ${r.service}`),
      marker: { color: shown.map((r) => (isCulprit(r.service) ? figureStyleDefaults.highlightColor : figureStyleDefaults.palette[0])) },
      text: shown.map((r) => r.probability.toFixed(3)), textposition: 'outside',
      hovertemplate: '%{y}: %{x:.3f}<extra></extra>',
    }],
    layout: {
      ...baseLayout(),
      title: { text: title + culpritNote },
      xaxis: { title: { text: 'culprit probability' }, range: [0, Math.min(1, Math.max(...ranked.map((r) => r.probability)) * 1.2 + 1e-9)] },
      yaxis: { automargin: true },
      margin: { l: 160, r: 40, t: 80, b: 60 },
      showlegend: false,
    },
  };
}
