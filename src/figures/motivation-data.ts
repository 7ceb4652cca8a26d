/**
 * Inputs of the motivating figures (Figs. 2-4) read from raw telemetry in the released layout
 * (data-formats.md §1): the built-in testbed's output or the released TrainTicket data. Each figure is
 * drawn from data that holds what its caption claims, chosen by the fault records (the ground truth):
 * - Fig. 2: every span served by the callee (latency = span duration, ms), in a run with a network
 *   delay on the callee (preferring one that also exhausts its CPU: the paper's contrast);
 * - Fig. 3: per-bin count of the log lines of one service that match the event's pattern, in a run
 *   with a network fault (delay or loss) on that service;
 * - Fig. 4: one KPI column of one service, in a run with a CPU exhaustion on that service.
 * Each shows the stretch of its run around the faults on the plotted service (`focusPadSeconds`
 * either side), in seconds since the run's start; faults on the plotted service are coloured and
 * labelled, faults on other services in that stretch are grey context bands without labels.
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
   * Service of Fig. 4 (paper: "payment"); null: `ts-payment-service` when some run exhausts its CPU,
   * else the first service with a cpu_exhaustion fault, so the figure shows one whatever the schedule.
   */
  kpiService: null as string | null,
  /** Fig. 4's preferred service (paper §II: "payment"). */
  preferredKpiService: 'ts-payment-service',
  /** Seconds shown before the first and after the last fault on the plotted service (ours). */
  focusPadSeconds: 180,
};

export interface MotivationDataOptions {
  /** Run folder name for all three figures; default: per figure, a run with the fault its caption names. */
  run?: string;
  callee?: string;
  logService?: string;
  logEventPattern?: string;
  logEventTemplate?: string;
  logBinSeconds?: number;
  kpiColumn?: string;
  kpiUnit?: string;
  kpiService?: string | null;
  focusPadSeconds?: number;
  /** Data name in the figure subtitles; default "testbed" when testbed.json is there, else the folder name. */
  label?: string;
}

/** Which run and which fault a figure shows (the fault its caption speaks of). */
export interface FigureFocus {
  run: string;
  /** The fault on the plotted service that the caption names (seconds since the run's start). */
  fault: { type: string; service: string; startSeconds: number; endSeconds: number };
  /** The stretch shown, seconds since the run's start. */
  window: { startSeconds: number; endSeconds: number };
}

export interface MotivationData {
  /** Run folder name of Fig. 2 (each figure's own run is in `focus`). */
  run: string;
  focus: { latency: FigureFocus; logEvent: FigureFocus; kpi: FigureFocus };
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

interface RunWithRecord {
  run: RawRun;
  record: RunRecord;
}

/**
 * The run a figure shows: the asked-for one, else the run with a fault of one of `types` on `service`
 * (ranked by `prefer`, then by how many such faults, then by name). Refuses, naming the service and
 * fault types, when no run has one.
 */
function runWithFault(runs: readonly RunWithRecord[], service: string, types: readonly string[], root: string, figure: string, wanted?: string, prefer: (r: RunWithRecord) => number = () => 0): RunWithRecord {
  const matching = (r: RunWithRecord): number => r.record.faults.filter((f) => f.service === service && types.includes(f.type)).length;
  if (wanted !== undefined) {
    const found = runs.find((r) => r.run.id === wanted);
    if (found === undefined) {
      throw new EadroError('Run not found among the fault runs.', { file: root, field: 'run', expected: runs.map((r) => r.run.id).join(' | '), found: wanted });
    }
    if (matching(found) === 0) {
      throw new EadroError(`The run has no fault that ${figure} is about.`, { file: found.run.recordFile ?? found.run.dir, field: 'run', expected: `a ${types.join(' or ')} fault on ${service}`, found: wanted });
    }
    return found;
  }
  const candidates = runs.filter((r) => matching(r) > 0).sort((a, b) => prefer(b) - prefer(a) || matching(b) - matching(a) || a.run.id.localeCompare(b.run.id));
  if (candidates.length === 0) {
    throw new EadroError(`No fault run has a fault that ${figure} is about.`, { file: root, field: 'faults', expected: `a ${types.join(' or ')} fault on ${service} in some run`, hint: 'choose another service in the figure options' });
  }
  return candidates[0]!;
}

/** The focus of a figure: its first fault of `types` on `service`, and the stretch around the faults on that service. */
function focusOf(r: RunWithRecord, service: string, types: readonly string[], pad: number): FigureFocus {
  const t0 = r.record.start;
  const onService = r.record.faults.filter((f) => f.service === service);
  const named = onService.find((f) => types.includes(f.type))!;
  const from = Math.min(...onService.map((f) => f.start)) - t0;
  const to = Math.max(...onService.map((f) => f.start + f.duration)) - t0;
  return {
    run: r.run.id,
    fault: { type: named.type, service, startSeconds: named.start - t0, endSeconds: named.start + named.duration - t0 },
    window: { startSeconds: Math.max(0, from - pad), endSeconds: Math.min(r.record.end - t0, to + pad) },
  };
}

/** The faults of a run inside a figure's stretch: those on `service` labelled, the others grey context. */
function faultsIn(r: RunWithRecord, focus: FigureFocus, service: string): FaultInterval[] {
  const t0 = r.record.start;
  return r.record.faults
    .map((f) => ({ fault: faultLabel(f.type, f.service), startSeconds: f.start - t0, endSeconds: f.start + f.duration - t0, ...(f.service === service ? {} : { context: true }) }))
    .filter((f) => f.endSeconds > focus.window.startSeconds && f.startSeconds < focus.window.endSeconds);
}

/**
 * The most frequent log event of a service in a run, with digits masked (`<*>`): its template and a
 * regular expression for it. Ours: Fig. 3's stand-in event when the paper's service had no network
 * fault in the data.
 */
async function mostFrequentEvent(logsFile: string, service: string, cfg: ReturnType<typeof normalizeRawConfig>, skips: SkipCollector): Promise<{ pattern: string; template: string }> {
  const counts = new Map<string, number>();
  for await (const line of readLogLines(logsFile, cfg, skips)) {
    if (line.service !== service) continue;
    const masked = line.content.replace(/\d+(\.\d+)?/g, '<*>');
    counts.set(masked, (counts.get(masked) ?? 0) + 1);
  }
  const best = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
  if (best === undefined) throw new EadroError('The service logged nothing in this run.', { file: logsFile, field: 'logService', found: service });
  const template = best[0];
  const pattern = `^${template.split('<*>').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\d+(?:\\.\\d+)?')}$`;
  return { pattern, template };
}

const inWindow = (focus: FigureFocus, t: number): boolean => t >= focus.window.startSeconds && t < focus.window.endSeconds;

/** Read Figs. 2-4's inputs from the raw data under `rawRoot` (a folder with data/ and "no fault/"). */
export async function loadMotivationData(rawRoot: string, options: MotivationDataOptions = {}): Promise<MotivationData> {
  const o = { ...motivationDataDefaults, ...options };
  const cfg = normalizeRawConfig({ onBadInput: 'skip' });
  const skips = new SkipCollector();
  const faultRuns = listRuns(rawRoot, { onBadInput: 'skip', skips }).filter((r) => r.kind === 'fault');
  if (faultRuns.length === 0) throw new EadroError('No fault runs to show.', { file: rawRoot, expected: 'data/<run>/ folders with <run>.json records' });
  const runs: RunWithRecord[] = faultRuns.map((run) => {
    const files = runFiles(run);
    if (files.metricsDir === null) throw new EadroError('Run has no metrics folder.', { file: run.dir, field: 'metrics/' });
    const services = [...listMetricFiles(files.metricsDir).keys()];
    return { run, record: readRunRecord(run, cfg, services)! };
  });
  const label = o.label ?? (fs.existsSync(path.join(rawRoot, 'testbed.json')) ? 'testbed' : path.basename(path.resolve(rawRoot)));

  // Fig. 2: spans served by the callee, in a run with a network delay on it (and, if any, a CPU exhaustion too).
  const hasCpuOn = (service: string) => (r: RunWithRecord): number => (r.record.faults.some((f) => f.service === service && f.type === 'cpu_exhaustion') ? 1 : 0);
  const r2 = runWithFault(runs, o.callee, ['network_delay'], rawRoot, 'Fig. 2 (latency under network delay)', o.run, hasCpuOn(o.callee));
  const focus2 = focusOf(r2, o.callee, ['network_delay'], o.focusPadSeconds);
  const spans2 = runFiles(r2.run).spans;
  if (spans2 === null) throw new EadroError('Run has no spans.json.', { file: r2.run.dir, field: 'spans.json' });
  const spanTimes: number[] = [];
  const latenciesMs: number[] = [];
  for await (const trace of readTraces(spans2, cfg, skips)) {
    for (const span of trace) {
      const t = span.startUs / 1e6 - r2.record.start;
      if (span.service !== o.callee || !inWindow(focus2, t)) continue;
      spanTimes.push(t);
      latenciesMs.push(span.durationUs / 1000);
    }
  }
  if (spanTimes.length === 0) throw new EadroError('The callee served no spans in this run.', { file: spans2, field: 'callee', found: o.callee });

  // Fig. 3: matching log lines per bin, in a run with a network fault on the service. When no run has
  // one on the default service (small schedules), and the caller named neither service nor event, the
  // first service with a network fault stands in, with its most frequent log event in that run.
  const network = ['network_delay', 'packet_loss'];
  const hasNetworkFault = (service: string): boolean => runs.some((r) => r.record.faults.some((f) => f.service === service && network.includes(f.type)));
  let logService = o.logService;
  let eventPattern = o.logEventPattern;
  let eventTemplate = o.logEventTemplate;
  const standIn = options.logService === undefined && options.logEventPattern === undefined && o.run === undefined && !hasNetworkFault(logService);
  if (standIn) {
    const delayed = runs.flatMap((r) => r.record.faults).filter((f) => network.includes(f.type)).sort((a, b) => Number(b.type === 'network_delay') - Number(a.type === 'network_delay'))[0];
    if (delayed !== undefined) logService = delayed.service;
  }
  const r3 = runWithFault(runs, logService, network, rawRoot, 'Fig. 3 (a log event under network faults)', o.run);
  const focus3 = focusOf(r3, logService, network, o.focusPadSeconds);
  const logs3 = runFiles(r3.run).logs;
  if (logs3 === null) throw new EadroError('Run has no logs.json.', { file: r3.run.dir, field: 'logs.json' });
  if (standIn) ({ pattern: eventPattern, template: eventTemplate } = await mostFrequentEvent(logs3, logService, cfg, skips));
  const pattern = new RegExp(eventPattern);
  const firstBin = Math.floor(focus3.window.startSeconds / o.logBinSeconds);
  const bins = Math.ceil(focus3.window.endSeconds / o.logBinSeconds) - firstBin;
  const counts = new Array<number>(bins).fill(0);
  let matched = 0;
  for await (const line of readLogLines(logs3, cfg, skips)) {
    if (line.service !== logService || !pattern.test(line.content)) continue;
    const bin = Math.floor((line.time - r3.record.start) / o.logBinSeconds) - firstBin;
    if (bin >= 0 && bin < bins) {
      counts[bin]!++;
      matched++;
    }
  }
  if (matched === 0) {
    throw new EadroError('No log line of the service matches the event pattern.', {
      file: logs3, field: 'logEventPattern', expected: `lines of ${logService} matching /${eventPattern}/`, found: 'none',
    });
  }

  // Fig. 4: one KPI column of a service whose CPU some run exhausts.
  const cpuServices = [...new Set(runs.flatMap((r) => r.record.faults.filter((f) => f.type === 'cpu_exhaustion').map((f) => f.service)))];
  const kpiService = o.kpiService ?? (cpuServices.includes(o.preferredKpiService) ? o.preferredKpiService : cpuServices[0] ?? o.callee);
  const r4 = runWithFault(runs, kpiService, ['cpu_exhaustion'], rawRoot, 'Fig. 4 (a KPI under CPU exhaustion)', o.run);
  const focus4 = focusOf(r4, kpiService, ['cpu_exhaustion'], o.focusPadSeconds);
  const metricsDir4 = runFiles(r4.run).metricsDir!;
  const table = readMetricTables(metricsDir4, cfg, skips).find((t) => t.service === kpiService);
  const column = table?.columns[o.kpiColumn];
  if (table === undefined || column === undefined) {
    throw new EadroError('KPI not found.', { file: metricsDir4, field: `${kpiService}.csv:${o.kpiColumn}`, expected: 'a metrics CSV with that column' });
  }
  const kpiTimes: number[] = [];
  const kpiValues: number[] = [];
  table.timestamps.forEach((t, i) => {
    if (!inWindow(focus4, t - r4.record.start)) return;
    kpiTimes.push(t - r4.record.start);
    kpiValues.push(column[i]!);
  });

  const note = (f: FigureFocus): string => `${label}, run ${f.run}, ${Math.round(f.window.startSeconds)}-${Math.round(f.window.endSeconds)} s`;
  return {
    run: r2.run.id,
    focus: { latency: focus2, logEvent: focus3, kpi: focus4 },
    latency: {
      callee: o.callee, faults: faultsIn(r2, focus2, o.callee),
      invocations: { timeSeconds: spanTimes, values: latenciesMs },
      title: `Latency of invocations of "${o.callee}"<br><sup>${note(focus2)}</sup>`,
    },
    logEvent: {
      service: logService, eventTemplate, faults: faultsIn(r3, focus3, logService),
      occurrences: { timeSeconds: counts.map((_, i) => (firstBin + i) * o.logBinSeconds), values: counts },
      title: `Occurrences of "${eventTemplate}" in "${logService}"<br><sup>per ${o.logBinSeconds} s; ${note(focus3)}</sup>`,
    },
    kpi: {
      service: kpiService, kpi: o.kpiColumn, unit: o.kpiUnit, faults: faultsIn(r4, focus4, kpiService),
      samples: { timeSeconds: kpiTimes, values: kpiValues },
      title: `${o.kpiColumn} of "${kpiService}"<br><sup>${note(focus4)}</sup>`,
    },
    skipped: skips.total(),
  };
}
