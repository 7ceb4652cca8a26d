/**
 * `metrics/<service>.csv` reader (data-formats.md §1): a `timestamp` column (unix seconds) plus KPI
 * columns. The configured columns are read ('auto': src/raw/metric-columns.ts), `offsets.metrics`
 * added, and each table is resampled onto the 1-s grid by sample-and-hold (forward fill), because the
 * window builder indexes KPIs per second while users' data may be sampled e.g. once a minute. Every
 * filled second and every filled cell is counted.
 *
 * Missing samples (the one rule, also in README "Data"): a KPI cell that is empty or spells a missing
 * value (`nan`, `NaN`, `null`, `None`, `NA`, `inf`, ...: `metricCellDefaults.missingSpellings`) is
 * replaced by the previous valid sample of its column in time order (by the first valid one before
 * any), ALWAYS, whatever `onBadInput` says, and counted per file and column (`filledCells`). Other
 * text in a KPI cell is bad input: an EadroError naming file, line and column ('error'), or filled
 * and counted the same way ('skip'). A column with no valid value in a whole file is filled with 0
 * and listed in `emptyColumns`: its cells are all counted as filled, and the build goes on because K
 * must be the same for every service (a per-column mask does not exist in the window tensors) and a
 * service that never exports one KPI (e.g. network bytes of a host-network pod) is common; refusing
 * would bring back the hand configuration issue 25 removes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EadroError, preview } from '../core/errors.js';
import { median } from '../core/stats.js';
import type { RawConfig } from './config.js';
import { metricCellDefaults, parseMetricCell, splitCsvLine, withResolvedColumns, type MetricColumnChoice } from './metric-columns.js';
import type { SkipCollector } from './skips.js';
import type { MetricTable } from './types.js';

export { splitCsvLine } from './metric-columns.js';

/** What resampling one file did. */
export interface MetricReadSummary {
  file: string;
  service: string;
  /** Data rows read (after dropping bad rows). */
  rows: number;
  /** Input sampling interval used, seconds (configured, or the median step when 'auto'). */
  intervalSeconds: number;
  /** Length of the 1-s grid. */
  gridSeconds: number;
  /** Grid seconds with no input sample of their own, filled from the previous sample. */
  filledSeconds: number;
  /** KPI cells filled (missing samples, and non-numeric text under onBadInput 'skip'): sum of `filledCells`. */
  badCells: number;
  /** Filled KPI cells per column (every read column listed, 0 included), input rows not grid seconds. */
  filledCells: Record<string, number>;
  /** Columns with no valid value in the whole file (filled with 0). */
  emptyColumns: string[];
}

/** Read and resample one metric CSV ('auto' columns are resolved on this file alone). */
export function readMetricFile(
  file: string,
  service: string,
  cfgIn: RawConfig,
  skips: SkipCollector,
): { table: MetricTable; summary: MetricReadSummary } {
  if (!fs.existsSync(file)) throw new EadroError('Metric file not found.', { file, expected: 'a CSV with a timestamp column and KPI columns' });
  const cfg = withResolvedColumns(cfgIn, [file]).cfg;
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split(/\r?\n/);
  const header = splitCsvLine((lines[0] ?? '').replace(/^\ufeff/, '')).map((h) => h.trim());
  const tsName = cfg.metricTimestampColumn ?? 'timestamp';
  const tsCol = header.indexOf(tsName);
  if (tsCol < 0) {
    throw new EadroError('Metric file has no timestamp column.', {
      file,
      field: tsName,
      expected: 'a header with the time column (unix seconds)',
      found: preview(header.join(',')),
      hint: 'set metricTimestampColumn',
    });
  }
  const colIdx = cfg.metricColumns.map((name) => {
    const idx = header.indexOf(name);
    if (idx < 0) {
      throw new EadroError('Metric file lacks a configured KPI column.', {
        file,
        field: name,
        expected: `columns ${cfg.metricColumns.join(', ')}`,
        found: preview(header.join(','), 300),
        hint: 'set metricColumns to the KPI columns your files have',
      });
    }
    return idx;
  });

  // Parse rows; missing and (with 'skip') bad cells become NaN, filled below.
  const K = colIdx.length;
  const times: number[] = [];
  const rows: Float64Array[] = [];
  let badCells = 0;
  const filledCells: Record<string, number> = {};
  for (const name of cfg.metricColumns) filledCells[name] = 0;
  for (let li = 1; li < lines.length; li++) {
    const line = lines[li]!;
    if (line.trim() === '') continue;
    const cells = splitCsvLine(line);
    const tsText = (cells[tsCol] ?? '').trim();
    const t = tsText === '' ? NaN : Number(tsText);
    if (!Number.isFinite(t)) {
      const field = `line ${li + 1}, column ${tsName}`;
      if (cfg.onBadInput === 'error') {
        throw new EadroError('Metric row has no valid timestamp.', { file, field, expected: 'unix seconds', found: preview(tsText) });
      }
      skips.add(file, 'metric row without a valid timestamp (row dropped)', `${field}: ${preview(line)}`);
      continue;
    }
    const row = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      const cell = (cells[colIdx[k]!] ?? '').trim();
      const v = parseMetricCell(cell);
      if (v !== undefined && !Number.isNaN(v)) {
        row[k] = v;
        continue;
      }
      const name = cfg.metricColumns[k]!;
      const field = `line ${li + 1}, column ${name}`;
      if (v === undefined) {
        if (cfg.onBadInput === 'error') {
          throw new EadroError('Metric cell is not a number.', {
            file,
            field,
            expected: `a number, or a missing sample (case-insensitive: ${metricCellDefaults.missingSpellings.map((m) => (m === '' ? '(empty)' : m)).join(', ')})`,
            found: preview(cell),
            hint: 'leave the column out of metricColumns, or set onBadInput to "skip" to fill such cells from the neighbouring sample',
          });
        }
        skips.add(file, 'non-numeric KPI cell (filled from the neighbouring sample)', `${field}: ${cell}`);
      } else {
        skips.add(file, 'missing KPI sample: empty/NaN/null/None/Inf cell (filled from the neighbouring sample)', `${field}: ${cell === '' ? '(empty)' : cell}`);
      }
      filledCells[name]!++;
      badCells++;
      row[k] = NaN;
    }
    times.push(t + cfg.offsets.metrics);
    rows.push(row);
  }

  // Sort by time (stable), then put samples on whole seconds; several in one second: the last wins.
  const order = times.map((_, i) => i).sort((a, b) => times[a]! - times[b]! || a - b);
  const steps: number[] = [];
  for (let i = 1; i < order.length; i++) {
    const d = times[order[i]!]! - times[order[i - 1]!]!;
    if (d > 0) steps.push(d);
  }
  const interval = cfg.metricIntervalSeconds === 'auto' ? (steps.length > 0 ? median(steps) : 1) : cfg.metricIntervalSeconds;

  const columns: Record<string, Float64Array> = {};
  if (order.length === 0) {
    for (const name of cfg.metricColumns) columns[name] = new Float64Array(0);
    const summary: MetricReadSummary = { file, service, rows: 0, intervalSeconds: interval, gridSeconds: 0, filledSeconds: 0, badCells, filledCells, emptyColumns: [] };
    skips.add(file, 'metric file has no data rows');
    return { table: { service, timestamps: new Float64Array(0), columns }, summary };
  }
  const first = Math.floor(times[order[0]!]!);
  const lastSample = Math.floor(times[order[order.length - 1]!]!);
  // A sample stands for [t, t + interval): the grid runs to the end of the last sample's interval.
  const last = lastSample + Math.max(0, Math.ceil(interval) - 1);
  const G = last - first + 1;
  const rowAt = new Int32Array(G).fill(-1);
  let duplicates = 0;
  for (const r of order) {
    const g = Math.floor(times[r]!) - first;
    if (rowAt[g]! >= 0) duplicates++;
    rowAt[g] = r;
  }
  if (duplicates > 0) skips.addMany(file, 'several metric samples in one second (the last one kept)', duplicates);

  let filled = 0;
  const emptyColumns: string[] = [];
  for (let g = 0; g < G; g++) if (rowAt[g]! < 0) filled++;
  for (let k = 0; k < K; k++) {
    const out = new Float64Array(G);
    // First valid value, used before any valid sample (backward fill at the start).
    let held = NaN;
    for (const r of order) {
      const v = rows[r]![k]!;
      if (!Number.isNaN(v)) {
        held = v;
        break;
      }
    }
    if (Number.isNaN(held)) {
      // Documented above: 0 and counted (its cells are already in filledCells), not an error.
      skips.add(file, 'KPI column has no valid value at all (zeros used)', cfg.metricColumns[k]);
      emptyColumns.push(cfg.metricColumns[k]!);
      held = 0;
    }
    for (let g = 0; g < G; g++) {
      const r = rowAt[g]!;
      if (r >= 0) {
        const v = rows[r]![k]!;
        if (!Number.isNaN(v)) held = v;
      }
      out[g] = held;
    }
    columns[cfg.metricColumns[k]!] = out;
  }
  const timestamps = new Float64Array(G);
  for (let g = 0; g < G; g++) timestamps[g] = first + g;
  if (filled > 0) {
    skips.addMany(file, `resampled onto the 1-s grid: seconds forward-filled (input interval ${interval} s)`, filled);
  }
  return {
    table: { service, timestamps, columns },
    summary: { file, service, rows: order.length, intervalSeconds: interval, gridSeconds: G, filledSeconds: filled, badCells, filledCells, emptyColumns },
  };
}

/** Metric files of a run: service name -> CSV path, from `metrics/<service>.csv`. */
export function listMetricFiles(metricsDir: string): Map<string, string> {
  if (!fs.existsSync(metricsDir) || !fs.statSync(metricsDir).isDirectory()) {
    throw new EadroError('Metrics directory not found.', { file: metricsDir, expected: 'a folder of <service>.csv files' });
  }
  const out = new Map<string, string>();
  for (const name of fs.readdirSync(metricsDir).sort()) {
    if (name.toLowerCase().endsWith('.csv')) out.set(name.slice(0, -4), path.join(metricsDir, name));
  }
  return out;
}

/**
 * Read every `<service>.csv` of a metrics folder, with a per-file resampling summary. 'auto' columns
 * are resolved over this folder's files (the window builder resolves them over all runs first, so
 * that every run has the same K).
 */
export function readMetricTablesDetailed(
  metricsDir: string,
  cfgIn: RawConfig,
  skips: SkipCollector,
): { tables: MetricTable[]; summaries: MetricReadSummary[]; columns: MetricColumnChoice } {
  const files = listMetricFiles(metricsDir);
  const { cfg, choice } = withResolvedColumns(cfgIn, [...files.values()]);
  const tables: MetricTable[] = [];
  const summaries: MetricReadSummary[] = [];
  for (const [service, file] of files) {
    const { table, summary } = readMetricFile(file, service, cfg, skips);
    tables.push(table);
    summaries.push(summary);
  }
  return { tables, summaries, columns: choice };
}

/**
 * Every `<service>.csv` of a metrics folder, resampled onto the 1-s grid (forward-filled seconds are
 * counted in `skips`). Missing samples are filled and counted; other text throws (onBadInput 'error')
 * or is counted and filled ('skip').
 */
export function readMetricTables(metricsDir: string, cfg: RawConfig, skips: SkipCollector): MetricTable[] {
  return readMetricTablesDetailed(metricsDir, cfg, skips).tables;
}
