/**
 * `eadro grid <experiment-file>`: run an experiment's grid on a pool of worker processes, then write
 * the tables; steer it (`--only`, `--dry-run`), emit it as SLURM job arrays (`--emit slurm`), run one
 * array task (`--array --task`, what the SLURM scripts call), or `eadro grid status <store>`.
 */
import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import { EadroError } from '../../core/errors.js';
import { aggregateDefaults } from '../../experiments/aggregate.js';
import { describeEstimate, loadEstimateBasis } from '../../experiments/estimate.js';
import { runExperiment } from '../../experiments/experiment.js';
import { describeRun, formatStatusCounts, gridStatus, parseOnly, selectRuns } from '../../experiments/grid-select.js';
import { expandGrid, loadExperimentFile } from '../../experiments/grid.js';
import { runGrid, runnerDefaults, type GridSummary } from '../../experiments/runner.js';
import { planSlurm, readSlurmPlan, runsOfTask, slurmDir, slurmTime, writeSlurm } from '../../experiments/slurm.js';
import { withGlobalOptions, type GlobalArgs } from '../options.js';

export const order = 58;

interface GridArgs extends GlobalArgs {
  file: string;
  dir?: string;
  pool: number;
  extension: string[];
  resamples: number;
  only?: string;
  'dry-run': boolean;
  emit?: string;
  task?: number;
  array?: string;
  'runs-per-task'?: number;
  'slurm-time'?: number;
  partition?: string;
  sbatch: string[];
  experiment?: string;
}

function printSummary(s: GridSummary): void {
  const elsewhere = s.claimedElsewhere.length > 0 ? `, ${s.claimedElsewhere.length} left to other processes` : '';
  console.log(`${s.completed} run(s) done, ${s.skipped} already finished, ${s.failed.length} failed${elsewhere}`);
  for (const f of s.failed) console.log(`  failed ${f.key}: ${f.error.split('\n')[0]}`);
  if (s.failed.length > 0) process.exitCode = 1;
}

async function statusCommand(args: GridArgs): Promise<void> {
  const dir = args.dir ?? args.out;
  if (dir === undefined) throw new EadroError('Which results store?', { field: 'eadro grid status <dir>', expected: 'the --out folder of a grid' });
  let runs = null;
  if (args.experiment !== undefined) {
    runs = expandGrid(await loadExperimentFile(args.experiment));
    if (args.only !== undefined) runs = selectRuns(runs, parseOnly(args.only));
  }
  const statuses = gridStatus(dir, runs);
  console.log(`${dir}: ${formatStatusCounts(statuses)}${runs === null ? ' (runs never started are not listed without --experiment)' : ''}`);
  for (const s of statuses) if (s.state !== 'done') console.log(`  ${describeRun(s)}`);
}

export const command: CommandModule<object, GridArgs> = {
  command: 'grid <file> [dir]',
  describe: 'run every unfinished run of an experiment file (experiments/*.ts) and write the paper tables; `eadro grid status <dir>` lists a store\'s runs',
  builder: (y) =>
    withGlobalOptions(y)
      .positional('file', { type: 'string', demandOption: true, describe: 'experiment file exporting `experiment` (or JSON), or `status`' })
      .positional('dir', { type: 'string', describe: 'with `status`: the results store (the --out of a grid)' })
      .option('pool', { type: 'number', default: runnerDefaults.poolSize, describe: 'worker processes (0 = in this process)' })
      .option('extension', { type: 'string', array: true, default: [] as string[], describe: 'extra module(s) exporting methods / dataset generators' })
      .option('resamples', { type: 'number', default: aggregateDefaults.resamples, describe: 'cluster-bootstrap resamples for the tables' })
      .option('only', { type: 'string', describe: 'part of the grid: key=value pairs, e.g. system=tt,method=eadro,seed=0-2 (keys: system, dataset, profile, method, ablation, variant, protocol, seed, hash)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'list the runs, which are done, claimed or failed, and the estimated time per backend; run nothing' })
      .option('emit', { type: 'string', choices: ['slurm'], describe: 'write SLURM job-array scripts for the unfinished runs into <out>/slurm/ instead of running' })
      .option('runs-per-task', { type: 'number', describe: 'with --emit slurm: runs per array task (default 1)' })
      .option('slurm-time', { type: 'number', describe: 'with --emit slurm: time limit per task in minutes (default: 3x the estimate, at least 15)' })
      .option('partition', { type: 'string', describe: 'with --emit slurm: the partition to submit to' })
      .option('sbatch', { type: 'string', array: true, default: [] as string[], describe: 'with --emit slurm: extra #SBATCH directives, e.g. --sbatch=--account=abc' })
      .option('array', { type: 'string', describe: 'with --task: the array of the SLURM plan (train | light)' })
      .option('task', { type: 'number', describe: 'run one task of the store\'s SLURM plan (what the array scripts call; $SLURM_ARRAY_TASK_ID)' })
      .option('experiment', { type: 'string', describe: 'with `status`: the experiment file, to list runs not started too' }) as never,
  handler: async (args) => {
    if (args.file === 'status') return statusCommand(args);
    const experiment = await loadExperimentFile(args.file);
    const resultsDir = args.out ?? 'results';
    const all = expandGrid(experiment);

    if (args.task !== undefined) {
      // One SLURM array task: its runs from the plan, no tables (several tasks run at once).
      const plan = readSlurmPlan(resultsDir);
      const runs = runsOfTask(plan, args.array ?? '', args.task, all);
      console.log(`${experiment.name}: task ${args.array}/${args.task} of ${path.join(slurmDir(resultsDir), 'plan.json')}: ${runs.length} run(s)`);
      printSummary(await runGrid(runs, { resultsDir, poolSize: args.pool, extensions: args.extension, label: `${experiment.name} ${args.array}/${args.task}` }));
      return;
    }

    const runs = args.only === undefined ? all : selectRuns(all, parseOnly(args.only));
    const picked = args.only === undefined ? '' : ` (--only ${args.only}: ${runs.length} of ${all.length})`;
    console.log(`${experiment.name}: ${runs.length} runs (${new Set(runs.map((r) => r.configHash)).size} configurations)${picked} into ${resultsDir}/runs`);

    if (args['dry-run'] || args.emit === 'slurm') {
      const statuses = gridStatus(resultsDir, runs);
      console.log(`state: ${formatStatusCounts(statuses)}`);
      const todo = statuses.filter((s) => s.state !== 'done').map((s) => s.run!);
      const basis = loadEstimateBasis();
      if (args['dry-run']) {
        for (const s of statuses) console.log(`  ${describeRun(s)}`);
        console.log(`estimated time of the ${todo.length} unfinished run(s):`);
        for (const line of describeEstimate(todo, basis, args.pool)) console.log(`  ${line}`);
        return;
      }
      if (todo.length === 0) {
        console.log('every run is finished: nothing to submit');
        return;
      }
      // `auto` picks per node; the estimate then assumes what it picks on a CPU-only node (wasm).
      const plan = planSlurm(todo, {
        experimentFile: args.file, experimentName: experiment.name, storeDir: resultsDir, projectRoot: process.cwd(), backend: args.backend,
        estimateBackend: args.backend === 'auto' ? 'wasm' : args.backend, runsPerTask: args['runs-per-task'], timeMinutes: args['slurm-time'], basis,
      });
      const files = writeSlurm(plan, { partition: args.partition, extraDirectives: args.sbatch, extensions: args.extension });
      for (const a of plan.arrays) console.log(`  ${a.name}: ${a.tasks.length} task(s), ${a.cpusPerTask} CPU, ${a.memoryGb} GB${a.gpus > 0 ? `, ${a.gpus} GPU` : ''}, time ${slurmTime(a.timeMinutes)}: ${a.script}`);
      console.log(`written: ${files.join(', ')}`);
      console.log(`submit with: bash ${path.join(slurmDir(resultsDir), 'submit.sh')}; then: eadro grid status ${resultsDir} --experiment ${args.file}; tables: eadro tables --results ${resultsDir}`);
      return;
    }

    const r = await runExperiment(experiment, { resultsDir, poolSize: args.pool, extensions: args.extension, runs, tables: { resamples: args.resamples, extensions: args.extension } });
    printSummary(r.summary);
    console.log(`${r.tables.length} table files in ${resultsDir}/tables`);
  },
};
