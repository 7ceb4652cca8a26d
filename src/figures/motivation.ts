/**
 * The paper's motivating figures (§II), as pure functions from plain arrays to plotly figures:
 * - Fig. 2: latency of each invocation of one callee ("travel") under network faults and CPU
 *   exhaustion: network faults raise latency, CPU exhaustion does not (traces alone miss it);
 * - Fig. 3: occurrences of one log event ("Route id: <*>" of "route") per time bin: they drop under
 *   network faults (logs carry the signal);
 * - Fig. 4: one KPI ("total CPU usage" of "payment"): jitters and high values under CPU exhaustion.
 * Fault-injection intervals are shaded and labelled in all three. Times are seconds since the start
 * of the shown period.
 */
import { EadroError } from '../core/errors.js';
import type { Figure, PlotlyTrace } from './plotly.js';
import { baseLayout, categoryColors, figureStyleDefaults } from './style.js';

/** A fault injected during [startSeconds, endSeconds). */
export interface FaultInterval {
  /** Fault type as shown in the legend, e.g. "network delay", "CPU exhaustion". */
  fault: string;
  startSeconds: number;
  endSeconds: number;
  /** A fault on another service than the plotted one: drawn as a grey band, without a label. */
  context?: boolean;
}

/** Paired samples: `values[i]` observed at `timeSeconds[i]` (seconds). */
export interface TimedValues {
  timeSeconds: readonly number[];
  values: readonly number[];
}

/** Phase name of samples outside every fault interval. */
export const NORMAL_PHASE = 'normal';

/** Phase name of samples outside the plotted service's faults but inside a fault on another service. */
export const OTHER_FAULT_PHASE = 'during a fault on another service';

export const motivationDefaults = {
  /** Marker size of ordinary invocations in Fig. 2 (px). */
  normalMarkerSize: 4,
  /** Marker size of invocations during a fault in Fig. 2 (px); stars as in the paper's Fig. 2. */
  faultMarkerSize: 7,
  /** Colour of invocations during a fault on another service (dark grey: context, not the subject). */
  otherFaultColor: '#555555',
  /** Marker symbol of invocations during a fault (paper Fig. 2: "marked with stars"). */
  faultMarkerSymbol: 'star',
};

function validateTimed(series: TimedValues, field: string, source: string): void {
  const { timeSeconds, values } = series;
  if (timeSeconds.length !== values.length) {
    throw new EadroError('Times and values differ in length.', {
      file: source, field, expected: `${timeSeconds.length} values (one per time)`, found: `${values.length}`,
    });
  }
  if (timeSeconds.length === 0) throw new EadroError('No samples to plot.', { file: source, field });
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(timeSeconds[i]!) || !Number.isFinite(values[i]!)) {
      throw new EadroError('Samples must be finite numbers.', {
        file: source, field: `${field}[${i}]`, found: `${timeSeconds[i]}, ${values[i]}`,
      });
    }
  }
}

function validateFaults(faults: readonly FaultInterval[], source: string): void {
  faults.forEach((f, i) => {
    if (!(Number.isFinite(f.startSeconds) && Number.isFinite(f.endSeconds) && f.endSeconds > f.startSeconds)) {
      throw new EadroError('A fault interval must end after it starts.', {
        file: source, field: `faults[${i}]`, expected: 'startSeconds < endSeconds', found: `${f.startSeconds}..${f.endSeconds}`,
      });
    }
    if (f.fault === NORMAL_PHASE) {
      throw new EadroError(`"${NORMAL_PHASE}" is reserved for fault-free samples.`, { file: source, field: `faults[${i}].fault` });
    }
  });
}

/** Phase of each time: the fault whose interval holds it (the first listed on overlap), else "normal". */
export function assignPhases(timeSeconds: readonly number[], faults: readonly FaultInterval[]): string[] {
  return timeSeconds.map((t) => faults.find((f) => t >= f.startSeconds && t < f.endSeconds)?.fault ?? NORMAL_PHASE);
}

export interface PhaseSummary {
  phase: string;
  /** Samples in the phase. */
  count: number;
  /** Median and 95th percentile of the values (nearest-rank), in the values' unit. */
  median: number;
  p95: number;
  mean: number;
}

function nearestRank(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * Per-phase statistics of timed values ("normal" first, then faults in interval order): the numbers
 * behind "latency stands out under network faults but not under CPU exhaustion".
 */
export function summarizeByPhase(series: TimedValues, faults: readonly FaultInterval[], source = 'phase summary input'): PhaseSummary[] {
  validateTimed(series, 'series', source);
  validateFaults(faults, source);
  const phases = assignPhases(series.timeSeconds, faults);
  const order = [NORMAL_PHASE, ...new Set(faults.map((f) => f.fault))];
  const out: PhaseSummary[] = [];
  for (const phase of order) {
    const values = series.values.filter((_, i) => phases[i] === phase);
    if (values.length === 0) continue;
    const sorted = [...values].sort((a, b) => a - b);
    out.push({
      phase, count: values.length, median: nearestRank(sorted, 0.5), p95: nearestRank(sorted, 0.95),
      mean: values.reduce((a, b) => a + b, 0) / values.length,
    });
  }
  return out;
}

/** Fault -> colour, sorted by name so the same faults get the same colours in every figure (context faults excluded). */
function faultColors(faults: readonly FaultInterval[]): Map<string, string> {
  return categoryColors(faults.filter((f) => f.context !== true).map((f) => f.fault), true);
}

export const faultLabelDefaults = {
  /** Approximate width of a label character, as a share of the plot width per 100 characters (ours: 11 px font on a ~800 px plot). */
  charWidthShare: 0.0085,
  /** Height of one label row, as a share of the plot height (yref 'paper'). */
  rowHeight: 0.07,
};

/**
 * Rows for the labels of the faults on the plotted service so that no two overlap: each label is
 * placed centred on its band, in the lowest row where it does not overlap the labels already there
 * (label width estimated from its length and the x range). Returns the row of each labelled fault.
 */
export function labelRows(faults: readonly FaultInterval[], xRange: [number, number]): number[] {
  const span = Math.max(1e-9, xRange[1] - xRange[0]);
  const rowsEnd: number[] = [];
  return faults.map((f) => {
    const width = f.fault.length * faultLabelDefaults.charWidthShare * span;
    const centre = Math.min(Math.max((f.startSeconds + f.endSeconds) / 2, xRange[0]), xRange[1]);
    const from = centre - width / 2;
    let row = rowsEnd.findIndex((end) => end <= from);
    if (row < 0) {
      row = rowsEnd.length;
      rowsEnd.push(0);
    }
    rowsEnd[row] = centre + width / 2 + 0.01 * span;
    return row;
  });
}

/** Shaded rectangles for the fault intervals, and non-overlapping labels above those on the plotted service. */
function faultDecorations(faults: readonly FaultInterval[], xRange: [number, number]): { shapes: unknown[]; annotations: unknown[]; rows: number } {
  const colors = faultColors(faults);
  const labelled = faults.filter((f) => f.context !== true).sort((a, b) => a.startSeconds - b.startSeconds);
  const rows = labelRows(labelled, xRange);
  return {
    shapes: faults.map((f) => ({
      type: 'rect', xref: 'x', yref: 'paper', x0: f.startSeconds, x1: f.endSeconds, y0: 0, y1: 1,
      fillcolor: f.context === true ? figureStyleDefaults.normalColor : colors.get(f.fault),
      opacity: f.context === true ? figureStyleDefaults.faultShadeOpacity / 2 : figureStyleDefaults.faultShadeOpacity, line: { width: 0 }, layer: 'below',
    })),
    annotations: labelled.map((f, i) => ({
      xref: 'x', yref: 'paper', x: (f.startSeconds + f.endSeconds) / 2, y: 1 + rows[i]! * faultLabelDefaults.rowHeight, yanchor: 'bottom', showarrow: false,
      text: f.fault, font: { size: 11, color: colors.get(f.fault) },
    })),
    rows: rows.length === 0 ? 0 : Math.max(...rows) + 1,
  };
}

function timeSeriesLayout(title: string, yTitle: string, faults: readonly FaultInterval[], times: readonly number[]): Record<string, unknown> {
  const lo = Math.min(...times, ...faults.map((f) => f.startSeconds));
  const hi = Math.max(...times, ...faults.map((f) => f.endSeconds));
  const xRange: [number, number] = Number.isFinite(lo) && Number.isFinite(hi) && hi > lo ? [lo, hi] : [0, 1];
  const { rows, ...decorations } = faultDecorations(faults, xRange);
  const context = faults.some((f) => f.context === true);
  return {
    ...baseLayout(),
    title: { text: title },
    xaxis: { title: { text: 'time (s)' }, zeroline: false, range: xRange },
    yaxis: { title: { text: yTitle }, rangemode: 'tozero' },
    // Below the x-axis title (not over it): the axis title sits about 40 px under the plot.
    legend: { orientation: 'h', y: -0.3, yanchor: 'top' },
    // Room above the plot for a two-line title plus the label rows, below for the axis title and legend.
    margin: { l: 70, r: 30, t: 90 + 22 * rows, b: 130 },
    shapes: decorations.shapes,
    annotations: [
      ...decorations.annotations,
      ...(context ? [{ xref: 'paper', yref: 'paper', x: 1, y: -0.45, xanchor: 'right', yanchor: 'top', showarrow: false, text: 'grey bands: faults on other services', font: { size: 11, color: figureStyleDefaults.normalColor } }] : []),
    ],
  };
}

export interface LatencyFigureInput {
  /** The callee whose invocations are shown (paper: "travel"). */
  callee: string;
  /** One sample per invocation: start time (s) and latency (milliseconds). */
  invocations: TimedValues;
  faults: readonly FaultInterval[];
  title?: string;
}

/**
 * Fig. 2: invocation latency of one callee, one trace per phase: "normal" invocations as small grey
 * dots, invocations during each fault as stars in that fault's colour.
 */
export function latencyUnderFaultsFigure(input: LatencyFigureInput, source = 'latency figure input'): Figure {
  validateTimed(input.invocations, 'invocations', source);
  validateFaults(input.faults, source);
  // Phases by the faults on the callee; an invocation outside them but during a fault on another
  // service (a grey band) is shown apart: it is neither normal nor what the figure is about.
  const own = assignPhases(input.invocations.timeSeconds, input.faults.filter((f) => f.context !== true));
  const elsewhere = assignPhases(input.invocations.timeSeconds, input.faults.filter((f) => f.context === true));
  const phases = own.map((p, i) => (p === NORMAL_PHASE && elsewhere[i] !== NORMAL_PHASE ? OTHER_FAULT_PHASE : p));
  const colors = faultColors(input.faults);
  const order = [NORMAL_PHASE, OTHER_FAULT_PHASE, ...[...colors.keys()]];
  const data: PlotlyTrace[] = [];
  for (const phase of order) {
    const x: number[] = [];
    const y: number[] = [];
    phases.forEach((p, i) => {
      if (p === phase) {
        x.push(input.invocations.timeSeconds[i]!);
        y.push(input.invocations.values[i]!);
      }
    });
    if (x.length === 0) continue;
    const normal = phase === NORMAL_PHASE;
    const other = phase === OTHER_FAULT_PHASE;
    data.push({
      type: 'scatter', mode: 'markers', name: normal ? 'normal' : other ? OTHER_FAULT_PHASE : `during ${phase}`, x, y,
      marker: normal
        ? { color: figureStyleDefaults.normalColor, size: motivationDefaults.normalMarkerSize, opacity: 0.6 }
        : other
          ? { color: motivationDefaults.otherFaultColor, size: motivationDefaults.normalMarkerSize + 1, symbol: 'x-thin-open', opacity: 0.8 }
          : { color: colors.get(phase), size: motivationDefaults.faultMarkerSize, symbol: motivationDefaults.faultMarkerSymbol },
      hovertemplate: `%{x:.1f} s: %{y:.1f} ms<extra>${phase}</extra>`,
    });
  }
  return {
    data,
    layout: timeSeriesLayout(input.title ?? `Latency of invocations of "${input.callee}"`, 'latency (ms)', input.faults, input.invocations.timeSeconds),
  };
}

export interface LogEventFigureInput {
  /** Service that writes the event (paper: "route"). */
  service: string;
  /** The event's template (paper: "Route id: <*>"). */
  eventTemplate: string;
  /** Occurrences per bin: bin start time (s) and count. */
  occurrences: TimedValues;
  faults: readonly FaultInterval[];
  title?: string;
}

/** Fig. 3: occurrences of one log event per time bin, as a line over shaded fault intervals. */
export function logEventOccurrenceFigure(input: LogEventFigureInput, source = 'log event figure input'): Figure {
  validateTimed(input.occurrences, 'occurrences', source);
  validateFaults(input.faults, source);
  return {
    data: [{
      type: 'scatter', mode: 'lines+markers', name: `"${input.eventTemplate}" (${input.service})`,
      x: [...input.occurrences.timeSeconds], y: [...input.occurrences.values],
      line: { color: figureStyleDefaults.palette[0], width: 1.5 }, marker: { size: 4 },
      hovertemplate: '%{x:.0f} s: %{y} occurrences<extra></extra>',
    }],
    layout: timeSeriesLayout(
      input.title ?? `Occurrences of log event "${input.eventTemplate}" in "${input.service}"`,
      'occurrences per bin', input.faults, input.occurrences.timeSeconds,
    ),
  };
}

export interface KpiFigureInput {
  /** Service whose KPI is shown (paper: "payment"). */
  service: string;
  /** KPI name (paper: "total CPU usage"). */
  kpi: string;
  /** Unit for the axis title, e.g. "%". */
  unit: string;
  /** Samples: time (s) and value in `unit`. */
  samples: TimedValues;
  faults: readonly FaultInterval[];
  title?: string;
}

/** Fig. 4: one KPI over time as a line over shaded fault intervals. */
export function kpiUnderFaultFigure(input: KpiFigureInput, source = 'KPI figure input'): Figure {
  validateTimed(input.samples, 'samples', source);
  validateFaults(input.faults, source);
  return {
    data: [{
      type: 'scatter', mode: 'lines', name: `${input.kpi} (${input.service})`,
      x: [...input.samples.timeSeconds], y: [...input.samples.values],
      line: { color: figureStyleDefaults.palette[0], width: 1.5 },
      hovertemplate: `%{x:.0f} s: %{y:.2f} ${input.unit}<extra></extra>`,
    }],
    layout: timeSeriesLayout(input.title ?? `${input.kpi} of "${input.service}"`, `${input.kpi} (${input.unit})`, input.faults, input.samples.timeSeconds),
  };
}
