/**
 * The testbed's entry point: simulate a system second by second under a fault schedule and stream
 * its telemetry to disk in the released raw layout (data-formats.md §1), one run at a time (memory
 * is bounded by the longest run, not by the whole schedule). Same seed, same bytes.
 *
 * Per second: set every service's state (faults, background jobs, noisy neighbours), draw Poisson
 * arrivals (paper §V-A rates, with load wobble), generate one trace per admitted request (traces.ts),
 * and one per step of a user scenario when that step falls due (a scenario's next API call starts when
 * the previous one has returned plus a think time), emit background logs; at the end of a run turn the
 * per-second counters into KPIs (kpis.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EadroError } from '../core/errors.js';
import { writeJsonAtomic } from '../core/io.js';
import { createRng, type Rng } from '../core/rng.js';
import { TESTBED_FAULT_TYPES, type TestbedFaultType } from '../raw/types.js';
import { assignHosts, drawConfounders, loadFactor, type RunConfounders } from './confounders.js';
import { drawFaultEffect, FAULT_SYMPTOM_SOURCES, faultDefaults, type FaultEffect, type SymptomSource } from './faults.js';
import { kpiCsv, KpiAccumulator, serviceKpis } from './kpis.js';
import { buildServiceTemplates, LogBuffer, logDefaults, LogRenderer, type ServiceLogTemplates } from './logs.js';
import { buildSchedule, PROFILE_NAMES, resolveProfile, scheduleDefaults, type ProfileName, type ScheduleProfile, type ScheduledRun } from './schedule.js';
import { socialNetwork } from './systems/socialnetwork.js';
import { trainTicket } from './systems/trainticket.js';
import { containerName, flowEdges, flowSteps, parseTopology, servicesInCall, type CallSpec, type Topology } from './topology.js';
import { generateTrace, type TraceContext, type WorldState } from './traces.js';
import { RunWriter, type FaultRecordJson } from './writer.js';

/** Version of the generator: bump when output for a seed changes. */
export const TESTBED_VERSION = '1.4.0'; // 1.1: TT user scenarios; job vs hog CPU split. 1.2: calls into a network-faulted target time out at the caller (no request vanishes). 1.2.1: testbed.json records each fault's symptom seconds (raw telemetry unchanged). 1.3: a packet-loss failure loses the request (no callee span) or the reply (a normal callee span), never a callee time-out span. 1.4: code-level faults `exception` and `error_return` (quick profile: 5 types, longer fault-free time); testbed.json records symptomSources and kpiIntervalSeconds; optional coarser KPI sampling (paper/tiny raw output unchanged)

export const testbedDefaults = {
  /** ours: the default data of tests and quick runs. */
  profile: 'tiny' as ProfileName,
  seed: 0,
  /** ours: report progress every this many simulated seconds. */
  progressEverySeconds: 600,
  /** ours: under packet loss, the target's own connection-error lines per second (paper §III's example event). */
  connectionErrorPerSecond: 0.05,
  /** ours: a scripted client's pause between the API calls of a scenario (response handling, next page), ms. */
  scenarioThinkMs: [150, 900] as [number, number],
  /**
   * data-formats.md §1: the released KPI files hold one row per second. Prometheus-style exports
   * scrape every 15-60 s (e.g. 30); the raw reader resamples any interval to 1 s (src/raw/metrics.ts).
   */
  kpiIntervalSeconds: 1,
};

export type SystemName = 'tt' | 'sn';

export interface SimulateOptions {
  system: SystemName | Topology;
  profile: ProfileName;
  seed: number;
  out: string;
  /** Called as simulated time advances (seconds done, seconds in all). */
  onProgress?: (doneSeconds: number, totalSeconds: number) => void;
  /** KPI sampling interval, whole seconds >= 1 (default `testbedDefaults.kpiIntervalSeconds`; kpis.ts `kpiCsv`). */
  kpiIntervalSeconds?: number;
  /**
   * Inject exactly these (service, fault type) pairs, in this order, with the profile's timings,
   * instead of the profile's own (e.g. only `exception` faults on one service).
   */
  pairs?: ReadonlyArray<readonly [service: string, type: TestbedFaultType]>;
  /**
   * A control recording: the same schedule, records and seed, but no fault takes effect (every
   * symptomSeconds is empty; testbed.json `faultsWithheld: true`). Compare it with the same
   * simulation with the faults to see what they change: identical up to a fault's first effect, the
   * two differ in their random details after it (one stream per run), so compare statistically
   * (test/testbed/code-faults.test.ts). Default false.
   */
  withholdFaults?: boolean;
}

export interface TestbedFault {
  service: string;
  container: string;
  type: TestbedFaultType;
  start: number;
  duration: number;
  /**
   * The drawn strength: hog percent, delay ms, loss rate, share of the API calls through the target
   * whose calls into it get through; share of the target's calls that throw; share of its answers that are wrong.
   */
  severity: { cpuHogPercent?: number; delayMs?: number; lossRate?: number; throughput?: number; exceptionRate?: number; wrongResultRate?: number };
  /**
   * Seconds since `start` (whole seconds [start + k, start + k + 1)) in which the fault left a mark in
   * the telemetry: every second for a CPU hog (its CPU KPIs); for a network fault, the seconds with a
   * call into or out of the target while faulted, or a connection-error log of the target; for
   * `exception`, the seconds in which the target threw; for `error_return`, those in which a caller
   * noticed a wrong answer (its WARN or ERROR line). Ground truth for how detectable each window is
   * (src/evaluation/detectability.ts); absent before testbed 1.2.1.
   */
  symptomSeconds?: number[];
  /** The sources those seconds show in (faults.ts FAULT_SYMPTOM_SOURCES); absent before testbed 1.4. */
  symptomSources?: SymptomSource[];
}

export interface TestbedRun {
  id: string;
  kind: 'normal' | 'fault';
  start: number;
  end: number;
  /** Path relative to the output root. */
  dir: string;
  faults: TestbedFault[];
  /**
   * Ground truth of the things that look like faults but are not (confounders.ts), clipped to the
   * run: background jobs (CPU, percent of one core) and noisy-neighbour episodes (processing-time factor).
   */
  distractors: {
    jobs: Array<{ service: string; name: string; start: number; end: number; cpuPercent: number }>;
    noisyNeighbours: Array<{ host: number; services: string[]; start: number; end: number; slowdown: number }>;
  };
}

/** `testbed.json`: what was generated, from what, and how much. Deterministic (no wall-clock times). */
export interface TestbedManifest {
  generator: 'eadro-ts testbed';
  version: string;
  system: string;
  profile: ProfileName;
  seed: number;
  topology: {
    services: string[];
    /** caller->callee pairs the flows produce. */
    edges: string[];
    flows: Array<{ name: string; weight: number }>;
    requestRate: { min: number; max: number };
    logStyle: string;
    containerPattern: string;
    /** Simulated host of each service (noisy neighbours and CPU contention are per host). */
    hosts: Record<string, number>;
  };
  schedule: Omit<ScheduleProfile, 'pairs'>;
  /** KPI sampling interval of the metric files, seconds (1 unless asked otherwise; absent before testbed 1.4). */
  kpiIntervalSeconds: number;
  /** Present (true) for a control recording whose faults were scheduled but never took effect. */
  faultsWithheld?: true;
  /** All sources are written in UTC, so no clock offset is needed (unlike the released data). */
  clockOffsets: { spans: 0; logs: 0; metrics: 0; records: 0 };
  timeRange: { start: number; end: number };
  runs: TestbedRun[];
  counts: {
    runs: number;
    normalRuns: number;
    faultRuns: number;
    faults: number;
    faultsByType: Record<string, number>;
    simulatedSeconds: number;
    traces: number;
    spans: number;
    logLines: number;
    metricRows: number;
    bytes: number;
  };
}

/** The built-in systems, for notebooks and the CLI. */
export const testbedSystems: Record<SystemName, () => Topology> = { tt: trainTicket, sn: socialNetwork };

export function resolveSystem(system: SystemName | Topology): Topology {
  if (system === 'tt' || system === 'sn') return testbedSystems[system]();
  if (typeof system === 'string') {
    throw new EadroError('Unknown testbed system.', { field: 'system', expected: '"tt", "sn" or a topology', found: String(system) });
  }
  return parseTopology(system, '(topology object)');
}

/** Remove a previous testbed's output; refuse to write over other data. */
function prepareOut(out: string): void {
  fs.mkdirSync(out, { recursive: true });
  const owned = ['data', 'no fault'].filter((d) => fs.existsSync(path.join(out, d)));
  if (owned.length === 0) return;
  if (!fs.existsSync(path.join(out, 'testbed.json'))) {
    throw new EadroError('Output directory already holds raw data that the testbed did not write.', {
      file: out,
      expected: 'an empty directory, or one written by `eadro simulate` (it has testbed.json)',
      found: owned.join(', '),
    });
  }
  for (const d of owned) fs.rmSync(path.join(out, d), { recursive: true, force: true });
  fs.rmSync(path.join(out, 'testbed.json'), { force: true });
}

function operationsByService(topology: Topology): Map<string, string[]> {
  const ops = new Map<string, Set<string>>(topology.services.map((s) => [s.name, new Set()]));
  const visit = (c: CallSpec): void => {
    ops.get(c.service)!.add(c.operation);
    for (const child of c.calls ?? []) visit(child);
  };
  for (const f of topology.flows) for (const step of flowSteps(f)) visit(step);
  return new Map([...ops].map(([k, v]) => [k, [...v]]));
}

/** A scenario step waiting for its time: flow index, step index, start in unix microseconds. */
interface PendingStep {
  flow: number;
  step: number;
  atUs: number;
}

interface Counters {
  traces: number;
  spans: number;
  logLines: number;
  metricRows: number;
  bytes: number;
}

interface Shared {
  topology: Topology;
  serviceIndex: Map<string, number>;
  serviceJson: string[];
  hostOf: Int32Array;
  hostCount: number;
  hostNames: string[];
  ports: number[];
  templates: ServiceLogTemplates[];
  /** Per flow, per scenario step: the services that step's call tree reaches. */
  stepServices: Array<Array<Set<number>>>;
  flowSteps: CallSpec[][];
  flowWeights: number[];
}

/** What a simulated run hands back for testbed.json besides its files. */
interface RunOutcome {
  confounders: RunConfounders;
  /** Per fault of the run (same order): its symptom seconds (TestbedFault.symptomSeconds). */
  symptomSeconds: number[][];
}

/**
 * Simulate one run. `effects` are its faults' drawn effects (none take effect when `withhold`: a
 * control recording); `kpiIntervalSeconds` is the KPI files' sampling interval.
 */
function simulateRun(
  shared: Shared,
  run: ScheduledRun,
  effects: FaultEffect[],
  root: Rng,
  out: string,
  counters: Counters,
  tick: (s: number) => void,
  opts: { withhold: boolean; kpiIntervalSeconds: number },
): RunOutcome {
  const active = opts.withhold ? [] : effects;
  const { topology } = shared;
  const N = topology.services.length;
  const S = run.end - run.start;
  const runRng = root.fork(`run/${run.id}`);
  const arrivals = runRng.fork('arrivals');
  // Its own stream, so that systems without scenarios draw exactly what they drew before scenarios existed.
  const scenarioRng = runRng.fork('scenarios');
  const logRng = runRng.fork('logs');
  const confounders: RunConfounders = drawConfounders(N, shared.hostCount, run.start, run.end, runRng.fork('confounders'));
  const rate = runRng.fork('rate').uniform(topology.requestRate.min, topology.requestRate.max);
  const kpi = new KpiAccumulator(N, S);
  const logs = new LogBuffer(topology.services.map((s) => s.name));
  const renderer = new LogRenderer(topology.logStyle, logRng);
  const state: WorldState = {
    slowdown: new Float64Array(N),
    delayMs: new Float64Array(N),
    lossRate: new Float64Array(N),
    exceptionRate: new Float64Array(N),
    wrongResultRate: new Float64Array(N),
  };
  const ctx: TraceContext = {
    topology,
    serviceIndex: shared.serviceIndex,
    serviceJson: shared.serviceJson,
    opJson: new Map(),
    hostNames: shared.hostNames,
    ports: shared.ports,
    templates: shared.templates,
    renderer,
    logs,
    kpi,
    runStart: run.start,
    state,
    rng: runRng.fork('traces'),
  };
  const writer = new RunWriter(out, run);
  try {
    // Background jobs announce themselves in the logs of their service.
    for (const job of confounders.jobs) {
      const tpl = shared.templates[job.service]!;
      if (job.start >= run.start) logs.add(job.service, job.start, renderer.render(tpl.jobStart, job.start, shared.ports[job.service]!, { job: job.name }));
      if (job.end < run.end && job.end >= run.start) {
        logs.add(job.service, job.end, renderer.render(tpl.jobEnd, job.end, shared.ports[job.service]!, { job: job.name, ms: (job.end - job.start) * 1000 }));
      }
    }
    const networkFaults: Array<{ target: number; throughput: number }> = [];
    const offsets: number[] = [];
    const pending: PendingStep[] = []; // scenario steps not yet made; those due after the run's end are dropped
    /**
     * The network-faulted services this trace's calls cannot reach (one draw per fault the step
     * reaches): each call into one of them fails at the caller after a connect/read time-out
     * (traces.ts), so the target never handles it.
     */
    const unreachable = (services: Set<number>, rng: Rng): Set<number> | undefined => {
      let blocked: Set<number> | undefined;
      for (const nf of networkFaults) if (services.has(nf.target) && rng.next() >= nf.throughput) (blocked ??= new Set()).add(nf.target);
      return blocked;
    };
    /** The step after `step`, due a think time after `doneUs`; queued unless the scenario is over. */
    const queueNextStep = (flow: number, step: number, doneUs: number): void => {
      const steps = shared.flowSteps[flow]!;
      if (step + 1 >= steps.length) return;
      const atUs = doneUs + 1000 * scenarioRng.uniform(testbedDefaults.scenarioThinkMs[0], testbedDefaults.scenarioThinkMs[1]);
      let next = step + 1;
      while (next < steps.length && scenarioRng.next() >= (steps[next]!.probability ?? 1)) next++;
      if (next < steps.length) pending.push({ flow, step: next, atUs });
    };
    /** Make step `step` of a scenario at `atUs` (one trace) and queue the scenario's next step. */
    const makeStep = (flow: number, step: number, atUs: number, blocked?: ReadonlySet<number>): void => {
      const trace = generateTrace(ctx, shared.flowSteps[flow]![step]!, atUs, blocked);
      if (trace.spans > 0) {
        writer.writeTrace(trace.json);
        counters.traces++;
        counters.spans += trace.spans;
      }
      // A scripted client stops its scenario at an error response (e.g. a call lost to packet loss).
      if (!trace.error) queueNextStep(flow, step, atUs + trace.durationUs);
    };
    /** Make the pending scenario steps due before `untilUs`, earliest first (a step may queue one due before it too). */
    const makeDueSteps = (untilUs: number): void => {
      for (;;) {
        let first = -1;
        for (let k = 0; k < pending.length; k++) if (first < 0 || pending[k]!.atUs < pending[first]!.atUs) first = k;
        if (first < 0 || pending[first]!.atUs >= untilUs) return;
        const p = pending.splice(first, 1)[0]!;
        makeStep(p.flow, p.step, p.atUs, unreachable(shared.stepServices[p.flow]![p.step]!, scenarioRng));
      }
    };
    for (let s = 0; s < S; s++) {
      const t = run.start + s;
      const mid = t + 0.5;
      state.slowdown.fill(1);
      state.delayMs.fill(0);
      state.lossRate.fill(0);
      state.exceptionRate.fill(0);
      state.wrongResultRate.fill(0);
      for (const job of confounders.jobs) {
        if (mid >= job.start && mid < job.end) state.slowdown[job.service] *= 1 + job.cpuPercent / 400; // contention inside the container
      }
      for (const ep of confounders.neighbours) {
        if (mid < ep.start || mid >= ep.end) continue;
        for (let i = 0; i < N; i++) if (shared.hostOf[i] === ep.host) state.slowdown[i] *= ep.slowdown;
      }
      networkFaults.length = 0;
      for (const f of active) {
        if (mid < f.start || mid >= f.end) continue;
        const target = shared.serviceIndex.get(f.service)!;
        // Code-level faults change answers only (traces.ts); no CPU, delay or log of their own here.
        if (f.type === 'exception') state.exceptionRate[target] = f.exceptionRate;
        else if (f.type === 'error_return') state.wrongResultRate[target] = f.wrongResultRate;
        else if (f.type === 'cpu_exhaustion') {
          state.slowdown[target] *= f.slowdown;
          for (let i = 0; i < N; i++) if (i !== target && shared.hostOf[i] === shared.hostOf[target]) state.slowdown[i] *= f.neighbourSlowdown;
          if (logRng.next() < faultDefaults.cpuWarningRate) {
            const tpl = logRng.choice(shared.templates[target]!.cpuWarning);
            const at = t + logRng.next();
            logs.add(target, at, renderer.render(tpl, at, shared.ports[target]!));
          }
        } else {
          if (f.type === 'network_delay') state.delayMs[target] = f.delayMs;
          else {
            state.lossRate[target] = f.lossRate;
            if (logRng.next() < testbedDefaults.connectionErrorPerSecond) {
              const at = t + logRng.next();
              logs.add(target, at, renderer.render(shared.templates[target]!.connectionError, at, shared.ports[target]!));
              kpi.faultSymptoms[kpi.slot(target, s)] += 1;
            }
          }
          networkFaults.push({ target, throughput: f.throughput });
        }
      }
      // Requests: Poisson arrivals at the run's rate, modulated by load wobble.
      const n = arrivals.poisson(rate * loadFactor(confounders, t));
      offsets.length = 0;
      for (let k = 0; k < n; k++) offsets.push(arrivals.next());
      offsets.sort((a, b) => a - b);
      for (const off of offsets) {
        makeDueSteps((t + off) * 1e6);
        const flow = arrivals.weightedIndex(shared.flowWeights);
        makeStep(flow, 0, (t + off) * 1e6, unreachable(shared.stepServices[flow]![0]!, arrivals));
      }
      makeDueSteps((t + 1) * 1e6);
      for (let i = 0; i < N; i++) {
        const tpl = shared.templates[i]!;
        if (logRng.next() < logDefaults.backgroundPerSecond) {
          const at = t + logRng.next();
          logs.add(i, at, renderer.render(logRng.choice(tpl.background), at, shared.ports[i]!));
        }
        if (logRng.next() < logDefaults.benignWarningPerSecond) {
          const at = t + logRng.next();
          logs.add(i, at, renderer.render(logRng.choice(tpl.benignWarning), at, shared.ports[i]!));
        }
      }
      tick(s);
    }
    // KPIs from the per-second counters.
    const steal = Array.from({ length: shared.hostCount }, () => new Float64Array(S));
    for (const ep of confounders.neighbours) {
      const a = Math.max(0, Math.floor(ep.start - run.start));
      const b = Math.min(S, Math.ceil(ep.end - run.start));
      for (let x = a; x < b; x++) steal[ep.host]![x] += ep.systemCpuPercent;
    }
    const kpiRng = runRng.fork('kpis');
    topology.services.forEach((spec, i) => {
      const series = serviceKpis(kpi, i, spec, run.start, active, confounders, steal[shared.hostOf[i]!]!, kpiRng.fork(spec.name));
      writer.writeMetrics(spec.name, kpiCsv(series, run.start, opts.kpiIntervalSeconds));
      counters.metricRows += Math.ceil(S / opts.kpiIntervalSeconds);
    });
    writer.writeLogs(logs);
    counters.logLines += logs.count;
    const record: FaultRecordJson | null =
      run.kind === 'fault'
        ? { start: run.start, end: run.end, faults: run.faults.map((f) => ({ name: containerName(topology, f.service), fault: f.type, start: f.start, duration: f.duration })) }
        : null;
    writer.finish(record);
    counters.bytes += writer.bytes;
    const symptomSeconds = effects.map((f) => (opts.withhold ? [] : symptomSecondsOf(f, kpi, run.start, shared.serviceIndex.get(f.service)!)));
    return { confounders, symptomSeconds };
  } catch (err) {
    writer.abort();
    throw err;
  }
}

/**
 * The seconds of a fault (offsets from its start) in which it left a mark in the telemetry. A CPU hog
 * shows in its target's CPU KPIs every second. A network fault shows only through traffic: a call into
 * or out of the target while the fault was active (delayed, lost or timed out), or the target's
 * connection-error log; in a second without such a call it is invisible in every source. An
 * `exception` shows in the seconds its target threw (error log and span); an `error_return` in those
 * in which a caller noticed a wrong answer (traces.ts marks both in `faultSymptoms`).
 */
function symptomSecondsOf(f: FaultEffect, kpi: KpiAccumulator, runStart: number, target: number): number[] {
  const seconds: number[] = [];
  for (let k = 0; k < f.end - f.start; k++) {
    if (f.type === 'cpu_exhaustion') seconds.push(k);
    else {
      const slot = kpi.slot(target, f.start + k - runStart);
      if (slot >= 0 && kpi.faultSymptoms[slot]! > 0) seconds.push(k);
    }
  }
  return seconds;
}

/**
 * Simulate a system under a profile's fault schedule and write its raw telemetry under `out`:
 * `no fault/<run>/...`, `data/<run>/...`, `data/<run>.json`, and `testbed.json` (returned).
 */
export async function simulate(options: SimulateOptions): Promise<TestbedManifest> {
  if (!PROFILE_NAMES.includes(options.profile)) {
    throw new EadroError('Unknown testbed profile.', { field: 'profile', expected: PROFILE_NAMES.join(' | '), found: String(options.profile) });
  }
  if (!Number.isInteger(options.seed) || options.seed < 0) {
    throw new EadroError('Invalid seed.', { field: 'seed', expected: 'a non-negative integer', found: String(options.seed) });
  }
  const topology = resolveSystem(options.system);
  const kpiIntervalSeconds = options.kpiIntervalSeconds ?? testbedDefaults.kpiIntervalSeconds;
  if (!Number.isInteger(kpiIntervalSeconds) || kpiIntervalSeconds < 1) {
    throw new EadroError('Invalid KPI sampling interval.', { field: 'kpiIntervalSeconds', expected: 'a whole number of seconds >= 1 (e.g. 30)', found: String(options.kpiIntervalSeconds) });
  }
  const withhold = options.withholdFaults === true;
  const profile: ScheduleProfile = options.pairs === undefined ? resolveProfile(topology, options.profile) : { ...resolveProfile(topology, options.profile), pairs: checkPairs(topology, options.pairs) };
  const root = createRng(options.seed);
  const runs = buildSchedule(topology, profile, root.fork('schedule'), scheduleDefaults.startUnixSeconds);
  const N = topology.services.length;
  const hostOf = assignHosts(N, root.fork('hosts'));
  const hostCount = Math.max(...hostOf) + 1;
  const ops = operationsByService(topology);
  const serviceIndex = new Map(topology.services.map((s, i) => [s.name, i]));
  const stepsOfFlows = topology.flows.map((f) => flowSteps(f));
  const shared: Shared = {
    topology,
    serviceIndex,
    serviceJson: topology.services.map((s) => JSON.stringify(s.name)),
    hostOf,
    hostCount,
    hostNames: topology.services.map((s, i) => `node-${hostOf[i]! + 1}-${s.name.slice(0, 12)}`),
    ports: topology.services.map((_, i) => 12001 + 10 * i),
    templates: topology.services.map((s) => buildServiceTemplates(s.name, ops.get(s.name)!, topology.logStyle)),
    flowSteps: stepsOfFlows,
    stepServices: stepsOfFlows.map((steps) => steps.map((step) => new Set([...servicesInCall(step)].map((name) => serviceIndex.get(name)!)))),
    flowWeights: topology.flows.map((f) => f.weight),
  };
  prepareOut(options.out);
  const totalSeconds = runs.reduce((a, r) => a + (r.end - r.start), 0);
  const counters: Counters = { traces: 0, spans: 0, logLines: 0, metricRows: 0, bytes: 0 };
  const manifestRuns: TestbedRun[] = [];
  let done = 0;
  let nextReport = testbedDefaults.progressEverySeconds;
  for (const run of runs) {
    const faultRng = root.fork(`faults/${run.id}`);
    const effects = run.faults.map((f, i) => drawFaultEffect(f, faultRng.fork(i)));
    const { confounders, symptomSeconds } = simulateRun(
      shared,
      run,
      effects,
      root,
      options.out,
      counters,
      (s) => {
        if (options.onProgress !== undefined && done + s + 1 >= nextReport) {
          options.onProgress(done + s + 1, totalSeconds);
          nextReport += testbedDefaults.progressEverySeconds;
        }
      },
      { withhold, kpiIntervalSeconds },
    );
    done += run.end - run.start;
    options.onProgress?.(done, totalSeconds);
    manifestRuns.push({
      id: run.id,
      kind: run.kind,
      start: run.start,
      end: run.end,
      dir: `${run.kind === 'normal' ? 'no fault' : 'data'}/${run.id}`,
      faults: effects.map((e, i) => ({
        service: e.service,
        container: containerName(topology, e.service),
        type: e.type,
        start: e.start,
        duration: e.end - e.start,
        symptomSeconds: symptomSeconds[i]!,
        symptomSources: [...FAULT_SYMPTOM_SOURCES[e.type]],
        severity: severityOf(e),
      })),
      distractors: {
        jobs: confounders.jobs
          .filter((j) => j.end > run.start && j.start < run.end)
          .map((j) => ({ service: topology.services[j.service]!.name, name: j.name, start: round3(Math.max(j.start, run.start)), end: round3(Math.min(j.end, run.end)), cpuPercent: round3(j.cpuPercent) })),
        noisyNeighbours: confounders.neighbours
          .filter((e) => e.end > run.start && e.start < run.end)
          .map((e) => ({
            host: e.host,
            services: topology.services.filter((_, i) => hostOf[i] === e.host).map((x) => x.name),
            start: round3(Math.max(e.start, run.start)),
            end: round3(Math.min(e.end, run.end)),
            slowdown: round3(e.slowdown),
          })),
      },
    });
    await new Promise<void>((resolve) => setImmediate(resolve)); // let progress output and signals through
  }
  // Every type the schedule can inject, in TESTBED_FAULT_TYPES order, zero where it drew none.
  const scheduled = new Set<string>(profile.pairs !== undefined ? profile.pairs.map(([, type]) => type) : profile.faultTypes);
  const faultsByType: Record<string, number> = Object.fromEntries(TESTBED_FAULT_TYPES.filter((t) => scheduled.has(t)).map((t) => [t, 0]));
  for (const r of runs) for (const f of r.faults) faultsByType[f.type] = (faultsByType[f.type] ?? 0) + 1;
  const { pairs: _pairs, ...scheduleShown } = profile;
  const manifest: TestbedManifest = {
    generator: 'eadro-ts testbed',
    version: TESTBED_VERSION,
    system: topology.name,
    profile: options.profile,
    seed: options.seed,
    topology: {
      services: topology.services.map((s) => s.name),
      edges: flowEdges(topology),
      flows: topology.flows.map((f) => ({ name: f.name, weight: f.weight })),
      requestRate: topology.requestRate,
      logStyle: topology.logStyle,
      containerPattern: topology.containerPattern,
      hosts: Object.fromEntries(topology.services.map((x, i) => [x.name, hostOf[i]!])),
    },
    schedule: scheduleShown,
    kpiIntervalSeconds,
    ...(withhold ? { faultsWithheld: true as const } : {}),
    clockOffsets: { spans: 0, logs: 0, metrics: 0, records: 0 },
    timeRange: { start: runs[0]!.start, end: runs[runs.length - 1]!.end },
    runs: manifestRuns,
    counts: {
      runs: runs.length,
      normalRuns: runs.filter((r) => r.kind === 'normal').length,
      faultRuns: runs.filter((r) => r.kind === 'fault').length,
      faults: runs.reduce((a, r) => a + r.faults.length, 0),
      faultsByType,
      simulatedSeconds: totalSeconds,
      ...counters,
    },
  };
  writeJsonAtomic(path.join(options.out, 'testbed.json'), manifest);
  return manifest;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** testbed.json `severity` of a drawn effect: the parameters its type draws, rounded to 3 decimals. */
function severityOf(e: FaultEffect): TestbedFault['severity'] {
  switch (e.type) {
    case 'cpu_exhaustion': return { cpuHogPercent: round3(e.cpuHogPercent) };
    case 'network_delay': return { delayMs: round3(e.delayMs), throughput: round3(e.throughput) };
    case 'packet_loss': return { lossRate: round3(e.lossRate), throughput: round3(e.throughput) };
    case 'exception': return { exceptionRate: round3(e.exceptionRate) };
    case 'error_return': return { wrongResultRate: round3(e.wrongResultRate) };
  }
}

/** Validate `SimulateOptions.pairs`: known services of the topology, known fault types, at least one. */
function checkPairs(topology: Topology, pairs: SimulateOptions['pairs']): Array<[string, TestbedFaultType]> {
  const known = new Set(topology.services.map((x) => x.name));
  if (!Array.isArray(pairs) || pairs.length === 0) {
    throw new EadroError('Invalid fault pairs.', { field: 'pairs', expected: 'a non-empty array of [service, fault type]', found: String(pairs) });
  }
  return pairs.map((p, i) => {
    if (!Array.isArray(p) || p.length !== 2) throw new EadroError('Invalid fault pair.', { field: `pairs[${i}]`, expected: '[service, fault type]', found: JSON.stringify(p) });
    const [service, type] = p as unknown as readonly [unknown, unknown];
    if (typeof service !== 'string' || !known.has(service)) {
      throw new EadroError('Unknown service in a fault pair.', { field: `pairs[${i}][0]`, expected: `a service of ${topology.name}`, found: String(service) });
    }
    if (!(TESTBED_FAULT_TYPES as readonly unknown[]).includes(type)) {
      throw new EadroError('Unknown fault type in a fault pair.', { field: `pairs[${i}][1]`, expected: TESTBED_FAULT_TYPES.join(' | '), found: String(type) });
    }
    return [service, type as TestbedFaultType];
  });
}
