/**
 * `eadro bench [--only testbed,windows,log-features,eadro] [--quick]`: run the benchmark scripts of
 * scripts/bench/ one after the other as child processes (each measures alone, in a fresh process) and
 * say where each wrote its figures (results/bench/*.json; a --quick run of windows, log-features or
 * eadro writes `<name>-quick.json` beside the full figures instead of replacing them). The windows benchmark needs raw telemetry:
 * `--raw DIR`, or the built-in TT testbed simulated first (paper profile; quick with --quick).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandModule } from 'yargs';
import { EadroError } from '../../core/errors.js';
import { createProgress, type Progress } from '../../core/progress.js';
import { ensureTestbed, testbedRoot } from '../../experiments/datasets.js';
import { withGlobalOptions, type GlobalArgs } from '../options.js';

export const order = 80;

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const benchNames = ['testbed', 'windows', 'log-features', 'eadro', 'ms-baselines', 'trace-detectors', 'localizers', 'reproduce'] as const;
export type BenchName = (typeof benchNames)[number];

/** Arguments of each script, full and quick (read from each script's header). */
export const benchDefaults = {
  full: {
    testbed: [] as string[], // scripts/bench/testbed.ts: TT paper profile generation + naive localizer on quick data
    logFeatures: [] as string[], // scripts/bench/log-features.ts defaults: 1 h of TT-like logs, workers 1,2
    eadro: [] as string[], // scripts/bench/eadro.ts defaults: wasm and cpu, 1,024 windows, paper shapes
    msBaselines: [] as string[], // scripts/bench/ms-baselines.ts defaults: TT and SN quick windows, the main job's budget
    traceDetectors: [] as string[], // scripts/bench/trace-detectors.ts defaults: TT and SN quick windows, the main job's budget
    localizers: [] as string[], // scripts/bench/localizers.ts defaults: TT and SN quick windows, every trace localizer
    windowsProfile: 'paper', // issue 4: the TT paper profile is the figure that counts (<= 10 min on 2 cores)
  },
  quick: {
    testbed: ['--skip-paper'], // keeps the previous TT paper figure (testbed.ts)
    logFeatures: ['--hours', '0.1', '--reference-windows', '1'], // ours: about a tenth of the work
    eadro: ['--backends', 'wasm', '--windows', '256', '--no-export'], // ours: one batch per timed epoch, wasm only
    msBaselines: ['--systems', 'SN'], // ours: the smaller system only
    traceDetectors: ['--systems', 'SN'], // ours: the smaller system only
    localizers: ['--systems', 'SN'], // ours: the smaller system only
    windowsProfile: 'quick', // every (service, fault) pair once, short faults
  },
  /** The system simulated for the windows benchmark: TT, the larger one (paper §V-A). */
  system: 'TT' as const,
};

interface BenchArgs extends GlobalArgs {
  only?: string;
  quick: boolean;
  raw?: string;
  dryRun: boolean;
}

export function parseOnly(value: string | undefined): BenchName[] {
  if (value === undefined) return [...benchNames];
  const names = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const n of names) {
    if (!benchNames.includes(n as BenchName)) throw new EadroError('Unknown benchmark.', { field: '--only', expected: benchNames.join(', '), found: n });
  }
  if (names.length === 0) throw new EadroError('No benchmark named.', { field: '--only', expected: benchNames.join(', ') });
  return benchNames.filter((n) => names.includes(n));
}

interface Plan {
  name: BenchName;
  args: string[];
  output: string;
}

function plan(name: BenchName, quick: boolean, seed: number, rawDir: string): Plan {
  const set = quick ? benchDefaults.quick : benchDefaults.full;
  const bench = (file: string): string => path.join('scripts', 'bench', file);
  const result = (file: string): string => path.join('results', 'bench', file);
  switch (name) {
    case 'testbed':
      return { name, args: [bench('testbed.ts'), '--seed', String(seed), ...set.testbed], output: result('testbed.json') };
    case 'windows': {
      // A quick run writes beside the full figure instead of replacing it.
      const output = result(quick ? 'windows-quick.json' : 'windows.json');
      return { name, args: [bench('windows.ts'), rawDir, '--label', path.basename(rawDir), '--out', output], output };
    }
    case 'log-features': {
      const output = result(quick ? 'log-features-quick.json' : 'log-features.json');
      return { name, args: [bench('log-features.ts'), ...set.logFeatures, '--out', output], output };
    }
    case 'eadro': {
      const output = result(quick ? 'eadro-quick.json' : 'eadro.json');
      return { name, args: [bench('eadro.ts'), ...set.eadro, '--out', output], output };
    }
    case 'ms-baselines': {
      const output = result(quick ? 'ms-baselines-quick.json' : 'ms-baselines.json');
      return { name, args: [bench('ms-baselines.ts'), ...set.msBaselines, '--out', output], output };
    }
    case 'trace-detectors': {
      const output = result(quick ? 'trace-detectors-quick.json' : 'trace-detectors.json');
      return { name, args: [bench('trace-detectors.ts'), ...set.traceDetectors, '--out', output], output };
    }
    case 'localizers': {
      const output = result(quick ? 'localizers-quick.json' : 'localizers.json');
      return { name, args: [bench('localizers.ts'), ...set.localizers, '--out', output], output };
    }
    case 'reproduce':
      // The main job from nothing (fresh data and caches): always the quick form (issue 6 target).
      return { name, args: [bench('reproduce.ts')], output: result('reproduce-quick.json') };
  }
}

export const command: CommandModule<object, BenchArgs> = {
  command: 'bench',
  describe: 'run the benchmarks (scripts/bench/*.ts) as child processes; figures go to results/bench/',
  builder: (y) =>
    withGlobalOptions(y)
      .option('only', { type: 'string', describe: `comma-separated subset of: ${benchNames.join(', ')}` })
      .option('quick', { type: 'boolean', default: false, describe: 'smaller inputs (minutes, not tens of minutes); figures are not the headline ones' })
      .option('raw', { type: 'string', describe: 'raw telemetry folder for the windows benchmark (default: the TT testbed, simulated if absent)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'print the commands without running them' })
      .epilog('Benchmarks take many minutes and the whole machine: run them alone. --quick writes windows-quick.json beside windows.json; ' +
        'the other scripts overwrite their own file (testbed --quick keeps the paper figure).') as never,
  handler: async (args) => {
    const names = parseOnly(args.only);
    const profile = args.quick ? benchDefaults.quick.windowsProfile : benchDefaults.full.windowsProfile;
    const rawDir = args.raw === undefined ? testbedRoot(benchDefaults.system, profile, args.seed) : path.resolve(args.raw);
    if (args.raw !== undefined && !fs.existsSync(rawDir)) throw new EadroError('Raw folder not found.', { file: rawDir, field: '--raw' });
    const plans = names.map((n) => plan(n, args.quick, args.seed, rawDir));
    if (args.dryRun) {
      for (const p of plans) console.log(`${p.name}: ${path.basename(process.execPath)} --import tsx ${p.args.join(' ')}  -> ${p.output}`);
      if (names.includes('windows') && args.raw === undefined) console.log(`(windows needs ${rawDir}: simulated first, TT ${profile} profile, seed ${args.seed}, unless present)`);
      return;
    }
    const outcomes: { name: string; status: string; output: string }[] = [];
    for (const p of plans) {
      if (p.name === 'windows' && args.raw === undefined) {
        let bar: Progress | null = null;
        let shown = 0;
        await ensureTestbed(benchDefaults.system, profile, args.seed, (done, total) => {
          bar ??= createProgress(`simulate TT ${profile} for the windows benchmark (simulated s)`, total);
          bar.tick(done - shown);
          shown = done;
        });
        (bar as Progress | null)?.stop();
      }
      console.log(`== bench ${p.name}: ${p.args.join(' ')}`);
      const t0 = Date.now();
      const r = spawnSync(process.execPath, ['--import', 'tsx', ...p.args], { cwd: PROJECT_ROOT, stdio: 'inherit', env: process.env });
      const seconds = ((Date.now() - t0) / 1000).toFixed(0);
      const status = r.error !== undefined ? `failed to start: ${r.error.message}` : r.status === 0 ? `ok (${seconds} s)` : `failed (exit ${r.status ?? r.signal}, ${seconds} s)`;
      outcomes.push({ name: p.name, status, output: path.join(PROJECT_ROOT, p.output) });
    }
    console.log('== benchmarks');
    for (const o of outcomes) console.log(`${o.name.padEnd(13)} ${o.status.padEnd(24)} ${o.output}`);
    if (outcomes.some((o) => !o.status.startsWith('ok'))) process.exitCode = 1;
  },
};
