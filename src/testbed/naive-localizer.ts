/**
 * The "one-liner" the testbed must defeat (issue 3): rank services by their largest z-scored shift in
 * any single KPI or latency series during the fault, against the fault-free period just before it.
 * If this scored near-perfect HR@1, the testbed would guarantee the paper's findings instead of making
 * them testable. Reads the raw layout directly (own minimal parsing: the testbed's own files only).
 *
 * Score of a service = max over its series of |mean(during) - mean(before)| / sd(before), where the
 * series are the 7 Eadro KPIs (one value per second) and the durations of the spans it served.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EadroError } from '../core/errors.js';
import { EADRO_KPIS } from './kpis.js';

export const naiveLocalizerDefaults = {
  /** ours: the fewest samples a window needs for its series to be scored. */
  minSamples: 3,
  /** ours: floor of the baseline standard deviation, relative to |mean| (avoids dividing by ~0). */
  relativeSdFloor: 1e-3,
};

export interface NaiveRanking {
  service: string;
  score: number;
  /** The series that gave the score (`cpu_usage_total`, `latency`, ...). */
  series: string;
}

export interface NaiveHitRate {
  hr1: number;
  faults: number;
  hits: number;
  byType: Record<string, { faults: number; hits: number; hr1: number }>;
}

interface RawFault {
  name: string;
  fault: string;
  start: number;
  duration: number;
}

function meanSd(values: ArrayLike<number>): { mean: number; sd: number; n: number } {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = n > 0 ? sum / n : 0;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i]! - mean) ** 2;
  return { mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, n };
}

function shift(before: ArrayLike<number>, during: ArrayLike<number>): number {
  const b = meanSd(before);
  const d = meanSd(during);
  if (b.n < naiveLocalizerDefaults.minSamples || d.n < naiveLocalizerDefaults.minSamples) return 0;
  const sd = Math.max(b.sd, naiveLocalizerDefaults.relativeSdFloor * (Math.abs(b.mean) + 1e-9));
  return Math.abs(d.mean - b.mean) / sd;
}

/** Per service: KPI columns by name, with their timestamps. */
function readMetrics(runDir: string): Map<string, { t: number[]; cols: Map<string, number[]> }> {
  const dir = path.join(runDir, 'metrics');
  const out = new Map<string, { t: number[]; cols: Map<string, number[]> }>();
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.csv')).sort()) {
    const lines = fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l.length > 0);
    const header = lines[0]!.split(',');
    const t: number[] = [];
    const cols = new Map<string, number[]>(header.slice(1).map((h) => [h, []]));
    for (let i = 1; i < lines.length; i++) {
      const cells = lines[i]!.split(',');
      t.push(Number(cells[0]));
      for (let c = 1; c < header.length; c++) cols.get(header[c]!)!.push(Number(cells[c]));
    }
    out.set(f.slice(0, -4), { t, cols });
  }
  return out;
}

interface SpanLite {
  service: string;
  /** Unix seconds. */
  start: number;
  /** Microseconds. */
  duration: number;
}

function readSpans(runDir: string): SpanLite[] {
  const file = path.join(runDir, 'spans.json');
  const traces = JSON.parse(fs.readFileSync(file, 'utf8')) as Array<{
    spans: Array<{ startTime: number; duration: number; processID: string }>;
    processes: Record<string, { serviceName: string }>;
  }>;
  const out: SpanLite[] = [];
  for (const tr of traces) for (const s of tr.spans) out.push({ service: tr.processes[s.processID]!.serviceName, start: s.startTime / 1e6, duration: s.duration });
  return out;
}

/** The service a container name refers to: the longest known service name it contains. */
export function serviceOfContainer(container: string, services: readonly string[]): string | null {
  let best: string | null = null;
  for (const s of services) if (container.includes(s) && (best === null || s.length > best.length)) best = s;
  return best;
}

/**
 * Rank every service for each fault of one run (descending score). `before` = from the previous
 * fault's end (or the run's start) to this fault's start; `during` = the fault's own window.
 */
export function naiveLocalize(runDir: string, recordFile: string): Array<{ fault: RawFault; service: string | null; ranking: NaiveRanking[] }> {
  const record = JSON.parse(fs.readFileSync(recordFile, 'utf8')) as { start: number; faults: RawFault[] };
  if (!Array.isArray(record.faults)) throw new EadroError('Fault record has no fault list.', { file: recordFile, field: 'faults', expected: 'a list' });
  const metrics = readMetrics(runDir);
  const spans = readSpans(runDir);
  const services = [...metrics.keys()];
  const faults = [...record.faults].sort((a, b) => a.start - b.start);
  const results: Array<{ fault: RawFault; service: string | null; ranking: NaiveRanking[] }> = [];
  let prevEnd = record.start;
  for (const fault of faults) {
    const b0 = prevEnd;
    const b1 = fault.start;
    const d1 = fault.start + fault.duration;
    const ranking: NaiveRanking[] = [];
    for (const service of services) {
      const m = metrics.get(service)!;
      let best: NaiveRanking = { service, score: 0, series: 'none' };
      for (const kpi of EADRO_KPIS) {
        const col = m.cols.get(kpi);
        if (col === undefined) continue;
        const before: number[] = [];
        const during: number[] = [];
        m.t.forEach((t, i) => {
          if (t >= b0 && t < b1) before.push(col[i]!);
          else if (t >= b1 && t < d1) during.push(col[i]!);
        });
        const z = shift(before, during);
        if (z > best.score) best = { service, score: z, series: kpi };
      }
      const before: number[] = [];
      const during: number[] = [];
      for (const s of spans) {
        if (s.service !== service) continue;
        if (s.start >= b0 && s.start < b1) before.push(s.duration);
        else if (s.start >= b1 && s.start < d1) during.push(s.duration);
      }
      const z = shift(before, during);
      if (z > best.score) best = { service, score: z, series: 'latency' };
      ranking.push(best);
    }
    ranking.sort((a, b) => b.score - a.score || a.service.localeCompare(b.service));
    results.push({ fault, service: serviceOfContainer(fault.name, services), ranking });
    prevEnd = d1;
  }
  return results;
}

/** HR@1 of the naive localizer over every fault run under a raw root (`data/<run>.json` + `data/<run>/`). */
export function naiveHitRate(root: string): NaiveHitRate {
  const dataDir = path.join(root, 'data');
  const records = fs.readdirSync(dataDir).filter((f) => f.endsWith('.json')).sort();
  const byType: NaiveHitRate['byType'] = {};
  let faults = 0;
  let hits = 0;
  for (const rec of records) {
    const runDir = path.join(dataDir, rec.slice(0, -5));
    if (!fs.existsSync(runDir)) throw new EadroError('Fault record has no run folder.', { file: path.join(dataDir, rec), expected: runDir });
    for (const r of naiveLocalize(runDir, path.join(dataDir, rec))) {
      const hit = r.ranking[0]?.service === r.service ? 1 : 0;
      faults++;
      hits += hit;
      const t = (byType[r.fault.fault] ??= { faults: 0, hits: 0, hr1: 0 });
      t.faults++;
      t.hits += hit;
    }
  }
  for (const t of Object.values(byType)) t.hr1 = t.faults > 0 ? t.hits / t.faults : 0;
  return { hr1: faults > 0 ? hits / faults : 0, faults, hits, byType };
}
