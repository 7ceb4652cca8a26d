/**
 * Benchmark of the main job (issue 6): `eadro reproduce --quick` from nothing (fresh data and window
 * cache folders, so simulation and feature building are timed too) to the written report, as a child
 * process exactly as a user runs it. Target: at most 15 minutes on 2 cores.
 * Writes results/bench/reproduce-quick.json, and keeps the paper tables the run wrote (Markdown, both
 * protocols) under results/bench/reproduce-quick-tables/ so that the README's copies can be checked,
 * and each run's wall seconds (from its manifest) with the CPU-seconds per method, to see where the
 * time goes; and the report with its PNG figures under results/bench/reproduce-quick-report/.
 * Run: `npx tsx scripts/bench/reproduce.ts [--keep-results] [extra reproduce flags]`.
 * `--keep-results` moves the run's results folder to results/reproduce-quick (where `npm start` writes
 * it), replacing what is there, so that the notebooks at the `quick` scale read this very run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeJsonAtomic } from '../../src/core/io.js';
import { codeVersion, machineInfo } from '../../src/core/manifest.js';
import type { MethodSpec } from '../../src/experiments/config.js';
import { methodLabel } from '../../src/experiments/grid.js';

const keepResults = process.argv.includes('--keep-results');
const extra = process.argv.slice(2).filter((a) => a !== '--keep-results');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-bench-reproduce-'));
const out = path.join(work, 'results');
const load0 = os.loadavg()[0];
const started = new Date();
const t0 = process.hrtime.bigint();
const r = spawnSync(process.execPath, [path.resolve('bin/eadro.js'), 'reproduce', '--quick', '--out', out, ...extra], {
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, EADRO_DATA_DIR: path.join(work, 'data'), EADRO_CACHE_DIR: path.join(work, 'cache') },
});
const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
const timing = fs.existsSync(path.join(out, 'timing.json')) ? JSON.parse(fs.readFileSync(path.join(out, 'timing.json'), 'utf8')) : null;
const report = fs.existsSync(path.join(out, 'report.md')) ? fs.readFileSync(path.join(out, 'report.md'), 'utf8') : null;
/** Each finished run's method, system, protocol and wall seconds, from the store's manifests. */
function runDurations(): { method: string; system: string; protocol: string; seconds: number; startedAt: string }[] {
  const runsDir = path.join(out, 'runs-store', 'runs');
  if (!fs.existsSync(runsDir)) return [];
  const rows: { method: string; system: string; protocol: string; seconds: number; startedAt: string }[] = [];
  for (const hash of fs.readdirSync(runsDir)) {
    for (const seed of fs.readdirSync(path.join(runsDir, hash))) {
      const manifestFile = path.join(runsDir, hash, seed, 'manifest.json');
      const metricsFile = path.join(runsDir, hash, seed, 'metrics.json');
      if (!fs.existsSync(manifestFile) || !fs.existsSync(metricsFile)) continue;
      const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { durationSeconds: number; protocol: string; startedAt: string };
      const spec = (JSON.parse(fs.readFileSync(metricsFile, 'utf8')) as { spec: { method: MethodSpec; dataset: { system?: string } } }).spec;
      rows.push({ method: methodLabel(spec.method), system: spec.dataset.system ?? '', protocol: manifest.protocol, seconds: manifest.durationSeconds, startedAt: manifest.startedAt });
    }
  }
  return rows.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}
const runs = runDurations();
const perMethod: Record<string, number> = {};
for (const r of runs) perMethod[r.method] = (perMethod[r.method] ?? 0) + r.seconds;
const result = {
  benchmark: 'reproduce-quick',
  command: `eadro reproduce --quick ${extra.join(' ')}`.trim(),
  exitCode: r.status,
  wallSeconds,
  limitSeconds: 900,
  withinLimit: r.status === 0 && wallSeconds <= 900,
  stageSeconds: timing,
  loadAverage1mStartEnd: [load0, os.loadavg()[0]],
  code: codeVersion(),
  machine: machineInfo(),
  startedAt: started.toISOString(),
  /** Wall seconds of each method's runs summed (both systems and protocols), largest first. */
  secondsPerMethod: Object.fromEntries(Object.entries(perMethod).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round(v * 10) / 10])),
  runs,
  report,
};
writeJsonAtomic(path.resolve('results/bench/reproduce-quick.json'), result);
const tables = path.join(out, 'runs-store', 'tables');
if (fs.existsSync(tables)) {
  const kept = path.resolve('results/bench/reproduce-quick-tables');
  fs.rmSync(kept, { recursive: true, force: true });
  for (const protocol of fs.readdirSync(tables)) {
    const dir = path.join(tables, protocol);
    if (!fs.statSync(dir).isDirectory()) continue;
    fs.mkdirSync(path.join(kept, protocol), { recursive: true });
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.md'))) fs.copyFileSync(path.join(dir, f), path.join(kept, protocol, f));
  }
}
// The report and its PNG figures, so that the README's copies (tables, RQ1-RQ3 figures, Fig. 7) point
// at a recorded run: results/bench/reproduce-quick-report/{report.md, figures/*.png, figures.json}.
if (report !== null) {
  const kept = path.resolve('results/bench/reproduce-quick-report');
  fs.rmSync(kept, { recursive: true, force: true });
  fs.mkdirSync(path.join(kept, 'figures'), { recursive: true });
  fs.copyFileSync(path.join(out, 'report.md'), path.join(kept, 'report.md'));
  const figs = path.join(out, 'figures');
  if (fs.existsSync(figs)) {
    for (const f of fs.readdirSync(figs).filter((x) => x.endsWith('.png') || x === 'figures.json')) fs.copyFileSync(path.join(figs, f), path.join(kept, 'figures', f));
  }
}
console.log(`reproduce --quick: ${wallSeconds.toFixed(0)} s (exit ${r.status}); results/bench/reproduce-quick.json`);
if (keepResults && r.status === 0) {
  const kept = path.resolve('results/reproduce-quick');
  fs.rmSync(kept, { recursive: true, force: true });
  fs.cpSync(out, kept, { recursive: true });
  console.log(`results kept in ${kept}`);
}
fs.rmSync(work, { recursive: true, force: true });
