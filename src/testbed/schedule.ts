/**
 * When each fault happens: the size profiles (`paper`, `quick`, `tiny`), the fault order (shuffled by
 * seed) and the grouping into runs of 9 faults, as in the released data (data-formats.md §1: 9 runs x
 * 9 faults TT, 4 x 9 SN). A run is `gap, fault, gap, fault, ..., gap`, so every fault is preceded by a
 * fault-free gap. Fault-free ("no fault") runs come first, split into chunks of bounded length so
 * that each run's buffers stay small.
 */
import { EadroError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { PAPER_FAULT_TYPES, TESTBED_FAULT_TYPES, type TestbedFaultType } from '../raw/types.js';
import type { Topology } from './topology.js';

export type ProfileName = 'paper' | 'quick' | 'tiny';
export const PROFILE_NAMES: readonly ProfileName[] = ['paper', 'quick', 'tiny'];

export interface ScheduleProfile {
  /** Length of each injection, seconds. */
  faultSeconds: number;
  /** Fault-free gap before each injection (and after the last one of a run), seconds. */
  gapSeconds: number;
  /** How often each (service, fault type) pair is injected; ignored when `pairs` is set. */
  repeatsPerPair: number;
  /** The fault types injected into every service (with `repeatsPerPair`); ignored when `pairs` is set. */
  faultTypes: readonly TestbedFaultType[];
  /** Length of the fault-free period before the injections, seconds. */
  normalSeconds: number;
  /** Injections per run (the last run may hold fewer). */
  faultsPerRun: number;
  /** Fault-free runs are cut into chunks of at most this length, seconds. */
  normalRunMaxSeconds: number;
  /** Explicit (service, type) pairs instead of all of them (`tiny`): keeps tests fast. */
  pairs?: ReadonlyArray<readonly [service: string, type: TestbedFaultType]>;
}

/** The timing family of a system: TT-like (slow, few requests) or SN-like (fast, many requests). */
export type TimingFamily = 'tt' | 'sn';

/**
 * ours: length of each fault-free run of the `quick` profile, seconds. Every run draws its own request
 * rate and confounders (simulate.ts), as separate recordings do. With the fault-free time as ONE run,
 * the whole normal class of a quick dataset was one recording at one rate, and the temporal split's
 * normal test windows were its last minutes: Eadro learnt that recording rather than the faults (SN,
 * seed 0: the reference variant flagged 59% of those test windows, the paper variant reached PR-AUC
 * 0.47 at 0.45 prevalence); cut into 5-min runs, train and test normals both span several runs (paper
 * variant: 18% flagged, PR-AUC 0.83). The released data's `no fault/` folder likewise holds several
 * runs (data-formats.md §1).
 */
export const quickNormalRunSeconds = 300;

/**
 * Profiles per timing family. Fault types: `paper` injects the paper's three (PAPER_FAULT_TYPES), so
 * that it stays the paper's schedule (§V-A: 162 TT and 72 SN injections); `quick` injects every
 * testbed type (TESTBED_FAULT_TYPES: the paper's three plus the code-level `exception` and
 * `error_return`, faults.ts) into every service; `tiny` keeps its fixed pairs of the paper's types (the
 * fast fixtures of many tests); `SimulateOptions.pairs` picks other pairs with a profile's timing.
 */
export const testbedProfiles: Record<TimingFamily, Record<ProfileName, ScheduleProfile>> = {
  tt: {
    // paper §V-A: 10 min faults, 2 min gaps, every fault type into each of 27 services twice (162), 7 h normal.
    paper: { faultSeconds: 600, gapSeconds: 120, repeatsPerPair: 2, faultTypes: PAPER_FAULT_TYPES, normalSeconds: 7 * 3600, faultsPerRun: 9, normalRunMaxSeconds: 2 * 3600 },
    // ours: every (service, type) pair once (27 x 5 = 135) with 60 s faults and 30 s gaps (with the
    // paper's three types only, 81 of them kept the main job's whole quick reproduction within 15
    // minutes on 2 cores; the two code-level types make the data about 1.7x as long). 50 min normal
    // keeps the paper profile's ratio of fault-free to fault time (7 h : 32.4 h ~ 0.22; here 50 min :
    // 3.4 h ~ 0.25; with 81 faults it was 30 min : 2 h). With 15 min the temporal test part of the one
    // fault-free run was 6 min, where a few background jobs decided the whole normal class of the TT
    // test set. The fault-free time is recorded as 5-min runs (10 here): see `quickNormalRunSeconds`.
    quick: { faultSeconds: 60, gapSeconds: 30, repeatsPerPair: 1, faultTypes: TESTBED_FAULT_TYPES, normalSeconds: 50 * 60, faultsPerRun: 9, normalRunMaxSeconds: quickNormalRunSeconds },
    // ours: a few seconds to generate; 2 faults per type on busy services, 3 per run so there are 2 runs;
    // faults are 4 min so that enough of TT's 0.2-0.5 req/s pass through the target.
    tiny: {
      faultSeconds: 240, gapSeconds: 90, repeatsPerPair: 1, faultTypes: PAPER_FAULT_TYPES, normalSeconds: 600, faultsPerRun: 3, normalRunMaxSeconds: 2 * 3600,
      pairs: [
        ['ts-travel-service', 'cpu_exhaustion'], ['ts-travel-service', 'network_delay'], ['ts-order-service', 'packet_loss'],
        ['ts-basic-service', 'cpu_exhaustion'], ['ts-ticketinfo-service', 'network_delay'], ['ts-travel-service', 'packet_loss'],
      ],
    },
  },
  sn: {
    // paper §V-A: 2 min faults, 30 s gaps, each type into each of 12 services twice (72), 1.2 h normal.
    paper: { faultSeconds: 120, gapSeconds: 30, repeatsPerPair: 2, faultTypes: PAPER_FAULT_TYPES, normalSeconds: 72 * 60, faultsPerRun: 9, normalRunMaxSeconds: 2 * 3600 },
    // ours: every pair once (12 x 5 = 60), 40 s faults, 20 s gaps, 25 min normal (the paper profile's
    // ratio of fault-free to fault time: 72 min : 180 min = 0.4; here 25 : 60 ~ 0.42; with the paper's
    // three types it was 15 : 36), as 5-min runs (5).
    quick: { faultSeconds: 40, gapSeconds: 20, repeatsPerPair: 1, faultTypes: TESTBED_FAULT_TYPES, normalSeconds: 25 * 60, faultsPerRun: 9, normalRunMaxSeconds: quickNormalRunSeconds },
    tiny: {
      faultSeconds: 60, gapSeconds: 30, repeatsPerPair: 1, faultTypes: PAPER_FAULT_TYPES, normalSeconds: 300, faultsPerRun: 3, normalRunMaxSeconds: 2 * 3600,
      pairs: [
        ['user-timeline-service', 'cpu_exhaustion'], ['home-timeline-service', 'network_delay'], ['post-storage-service', 'packet_loss'],
        ['nginx-web-server', 'cpu_exhaustion'], ['home-timeline-service', 'network_delay'], ['home-timeline-service', 'packet_loss'],
      ],
    },
  },
};

export const scheduleDefaults = {
  /** ours: a fixed, documented start so that output is byte-identical for a seed (2022-04-17 12:00:00 UTC). */
  startUnixSeconds: Date.UTC(2022, 3, 17, 12, 0, 0) / 1000,
  /** ours: the pause between consecutive runs, seconds (the released runs are separate recordings). */
  pauseBetweenRunsSeconds: 60,
};

export interface ScheduledFault {
  /** Bare service name. */
  service: string;
  type: TestbedFaultType;
  /** Unix seconds. */
  start: number;
  /** Seconds. */
  duration: number;
}

export interface ScheduledRun {
  /** Folder name, released style: `2022-04-17T212101D2022-04-17T230842` (UTC). */
  id: string;
  kind: 'normal' | 'fault';
  /** Unix seconds, inclusive start and exclusive end. */
  start: number;
  end: number;
  faults: ScheduledFault[];
}

/** Timing family for a topology: the built-in name, else by request rate (>= 1 req/s: SN-like). */
export function timingFamily(topology: Topology): TimingFamily {
  if (topology.name === 'tt' || topology.name === 'sn') return topology.name;
  return topology.requestRate.min >= 1 ? 'sn' : 'tt';
}

/** `2022-04-17T212101`: the released run-name time stamp (UTC). */
export function runStamp(unixSeconds: number): string {
  const iso = new Date(unixSeconds * 1000).toISOString(); // 2022-04-17T21:21:01.000Z
  return `${iso.slice(0, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

export function runId(start: number, end: number): string {
  return `${runStamp(start)}D${runStamp(end)}`;
}

/** Resolve a profile for a topology; `pairs` naming unknown services (custom topology) are dropped. */
export function resolveProfile(topology: Topology, profile: ProfileName): ScheduleProfile {
  const family = testbedProfiles[timingFamily(topology)];
  const p = family[profile];
  if (p === undefined) throw new EadroError('Unknown testbed profile.', { field: 'profile', expected: PROFILE_NAMES.join(' | '), found: String(profile) });
  if (p.pairs === undefined) return p;
  const known = new Set(topology.services.map((s) => s.name));
  if (p.pairs.every(([s]) => known.has(s))) return p;
  // A custom topology under `tiny`: two faults per type on its first services instead.
  const names = topology.services.map((s) => s.name);
  const pairs: Array<[string, TestbedFaultType]> = [];
  PAPER_FAULT_TYPES.forEach((type, i) => {
    pairs.push([names[(2 * i) % names.length]!, type], [names[(2 * i + 1) % names.length]!, type]);
  });
  return { ...p, pairs };
}

/** All runs of a simulation, in time order: fault-free chunks first, then fault runs. */
export function buildSchedule(topology: Topology, profile: ScheduleProfile, rng: Rng, start = scheduleDefaults.startUnixSeconds): ScheduledRun[] {
  const runs: ScheduledRun[] = [];
  const pause = scheduleDefaults.pauseBetweenRunsSeconds;
  let t = start;
  let normalLeft = profile.normalSeconds;
  while (normalLeft > 0) {
    const len = Math.min(normalLeft, profile.normalRunMaxSeconds);
    runs.push({ id: runId(t, t + len), kind: 'normal', start: t, end: t + len, faults: [] });
    t += len + pause;
    normalLeft -= len;
  }
  const pairs: Array<[string, TestbedFaultType]> = [];
  if (profile.pairs !== undefined) {
    for (const [s, type] of profile.pairs) pairs.push([s, type]);
  } else {
    for (let r = 0; r < profile.repeatsPerPair; r++) {
      for (const s of topology.services) for (const type of profile.faultTypes) pairs.push([s.name, type]);
    }
    rng.shuffle(pairs); // paper: order of injections is not systematic; ours: shuffled by seed
  }
  for (let i = 0; i < pairs.length; i += profile.faultsPerRun) {
    const chunk = pairs.slice(i, i + profile.faultsPerRun);
    const faults: ScheduledFault[] = chunk.map(([service, type], k) => ({
      service,
      type,
      start: t + profile.gapSeconds + k * (profile.gapSeconds + profile.faultSeconds),
      duration: profile.faultSeconds,
    }));
    const end = t + chunk.length * (profile.gapSeconds + profile.faultSeconds) + profile.gapSeconds;
    runs.push({ id: runId(t, end), kind: 'fault', start: t, end, faults });
    t = end + pause;
  }
  return runs;
}
