/**
 * The paper's Tables I–IV rebuilt from stored runs, our numbers beside the paper's, one set per
 * protocol. Paper numbers come from `paper-tables.json` (a verbatim copy of
 * `../shared/paper/tables.json`, read at run time from this folder). Every paper row is present:
 * a method with no stored run says "not implemented" (no such method registered) or "not run"
 * (registered, no run in the store), never a number. Beside every table: the trivial levels of the
 * same test sets (all-anomalous detector at the test prevalence, random ranking over N nodes).
 *
 * Cells: `mean ± std [lo, hi]` = mean and sample std over seeds, then the 95 % cluster-bootstrap
 * interval over fault episodes (aggregate.ts); "n/a" = undefined (zero denominator).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../core/io.js';
import { coverageMarkdown } from '../evaluation/protocols.js';
import type { AggregatedGroup } from './aggregate.js';
import type { Ablation, MethodSpec, RunSpec } from './config.js';
import { toCsv, toLatex, toMarkdown, type Table } from './tables.js';

type SystemValues = Record<string, number>;
interface PaperTables {
  tableI_detectors: Record<string, SystemValues>;
  tableII_detection: Record<string, Record<'TT' | 'SN', SystemValues>>;
  tableIII_localization: Record<string, Record<'TT' | 'SN', SystemValues>>;
  tableIV_ablation: Record<string, Record<'TT' | 'SN', SystemValues>>;
}

let paperCache: PaperTables | null = null;

/** The paper's numbers (paper-tables.json beside this file). */
export function paperTables(): PaperTables {
  if (paperCache === null) {
    paperCache = JSON.parse(fs.readFileSync(new URL('./paper-tables.json', import.meta.url), 'utf8')) as PaperTables;
  }
  return paperCache;
}

/** A way of computing a table's metrics: short metric name → stored metric key (absent = not defined). */
interface Setting {
  label: string;
  keys: Record<string, string>;
}

interface TableDef {
  id: 'table1' | 'table2' | 'table3' | 'table4';
  title: string;
  /** Short metric names, in column order. */
  metrics: string[];
  settings: Setting[];
  paperRows: () => string[];
  paperValue: (row: string, system: 'TT' | 'SN', metric: string) => number | undefined;
  /** Which groups the table shows besides paper rows: all unmapped ones, or none. */
  showUnmapped: boolean;
  /** Whether a group with this method belongs in the table. */
  accepts: (m: MethodSpec) => boolean;
  /** Trivial-level key (in AggregatedGroup.trivial) per short metric name, for the two trivial rows. */
  trivial: { allAnomalous: Record<string, string>; random: Record<string, string> };
  notes: string[];
}

const ablationRow: Record<Ablation, string> = {
  none: 'Eadro',
  'without-logs': 'Eadro w/o L',
  'without-kpis': 'Eadro w/o M',
  'without-traces': 'Eadro w/o T',
  'without-graph': 'Eadro w/o G',
};

const norm = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * The paper's derived classifiers are one method each (`ms-rf`, `ms-svm`: a detector and a localizer)
 * but two rows: `-AD` in Table II, `-RCL` in Table III (paper §V-B2).
 */
const TASK_SUFFIXES = ['ad', 'rcl'];

/** The method name a paper row is filled by, normalised (`MS-RF-AD` -> `msrf`). */
const rowMethod = (row: string): string => {
  const n = norm(row);
  const suffix = TASK_SUFFIXES.find((s) => n.startsWith('ms') && n.endsWith(s));
  return suffix === undefined ? n : n.slice(0, -suffix.length);
};

/** The paper row a method's runs fill, or null when the paper has no such row. */
export function paperRowOf(m: MethodSpec, rows: readonly string[]): string | null {
  if (norm(m.name) === 'eadro') {
    const row = ablationRow[m.ablation ?? 'none'];
    return rows.includes(row) ? row : null;
  }
  return rows.find((r) => norm(r) === norm(m.name)) ?? rows.find((r) => rowMethod(r) === norm(m.name)) ?? null;
}

const isEadroAblation = (m: MethodSpec): boolean => norm(m.name) === 'eadro' && (m.ablation ?? 'none') !== 'none';

/**
 * Methods that only rank services (the trace-based localizers of Table III and the culprit-frequency
 * prior, given the true anomaly existence): their runs flag every test window, so they have no place
 * in the detection tables.
 */
export const LOCALIZER_ONLY: ReadonlySet<string> = new Set(['tbac', 'netmedic', 'monitorrank', 'cloudranger', 'dycause', 'culpritprior']);
export const isLocalizerOnly = (m: MethodSpec): boolean => LOCALIZER_ONLY.has(norm(m.name));

const hrKeys = (prefix: string): Record<string, string> => ({
  'HR@1': `${prefix}hr@1`, 'HR@3': `${prefix}hr@3`, 'HR@5': `${prefix}hr@5`, 'NDCG@3': `${prefix}ndcg@3`, 'NDCG@5': `${prefix}ndcg@5`,
});

/** Table I's column: what the paper prints as "FDR" is the false-positive rate; its paper value is read from key FDR. */
const PAPER_FDR = 'FPR';

const CELL_NOTE = 'Cells: mean ± std over seeds [95 % cluster-bootstrap CI over fault episodes, all seeds pooled]; n/a = undefined (zero denominator).';

export const tableDefs: TableDef[] = [
  {
    id: 'table1',
    title: 'Table I: anomaly detectors (FOR, FPR printed as "FDR" in the paper, inference time)',
    metrics: ['FOR', PAPER_FDR, 'inferUs'],
    settings: [{ label: 'TN counted', keys: { FOR: 'det.for', [PAPER_FDR]: 'det.fpr', inferUs: 'inferUsPerWindow' } }],
    paperRows: () => Object.keys(paperTables().tableI_detectors),
    paperValue: (row, _system, metric) => paperTables().tableI_detectors[row]?.[metric === PAPER_FDR ? 'FDR' : metric],
    showUnmapped: true,
    accepts: (m) => !isEadroAblation(m) && norm(m.name) !== 'eadro' && !isLocalizerOnly(m),
    trivial: { allAnomalous: { FOR: 'allAnomalous.det.for', [PAPER_FDR]: 'allAnomalous.det.fpr' }, random: {} },
    notes: [
      'The paper\'s "FDR" is FP/(FP+TN), the false-positive rate, so the column is labelled FPR (the true FDR, FP/(FP+TP), is stored as det.fdr). Paper Table I gives one value per detector (not per system); it is repeated for TT and SN.',
      'inferUs = microseconds per window, as measured by each method on its own machine and backend.',
    ],
  },
  {
    id: 'table2',
    title: 'Table II: anomaly detection',
    metrics: ['F1', 'Rec', 'Pre', 'MCC', 'PR-AUC'],
    settings: [
      { label: 'TN counted', keys: { F1: 'det.f1', Rec: 'det.recall', Pre: 'det.precision', MCC: 'det.mcc', 'PR-AUC': 'det.prAuc' } },
      { label: 'reference formula', keys: { F1: 'ref.f1', Rec: 'ref.recall', Pre: 'ref.precision' } },
      { label: 'per fault episode', keys: { Rec: 'ep.recall' } },
    ],
    paperRows: () => Object.keys(paperTables().tableII_detection),
    paperValue: (row, system, metric) => paperTables().tableII_detection[row]?.[system]?.[metric],
    showUnmapped: true,
    accepts: (m) => !isEadroAblation(m) && !isLocalizerOnly(m),
    trivial: {
      allAnomalous: { F1: 'allAnomalous.det.f1', Rec: 'allAnomalous.det.recall', Pre: 'allAnomalous.det.precision', MCC: 'allAnomalous.det.mcc', 'PR-AUC': 'allAnomalous.det.prAuc' },
      random: {},
    },
    notes: [
      '"reference formula" = the official code (codes/base.py): normal windows predicted normal count as TP, no TN; shown to expose the inflation, not as a result.',
      '"per fault episode": Rec = share of fault episodes with at least one flagged faulty window (ours, protocol.md §4.2; not in the paper).',
    ],
  },
  {
    id: 'table3',
    title: 'Table III: root-cause localization',
    metrics: ['HR@1', 'HR@3', 'HR@5', 'NDCG@3', 'NDCG@5'],
    settings: [
      { label: 'end-to-end', keys: hrKeys('loc.e2e.') },
      { label: 'oracle detection', keys: hrKeys('loc.oracle.') },
      { label: 'reference formula', keys: { 'HR@1': 'ref.hr@1', 'HR@3': 'ref.hr@3', 'HR@5': 'ref.hr@5', 'NDCG@3': 'ref.ndcg@3', 'NDCG@5': 'ref.ndcg@5' } },
      { label: 'per fault episode (AC@k)', keys: { 'HR@1': 'ep.ac@1', 'HR@3': 'ep.ac@3', 'HR@5': 'ep.ac@5' } },
    ],
    paperRows: () => Object.keys(paperTables().tableIII_localization),
    paperValue: (row, system, metric) => paperTables().tableIII_localization[row]?.[system]?.[metric],
    showUnmapped: true,
    accepts: (m) => !isEadroAblation(m),
    trivial: { allAnomalous: {}, random: hrKeys('random.loc.e2e.') },
    notes: [
      'end-to-end: over ground-truth faulty windows, a window the detector missed is a miss; oracle detection: every faulty window is ranked (the paper gave baselines ground-truth anomaly existence); the paper\'s own numbers used the reference formula.',
      'per fault episode (AC@k): the culprit within the first k of the episode\'s Borda-aggregated ranking of its faulty windows, whether or not they were flagged (ours, RCAEval style; not in the paper).',
    ],
  },
  {
    id: 'table4',
    title: 'Table IV: ablation study',
    // MCC and PR-AUC beside F1: where faulty windows include silent ones, detection is judged by them
    // against their trivial levels (the project's decision; F1 stays, as the paper's column)
    metrics: ['HR@1', 'HR@5', 'F1', 'MCC', 'PR-AUC'],
    settings: [
      { label: 'end-to-end / TN counted', keys: { 'HR@1': 'loc.e2e.hr@1', 'HR@5': 'loc.e2e.hr@5', F1: 'det.f1', MCC: 'det.mcc', 'PR-AUC': 'det.prAuc' } },
      { label: 'reference formula', keys: { 'HR@1': 'ref.hr@1', 'HR@5': 'ref.hr@5', F1: 'ref.f1' } },
    ],
    paperRows: () => Object.keys(paperTables().tableIV_ablation),
    paperValue: (row, system, metric) => paperTables().tableIV_ablation[row]?.[system]?.[metric],
    showUnmapped: false,
    accepts: (m) => norm(m.name) === 'eadro',
    trivial: { allAnomalous: { F1: 'allAnomalous.det.f1', MCC: 'allAnomalous.det.mcc', 'PR-AUC': 'allAnomalous.det.prAuc' }, random: { 'HR@1': 'random.loc.e2e.hr@1', 'HR@5': 'random.loc.e2e.hr@5' } },
    notes: ['w/o L = without logs, w/o M = without KPIs (metrics), w/o T = without traces, w/o G = without the graph (GAT replaced by a fully-connected layer).'],
  },
];

/** A metric cell: three decimals, or n/a where undefined or not finite. */
export const formatMetric = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(3));

/** `+0.123` / `-0.123`: a difference with its sign. */
export const formatSigned = (v: number): string => (v >= 0 ? '+' : '') + v.toFixed(3);

/** A paired difference with its interval, `+0.071 [+0.019, +0.126]`, or n/a where undefined. */
export const formatDifference = (d: { estimate: number; lo: number; hi: number }): string =>
  Number.isFinite(d.estimate) ? `${formatSigned(d.estimate)} [${formatSigned(d.lo)}, ${formatSigned(d.hi)}]` : 'n/a';
const fmt = formatMetric;

function ourCell(g: AggregatedGroup, key: string | undefined): string {
  if (key === undefined) return '–';
  const s = g.metrics[key];
  if (s === undefined || s.mean === null) return 'n/a';
  let cell = fmt(s.mean);
  if (s.std !== null) cell += ` ± ${fmt(s.std)}`;
  const ci = g.ci[key];
  if (ci !== undefined && Number.isFinite(ci.lo)) cell += ` [${fmt(ci.lo)}, ${fmt(ci.hi)}]`;
  return cell;
}

/**
 * Params that set a run's training budget, not what the method is; the tables leave them out of the
 * Variant column (they are recorded with every run and in its hash all the same).
 */
export const BUDGET_PARAMS: ReadonlySet<string> = new Set(['maxEpochs', 'patience', 'batchSize', 'threads']);

/**
 * The Variant column: the method's variant, then every param that changes the method (not its budget),
 * so that two configurations of one method in one table read apart (e.g. `paper labelNoiseForget=0.15`).
 */
export function variantLabel(method: MethodSpec): string {
  const extras = Object.entries(method.params ?? {})
    .filter(([k]) => !BUDGET_PARAMS.has(k))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return [method.variant ?? '', ...extras].filter((x) => x !== '').join(' ');
}

/**
 * Whether the paper's numbers describe a group's data (issue 26): the paper's systems on our testbed
 * (built to reproduce them) or on the released Eadro dataset (`paperData: true`); not on other raw
 * telemetry or generated windows, where a "(paper)" cell beside our value would read as a comparison
 * of like with like.
 */
export function isPaperData(spec: RunSpec): boolean {
  const d = spec.dataset;
  return d.kind === 'testbed' || (d.kind === 'raw' && d.paperData === true);
}

/** How the tables show the paper's values beside results on other data: marked (default) or left out. */
export type OtherDataPaperValues = 'mark' | 'omit';

/** Short description of a group's data: testbed profile and seed, raw path, or generator. */
export function dataLabel(spec: RunSpec): string {
  const d = spec.dataset;
  if (d.kind === 'testbed') return `testbed ${d.profile} s${d.seed}`;
  if (d.kind === 'raw') return `raw ${path.basename(d.path)}`;
  return `generated ${d.generator}`;
}

function columns(def: TableDef): string[] {
  return ['Method', 'Variant', 'Data', 'System', 'Setting', 'Seeds', ...def.metrics.flatMap((m) => [m, `${m} (paper)`])];
}

const systemOrder = (s: string): number => (s === 'TT' ? 0 : s === 'SN' ? 1 : 2);

function sortGroups(groups: AggregatedGroup[]): AggregatedGroup[] {
  return groups.slice().sort((a, b) =>
    systemOrder(a.spec.dataset.system) - systemOrder(b.spec.dataset.system) ||
    a.spec.method.name.localeCompare(b.spec.method.name) ||
    variantLabel(a.spec.method).localeCompare(variantLabel(b.spec.method)) ||
    dataLabel(a.spec).localeCompare(dataLabel(b.spec)) ||
    a.configHash.localeCompare(b.configHash));
}

/**
 * Build one table from the groups of one protocol. `registered` = registry method names, used to tell
 * "not implemented" from "not run".
 */
export function buildPaperTable(def: TableDef, groups: readonly AggregatedGroup[], registered: readonly string[], protocol: string, otherData: OtherDataPaperValues = 'mark'): Table {
  const rows: string[][] = [];
  const paperRows = def.paperRows();
  const inTable = groups.filter((g) => def.accepts(g.spec.method));
  const paperCells = (row: string | null, system: 'TT' | 'SN', metric: string, onPaperData = true): string => {
    if (row === null) return '–';
    const v = def.paperValue(row, system, metric);
    if (v === undefined) return '–';
    if (onPaperData) return fmt(v);
    return otherData === 'omit' ? '–' : `${fmt(v)} (${system}, other data)`;
  };
  const groupRows = (g: AggregatedGroup, label: string, row: string | null): void => {
    for (const setting of def.settings) {
      rows.push([
        label, variantLabel(g.spec.method), dataLabel(g.spec), g.spec.dataset.system, setting.label, String(g.seeds.length),
        ...def.metrics.flatMap((m) => [ourCell(g, setting.keys[m]), paperCells(row, g.spec.dataset.system, m, isPaperData(g.spec))]),
      ]);
    }
  };
  const registeredNorm = new Set(registered.map(norm));
  for (const row of paperRows) {
    const mine = sortGroups(inTable.filter((g) => paperRowOf(g.spec.method, paperRows) === row));
    if (mine.length > 0) {
      for (const g of mine) groupRows(g, row, row);
      continue;
    }
    const methodName = row.startsWith('Eadro') ? 'eadro' : row;
    const status = registeredNorm.has(norm(methodName)) || registeredNorm.has(rowMethod(row)) ? 'not run' : 'not implemented';
    for (const system of ['TT', 'SN'] as const) {
      rows.push([row, '', '', system, '', '0', ...def.metrics.flatMap((m) => [status, paperCells(row, system, m)])]);
    }
  }
  if (def.showUnmapped) {
    for (const g of sortGroups(inTable.filter((x) => paperRowOf(x.spec.method, paperRows) === null))) groupRows(g, g.spec.method.name, null);
  }
  // Trivial levels of each distinct test set (system + data) in this protocol.
  const seen = new Set<string>();
  for (const g of sortGroups([...groups])) {
    const key = `${g.spec.dataset.system}\u0000${dataLabel(g.spec)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const prevalence = fmt(g.trivial['prevalence']);
    for (const [label, keys] of [
      [`all-anomalous (analytic, prevalence ${prevalence})`, def.trivial.allAnomalous],
      ['random ranking (chance)', def.trivial.random],
    ] as const) {
      if (Object.keys(keys).length === 0) continue;
      rows.push([label, '', dataLabel(g.spec), g.spec.dataset.system, 'expected value', '',
        ...def.metrics.flatMap((m) => [keys[m] === undefined ? '–' : fmt(g.trivial[keys[m] as string]), '–'])]);
    }
  }
  const warnings = sortGroups(inTable).flatMap((g) => g.warnings.map((w) => `Warning, ${g.spec.method.name} on ${g.spec.dataset.system} (config ${g.configHash}): ${w}`));
  return { title: `${def.title} (protocol: ${protocol})`, columns: columns(def), rows, notes: [CELL_NOTE, ...def.notes, ...warnings] };
}

/** File name (relative to the tables folder) → content, for every table of every protocol present. */
export function renderPaperTables(groups: readonly AggregatedGroup[], registered: readonly string[], otherData: OtherDataPaperValues = 'mark'): Map<string, string> {
  const files = new Map<string, string>();
  const protocols = [...new Set(groups.map((g) => g.spec.protocol.name))].sort();
  for (const protocol of protocols) {
    const mine = groups.filter((g) => g.spec.protocol.name === protocol);
    const md: string[] = [`# Paper tables, protocol ${protocol}`, ''];
    for (const def of tableDefs) {
      const t = buildPaperTable(def, mine, registered, protocol, otherData);
      files.set(`${protocol}/${def.id}.md`, toMarkdown(t));
      files.set(`${protocol}/${def.id}.csv`, toCsv(t));
      files.set(`${protocol}/${def.id}.tex`, toLatex(t));
      md.push(toMarkdown(t));
    }
    files.set(`${protocol}/tables.md`, md.join('\n'));
  }
  for (const [name, content] of coverageFiles(groups)) files.set(name, content);
  return files;
}

/**
 * `episode-disjoint` coverage tables, one per dataset and fold seed (folds depend on the seed): which
 * (service, fault type) pairs of each test fold training never saw.
 */
function coverageFiles(groups: readonly AggregatedGroup[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const g of sortGroups(groups.filter((x) => x.spec.protocol.name === 'episode-disjoint'))) {
    for (const [seed, rows] of g.coverage) {
      const name = `episode-disjoint/coverage-${g.spec.dataset.system}-${dataLabel(g.spec).replace(/[^A-Za-z0-9]+/g, '-')}-seed${seed}.md`;
      if (!files.has(name)) files.set(name, `# Fold coverage: ${g.spec.dataset.system}, ${dataLabel(g.spec)}, seed ${seed}\n\n${coverageMarkdown(rows)}`);
    }
  }
  return files;
}

/** Write rendered tables under `dir` atomically; returns the written paths. */
export function writeRenderedTables(dir: string, files: ReadonlyMap<string, string>): string[] {
  const written: string[] = [];
  for (const [rel, content] of files) {
    const file = path.join(dir, rel);
    writeFileAtomic(file, content);
    written.push(file);
  }
  return written;
}
