/**
 * Per-service KPIs at one sample per second, as cAdvisor exports them for the released data
 * (data-formats.md §1; written at a coarser interval on request: `kpiCsv`): the seven columns Eadro uses plus two more that real exports carry
 * (`memory_cache`, `rx_dropped`), so that readers must select columns by name.
 *
 * Units (ours, documented because cAdvisor's raw counters are cumulative): CPU columns are percent of
 * one core over that second; memory columns are bytes at that second; `rx_bytes`/`tx_bytes` are bytes
 * in that second; `rx_dropped` is packets dropped in that second.
 *
 * Dynamics: CPU follows load (requests served that second) plus idle noise, background jobs, GC
 * spikes and an injected hog; memory climbs with allocations and drops at each GC (saw-tooth), plus a
 * slowly varying page cache; rx/tx follow traffic plus a little chatter (health checks, scrapes).
 */
import type { Rng } from '../core/rng.js';
import type { ServiceSpec } from './topology.js';
import type { FaultEffect } from './faults.js';
import { faultDefaults } from './faults.js';
import type { RunConfounders } from './confounders.js';

export const KPI_COLUMNS = [
  'cpu_usage_system', 'cpu_usage_total', 'cpu_usage_user', 'memory_cache', 'memory_usage',
  'memory_working_set', 'rx_bytes', 'rx_dropped', 'tx_bytes',
] as const;

/** The seven KPIs Eadro uses (paper §V-A, data-formats.md §1). */
export const EADRO_KPIS = ['cpu_usage_system', 'cpu_usage_total', 'cpu_usage_user', 'memory_usage', 'memory_working_set', 'rx_bytes', 'tx_bytes'] as const;

export const kpiDefaults = {
  /** ours: relative noise of idle CPU per second. */
  idleNoise: 0.15,
  /** ours: log-normal sigma of per-request CPU cost. */
  requestCpuSigma: 0.25,
  /** ours: share of request CPU that is user time (rest: system, network stack). */
  userShare: 0.78,
  /**
   * ours: share of an injected hog's CPU that is user time. Chaosblade's `cpu fullload` spins in a
   * user-space loop, so nearly all of it is user time (its few system ticks: scheduling).
   */
  hogUserShare: 0.97,
  /**
   * ours: share of a background job's CPU that is user time. Batch work (archiving, index compaction,
   * cache rebuilds, GC storms) reads, writes and faults pages, so much of its CPU is kernel time: the
   * KPI that tells a job from a hog of the same size, as cpu_usage_system/user do on real hosts.
   */
  jobUserShare: 0.6,
  /** ours: heap allocation per request, MiB; idle allocation per second as a share of resident size. */
  allocMiBPerRequest: 0.6,
  idleAllocShare: 0.0006,
  /** ours: a GC runs when the young heap exceeds this share of resident size. */
  gcThresholdShare: 0.22,
  /** ours: extra CPU in the second of a GC, percent of one core. */
  gcCpuPercent: [8, 25] as [number, number],
  /** ours: page cache as a share of resident size, and the share of it that is inactive (not in working set). */
  cacheShare: 0.12,
  inactiveCacheShare: 0.6,
  /** ours: background chatter bytes per second (health checks, metric scrapes). */
  chatterBytes: 220,
};

/** Per-second counters filled while traces are generated. Index: service * seconds + second. */
export class KpiAccumulator {
  readonly requests: Float64Array;
  readonly rxBytes: Float64Array;
  readonly txBytes: Float64Array;
  readonly dropped: Float64Array;
  /**
   * Telemetry records a fault on the service shaped, counted at the faulted service: for a network
   * fault, calls into or out of it made while it was delayed, lossy or unreachable, and its
   * connection-error log lines; for `exception`, its calls that threw; for `error_return`, its wrong
   * answers that a caller noticed (logged). Never written as a KPI: it is the testbed's ground truth of
   * when a fault was observable at all (testbed.json symptomSeconds).
   */
  readonly faultSymptoms: Float64Array;

  constructor(readonly serviceCount: number, readonly seconds: number) {
    const n = serviceCount * seconds;
    this.requests = new Float64Array(n);
    this.rxBytes = new Float64Array(n);
    this.txBytes = new Float64Array(n);
    this.dropped = new Float64Array(n);
    this.faultSymptoms = new Float64Array(n);
  }

  /** Slot of (service, second since run start), or -1 outside the run. */
  slot(service: number, second: number): number {
    return second >= 0 && second < this.seconds ? service * this.seconds + second : -1;
  }
}

/** One service's KPI series over a run: columns in `KPI_COLUMNS` order, each of `seconds` values. */
export interface KpiSeries {
  columns: Float64Array[];
}

/**
 * Turn a run's counters into KPI series for one service. `faults` are the run's injections,
 * `hostNeighbourSteal[t]` the CPU steal on this service's host at second t.
 */
export function serviceKpis(
  acc: KpiAccumulator,
  serviceIndex: number,
  spec: ServiceSpec,
  runStart: number,
  faults: readonly FaultEffect[],
  confounders: RunConfounders,
  stealPercent: Float64Array,
  rng: Rng,
): KpiSeries {
  const d = kpiDefaults;
  const S = acc.seconds;
  const cols = KPI_COLUMNS.map(() => new Float64Array(S));
  const [sys, total, user, cache, usage, ws, rx, drop, tx] = cols as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  const jobCpu = new Float64Array(S);
  for (const job of confounders.jobs) {
    if (job.service !== serviceIndex) continue;
    const a = Math.max(0, Math.floor(job.start - runStart));
    const b = Math.min(S, Math.ceil(job.end - runStart));
    for (let t = a; t < b; t++) jobCpu[t] += job.cpuPercent;
  }
  const hog = new Float64Array(S);
  for (const f of faults) {
    if (f.type !== 'cpu_exhaustion' || f.service !== spec.name) continue;
    const a = Math.max(0, Math.floor(f.start - runStart));
    const b = Math.min(S, Math.ceil(f.end - runStart));
    for (let t = a; t < b; t++) hog[t] = f.cpuHogPercent;
  }
  const mib = 1024 * 1024;
  const resident = spec.memoryMiB * rng.uniform(0.9, 1.0);
  let heap = rng.uniform(0, d.gcThresholdShare) * spec.memoryMiB;
  let cacheLevel = d.cacheShare * spec.memoryMiB;
  let gcCpu = 0;
  const base = serviceIndex * S;
  for (let t = 0; t < S; t++) {
    const load = acc.requests[base + t]!;
    const idle = spec.idleCpuPercent * (1 + d.idleNoise * rng.normal());
    const requestCpu = load > 0 ? ((load * spec.cpuMsPerRequest) / 10) * Math.exp(d.requestCpuSigma * rng.normal()) : 0;
    const job = jobCpu[t]! > 0 ? jobCpu[t]! * (1 + 0.12 * rng.normal()) : 0;
    const hogNow = hog[t]! > 0 ? Math.max(0, hog[t]! * (1 + faultDefaults.cpuHogJitter * rng.normal())) : 0;
    // Saw-tooth heap: allocations accumulate until a collection frees most of them.
    heap += d.idleAllocShare * spec.memoryMiB + load * d.allocMiBPerRequest + job * 0.02;
    if (heap > d.gcThresholdShare * spec.memoryMiB) {
      heap = rng.uniform(0.01, 0.04) * spec.memoryMiB;
      gcCpu = rng.uniform(d.gcCpuPercent[0], d.gcCpuPercent[1]);
    }
    cacheLevel += (d.cacheShare * spec.memoryMiB - cacheLevel) * 0.01 + 0.002 * spec.memoryMiB * rng.normal();
    if (cacheLevel < 0) cacheLevel = 0;
    const busy = Math.max(0, idle + requestCpu);
    const u = d.userShare * busy + d.jobUserShare * job + d.hogUserShare * hogNow + 0.9 * gcCpu;
    const s = (1 - d.userShare) * busy + (1 - d.jobUserShare) * job + (1 - d.hogUserShare) * hogNow + 0.1 * gcCpu + stealPercent[t]!;
    gcCpu = 0;
    user[t] = u;
    sys[t] = s;
    total[t] = u + s;
    cache[t] = Math.round(cacheLevel * mib);
    usage[t] = Math.round((resident + heap + cacheLevel) * mib);
    ws[t] = Math.round((resident + heap + (1 - d.inactiveCacheShare) * cacheLevel) * mib);
    rx[t] = Math.round(acc.rxBytes[base + t]! + d.chatterBytes * (1 + 0.2 * rng.normal()));
    tx[t] = Math.round(acc.txBytes[base + t]! + d.chatterBytes * 1.4 * (1 + 0.2 * rng.normal()));
    drop[t] = acc.dropped[base + t]!;
  }
  return { columns: cols };
}

/**
 * CSV text of a service's series: `timestamp` (unix seconds) then `KPI_COLUMNS`, one row per
 * `intervalSeconds` (whole seconds, default 1: one row per simulated second, the released data's rate).
 *
 * A row at t stands for [t, t + interval) (as the raw reader's sample-and-hold takes it,
 * src/raw/metrics.ts), like a Prometheus scrape of cAdvisor's counters: rate columns (CPU percent,
 * rx/tx bytes and dropped packets) are their mean per second over the interval, so their units stay
 * those of the 1-s output (percent of one core; bytes or packets per second); memory columns are gauges,
 * read at the interval's first second. The last interval of a run may be shorter.
 */
export function kpiCsv(series: KpiSeries, runStart: number, intervalSeconds = 1): string {
  const S = series.columns[0]!.length;
  const [sys, total, user, cache, usage, ws, rx, drop, tx] = series.columns as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  const rows: string[] = [`timestamp,${KPI_COLUMNS.join(',')}`];
  if (intervalSeconds === 1) {
    for (let t = 0; t < S; t++) {
      rows.push(
        `${runStart + t},${sys[t]!.toFixed(4)},${total[t]!.toFixed(4)},${user[t]!.toFixed(4)},${cache[t]},${usage[t]},${ws[t]},${rx[t]},${drop[t]},${tx[t]}`,
      );
    }
  } else {
    const meanOf = (a: Float64Array, from: number, to: number): number => {
      let sum = 0;
      for (let t = from; t < to; t++) sum += a[t]!;
      return sum / (to - from);
    };
    for (let t = 0; t < S; t += intervalSeconds) {
      const e = Math.min(S, t + intervalSeconds);
      rows.push(
        `${runStart + t},${meanOf(sys, t, e).toFixed(4)},${meanOf(total, t, e).toFixed(4)},${meanOf(user, t, e).toFixed(4)},${cache[t]},${usage[t]},${ws[t]},` +
          `${Math.round(meanOf(rx, t, e))},${meanOf(drop, t, e).toFixed(4)},${Math.round(meanOf(tx, t, e))}`,
      );
    }
  }
  rows.push('');
  return rows.join('\n');
}
