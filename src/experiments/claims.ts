/**
 * Claims on runs, so that several processes and machines can share one results store (issue 24): a
 * run is claimed before it starts by creating `runs/<hash>/<seed>.claim.json` exclusively (O_EXCL,
 * atomic on local filesystems and on NFS v3+), refreshed while the run lasts (its mtime is the
 * heartbeat), and removed when the run is finished or has failed. A claim whose heartbeat is older than
 * `staleAfterSeconds`, or whose process is gone on this host, is stale: the first process to rename it
 * away (rename is atomic, so exactly one wins) takes the run over. A run that fails leaves
 * `runs/<hash>/<seed>.failed.json` with its error, removed when the run later finishes.
 * Files sit beside the run folder, not in it, because a run empties its folder when it starts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeJsonAtomic } from '../core/io.js';
import { isRunFinished, runDir } from './store.js';

export const claimDefaults = {
  /** ours: a claim is refreshed every minute while its run lasts... */
  heartbeatSeconds: 60,
  /** ...and taken over after 10 minutes without a refresh (a machine that died, a task SLURM killed). */
  staleAfterSeconds: 600,
};

/** What a claim file records. */
export interface ClaimRecord {
  host: string;
  pid: number;
  startedAt: string;
  /** SLURM job and array task, when the claimer runs under SLURM. */
  slurmJob: string | null;
}

/** What a failed run leaves beside its folder. */
export interface FailureRecord {
  error: string;
  host: string;
  pid: number;
  failedAt: string;
  slurmJob: string | null;
}

export function claimFile(resultsDir: string, configHash: string, seed: number): string {
  return `${runDir(resultsDir, configHash, seed)}.claim.json`;
}

export function failureFile(resultsDir: string, configHash: string, seed: number): string {
  return `${runDir(resultsDir, configHash, seed)}.failed.json`;
}

function slurmJob(env: NodeJS.ProcessEnv = process.env): string | null {
  const job = env['SLURM_ARRAY_JOB_ID'] ?? env['SLURM_JOB_ID'];
  if (job === undefined) return null;
  const task = env['SLURM_ARRAY_TASK_ID'];
  return task === undefined ? job : `${job}_${task}`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface ClaimState {
  record: ClaimRecord | null;
  /** Seconds since the last heartbeat. */
  ageSeconds: number;
  stale: boolean;
  /** Why it is stale, when it is. */
  reason: string | null;
}

/** The state of an existing claim file; null when there is none. */
export function readClaim(file: string, staleAfterSeconds = claimDefaults.staleAfterSeconds, now = Date.now()): ClaimState | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return null;
  }
  let record: ClaimRecord | null = null;
  try {
    record = JSON.parse(fs.readFileSync(file, 'utf8')) as ClaimRecord;
  } catch {
    // Being written by its creator (created, not yet filled) or damaged: judged by its age alone.
  }
  const ageSeconds = (now - stat.mtimeMs) / 1000;
  if (ageSeconds > staleAfterSeconds) return { record, ageSeconds, stale: true, reason: `no heartbeat for ${ageSeconds.toFixed(0)} s (limit ${staleAfterSeconds} s)` };
  if (record !== null && record.host === os.hostname() && record.pid !== process.pid && !processAlive(record.pid)) {
    return { record, ageSeconds, stale: true, reason: `process ${record.pid} on ${record.host} is gone` };
  }
  return { record, ageSeconds, stale: false, reason: null };
}

/** A claim this process holds; `release` removes it, `heartbeat` refreshes it. */
export interface Claim {
  file: string;
  heartbeat(): void;
  release(): void;
}

export interface ClaimOptions {
  staleAfterSeconds?: number;
  /**
   * Claim a finished run too: the runner redoes a finished run whose dataset changed since
   * (execute.ts unfinishedRuns). Without it a finished run is never claimed (another process did it).
   */
  redo?: boolean;
  /** Called when a stale claim is taken over (for the log). */
  onTakeover?: (file: string, reason: string) => void;
}

/**
 * Claim a run: null when it is finished or another live process holds it. Creating the file with
 * O_EXCL decides between racers; a stale claim is first renamed to a name unique to this process, and
 * only the racer whose rename succeeded goes on to create a fresh one.
 */
export function claimRun(resultsDir: string, configHash: string, seed: number, opts: ClaimOptions = {}): Claim | null {
  const dir = runDir(resultsDir, configHash, seed);
  const finishedBefore = isRunFinished(dir);
  if (finishedBefore && opts.redo !== true) return null;
  const file = claimFile(resultsDir, configHash, seed);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const record: ClaimRecord = { host: os.hostname(), pid: process.pid, startedAt: new Date().toISOString(), slurmJob: slurmJob() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      try {
        fs.writeSync(fd, `${JSON.stringify(record)}\n`);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      // Finished by someone else between our check and our claim: nothing to do.
      if (!finishedBefore && isRunFinished(dir)) {
        fs.rmSync(file, { force: true });
        return null;
      }
      return {
        file,
        heartbeat: () => {
          const t = new Date();
          try {
            fs.utimesSync(file, t, t);
          } catch {
            // Taken over (renamed away) after a long stall: the run's result is still published atomically.
          }
        },
        release: () => fs.rmSync(file, { force: true }),
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const state = readClaim(file, opts.staleAfterSeconds ?? claimDefaults.staleAfterSeconds);
    if (state === null) continue; // released meanwhile: try again
    if (!state.stale) return null;
    const aside = `${file}.stale-${os.hostname()}-${process.pid}-${Date.now()}`;
    try {
      fs.renameSync(file, aside);
    } catch {
      return null; // another racer took it over first
    }
    fs.rmSync(aside, { force: true });
    opts.onTakeover?.(file, state.reason ?? 'stale');
  }
  return null;
}

/** Keep a failed run's error beside its folder (the next attempt's success removes it). */
export function recordFailure(resultsDir: string, configHash: string, seed: number, error: string): void {
  const rec: FailureRecord = { error, host: os.hostname(), pid: process.pid, failedAt: new Date().toISOString(), slurmJob: slurmJob() };
  writeJsonAtomic(failureFile(resultsDir, configHash, seed), rec);
}

export function clearFailure(resultsDir: string, configHash: string, seed: number): void {
  fs.rmSync(failureFile(resultsDir, configHash, seed), { force: true });
}

export function readFailure(resultsDir: string, configHash: string, seed: number): FailureRecord | null {
  const file = failureFile(resultsDir, configHash, seed);
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as FailureRecord;
  } catch {
    return { error: `unreadable failure record ${file}`, host: '', pid: 0, failedAt: '', slurmJob: null };
  }
}
