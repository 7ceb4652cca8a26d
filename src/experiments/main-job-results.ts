/**
 * What the main job shows of its own runs beyond the paper tables: Table IV as a report section
 * (each ablation beside the full model, with intervals and paired differences), one figure each for
 * RQ1 (detection) and RQ2 (localization) with the paper's values marked, and Fig. 7 (t-SNE of the
 * fused representations) from the models the job trained.
 */
import type { FigureEntry } from '../figures/catalog.js';
import { comparisonFigure, type ComparisonPanel, type ComparisonRow } from '../figures/comparison.js';
import { representationFigure } from '../figures/model-figures.js';
import { aggregateRuns, compareRuns, type AggregateOptions, type AggregatedGroup } from './aggregate.js';
import { calibrationDefaults, expectedCalibrationError } from '../evaluation/calibration.js';
import { meanAndSampleStd } from '../core/stats.js';
import { confusionCounts, detectionFromCounts } from '../evaluation/metrics.js';
import { ablations, type Ablation } from './config.js';
import { formatDifference, formatMetric, isLocalizerOnly, paperRowOf, tableDefs } from './paper-tables.js';
import { ablationLabels, representationSet, storedCheckpointRun, storedRepresentation, type SystemName } from './representations.js';
import type { StoredRun } from './store.js';
import type { WindowDataset } from '../windows/types.js';

export const mainJobResultsDefaults = {
  /** The protocol the report's comparisons, Table IV and the figures use (the honest one; reproduce.ts margins too). */
  protocol: 'temporal',
  systems: ['TT', 'SN'] as SystemName[],
  /** Table IV's columns: [stored metric key, label, the paper's metric name or null]. */
  ablationMetrics: [
    ['det.f1', 'F1 (TN counted)', 'F1'],
    ['det.mcc', 'MCC', null],
    ['det.prAuc', 'PR-AUC', null],
    ['loc.e2e.hr@1', 'HR@1 end-to-end', 'HR@1'],
    ['loc.e2e.hr@5', 'HR@5 end-to-end', 'HR@5'],
  ] as [string, string, string | null][],
  /** Metrics whose paired difference (full model − ablation) the section shows. */
  ablationDifferences: ['det.mcc', 'loc.e2e.hr@1'],
  /** Paper §V-G: Fig. 7 shows SN's test set for these variants. */
  fig7System: 'SN' as SystemName,
  fig7Ablations: ['none', 'without-logs', 'without-kpis'] as Ablation[],
};

const fmt = formatMetric;

/** Eadro's runs of one variant and ablation on one system under one protocol. */
function ablationRuns(runs: readonly StoredRun[], system: string, ablation: Ablation, protocol: string, variant: 'paper' | 'reference' = 'paper'): StoredRun[] {
  return runs.filter((r) => {
    const s = r.metrics.spec;
    return s.method.name === 'eadro' && (s.method.variant ?? 'paper') === variant && (s.method.ablation ?? 'none') === ablation && s.dataset.system === system && s.protocol.name === protocol;
  });
}

/** A cell: mean [95 % CI] from the aggregated group of these runs. */
function cell(group: AggregatedGroup | undefined, key: string): string {
  const m = group?.metrics[key];
  if (m === undefined || m.mean === null) return 'n/a';
  const ci = group!.ci[key];
  return ci !== undefined && Number.isFinite(ci.lo) ? `${fmt(m.mean)} [${fmt(ci.lo)}, ${fmt(ci.hi)}]` : fmt(m.mean);
}

/**
 * Table IV (RQ3) from the store: per system, the full model and each ablation under `protocol`, each
 * metric with its 95 % cluster-bootstrap interval over fault episodes, the paired difference full −
 * ablation on the same test episodes for MCC and HR@1, and the paper's Table IV values.
 */
export function ablationSection(runs: readonly StoredRun[], opts: AggregateOptions = {}): string {
  const d = mainJobResultsDefaults;
  const table4 = tableDefs.find((t) => t.id === 'table4')!;
  const paperRows = table4.paperRows();
  const header = ['system', 'model', ...d.ablationMetrics.map(([, label]) => label), ...d.ablationDifferences.map((k) => `full − this, ${d.ablationMetrics.find(([m]) => m === k)?.[1] ?? k} [95 % CI]`), 'paper F1 / HR@1 / HR@5'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---|').join('')}`];
  for (const system of d.systems) {
    const full = ablationRuns(runs, system, 'none', d.protocol);
    if (full.length === 0) continue;
    for (const ablation of ablations) {
      const mine = ablationRuns(runs, system, ablation, d.protocol);
      const group = mine.length === 0 ? undefined : aggregateRuns(mine, opts)[0];
      const cells = d.ablationMetrics.map(([key]) => (mine.length === 0 ? 'not run' : cell(group, key)));
      const diffs = d.ablationDifferences.map((key) => {
        if (ablation === 'none') return '–';
        if (mine.length === 0) return 'not run';
        return formatDifference(compareRuns(full, mine, key, opts));
      });
      const row = paperRowOf({ name: 'eadro', ablation }, paperRows);
      const paper = row === null ? 'n/a' : ['F1', 'HR@1', 'HR@5'].map((m) => fmt(table4.paperValue(row, system as 'TT' | 'SN', m))).join(' / ');
      lines.push(`| ${system} | ${ablationLabels[ablation]} | ${[...cells, ...diffs, paper].join(' | ')} |`);
    }
  }
  return lines.length === 2 ? '(no Eadro runs under `temporal` in the store)' : lines.join('\n');
}

/** Mean of the finite values, or null. */
const meanOf = (xs: readonly (number | null | undefined)[]): number | null => meanAndSampleStd(xs).mean;

/**
 * The detector's cut and its calibration (issue 25), per system and variant (full model, `protocol`):
 * the cut chosen on validation (rule, mean value over seeds), the selected epoch's validation loss beside
 * the lowest, epochs refused for a run-away validation loss, validation and test ECE, and test F1 and
 * MCC at the fixed 0.5 and at the chosen cut (recomputed from the stored probabilities). Means over
 * seeds; folds pooled per run.
 */
export function thresholdSection(runs: readonly StoredRun[]): string {
  const d = mainJobResultsDefaults;
  const header = ['system', 'variant', 'seeds', 'cut (rule)', 'val loss selected / lowest', 'run-away epochs', 'ECE val / test', 'F1 at 0.5 / at cut', 'MCC at 0.5 / at cut'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---|').join('')}`];
  for (const system of d.systems) {
    for (const variant of ['paper', 'reference'] as const) {
      const mine = ablationRuns(runs, system, 'none', d.protocol, variant);
      if (mine.length === 0) {
        lines.push(`| ${system} | ${variant} | 0 | not run | | | | | |`);
        continue;
      }
      const infos = mine.flatMap((r) => r.metrics.info.filter((i): i is Record<string, unknown> => i !== null));
      const num = (k: string): (number | null)[] => infos.map((i) => (typeof i[k] === 'number' ? (i[k] as number) : null));
      const rules = [...new Set(infos.map((i) => String(i['thresholdRule'] ?? 'fixed (older run)')))].join(', ');
      const at = (r: StoredRun, cut: 'half' | 'chosen'): { f1: number | null; mcc: number | null } => {
        const p = r.predictions;
        const decisions = cut === 'chosen' || p.anomalyScore === null ? p.predictedAnomalous : p.anomalyScore.map((x) => x >= calibrationDefaults.fallbackThreshold);
        const m = detectionFromCounts(confusionCounts(p.labels, decisions));
        return { f1: m['det.f1'] ?? null, mcc: m['det.mcc'] ?? null };
      };
      const half = mine.map((r) => at(r, 'half'));
      const chosen = mine.map((r) => at(r, 'chosen'));
      const testEce = mine.map((r) => (r.predictions.anomalyScore === null ? null : expectedCalibrationError(r.predictions.anomalyScore, r.predictions.labels.map((l) => l >= 0))));
      const pair = (a: number | null, b: number | null): string => `${a === null ? 'n/a' : fmt(a)} / ${b === null ? 'n/a' : fmt(b)}`;
      lines.push(`| ${system} | ${variant} | ${mine.length} | ${meanOf(num('threshold')) === null ? 'n/a' : fmt(meanOf(num('threshold'))!)} (${rules}) | ` +
        `${pair(meanOf(num('selectedValLoss')), meanOf(num('lowestValLoss')))} | ${meanOf(num('runawayEpochs')) ?? 'n/a'} | ` +
        `${pair(meanOf(num('validationEce')), meanOf(testEce))} | ${pair(meanOf(half.map((x) => x.f1)), meanOf(chosen.map((x) => x.f1)))} | ` +
        `${pair(meanOf(half.map((x) => x.mcc)), meanOf(chosen.map((x) => x.mcc)))} |`);
    }
  }
  return lines.join('\n');
}


/**
 * Per fault type (issue 25): for every method's full model under `protocol`, the share of the faulty
 * test windows of each type that it flags, and the share it flags AND ranks the culprit first (HR@1
 * end-to-end); seeds pooled. `faultTypes[system]` is the dataset's per-window fault type (meta.faultType,
 * '' for normal windows). Methods given the true anomaly existence show '–' for detection. The last
 * column is the share of normal test windows flagged (the price of the detection rates).
 */
export function faultTypeSection(runs: readonly StoredRun[], faultTypes: Record<string, readonly string[]>): string {
  const d = mainJobResultsDefaults;
  const out: string[] = [];
  for (const system of d.systems) {
    const types = faultTypes[system];
    const mine = runs.filter((r) => {
      const s = r.metrics.spec;
      return s.dataset.system === system && s.protocol.name === d.protocol && (s.method.ablation ?? 'none') === 'none';
    });
    if (types === undefined || mine.length === 0) continue;
    const testTypes = [...new Set(mine.flatMap((r) => r.predictions.windows.map((w) => types[w] ?? '')))].filter((t) => t !== '').sort();
    const header = ['method', ...testTypes.map((t) => `${t}: flagged / HR@1 e2e`), 'normal flagged'];
    out.push(`**${system}**`, '', `| ${header.join(' | ')} |`, `|${header.map(() => '---|').join('')}`);
    const rowOf = (r: StoredRun): string => `${r.metrics.spec.method.name}${r.metrics.spec.method.variant === 'reference' ? ' (reference)' : ''}`;
    for (const key of new Set(mine.map(rowOf))) {
      const group = mine.filter((r) => rowOf(r) === key);
      // Localizers handed the true anomaly existence (the paper tables' localizer-only methods): their
      // detection is not theirs to judge.
      const given = isLocalizerOnly(group[0]!.metrics.spec.method);
      const cells = testTypes.map((t) => {
        let n = 0;
        let flagged = 0;
        let first = 0;
        let ranked = true;
        for (const r of group) {
          const p = r.predictions;
          p.windows.forEach((w, b) => {
            if (types[w] !== t) return;
            n++;
            if (p.predictedAnomalous[b]) flagged++;
            if (p.ranking === null) ranked = false;
            else if (p.predictedAnomalous[b] && p.ranking[b]![0] === p.labels[b]) first++;
          });
        }
        return `${given ? '–' : fmt(flagged / n)} / ${ranked ? fmt(first / n) : '–'}`;
      });
      let normal = 0;
      let normalFlagged = 0;
      for (const r of group) r.predictions.labels.forEach((l, b) => (l < 0 ? (normal++, r.predictions.predictedAnomalous[b] && normalFlagged++) : 0));
      out.push(`| ${key} | ${cells.join(' | ')} | ${given || normal === 0 ? '–' : fmt(normalFlagged / normal)} |`);
    }
    out.push('');
  }
  return out.length === 0 ? '(no runs under `temporal` in the store)' : out.join('\n').trimEnd();
}

/** The full-model groups of the methods a paper table accepts, under `protocol`, for one system. */
function tableGroups(runs: readonly StoredRun[], tableId: 'table2' | 'table3', system: string, protocol: string, opts: AggregateOptions): AggregatedGroup[] {
  const def = tableDefs.find((t) => t.id === tableId)!;
  const mine = runs.filter((r) => {
    const s = r.metrics.spec;
    return s.dataset.system === system && s.protocol.name === protocol && def.accepts(s.method) && (s.method.ablation ?? 'none') === 'none' && (s.method.variant ?? 'paper') === 'paper';
  });
  return aggregateRuns(mine, opts);
}

function panel(groups: readonly AggregatedGroup[], tableId: 'table2' | 'table3', system: SystemName, key: string, paperMetric: string | null, title: string, reference?: (g: AggregatedGroup) => number | null, referenceLabel?: string): ComparisonPanel {
  const def = tableDefs.find((t) => t.id === tableId)!;
  const paperRows = def.paperRows();
  const rows: ComparisonRow[] = groups.map((g) => {
    const m = g.metrics[key];
    const ci = g.ci[key];
    const row = paperRowOf(g.spec.method, paperRows);
    const paper = row === null || paperMetric === null ? undefined : def.paperValue(row, system, paperMetric);
    const value = m?.mean ?? null;
    return {
      // the paper's row name where it has one (budget and settings are in the report's tables)
      method: row ?? g.spec.method.name,
      value: value !== null && Number.isFinite(value) ? value : null,
      lo: value !== null && ci !== undefined && Number.isFinite(ci.lo) ? ci.lo : null,
      hi: value !== null && ci !== undefined && Number.isFinite(ci.hi) ? ci.hi : null,
      ...(paper === undefined ? {} : { paper }),
    };
  });
  const refs = reference === undefined ? [] : groups.map(reference).filter((v): v is number => v !== null && Number.isFinite(v));
  return {
    title: `${system} · ${title}`,
    rows,
    ...(refs.length === 0 || referenceLabel === undefined ? {} : { reference: { value: refs.reduce((a, b) => a + b, 0) / refs.length, label: referenceLabel } }),
  };
}

/** RQ1 (detection) and RQ2 (localization) as figures: our values with intervals, the paper's marked. */
export function resultFigureEntries(runs: readonly StoredRun[], opts: AggregateOptions = {}): FigureEntry[] {
  const d = mainJobResultsDefaults;
  const rq1: ComparisonPanel[] = [];
  const rq2: ComparisonPanel[] = [];
  for (const system of d.systems) {
    const det = tableGroups(runs, 'table2', system, d.protocol, opts);
    if (det.length > 0) {
      rq1.push(panel(det, 'table2', system, 'det.f1', 'F1', 'F1 (TN counted)', (g) => g.trivial['allAnomalous.det.f1'] ?? null, 'flag every window'));
      rq1.push(panel(det, 'table2', system, 'det.mcc', null, 'MCC', () => 0, 'chance'));
    }
    const loc = tableGroups(runs, 'table3', system, d.protocol, opts);
    if (loc.length > 0) {
      rq2.push(panel(loc, 'table3', system, 'loc.e2e.hr@1', 'HR@1', 'HR@1 end-to-end', (g) => g.trivial['random.loc.e2e.hr@1'] ?? null, 'random ranking'));
      rq2.push(panel(loc, 'table3', system, 'loc.e2e.hr@5', 'HR@5', 'HR@5 end-to-end', (g) => g.trivial['random.loc.e2e.hr@5'] ?? null, 'random ranking'));
    }
  }
  const entries: FigureEntry[] = [];
  const interval = '95 % cluster-bootstrap CI over fault episodes';
  if (rq1.length > 0) {
    entries.push({
      id: 'rq1-detection',
      paperFigure: 'RQ1 (Table II as a figure)',
      caption: `Anomaly detection under \`${d.protocol}\`: each method's F1 and MCC (mean over seeds, ${interval}); crosses: the paper's F1 (Table II). F1 is shown beside the flag-everything level (dotted), which it can reach without detecting anything; MCC is 0 at chance.`,
      source: 'model',
      figure: comparisonFigure({ title: `RQ1: anomaly detection (${d.protocol})`, panels: rq1, intervalLabel: interval }),
    });
  }
  if (rq2.length > 0) {
    entries.push({
      id: 'rq2-localization',
      paperFigure: 'RQ2 (Table III as a figure)',
      caption: `Root-cause localization under \`${d.protocol}\`, end to end (a missed faulty window counts as a miss): HR@1 and HR@5 (mean over seeds, ${interval}); crosses: the paper's values (Table III, computed there with the reference formula); dotted: random ranking.`,
      source: 'model',
      figure: comparisonFigure({ title: `RQ2: root-cause localization (${d.protocol})`, panels: rq2, intervalLabel: interval }),
    });
  }
  return entries;
}

/**
 * Fig. 7 from the models the job trained: H_F of the abnormal test windows of SN under `temporal`,
 * one t-SNE panel per variant (full model, without logs, without KPIs), each recomputed from the run's
 * selected checkpoint. Null when a variant has no stored model.
 */
export async function fig7Entry(runs: readonly StoredRun[]): Promise<{ entry: FigureEntry; sources: string[] } | null> {
  const d = mainJobResultsDefaults;
  const sets = [];
  const sources: string[] = [];
  const windowsCache = new Map<string, WindowDataset>();
  for (const ablation of d.fig7Ablations) {
    const stored = storedCheckpointRun(runs, d.fig7System, ablation);
    if (stored === null) return null;
    const r = await storedRepresentation(stored, ablation, windowsCache);
    sets.push(representationSet(ablation, r.ds, r.windows, r.prediction));
    sources.push(`${ablationLabels[ablation]}: epoch ${r.epoch} of its run, ${r.windows.length} abnormal test windows`);
  }
  const { figure, panels } = representationFigure(sets, { title: `Fig. 7: t-SNE of the fused representations, ${d.fig7System} abnormal test windows (${d.protocol})` });
  return {
    entry: {
      id: 'fig7-tsne',
      paperFigure: 'Fig. 7',
      caption: `t-SNE of H_F of the ${d.fig7System} abnormal test windows for ${panels.map((p) => p.variant).join(', ')} (the models this job trained, under \`${d.protocol}\`), coloured by root cause; each panel title gives the leave-one-out 1-NN accuracy of the root causes in 2-D (the paper shows Eadro's clusters as the cleanest).`,
      source: 'model',
      figure,
    },
    sources,
  };
}
