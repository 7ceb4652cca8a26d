/**
 * Clock alignment measured from the data (data-formats.md §1 "Clock offsets"; reference-code-notes.md
 * §2, issues #8, #10, #11, #14: the reported offsets disagree, so none is trusted). Per-second series are
 * built from each source on its own raw clock and cross-correlated against the reference source
 * (spans, unless configured) over candidate lags (`xcorr.ts`):
 *   logs    vs reference: per-service log-line counts vs span counts;
 *   metrics vs reference: per-service CPU vs span counts (CPU follows load);
 *   records vs metrics:   CPU-exhaustion injections (indicator per service) vs that service's CPU;
 *   records vs reference (fallback, and as a cross-check): the run's [start, end] vs span activity.
 * Each offset comes with its evidence (score = mean Pearson r, method, runner-up lag).
 */
import { EadroError } from '../core/errors.js';
import { createProgress } from '../core/progress.js';
import { normalizeRawConfig, type RawConfig, type ResolvedRawConfig } from './config.js';
import { surveyServices } from './discover.js';
import { readSmallJson } from './json-stream.js';
import { readLogLines } from './logs.js';
import { startReadInference } from './infer.js';
import { readMetricTablesDetailed } from './metrics.js';
import { listRuns, readRunRecord, runFiles } from './runs.js';
import { SkipCollector } from './skips.js';
import { readTraces } from './spans.js';
import type { ClockOffsets, RawRun, RunRecord } from './types.js';
import { searchLag, xcorrDefaults, type LagResult, type LagStage, type SecondSeries, type SeriesPair } from './xcorr.js';

export type TelemetrySource = 'spans' | 'logs' | 'metrics';

export interface AlignmentEvidence {
  /** Source whose offset this measures. */
  source: string;
  /** Source it was aligned against. */
  reference: string;
  /** Source time + lagSeconds = reference time (on the raw clocks of both). */
  lagSeconds: number;
  /** Mean Pearson r over (run, service) pairs at that lag; NaN when not measured. */
  score: number;
  method: string;
  note: string;
}

export interface AlignmentReport {
  /** Offsets to put in RawConfig.offsets (reference source keeps its configured offset). */
  offsets: ClockOffsets;
  evidence: AlignmentEvidence[];
}

export interface AlignOptions {
  /** Reference clock. Default 'spans' (falls back to logs, then metrics, if the runs have no spans). */
  reference?: TelemetrySource;
  /** At most this many runs are read (fault runs first, spread over time). Default 4. */
  maxRuns?: number;
  /** Largest offset searched, hours. Default 24. */
  maxLagHours?: number;
  /** KPI column used as CPU. Default: 'cpu_usage_total' if configured, else the first column with "cpu". */
  cpuColumn?: string;
  /** Regex (case-insensitive) matching CPU-exhaustion fault types. Default 'cpu'. */
  cpuFaultPattern?: string;
  /** Skips met while reading (alignment reads leniently: bad items are counted, not fatal). */
  skips?: SkipCollector;
  /** Pairing warnings of listRuns. */
  warn?: (message: string) => void;
}

export const alignDefaults = {
  // ours: spans carry the finest timestamps (microseconds) and the issue names them the reference.
  reference: 'spans' as TelemetrySource,
  // ours: a few runs give thousands of aligned seconds; reading all TT runs would take minutes.
  maxRuns: 4,
  // ours: xcorrDefaults.maxLagSeconds (time zones within a day)
  maxLagHours: xcorrDefaults.maxLagSeconds / 3600,
  // data-formats.md §1 (Eadro KPI names)
  cpuColumn: 'cpu_usage_total',
  // ours: the paper's "CPU exhaustion" (PAPER_FAULT_TYPES 'cpu_exhaustion'), and users' "cpu-hog", "CPU stress"
  cpuFaultPattern: 'cpu',
  // ours: below this mean r a lag is reported as weak evidence.
  weakScore: 0.2,
  // ours: zeros around a record's [start, end] in the coverage check (see measureAlignment).
  coveragePadSeconds: 600,
};

/** Per-run raw-clock series (offsets all 0): per service, value per second. */
interface RunSeries {
  run: RawRun;
  spans: Map<string, SecondSeries>;
  logs: Map<string, SecondSeries>;
  metrics: Map<string, SecondSeries>;
  record: RunRecord | null;
}

function bump(map: Map<string, SecondSeries>, service: string, second: number, by = 1): void {
  let s = map.get(service);
  if (s === undefined) map.set(service, (s = new Map()));
  s.set(second, (s.get(second) ?? 0) + by);
}

/** Pick up to n runs: fault runs (they have records) spread evenly over time, then normal runs. */
function pickRuns(runs: RawRun[], n: number): RawRun[] {
  const spread = (list: RawRun[], k: number): RawRun[] => {
    if (list.length <= k) return list;
    const out: RawRun[] = [];
    for (let i = 0; i < k; i++) out.push(list[Math.floor((i * list.length) / k)]!);
    return out;
  };
  const fault = spread(runs.filter((r) => r.kind === 'fault'), n);
  return [...fault, ...spread(runs.filter((r) => r.kind === 'normal'), n - fault.length)];
}

function chooseCpuColumn(cfg: ResolvedRawConfig, requested?: string): string {
  if (requested !== undefined) return requested;
  if (cfg.metricColumns.includes(alignDefaults.cpuColumn)) return alignDefaults.cpuColumn;
  return cfg.metricColumns.find((c) => /cpu/i.test(c)) ?? cfg.metricColumns[0]!;
}

async function readRunSeries(run: RawRun, cfg: RawConfig, services: string[], cpuColumn: string, skips: SkipCollector): Promise<RunSeries> {
  // Raw clocks: every offset 0; lenient, since alignment only needs the bulk of the data.
  const raw: RawConfig = { ...cfg, offsets: { spans: 0, logs: 0, metrics: 0, records: 0 }, onBadInput: 'skip' };
  const files = runFiles(run);
  const series: RunSeries = { run, spans: new Map(), logs: new Map(), metrics: new Map(), record: null };
  if (files.spans !== null) {
    for await (const trace of readTraces(files.spans, raw, skips)) {
      for (const s of trace) bump(series.spans, s.service, Math.floor(s.startUs / 1e6));
    }
  }
  if (files.logs !== null) {
    for await (const line of readLogLines(files.logs, raw, skips)) bump(series.logs, line.service, Math.floor(line.time));
  }
  if (files.metricsDir !== null) {
    const { tables } = readMetricTablesDetailed(files.metricsDir, { ...raw, metricColumns: [cpuColumn] }, skips);
    for (const t of tables) {
      const col = t.columns[cpuColumn]!;
      const s: SecondSeries = new Map();
      for (let i = 0; i < t.timestamps.length; i++) s.set(t.timestamps[i]!, col[i]!);
      series.metrics.set(t.service, s);
    }
  }
  series.record = readRunRecord(run, raw, services);
  return series;
}

function sourcePairs(all: RunSeries[], ref: TelemetrySource, src: TelemetrySource): SeriesPair[] {
  const merge = (s: TelemetrySource): 'sum' | 'mean' => (s === 'metrics' ? 'mean' : 'sum');
  const pairs: SeriesPair[] = [];
  for (const rs of all) {
    for (const [service, y] of rs[src]) {
      const x = rs[ref].get(service);
      if (x !== undefined) pairs.push({ x, y, xMerge: merge(ref), yMerge: merge(src) });
    }
  }
  return pairs;
}

function stagesFor(maxLagHours: number): LagStage[] {
  const [first, ...rest] = xcorrDefaults.stages;
  return [{ ...first!, spanSeconds: maxLagHours * 3600 }, ...rest];
}

function describeLag(result: LagResult, pairs: string): string {
  const coarse = result.stages[0]!;
  const hour =
    coarse.bestWholeHourLag === null ? '' : `best whole hour ${formatLag(coarse.bestWholeHourLag)} (r ${coarse.bestWholeHourScore!.toFixed(3)}), `;
  const runnerUp =
    coarse.runnerUpLag === null ? 'no runner-up' : `runner-up more than 1 h away ${formatLag(coarse.runnerUpLag)} (r ${coarse.runnerUpScore!.toFixed(3)})`;
  const weak = result.score < alignDefaults.weakScore ? '; WEAK evidence, check by hand' : '';
  return `${result.pairs} ${pairs}; minute scan best ${formatLag(coarse.lagSeconds)} (r ${coarse.score.toFixed(3)}), ${hour}${runnerUp}${weak}`;
}

/** "+8 h", "-7 h 59 min 30 s", "0 s". */
export function formatLag(seconds: number): string {
  if (seconds === 0) return '0 s';
  const sign = seconds < 0 ? '-' : '+';
  let rest = Math.abs(Math.round(seconds));
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  const parts: string[] = [];
  if (h > 0) parts.push(`${h} h`);
  if (m > 0) parts.push(`${m} min`);
  if (s > 0) parts.push(`${s} s`);
  return `${sign}${parts.join(' ')}`;
}

/**
 * Measure per-source clock offsets of the raw data under `root`. The reference source keeps its
 * configured offset; every other offset is the reference's plus the measured lag. A source that cannot
 * be measured keeps its configured offset, and the evidence says so.
 */
export async function measureAlignment(root: string, cfgIn: Partial<RawConfig> | RawConfig, opts: AlignOptions = {}): Promise<AlignmentReport> {
  const cfg = normalizeRawConfig(cfgIn);
  const skips = opts.skips ?? new SkipCollector();
  const runs = listRuns(root, { ...(opts.warn === undefined ? {} : { warn: opts.warn }), onBadInput: 'skip', skips });
  const chosen = pickRuns(runs, opts.maxRuns ?? alignDefaults.maxRuns);
  if (chosen.length === 0) throw new EadroError('No runs to align.', { file: root, expected: 'data/<run>/ or "no fault/<run>/" folders' });
  const services = cfg.services === 'discover' ? (await surveyServices(chosen, cfg)).services : cfg.services;
  // 'auto' columns: resolved over the runs read, for the CPU column to correlate.
  const cpuColumn = chooseCpuColumn(startReadInference(chosen, cfg).cfg, opts.cpuColumn);
  const cpuFault = new RegExp(opts.cpuFaultPattern ?? alignDefaults.cpuFaultPattern, 'i');
  const stages = stagesFor(opts.maxLagHours ?? alignDefaults.maxLagHours);

  const progress = createProgress('align: reading runs', chosen.length);
  const all: RunSeries[] = [];
  for (const run of chosen) {
    all.push(await readRunSeries(run, cfg, services, cpuColumn, skips));
    progress.tick();
  }
  progress.stop();
  const runNote = `runs ${chosen.map((r) => r.id).join(', ')}`;

  const has = (s: TelemetrySource): boolean => all.some((rs) => rs[s].size > 0);
  const order: TelemetrySource[] = ['spans', 'logs', 'metrics'];
  const wanted = opts.reference ?? alignDefaults.reference;
  const reference = has(wanted) ? wanted : order.find(has);
  if (reference === undefined) {
    throw new EadroError('No telemetry to align: the runs hold no spans, logs or metrics.', { file: root, field: runNote });
  }

  const offsets: ClockOffsets = { ...cfg.offsets };
  const evidence: AlignmentEvidence[] = [];
  evidence.push({
    source: reference,
    reference,
    lagSeconds: 0,
    score: 1,
    method: 'reference clock',
    note: `offset kept from the configuration (${cfg.offsets[reference]} s)${wanted !== reference ? `; ${wanted} absent, so ${reference} is the reference` : ''}`,
  });

  for (const src of order) {
    if (src === reference) continue;
    if (!has(src)) {
      evidence.push({ source: src, reference, lagSeconds: 0, score: NaN, method: 'none', note: `no ${src} in ${runNote}; offset kept from the configuration` });
      continue;
    }
    const result = searchLag(sourcePairs(all, reference, src), stages);
    const what = src === 'metrics' ? `per-service ${cpuColumn}` : `per-service ${src === 'logs' ? 'log-line' : 'span'} counts`;
    const refWhat = reference === 'metrics' ? `per-service ${cpuColumn}` : `per-service ${reference === 'logs' ? 'log-line' : 'span'} counts`;
    if (result === null) {
      evidence.push({ source: src, reference, lagSeconds: 0, score: NaN, method: 'none', note: `no service has both ${src} and ${reference}; offset kept from the configuration` });
      continue;
    }
    offsets[src] = cfg.offsets[reference] + result.lagSeconds;
    evidence.push({
      source: src,
      reference,
      lagSeconds: result.lagSeconds,
      score: result.score,
      method: `cross-correlation of ${what} vs ${refWhat} (minutes over +-${stages[0]!.spanSeconds / 3600} h, then seconds)`,
      note: `${describeLag(result, '(run, service) pairs')}; ${runNote}`,
    });
  }

  // Records: CPU-exhaustion injections vs CPU, when both exist; otherwise run coverage vs activity.
  const cpuPairs: SeriesPair[] = [];
  const coveragePairs: SeriesPair[] = [];
  for (const rs of all) {
    if (rs.record === null) continue;
    // Per service with a CPU-exhaustion injection: 1 while injected, 0 elsewhere in the record's
    // [start, end], unknown outside it (compared only where CPU is known too).
    const indicator = new Map<string, SecondSeries>();
    for (const f of rs.record.faults) {
      if (!cpuFault.test(f.type) || indicator.has(f.service)) continue;
      const series: SecondSeries = new Map();
      for (let t = Math.floor(rs.record.start); t < Math.floor(rs.record.end); t++) series.set(t, 0);
      indicator.set(f.service, series);
    }
    for (const f of rs.record.faults) {
      const series = indicator.get(f.service);
      if (series === undefined || !cpuFault.test(f.type)) continue;
      // Clipped to the record's range: an injection outside its own run's record is not evidence.
      const from = Math.max(Math.floor(f.start), Math.floor(rs.record.start));
      const to = Math.min(Math.floor(f.start + f.duration), Math.floor(rs.record.end));
      for (let t = from; t < to; t++) series.set(t, 1);
    }
    for (const [service, y] of indicator) {
      const x = rs.metrics.get(service);
      if (x !== undefined) cpuPairs.push({ x, y, xMerge: 'mean', yMerge: 'mean', xOutside: 'unknown', yOutside: 'unknown' });
    }
    const activity: SecondSeries = new Map();
    for (const perService of rs[reference].values()) for (const [t, v] of perService) activity.set(t, (activity.get(t) ?? 0) + (reference === 'metrics' ? 1 : v));
    // The record's span as 1, padded with explicit 0s on both sides: without the padding the indicator
    // is constant over the union range at the right lag, and Pearson's r is undefined there.
    const covered: SecondSeries = new Map();
    const from = Math.floor(rs.record.start);
    const to = Math.floor(rs.record.end);
    const pad = Math.max(alignDefaults.coveragePadSeconds, Math.ceil((to - from) / 2));
    for (let t = from - pad; t < to + pad; t++) covered.set(t, t >= from && t < to ? 1 : 0);
    if (activity.size > 0 && covered.size > 0) coveragePairs.push({ x: activity, y: covered, xMerge: 'sum', yMerge: 'mean', xOutside: 'zero', yOutside: 'zero' });
  }
  const coverage = searchLag(coveragePairs, stages);
  const cpu = cpuPairs.length > 0 ? searchLag(cpuPairs, stages) : null;
  if (cpu !== null) {
    offsets.records = offsets.metrics + cpu.lagSeconds;
    evidence.push({
      source: 'records',
      reference: 'metrics',
      lagSeconds: cpu.lagSeconds,
      score: cpu.score,
      method: `cross-correlation of CPU-exhaustion injections (per service) vs ${cpuColumn}`,
      note: `${describeLag(cpu, '(run, service) injection pairs')}; offset = metrics offset + lag`,
    });
  }
  if (coverage !== null) {
    if (cpu === null) offsets.records = cfg.offsets[reference] + coverage.lagSeconds;
    const agrees = cpu === null ? '' : `; cross-check: implies records offset ${cfg.offsets[reference] + coverage.lagSeconds} s vs ${offsets.records} s from CPU faults`;
    evidence.push({
      source: 'records',
      reference,
      lagSeconds: coverage.lagSeconds,
      score: coverage.score,
      method: `cross-correlation of the record's [start, end] vs ${reference} activity${cpu === null ? '' : ' (cross-check)'}`,
      note: `${describeLag(coverage, 'runs')}${agrees}`,
    });
  }
  if (cpu === null && coverage === null) {
    evidence.push({ source: 'records', reference, lagSeconds: 0, score: NaN, method: 'none', note: 'no fault records among the runs read; offset kept from the configuration' });
  }
  return { offsets, evidence };
}

function iso(t: number): string {
  return Number.isFinite(t) ? new Date(t * 1000).toISOString().replace('.000Z', 'Z') : String(t);
}

/**
 * Refuse to build windows from a run whose fault record does not overlap its telemetry: throws an
 * EadroError naming the record file, both time ranges, and the measured offset when `measured` is given
 * (or how to measure it otherwise). `sources` are the run's source time ranges in unix seconds, after
 * the configured offsets; names 'spans' | 'logs' | 'metrics' refer to RawConfig.offsets.
 */
export function assertOverlap(
  record: RunRecord,
  sources: { name: string; start: number; end: number }[],
  file: string,
  measured?: AlignmentReport,
): void {
  for (const src of sources) {
    if (!Number.isFinite(src.start) || !Number.isFinite(src.end)) continue;
    const overlap = Math.min(record.end, src.end) - Math.max(record.start, src.start);
    if (overlap > 0) continue;
    const gap = record.start >= src.end ? record.start - src.end : src.start - record.end;
    const key = src.name as keyof ClockOffsets;
    let hint: string;
    if (measured !== undefined && key in measured.offsets) {
      const ev = measured.evidence.find((e) => e.source === src.name && e.method !== 'none');
      hint =
        `measured offset for ${src.name}: ${measured.offsets[key]} s (${formatLag(measured.offsets[key])})` +
        (ev === undefined ? '' : ` by ${ev.method}, r ${ev.score.toFixed(3)}`) +
        `; records: ${measured.offsets.records} s (${formatLag(measured.offsets.records)}). ` +
        `Set offsets to ${JSON.stringify(measured.offsets)} in the raw config.`;
    } else {
      hint = 'run `eadro align <raw-dir>` to measure the per-source clock offsets, then set offsets in the raw config';
    }
    throw new EadroError(`Fault record and ${src.name} do not overlap in time: the clocks are misaligned.`, {
      file,
      field: 'start/end',
      expected: `the record's [${iso(record.start)}, ${iso(record.end)}] to overlap ${src.name} [${iso(src.start)}, ${iso(src.end)}]`,
      found: `a gap of ${formatLag(gap).slice(1)}`,
      hint,
    });
  }
}

/**
 * Read an `alignment.json` written by `eadro align --out`, so that a later command (building windows)
 * can pass it to `assertOverlap` and name the measured offsets in its error.
 */
export function loadAlignmentReport(file: string): AlignmentReport {
  const value = readSmallJson(file, '{"offsets": {...}, "evidence": [...]} as written by eadro align');
  const v = value as Partial<AlignmentReport> | null;
  const offsets = v?.offsets as Partial<ClockOffsets> | undefined;
  for (const key of ['spans', 'logs', 'metrics', 'records'] as const) {
    if (typeof offsets?.[key] !== 'number') {
      throw new EadroError('Alignment report lacks an offset.', { file, field: `offsets.${key}`, expected: 'a number of seconds', found: String(offsets?.[key]) });
    }
  }
  const evidence = Array.isArray(v?.evidence) ? v!.evidence.map((e) => ({ ...e, score: typeof e.score === 'number' ? e.score : NaN })) : [];
  return { offsets: offsets as ClockOffsets, evidence };
}

/** A measured offset held out of the config snippet: its evidence is too weak to act on. */
export interface WeakOffset {
  source: string;
  /** The offset the measurement suggests, seconds. */
  measured: number;
  /** The offset kept in the snippet instead (the configured one), seconds. */
  kept: number;
  score: number;
  /** What would confirm (or refute) the measured offset. */
  confirm: string;
}

/**
 * The offsets to put in the raw config (issue 26): the measured ones, except where the evidence is weak
 * (mean r below alignDefaults.weakScore), which keep their configured value and are listed apart with
 * what would confirm them. A weak measurement printed as "the config to use" was a trap.
 */
export function offsetsToUse(report: AlignmentReport, configured: ClockOffsets): { offsets: ClockOffsets; weak: WeakOffset[] } {
  const offsets: ClockOffsets = { ...report.offsets };
  const weak: WeakOffset[] = [];
  const seen = new Set<string>();
  for (const e of report.evidence) {
    // A source's first evidence is the measurement that set its offset; later ones are cross-checks.
    if (seen.has(e.source)) continue;
    seen.add(e.source);
    if (e.source === e.reference || !Number.isFinite(e.score) || e.score >= alignDefaults.weakScore) continue;
    const key = e.source as keyof ClockOffsets;
    if (!(key in offsets)) continue;
    weak.push({
      source: e.source,
      measured: offsets[key],
      kept: configured[key],
      score: e.score,
      confirm: `mean r ${e.score.toFixed(3)} < ${alignDefaults.weakScore}: read more runs (--max-runs), or look at ${e.source} against ${e.reference} around a known fault (a CPU exhaustion shows in both) before setting offsets.${e.source} to ${offsets[key]}`,
    });
    offsets[key] = configured[key];
  }
  return { offsets, weak };
}
