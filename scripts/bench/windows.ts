/**
 * Benchmark: raw telemetry -> window dataset, seconds per stage (issue 4 "Done when": TT paper profile
 * <= 10 min on 2 cores, SN <= 2 min).
 *
 *   npx tsx scripts/bench/windows.ts <raw-dir> [--config cfg.json] [--workers N] [--label name] [--out file]
 *
 * Builds without the cache (it measures the build), then times the `.npy` export into results/tmp/
 * (deleted afterwards) and the cache checksum of the raw folder. Writes results/bench/windows.json
 * (or --out) with the stage times, sizes, machine info and code version.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { checksumPath } from '../../src/core/hash.js';
import { writeJsonAtomic } from '../../src/core/io.js';
import { codeVersion, machineInfo } from '../../src/core/manifest.js';
import { readConfigFile } from '../../src/cli/options.js';
import { buildWindowDataset, type WindowConfig } from '../../src/windows/build.js';
import { resolvedWindowConfig } from '../../src/windows/cache.js';
import { stageProgressBars } from '../../src/windows/cli-support.js';
import { exportNpy } from '../../src/windows/export.js';

// strict: an unknown or value-less flag is refused by name
const { values: flags, positionals } = parseArgs({
  args: process.argv.slice(2),
  options: { config: { type: 'string' }, workers: { type: 'string' }, label: { type: 'string' }, out: { type: 'string' } },
  allowPositionals: true,
  strict: true,
});
const flag = (name: 'config' | 'workers' | 'label' | 'out'): string | undefined => flags[name];

const rawDir = positionals[0];
if (rawDir === undefined || positionals.length > 1) {
  console.error('usage: npx tsx scripts/bench/windows.ts <raw-dir> [--config cfg.json] [--workers N] [--label name] [--out file]');
  process.exit(2);
}
const fileCfg = readConfigFile(flag('config'));
const partial = ((fileCfg['windows'] as Partial<WindowConfig> | undefined) ?? fileCfg) as Partial<WindowConfig>;
const workers = flag('workers');
if (workers !== undefined) partial.hawkes = { ...(partial.hawkes ?? {}), workers: Number(workers) };
const config = resolvedWindowConfig(partial);

const t0 = performance.now();
const bars = stageProgressBars();
const { dataset, report } = await buildWindowDataset(rawDir, config, bars.onProgress);
bars.stop();
const buildSeconds = (performance.now() - t0) / 1000;

const tmp = path.resolve('results', 'tmp', `bench-windows-${process.pid}`);
const e0 = performance.now();
exportNpy(dataset, tmp);
const exportSeconds = (performance.now() - e0) / 1000;
const exportBytes = fs.readdirSync(tmp).reduce((a, f) => a + fs.statSync(path.join(tmp, f)).size, 0);
fs.rmSync(tmp, { recursive: true, force: true });

const c0 = performance.now();
const checksum = checksumPath(path.resolve(rawDir));
const checksumSeconds = (performance.now() - c0) / 1000;

const result = {
  benchmark: 'windows',
  label: flag('label') ?? path.basename(path.resolve(rawDir)),
  rawDir: path.resolve(rawDir),
  rawBytes: checksum.bytes,
  rawFiles: checksum.files,
  config,
  hawkesWorkers: config.hawkes.workers ?? null,
  windows: dataset.W,
  services: dataset.nodes.length,
  T: dataset.T,
  metrics: dataset.metricNames.length,
  eventNum: dataset.eventNum,
  abnormalShare: report.abnormalShare,
  seconds: {
    ...report.stageSeconds,
    build: buildSeconds,
    exportNpy: exportSeconds,
    checksum: checksumSeconds,
  },
  exportBytes,
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
  machine: machineInfo(),
  loadAverage: os.loadavg(),
  code: codeVersion(),
  date: new Date().toISOString(),
};
const outFile = flag('out') ?? path.resolve('results', 'bench', 'windows.json');
writeJsonAtomic(outFile, result);
console.log(`windows: ${dataset.W} x ${dataset.nodes.length} services, E ${dataset.eventNum}; build ${buildSeconds.toFixed(1)} s ` +
  `(${Object.entries(report.stageSeconds).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}), export ${exportSeconds.toFixed(1)} s`);
console.log(`written: ${outFile}`);
