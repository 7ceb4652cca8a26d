/**
 * The grid runner: a local pool of worker PROCESSES (node:child_process `fork` with `--import tsx`)
 * that execute runs in parallel. Resumable by construction: a run is finished iff its metrics.json
 * exists (written last, atomically), finished runs are skipped, unfinished ones are redone from an
 * emptied folder. A grid killed with SIGKILL and started again therefore completes with every run
 * present exactly once and finished runs untouched. Several grids (processes, machines, SLURM tasks)
 * may share one store: each run is claimed before it is handed to a worker (src/experiments/claims.ts),
 * a run claimed by a live process elsewhere is left to it, and a failed run's error is kept beside it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProgress } from '../core/progress.js';
import { claimDefaults, claimRun, clearFailure, recordFailure, type Claim } from './claims.js';
import { executeRun, unfinishedRuns } from './execute.js';
import { runKey, type GridRun } from './grid.js';
import { loadExtensions } from './registry.js';
import { isRunFinished, runDir } from './store.js';

export const runnerDefaults = {
  /** ours: the project machine has 2 cores; one worker per core. */
  poolSize: 2,
};

/** Messages from the runner to a worker. */
export type ToWorker = { type: 'run'; run: GridRun; resultsDir: string; extensions: string[] } | { type: 'exit' };

/** Messages from a worker to the runner. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; key: string; done: number; total: number; status: string }
  | { type: 'done'; key: string }
  | { type: 'failed'; key: string; error: string };

export interface GridOptions {
  resultsDir: string;
  /** Worker processes; 0 runs everything in this process (debugging, notebooks). */
  poolSize?: number;
  /** Extension modules (methods, generators) every worker loads. */
  extensions?: string[];
  /** Label of the grid in progress lines. */
  label?: string;
  /** Called for every event (tests, custom displays). */
  onEvent?: (e: FromWorker | { type: 'skipped'; key: string } | { type: 'claimed-elsewhere'; key: string }) => void;
  /** Seconds without a heartbeat after which another process's claim is taken over. */
  staleAfterSeconds?: number;
}

export interface GridSummary {
  total: number;
  skipped: number;
  completed: number;
  failed: { key: string; error: string }[];
  /** Runs left to another process: claimed by it, or finished by it while this grid ran. */
  claimedElsewhere: string[];
}

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.ts');
/** tsx resolved from this file, so workers start whatever the current directory is. */
const TSX_LOADER = import.meta.resolve('tsx');

const quiet = (): boolean => process.env['EADRO_QUIET'] === '1';


/** Run every unfinished run of a grid; resolves when all are finished or failed. */
export async function runGrid(runs: readonly GridRun[], opts: GridOptions): Promise<GridSummary> {
  const poolSize = opts.poolSize ?? runnerDefaults.poolSize;
  const extensions = (opts.extensions ?? []).map((e) => path.resolve(e));
  const label = opts.label ?? 'grid';
  const pending = await unfinishedRuns(runs, opts.resultsDir);
  const todo = new Set(pending);
  let skipped = 0;
  for (const r of runs) {
    if (todo.has(r)) continue;
    skipped++;
    opts.onEvent?.({ type: 'skipped', key: runKey(r) });
  }
  const summary: GridSummary = { total: runs.length, skipped, completed: 0, failed: [], claimedElsewhere: [] };
  if (!quiet()) process.stderr.write(`${label}: ${runs.length} runs, ${skipped} already finished, ${pending.length} to do, ${Math.min(poolSize, pending.length) || 'in-process'} worker(s)\n`);
  if (pending.length === 0) return summary;
  const bar = createProgress(label, pending.length);
  const claims = new Map<string, { claim: Claim; timer: NodeJS.Timeout }>();
  const release = (key: string): void => {
    const held = claims.get(key);
    if (held === undefined) return;
    clearInterval(held.timer);
    held.claim.release();
    claims.delete(key);
  };
  const onEvent = (e: FromWorker, run?: GridRun): void => {
    opts.onEvent?.(e);
    if (e.type === 'done') {
      summary.completed++;
      if (run !== undefined) clearFailure(opts.resultsDir, run.configHash, run.seed);
      release(e.key);
      bar.tick(1, e.key);
    } else if (e.type === 'failed') {
      summary.failed.push({ key: e.key, error: e.error });
      if (run !== undefined) recordFailure(opts.resultsDir, run.configHash, run.seed, e.error);
      release(e.key);
      bar.tick(1, `${e.key} FAILED`);
      if (!quiet()) process.stderr.write(`${label}: run ${e.key} failed: ${e.error}\n`);
    } else if (e.type === 'progress' && !quiet()) {
      process.stderr.write(`  run ${e.key}: ${e.done}/${e.total} ${e.status}\n`);
    }
  };
  const queue = [...pending];
  // Finished runs in the queue are redone on purpose (their dataset changed since): claimed all the same.
  const redo = new Set(pending.filter((r) => isRunFinished(runDir(opts.resultsDir, r.configHash, r.seed))));
  /** The next run this process may do: claimed here, or null when the queue is empty. */
  const take = (): GridRun | null => {
    for (;;) {
      const run = queue.shift();
      if (run === undefined) return null;
      const key = runKey(run);
      const claim = claimRun(opts.resultsDir, run.configHash, run.seed, {
        staleAfterSeconds: opts.staleAfterSeconds,
        redo: redo.has(run),
        onTakeover: (file, reason) => {
          if (!quiet()) process.stderr.write(`${label}: took over the claim on ${key} (${reason}): ${file}\n`);
        },
      });
      if (claim === null) {
        summary.claimedElsewhere.push(key);
        opts.onEvent?.({ type: 'claimed-elsewhere', key });
        bar.tick(1, `${key} left to another process`);
        continue;
      }
      claims.set(key, { claim, timer: setInterval(() => claim.heartbeat(), claimDefaults.heartbeatSeconds * 1000).unref() });
      return run;
    }
  };

  try {
    if (poolSize <= 0) {
      await loadExtensions(extensions);
      for (let run = take(); run !== null; run = take()) {
        const key = runKey(run);
        try {
          await executeRun(run, { resultsDir: opts.resultsDir, progress: (done, total, status) => onEvent({ type: 'progress', key, done, total, status: status ?? '' }) });
          onEvent({ type: 'done', key }, run);
        } catch (err) {
          onEvent({ type: 'failed', key, error: err instanceof Error ? err.message : String(err) }, run);
        }
      }
      return summary;
    }

    await new Promise<void>((resolve) => {
      let alive = 0;
      const startWorker = (): void => {
        const child: ChildProcess = fork(WORKER, [], { execArgv: ['--import', TSX_LOADER], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        alive++;
        let current: GridRun | null = null;
        const next = (): void => {
          current = take();
          if (current === null) child.send({ type: 'exit' } satisfies ToWorker);
          else child.send({ type: 'run', run: current, resultsDir: opts.resultsDir, extensions } satisfies ToWorker);
        };
        child.on('message', (raw: unknown) => {
          const msg = raw as FromWorker;
          if (msg.type === 'ready') return next();
          onEvent(msg, current ?? undefined);
          if (msg.type === 'done' || msg.type === 'failed') next();
        });
        child.on('exit', (code, signal) => {
          // A worker that dies mid-run (crash, out of memory) fails that run; the rest goes on.
          if (current !== null) {
            onEvent({ type: 'failed', key: runKey(current), error: `worker exited (code ${code}, signal ${signal}) during the run` }, current);
            current = null;
            if (queue.length > 0) startWorker();
          }
          alive--;
          if (alive === 0) resolve();
        });
      };
      for (let i = 0; i < Math.min(poolSize, pending.length); i++) startWorker();
    });
    // Workers that died before taking work (e.g. failed to start) leave runs in the queue: say so.
    for (const run of queue.splice(0)) onEvent({ type: 'failed', key: runKey(run), error: 'not executed: every worker process exited before taking this run' });
    return summary;
  } finally {
    for (const key of [...claims.keys()]) release(key);
    bar.stop();
  }
}
