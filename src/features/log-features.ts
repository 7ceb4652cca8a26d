/**
 * Log features per (window, service): the Hawkes baselines mu of the service's log events in the window,
 * fitted by ADM4 (`hawkes.ts`), as Eadro does (`codes/preprocess/single_process.py`, `deal_logs`).
 * Output layout `[W, N, E]` float32 (`../shared/specs/data-formats.md` §2, `logs.npy`).
 *
 * Two modes (`../shared/specs/reference-code-notes.md` §0.3):
 * - `corrected` (default): times relative to the window start, observation length T. Only the event
 *   types present in the cell are fitted; absent types get mu = 0. Justification: the baseline MLE of a
 *   type with no events is 0 (its log-likelihood term is -mu_u T, maximal at 0), and ADM4 itself returns
 *   exactly 0 for such a type (its E-step sum is empty); its row and column of A are exactly 0 after the
 *   first pass (C = 0 and B >= 0 there, and the proxes keep zero rows and columns zero), so they change the
 *   fit of the present types only through the random start and the first pass's stopping test.
 * - `reference`: the official code's quirks: window-relative times, but end time = the absolute end epoch
 *   of the window (~1.65e9 s), every absent type gets one fake event at t = 0, and repeated timestamps of
 *   a type get +k * 1e-5 s. All E types are fitted. Result (tested): an absent type's only event has
 *   lambda = mu, so its mu is exactly 1 / endTime (~6e-10); a present type's events are dominated by the
 *   excitation from the fake events, each EM pass multiplies its mu by ~1e-9, and it collapses to 0. The
 *   reference log features are thus ~6e-10 x [type absent]: an absence indicator at the 1e-9 scale.
 *
 * Speed: empty cells are not fitted; fits are memoised on the exact (relative times, compact types)
 * content; windows are split into chunks processed by `workers` worker threads (1 = in-process).
 */
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { EadroError } from '../core/errors.js';
import { fitHawkesADM4, hawkesDefaults, type HawkesFitOptions } from './hawkes.js';

export interface ServiceEvents {
  /** Unix seconds, ascending. */
  times: Float64Array;
  /** Event ids in [0, E). */
  types: Int32Array;
}

export interface LogFeatureOptions extends HawkesFitOptions {
  /**
   * `corrected`: ADM4 baselines mu with window-relative times; `reference`: the official code's absolute
   * end time (mu ~ 1e-9); `counts`: events per second of each type in the window (the Poisson MLE, i.e.
   * a Hawkes baseline without excitation), no fit: an alternative log representation for studies.
   */
  mode: 'corrected' | 'reference' | 'counts';
  /** Worker threads; 1 runs in-process. */
  workers: number;
  /** Windows per work unit sent to a worker (also the progress granularity). */
  chunkWindows: number;
  /** Memoised fits kept per thread before the cache is cleared. */
  memoEntries: number;
}

export const logFeatureDefaults: LogFeatureOptions = {
  ...hawkesDefaults, // decay 3 (official code) and tick's ADM4 defaults, see hawkes.ts
  mode: 'corrected', // ours: the reference's absolute end time scales features to ~1e-9 (reference-code-notes §0.3)
  workers: Math.max(1, Math.min(2, os.availableParallelism())), // issue 4: target machine has 2 cores
  chunkWindows: 256, // ours: large enough to amortise messaging, small enough to balance two workers
  memoEntries: 200_000, // ours: ~100 MB at worst; stride-1 windows repeat patterns only within a few seconds
};

/** Resolution of window-relative times (s): rounding makes equal patterns bitwise equal for the memo. */
const TIME_RESOLUTION = 1e-6;
/** The reference's jitter for repeated timestamps (s): single_process.py adds k * 1e-5 to the k-th repeat. */
const REFERENCE_JITTER = 1e-5;

export interface LogFeatureStats {
  cells: number;
  emptyCells: number;
  fits: number;
  memoHits: number;
  events: number;
  /** Outer ADM4 iterations summed over fits (tick checks convergence every 10th, so 11, 21, ... 50). */
  iterations: number;
}

/** What every cell of one call shares: window length, event count and options. Plain data (workerData). */
export interface LogFeatureParams {
  T: number;
  E: number;
  options: LogFeatureOptions;
}

/** One run's input: its services' events and the starts of its windows (unix seconds). */
export interface LogFeatureRun {
  perService: ServiceEvents[];
  windowStarts: Float64Array;
  /**
   * Where to write this run's [W_run, N, E] features, zero-filled (e.g. a view into the whole dataset's
   * log tensor, so that no second copy of it is held: 1.8 GB at `paper` TT scale). Allocated when absent.
   */
  out?: Float32Array;
}

/** Hawkes baselines mu per (window, service): Float32Array [W, N, E]; window w covers [start, start + T). */
export async function computeLogFeatures(
  perService: ServiceEvents[],
  windowStarts: Float64Array,
  T: number,
  E: number,
  options: Partial<LogFeatureOptions> = {},
  onProgress?: (done: number, total: number) => void,
): Promise<Float32Array> {
  return (await computeLogFeaturesWithStats(perService, windowStarts, T, E, options, onProgress)).features;
}

export async function computeLogFeaturesWithStats(
  perService: ServiceEvents[],
  windowStarts: Float64Array,
  T: number,
  E: number,
  options: Partial<LogFeatureOptions> = {},
  onProgress?: (done: number, total: number) => void,
): Promise<{ features: Float32Array; stats: LogFeatureStats }> {
  const { features, stats } = await computeLogFeaturesOfRuns([{ perService, windowStarts }], T, E, options, onProgress);
  return { features: features[0] as Float32Array, stats };
}

/**
 * Log features of several runs in one pass: one [W_run, N, E] array per run, in input order.
 * Why one call for all runs: the workers are started once, not once per run (about 0.3 s each), and
 * the chunks of all runs share one queue, so no worker idles at the end of each run while the other
 * finishes that run's last chunk. Values equal per-run calls exactly: every cell is a deterministic
 * function of its own events (the memo only skips refitting identical content).
 */
export async function computeLogFeaturesOfRuns(
  runs: LogFeatureRun[],
  T: number,
  E: number,
  options: Partial<LogFeatureOptions> = {},
  onProgress?: (done: number, total: number) => void,
): Promise<{ features: Float32Array[]; stats: LogFeatureStats }> {
  const o: LogFeatureOptions = { ...logFeatureDefaults, ...options };
  runs.forEach((run, r) => validateJob(run.perService, run.windowStarts, T, E, o, runs.length > 1 ? `runs[${r}].` : ''));
  const features = runs.map((run, r) => {
    const size = run.windowStarts.length * run.perService.length * E;
    if (run.out === undefined) return new Float32Array(size);
    if (run.out.length !== size) {
      throw new EadroError('Log features: output array of the wrong size', { field: `runs[${r}].out`, expected: `${size} floats ([W, N, E])`, found: String(run.out.length) });
    }
    return run.out;
  });
  const stats = emptyStats();
  const params: LogFeatureParams = { T, E, options: o };
  const chunks: Chunk[] = [];
  runs.forEach((run, r) => {
    const W = run.windowStarts.length;
    for (let w0 = 0; w0 < W; w0 += o.chunkWindows) chunks.push({ run: r, w0, w1: Math.min(W, w0 + o.chunkWindows) });
  });
  const total = runs.reduce((a, run) => a + run.windowStarts.length, 0);
  const workers = Math.min(Math.max(1, Math.floor(o.workers)), chunks.length);
  if (workers <= 1) {
    const computer = new CellComputer(params);
    let done = 0;
    for (const c of chunks) {
      const run = runs[c.run] as LogFeatureRun;
      const cellSize = run.perService.length * E;
      computer.computeWindows(run.perService, run.windowStarts.subarray(c.w0, c.w1), (features[c.run] as Float32Array).subarray(c.w0 * cellSize, c.w1 * cellSize), stats);
      done += c.w1 - c.w0;
      onProgress?.(done, total);
    }
    return { features, stats };
  }
  await runInWorkers(params, runs, chunks, workers, features, stats, total, onProgress);
  return { features, stats };
}

/** A work unit: windows [w0, w1) of run `run`. */
interface Chunk {
  run: number;
  w0: number;
  w1: number;
}

export function emptyStats(): LogFeatureStats {
  return { cells: 0, emptyCells: 0, fits: 0, memoHits: 0, events: 0, iterations: 0 };
}

function validateJob(perService: ServiceEvents[], windowStarts: Float64Array, T: number, E: number, o: LogFeatureOptions, fieldPrefix = ''): void {
  if (!(T > 0)) throw new EadroError('Log features: bad window length', { field: 'T', expected: 'seconds > 0', found: String(T) });
  if (!Number.isInteger(E) || E < 1) throw new EadroError('Log features: bad event count', { field: 'E', expected: 'an integer >= 1', found: String(E) });
  if (o.mode !== 'corrected' && o.mode !== 'reference' && o.mode !== 'counts') {
    throw new EadroError('Log features: unknown mode', { field: 'mode', expected: "'corrected', 'reference' or 'counts'", found: String(o.mode) });
  }
  for (let w = 0; w < windowStarts.length; w++) {
    if (!Number.isFinite(windowStarts[w])) throw new EadroError('Log features: bad window start', { field: `${fieldPrefix}windowStarts[${w}]`, expected: 'finite unix seconds', found: String(windowStarts[w]) });
  }
  perService.forEach((s, n) => {
    if (s.times.length !== s.types.length) {
      throw new EadroError('Log features: times and types differ in length', { field: `${fieldPrefix}perService[${n}]`, expected: 'equal lengths', found: `${s.times.length} vs ${s.types.length}` });
    }
    for (let i = 0; i < s.times.length; i++) {
      const u = s.types[i] as number;
      if (!(u >= 0 && u < E)) throw new EadroError('Log features: event id out of range', { field: `${fieldPrefix}perService[${n}].types[${i}]`, expected: `an integer in [0, ${E})`, found: String(u) });
      if (i > 0 && (s.times[i] as number) < (s.times[i - 1] as number)) {
        throw new EadroError('Log features: times must be ascending', { field: `${fieldPrefix}perService[${n}].times[${i}]`, expected: `>= ${s.times[i - 1]}`, found: String(s.times[i]) });
      }
    }
  });
}

/** First index i with times[i] >= t (times ascending). */
export function lowerBound(times: Float64Array, t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Computes cells for windows; holds one thread's memo. Used in-process and inside each worker. */
export class CellComputer {
  private readonly memo = new Map<string, Float64Array>();
  /** Scratch: compact index of each event id in the current cell (-1 = absent). */
  private readonly compactOf: Int32Array;

  constructor(private readonly params: LogFeatureParams) {
    this.compactOf = new Int32Array(params.E).fill(-1);
  }

  /** out: [windowStarts.length, N, E] for these windows of a run whose events are perService. */
  computeWindows(perService: ServiceEvents[], windowStarts: Float64Array, out: Float32Array, stats: LogFeatureStats): void {
    const { E } = this.params;
    const N = perService.length;
    for (let w = 0; w < windowStarts.length; w++) {
      for (let n = 0; n < N; n++) {
        const cell = out.subarray((w * N + n) * E, (w * N + n + 1) * E);
        this.computeCell(perService[n] as ServiceEvents, windowStarts[w] as number, cell, stats);
      }
    }
  }

  private computeCell(service: ServiceEvents, start: number, cell: Float32Array, stats: LogFeatureStats): void {
    const { T, options } = this.params;
    stats.cells++;
    const i0 = lowerBound(service.times, start);
    const i1 = lowerBound(service.times, start + T);
    const n = i1 - i0;
    stats.events += n;
    if (options.mode === 'reference') {
      this.referenceCell(service, i0, i1, start, cell, stats);
      return;
    }
    if (options.mode === 'counts') {
      if (n === 0) stats.emptyCells++;
      for (let i = i0; i < i1; i++) cell[service.types[i] as number]! += 1 / T; // events per second
      return;
    }
    if (n === 0) {
      stats.emptyCells++;
      return; // Float32Array is zero-filled: every mu is 0, the MLE for types without events.
    }
    // Compact the present types in ascending id order, so equal patterns give equal keys.
    const present: number[] = [];
    for (let i = i0; i < i1; i++) {
      const u = service.types[i] as number;
      if (this.compactOf[u] === -1) {
        this.compactOf[u] = 0;
        present.push(u);
      }
    }
    present.sort((a, b) => a - b);
    present.forEach((u, k) => (this.compactOf[u] = k));
    const times = new Float64Array(n);
    const types = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      times[i] = roundTime((service.times[i0 + i] as number) - start);
      types[i] = this.compactOf[service.types[i0 + i] as number] as number;
    }
    for (const u of present) this.compactOf[u] = -1;
    const mu = this.fitMemo(times, types, present.length, T, stats);
    present.forEach((u, k) => (cell[u] = mu[k] as number));
  }

  /** The official code's cell: all E types, fake t = 0 events for absent ones, absolute end time. */
  private referenceCell(service: ServiceEvents, i0: number, i1: number, start: number, cell: Float32Array, stats: LogFeatureStats): void {
    const { T, E } = this.params;
    const endTime = start + T; // absolute end epoch of the window (the reference passes e + 1; see module doc)
    if (i1 === i0) {
      // Every type has exactly its fake event at t = 0: no event precedes another, so lambda_u(0) = mu_u,
      // the E-step gives sum_i mu_u / lambda_u = 1 and mu_u = 1 / endTime from the first pass on.
      // (Tested against the full fit in test/features/log-features.test.ts.)
      stats.emptyCells++;
      cell.fill(1 / endTime);
      return;
    }
    const perType: number[][] = Array.from({ length: E }, () => []);
    for (let i = i0; i < i1; i++) perType[service.types[i] as number]!.push(roundTime((service.times[i] as number) - start));
    const events: [number, number][] = [];
    for (let u = 0; u < E; u++) {
      const list = perType[u] as number[];
      if (list.length === 0) {
        events.push([0, u]);
        continue;
      }
      let repeats = 0;
      for (let k = 0; k < list.length; k++) {
        repeats = k > 0 && list[k] === list[k - 1] ? repeats + 1 : 0;
        events.push([(list[k] as number) + repeats * REFERENCE_JITTER, u]);
      }
    }
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const times = Float64Array.from(events, (e) => e[0]);
    const types = Int32Array.from(events, (e) => e[1]);
    const mu = this.fitMemo(times, types, E, endTime, stats);
    for (let u = 0; u < E; u++) cell[u] = mu[u] as number;
  }

  private fitMemo(times: Float64Array, types: Int32Array, D: number, endTime: number, stats: LogFeatureStats): Float64Array {
    const keyData = new Float64Array(times.length * 2 + 2);
    keyData[0] = D;
    keyData[1] = endTime;
    keyData.set(times, 2);
    for (let i = 0; i < types.length; i++) keyData[2 + times.length + i] = types[i] as number;
    const key = Buffer.from(keyData.buffer).toString('latin1');
    const hit = this.memo.get(key);
    if (hit !== undefined) {
      stats.memoHits++;
      return hit;
    }
    stats.fits++;
    const fit = fitHawkesADM4(times, types, D, endTime, this.params.options);
    stats.iterations += fit.iterations;
    const mu = fit.baseline;
    if (this.memo.size >= this.params.options.memoEntries) this.memo.clear();
    this.memo.set(key, mu);
    return mu;
  }
}

function roundTime(t: number): number {
  return Math.round(t / TIME_RESOLUTION) * TIME_RESOLUTION;
}

// ---------------------------------------------------------------------------------------------------
// Worker pool

/** Messages from a worker. */
export type WorkerReply =
  | { kind: 'done'; chunk: number; features: Float32Array; stats: LogFeatureStats }
  | { kind: 'error'; message: string };

/**
 * Messages to a worker. A worker holds the events of one run at a time: `run` replaces them and is sent
 * before the first chunk of another run (chunks go out in run order, so each worker gets each run once).
 */
export type WorkerRequest =
  | { kind: 'run'; perService: ServiceEvents[] }
  | { kind: 'chunk'; chunk: number; windowStarts: Float64Array }
  | { kind: 'stop' };

function runInWorkers(
  params: LogFeatureParams,
  runs: LogFeatureRun[],
  chunks: Chunk[],
  workerCount: number,
  features: Float32Array[],
  stats: LogFeatureStats,
  total: number,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  // The worker entry is a plain .mjs that registers tsx itself, so it runs whether the parent was started
  // by tsx (npx tsx, mocha --import=tsx) or by bin/eadro.js (tsx's register API, invisible to workers).
  const entry = new URL('./log-features.worker.mjs', import.meta.url);
  return new Promise((resolve, reject) => {
    const pool: Worker[] = [];
    /** Run whose events each worker holds (-1: none yet). */
    const heldRun: number[] = [];
    /** Whether each worker was told to stop (an exit before that is a failure, never a silent end). */
    const stopped: boolean[] = [];
    let next = 0;
    let finished = 0;
    let doneWindows = 0;
    let failed = false;
    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      for (const w of pool) void w.terminate();
      reject(err);
    };
    const dispatch = (k: number): void => {
      const worker = pool[k] as Worker;
      if (next >= chunks.length) {
        stopped[k] = true;
        worker.postMessage({ kind: 'stop' } satisfies WorkerRequest);
        return;
      }
      const chunk = next++;
      const c = chunks[chunk] as Chunk;
      const run = runs[c.run] as LogFeatureRun;
      if (heldRun[k] !== c.run) {
        worker.postMessage({ kind: 'run', perService: run.perService } satisfies WorkerRequest);
        heldRun[k] = c.run;
      }
      worker.postMessage({ kind: 'chunk', chunk, windowStarts: run.windowStarts.slice(c.w0, c.w1) } satisfies WorkerRequest);
    };
    for (let k = 0; k < workerCount; k++) {
      const worker = new Worker(entry, { workerData: params });
      pool.push(worker);
      heldRun.push(-1);
      stopped.push(false);
      worker.on('message', (msg: WorkerReply) => {
        if (failed) return;
        if (msg.kind === 'error') {
          fail(new Error(`log-features worker: ${msg.message}`));
          return;
        }
        const c = chunks[msg.chunk] as Chunk;
        const cellSize = (runs[c.run] as LogFeatureRun).perService.length * params.E;
        (features[c.run] as Float32Array).set(msg.features, c.w0 * cellSize);
        for (const key of Object.keys(stats) as (keyof LogFeatureStats)[]) stats[key] += msg.stats[key];
        doneWindows += c.w1 - c.w0;
        onProgress?.(doneWindows, total);
        finished++;
        if (finished === chunks.length) {
          pool.forEach((w, j) => {
            stopped[j] = true;
            w.postMessage({ kind: 'stop' } satisfies WorkerRequest);
          });
          resolve();
          return;
        }
        dispatch(k);
      });
      worker.on('error', (err) => fail(err));
      // A worker gone before it was told to stop would leave its chunk unfinished and, once no other
      // handle is left, end the process silently with this promise pending: fail loudly instead.
      worker.on('exit', (code) => {
        if (!stopped[k] && finished < chunks.length) {
          fail(new Error(`log-features worker ${k} exited with code ${code} before it was told to stop (${chunks.length - finished} of ${chunks.length} chunks unfinished)`));
        }
      });
      dispatch(k);
    }
  });
}
