/**
 * Benchmark: the trace-based localizers of Table III (baselines.md §3.2) per fault case, at the main
 * job's shapes: the `quick` testbed windows (the main job's stride) of TT (N = 27) and SN (N = 12), `temporal` split,
 * seed 0, each localizer run through the harness as `eadro reproduce --quick` runs it, given the true
 * anomaly existence. Per method and system: milliseconds of one ranking (one fault case: the series of
 * the H = 300 s before a window's end, N services) in the 'fault-case' scope (one ranking per fault
 * episode of the test split) and, where the main job ranks per window, in the 'window' scope too
 * (one ranking per faulty test window); the harness's wall seconds for the whole test split.
 *
 *   npx tsx scripts/bench/localizers.ts [--systems TT,SN] [--methods tbac,...] [--out file]
 *
 * Writes results/bench/localizers.json (or --out) with machine, load average and code version.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { writeJsonAtomic } from '../../src/core/io.js';
import { getMethod } from '../../src/experiments/registry.js';
import { TRACE_LOCALIZERS } from '../../src/experiments/method-sets.js';
import { reproduceDefaults } from '../../src/experiments/reproduce.js';
import { benchProvenance, quickTemporalSplit } from './quick-windows.js';

// strict: an unknown or value-less flag is refused by name
const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: { systems: { type: 'string' }, methods: { type: 'string' }, out: { type: 'string' } },
  strict: true,
});
const systems = (flags.systems ?? 'TT,SN').split(',') as ('TT' | 'SN')[];
const methods = (flags.methods ?? TRACE_LOCALIZERS.join(',')).split(',');
const quick = reproduceDefaults.quick;

const rows: Record<string, unknown>[] = [];
for (const system of systems) {
  const { ds, split } = await quickTemporalSplit(system);
  const faultyTest = split.test.filter((w) => ds.labels[w]! >= 0);
  const faultCases = new Set(faultyTest.map((w) => ds.meta.episodeId[w]!)).size;
  for (const name of methods) {
    const method = await getMethod(name);
    for (const scope of ['fault-case', 'window'] as const) {
      const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${name}-`));
      const t0 = performance.now();
      const result = await method.fitAndEvaluate(ds, split, { seed: 0, workDir, method: { name, params: { scope } }, progress: () => undefined });
      const seconds = (performance.now() - t0) / 1000;
      fs.rmSync(workDir, { recursive: true, force: true });
      const info = (result.info as { localizer?: Record<string, unknown> }).localizer ?? {};
      const row = {
        system,
        method: name,
        scope,
        services: ds.nodes.length,
        testWindows: split.test.length,
        faultyTestWindows: faultyTest.length,
        faultCases,
        rankCalls: info['rankCalls'],
        msPerRankCall: info['msPerRankCall'],
        shortestSeries: info['shortestSeries'],
        fitAndEvaluateSeconds: seconds,
      };
      rows.push(row);
      console.log(`${system} ${name} (${scope}): ${Number(row.msPerRankCall).toFixed(1)} ms per ranking, ${String(row.rankCalls)} rankings, ${seconds.toFixed(1)} s for the test split`);
    }
  }
}
const outFile = flags.out ?? path.resolve('results', 'bench', 'localizers.json');
writeJsonAtomic(outFile, {
  benchmark: 'localizers',
  protocol: 'temporal',
  seed: 0,
  profile: quick.profile,
  pipeline: quick.pipeline,
  historySeconds: 300,
  rows,
  ...benchProvenance(),
});
