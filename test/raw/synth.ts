/**
 * Small synthetic raw datasets in the released layout (data-formats.md §1), written into os.tmpdir()
 * for the reader tests: traces with a time-varying request rate, one Java-style log line per span,
 * per-second KPIs whose CPU follows load and jumps during CPU-exhaustion faults, and fault records.
 * Clock shifts can be planted per source (seconds added to what is written).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRng } from '../../src/core/rng.js';
import { eadroMetricColumns } from '../../src/raw/config.js';

export function tmpDir(label = 'raw'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `eadro-${label}-`));
}

export const SYNTH_SERVICES = ['ts-travel-service', 'ts-order-service', 'ts-seat-service'];

export interface SynthOptions {
  seed?: number;
  runs?: number;
  /** Run length, seconds. */
  durationSeconds?: number;
  /** Mean requests per second. */
  rate?: number;
  /** Seconds added to what each source writes (planted clock shifts). */
  shift?: { spans?: number; logs?: number; metrics?: number; records?: number };
  /** First run start, unix seconds. Default 2022-04-17T21:21:01Z. */
  start?: number;
  /** Add a normal run under "no fault/". */
  normalRun?: boolean;
}

/** 'YYYY-MM-DD HH:mm:ss.SSS' of a unix-seconds time, in UTC. */
export function javaTime(t: number): string {
  return new Date(Math.round(t * 1000)).toISOString().replace('T', ' ').replace('Z', '');
}

function stamp(t: number): string {
  // `2022-04-17T212101` as in the released run names.
  return new Date(t * 1000).toISOString().slice(0, 19).replace(/:/g, '');
}

/** Write a dataset; returns the root and the runs' true [start, end]. */
export function writeSynthDataset(root: string, opts: SynthOptions = {}): { root: string; runs: { id: string; start: number; end: number }[] } {
  const rng = createRng(opts.seed ?? 1);
  const nRuns = opts.runs ?? 2;
  const D = opts.durationSeconds ?? 1800;
  const rate = opts.rate ?? 1;
  const shift = { spans: 0, logs: 0, metrics: 0, records: 0, ...opts.shift };
  let t0 = opts.start ?? 1650230461;
  const runs: { id: string; start: number; end: number }[] = [];
  const [root0, child1, child2] = SYNTH_SERVICES as [string, string, string];
  let spanCounter = 0;
  const hex = (): string => (++spanCounter).toString(16).padStart(16, '0');

  const writeRun = (dir: string, start: number, faults: { svc: string; type: string; at: number; dur: number }[]): void => {
    fs.mkdirSync(path.join(dir, 'metrics'), { recursive: true });
    const traces: unknown[] = [];
    const logs: Record<string, string[]> = Object.fromEntries(SYNTH_SERVICES.map((s) => [s, []]));
    const perSecond = new Map<string, Float64Array>(SYNTH_SERVICES.map((s) => [s, new Float64Array(D)]));
    let minuteRate = rate;
    for (let s = 0; s < D; s++) {
      if (s % 60 === 0) minuteRate = rate * rng.uniform(0.2, 2);
      const n = rng.poisson(minuteRate);
      for (let k = 0; k < n; k++) {
        const t = start + s + rng.uniform(0, 0.9);
        const traceID = hex();
        const rootId = hex();
        const spans = [
          { traceID, spanID: rootId, operationName: 'GET /travel', references: [], startTime: Math.round((t + shift.spans) * 1e6), duration: 5000, processID: 'p1', tags: [{ key: 'http.status_code', type: 'int64', value: 200 }] },
          { traceID, spanID: hex(), operationName: 'order', references: [{ refType: 'CHILD_OF', traceID, spanID: rootId }], startTime: Math.round((t + 0.001 + shift.spans) * 1e6), duration: 2000, processID: 'p2', tags: [] },
          { traceID, spanID: hex(), operationName: 'seat', references: [{ refType: 'CHILD_OF', traceID, spanID: rootId }], startTime: Math.round((t + 0.002 + shift.spans) * 1e6), duration: 1000, processID: 'p3', tags: [] },
        ];
        traces.push({ traceID, spans, processes: { p1: { serviceName: root0, tags: [] }, p2: { serviceName: child1, tags: [] }, p3: { serviceName: child2, tags: [] } } });
        for (const svc of SYNTH_SERVICES) {
          logs[svc]!.push(`${javaTime(t + 0.003 + shift.logs)}  INFO 1 --- [http-nio-8080-exec-1] c.s.Impl : handled ${traceID}`);
          perSecond.get(svc)![s]!++;
        }
      }
    }
    fs.writeFileSync(path.join(dir, 'spans.json'), JSON.stringify(traces));
    fs.writeFileSync(path.join(dir, 'logs.json'), JSON.stringify(logs));
    for (const svc of SYNTH_SERVICES) {
      const rows = [['timestamp', ...eadroMetricColumns].join(',')];
      const counts = perSecond.get(svc)!;
      for (let s = 0; s < D; s++) {
        const t = start + s;
        const hog = faults.some((f) => f.svc === svc && /cpu/.test(f.type) && t >= f.at && t < f.at + f.dur) ? 0.8 : 0;
        const cpu = 0.1 + 0.05 * counts[s]! + rng.normal(0, 0.01) + hog;
        rows.push([t + shift.metrics, cpu * 0.3, cpu, cpu * 0.7, 1e8, 9e7, 1000 * counts[s]!, 900 * counts[s]!].join(','));
      }
      fs.writeFileSync(path.join(dir, 'metrics', `${svc}.csv`), `${rows.join('\n')}\n`);
    }
  };

  for (let r = 0; r < nRuns; r++) {
    const id = `${stamp(t0)}D${stamp(t0 + D)}`;
    // Three injections of D/8 s each, inside the run.
    const dur = Math.round(D / 8);
    const faults = [
      { svc: child1, type: 'cpu_exhaustion', at: t0 + Math.round(D * 0.2), dur },
      { svc: child2, type: 'network_delay', at: t0 + Math.round(D * 0.45), dur },
      { svc: root0, type: 'cpu_exhaustion', at: t0 + Math.round(D * 0.7), dur },
    ];
    writeRun(path.join(root, 'data', id), t0, faults);
    const record = {
      start: t0 + shift.records,
      end: t0 + D + shift.records,
      faults: faults.map((f) => ({ name: `train-ticket_${f.svc}_1`, fault: f.type, start: f.at + shift.records, duration: f.dur })),
    };
    fs.writeFileSync(path.join(root, 'data', `${id}.json`), JSON.stringify(record));
    runs.push({ id, start: t0, end: t0 + D });
    t0 += D + 600;
  }
  if (opts.normalRun === true) {
    const id = `${stamp(t0)}D${stamp(t0 + D)}`;
    writeRun(path.join(root, 'no fault', id), t0, []);
  }
  return { root, runs };
}

/**
 * Move sources of an existing raw dataset in time (seconds added): span startTime and metric timestamps,
 * rewritten in place. Used to plant clock shifts into testbed output.
 */
export function plantShift(root: string, shift: { spans?: number; metrics?: number }): void {
  for (const kind of ['data', 'no fault']) {
    const base = path.join(root, kind);
    if (!fs.existsSync(base)) continue;
    for (const run of fs.readdirSync(base, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      const dir = path.join(base, run.name);
      const spansFile = path.join(dir, 'spans.json');
      if (shift.spans !== undefined && fs.existsSync(spansFile)) {
        const traces = JSON.parse(fs.readFileSync(spansFile, 'utf8')) as { spans: { startTime: number }[] }[];
        for (const t of traces) for (const s of t.spans) s.startTime += shift.spans * 1e6;
        fs.writeFileSync(spansFile, JSON.stringify(traces));
      }
      const metricsDir = path.join(dir, 'metrics');
      if (shift.metrics !== undefined && fs.existsSync(metricsDir)) {
        for (const name of fs.readdirSync(metricsDir)) {
          const file = path.join(metricsDir, name);
          const [header, ...rows] = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
          const col = header!.split(',').indexOf('timestamp');
          const moved = rows.map((r) => {
            const cells = r.split(',');
            cells[col] = String(Number(cells[col]) + shift.metrics!);
            return cells.join(',');
          });
          fs.writeFileSync(file, `${[header, ...moved].join('\n')}\n`);
        }
      }
    }
  }
}

/**
 * What `rewriteMetricsAsUserTelemetry` plants per metric file, for known answers: the columns an
 * 'auto' read must choose, those it must drop (and why), and the missing cells per column.
 */
export const USER_TELEMETRY = {
  intervalSeconds: 30,
  /** Numeric columns in every file, in header order. */
  columns: ['cpu_seconds', 'memory_rss_bytes', 'open_fds'],
  /** Only in the files of this service: dropped as missing in some files. */
  partialColumn: 'gc_pause_ms',
  partialService: 'ts-station-service',
  /** Text ('ok' / 'degraded'): dropped as non-numeric. */
  textColumn: 'status',
  /** Missing cells per file: row 1 cpu 'NaN', row 2 memory '' (empty), row 3 open_fds 'null' and cpu 'None'. */
  missingPerFile: { cpu_seconds: 2, memory_rss_bytes: 1, open_fds: 1 },
} as const;

/**
 * Rewrite every `metrics/*.csv` of a raw root (Eadro columns, 1-s rows) the way users' own telemetry
 * looks (issue 25): a pandas index column with an empty header, other KPI names
 * (`USER_TELEMETRY.columns`), a text column, a column only some services have, one row per 30 s,
 * and missing cells spelled NaN, empty, null and None. cpu_seconds carries cpu_usage_total, so faults
 * still show.
 */
export function rewriteMetricsAsUserTelemetry(root: string): void {
  const U = USER_TELEMETRY;
  for (const kind of ['data', 'no fault']) {
    const base = path.join(root, kind);
    if (!fs.existsSync(base)) continue;
    for (const run of fs.readdirSync(base, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      const metricsDir = path.join(base, run.name, 'metrics');
      if (!fs.existsSync(metricsDir)) continue;
      for (const name of fs.readdirSync(metricsDir)) {
        const file = path.join(metricsDir, name);
        const partial = name === `${U.partialService}.csv`;
        const [header, ...rows] = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
        const cols = header!.split(',');
        const at = (cells: string[], c: string): string => cells[cols.indexOf(c)]!;
        const t0 = Number(at(rows[0]!.split(','), 'timestamp'));
        const out = [['', 'timestamp', ...U.columns, U.textColumn, ...(partial ? [U.partialColumn] : [])].join(',')];
        let r = 0;
        for (const row of rows) {
          const cells = row.split(',');
          const t = Number(at(cells, 'timestamp'));
          if ((t - t0) % U.intervalSeconds !== 0) continue;
          const cpu = r === 1 ? 'NaN' : r === 3 ? 'None' : at(cells, 'cpu_usage_total');
          const mem = r === 2 ? '' : at(cells, 'memory_usage');
          const fds = r === 3 ? 'null' : String(100 + r);
          out.push([r, t, cpu, mem, fds, r % 2 === 0 ? 'ok' : 'degraded', ...(partial ? [String(r * 0.5)] : [])].join(','));
          r++;
        }
        fs.writeFileSync(file, `${out.join('\n')}\n`);
      }
    }
  }
}
