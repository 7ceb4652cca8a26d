/**
 * What a grid will cost, before it runs (issue 24: `eadro grid --dry-run`, `eadro reproduce --dry-run`),
 * from measured figures only: the seconds of each run of the main job as `scripts/bench/reproduce.ts`
 * recorded them (results/bench/reproduce-quick.json: per method, system and protocol, on the wasm
 * backend, the `quick` testbed profile at stride 3 and the quick budgets), scaled in proportion to
 *   - the windows of the run's dataset against the measured run's (testbed data: counted from the
 *     schedule of its profile, exactly as the window builder cuts it; raw data: unknown before its
 *     windows are built, so no estimate), and
 *   - for the trained methods, the maximum epochs against the measured run's (an upper bound: early
 *     stopping may stop sooner).
 * Backends without a measured main job (tensorflow, tensorflow-gpu, webgpu on a GPU) get no estimate:
 * results/bench holds no figure for them yet, and a guess would read as a measurement.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRng } from '../core/rng.js';
import { eadroDefaults } from '../models/eadro/config.js';
import { msDefaults } from '../models/ms-baselines/config.js';
import { traceAnomalyDefaults } from '../models/trace-detectors/trace-anomaly.js';
import { multimodalTraceDefaults } from '../models/trace-detectors/multimodal-trace.js';
import { buildSchedule, resolveProfile, type ProfileName } from '../testbed/schedule.js';
import { resolveSystem } from '../testbed/simulate.js';
import { windowDefaults } from '../windows/build.js';
import { methodLabel, type GridRun } from './grid.js';

export const estimateDefaults = {
  /** The main job's benchmark: every run's measured seconds. */
  benchFile: path.join('results', 'bench', 'reproduce-quick.json'),
  /** The backend those seconds were measured on (the project machine has no GPU and no libtensorflow). */
  measuredBackend: 'wasm',
  /**
   * The form the benchmark ran: reproduceDefaults.quick (profile, pipeline stride, epochs), restated
   * here because the main job imports this module (test/experiments/estimate.test.ts checks they agree).
   */
  measured: {
    profile: 'quick' as ProfileName,
    stride: 3,
    maxEpochs: { eadro: 20, 'ms-lstm': 8, 'ms-dcc': 8, 'trace-anomaly': 30, 'multimodal-trace': 5 } as Record<string, number>,
  },
  /** Maximum epochs of the trained methods when a run's params do not set them (each model's defaults). */
  defaultEpochs: {
    eadro: eadroDefaults.common.maxEpochs,
    'ms-lstm': msDefaults.maxEpochs,
    'ms-dcc': msDefaults.maxEpochs,
    'trace-anomaly': traceAnomalyDefaults.maxEpochs,
    'multimodal-trace': multimodalTraceDefaults.maxEpochs,
  } as Record<string, number>,
};

/** One measured run of the benchmark. */
interface MeasuredRun {
  method: string;
  system: string;
  protocol: string;
  seconds: number;
}

export interface EstimateBasis {
  file: string;
  backend: string;
  /** When and at which commit the figures were measured. */
  measuredAt: string;
  commit: string | null;
  runs: MeasuredRun[];
}

/** The measured figures, or null when the benchmark file is missing. */
export function loadEstimateBasis(file = estimateDefaults.benchFile): EstimateBasis | null {
  if (!fs.existsSync(file)) return null;
  const bench = JSON.parse(fs.readFileSync(file, 'utf8')) as { startedAt?: string; code?: { commit?: string }; runs?: MeasuredRun[] };
  return { file, backend: estimateDefaults.measuredBackend, measuredAt: bench.startedAt ?? '', commit: bench.code?.commit ?? null, runs: bench.runs ?? [] };
}

const windowCountCache = new Map<string, number>();

/**
 * Windows the builder cuts from a testbed dataset: per run of the profile's schedule,
 * floor((length − T) / stride) + 1 (the schedule's run lengths do not depend on the fault order).
 * An upper bound by under 1 %: the builder then leaves out the normal windows without any request
 * (TT `quick` at stride 3: 5,125 counted here, 5,083 built), which only the simulation can tell.
 */
export function testbedWindowCount(system: 'TT' | 'SN', profile: string, seed: number, stride: number, T = windowDefaults.T): number {
  const key = `${system}/${profile}/${seed}/${stride}/${T}`;
  const cached = windowCountCache.get(key);
  if (cached !== undefined) return cached;
  const topology = resolveSystem(system === 'TT' ? 'tt' : 'sn');
  const runs = buildSchedule(topology, resolveProfile(topology, profile as ProfileName), createRng(seed).fork('schedule'));
  const count = runs.reduce((sum, r) => sum + Math.max(0, Math.floor((r.end - r.start - T) / stride) + 1), 0);
  windowCountCache.set(key, count);
  return count;
}

export interface RunEstimate {
  /** Estimated seconds of the run on the backend, or null with the reason in `basis`. */
  seconds: number | null;
  basis: string;
}

/** Estimate one run's seconds on a backend. */
export function estimateRun(run: GridRun, basis: EstimateBasis | null, backend: string): RunEstimate {
  if (basis === null) return { seconds: null, basis: `no benchmark file (${estimateDefaults.benchFile}: npx tsx scripts/bench/reproduce.ts)` };
  if (backend !== basis.backend) return { seconds: null, basis: `no main-job benchmark on the ${backend} backend yet` };
  const d = run.spec.dataset;
  if (d.kind !== 'testbed') return { seconds: null, basis: `${d.kind} dataset: its window count is known only once its windows are built` };
  const method = methodLabel(run.spec.method); // as the benchmark names it
  const same = basis.runs.filter((r) => r.method === method && r.system === d.system);
  const exact = same.filter((r) => r.protocol === run.spec.protocol.name);
  const measured = exact.length > 0 ? exact : same;
  if (measured.length === 0) return { seconds: null, basis: `no measured run of ${method} on ${d.system}` };
  const base = measured.reduce((s, r) => s + r.seconds, 0) / measured.length;
  const stride = Number(run.spec.pipeline['stride'] ?? windowDefaults.stride);
  const windowRatio = testbedWindowCount(d.system, d.profile, d.seed, stride) / testbedWindowCount(d.system, estimateDefaults.measured.profile, d.seed, estimateDefaults.measured.stride);
  const measuredEpochs = estimateDefaults.measured.maxEpochs[run.spec.method.name];
  let epochRatio = 1;
  if (measuredEpochs !== undefined) {
    const params = (run.spec.method.params ?? {}) as Record<string, unknown>;
    const epochs = typeof params['maxEpochs'] === 'number' ? params['maxEpochs'] : estimateDefaults.defaultEpochs[run.spec.method.name] ?? measuredEpochs;
    epochRatio = epochs / measuredEpochs;
  }
  const protocolNote = exact.length > 0 ? '' : ` (measured under ${[...new Set(measured.map((r) => r.protocol))].join(', ')})`;
  return {
    seconds: base * windowRatio * epochRatio,
    basis: `${base.toFixed(0)} s measured${protocolNote} x ${windowRatio.toFixed(2)} windows${epochRatio === 1 ? '' : ` x ${epochRatio.toFixed(2)} epochs`}`,
  };
}

export interface GridEstimate {
  backend: string;
  runs: number;
  /** Runs with an estimate, and their summed seconds. */
  estimated: number;
  runSeconds: number;
  /** The longest single run: the wall time on a cluster with a CPU (or GPU) per run. */
  longestRunSeconds: number;
  /** Runs without one, with the first reason. */
  unknown: number;
  unknownReason: string | null;
}

/** Sum the estimates of the runs still to do. */
export function estimateGrid(runs: readonly GridRun[], basis: EstimateBasis | null, backend: string): GridEstimate {
  const out: GridEstimate = { backend, runs: runs.length, estimated: 0, runSeconds: 0, longestRunSeconds: 0, unknown: 0, unknownReason: null };
  for (const run of runs) {
    const e = estimateRun(run, basis, backend);
    if (e.seconds === null) {
      out.unknown++;
      out.unknownReason ??= e.basis;
    } else {
      out.estimated++;
      out.runSeconds += e.seconds;
      out.longestRunSeconds = Math.max(out.longestRunSeconds, e.seconds);
    }
  }
  return out;
}

/** `3 h 12 min`, `14 min`, `40 s`. */
export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

/** The backends an estimate is printed for: the measured one and those a user may choose. */
export const ESTIMATE_BACKENDS = ['wasm', 'tensorflow', 'tensorflow-gpu', 'webgpu'] as const;

/** Lines describing the cost of the runs to do, per backend, for a pool of `pool` processes. */
export function describeEstimate(runs: readonly GridRun[], basis: EstimateBasis | null, pool: number): string[] {
  const lines: string[] = [];
  for (const backend of ESTIMATE_BACKENDS) {
    const e = estimateGrid(runs, basis, backend);
    if (e.estimated === 0) {
      lines.push(`${backend}: no estimate (${e.unknownReason ?? 'nothing to do'})`);
      continue;
    }
    const wall = e.runSeconds / Math.max(1, pool);
    const partial = e.unknown > 0 ? `; ${e.unknown} run(s) without an estimate: ${e.unknownReason}` : '';
    lines.push(`${backend}: ${formatDuration(e.runSeconds)} of runs (${e.estimated} runs), about ${formatDuration(wall)} on ${Math.max(1, pool)} process(es), longest run ${formatDuration(e.longestRunSeconds)} (the wall time with a CPU per run, e.g. SLURM)${partial}; from ${basis!.file} (measured ${basis!.measuredAt}, commit ${basis!.commit?.slice(0, 7) ?? 'unknown'})`);
  }
  return lines;
}
