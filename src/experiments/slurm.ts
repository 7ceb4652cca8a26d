/**
 * SLURM job arrays for a grid (issue 24): `eadro grid <experiment> --emit slurm --out DIR` writes
 * `DIR/slurm/plan.json` (which runs each array task does), one array script per resource class
 * (`train.sbatch` for the methods that train a network, `light.sbatch` for the rest), `submit.sh`
 * that submits them, and a `logs/` folder. Each task runs
 * `eadro grid <experiment> --out DIR --array <class> --task $SLURM_ARRAY_TASK_ID --pool 0` against
 * the results store DIR on a shared filesystem; runs are claimed (src/experiments/claims.ts), so a
 * task resubmitted after dying, or two overlapping submissions, never run a run twice, and finished
 * runs are skipped. `eadro tables --out DIR` then builds the tables whatever machine wrote each run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../core/io.js';
import { codeVersion } from '../core/manifest.js';
import { EadroError } from '../core/errors.js';
import { estimateRun, type EstimateBasis } from './estimate.js';
import { TRAINED_METHODS } from './method-sets.js';
import { runKey, type GridRun } from './grid.js';

export const slurmDefaults = {
  /** ours: one run per task, so that a killed task loses one run and the queue balances itself. */
  runsPerTask: 1,
  /** Methods that train a network (Eadro, MS-LSTM, MS-DCC, the trace detectors): the `train` class. */
  trainMethods: TRAINED_METHODS as readonly string[],
  /**
   * ours: memory per task by testbed profile, from results/bench: raw to windows at `paper` TT peaks at
   * 4.1 GB (windows.json) and the `[W, N, E]` log tensor alone is 1.8 GB; `quick` runs stay under 2 GB.
   */
  memoryGbByProfile: { tiny: 2, quick: 4, paper: 12 } as Record<string, number>,
  /** Memory for datasets of unknown size (raw folders, generated windows). */
  memoryGbUnknown: 12,
  /** ours: the array's time limit is this multiple of its longest task's estimate, and at least... */
  timeFactor: 3,
  /** ...this many minutes (start-up, data loading), and this when nothing can be estimated. */
  minTimeMinutes: 15,
  unknownTimeMinutes: 24 * 60,
  /** Wasm trains on one thread per process (README, Backends): one CPU per task. */
  cpusPerTask: 1,
  /** Backends that need a GPU allocated. */
  gpuBackends: ['tensorflow-gpu', 'webgpu'],
};

export interface SlurmArray {
  /** Resource class: `train` or `light`. */
  name: string;
  script: string;
  /** Run keys (`<hash>/<seed>`) per array task. */
  tasks: string[][];
  cpusPerTask: number;
  memoryGb: number;
  timeMinutes: number;
  gpus: number;
}

export interface SlurmPlan {
  experimentFile: string;
  experimentName: string;
  storeDir: string;
  projectRoot: string;
  backend: string;
  createdAt: string;
  commit: string | null;
  arrays: SlurmArray[];
}

export interface SlurmOptions {
  experimentFile: string;
  experimentName: string;
  /** The results store (a shared filesystem path every node sees). */
  storeDir: string;
  projectRoot: string;
  /** EADRO_BACKEND of the tasks (`auto` lets each node choose). */
  backend: string;
  /** The backend the time limits are estimated for (default: `backend`). */
  estimateBackend?: string;
  runsPerTask?: number;
  /** Overrides the estimated time limit, minutes. */
  timeMinutes?: number;
  partition?: string;
  /** Extra `#SBATCH` lines, verbatim (account, qos, constraint). */
  extraDirectives?: string[];
  /** Extension modules every task loads (`--extension`). */
  extensions?: string[];
  basis: EstimateBasis | null;
}

export function slurmDir(storeDir: string): string {
  return path.join(storeDir, 'slurm');
}


/** Split the runs into resource classes and tasks, with each class's resources and time limit. */
export function planSlurm(runs: readonly GridRun[], opts: SlurmOptions): SlurmPlan {
  const perTask = opts.runsPerTask ?? slurmDefaults.runsPerTask;
  if (!Number.isInteger(perTask) || perTask < 1) throw new EadroError('Invalid runs per task.', { field: '--runs-per-task', expected: 'a positive integer', found: String(perTask) });
  const dir = slurmDir(opts.storeDir);
  const arrays: SlurmArray[] = [];
  for (const name of ['train', 'light']) {
    const mine = runs.filter((r) => slurmDefaults.trainMethods.includes(r.spec.method.name) === (name === 'train'));
    if (mine.length === 0) continue;
    const tasks: GridRun[][] = [];
    for (let i = 0; i < mine.length; i += perTask) tasks.push(mine.slice(i, i + perTask));
    const memoryGb = Math.max(...mine.map((r) => (r.spec.dataset.kind === 'testbed' ? slurmDefaults.memoryGbByProfile[r.spec.dataset.profile] ?? slurmDefaults.memoryGbUnknown : slurmDefaults.memoryGbUnknown)));
    let timeMinutes = opts.timeMinutes;
    if (timeMinutes === undefined) {
      const runSeconds = tasks.map((t) => t.map((r) => estimateRun(r, opts.basis, opts.estimateBackend ?? opts.backend).seconds));
      const known = runSeconds.every((t) => t.every((s) => s !== null));
      const longestTask = Math.max(...runSeconds.map((t) => t.reduce<number>((a, s) => a + (s ?? 0), 0)));
      timeMinutes = known ? Math.max(slurmDefaults.minTimeMinutes, Math.ceil((slurmDefaults.timeFactor * longestTask) / 60)) : slurmDefaults.unknownTimeMinutes;
    }
    arrays.push({
      name,
      script: path.join(dir, `${name}.sbatch`),
      tasks: tasks.map((t) => t.map(runKey)),
      cpusPerTask: slurmDefaults.cpusPerTask,
      memoryGb,
      timeMinutes,
      gpus: name === 'train' && slurmDefaults.gpuBackends.includes(opts.backend) ? 1 : 0,
    });
  }
  const version = codeVersion();
  return {
    experimentFile: path.resolve(opts.experimentFile),
    experimentName: opts.experimentName,
    storeDir: path.resolve(opts.storeDir),
    projectRoot: path.resolve(opts.projectRoot),
    backend: opts.backend,
    createdAt: new Date().toISOString(),
    commit: version.commit,
    arrays,
  };
}

/** `D-HH:MM:SS` as sbatch reads it. */
export function slurmTime(minutes: number): string {
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  return `${d}-${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00`;
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The sbatch script of one array. */
export function arrayScript(plan: SlurmPlan, array: SlurmArray, opts: Pick<SlurmOptions, 'partition' | 'extraDirectives' | 'extensions'> = {}): string {
  const logs = path.join(slurmDir(plan.storeDir), 'logs');
  const directives = [
    `--job-name=eadro-${plan.experimentName}-${array.name}`,
    `--array=0-${array.tasks.length - 1}`,
    `--cpus-per-task=${array.cpusPerTask}`,
    `--mem=${array.memoryGb}G`,
    `--time=${slurmTime(array.timeMinutes)}`,
    `--output=${logs}/${array.name}-%A_%a.out`,
    ...(array.gpus > 0 ? [`--gres=gpu:${array.gpus}`] : []),
    ...(opts.partition === undefined ? [] : [`--partition=${opts.partition}`]),
    ...(opts.extraDirectives ?? []),
  ];
  const extensions = (opts.extensions ?? []).map((e) => ` --extension ${quote(path.resolve(e))}`).join('');
  return [
    '#!/bin/bash',
    ...directives.map((d) => `#SBATCH ${d}`),
    `# eadro-ts grid ${plan.experimentName}: ${array.tasks.length} task(s) of the ${array.name} class, written ${plan.createdAt} at commit ${plan.commit ?? 'unknown'}.`,
    '# Resubmit this script to redo tasks that died: finished runs are skipped, runs claimed by a live task are left to it.',
    'set -euo pipefail',
    `cd ${quote(plan.projectRoot)}`,
    `export EADRO_QUIET=1 EADRO_BACKEND=${quote(plan.backend)}`,
    `exec node ${quote(path.join(plan.projectRoot, 'bin', 'eadro.js'))} grid ${quote(plan.experimentFile)} --out ${quote(plan.storeDir)} --array ${array.name} --task "$SLURM_ARRAY_TASK_ID" --pool 0${extensions}`,
    '',
  ].join('\n');
}

/** Write plan.json, the array scripts and submit.sh; returns the files written. */
export function writeSlurm(plan: SlurmPlan, opts: Pick<SlurmOptions, 'partition' | 'extraDirectives' | 'extensions'> = {}): string[] {
  const dir = slurmDir(plan.storeDir);
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const files: string[] = [];
  for (const array of plan.arrays) {
    writeFileAtomic(array.script, arrayScript(plan, array, opts));
    fs.chmodSync(array.script, 0o755);
    files.push(array.script);
  }
  const submit = path.join(dir, 'submit.sh');
  writeFileAtomic(submit, [
    '#!/bin/bash',
    `# Submit every array of grid ${plan.experimentName}; prints the job ids. Then: eadro grid status ${plan.storeDir}`,
    'set -euo pipefail',
    ...plan.arrays.map((a) => `sbatch --parsable ${quote(a.script)}`),
    '',
  ].join('\n'));
  fs.chmodSync(submit, 0o755);
  files.push(submit);
  const planFile = path.join(dir, 'plan.json');
  writeJsonAtomic(planFile, plan);
  files.push(planFile);
  return files;
}

/** Read a store's plan. */
export function readSlurmPlan(storeDir: string): SlurmPlan {
  const file = path.join(slurmDir(storeDir), 'plan.json');
  if (!fs.existsSync(file)) throw new EadroError('No SLURM plan in this store.', { file, expected: 'the plan written by eadro grid <experiment> --emit slurm --out DIR' });
  return JSON.parse(fs.readFileSync(file, 'utf8')) as SlurmPlan;
}

/**
 * The runs of one array task: its keys in the plan, found in the experiment's grid now. A key the
 * grid no longer has means the experiment file changed after the plan was written: refused.
 */
export function runsOfTask(plan: SlurmPlan, arrayName: string, task: number, runs: readonly GridRun[]): GridRun[] {
  const array = plan.arrays.find((a) => a.name === arrayName);
  if (array === undefined) throw new EadroError('Unknown array of the SLURM plan.', { field: '--array', expected: plan.arrays.map((a) => a.name).join(' | '), found: arrayName });
  const keys = array.tasks[task];
  if (!Number.isInteger(task) || keys === undefined) throw new EadroError('Array task out of range.', { field: '--task', expected: `0-${array.tasks.length - 1}`, found: String(task) });
  const byKey = new Map(runs.map((r) => [runKey(r), r]));
  return keys.map((key) => {
    const run = byKey.get(key);
    if (run === undefined) {
      throw new EadroError('The experiment no longer has a run of the SLURM plan.', { file: plan.experimentFile, field: key, expected: 'the experiment as it was when the plan was written (emit the plan again)' });
    }
    return run;
  });
}
