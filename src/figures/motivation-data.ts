/**
 * Inputs of the motivating figures (Figs. 2-4) read from raw telemetry in the released layout
 * (data-formats.md §1): the built-in testbed's output or the released TrainTicket data. One fault run
 * is chosen and everything is shown over it, in seconds since the run's start, with its fault
 * injections as the shaded intervals:
 * - Fig. 2: every span served by the callee (latency = span duration, ms);
 * - Fig. 3: per-bin count of the log lines of one service that match the event's pattern;
 * - Fig. 4: one KPI column of one service.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EadroError } from '../core/errors.js';
import { normalizeRawConfig } from '../raw/config.js';
import { readLogLines } from '../raw/logs.js';
import { listMetricFiles, readMetricTables } from '../raw/metrics.js';
import { listRuns, readRunRecord, runFiles } from '../raw/runs.js';
import { SkipCollector } from '../raw/skips.js';
import { readTraces } from '../raw/spans.js';
import type { RawRun, RunRecord } from '../raw/types.js';
import type { FaultInterval, KpiFigureInput, LatencyFigureInput, LogEventFigureInput } from './motivation.js';

export const motivationDataDefaults = {
  /** Callee of Fig. 2 (paper §II: "travel"). */
  callee: 'ts-travel-service',
  /** Service of Fig. 3's log event (paper §II: "route"). */
  logService: 'ts-route-service',
  /**
   * Fig. 3's event, as a regular expression over the log message and the template shown. The paper's
   * "Route id: <*>" does not occur in the testbed's logs; ours: its request-completion event of
   * ts-route-service, which, like the paper's, is written once per served routing request.
   */
  logEventPattern: 'Routes finished, \\d+ route records returned',
  logEventTemplate: 'Routes finished, <*> route records returned',
  /** Bin width of Fig. 3's counts, seconds (ours: ~10 bins per 2-minute fault). */
  logBinSeconds: 10,
  /** KPI of Fig. 4 (paper §II: "total CPU usage"). */
  kpiColumn: 'cpu_usage_total',
  /** Its unit (testbed kpis.ts: CPU columns are percent of one core). */
  kpiUnit: '% of one core',
  /**
   * Service of Fig. 4 (paper: "payment"); null: the first service with a cpu_exhaustion fault in the
   * chosen run, so the figure shows a CPU exhaustion whatever the schedule.
   */
  kpiService: null as string | null,
};

export interface MotivationDataOptions {
  /** Run folder name; default: the fault run with the most injections into the callee. */
  run?: string;
  callee?: string;
  logService?: string;
  logEventPattern?: string;
  logEventTemplate?: string;
  logBinSeconds?: number;
  kpiColumn?: string;
  kpiUnit?: string;
  kpiService?: string | null;
  /** Data name in the figure subtitles; default "testbed" when testbed.json is there, else the folder name. */
  label?: string;
}

export interface MotivationData {
  /** Run folder name the figures show. */
  run: string;
  latency: LatencyFigureInput;
  logEvent: LogEventFigureInput;
  kpi: KpiFigureInput;
  /** Items the readers skipped (counted, never silent). */
  skipped: number;
}

/** `network_delay` -> `network delay (ts-travel-service)`: the legend label of a fault. */
function faultLabel(type: string, service: string): string {
  return `${type.replace(/_/g, ' ')} (${service})`;
}

function chooseRun(runs: { run: RawRun; record: RunRecord }[], callee: string, wanted: string | undefined, root: string): { run: RawRun; record: RunRecord } {
  if (wanted !== undefined) {
    const found = runs.find((r) => r.run.id === wanted);
    if (found === undefined) {
      throw new EadroError('Run not found among the fault runs.', { file: root, field: 'run', expected: runs.map((r) => r.run.id).join(' | '), found: wanted });
    }
    return found;
  }
  let best = runs[0]!;
  let bestCount = -1;
  for (const r of runs) {
    const count = r.record.faults.filter((f) => f.service === callee).length;
    if (count > bestCount) {
      best = r;
      bestCount = count;
    }
  }
  return best;
}

/** Read Figs. 2-4's inputs from the raw data under `rawRoot` (a folder with data/ and "no fault/"). */
export async function loadMotivationData(rawRoot: string, options: MotivationDataOptions = {}): Promise<MotivationData> {
  const o = { ...motivationDataDefaults, ...options };
  const cfg = normalizeRawConfig({ onBadInput: 'skip' });
  const skips = new SkipCollector();
  const faultRuns = listRuns(rawRoot, { onBadInput: 'skip', skips }).filter((r) => r.kind === 'fault');
  if (faultRuns.length === 0) throw new EadroError('No fault runs to show.', { file: rawRoot, expected: 'data/<run>/ folders with <run>.json records' });
  const withRecords = faultRuns.map((run) => {
    const files = runFiles(run);
    if (files.metricsDir === null) throw new EadroError('Run has no metrics folder.', { file: run.dir, field: 'metrics/' });
    const services = [...listMetricFiles(files.metricsDir).keys()];
    return { run, record: readRunRecord(run, cfg, services)! };
  });
  const { run, record } = chooseRun(withRecords, o.callee, o.run, rawRoot);
  const files = runFiles(run);
  const t0 = record.start;
  const faults: FaultInterval[] = record.faults.map((f) => ({
    fault: faultLabel(f.type, f.service), startSeconds: f.start - t0, endSeconds: f.start + f.duration - t0,
  }));

  // Fig. 2: spans served by the callee.
  if (files.spans === null) throw new EadroError('Run has no spans.json.', { file: run.dir, field: 'spans.json' });
  const spanTimes: number[] = [];
  const latenciesMs: number[] = [];
  for await (const trace of readTraces(files.spans, cfg, skips)) {
    for (const span of trace) {
      if (span.service !== o.callee) continue;
      spanTimes.push(span.startUs / 1e6 - t0);
      latenciesMs.push(span.durationUs / 1000);
    }
  }
  if (spanTimes.length === 0) throw new EadroError('The callee served no spans in this run.', { file: files.spans, field: 'callee', found: o.callee });

  // Fig. 3: matching log lines per bin.
  if (files.logs === null) throw new EadroError('Run has no logs.json.', { file: run.dir, field: 'logs.json' });
  const pattern = new RegExp(o.logEventPattern);
  const bins = Math.ceil((record.end - record.start) / o.logBinSeconds);
  const counts = new Array<number>(bins).fill(0);
  let matched = 0;
  for await (const line of readLogLines(files.logs, cfg, skips)) {
    if (line.service !== o.logService || !pattern.test(line.content)) continue;
    const bin = Math.floor((line.time - t0) / o.logBinSeconds);
    if (bin >= 0 && bin < bins) {
      counts[bin]!++;
      matched++;
    }
  }
  if (matched === 0) {
    throw new EadroError('No log line of the service matches the event pattern.', {
      file: files.logs, field: 'logEventPattern', expected: `lines of ${o.logService} matching /${o.logEventPattern}/`, found: 'none',
    });
  }

  // Fig. 4: one KPI column of one service.
  const kpiService = o.kpiService ?? record.faults.find((f) => f.type === 'cpu_exhaustion')?.service ?? o.callee;
  const tables = readMetricTables(files.metricsDir!, cfg, skips);
  const table = tables.find((t) => t.service === kpiService);
  const column = table?.columns[o.kpiColumn];
  if (table === undefined || column === undefined) {
    throw new EadroError('KPI not found.', { file: files.metricsDir!, field: `${kpiService}.csv:${o.kpiColumn}`, expected: 'a metrics CSV with that column' });
  }

  const label = o.label ?? (fs.existsSync(path.join(rawRoot, 'testbed.json')) ? 'testbed' : path.basename(path.resolve(rawRoot)));
  const runNote = `${label}, run ${run.id}`;
  return {
    run: run.id,
    latency: {
      callee: o.callee, faults,
      invocations: { timeSeconds: spanTimes, values: latenciesMs },
      title: `Latency of invocations of "${o.callee}"<br><sup>${runNote}</sup>`,
    },
    logEvent: {
      service: o.logService, eventTemplate: o.logEventTemplate, faults,
      occurrences: { timeSeconds: counts.map((_, i) => i * o.logBinSeconds), values: counts },
      title: `Occurrences of "${o.logEventTemplate}" in "${o.logService}"<br><sup>per ${o.logBinSeconds} s; ${runNote}</sup>`,
    },
    kpi: {
      service: kpiService, kpi: o.kpiColumn, unit: o.kpiUnit, faults,
      samples: { timeSeconds: Array.from(table.timestamps, (t) => t - t0), values: Array.from(column) },
      title: `${o.kpiColumn} of "${kpiService}"<br><sup>${runNote}</sup>`,
    },
    skipped: skips.total(),
  };
}
