/**
 * Scores `eadro_reference.py train` results with OUR metrics (src/evaluation): the port's RESULT.json
 * files carry each test window's P(anomalous) and top-5 services, so F1, MCC, PR-AUC, HR@k and the
 * flag rates by evidence class (evaluation/detectability.ts) are computed here by the same code that
 * scores our tfjs runs, next to the trivial levels of the same test windows. Runs are grouped by
 * variant and training budget; each group gives mean ± sd over its seeds.
 *
 *   npx tsx scripts/pytorch/summarize.ts --data <raw-dir> [--stride 2] [--out FILE.json] RESULT.json...
 *
 * `--data` (and `--stride`) must name the telemetry the results were trained on: the windows are
 * rebuilt through the cache and their checksum, count and labels are checked against each result.
 * With a testbed folder (testbed.json with symptomSeconds) the flag rates by evidence class are added.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { EadroError } from '../../src/core/errors.js';
import { writeJsonAtomic } from '../../src/core/io.js';
import { meanAndSampleStd } from '../../src/core/stats.js';
import { computeMetrics, type MetricRecord } from '../../src/evaluation/metrics.js';
import { allAnomalousLevels, randomHitRate } from '../../src/evaluation/trivial.js';
import { detectabilityCeiling, flaggedByEvidence, windowEvidence } from '../../src/evaluation/detectability.js';
import { testbedFaults } from '../../src/experiments/datasets.js';
import { loadWindows } from '../../src/experiments/model-cli.js';

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
  model: { config: { variant: string; batchSize: number; maxEpochs: number; patience: number; learningRate: number } };
  predictions?: { windows: number[]; anomalyProbability: number[]; top5: number[][] };
}

export interface RunScore {
  file: string;
  seed: number;
  bestEpoch: number;
  epochsRun: number;
  /** The epoch whose training loss was not finite (the port stops there and keeps the selected epoch). */
  divergedAtEpoch: number | null;
  /** Where it ran: device, torch version, GPU. */
  ranOn: string;
  metrics: MetricRecord;
  flagged: { normal: number | null; symptom: number | null; silent: number | null } | null;
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

export function groupKey(r: PortResult): string {
  const c = r.model.config;
  return `${c.variant} batch ${c.batchSize}, ${c.maxEpochs} epochs, patience ${c.patience}`;
}

export async function main(argv: string[], print: (text: string) => void = (t) => process.stdout.write(t)): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { data: { type: 'string' }, stride: { type: 'string' }, out: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.data === undefined) throw new EadroError('Missing flag.', { field: '--data', expected: 'the raw telemetry folder the results were trained on' });
  if (positionals.length === 0) throw new EadroError('No result files given.', { field: 'RESULT.json...', expected: 'one or more eadro_reference.py train results' });
  const stride = values.stride === undefined ? null : Number(values.stride);
  if (stride !== null && !(Number.isInteger(stride) && stride >= 1)) throw new EadroError('Bad flag value.', { field: '--stride', expected: 'an integer >= 1', found: values.stride });
  const loaded = await loadWindows(values.data, stride === null ? {} : { stride });
  const ds = loaded.dataset;
  const checksum = loaded.info.checksum?.sha256 ?? null;
  const faults = loaded.kind === 'raw' ? testbedFaults(loaded.path) : null;
  const evidence = faults === null ? null : windowEvidence({ starts: ds.meta.start, labels: ds.labels, nodes: ds.nodes, T: ds.T }, faults);

  const groups = new Map<string, RunScore[]>();
  let testWindows: number[] | null = null;
  for (const file of positionals) {
    const r = readResult(file);
    const source = r.dataset.provenance?.sourceChecksum ?? null;
    if (r.dataset.W !== ds.W || (source !== null && checksum !== null && source !== checksum)) {
      throw new EadroError('The result was trained on other windows than --data gives.', { file, field: 'dataset.W / dataset.provenance.sourceChecksum', expected: `${ds.W} windows of ${checksum}`, found: `${r.dataset.W} windows of ${source}` });
    }
    const p = r.predictions!;
    if (testWindows === null) testWindows = p.windows;
    else if (testWindows.join() !== p.windows.join()) throw new EadroError('Results differ in their test windows.', { file, field: 'predictions.windows', expected: 'the same split for every result' });
    const labels = p.windows.map((w) => ds.labels[w]!);
    const predictedAnomalous = p.anomalyProbability.map((x) => x >= summarizeDefaults.threshold);
    const metrics = computeMetrics({ labels, anomalyScore: p.anomalyProbability, predictedAnomalous, ranking: p.top5 });
    const flagged = evidence === null ? null : flaggedByEvidence(evidence, p.windows, predictedAnomalous);
    const key = groupKey(r);
    if (!groups.has(key)) groups.set(key, []);
    const ranOn = [r.device ?? '?', r.environment?.gpu ?? null, r.environment?.torch === undefined ? null : `torch ${r.environment.torch}`].filter((x) => x !== null).join(', ');
    groups.get(key)!.push({ file: path.basename(file), seed: r.seed, bestEpoch: r.bestEpoch, epochsRun: r.epochsRun, divergedAtEpoch: r.divergedAtEpoch ?? null, ranOn, metrics, flagged });
  }

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
  };
  const fmt = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : x.toFixed(3));
  const lines = [
    `${loaded.path} (${ds.nodes.length} services; ${test.length} test windows, prevalence ${fmt(faultyShare)}; flagging everything: F1 ${fmt(trivial.allAnomalousF1)}; random HR@1 ${fmt(trivial.randomHR1)}, HR@5 ${fmt(trivial.randomHR5)}${trivial.ceiling ? `; per-window ceiling F1 ${fmt(trivial.ceiling.ceilingF1)}` : ''})`,
    '',
    `| runs | seeds | diverged | ${[...summarizeDefaults.metrics, 'flagged normal / symptom / silent'].join(' | ')} |`,
    `|---|---|---|${[...summarizeDefaults.metrics, ''].map(() => '---').join('|')}|`,
  ];
  for (const g of summaries) {
    const cell = (k: string): string => `${fmt(g.mean[k])}${g.sd[k] === null ? '' : ` ± ${fmt(g.sd[k])}`}`;
    lines.push(`| ${g.group} | ${g.runs.length} | ${g.runs.filter((r) => r.divergedAtEpoch !== null).length} | ${summarizeDefaults.metrics.map(cell).join(' | ')} | ${fmt(g.mean['flagged.normal'])} / ${fmt(g.mean['flagged.symptom'])} / ${fmt(g.mean['flagged.silent'])} |`);
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
