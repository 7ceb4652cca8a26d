/**
 * How each injected fault changes the system: the paper's three (§III, §V-A2, Chaosblade's fault kinds)
 * and two code-level faults (`exception`, `error_return`) that leave CPU and latency flat. Each
 * injection draws its own severity, so faults of one type differ in strength as real injections do.
 *
 * - `cpu_exhaustion`: a CPU hog in the target container. Its CPU KPIs jump with irregular jitter
 *   (paper Fig. 4); its own processing slows only mildly and co-located services a little (CPU
 *   contention on the host), so latency barely moves (paper Fig. 2); occasional thread-pool warnings.
 * - `network_delay`: packets in and out of the target are delayed. Every call the target serves, and
 *   every call it makes, takes the delay; callers inherit it (their spans contain the target's), so
 *   upstream services look anomalous too. Requests are still sent at the workload's rate (paper §V-A:
 *   a uniform rate), but in a share 1 - throughput of the API calls through the target the calls
 *   into it do not get through before the caller's time-out: the target serves nothing (no span of
 *   it), the caller's own span lasts the time-out, the caller logs it and may retry, and an error
 *   that reaches the client ends its scenario. So the target's per-event log occurrences drop (paper
 *   Fig. 3: "the communication between route and its parent microservices (callers) is blocked"),
 *   and the evidence sits with its callers.
 * - `packet_loss`: random drops on the target's interface. Some calls pay a retransmission timeout
 *   (heavy latency tail), some fail outright: the request was lost (the target never sees it and
 *   writes no span) or the reply was (the target served it; its span is normal); the caller waits its
 *   time-out or a reset, logs an exception and may retry; calls also time out as under a delay. A
 *   scenario whose API call returned an error stops there.
 *
 * - `exception` (code-level, ours: the exception-injection faults of public benchmarks): a share of the
 *   calls the target serves throw after the handler's work is done (e.g. while mapping the result), so
 *   its processing time, the calls it makes, its CPU and its latency are as usual. The target logs an
 *   ERROR with the exception (TT: a Java exception and its stack-trace continuation lines; SN: a C++
 *   `std::` / Thrift exception on one line) instead of its success line, and its span is an error
 *   (`http.status_code` 500, `error` true, as Jaeger's HTTP instrumentation tags a 5xx). Its callers
 *   get a 500: they log the server error naming the target, retry once with `retryProbability` (an
 *   extra span into the target) and may fail their own span (`errorPropagation`).
 * - `error_return` (code-level, ours): the target answers a share of its calls normally (200, usual
 *   logs, CPU and latency) but wrongly (an empty list, a null field, a stale price). Nothing at the
 *   target shows it; a caller validating the answer does: in a share `wrongResultFallbackShare` it
 *   logs a WARN and carries on with a fallback (cached or default value: every later call is made as
 *   usual); otherwise it logs an ERROR naming the target, skips the calls its handler would have made
 *   after this one (its trace loses those spans) and answers its own caller with a 500, which then
 *   handles it like any server error (log, retry, propagate). A wrong answer at the root goes to the
 *   client unnoticed by any service: no telemetry shows it (silent; `symptomSeconds` says so).
 *
 * A CPU hog's time is nearly all user time (Chaosblade spins in user space); a background job of the
 * same size (confounders.ts) spends much of it in the kernel: the split is in `kpiDefaults`.
 */
import { EadroError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { TESTBED_FAULT_TYPES, type TestbedFaultType } from '../raw/types.js';
import type { ScheduledFault } from './schedule.js';

export const faultDefaults = {
  /** ours: Chaosblade `cpu fullload` with a --cpu-percent between 45 and 95 (percent of one core). */
  cpuHogPercent: [45, 95] as [number, number],
  /** ours: irregular jitter of the hog (paper Fig. 4), standard deviation as a share of the hog level. */
  cpuHogJitter: 0.18,
  /** ours: own processing of the target is slower by this factor (mild: paper Fig. 2). */
  cpuSlowdown: [1.05, 1.25] as [number, number],
  /** ours: processing of co-located services slows by this factor (shared host CPU). */
  cpuNeighbourSlowdown: [1.02, 1.1] as [number, number],
  /** ours: thread-pool warnings logged by the target per second under a hog. */
  cpuWarningRate: 0.04,
  /** ours: Chaosblade `network delay --time`, ms added per direction of a call touching the target. */
  delayMs: [250, 700] as [number, number],
  /** ours: `--offset`: the per-call delay varies by this share of its mean (uniform). */
  delayJitter: 0.3,
  /**
   * ours: share of the API calls through a faulted service whose calls into it get through; in the
   * others every call into the target times out at its caller (traces.ts).
   */
  delayThroughput: [0.25, 0.5] as [number, number],
  lossThroughput: [0.35, 0.6] as [number, number],
  /** ours: Chaosblade `network loss --percent`: share of calls touching the target that lose a packet. */
  lossRate: [0.2, 0.4] as [number, number],
  /** ours: share of calls with a lost packet that fail outright (timeout, reset) instead of retransmitting. */
  lossFailShare: 0.55,
  /**
   * ours: of those, the share where the request was lost (the callee never sees it); in the rest the
   * reply was (the callee served the call). Even: one packet each way, dropped alike.
   */
  lossRequestShare: 0.5,
  /** ours: retransmission timeout: Pareto with this scale (ms, Linux min RTO 200 ms) and shape. */
  retransmitScaleMs: 200,
  retransmitShape: 1.4,
  /** ours: the longest retransmission wait, ms (the client gives up at about 3 s). */
  retransmitCapMs: 3000,
  /** ours: a caller retries a failed call once with this probability. */
  retryProbability: 0.5,
  /** ours: a failure the caller cannot hide turns its own span into an error with this probability. */
  errorPropagation: 0.6,
  /** ours: calls slower than this (ms) make the caller log a slow-response/timeout warning. */
  slowCallWarnMs: 600,
  /**
   * ours: `exception`: share of the calls the target serves that throw (uniform per injection); like
   * Chaosblade's JVM `throwCustomException --effect-percent` (a share of matching invocations).
   */
  exceptionRate: [0.3, 0.7] as [number, number],
  /** ours: `error_return`: share of the target's answers that are wrong (uniform per injection). */
  wrongResultRate: [0.3, 0.7] as [number, number],
  /**
   * ours: share of wrong answers a caller papers over with a fallback (WARN, carries on); in the rest it
   * rejects the request (ERROR, skips its later calls, answers 500).
   */
  wrongResultFallbackShare: 0.4,
};

/** A telemetry source, as the raw layout splits them (data-formats.md §1). */
export type SymptomSource = 'kpis' | 'logs' | 'traces';

/**
 * ours: the sources in which a fault's symptom seconds (testbed.json `symptomSeconds`) leave their
 * mark, per fault type; testbed.json records them per fault (`symptomSources`) and
 * src/evaluation/detectability.ts can judge windows by one source. A CPU hog's symptom is its CPU KPIs
 * (its rare thread-pool warnings and mild slowdown are not what marks a second); a network fault's is a
 * call through the target: its latency or failure (traces), the callers' time-out and failure lines
 * (logs), and the traffic and drops counted in rx/tx (KPIs). The code-level faults show in logs and
 * traces only: the target's CPU and latency are untouched (retries add a few requests to the target,
 * no more than ordinary load varies).
 */
export const FAULT_SYMPTOM_SOURCES: Record<TestbedFaultType, readonly SymptomSource[]> = {
  cpu_exhaustion: ['kpis'],
  network_delay: ['traces', 'logs', 'kpis'],
  packet_loss: ['traces', 'logs', 'kpis'],
  exception: ['logs', 'traces'],
  error_return: ['logs', 'traces'],
};

/** One injection with its drawn severity. Times are unix seconds. */
export interface FaultEffect {
  service: string;
  type: TestbedFaultType;
  start: number;
  end: number;
  /** cpu_exhaustion: hog level, percent of one core. */
  cpuHogPercent: number;
  /** cpu_exhaustion: target's processing-time factor; neighbours' factor. */
  slowdown: number;
  neighbourSlowdown: number;
  /** network_delay: mean added delay per direction, ms. */
  delayMs: number;
  /** packet_loss: share of calls touching the target that lose a packet. */
  lossRate: number;
  /** network faults: share of the API calls through the target whose calls into it get through. */
  throughput: number;
  /** exception: share of the target's served calls that throw. */
  exceptionRate: number;
  /** error_return: share of the target's answers that are wrong. */
  wrongResultRate: number;
}

const between = (rng: Rng, [lo, hi]: [number, number]): number => rng.uniform(lo, hi);

/** Draw one injection's severity. */
export function drawFaultEffect(fault: ScheduledFault, rng: Rng): FaultEffect {
  const d = faultDefaults;
  const effect: FaultEffect = {
    service: fault.service,
    type: fault.type,
    start: fault.start,
    end: fault.start + fault.duration,
    cpuHogPercent: 0,
    slowdown: 1,
    neighbourSlowdown: 1,
    delayMs: 0,
    lossRate: 0,
    throughput: 1,
    exceptionRate: 0,
    wrongResultRate: 0,
  };
  switch (fault.type) {
    case 'cpu_exhaustion':
      effect.cpuHogPercent = between(rng, d.cpuHogPercent);
      effect.slowdown = between(rng, d.cpuSlowdown);
      effect.neighbourSlowdown = between(rng, d.cpuNeighbourSlowdown);
      break;
    case 'network_delay':
      effect.delayMs = between(rng, d.delayMs);
      effect.throughput = between(rng, d.delayThroughput);
      break;
    case 'packet_loss':
      effect.lossRate = between(rng, d.lossRate);
      effect.throughput = between(rng, d.lossThroughput);
      break;
    case 'exception':
      effect.exceptionRate = between(rng, d.exceptionRate);
      break;
    case 'error_return':
      effect.wrongResultRate = between(rng, d.wrongResultRate);
      break;
    default: {
      const never: never = fault.type;
      throw new EadroError('Unknown testbed fault type.', { field: 'type', expected: TESTBED_FAULT_TYPES.join(' | '), found: String(never) });
    }
  }
  return effect;
}
