/**
 * Benchmark: the trace anomaly detectors of paper Table II (TraceAnomaly, MultimodalTrace; baselines.md
 * §3.3) at the main job's shapes: the `quick` testbed windows (the main job's stride) of TT and SN, `temporal` split,
 * seed 0, each run through the harness as `eadro reproduce --quick` runs it (at its stated budget), and
 * with `--budget authors` at the authors' budgets (their defaults; TraceAnomaly with its posterior
 * flow), capped by `--max-epochs` so that a run ends. Per method and system: wall seconds of fit and
 * evaluation, training seconds, epochs, training traces, inference microseconds per judged window
 * (measured by the method: every trace of the window scored, then the window rule), and the test
 * windows' F1, MCC and PR-AUC as the harness scores them.
 *
 *   npx tsx scripts/bench/trace-detectors.ts [--systems TT,SN] [--budget quick|authors] [--max-epochs N] [--out file]
 *
 * Writes results/bench/trace-detectors.json (or --out) with machine, load average and code version.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { activeBackend, initBackend, normalizeBackendRequest } from '../../src/core/backend.js';
import { writeJsonAtomic } from '../../src/core/io.js';
import { windowAndEpisodeMetrics } from '../../src/evaluation/episode-metrics.js';
import { getMethod } from '../../src/experiments/registry.js';
import { TRACE_DETECTORS, reproduceDefaults } from '../../src/experiments/reproduce.js';
import { benchProvenance, quickTemporalSplit } from './quick-windows.js';

// strict: an unknown or value-less flag is refused by name
const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: { systems: { type: 'string' }, budget: { type: 'string' }, 'max-epochs': { type: 'string' }, out: { type: 'string' } },
  strict: true,
});
const systems = (flags.systems ?? 'TT,SN').split(',') as ('TT' | 'SN')[];
const budget = flags.budget ?? 'quick';
if (budget !== 'quick' && budget !== 'authors') throw new Error(`--budget: quick or authors, not ${budget}`);
const maxEpochs = flags['max-epochs'] === undefined ? null : Number(flags['max-epochs']);
const quick = reproduceDefaults.quick;
await initBackend(normalizeBackendRequest(undefined));

const rows: Record<string, unknown>[] = [];
for (const system of systems) {
  const { ds, split } = await quickTemporalSplit(system);
  for (const name of TRACE_DETECTORS) {
    const method = await getMethod(name);
    const params: Record<string, unknown> = budget === 'quick' ? { ...(quick.traceDetectorParams[name] ?? {}) } : {};
    if (maxEpochs !== null) params['maxEpochs'] = maxEpochs;
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${name}-`));
    const t0 = performance.now();
    const result = await method.fitAndEvaluate(ds, split, { seed: 0, workDir, method: { name, params }, progress: () => undefined });
    const seconds = (performance.now() - t0) / 1000;
    fs.rmSync(workDir, { recursive: true, force: true });
    const info = result.info ?? {};
    // Detection on the test windows, scored by the harness's code (so an authors'-budget row can be read
    // beside the main job's).
    const labels = result.windows.map((w) => ds.labels[w]!);
    const m = windowAndEpisodeMetrics(ds, result.windows, { labels, anomalyScore: result.anomalyScore, predictedAnomalous: result.predictedAnomalous, ranking: null }, result.inferUsPerWindow);
    const detection = { f1: m['det.f1'] ?? null, mcc: m['det.mcc'] ?? null, prAuc: m['det.prAuc'] ?? null, recall: m['det.recall'] ?? null, precision: m['det.precision'] ?? null };
    const row = {
      system,
      method: name,
      budget,
      params,
      trainWindows: split.train.length,
      testWindows: split.test.length,
      fitTraces: info['fitTraces'] ?? null,
      judgedTraces: info['judgedTraces'] ?? null,
      fitAndEvaluateSeconds: seconds,
      trainSeconds: info['trainSeconds'] ?? null,
      epochsRun: info['epochsRun'] ?? null,
      inferUsPerWindow: result.inferUsPerWindow,
      detection,
      info,
    };
    rows.push(row);
    const f = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(3));
    console.log(`${system} ${name} (${budget}): ${seconds.toFixed(1)} s fit+evaluate, training ${Number(row.trainSeconds).toFixed(1)} s (${String(row.epochsRun)} epochs, ${String(row.fitTraces)} traces), ${result.inferUsPerWindow?.toFixed(0)} us/window inference; test F1 ${f(detection.f1)} MCC ${f(detection.mcc)} PR-AUC ${f(detection.prAuc)}`);
  }
}
const outFile = flags.out ?? path.resolve('results', 'bench', budget === 'quick' ? 'trace-detectors.json' : 'trace-detectors-authors.json');
writeJsonAtomic(outFile, {
  benchmark: 'trace-detectors',
  protocol: 'temporal',
  seed: 0,
  profile: quick.profile,
  pipeline: quick.pipeline,
  budget,
  maxEpochsCap: maxEpochs,
  backend: activeBackend(),
  rows,
  ...benchProvenance(),
});
console.log(`written: ${outFile}`);
