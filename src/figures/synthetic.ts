/**
 * Seeded SYNTHETIC inputs for every figure builder, used while no testbed or trained model exists
 * (and by tests and the smoke notebook). They are illustrations whose shapes are assumed from the
 * paper's text (e.g. "latency is abnormally high under network faults but not under CPU exhaustion"),
 * not measurements: every figure built from them says "synthetic" in its title, and `eadro figures`
 * prints and records the source.
 */
import { createRng, type Rng, type Seed } from '../core/rng.js';
import type { FaultInterval, KpiFigureInput, LatencyFigureInput, LogEventFigureInput } from './motivation.js';
import type { RankingFigureInput } from './ranking.js';

export const syntheticDefaults = {
  /** Length of the shown period in seconds (ours: room for three 2-minute faults). */
  periodSeconds: 1200,
  /** Fault schedule (ours): two network faults and one CPU exhaustion, as in the paper's Fig. 2. */
  faults: [
    { fault: 'network delay', startSeconds: 240, endSeconds: 360 },
    { fault: 'packet loss', startSeconds: 540, endSeconds: 660 },
    { fault: 'CPU exhaustion', startSeconds: 840, endSeconds: 960 },
  ] as readonly FaultInterval[],
  /** Mean invocations of the callee per second (ours). */
  invocationsPerSecond: 2,
  /** Median normal latency in ms and log-normal sigma (ours). */
  latencyMedianMs: 25,
  latencySigma: 0.35,
  /** Extra latency in ms during network faults (ours: an order of magnitude above normal). */
  networkExtraLatencyMs: 250,
  /** Log-event bin width in seconds and mean count per bin, normal and under network faults (ours). */
  logBinSeconds: 10,
  logEventsPerBin: 40,
  logEventsPerBinUnderNetworkFault: 6,
  /** CPU usage in %: normal mean and sd, under CPU exhaustion mean and sd (ours). */
  cpuNormalPercent: 22,
  cpuNormalSd: 3,
  cpuExhaustedPercent: 85,
  cpuExhaustedSd: 9,
  /** Social-network service names (DeathStarBench SocialNetwork) for the ranking and t-SNE inputs. */
  services: [
    'compose-post', 'home-timeline', 'media', 'post-storage', 'social-graph', 'text', 'unique-id',
    'url-shorten', 'user', 'user-mention', 'user-timeline', 'nginx-web-server',
  ] as readonly string[],
  /** Abnormal windows per root cause in the t-SNE input, and the representation width (ours). */
  windowsPerCause: 25,
  representationSize: 32,
  /** Root causes shown in the t-SNE input (ours: 6 keeps the legend readable). */
  tsneCauses: 6,
};

/** Marked on every synthetic figure title. */
export const SYNTHETIC_LABEL = 'synthetic data';

const isNetworkFault = (f: string | undefined): boolean => f !== undefined && /network|packet/i.test(f);
const faultAt = (t: number, faults: readonly FaultInterval[]): string | undefined =>
  faults.find((f) => t >= f.startSeconds && t < f.endSeconds)?.fault;

/** Inputs of Figs. 2-4 over one synthetic period. */
export function syntheticMotivationInputs(seed: Seed = 0): {
  latency: LatencyFigureInput;
  logEvent: LogEventFigureInput;
  kpi: KpiFigureInput;
} {
  const d = syntheticDefaults;
  const rng = createRng(seed).fork('synthetic-motivation');
  const latencyRng = rng.fork('latency');
  const times: number[] = [];
  const latencies: number[] = [];
  // Poisson arrivals: exponential gaps.
  for (let t = latencyRng.exponential(d.invocationsPerSecond); t < d.periodSeconds; t += latencyRng.exponential(d.invocationsPerSecond)) {
    const base = latencyRng.logNormal(Math.log(d.latencyMedianMs), d.latencySigma);
    const extra = isNetworkFault(faultAt(t, d.faults)) ? latencyRng.logNormal(Math.log(d.networkExtraLatencyMs), 0.3) : 0;
    times.push(t);
    latencies.push(base + extra);
  }
  const logRng = rng.fork('log');
  const binStarts: number[] = [];
  const counts: number[] = [];
  for (let t = 0; t < d.periodSeconds; t += d.logBinSeconds) {
    binStarts.push(t);
    counts.push(logRng.poisson(isNetworkFault(faultAt(t, d.faults)) ? d.logEventsPerBinUnderNetworkFault : d.logEventsPerBin));
  }
  const cpuRng = rng.fork('cpu');
  const seconds: number[] = [];
  const cpu: number[] = [];
  for (let t = 0; t < d.periodSeconds; t++) {
    const exhausted = faultAt(t, d.faults) === 'CPU exhaustion';
    const v = exhausted ? cpuRng.normal(d.cpuExhaustedPercent, d.cpuExhaustedSd) : cpuRng.normal(d.cpuNormalPercent, d.cpuNormalSd);
    seconds.push(t);
    cpu.push(Math.min(100, Math.max(0, v)));
  }
  const suffix = ` (${SYNTHETIC_LABEL})`;
  return {
    latency: {
      callee: 'travel', invocations: { timeSeconds: times, values: latencies }, faults: d.faults,
      title: `Latency of invocations of "travel"${suffix}`,
    },
    logEvent: {
      service: 'route', eventTemplate: 'Route id: <*>', occurrences: { timeSeconds: binStarts, values: counts }, faults: d.faults,
      title: `Occurrences of "Route id: <*>" in "route" per ${d.logBinSeconds} s${suffix}`,
    },
    kpi: {
      service: 'payment', kpi: 'total CPU usage', unit: '%', samples: { timeSeconds: seconds, values: cpu }, faults: d.faults,
      title: `Total CPU usage of "payment"${suffix}`,
    },
  };
}

/** Culprit probabilities for one anomalous window: softmax of noisy logits, the culprit boosted. */
export function syntheticRankingInput(seed: Seed = 0): RankingFigureInput {
  const rng = createRng(seed).fork('synthetic-ranking');
  const services = [...syntheticDefaults.services];
  const culprit = rng.choice(services);
  const logits = services.map((s) => rng.normal(0, 1) + (s === culprit ? 3 : 0));
  const max = Math.max(...logits);
  const exp = logits.map((l) => Math.exp(l - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  return {
    services, probabilities: exp.map((e) => e / sum), trueCulprit: culprit,
    title: `Services ranked by culprit probability (${SYNTHETIC_LABEL})`,
  };
}

export interface SyntheticRepresentations {
  variant: string;
  /** [N, representationSize] rows. */
  rows: number[][];
  rootCauses: string[];
}

/**
 * High-dimensional "representations" of abnormal windows for three variants: one Gaussian cluster
 * per root cause whose centre spread shrinks from "Eadro" to "w/o logs" to "w/o KPIs", i.e. the
 * separation the paper reports is ASSUMED here, only to exercise the t-SNE figure.
 */
export function syntheticRepresentations(seed: Seed = 0): SyntheticRepresentations[] {
  const d = syntheticDefaults;
  const rng = createRng(seed).fork('synthetic-representations');
  const causes = d.services.slice(0, d.tsneCauses);
  const directions = causes.map(() => Array.from({ length: d.representationSize }, () => rng.normal(0, 1)));
  const variants: { variant: string; centreScale: number }[] = [
    { variant: 'Eadro', centreScale: 3 },
    { variant: 'w/o logs', centreScale: 0.6 },
    { variant: 'w/o KPIs', centreScale: 0.4 },
  ];
  return variants.map(({ variant, centreScale }) => {
    const noise: Rng = rng.fork(variant);
    const rows: number[][] = [];
    const rootCauses: string[] = [];
    causes.forEach((cause, c) => {
      for (let i = 0; i < d.windowsPerCause; i++) {
        rows.push(directions[c]!.map((m) => centreScale * m + noise.normal(0, 1)));
        rootCauses.push(cause);
      }
    });
    return { variant, rows, rootCauses };
  });
}
