/**
 * The paper's Fig. 7: 2-D t-SNE embeddings of the fused representations of abnormal test windows,
 * one panel per model variant (Eadro, without logs, without KPIs, ...), points coloured by root
 * cause. Each panel's title carries the leave-one-out 1-NN accuracy of the root-cause labels in 2-D,
 * so "clusters are cleaner for Eadro" is a number, not an impression.
 * Takes already-embedded points (see tsne.ts) so it stays a pure function.
 */
import { EadroError } from '../core/errors.js';
import type { Figure, PlotlyTrace } from './plotly.js';
import { leaveOneOutNearestNeighborAccuracy } from './separation.js';
import { baseLayout, categoryColors } from './style.js';

export const tsneFigureDefaults = {
  /** Horizontal gap between panels, as a fraction of the figure width (ours). */
  panelGap: 0.04,
  /** Pixel width per panel (ours: square-ish panels at the default 420 px height). */
  panelWidth: 380,
  /** Figure height in pixels (ours). */
  height: 460,
  /** Marker size in pixels (ours). */
  markerSize: 6,
};

export interface TsnePanel {
  /** Model variant shown in the panel title, e.g. "Eadro", "w/o logs". */
  variant: string;
  /** [N, 2] embedded points. */
  points: readonly (readonly number[])[];
  /** Root cause of each point (same length as points). */
  rootCauses: readonly string[];
}

export interface TsneFigureInput {
  panels: readonly TsnePanel[];
  title?: string;
  /** Put the 1-NN accuracy in each panel title (default true). */
  showSeparation?: boolean;
}

/** Suffix of the i-th plotly axis name: '' for the first, then '2', '3', ... */
function axisSuffix(i: number): string {
  return i === 0 ? '' : String(i + 1);
}

/** One panel per variant side by side, one legend entry per root cause shared by all panels. */
export function tsneFigure(input: TsneFigureInput, source = 'tsne figure input'): Figure {
  const n = input.panels.length;
  if (n === 0) throw new EadroError('No panels to draw.', { file: source, field: 'panels' });
  input.panels.forEach((p, i) => {
    if (p.points.length !== p.rootCauses.length) {
      throw new EadroError('Points and root causes differ in length.', {
        file: source, field: `panels[${i}].rootCauses`, expected: `${p.points.length}`, found: `${p.rootCauses.length}`,
      });
    }
    p.points.forEach((pt, j) => {
      if (pt.length !== 2 || !Number.isFinite(pt[0]!) || !Number.isFinite(pt[1]!)) {
        throw new EadroError('Each point must be two finite numbers.', { file: source, field: `panels[${i}].points[${j}]`, found: JSON.stringify(pt) });
      }
    });
  });
  const colors = categoryColors(input.panels.flatMap((p) => [...p.rootCauses]), true);
  const gap = tsneFigureDefaults.panelGap;
  const data: PlotlyTrace[] = [];
  const layout: Record<string, unknown> = {
    ...baseLayout(),
    title: { text: input.title ?? 'Representations of abnormal windows (t-SNE), coloured by root cause' },
    width: Math.max(520, n * tsneFigureDefaults.panelWidth),
    height: tsneFigureDefaults.height,
    legend: { orientation: 'h', y: -0.08, title: { text: 'root cause ' } },
    margin: { l: 30, r: 30, t: 90, b: 60 },
  };
  const annotations: unknown[] = [];
  const shownInLegend = new Set<string>();
  input.panels.forEach((panel, i) => {
    const suffix = axisSuffix(i);
    const x0 = i / n + (i === 0 ? 0 : gap / 2);
    const x1 = (i + 1) / n - (i === n - 1 ? 0 : gap / 2);
    layout[`xaxis${suffix}`] = { domain: [x0, x1], showticklabels: false, zeroline: false, showgrid: false, mirror: true, showline: true, linecolor: '#BBBBBB' };
    layout[`yaxis${suffix}`] = { anchor: `x${suffix}`, showticklabels: false, zeroline: false, showgrid: false, mirror: true, showline: true, linecolor: '#BBBBBB' };
    const showSeparation = input.showSeparation ?? true;
    const accuracy = showSeparation && panel.points.length >= 2
      ? leaveOneOutNearestNeighborAccuracy(panel.points, panel.rootCauses) : null;
    annotations.push({
      xref: 'paper', yref: 'paper', x: (x0 + x1) / 2, y: 1.0, yanchor: 'bottom', xanchor: 'center', showarrow: false,
      text: `<b>${panel.variant}</b>` + (accuracy === null ? '' : `<br>1-NN accuracy ${accuracy.toFixed(2)} (n=${panel.points.length})`),
    });
    for (const [cause, color] of colors) {
      const xs: number[] = [];
      const ys: number[] = [];
      panel.rootCauses.forEach((c, j) => {
        if (c === cause) {
          xs.push(panel.points[j]![0]!);
          ys.push(panel.points[j]![1]!);
        }
      });
      if (xs.length === 0) continue;
      data.push({
        type: 'scatter', mode: 'markers', name: cause, legendgroup: cause, showlegend: !shownInLegend.has(cause),
        x: xs, y: ys, xaxis: `x${suffix}`, yaxis: `y${suffix}`,
        marker: { color, size: tsneFigureDefaults.markerSize, opacity: 0.8 },
        hovertemplate: `${panel.variant}: ${cause}<extra></extra>`,
      });
      shownInLegend.add(cause);
    }
  });
  layout['annotations'] = annotations;
  return { data, layout };
}
