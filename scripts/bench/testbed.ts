/**
 * Benchmark of the built-in testbed (issue 3):
 *  1. the `paper` profile of TT (about 40 h of telemetry: 162 faults x 12 min + 7 h fault-free) must
 *     generate in <= 5 min on 2 cores with bounded memory: wall seconds, peak RSS, bytes, counts;
 *  2. the naive localizer's HR@1 on `quick` data of TT and SN (must be <= 0.7: the testbed is not
 *     solvable by a one-liner).
 * Writes results/bench/testbed.json. Run: `npx tsx scripts/bench/testbed.ts [--seed N] [--skip-paper]`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeJsonAtomic } from '../../src/core/io.js';
import { codeVersion, machineInfo } from '../../src/core/manifest.js';
import { naiveHitRate, simulate, TESTBED_VERSION, type SystemName } from '../../src/testbed/index.js';

const argv = process.argv.slice(2);
const seedArg = argv.indexOf('--seed');
const seed = seedArg >= 0 ? Number(argv[seedArg + 1]) : 0;
const skipPaper = argv.includes('--skip-paper');
const OUT = path.resolve('results/bench/testbed.json');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-bench-testbed-'));
const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB

const result: Record<string, unknown> = {
  benchmark: 'testbed',
  testbedVersion: TESTBED_VERSION,
  seed,
  code: codeVersion(),
  machine: machineInfo(),
  startedAt: new Date().toISOString(),
};

try {
  if (!skipPaper) {
    const dir = path.join(work, 'tt-paper');
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    let lastPrint = 0;
    const m = await simulate({
      system: 'tt',
      profile: 'paper',
      seed,
      out: dir,
      onProgress: (done, total) => {
        if (done - lastPrint >= 3 * 3600 || done === total) {
          lastPrint = done;
          const secs = Number(process.hrtime.bigint() - t0) / 1e9;
          process.stderr.write(`tt paper: ${(done / 3600).toFixed(1)}/${(total / 3600).toFixed(1)} h simulated, ${secs.toFixed(1)} s, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB\n`);
        }
      },
    });
    const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    result['ttPaper'] = {
      wallSeconds: Math.round(wallSeconds * 10) / 10,
      cpuSeconds: Math.round(((cpu.user + cpu.system) / 1e6) * 10) / 10,
      peakRssMiB: Math.round(peakRssMiB()),
      limitSeconds: 300,
      withinLimit: wallSeconds <= 300,
      simulatedHours: m.counts.simulatedSeconds / 3600,
      runs: m.counts.runs,
      faults: m.counts.faults,
      traces: m.counts.traces,
      spans: m.counts.spans,
      logLines: m.counts.logLines,
      metricRows: m.counts.metricRows,
      bytes: m.counts.bytes,
    };
    console.log(JSON.stringify(result['ttPaper']));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const naive: Record<string, unknown> = {};
  for (const system of ['tt', 'sn'] as SystemName[]) {
    const dir = path.join(work, `${system}-quick`);
    const t0 = Date.now();
    const m = await simulate({ system, profile: 'quick', seed, out: dir });
    const genSeconds = (Date.now() - t0) / 1000;
    const hr = naiveHitRate(dir);
    naive[system] = { ...hr, hr1: Math.round(hr.hr1 * 1000) / 1000, limit: 0.7, withinLimit: hr.hr1 <= 0.7, quickGenerateSeconds: genSeconds, quickBytes: m.counts.bytes, quickSpans: m.counts.spans };
    console.log(system, JSON.stringify(naive[system]));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  result['naiveLocalizerQuick'] = naive;
  result['endedAt'] = new Date().toISOString();
  if (skipPaper && fs.existsSync(OUT)) {
    // keep the previous paper figure when only the quick part was rerun
    const prev = JSON.parse(fs.readFileSync(OUT, 'utf8')) as Record<string, unknown>;
    if (prev['ttPaper'] !== undefined) result['ttPaper'] = prev['ttPaper'];
  }
  writeJsonAtomic(OUT, result);
  console.log(`wrote ${OUT}`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
