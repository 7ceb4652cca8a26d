/**
 * `eadro bench [--only testbed,windows,log-features,eadro] [--quick]`: run the benchmark scripts of
 * scripts/bench/ one after the other as child processes (each measures alone, in a fresh process) and
 * say where each wrote its figures (results/bench/*.json; a --quick run of windows, log-features or
 * eadro writes `<name>-quick.json` beside the full figures instead of replacing them). The windows benchmark needs raw telemetry:
 * `--raw DIR`, or the built-in TT testbed simulated first (paper profile; quick with --quick).
 *
 * `eadro bench --vs-pytorch [--systems SN,TT] [--rounds 4] [--threads 1,2] [--epochs-per-round E]`
 * runs only scripts/bench/vs-pytorch.ts (issue 27): our tfjs Eadro against the PyTorch port on the
 * same windows, interleaved rounds, a ratio table in results/bench/vs-pytorch.{json,md}. It needs a
 * Python with torch (Debian: python3-torch), so it is never part of the default run; without torch it
 * says what to install and exits non-zero before anything runs.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandModule } from 'yargs';
import { EadroError } from '../../core/errors.js';
import { createProgress, type Progress } from '../../core/progress.js';
import { ensureTestbed, testbedRoot } from '../../experiments/datasets.js';
import { findTorchPython, torchMissingMessage } from '../../experiments/speed-bench.js';
import { withGlobalOptions, type GlobalArgs } from '../options.js';

export const order = 80;

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const benchNames = ['testbed', 'windows', 'log-features', 'eadro', 'eadro-scaling', 'ms-baselines', 'trace-detectors', 'localizers', 'reproduce'] as const;
/** Benchmarks run only when named (`--only` or `--vs-pytorch`): they need what the tests do not (PyTorch). */
export const optionalBenchNames = ['vs-pytorch'] as const;
export type BenchName = (typeof benchNames)[number] | (typeof optionalBenchNames)[number];
const allBenchNames: readonly BenchName[] = [...benchNames, ...optionalBenchNames];

/** Arguments of each script, full and quick (read from each script's header). */
export const benchDefaults = {
  full: {
    testbed: [] as string[], // scripts/bench/testbed.ts: TT paper profile generation + naive localizer on quick data
    logFeatures: [] as string[], // scripts/bench/log-features.ts defaults: 1 h of TT-like logs, workers 1,2
    eadro: [] as string[], // scripts/bench/eadro.ts defaults: wasm and cpu, 1,024 windows, paper shapes
    eadroScaling: [] as string[], // scripts/bench/eadro-scaling.ts defaults: N = 12, 27, 46, 64, 1,024 windows, 3 repeats
    vsPytorch: [] as string[], // scripts/bench/vs-pytorch.ts defaults: SN and TT, both variants, 1 thread, 4 rounds of 1 epoch
    msBaselines: [] as string[], // scripts/bench/ms-baselines.ts defaults: TT and SN quick windows, the main job's budget
    traceDetectors: [] as string[], // scripts/bench/trace-detectors.ts defaults: TT and SN quick windows, the main job's budget
    localizers: [] as string[], // scripts/bench/localizers.ts defaults: TT and SN quick windows, every trace localizer
    windowsProfile: 'paper', // issue 4: the TT paper profile is the figure that counts (<= 10 min on 2 cores)
  },
  quick: {
    testbed: ['--skip-paper'], // keeps the previous TT paper figure (testbed.ts)
    logFeatures: ['--hours', '0.1', '--reference-windows', '1'], // ours: about a tenth of the work
    eadro: ['--backends', 'wasm', '--windows', '256', '--no-export'], // ours: one batch per timed epoch, wasm only
    eadroScaling: ['--windows', '256', '--repeats', '1'], // ours: one batch, one repeat per size
    vsPytorch: ['--systems', 'SN', '--rounds', '2'], // ours: the smaller system, two rounds
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
  vsPytorch: boolean;
  systems?: string;
  rounds?: number;
  threads?: string;
  epochsPerRound?: number;
}

export function parseOnly(value: string | undefined): BenchName[] {
  if (value === undefined) return [...benchNames];
  const names = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const n of names) {
    if (!allBenchNames.includes(n as BenchName)) throw new EadroError('Unknown benchmark.', { field: '--only', expected: allBenchNames.join(', '), found: n });
  }
  if (names.length === 0) throw new EadroError('No benchmark named.', { field: '--only', expected: allBenchNames.join(', ') });
  return allBenchNames.filter((n) => names.includes(n));
}

/** The vs-pytorch flags of `eadro bench` passed on to scripts/bench/vs-pytorch.ts (given ones only). */
export function vsPytorchArgs(a: Pick<BenchArgs, 'systems' | 'rounds' | 'threads' | 'epochsPerRound'>): string[] {
  const out: string[] = [];
  if (a.systems !== undefined) out.push('--systems', a.systems);
  if (a.rounds !== undefined) out.push('--rounds', String(a.rounds));
  if (a.threads !== undefined) out.push('--threads', a.threads);
  if (a.epochsPerRound !== undefined) out.push('--epochs-per-round', String(a.epochsPerRound));
  return out;
}

interface Plan {
  name: BenchName;
  args: string[];
  output: string;
}

function plan(name: BenchName, quick: boolean, seed: number, rawDir: string, vsArgs: string[]): Plan {
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
    case 'eadro-scaling': {
      const output = result(quick ? 'eadro-scaling-quick.json' : 'eadro-scaling.json');
      return { name, args: [bench('eadro-scaling.ts'), ...set.eadroScaling, '--out', output], output };
    }
    case 'vs-pytorch': {
      // flags given on the command line come after the set's, so they win (parseArgs keeps the last)
      const output = result(quick ? 'vs-pytorch-quick.json' : 'vs-pytorch.json');
      return { name, args: [bench('vs-pytorch.ts'), ...set.vsPytorch, ...vsArgs, '--out', output], output };
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
      .option('vs-pytorch', { type: 'boolean', default: false, describe: 'run only our Eadro against the PyTorch port (needs python3-torch): results/bench/vs-pytorch.{json,md}' })
      .option('systems', { type: 'string', describe: 'with --vs-pytorch: SN,TT (default both)' })
      .option('rounds', { type: 'number', describe: 'with --vs-pytorch: interleaved rounds (default 4)' })
      .option('threads', { type: 'string', describe: 'with --vs-pytorch: thread counts, e.g. 1,2 (default 1)' })
      .option('epochs-per-round', { type: 'number', describe: 'with --vs-pytorch: full training epochs per side per round (default 1)' })
      .epilog('Benchmarks take many minutes and the whole machine: run them alone. --quick writes windows-quick.json beside windows.json; ' +
        'the other scripts overwrite their own file (testbed --quick keeps the paper figure).') as never,
  handler: async (args) => {
    const names = args.vsPytorch ? (args.only === undefined ? ['vs-pytorch' as const] : [...new Set([...parseOnly(args.only), 'vs-pytorch' as const])]) : parseOnly(args.only);
    if (names.includes('vs-pytorch') && !args.dryRun) {
      // Before any benchmark runs: a missing torch is said once, with the package that installs it.
      const { found, tried } = findTorchPython(process.env);
      if (found === null) throw new EadroError(torchMissingMessage(tried));
    }
    const profile = args.quick ? benchDefaults.quick.windowsProfile : benchDefaults.full.windowsProfile;
    const rawDir = args.raw === undefined ? testbedRoot(benchDefaults.system, profile, args.seed) : path.resolve(args.raw);
    if (args.raw !== undefined && !fs.existsSync(rawDir)) throw new EadroError('Raw folder not found.', { file: rawDir, field: '--raw' });
    const plans = names.map((n) => plan(n, args.quick, args.seed, rawDir, vsPytorchArgs(args)));
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
