/**
 * Scores `eadro_reference.py train` results with OUR metrics (src/evaluation): the port's RESULT.json
 * files carry each test window's P(anomalous) and top-5 services, so F1, MCC, PR-AUC, HR@k and the
 * flag rates by evidence class (evaluation/detectability.ts) are computed here by the same code that
 * scores our tfjs runs, next to the trivial levels of the same test windows. Runs are grouped by
 * implementation, variant and training budget; each group gives mean ± sd over its seeds.
 *
 *   npx tsx scripts/pytorch/summarize.ts --data <raw-dir> [--stride 3] [--store GRID-OUT]... [--out FILE.json] RESULT.json...
 *
 * `--store` adds OUR Eadro runs of a grid results folder (`eadro grid ... --out GRID-OUT`) made from the
 * same telemetry (their manifest's dataset checksum), scored by the same code from their stored
 * predictions, in groups of their own ("tfjs ..."), so both implementations read side by side.
 *
 * `--data` (and `--stride`) must name the telemetry the results were trained on: the windows are
 * rebuilt through the cache and their count and raw-data checksum are checked against each result
 * (labels are taken from these windows). With a testbed folder (testbed.json) the flag rates by
 * evidence class (symptomSeconds) and of the normal windows by distractor (clean / job / neighbour)
 * are added.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { EadroError } from '../../src/core/errors.js';
import { writeJsonAtomic } from '../../src/core/io.js';
import { meanAndSampleStd } from '../../src/core/stats.js';
import { computeMetrics, type MetricRecord } from '../../src/evaluation/metrics.js';
import { allAnomalousLevels, randomHitRate } from '../../src/evaluation/trivial.js';
import { detectabilityCeiling, flaggedByContext, flaggedByEvidence, normalWindowContext, windowEvidence } from '../../src/evaluation/detectability.js';
import { testbedDistractors, testbedFaults } from '../../src/experiments/datasets.js';
import { loadWindows } from '../../src/experiments/model-cli.js';
import { windowConfigHashOf } from '../../src/windows/cache.js';
import type { WindowConfig } from '../../src/windows/build.js';
import { listFinishedRuns, storedDatasetChecksum, type StoredRun } from '../../src/experiments/store.js';
import { resolveEadroConfig, type EadroConfig } from '../../src/models/eadro/config.js';
import { ablationToModel, eadroMethodDefaults } from '../../src/experiments/methods/eadro.js';
import { BUDGET_PARAMS, formatMetric as fmt } from '../../src/experiments/paper-tables.js';

export const summarizeDefaults = {
  threshold: 0.5, // methods/eadro.ts: flagged when P(anomalous) >= 0.5 (as the port's own test metrics)
  metrics: ['det.f1', 'det.mcc', 'det.prAuc', 'det.fpr', 'det.recall', 'loc.e2e.hr@1', 'loc.e2e.hr@5', 'loc.oracle.hr@1'] as const,
};

/** The part of a port RESULT.json (mode train) read here. */
interface PortResult {
  format: string;
  mode: string;
  seed: number;
  bestEpoch: number;
  epochsRun: number;
  divergedAtEpoch?: number | null;
  device?: string;
  environment?: { torch?: string; gpu?: string | null; argv?: string[] };
  dataset: { W: number; N: number; provenance?: { sourceChecksum?: string | null; variant?: string } | null };
  model: { config: Partial<EadroConfig> & Pick<EadroConfig, 'variant' | 'batchSize' | 'maxEpochs' | 'patience'> };
  predictions?: { windows: number[]; anomalyProbability: number[]; top5: number[][] };
}

export interface RunScore {
  file: string;
  seed: number;
  bestEpoch: number;
  epochsRun: number;
  /** The epoch whose training loss was not finite (the port stops there and keeps the selected epoch). */
  divergedAtEpoch: number | null;
  /** What ran it: the port's device, GPU and torch version, or our training step. */
  ranOn: string;
  metrics: MetricRecord;
  flagged: { normal: number | null; symptom: number | null; silent: number | null } | null;
  /** Share of the normal windows flagged, by what they hold (detectability.ts normalWindowContext). */
  flaggedNormal: { clean: number | null; job: number | null; neighbour: number | null } | null;
}

export interface GroupSummary {
  group: string;
  runs: RunScore[];
  mean: Record<string, number | null>;
  sd: Record<string, number | null>;
}

function readResult(file: string): PortResult {
  let r: PortResult;
  try {
    r = JSON.parse(fs.readFileSync(file, 'utf8')) as PortResult;
  } catch (err) {
    throw new EadroError('Cannot read a port result.', { file, expected: 'RESULT.json of eadro_reference.py train', found: (err as Error).message });
  }
  if (r.mode !== 'train') throw new EadroError('Not a training result.', { file, field: 'mode', expected: 'train', found: String(r.mode) });
  if (r.predictions === undefined) throw new EadroError('The result holds no per-window predictions.', { file, field: 'predictions', expected: 'a result of eadro_reference.py from session 8 on' });
  const p = r.predictions;
  if (p.anomalyProbability.length !== p.windows.length || p.top5.length !== p.windows.length) {
    throw new EadroError('Prediction arrays differ in length.', { file, field: 'predictions', expected: 'windows, anomalyProbability and top5 of one length' });
  }
  return r;
}

/**
 * Group label: implementation, variant, every setting that differs from the variant's defaults (the
 * rule of the tables' Variant column: budget params aside, paper-tables.ts BUDGET_PARAMS), then the
 * training budget. `config` is a resolved config: ours, or the one the port records (keys our config
 * does not have are ignored).
 */
export function groupKey(impl: 'PyTorch port' | 'tfjs', config: Partial<EadroConfig> & Pick<EadroConfig, 'variant' | 'batchSize' | 'maxEpochs' | 'patience'>): string {
  const defaults = resolveEadroConfig({ variant: config.variant }) as unknown as Record<string, unknown>;
  const changed = Object.entries(config)
    .filter(([k, v]) => k !== 'variant' && !BUDGET_PARAMS.has(k) && k in defaults && JSON.stringify(v) !== JSON.stringify(defaults[k]))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => ` ${k}=${Array.isArray(v) ? v.join(',') : String(v)}`);
  return `${impl} ${config.variant}${changed.join('')} batch ${config.batchSize}, ${config.maxEpochs} epochs, patience ${config.patience}`;
}

/** Our Eadro runs in a grid store made from the data with `checksum` (other datasets and methods skipped). */
function storeRuns(store: string, checksum: string | null): StoredRun[] {
  if (!fs.existsSync(path.join(store, 'runs'))) throw new EadroError('Not a grid results folder.', { file: store, field: '--store', expected: 'a folder with runs/ (eadro grid --out)' });
  return listFinishedRuns(store).filter((r) => r.metrics.spec.method.name === 'eadro' && checksum !== null && storedDatasetChecksum(r.dir) === checksum);
}

export async function main(argv: string[], print: (text: string) => void = (t) => process.stdout.write(t)): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { data: { type: 'string' }, stride: { type: 'string' }, out: { type: 'string' }, store: { type: 'string', multiple: true } },
    allowPositionals: true,
    strict: true,
  });
  if (values.data === undefined) throw new EadroError('Missing flag.', { field: '--data', expected: 'the raw telemetry folder the results were trained on' });
  if (positionals.length === 0 && values.store === undefined) throw new EadroError('No result files given.', { field: 'RESULT.json... / --store', expected: 'eadro_reference.py train results, or a grid results folder' });
  const stride = values.stride === undefined ? null : Number(values.stride);
  if (stride !== null && !(Number.isInteger(stride) && stride >= 1)) throw new EadroError('Bad flag value.', { field: '--stride', expected: 'an integer >= 1', found: values.stride });
  const loaded = await loadWindows(values.data, stride === null ? {} : { stride });
  const ds = loaded.dataset;
  const checksum = loaded.info.checksum?.sha256 ?? null;
  const faults = loaded.kind === 'raw' ? testbedFaults(loaded.path) : null;
  const evidence = faults === null ? null : windowEvidence({ starts: ds.meta.start, labels: ds.labels, nodes: ds.nodes, T: ds.T }, faults);
  const distractors = loaded.kind === 'raw' ? testbedDistractors(loaded.path) : null;
  const context = distractors === null ? null : normalWindowContext({ starts: ds.meta.start, labels: ds.labels, T: ds.T }, distractors);

  const groups = new Map<string, RunScore[]>();
  let testWindows: number[] | null = null;
  const add = (key: string, file: string, windows: number[], score: Omit<RunScore, 'metrics' | 'flagged' | 'flaggedNormal' | 'file'>, anomalyScore: number[], predictedAnomalous: boolean[], ranking: number[][]): void => {
    if (testWindows === null) testWindows = windows;
    else if (testWindows.join() !== windows.join()) throw new EadroError('Results differ in their test windows.', { file, field: 'predictions.windows', expected: 'the same split for every result' });
    const labels = windows.map((w) => ds.labels[w]!);
    const metrics = computeMetrics({ labels, anomalyScore, predictedAnomalous, ranking });
    const flagged = evidence === null ? null : flaggedByEvidence(evidence, windows, predictedAnomalous);
    const byContext = context === null ? null : flaggedByContext(context, windows, predictedAnomalous);
    const flaggedNormal = byContext === null ? null : { clean: byContext.clean.flagged, job: byContext.job.flagged, neighbour: byContext.neighbour.flagged };
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push({ file, ...score, metrics, flagged, flaggedNormal });
  };
  for (const store of values.store ?? []) {
    for (const run of storeRuns(store, checksum)) {
      // the same telemetry cut into other windows (another stride...) would put the run's window
      // indices on the wrong windows: refuse, naming what differs
      const pipeline = run.metrics.spec.pipeline as Partial<WindowConfig>;
      if (loaded.windowConfigHash !== null && windowConfigHashOf(pipeline) !== loaded.windowConfigHash) {
        throw new EadroError('A grid run was built from other windows than --data and --stride give.', {
          file: path.join(run.dir, 'metrics.json'),
          field: 'spec.pipeline',
          expected: JSON.stringify(stride === null ? {} : { stride }),
          found: JSON.stringify(pipeline),
          hint: 'pass the pipeline the grid used (e.g. --stride 3 for the quick testbed)',
        });
      }
      const method = run.metrics.spec.method;
      // As methods/eadro.ts builds it: params, variant, and the ablation as the model's `without` list.
      const config = resolveEadroConfig({
        ...(method.params as Partial<EadroConfig> | undefined),
        variant: (method.variant ?? eadroMethodDefaults.variant) as EadroConfig['variant'],
        without: ablationToModel[(method.ablation ?? 'none') as keyof typeof ablationToModel],
      });
      const info = (run.metrics.info[0] ?? {}) as { bestEpoch?: number; epochsRun?: number; divergedAtEpoch?: number | null; step?: string };
      const p = run.predictions;
      if (p.anomalyScore === null || p.ranking === null) continue;
      add(groupKey('tfjs', config), path.relative(store, run.dir), p.windows, { seed: run.metrics.seed, bestEpoch: info.bestEpoch ?? 0, epochsRun: info.epochsRun ?? 0, divergedAtEpoch: info.divergedAtEpoch ?? null, ranOn: `tfjs, ${info.step ?? '?'} step` }, p.anomalyScore, p.predictedAnomalous, p.ranking);
    }
  }
  for (const file of positionals) {
    const r = readResult(file);
    const source = r.dataset.provenance?.sourceChecksum ?? null;
    if (r.dataset.W !== ds.W || (source !== null && checksum !== null && source !== checksum)) {
      throw new EadroError('The result was trained on other windows than --data gives.', { file, field: 'dataset.W / dataset.provenance.sourceChecksum', expected: `${ds.W} windows of ${checksum}`, found: `${r.dataset.W} windows of ${source}` });
    }
    const p = r.predictions!;
    const ranOn = [r.device ?? '?', r.environment?.gpu ?? null, r.environment?.torch === undefined ? null : `torch ${r.environment.torch}`].filter((x) => x !== null).join(', ');
    add(groupKey('PyTorch port', r.model.config), path.basename(file), p.windows, { seed: r.seed, bestEpoch: r.bestEpoch, epochsRun: r.epochsRun, divergedAtEpoch: r.divergedAtEpoch ?? null, ranOn }, p.anomalyProbability, p.anomalyProbability.map((x) => x >= summarizeDefaults.threshold), p.top5);
  }
  if (groups.size === 0) throw new EadroError('No run to summarise.', { field: 'RESULT.json... / --store', expected: 'port results, or grid runs of Eadro on the same data' });

  const summaries: GroupSummary[] = [];
  for (const [group, runs] of groups) {
    runs.sort((a, b) => a.seed - b.seed);
    const m: Record<string, number | null> = {};
    const s: Record<string, number | null> = {};
    const columns: [string, (r: RunScore) => number | null | undefined][] = [
      ...summarizeDefaults.metrics.map((k) => [k, (r: RunScore) => r.metrics[k]] as [string, (r: RunScore) => number | null | undefined]),
      ['flagged.normal', (r) => r.flagged?.normal],
      ['flagged.symptom', (r) => r.flagged?.symptom],
      ['flagged.silent', (r) => r.flagged?.silent],
      ['flaggedNormal.clean', (r) => r.flaggedNormal?.clean],
      ['flaggedNormal.job', (r) => r.flaggedNormal?.job],
      ['flaggedNormal.neighbour', (r) => r.flaggedNormal?.neighbour],
    ];
    for (const [k, get] of columns) {
      const { mean, std } = meanAndSampleStd(runs.map(get));
      m[k] = mean;
      s[k] = std;
    }
    summaries.push({ group, runs, mean: m, sd: s });
  }

  const test = testWindows ?? [];
  const faultyShare = test.length === 0 ? Number.NaN : test.filter((w) => ds.labels[w]! >= 0).length / test.length;
  const trivial = {
    testWindows: test.length,
    prevalence: faultyShare,
    allAnomalousF1: allAnomalousLevels(faultyShare)['det.f1'] ?? null,
    randomHR1: randomHitRate(1, ds.nodes.length),
    randomHR5: randomHitRate(5, ds.nodes.length),
    ceiling: evidence === null ? null : detectabilityCeiling(evidence, test),
    normalWindows: context === null ? null : Object.fromEntries(Object.entries(flaggedByContext(context, test, test.map(() => false))).map(([k, v]) => [k, v.windows])),
  };
  const lines = [
    `${loaded.path} (${ds.nodes.length} services; ${test.length} test windows, prevalence ${fmt(faultyShare)}; flagging everything: F1 ${fmt(trivial.allAnomalousF1)}; random HR@1 ${fmt(trivial.randomHR1)}, HR@5 ${fmt(trivial.randomHR5)}${trivial.ceiling ? `; per-window ceiling F1 ${fmt(trivial.ceiling.ceilingF1)}` : ''}${trivial.normalWindows ? `; normal windows clean / with a job / with a neighbour only: ${trivial.normalWindows['clean']} / ${trivial.normalWindows['job']} / ${trivial.normalWindows['neighbour']}` : ''})`,
    '',
    `| group | seeds | diverged | ${[...summarizeDefaults.metrics, 'flagged normal / symptom / silent', 'normal flagged: clean / job / neighbour'].join(' | ')} |`,
    `|---|---|---|${[...summarizeDefaults.metrics, '', ''].map(() => '---').join('|')}|`,
  ];
  for (const g of summaries) {
    const cell = (k: string): string => `${fmt(g.mean[k])}${g.sd[k] === null ? '' : ` ± ${fmt(g.sd[k])}`}`;
    lines.push(`| ${g.group} | ${g.runs.length} | ${g.runs.filter((r) => r.divergedAtEpoch !== null).length} | ${summarizeDefaults.metrics.map(cell).join(' | ')} | ${fmt(g.mean['flagged.normal'])} / ${fmt(g.mean['flagged.symptom'])} / ${fmt(g.mean['flagged.silent'])} | ${fmt(g.mean['flaggedNormal.clean'])} / ${fmt(g.mean['flaggedNormal.job'])} / ${fmt(g.mean['flaggedNormal.neighbour'])} |`);
  }
  print(`${lines.join('\n')}\n`);
  if (values.out !== undefined) {
    writeJsonAtomic(values.out, {
      format: 'eadro-ts-pytorch-summary/1',
      data: { path: loaded.path, checksum, windowConfigHash: loaded.windowConfigHash, stride },
      threshold: summarizeDefaults.threshold,
      trivial,
      groups: summaries,
      table: lines,
    });
  }
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (invokedDirectly) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof EadroError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
