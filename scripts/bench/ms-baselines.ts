/**
 * Benchmark: the paper's derived multi-source baselines (MS-RF, MS-SVM, MS-LSTM, MS-DCC; paper §V-B2)
 * at the main job's shapes: the `quick` testbed windows (the main job's stride) of TT (N = 27) and SN (N = 12),
 * `temporal` split, seed 0, each method run through the harness exactly as `eadro reproduce --quick`
 * runs it (the deep ones at the main job's budget). Per method and system: wall seconds of fit and
 * evaluation, inference microseconds per test window (measured by the method), the training windows
 * per second and epochs of the deep ones, and their selected settings.
 *
 *   npx tsx scripts/bench/ms-baselines.ts [--systems TT,SN] [--methods ms-rf,ms-svm,ms-lstm,ms-dcc] [--out file]
 *
 * Writes results/bench/ms-baselines.json (or --out) with machine, load average and code version.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { activeBackend, initBackend, normalizeBackendRequest } from '../../src/core/backend.js';
import { writeJsonAtomic } from '../../src/core/io.js';
import { getMethod } from '../../src/experiments/registry.js';
import { MS_BASELINES, reproduceDefaults } from '../../src/experiments/reproduce.js';
import { benchProvenance, quickTemporalSplit } from './quick-windows.js';

// strict: an unknown or value-less flag is refused by name
const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: { systems: { type: 'string' }, methods: { type: 'string' }, out: { type: 'string' } },
  strict: true,
});
const systems = (flags.systems ?? 'TT,SN').split(',') as ('TT' | 'SN')[];
const methods = (flags.methods ?? MS_BASELINES.join(',')).split(',');
const quick = reproduceDefaults.quick;
await initBackend(normalizeBackendRequest(undefined));

const rows: Record<string, unknown>[] = [];
for (const system of systems) {
  const { ds, split } = await quickTemporalSplit(system);
  for (const name of methods) {
    const method = await getMethod(name);
    const params = name === 'ms-lstm' || name === 'ms-dcc' ? quick.msDeepParams : {};
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${name}-`));
    const t0 = performance.now();
    const result = await method.fitAndEvaluate(ds, split, { seed: 0, workDir, method: { name, params }, progress: () => undefined });
    const seconds = (performance.now() - t0) / 1000;
    fs.rmSync(workDir, { recursive: true, force: true });
    const info = result.info ?? {};
    const row = {
      system,
      method: name,
      services: ds.nodes.length,
      trainWindows: split.train.length,
      testWindows: split.test.length,
      fitAndEvaluateSeconds: seconds,
      inferUsPerWindow: result.inferUsPerWindow,
      trainWindowsPerSecond: info['trainWindowsPerSecond'] ?? null,
      epochsRun: info['epochsRun'] ?? null,
      params,
      info,
    };
    rows.push(row);
    console.log(`${system} ${name}: ${seconds.toFixed(1)} s fit+evaluate, ${result.inferUsPerWindow?.toFixed(0)} us/window inference${row.epochsRun === null ? '' : `, ${String(row.epochsRun)} epochs at ${Number(row.trainWindowsPerSecond).toFixed(0)} windows/s`}`);
  }
}
const outFile = flags.out ?? path.resolve('results', 'bench', 'ms-baselines.json');
writeJsonAtomic(outFile, {
  benchmark: 'ms-baselines',
  protocol: 'temporal',
  seed: 0,
  profile: quick.profile,
  pipeline: quick.pipeline,
  backend: activeBackend(),
  rows,
  ...benchProvenance(),
});
console.log(`written: ${outFile}`);
