/**
 * Things that look like faults but are not: the reason the culprit is not simply "the service with
 * the largest deviation". Background jobs and GC storms raise CPU on random services; noisy
 * neighbours on a host slow every service there (latency up with no fault); load wobbles over the
 * day and over tens of minutes. All drawn per run from the seed, independently of the faults.
 */
import type { Rng } from '../core/rng.js';

export const confounderDefaults = {
  /** ours: services per host (TT's 27 on 6 hosts, SN's 12 on 3): neighbours share slowdowns. */
  servicesPerHost: 4.5,
  /** ours: background jobs (batch, cache rebuild, GC storm) per service per hour. */
  jobsPerServiceHour: 1.6,
  /** ours: job length, seconds. */
  jobSeconds: [20, 120] as [number, number],
  /** ours: extra CPU of a job, percent of one core: overlaps the weaker CPU hogs on purpose. */
  jobCpuPercent: [20, 90] as [number, number],
  /** ours: noisy-neighbour episodes per host per hour. */
  neighbourEpisodesPerHostHour: 0.6,
  /** ours: episode length, seconds. */
  neighbourSeconds: [30, 240] as [number, number],
  /** ours: processing-time factor of every service on the host during an episode. */
  neighbourSlowdown: [1.4, 2.8] as [number, number],
  /** ours: CPU steal shown as system CPU during an episode, percent of one core. */
  neighbourSystemCpuPercent: [2, 10] as [number, number],
  /** ours: relative amplitude of the slow load wobble (period `wobblePeriodSeconds`). */
  wobbleAmplitude: 0.25,
  wobblePeriodSeconds: 1500,
  /** ours: relative amplitude of the diurnal cycle (24 h). */
  diurnalAmplitude: 0.2,
};

export interface BackgroundJob {
  /** Service index. */
  service: number;
  /** Unix seconds. */
  start: number;
  end: number;
  cpuPercent: number;
  name: string;
}

export interface NeighbourEpisode {
  host: number;
  start: number;
  end: number;
  slowdown: number;
  systemCpuPercent: number;
}

export interface RunConfounders {
  jobs: BackgroundJob[];
  neighbours: NeighbourEpisode[];
  /** Phase of the slow wobble, radians. */
  wobblePhase: number;
}

const JOB_NAMES = ['cacheRebuild', 'statisticsReport', 'orderArchive', 'indexCompaction', 'fullGc', 'tokenCleanup', 'configReload'];

/** Host of each service: a seeded assignment fixed for the whole simulation. */
export function assignHosts(serviceCount: number, rng: Rng): Int32Array {
  const hosts = Math.max(1, Math.round(serviceCount / confounderDefaults.servicesPerHost));
  const order = rng.shuffle(Array.from({ length: serviceCount }, (_, i) => i));
  const hostOf = new Int32Array(serviceCount);
  order.forEach((service, k) => {
    hostOf[service] = k % hosts;
  });
  return hostOf;
}

function poissonTimes(rng: Rng, ratePerSecond: number, start: number, end: number): number[] {
  const times: number[] = [];
  let t = start + rng.exponential(ratePerSecond);
  while (t < end) {
    times.push(t);
    t += rng.exponential(ratePerSecond);
  }
  return times;
}

/** Draw a run's confounders. Jobs may start before the run so that one can be under way at its start. */
export function drawConfounders(serviceCount: number, hostCount: number, start: number, end: number, rng: Rng): RunConfounders {
  const d = confounderDefaults;
  const jobs: BackgroundJob[] = [];
  for (let s = 0; s < serviceCount; s++) {
    for (const t of poissonTimes(rng, d.jobsPerServiceHour / 3600, start - d.jobSeconds[1], end)) {
      const length = rng.uniform(d.jobSeconds[0], d.jobSeconds[1]);
      jobs.push({ service: s, start: t, end: t + length, cpuPercent: rng.uniform(d.jobCpuPercent[0], d.jobCpuPercent[1]), name: rng.choice(JOB_NAMES) });
    }
  }
  const neighbours: NeighbourEpisode[] = [];
  for (let h = 0; h < hostCount; h++) {
    for (const t of poissonTimes(rng, d.neighbourEpisodesPerHostHour / 3600, start - d.neighbourSeconds[1], end)) {
      neighbours.push({
        host: h,
        start: t,
        end: t + rng.uniform(d.neighbourSeconds[0], d.neighbourSeconds[1]),
        slowdown: rng.uniform(d.neighbourSlowdown[0], d.neighbourSlowdown[1]),
        systemCpuPercent: rng.uniform(d.neighbourSystemCpuPercent[0], d.neighbourSystemCpuPercent[1]),
      });
    }
  }
  return { jobs, neighbours, wobblePhase: rng.uniform(0, 2 * Math.PI) };
}

/** Multiplier of the request rate at time t (unix seconds): diurnal cycle times slow wobble. */
export function loadFactor(c: RunConfounders, t: number): number {
  const d = confounderDefaults;
  const diurnal = 1 + d.diurnalAmplitude * Math.sin((2 * Math.PI * (t % 86400)) / 86400 - Math.PI / 2);
  const wobble = 1 + d.wobbleAmplitude * Math.sin((2 * Math.PI * t) / d.wobblePeriodSeconds + c.wobblePhase);
  return diurnal * wobble;
}
