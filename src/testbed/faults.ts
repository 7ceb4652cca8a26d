/**
 * How each injected fault changes the system (paper §III, §V-A2, Chaosblade's three fault kinds). Each
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
 * A CPU hog's time is nearly all user time (Chaosblade spins in user space); a background job of the
 * same size (confounders.ts) spends much of it in the kernel: the split is in `kpiDefaults`.
 */
import type { Rng } from '../core/rng.js';
import type { PaperFaultType } from '../raw/types.js';
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
};

/** One injection with its drawn severity. Times are unix seconds. */
export interface FaultEffect {
  service: string;
  type: PaperFaultType;
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
  };
  if (fault.type === 'cpu_exhaustion') {
    effect.cpuHogPercent = between(rng, d.cpuHogPercent);
    effect.slowdown = between(rng, d.cpuSlowdown);
    effect.neighbourSlowdown = between(rng, d.cpuNeighbourSlowdown);
  } else if (fault.type === 'network_delay') {
    effect.delayMs = between(rng, d.delayMs);
    effect.throughput = between(rng, d.delayThroughput);
  } else {
    effect.lossRate = between(rng, d.lossRate);
    effect.throughput = between(rng, d.lossThroughput);
  }
  return effect;
}
