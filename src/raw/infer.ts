/**
 * What the reader inferred instead of being told (issue 25): the KPI columns ('auto'), each metric
 * file's sampling interval, the log formats that matched and how many lines each, and the KPI cells
 * filled per column. Collected during a read, stored in the build report (`report.json: inferred`),
 * printed by `eadro windows` (`formatInference`), and turned into a raw-config snippet that pins the
 * same choices (`pinnedRawConfig`), so a later read cannot silently choose differently.
 */
import type { LogFormat, RawConfig, ResolvedRawConfig } from './config.js';
import { withResolvedColumns, type MetricColumnChoice } from './metric-columns.js';
import { listMetricFiles, type MetricReadSummary } from './metrics.js';
import { runFiles } from './runs.js';
import type { RawRun } from './types.js';

/** One metric file as read. */
export interface MetricFileInference {
  run: string;
  service: string;
  file: string;
  /** Input sampling interval, seconds (measured: median timestamp step, when configured 'auto'). */
  intervalSeconds: number;
  rows: number;
  /** Filled KPI cells per column; only columns with at least one (input rows, not grid seconds). */
  filledCells: Record<string, number>;
  /** Columns with no valid value in the whole file (filled with 0). */
  emptyColumns: string[];
}

/** The reader's inferred (or configured) choices over a whole raw root. */
export interface ReadInference {
  metricColumns: MetricColumnChoice;
  /** `metricIntervalSeconds` as configured ('auto' = measured per file). */
  metricIntervalConfigured: number | 'auto';
  metricFiles: MetricFileInference[];
  /** Log lines matched per format name, in the configured format order (formats with 0 left out). */
  logFormats: Record<string, number>;
  /** Filled KPI cells per read column, summed over all files (0 included). */
  filledCells: Record<string, number>;
  /** Raw-config values that pin these choices (`pinnedRawConfig`). */
  pin: Partial<RawConfig>;
}

/** Collects a ReadInference while a build reads its runs. */
export class ReadInferenceCollector {
  /** Pass to `readLogLines` as its `formatCounts`: lines per format name. */
  readonly logFormatCounts: Record<string, number> = {};
  private readonly files: MetricFileInference[] = [];

  constructor(
    private readonly choice: MetricColumnChoice,
    private readonly cfg: Pick<RawConfig, 'logFormats' | 'metricIntervalSeconds'>,
  ) {}

  /** Record the per-file summaries of one run's metric folder. */
  addMetricSummaries(run: string, summaries: readonly MetricReadSummary[]): void {
    for (const s of summaries) {
      const filled: Record<string, number> = {};
      for (const [c, n] of Object.entries(s.filledCells)) if (n > 0) filled[c] = n;
      this.files.push({ run, service: s.service, file: s.file, intervalSeconds: s.intervalSeconds, rows: s.rows, filledCells: filled, emptyColumns: [...s.emptyColumns] });
    }
  }

  result(): ReadInference {
    const filledCells: Record<string, number> = {};
    for (const c of this.choice.columns) filledCells[c] = 0;
    for (const f of this.files) for (const [c, n] of Object.entries(f.filledCells)) filledCells[c] = (filledCells[c] ?? 0) + n;
    const logFormats: Record<string, number> = {};
    for (const f of this.cfg.logFormats) {
      const n = this.logFormatCounts[f.name] ?? 0;
      if (n > 0) logFormats[f.name] = n;
    }
    const inf: Omit<ReadInference, 'pin'> = {
      metricColumns: { ...this.choice, columns: [...this.choice.columns], dropped: this.choice.dropped.map((d) => ({ ...d })) },
      metricIntervalConfigured: this.cfg.metricIntervalSeconds,
      metricFiles: this.files.map((f) => ({ ...f })),
      logFormats,
      filledCells,
    };
    return { ...inf, pin: pinnedRawConfig(inf, this.cfg.logFormats) };
  }
}

/**
 * Start a read of `runs`: 'auto' metric columns resolved over every metric file of every run (so that
 * K is one number before anything depends on it), and a collector for the rest of the inference.
 */
export function startReadInference(runs: readonly RawRun[], cfg: RawConfig): { cfg: ResolvedRawConfig; inference: ReadInferenceCollector } {
  const files = runs.flatMap((r) => {
    const dir = runFiles(r).metricsDir;
    return dir === null ? [] : [...listMetricFiles(dir).values()];
  });
  const resolved = withResolvedColumns(cfg, files);
  return { cfg: resolved.cfg, inference: new ReadInferenceCollector(resolved.choice, resolved.cfg) };
}

/** Interval value -> number of files, ascending by interval. */
export function intervalDistribution(files: readonly MetricFileInference[]): [number, number][] {
  const counts = new Map<number, number>();
  for (const f of files) counts.set(f.intervalSeconds, (counts.get(f.intervalSeconds) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => a[0] - b[0]);
}

/**
 * Raw-config values that make a later read choose exactly as this one did: the metric columns as a
 * list, the sampling interval when every file had the same one, and the log formats that matched a
 * line (in their configured order, so that priorities stay).
 */
export function pinnedRawConfig(inf: Omit<ReadInference, 'pin'>, formats: readonly LogFormat[]): Partial<RawConfig> {
  const pin: Partial<RawConfig> = { metricColumns: [...inf.metricColumns.columns] };
  if (inf.metricIntervalConfigured !== 'auto') pin.metricIntervalSeconds = inf.metricIntervalConfigured;
  else {
    const dist = intervalDistribution(inf.metricFiles);
    // Several intervals cannot be pinned by one number: 'auto' (per file) stays.
    if (dist.length === 1) pin.metricIntervalSeconds = dist[0]![0];
  }
  const used = formats.filter((f) => (inf.logFormats[f.name] ?? 0) > 0);
  if (used.length > 0) pin.logFormats = used.map((f) => ({ ...f }));
  return pin;
}

const seconds = (x: number): string => `${Number(x.toFixed(3))} s`;

/** The inference as summary lines (the build summary of `eadro windows`). */
export function formatInference(inf: ReadInference): string[] {
  const lines: string[] = [];
  const mc = inf.metricColumns;
  const named = (c: string): string => (c === '' ? '(unnamed)' : c);
  const how =
    mc.source === 'configured'
      ? 'configured'
      : mc.source === 'eadro'
        ? mc.files === 0
          ? "auto: no metric file, the 7 Eadro KPIs (zeros)"
          : `auto: the 7 Eadro KPIs, present in all ${mc.files} files`
        : `auto: numeric and present in all ${mc.files} files`;
  lines.push(`metric columns: ${mc.columns.length} (${how}): ${mc.columns.join(', ')}`);
  const unused = mc.dropped.filter((d) => d.reason === 'unused');
  if (unused.length > 0) lines.push(`  not used (${unused[0]!.detail}): ${unused.map((d) => named(d.column)).join(', ')}`);
  for (const d of mc.dropped.filter((x) => x.reason !== 'unused')) lines.push(`  dropped ${named(d.column)}: ${d.reason} (${d.detail})`);
  const dist = intervalDistribution(inf.metricFiles);
  const origin = inf.metricIntervalConfigured === 'auto' ? 'measured per file' : 'configured';
  if (dist.length === 0) lines.push('metric sampling interval: no metric file');
  else if (dist.length === 1) lines.push(`metric sampling interval: ${seconds(dist[0]![0])} in all ${inf.metricFiles.length} files (${origin}; resampled to 1 s)`);
  else {
    lines.push(`metric sampling interval (${origin}; resampled to 1 s): ${dist.map(([s, n]) => `${seconds(s)} in ${n} file(s)`).join(', ')}`);
    const common = dist.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
    const odd = inf.metricFiles.filter((f) => f.intervalSeconds !== common);
    for (const f of odd.slice(0, 10)) lines.push(`  ${seconds(f.intervalSeconds)}: ${f.file}`);
    if (odd.length > 10) lines.push(`  ... and ${odd.length - 10} more (report.json: inferred.metricFiles)`);
  }
  const formats = Object.entries(inf.logFormats);
  lines.push(`log formats matched: ${formats.length === 0 ? 'none (no log line read)' : formats.map(([n, c]) => `${n} ${c} line(s)`).join(', ')}`);
  const filled = Object.entries(inf.filledCells).filter(([, n]) => n > 0);
  lines.push(`KPI cells filled (missing samples, from the neighbouring sample): ${filled.length === 0 ? 'none' : filled.map(([c, n]) => `${c} ${n}`).join(', ')}`);
  const empty = inf.metricFiles.filter((f) => f.emptyColumns.length > 0);
  for (const f of empty.slice(0, 10)) lines.push(`  no value at all (zeros): ${f.emptyColumns.join(', ')} in ${f.file}`);
  if (empty.length > 10) lines.push(`  ... and ${empty.length - 10} more file(s) (report.json: inferred.metricFiles)`);
  return lines;
}

/** The JSON snippet that pins the inferred choices, as lines (merge into the `--config` file). */
export function formatPinSnippet(inf: ReadInference): string[] {
  return [
    'to pin these choices, merge into the "raw" section of the --config file:',
    ...JSON.stringify({ raw: inf.pin }, null, 2).split('\n'),
  ];
}
