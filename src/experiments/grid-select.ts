/**
 * Steering a grid (issue 24): `--only system=tt,method=eadro,seed=0-2` picks part of a grid by any of
 * its axes, and `eadro grid status` tells each run's state in a results store (done, claimed by a
 * live process, claimed by a dead one, failed with its error, to do).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EadroError } from '../core/errors.js';
import { claimDefaults, claimFile, readClaim, readFailure } from './claims.js';
import { methodLabel, runKey, type GridRun } from './grid.js';
import { isRunFinished, runDir } from './store.js';

/** The axes `--only` filters on, with how each is read from a run. */
export const GRID_AXES: Record<string, (r: GridRun) => string> = {
  system: (r) => ('system' in r.spec.dataset ? String(r.spec.dataset.system) : ''),
  dataset: (r) => r.spec.dataset.kind,
  profile: (r) => (r.spec.dataset.kind === 'testbed' ? r.spec.dataset.profile : ''),
  method: (r) => r.spec.method.name,
  ablation: (r) => r.spec.method.ablation ?? 'none',
  variant: (r) => r.spec.method.variant ?? '',
  protocol: (r) => r.spec.protocol.name,
  seed: (r) => String(r.seed),
  hash: (r) => r.configHash,
};

/** A parsed `--only`: per axis, the accepted values (OR within an axis, AND across axes). */
export type RunFilter = Map<string, string[]>;

/**
 * Parse `key=value,key=value`: a key may repeat (`method=eadro,method=n-sigma`), `seed` takes ranges
 * (`seed=0-2`), `hash` a prefix; values match case-insensitively. Throws naming the bad part.
 */
export function parseOnly(expr: string): RunFilter {
  const filter: RunFilter = new Map();
  for (const part of expr.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq).trim().toLowerCase();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (!(key in GRID_AXES) || value === '') {
      throw new EadroError('Cannot read --only.', { field: '--only', expected: `key=value pairs separated by commas, keys: ${Object.keys(GRID_AXES).join(', ')}; seed=0-2 for a range`, found: part });
    }
    let values = [value.toLowerCase()];
    if (key === 'seed') {
      const range = /^(\d+)-(\d+)$/.exec(value);
      if (range !== null) {
        const [lo, hi] = [Number(range[1]), Number(range[2])];
        if (hi < lo) throw new EadroError('Cannot read --only.', { field: '--only', expected: 'a seed range low-high with low <= high', found: part });
        values = Array.from({ length: hi - lo + 1 }, (_, i) => String(lo + i));
      } else if (!/^\d+$/.test(value)) {
        throw new EadroError('Cannot read --only.', { field: '--only', expected: 'seed=N or seed=low-high', found: part });
      }
    }
    filter.set(key, [...(filter.get(key) ?? []), ...values]);
  }
  return filter;
}

/** The runs a filter accepts, in grid order. */
export function selectRuns(runs: readonly GridRun[], filter: RunFilter): GridRun[] {
  return runs.filter((r) => [...filter].every(([key, values]) => {
    const v = GRID_AXES[key]!(r).toLowerCase();
    return key === 'hash' ? values.some((p) => v.startsWith(p)) : values.includes(v);
  }));
}

export type RunState = 'done' | 'claimed' | 'stale claim' | 'failed' | 'to do';

export interface RunStatus {
  key: string;
  state: RunState;
  /** The run, when the grid is known. */
  run: GridRun | null;
  /** Who holds the claim, the error of a failure, the age of a stale claim. */
  detail: string;
}

function statusOf(resultsDir: string, configHash: string, seed: number, staleAfterSeconds: number): Omit<RunStatus, 'run' | 'key'> {
  if (isRunFinished(runDir(resultsDir, configHash, seed))) return { state: 'done', detail: '' };
  const claim = readClaim(claimFile(resultsDir, configHash, seed), staleAfterSeconds);
  if (claim !== null) {
    const who = claim.record === null ? 'unknown process' : `${claim.record.host} pid ${claim.record.pid}${claim.record.slurmJob === null ? '' : ` (SLURM ${claim.record.slurmJob})`} since ${claim.record.startedAt}`;
    return claim.stale ? { state: 'stale claim', detail: `${who}: ${claim.reason}` } : { state: 'claimed', detail: who };
  }
  const failure = readFailure(resultsDir, configHash, seed);
  if (failure !== null) return { state: 'failed', detail: `${failure.failedAt} on ${failure.host}: ${failure.error.split('\n')[0]}` };
  return { state: 'to do', detail: '' };
}

/**
 * The state of each run: of the given grid's runs, or, without a grid, of every run the store knows
 * (finished, claimed or failed; runs never started are then unknown).
 */
export function gridStatus(resultsDir: string, runs: readonly GridRun[] | null, staleAfterSeconds = claimDefaults.staleAfterSeconds): RunStatus[] {
  if (runs !== null) {
    return runs.map((run) => ({ key: runKey(run), run, ...statusOf(resultsDir, run.configHash, run.seed, staleAfterSeconds) }));
  }
  const root = path.join(resultsDir, 'runs');
  if (!fs.existsSync(root)) {
    throw new EadroError('No results store here.', { file: root, expected: 'a results folder with runs/ (the --out of eadro grid)' });
  }
  const keys = new Set<string>();
  for (const hash of fs.readdirSync(root).sort()) {
    const dir = path.join(root, hash);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const entry of fs.readdirSync(dir)) {
      const m = /^(\d+)(?:\.claim\.json|\.failed\.json)?$/.exec(entry);
      if (m !== null) keys.add(`${hash}/${m[1]}`);
    }
  }
  return [...keys].sort().map((key) => {
    const [hash, seed] = key.split('/') as [string, string];
    return { key, run: null, ...statusOf(resultsDir, hash, Number(seed), staleAfterSeconds) };
  });
}

/** Counts per state, in a fixed order. */
export function statusCounts(statuses: readonly RunStatus[]): Record<RunState, number> {
  const counts: Record<RunState, number> = { done: 0, claimed: 0, 'stale claim': 0, failed: 0, 'to do': 0 };
  for (const s of statuses) counts[s.state]++;
  return counts;
}

/** `2 done, 0 claimed, 0 stale claim, 0 failed, 4 to do`. */
export function formatStatusCounts(statuses: readonly RunStatus[]): string {
  return Object.entries(statusCounts(statuses)).map(([state, n]) => `${n} ${state}`).join(', ');
}

/** One line per run: state, key, what it is, detail. */
export function describeRun(s: RunStatus): string {
  const what = s.run === null ? '' : ` ${methodLabel(s.run.spec.method)} ${GRID_AXES['system']!(s.run)} ${GRID_AXES['protocol']!(s.run)} seed ${s.run.seed}`;
  return `${s.state.padEnd(11)} ${s.key}${what}${s.detail === '' ? '' : `  ${s.detail}`}`;
}
