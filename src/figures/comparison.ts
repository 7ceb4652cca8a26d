/**
 * RQ1 and RQ2 at a glance: each method's value of a metric with its 95 % interval, one panel per
 * (metric, system), methods as rows, and the paper's value of that cell marked where the paper has one.
 * A reader sees which intervals overlap and how far ours sit from the paper's, without a table.
 */
import { EadroError } from '../core/errors.js';
import type { Figure, PlotlyTrace } from './plotly.js';
import { baseLayout, figureStyleDefaults } from './style.js';

export const comparisonFigureDefaults = {
  /** Pixel height per method row, and the fixed part of the height (ours: readable labels). */
  rowHeight: 26,
  baseHeight: 150,
  /** Pixel width per panel. */
  panelWidth: 330,
  /** Horizontal gap between panels, as a fraction of the width. */
  panelGap: 0.05,
};

export interface ComparisonRow {
  method: string;
  /** Our value (mean over seeds) and its 95 % interval; null where undefined (e.g. MCC of a constant detector). */
  value: number | null;
  lo: number | null;
  hi: number | null;
  /** The paper's value of this cell, when it reports one. */
  paper?: number;
}

export interface ComparisonPanel {
  /** e.g. "TT · MCC". */
  title: string;
  rows: readonly ComparisonRow[];
  /** A reference level drawn as a dotted line (e.g. the trivial level of the metric), with its name. */
  reference?: { value: number; label: string };
}

export interface ComparisonFigureInput {
  title: string;
  panels: readonly ComparisonPanel[];
  /** What the interval is, for the legend. */
  intervalLabel?: string;
}

const axisSuffix = (i: number): string => (i === 0 ? '' : String(i + 1));

/** Dots with horizontal error bars per method, the paper's values as crosses; panels side by side. */
export function comparisonFigure(input: ComparisonFigureInput, source = 'comparison figure input'): Figure {
  const n = input.panels.length;
  if (n === 0) throw new EadroError('No panels to draw.', { file: source, field: 'panels' });
  // One method order for every panel (first appearance), so rows line up across panels.
  const methods: string[] = [];
  for (const p of input.panels) for (const r of p.rows) if (!methods.includes(r.method)) methods.push(r.method);
  const d = comparisonFigureDefaults;
  const width = (1 - d.panelGap * (n - 1)) / n;
  const data: PlotlyTrace[] = [];
  const layout: Record<string, unknown> = {
    ...baseLayout(),
    title: { text: input.title },
    width: Math.max(500, d.panelWidth * n),
    height: d.baseHeight + d.rowHeight * methods.length,
    margin: { l: 150, r: 20, t: 110, b: 100 },
    legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom', xanchor: 'left' },
    shapes: [] as unknown[],
  };
  // Rows at numeric positions shared by every panel (first method on top): category axes of separate
  // panels order their own categories, which misaligned rows across panels.
  const position = (method: string): number => methods.length - 1 - methods.indexOf(method);
  input.panels.forEach((p, i) => {
    p.rows.forEach((r, j) => {
      for (const [k, v] of [['value', r.value], ['lo', r.lo], ['hi', r.hi], ['paper', r.paper]] as const) {
        if (v !== null && v !== undefined && !Number.isFinite(v)) {
          throw new EadroError('Values must be finite or null.', { file: source, field: `panels[${i}].rows[${j}].${k}`, found: String(v) });
        }
      }
    });
    const sfx = axisSuffix(i);
    const shown = p.rows.filter((r) => r.value !== null);
    data.push({
      type: 'scatter',
      mode: 'markers',
      name: `ours (mean, ${input.intervalLabel ?? '95 % interval'})`,
      legendgroup: 'ours',
      showlegend: i === 0,
      x: shown.map((r) => r.value as number),
      y: shown.map((r) => position(r.method)),
      text: shown.map((r) => r.method),
      error_x: {
        type: 'data',
        symmetric: false,
        array: shown.map((r) => (r.hi === null ? 0 : r.hi - (r.value as number))),
        arrayminus: shown.map((r) => (r.lo === null ? 0 : (r.value as number) - r.lo)),
        color: figureStyleDefaults.palette[0],
      },
      marker: { color: figureStyleDefaults.palette[0], size: 8 },
      xaxis: `x${sfx}`,
      yaxis: `y${sfx}`,
      hovertemplate: '%{text}: %{x:.3f}<extra></extra>',
    });
    const paper = p.rows.filter((r) => r.paper !== undefined);
    data.push({
      type: 'scatter',
      mode: 'markers',
      name: 'paper',
      legendgroup: 'paper',
      showlegend: i === 0,
      x: paper.map((r) => r.paper as number),
      y: paper.map((r) => position(r.method)),
      text: paper.map((r) => r.method),
      marker: { symbol: 'x', color: figureStyleDefaults.highlightColor, size: 9 },
      xaxis: `x${sfx}`,
      yaxis: `y${sfx}`,
      hovertemplate: 'paper %{text}: %{x:.3f}<extra></extra>',
    });
    const undefinedRows = p.rows.filter((r) => r.value === null).map((r) => r.method);
    const x0 = i * (width + d.panelGap);
    const notes = [p.reference === undefined ? null : `dotted: ${p.reference.label} ${p.reference.value.toFixed(3)}`, undefinedRows.length === 0 ? null : `undefined: ${undefinedRows.join(', ')}`].filter((s) => s !== null);
    layout[`xaxis${sfx}`] = {
      domain: [x0, x0 + width],
      anchor: `y${sfx}`,
      title: { text: notes.length === 0 ? p.title : `${p.title}<br><sup>${notes.join('<br>')}</sup>` },
      zeroline: false,
    };
    layout[`yaxis${sfx}`] = {
      anchor: `x${sfx}`,
      range: [-0.6, methods.length - 0.4],
      tickvals: methods.map((m) => position(m)),
      ticktext: methods,
      showticklabels: i === 0,
      showgrid: true,
      zeroline: false,
      automargin: true,
    };
    if (p.reference !== undefined) {
      (layout['shapes'] as unknown[]).push({
        type: 'line', xref: `x${sfx}`, yref: `y${sfx} domain`, x0: p.reference.value, x1: p.reference.value, y0: 0, y1: 1,
        line: { dash: 'dot', color: '#888', width: 1 },
      });
    }
  });
  return { data, layout };
}
