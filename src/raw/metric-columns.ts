/**
 * Which KPI columns of `metrics/<service>.csv` files are read (issue 25: no hand configuration), and
 * what a KPI cell holds. With `metricColumns: 'auto'` (the default):
 * 1. every file has all 7 Eadro KPIs (data-formats.md §1) -> exactly those, in that order, so the
 *    released layout and the built-in testbed read as they always did;
 * 2. otherwise every column (the timestamp column excepted) that is present in EVERY file and numeric
 *    in all of them, in the header order of the first file (files sorted by path). Columns missing
 *    from some file, holding text, or holding no value at all are dropped and reported.
 * An explicit list is used as given (a file lacking one of its columns is then an error).
 */
import * as fs from 'node:fs';
import { EadroError, preview } from '../core/errors.js';
import { eadroMetricColumns, type RawConfig } from './config.js';

export const metricCellDefaults = {
  /**
   * Cell texts (compared lower-cased, trimmed) that mean "no sample": pandas `read_csv`'s default
   * `na_values` ('', 'NaN', 'nan', 'NULL', 'null', 'None', 'NA', 'N/A', 'n/a', '#N/A', '<NA>', '-nan',
   * ...) plus the infinities Python and JavaScript write ('inf', 'Infinity'), which no KPI can hold.
   */
  missingSpellings: ['', 'nan', '-nan', '+nan', 'null', 'none', 'nil', 'na', 'n/a', '#n/a', '<na>', 'inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity'],
} as const;

const MISSING = new Set<string>(metricCellDefaults.missingSpellings);

/**
 * One trimmed KPI cell: a finite number; NaN for a missing sample (`metricCellDefaults.missingSpellings`,
 * or any non-finite number); undefined for other text (not a number at all).
 */
export function parseMetricCell(cell: string): number | undefined {
  if (cell.length <= 9 && MISSING.has(cell.toLowerCase())) return NaN;
  const v = Number(cell);
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? undefined : NaN;
}

/** Split one CSV line; handles double-quoted fields with "" escapes. */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else quoted = false;
      } else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** The header of a CSV file (its first line, BOM removed, names trimmed), reading only as far as it. */
export function readCsvHeader(file: string): string[] {
  const fd = fs.openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(1 << 16);
    let text = '';
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n <= 0) break;
      text += chunk.toString('utf8', 0, n);
      if (text.includes('\n')) break;
    }
    const first = text.split(/\r?\n/, 1)[0] ?? '';
    return splitCsvLine(first.replace(/^\ufeff/, '')).map((h) => h.trim());
  } finally {
    fs.closeSync(fd);
  }
}

/** A column 'auto' left out, and why. */
export interface DroppedMetricColumn {
  column: string;
  reason: 'missing in some files' | 'non-numeric' | 'no values' | 'unnamed' | 'unused';
  /** Evidence: e.g. `in 3 of 4 files; absent from <file>`, `<file> line 7: "running"`. */
  detail: string;
}

/** The KPI columns a read uses (K = columns.length), and how they were chosen. */
export interface MetricColumnChoice {
  /** 'configured' list; the 7 'eadro' KPIs, found in every file; or 'inferred' numeric columns. */
  source: 'configured' | 'eadro' | 'inferred';
  columns: string[];
  /** Columns of the files that are not read ('unused': other columns beside the 7 Eadro KPIs). */
  dropped: DroppedMetricColumn[];
  /** Metric files looked at. */
  files: number;
}

/**
 * Resolve `cfg.metricColumns` over a set of metric files (all files of all runs, so that K is the same
 * for every run). Reads only the headers when every file has the 7 Eadro KPIs; otherwise reads the
 * files once to tell numeric columns from text. Throws an EadroError when no column qualifies.
 */
export function resolveMetricColumns(files: readonly string[], cfg: Pick<RawConfig, 'metricColumns' | 'metricTimestampColumn'>): MetricColumnChoice {
  if (cfg.metricColumns !== 'auto') return { source: 'configured', columns: [...cfg.metricColumns], dropped: [], files: files.length };
  const sorted = [...files].sort();
  // No metric file at all: K stays the Eadro 7 (zeros plus the modality mask), as before 'auto'.
  if (sorted.length === 0) return { source: 'eadro', columns: [...eadroMetricColumns], dropped: [], files: 0 };
  const tsName = cfg.metricTimestampColumn ?? 'timestamp';
  const headers = sorted.map((f) => readCsvHeader(f));
  const inFiles = new Map<string, number>();
  const lackedBy = new Map<string, string>();
  for (const h of headers) for (const c of new Set(h)) if (c !== tsName && c !== '') inFiles.set(c, (inFiles.get(c) ?? 0) + 1);
  const everywhere = (c: string): boolean => inFiles.get(c) === sorted.length;
  for (const c of inFiles.keys()) {
    if (everywhere(c)) continue;
    const i = headers.findIndex((h) => !h.includes(c));
    lackedBy.set(c, sorted[i]!);
  }
  const missingDrops = [...inFiles.keys()]
    .filter((c) => !everywhere(c))
    .map((c): DroppedMetricColumn => ({ column: c, reason: 'missing in some files', detail: `in ${inFiles.get(c)} of ${sorted.length} files; absent from ${lackedBy.get(c)}` }));
  // A column with an empty header (a pandas index written by `to_csv`, a trailing comma) has no name
  // to put in metric_names and is usually a row counter: never read, always reported.
  const unnamedIn = headers.map((h, i) => (h.includes('') ? i : -1)).filter((i) => i >= 0);
  if (unnamedIn.length > 0) {
    const first = unnamedIn[0]!;
    missingDrops.push({
      column: '',
      reason: 'unnamed',
      detail: `empty header in ${unnamedIn.length} of ${sorted.length} files, e.g. column ${headers[first]!.indexOf('') + 1} of ${sorted[first]}`,
    });
  }

  if (eadroMetricColumns.every(everywhere)) {
    const used = new Set(eadroMetricColumns);
    const unused = headers[0]!.filter((c) => c !== tsName && c !== '' && !used.has(c) && everywhere(c));
    return {
      source: 'eadro',
      columns: [...eadroMetricColumns],
      dropped: [...unused.map((c): DroppedMetricColumn => ({ column: c, reason: 'unused', detail: 'the 7 Eadro KPIs are in every file' })), ...missingDrops],
      files: sorted.length,
    };
  }

  const candidates = headers[0]!.filter((c, i, all) => c !== tsName && c !== '' && everywhere(c) && all.indexOf(c) === i);
  const numbers = new Map<string, number>(candidates.map((c) => [c, 0]));
  const textAt = new Map<string, string>();
  for (let f = 0; f < sorted.length; f++) {
    const file = sorted[f]!;
    const idx = candidates.map((c) => headers[f]!.indexOf(c));
    const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
    for (let li = 1; li < lines.length; li++) {
      const line = lines[li]!;
      if (line.trim() === '') continue;
      const cells = splitCsvLine(line);
      for (let k = 0; k < candidates.length; k++) {
        const c = candidates[k]!;
        if (textAt.has(c)) continue;
        const cell = (cells[idx[k]!] ?? '').trim();
        const v = parseMetricCell(cell);
        if (v === undefined) textAt.set(c, `${file} line ${li + 1}: ${JSON.stringify(preview(cell, 60))}`);
        else if (!Number.isNaN(v)) numbers.set(c, numbers.get(c)! + 1);
      }
    }
  }
  const dropped: DroppedMetricColumn[] = [];
  const columns: string[] = [];
  for (const c of candidates) {
    const text = textAt.get(c);
    if (text !== undefined) dropped.push({ column: c, reason: 'non-numeric', detail: text });
    else if (numbers.get(c) === 0) dropped.push({ column: c, reason: 'no values', detail: 'every cell empty, NaN or null in every file' });
    else columns.push(c);
  }
  dropped.push(...missingDrops);
  if (columns.length === 0) {
    throw new EadroError('No numeric KPI column is present in every metric file.', {
      file: sorted[0]!,
      field: 'metricColumns',
      expected: `numeric columns (besides ${tsName}) shared by all ${sorted.length} metric files, or metricColumns set to a list`,
      found: preview(dropped.map((d) => `${d.column} (${d.reason})`).join(', ') || '(no column besides the timestamp)', 300),
      hint: 'set metricColumns to the KPI columns to read (files lacking one are then named)',
    });
  }
  return { source: 'inferred', columns, dropped, files: sorted.length };
}

/** `cfg` with `metricColumns` resolved over `files` (unchanged when it already is a list). */
export function withResolvedColumns<C extends RawConfig>(cfg: C, files: readonly string[]): { cfg: C & { metricColumns: string[] }; choice: MetricColumnChoice } {
  const choice = resolveMetricColumns(files, cfg);
  return { cfg: { ...cfg, metricColumns: choice.columns }, choice };
}
