/**
 * Raw telemetry -> labelled window dataset (issue 4): the one path from the released layout
 * (data-formats.md §1) to the tensors of data-formats.md §2.
 *
 * Stages (each timed in `BuildReport.stageSeconds`):
 * 1. read: every run once, fault-free runs first. Spans stream into per-second series and call counts
 *    (no span is kept); log lines go through Drain (templates LEARNED on fault-free runs by default,
 *    other runs only MATCHED, unseen lines -> event 0) and are kept as (time, event) per service;
 *    metric tables are read whole (they are small).
 * 2. records: fault records are read, container names mapped to nodes, and telemetry/record overlap is
 *    checked (refusing, with the reader's error, when clocks do not line up).
 * 3. windows: starts, labels, episodes; series on the run's grid; KPI and latency windows copied.
 * 4. hawkes: log features of every run in one computeLogFeaturesOfRuns call ([W_run, N, E] each).
 * 5. graph: mined from the training period's calls (fault-free runs by default), or the official one.
 *
 * Node set: `raw.services` if it is a list; with 'discover', the sorted union of services that serve
 * spans, log (logs.json keys) or have metric files, over all runs (as src/raw/discover.ts defines it).
 */
import * as path from 'node:path';
import {
  SkipCollector,
  formatSkipsByFile,
  summarizeSkips,
  assertOverlap,
  measureAlignment,
  listRuns,
  normalizeRawConfig,
  readLogLines,
  readMetricTablesDetailed,
  startReadInference,
  formatInference,
  type ReadInference,
  readRunRecord,
  readTraces,
  runFiles,
  type RawConfig,
} from '../raw/index.js';
import type { MetricTable, RawRun, RunRecord, SkipReport } from '../raw/types.js';
import { EadroError } from '../core/errors.js';
import { Drain, type DrainOptions } from '../features/drain.js';
import { countLogEvents } from '../features/log-counts.js';
import { computeLogFeaturesOfRuns, type LogFeatureOptions, type LogFeatureRun, type ServiceEvents } from '../features/log-features.js';
import { ServiceIndex, SpanSeriesAccumulator, buildRunSeries, seriesDefaults, type RunSeries } from '../features/series.js';
import { TraceCollector, TraceVocabularies, assembleTraceSet } from '../features/trace-records.js';
import {
  CallCounter,
  detectSystem,
  diffGraphs,
  graphDefaults,
  mineGraph,
  officialGraph,
  type GraphDiff,
  type GraphDirection,
  type ServiceGraph,
} from '../features/graph.js';
import { assignEpisodes, labelDefaults, labelWindows, validateLabelOptions, windowStarts, type FaultInterval, type LabelRule } from './label.js';
import { zScoreRunLatencyWindows, zScoreRunMetrics } from './normalize.js';
import type { WindowDataset } from './types.js';

export interface WindowGraphConfig {
  /** 'mined' from spans, or 'official' (the hard-coded TT/SN lists of util.py). */
  source: 'mined' | 'official';
  /** `paper` (callee -> caller) or `reference` (caller -> callee); null = per `variant`. */
  direction: GraphDirection | null;
  /** Self-loop on every node (false drops all; see src/features/graph.ts). */
  selfLoops: boolean;
  /** Minimum calls for a mined edge. */
  minCalls: number;
  /** Runs that make the training period for mining: fault-free ones, all, or the listed run ids. */
  runs: 'normal' | 'all' | string[];
  /** Official list to use (null = detect from node names). */
  system: 'TT' | 'SN' | null;
}

export interface WindowConfig {
  /** Raw reader configuration (src/raw/config.ts). */
  raw: Partial<RawConfig>;
  /** Window length, seconds. */
  T: number;
  /** Step between windows, seconds. */
  stride: number;
  /** Minimum fault overlap, seconds, for a faulty label. */
  threshold: number;
  labelRule: LabelRule;
  /** `paper` or `reference`: sets defaults that differ between them (graph direction). */
  variant: 'paper' | 'reference';
  graph: WindowGraphConfig;
  /** Where Drain templates are learned: fault-free runs only, or every run (leaky). */
  templates: 'normal-runs' | 'all-runs';
  drain: Partial<DrainOptions>;
  hawkes: Partial<LogFeatureOptions>;
  /** Make windows (all normal) from fault-free runs that have metrics or spans. */
  includeNormalRuns: boolean;
  /** 'none' (protocols fit on their training split later) or 'reference-per-run'. */
  normalization: 'none' | 'reference-per-run';
  /** Seed of every random choice (ADM4 starts). */
  seed: number;
  /** Longest run accepted, seconds: a longer range means stray timestamps (or a run to split). */
  maxRunSeconds: number;
  /**
   * A service that has a source in some runs but not in one of them (no metrics file, no log line, no
   * span served): 'mask' counts and reports it (masked for that run; its values there are zeros),
   * 'error' refuses the build, naming the run, the service and the source.
   */
  absentInputs: 'mask' | 'error';
  /**
   * Normal windows without a request in any service (no span served anywhere in their T seconds, in a
   * run that has spans): 'exclude' leaves them out of the dataset (counted per run in the report),
   * 'keep' keeps them as normal windows. Faulty windows are always kept.
   */
  requestlessNormalWindows: 'exclude' | 'keep';
}

export const windowDefaults: WindowConfig = {
  raw: {}, // src/raw/config.ts rawDefaults
  T: labelDefaults.T, // paper §V-A3 / align.py chunk_lenth 10
  stride: labelDefaults.stride, // align.py get_basic (one window per second)
  threshold: labelDefaults.threshold, // align.py --threshold 1
  labelRule: labelDefaults.rule, // ours: the reference misses windows containing a whole fault (protocol.md §4.1 item 8)
  variant: 'paper', // ours: the paper's design is the default; 'reference' reproduces the code
  graph: {
    source: 'mined', // issue 4 / Eadro issue #5 (author: edges from historical traces); util.py hard-codes them
    direction: null, // per variant: paper §IV-B1 callee -> caller; util.py caller -> callee
    selfLoops: graphDefaults.selfLoops, // reference-code-notes.md §0.2
    minCalls: graphDefaults.minCalls, // paper §IV-B1 "at least once"
    runs: 'normal', // protocol.md §4.2: fit preprocessing on training data; fault-free runs are always training
    system: null, // detect TT / SN from node names
  },
  templates: 'normal-runs', // protocol.md §4.2 and Eadro issue #14 (fork: no-fault data used for templates)
  drain: {}, // per variant (resolvedDrainOptions): paper -> Drain's own st 0.4; reference -> the Eadro fork's drain3.ini (st 0.9)
  hawkes: { mode: 'corrected' }, // reference-code-notes.md §0.3 (reference mode gives mu ~ 1e-9)
  includeNormalRuns: true, // reference-code-notes.md §2 issue #14: keep the fault-free runs as training normals
  normalization: 'none', // protocol.md §4.2: normalisation is fitted on the protocol's training windows
  seed: 0, // ours: the CLI's --seed default
  maxRunSeconds: 7 * 86400, // ours: 24x the paper's longest run (TT normal, 7 h, §V-A); guards against stray timestamps
  absentInputs: 'mask', // issue 23: absent inputs are reported, never zero-filled in silence; 'error' for strict builds
  // issue 26: on a real deployment's fault-free runs, 338 of 526 windows had no request anywhere (metric rows
  // recorded around the traffic) and were labelled normal; a detector cannot judge them, they only teach it
  // that silence is normal. Neither the paper nor the reference code says; 'keep' restores the old windows.
  requestlessNormalWindows: 'exclude',
};

/** Fill defaults (one level deep for `graph`, `drain`, `hawkes`, `raw`) and validate. */
export function normalizeWindowConfig(partial: Partial<WindowConfig> = {}): WindowConfig {
  const known = new Set(Object.keys(windowDefaults));
  for (const key of Object.keys(partial)) {
    if (!known.has(key)) {
      throw new EadroError('Unknown window configuration key.', { field: key, expected: [...known].join(', ') });
    }
  }
  const cfg: WindowConfig = {
    ...windowDefaults,
    ...partial,
    graph: { ...windowDefaults.graph, ...(partial.graph ?? {}) },
    drain: { ...windowDefaults.drain, ...(partial.drain ?? {}) },
    hawkes: { ...windowDefaults.hawkes, ...(partial.hawkes ?? {}) },
    raw: { ...(partial.raw ?? {}) },
  };
  validateLabelOptions({ T: cfg.T, stride: cfg.stride, threshold: cfg.threshold, rule: cfg.labelRule });
  const bad = (field: string, expected: string, found: unknown): never => {
    throw new EadroError('Invalid window configuration.', { field, expected, found: JSON.stringify(found) });
  };
  if (cfg.variant !== 'paper' && cfg.variant !== 'reference') bad('variant', "'paper' or 'reference'", cfg.variant);
  if (cfg.graph.source !== 'mined' && cfg.graph.source !== 'official') bad('graph.source', "'mined' or 'official'", cfg.graph.source);
  if (cfg.graph.direction !== null && cfg.graph.direction !== 'paper' && cfg.graph.direction !== 'reference') {
    bad('graph.direction', "'paper', 'reference' or null", cfg.graph.direction);
  }
  if (cfg.graph.runs !== 'normal' && cfg.graph.runs !== 'all' && !Array.isArray(cfg.graph.runs)) {
    bad('graph.runs', "'normal', 'all' or a list of run ids", cfg.graph.runs);
  }
  if (cfg.graph.system !== null && cfg.graph.system !== 'TT' && cfg.graph.system !== 'SN') bad('graph.system', "'TT', 'SN' or null", cfg.graph.system);
  if (cfg.templates !== 'normal-runs' && cfg.templates !== 'all-runs') bad('templates', "'normal-runs' or 'all-runs'", cfg.templates);
  if (cfg.normalization !== 'none' && cfg.normalization !== 'reference-per-run') bad('normalization', "'none' or 'reference-per-run'", cfg.normalization);
  if (!Number.isInteger(cfg.seed) || cfg.seed < 0) bad('seed', 'a non-negative integer', cfg.seed);
  if (!(cfg.maxRunSeconds > 0)) bad('maxRunSeconds', 'a positive number of seconds', cfg.maxRunSeconds);
  if (cfg.absentInputs !== 'mask' && cfg.absentInputs !== 'error') bad('absentInputs', "'mask' or 'error'", cfg.absentInputs);
  if (cfg.requestlessNormalWindows !== 'exclude' && cfg.requestlessNormalWindows !== 'keep') bad('requestlessNormalWindows', "'exclude' or 'keep'", cfg.requestlessNormalWindows);
  return cfg;
}

/** The graph direction a config resolves to. */
/**
 * Drain options of a build. The paper only says "Drain" (§IV-A1), so the `paper` variant uses Drain's
 * own similarity threshold 0.4 (logparser and Drain3 defaults, baselines.md §3.5); the `reference`
 * variant uses the Eadro fork's drain3.ini (0.9, src/features/drain.ts drainDefaults). At 0.9 every
 * unmasked user name or host makes its own template (TT quick testbed: E = 398 vs 115 at 0.4), which
 * multiplies the [W, N, E] log tensor. An explicit `drain.similarityThreshold` always wins.
 */
export function resolvedDrainOptions(cfg: WindowConfig): Partial<DrainOptions> {
  if (cfg.drain.similarityThreshold !== undefined || cfg.variant === 'reference') return cfg.drain;
  return { ...cfg.drain, similarityThreshold: 0.4 };
}

export function resolvedDirection(cfg: WindowConfig): GraphDirection {
  return cfg.graph.direction ?? (cfg.variant === 'paper' ? 'paper' : 'reference');
}

export interface RunSummary {
  id: string;
  kind: 'fault' | 'normal';
  /** 'windows' or 'templates-only' (a fault-free run without metrics and spans). */
  usedFor: 'windows' | 'templates-only';
  windows: number;
  abnormalWindows: number;
  episodes: number;
  injections: number;
  spans: number;
  logLines: number;
  metricServices: number;
  /** Seconds of the run's grid, and its start (unix s). */
  seconds: number;
  start: number;
  /**
   * Windows without a request in any service (no span served anywhere in its T seconds), and how many
   * of them are labelled normal (issue 26), among the windows KEPT: a quiet system makes windows that
   * hold nothing a detector could judge. Null for a run without spans.
   */
  windowsWithoutRequests: number | null;
  normalWindowsWithoutRequests: number | null;
  /**
   * Normal windows without a request that `requestlessNormalWindows: 'exclude'` left out of the dataset
   * (0 with 'keep'; null for a run without spans). Absent in reports of builds before builder v7.
   */
  requestlessNormalExcluded?: number | null;
  /** Where the run's time range came from: its fault record, its traffic (spans and logs), or every source. */
  rangeFrom?: 'record' | 'traffic' | 'all-sources';
}

export interface BuildReport {
  configHash?: string;
  runs: RunSummary[];
  windows: number;
  abnormalWindows: number;
  abnormalShare: number;
  episodes: number;
  /** Abnormal windows per fault type. */
  perFaultType: Record<string, number>;
  /** Per culprit service: abnormal windows and injections. */
  perService: Record<string, { windows: number; injections: number }>;
  /** Reader skips (SkipCollector) plus the builder's own (unknown services, spans outside ranges). */
  skipped: SkipReport[];
  skippedTotal: number;
  /** Nodes with no data of a modality in any windowed run (they get zeros; see modalityMask). */
  lacking: { metrics: string[]; traces: string[]; logs: string[] };
  /** [N] 1 = the node has that modality somewhere, 0 = all zeros. */
  modalityMask: { metrics: number[]; traces: number[]; logs: number[] };
  /**
   * Per windowed run: [N] 1 = the node has that source in this run. A node that has a source in other
   * runs but not in this one is an absent input (listed in `absentInputs`); its values there are zeros.
   * Absent in reports of builds before builder v5.
   */
  runModalityMask?: Record<string, { metrics: number[]; traces: number[]; logs: number[] }>;
  /** Sources a service has in some runs but not in these (masked for the run), with the run's windows. */
  absentInputs?: AbsentInput[];
  /** KPI values filled (missing second or non-finite) on the window grid. */
  filledMetricValues: number;
  /**
   * What the reader inferred (issue 25): metric columns chosen and dropped, each metric file's sampling
   * interval and filled cells, log lines per format, and the raw-config values that pin it all.
   * Absent in reports of builds before it existed.
   */
  inferred?: ReadInference;
  /**
   * Whole traces kept for the trace detectors: those starting in a window of their run (traces of
   * runs without windows, or outside every window, are counted in `outsideWindows`), their spans, and
   * the vocabularies of span labels and call paths. Absent in reports of builds before builder v4.
   */
  traces?: { kept: number; spans: number; outsideWindows: number; labels: number; callPaths: number };
  templates: { source: 'normal-runs' | 'all-runs'; eventNum: number; linesLearned: number; linesMatched: number; unseenLines: number };
  graph: {
    source: 'mined' | 'official';
    direction: 'callee->caller' | 'caller->callee';
    selfLoops: boolean;
    /** Runs whose calls were mined, and why when the configured set had no spans. */
    minedFrom: string[];
    note: string | null;
    calls: number;
    orphanSpans: number;
    edges: number;
    /** Mined vs official (null when the node set matches no official system). */
    diff: GraphDiff | null;
  };
  /** Reader warnings (e.g. runs paired with records by sorted order). */
  warnings: string[];
  stageSeconds: Record<string, number>;
}

export type BuildProgress = (stage: string, done: number, total: number) => void;

/** A source that a service lacks in one run while it has it in others (see WindowConfig.absentInputs). */
export interface AbsentInput {
  run: string;
  service: string;
  source: 'metrics' | 'traces' | 'logs';
  /** What is missing, in the raw layout's terms. */
  what: string;
  /** Windows of the run (each has zeros for this service and source). */
  windows: number;
  /** Where it was looked for. */
  file: string;
}

/**
 * Per-window span counts for the baselines (not part of the shared WindowDataset contract):
 * [W, N, T] spans served per second and those with the error flag, raw counts (never normalised).
 */
export interface WindowCounts {
  requests: Float32Array;
  errors: Float32Array;
}

/** Growable (time, event) columns of one service's log lines. */
class EventBuffer {
  times = new Float64Array(1024);
  types = new Int32Array(1024);
  length = 0;
  sorted = true;

  push(time: number, type: number): void {
    if (this.length === this.times.length) {
      const t = new Float64Array(this.length * 2);
      t.set(this.times);
      this.times = t;
      const y = new Int32Array(this.length * 2);
      y.set(this.types);
      this.types = y;
    }
    if (this.length > 0 && time < this.times[this.length - 1]!) this.sorted = false;
    this.times[this.length] = time;
    this.types[this.length] = type;
    this.length++;
  }

  /** Ascending by time (stable), as computeLogFeatures requires. */
  toServiceEvents(): ServiceEvents {
    const n = this.length;
    if (this.sorted) return { times: this.times.slice(0, n), types: this.types.slice(0, n) };
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => this.times[a]! - this.times[b]! || a - b);
    return { times: Float64Array.from(order, (i) => this.times[i]!), types: Int32Array.from(order, (i) => this.types[i]!) };
  }
}

interface RunState {
  run: RawRun;
  spans: SpanSeriesAccumulator;
  calls: CallCounter;
  /** Whole traces in compact form, for the trace detectors (src/features/trace-records.ts). */
  traces: TraceCollector;
  /** By ServiceIndex index. */
  logs: (EventBuffer | undefined)[];
  logLines: number;
  logMin: number;
  logMax: number;
  tables: MetricTable[];
  metricMin: number;
  metricMax: number;
  record: RunRecord | null;
}

const now = (): number => performance.now() / 1000;

/**
 * Build the window dataset of a raw root. Throws EadroError on bad input (with `raw.onBadInput: 'skip'`
 * the reader counts and skips instead; the counts are in the report).
 */
export async function buildWindowDataset(
  rawRoot: string,
  config: Partial<WindowConfig> = {},
  onProgress?: BuildProgress,
): Promise<{ dataset: WindowDataset; report: BuildReport; counts: WindowCounts }> {
  const cfg = normalizeWindowConfig(config);
  const rawIn = normalizeRawConfig(cfg.raw);
  const skips = new SkipCollector();
  const stageSeconds: Record<string, number> = {};
  let stageStart = now();
  const endStage = (name: string): void => {
    const t = now();
    stageSeconds[name] = (stageSeconds[name] ?? 0) + (t - stageStart);
    stageStart = t;
  };

  // ---- 1. read ------------------------------------------------------------------------------------
  const warnings: string[] = [];
  const allRuns = listRuns(rawRoot, { onBadInput: rawIn.onBadInput, skips, warn: (m) => warnings.push(m) });
  // Fault-free runs first: their lines teach Drain before any other run is matched (stable order).
  const runs = [...allRuns.filter((r) => r.kind === 'normal'), ...allRuns.filter((r) => r.kind === 'fault')];
  if (runs.length === 0) throw new EadroError('No runs found.', { file: path.resolve(rawRoot), expected: 'data/<run>/ or "no fault/<run>/" folders' });
  // issue 25: 'auto' metric columns resolved over all runs' files here, before anything depends on K.
  const { cfg: rawCfg, inference } = startReadInference(runs, rawIn);
  const services = new ServiceIndex();
  const configured = rawCfg.services === 'discover' ? null : rawCfg.services;
  if (configured !== null) for (const s of configured) services.intern(s);
  const drain = new Drain(resolvedDrainOptions(cfg));
  const files = new Map(runs.map((r) => [r, runFiles(r)]));
  const hasNormalLogs = runs.some((r) => r.kind === 'normal' && files.get(r)!.logs !== null);
  const anyLogs = runs.some((r) => files.get(r)!.logs !== null);
  if (cfg.templates === 'normal-runs' && anyLogs && !hasNormalLogs) {
    throw new EadroError('Drain templates are to be learned from fault-free runs, but no fault-free run has logs.', {
      file: path.join(path.resolve(rawRoot), 'no fault'),
      field: 'templates',
      expected: '"no fault/<run>/logs.json"',
      hint: "add fault-free runs, or set templates: 'all-runs' (templates then also see fault periods)",
    });
  }
  let linesLearned = 0;
  let linesMatched = 0;
  let unseenLines = 0;
  const traceVocab = new TraceVocabularies();
  const states: RunState[] = [];
  for (let r = 0; r < runs.length; r++) {
    const run = runs[r]!;
    onProgress?.('read', r, runs.length);
    const st: RunState = {
      run,
      spans: new SpanSeriesAccumulator(),
      calls: new CallCounter(),
      traces: new TraceCollector(traceVocab),
      logs: [],
      logLines: 0,
      logMin: NaN,
      logMax: NaN,
      tables: [],
      metricMin: NaN,
      metricMax: NaN,
      record: null,
    };
    const { spans: spanFile, logs: logFile, metricsDir } = files.get(run)!;
    if (spanFile !== null) {
      for await (const trace of readTraces(spanFile, rawCfg, skips)) {
        st.calls.addTrace(trace);
        st.traces.addTrace(trace);
        for (const s of trace) {
          st.spans.addSpan(services.intern(s.service), s.startUs / 1e6, s.durationUs / seriesDefaults.microsecondsPerLatencyUnit, s.error);
        }
      }
    }
    if (logFile !== null) {
      const learn = cfg.templates === 'all-runs' || run.kind === 'normal';
      for await (const line of readLogLines(logFile, rawCfg, skips, inference.logFormatCounts)) {
        const si = services.intern(line.service);
        let id: number;
        if (learn) {
          id = drain.add(line.content);
          linesLearned++;
        } else {
          id = drain.match(line.content);
          linesMatched++;
          if (id === 0) unseenLines++;
        }
        let buf = st.logs[si];
        if (buf === undefined) {
          buf = new EventBuffer();
          st.logs[si] = buf;
        }
        buf.push(line.time, id);
        st.logLines++;
        if (!(line.time >= st.logMin)) st.logMin = line.time;
        if (!(line.time <= st.logMax)) st.logMax = line.time;
      }
    }
    if (metricsDir !== null) {
      const read = readMetricTablesDetailed(metricsDir, rawCfg, skips);
      st.tables = read.tables;
      inference.addMetricSummaries(run.id, read.summaries);
      for (const t of st.tables) {
        services.intern(t.service);
        if (t.timestamps.length === 0) continue;
        const lo = t.timestamps[0]!;
        const hi = t.timestamps[t.timestamps.length - 1]!;
        if (!(lo >= st.metricMin)) st.metricMin = lo;
        if (!(hi <= st.metricMax)) st.metricMax = hi;
      }
    }
    states.push(st);
  }
  onProgress?.('read', runs.length, runs.length);
  endStage('read');

  // ---- node set -----------------------------------------------------------------------------------
  const nodes = configured !== null ? [...configured] : [...services.names].sort();
  const N = nodes.length;
  if (N === 0) throw new EadroError('No services found in the raw data.', { file: path.resolve(rawRoot), expected: 'spans, logs or metric files' });
  const nodeIndex = new Map(nodes.map((n, i) => [n, i]));
  if (configured !== null) {
    for (const name of services.names) {
      if (!nodeIndex.has(name)) skips.add(path.resolve(rawRoot), 'service not in the configured node list (its data is ignored)', name);
    }
  }

  // ---- 2. records and overlap ---------------------------------------------------------------------
  const K = rawCfg.metricColumns.length;
  const T = cfg.T;
  interface RunPlan {
    st: RunState;
    t0: number;
    S: number;
    starts: Float64Array;
    faults: FaultInterval[];
    usedFor: 'windows' | 'templates-only';
    rangeFrom?: RunSummary['rangeFrom'];
    /** Normal windows without a request left out (requestlessNormalWindows: 'exclude'); null = run without spans. */
    excluded?: number | null;
  }
  const plans: RunPlan[] = [];
  const nodeToService = Int32Array.from(nodes, (name) => services.get(name));
  /**
   * Drop the normal windows that hold no request in any service (issue 26), before anything is allocated.
   * A window covers the seconds slot .. slot + T - 1 of the run's grid, as copyWindows reads them.
   */
  const dropRequestless = (plan: RunPlan): void => {
    if (plan.st.spans.spanCount === 0) return;
    plan.excluded = 0;
    if (cfg.requestlessNormalWindows === 'keep' || plan.starts.length === 0) return;
    const { t0, S, starts } = plan;
    const busy = plan.st.spans.secondsWithSpans(t0, S, nodeToService);
    const busyUpTo = new Int32Array(S + 1); // prefix count of seconds with a request somewhere
    for (let k = 0; k < S; k++) busyUpTo[k + 1] = busyUpTo[k]! + busy[k]!;
    const { labels } = labelWindows(starts, plan.faults, { T, threshold: cfg.threshold, rule: cfg.labelRule });
    const keep: number[] = [];
    for (let w = 0; w < starts.length; w++) {
      const slot = (starts[w]! - t0) | 0;
      const busy = busyUpTo[Math.min(S, slot + T)]! - busyUpTo[Math.max(0, slot)]!;
      if (busy > 0 || labels[w]! >= 0) keep.push(starts[w]!);
    }
    plan.excluded = starts.length - keep.length;
    plan.starts = Float64Array.from(keep);
  };
  const checkLength = (run: RawRun, lo: number, hi: number, what: string): void => {
    if (hi - lo <= cfg.maxRunSeconds) return;
    throw new EadroError(`Run spans ${((hi - lo) / 86400).toFixed(1)} days (${what}): more than maxRunSeconds.`, {
      file: run.recordFile ?? run.dir,
      field: what,
      expected: `at most ${cfg.maxRunSeconds} s`,
      found: `[${new Date(lo * 1000).toISOString()}, ${new Date(hi * 1000).toISOString()}]`,
      hint: 'look for stray timestamps in the run (or misconfigured clock offsets); raise maxRunSeconds if the run really is that long',
    });
  };
  for (const st of states) {
    const { run } = st;
    const ranges: { name: string; start: number; end: number }[] = [];
    if (st.spans.spanCount > 0) ranges.push({ name: 'spans', start: st.spans.minSecond, end: st.spans.maxSecond + 1 });
    if (st.logLines > 0) ranges.push({ name: 'logs', start: Math.floor(st.logMin), end: Math.floor(st.logMax) + 1 });
    if (Number.isFinite(st.metricMin)) ranges.push({ name: 'metrics', start: st.metricMin, end: st.metricMax + 1 });
    if (run.kind === 'fault') {
      const record = readRunRecord(run, rawCfg, nodes);
      if (record === null) {
        skips.add(run.recordFile ?? run.dir, 'fault run without a usable record (run left out)');
        plans.push({ st, t0: 0, S: 0, starts: new Float64Array(0), faults: [], usedFor: 'templates-only' });
        continue;
      }
      st.record = record;
      try {
        assertOverlap(record, ranges, run.recordFile ?? run.dir);
      } catch (err) {
        // Only on failure: measure the offsets from the data so the error can name them (issue 4).
        if (!(err instanceof EadroError)) throw err;
        const measured = await measureAlignment(rawRoot, rawCfg).catch(() => undefined);
        if (measured !== undefined) assertOverlap(record, ranges, run.recordFile ?? run.dir, measured);
        throw err;
      }
      const faults: FaultInterval[] = record.faults.map((f) => {
        const node = nodeIndex.get(f.service);
        if (node === undefined) {
          throw new EadroError('A fault names a service that is not a node.', {
            file: run.recordFile ?? run.dir,
            field: 'faults[].name',
            expected: `one of the ${N} nodes`,
            found: `${f.container} -> ${f.service}`,
          });
        }
        return { start: f.start, end: f.start + f.duration, node, type: f.type };
      });
      checkLength(run, record.start, record.end, 'record start/end');
      const t0 = Math.floor(record.start);
      const S = Math.ceil(record.end) - t0;
      const plan: RunPlan = { st, t0, S, starts: windowStarts(record.start, record.end, T, cfg.stride), faults, usedFor: 'windows', rangeFrom: 'record' };
      dropRequestless(plan);
      plans.push(plan);
    } else {
      const dataRanges = ranges.filter((x) => x.name !== 'logs');
      if (!cfg.includeNormalRuns || dataRanges.length === 0) {
        plans.push({ st, t0: 0, S: 0, starts: new Float64Array(0), faults: [], usedFor: 'templates-only' });
        continue;
      }
      // A fault-free run has no record to give its range: it spans its traffic and records (spans and
      // logs, issue 26), not metric rows recorded minutes around them; a run without spans spans all its
      // sources.
      const traffic = ranges.filter((x) => x.name !== 'metrics');
      const rangeFrom = st.spans.spanCount > 0 ? 'traffic' : 'all-sources';
      const used = rangeFrom === 'traffic' ? traffic : ranges;
      const lo = Math.min(...used.map((x) => x.start));
      const hi = Math.max(...used.map((x) => x.end));
      checkLength(run, lo, hi, used.map((x) => `${x.name} [${x.start}, ${x.end})`).join(', '));
      const t0 = Math.floor(lo);
      const S = Math.ceil(hi) - t0;
      const plan: RunPlan = { st, t0, S, starts: windowStarts(lo, hi, T, cfg.stride), faults: [], usedFor: 'windows', rangeFrom };
      dropRequestless(plan);
      plans.push(plan);
    }
  }
  endStage('records');

  // ---- 3. windows: series, labels, episodes, KPI and latency tensors ------------------------------
  const W = plans.reduce((a, p) => a + p.starts.length, 0);
  const metrics = new Float32Array(W * N * T * K);
  const traces = new Float32Array(W * N * T);
  const requests = new Float32Array(W * N * T);
  const errors = new Float32Array(W * N * T);
  const labels = new Int32Array(W);
  const startCol = new Float64Array(W);
  const episodeCol = new Int32Array(W);
  const runIdCol: string[] = new Array<string>(W);
  const faultTypeCol: string[] = new Array<string>(W);
  const episodeServiceCol: string[] = new Array<string>(W);
  const hasMetrics = new Uint8Array(N);
  const hasTraces = new Uint8Array(N);
  const hasLogs = new Uint8Array(N);
  /** Per windowed run, in plan order: which nodes have each source in that run. */
  const runPresence: { plan: RunPlan; metrics: Uint8Array; traces: Uint8Array; logs: Uint8Array }[] = [];
  let filledMetricValues = 0;
  let episodeBase = 0;
  let w0 = 0;
  const runSummaries: RunSummary[] = [];
  const perFaultType: Record<string, number> = {};
  const perService: Record<string, { windows: number; injections: number }> = {};
  const runOffsets: number[] = [];
  for (let p = 0; p < plans.length; p++) {
    const plan = plans[p]!;
    onProgress?.('windows', p, plans.length);
    runOffsets.push(w0);
    const { st, starts, faults, t0, S } = plan;
    const Wr = starts.length;
    let abnormal = 0;
    let episodes = 0;
    let withoutRequests: number | null = null;
    let normalWithoutRequests: number | null = null;
    if (plan.usedFor === 'windows' && Wr > 0) {
      const series: RunSeries = buildRunSeries(nodes, services, st.spans, st.tables, rawCfg.metricColumns, t0, S);
      filledMetricValues += series.filledMetricValues;
      if (series.spansOutsideRange > 0) {
        skips.addMany(files.get(st.run)!.spans ?? st.run.dir, 'spans outside the run time range (not used)', series.spansOutsideRange);
      }
      if (cfg.normalization === 'reference-per-run') zScoreRunMetrics(series);
      const presence = { plan, metrics: new Uint8Array(N), traces: new Uint8Array(N), logs: new Uint8Array(N) };
      for (let n = 0; n < N; n++) {
        if (series.hasMetrics[n] === 1) hasMetrics[n] = presence.metrics[n] = 1;
        if (series.hasSpans[n] === 1) hasTraces[n] = presence.traces[n] = 1;
        const si = services.get(nodes[n]!);
        if (si >= 0 && st.logs[si] !== undefined) hasLogs[n] = presence.logs[n] = 1;
      }
      runPresence.push(presence);
      const { labels: runLabels, faultIndex } = labelWindows(starts, faults, { T, threshold: cfg.threshold, rule: cfg.labelRule });
      const ep = assignEpisodes(starts, T, faults);
      episodes = ep.episodes;
      copyWindows(series, starts, w0, T, metrics, traces, requests, errors);
      for (let w = 0; w < Wr; w++) {
        const gw = w0 + w;
        labels[gw] = runLabels[w]!;
        startCol[gw] = starts[w]!;
        runIdCol[gw] = st.run.id;
        const fi = faultIndex[w]!;
        const type = fi >= 0 ? faults[fi]!.type : '';
        faultTypeCol[gw] = type;
        const e = ep.episode[w]!;
        episodeCol[gw] = episodeBase + e;
        episodeServiceCol[gw] = faults.length > 0 ? nodes[faults[ep.order[e]!]!.node]! : '';
        if (fi >= 0) {
          abnormal++;
          perFaultType[type] = (perFaultType[type] ?? 0) + 1;
          const svc = nodes[runLabels[w]!]!;
          (perService[svc] ??= { windows: 0, injections: 0 }).windows++;
        }
      }
      if (st.spans.spanCount > 0) {
        withoutRequests = 0;
        normalWithoutRequests = 0;
        for (let w = 0; w < Wr; w++) {
          const from = (w0 + w) * N * T;
          let any = false;
          for (let j = from; j < from + N * T && !any; j++) any = requests[j]! > 0;
          if (!any) {
            withoutRequests++;
            if (labels[w0 + w]! < 0) normalWithoutRequests++;
          }
        }
      }
      if (cfg.normalization === 'reference-per-run') zScoreRunLatencyWindows(traces, w0, w0 + Wr, N, T);
      for (const f of faults) (perService[nodes[f.node]!] ??= { windows: 0, injections: 0 }).injections++;
      episodeBase += episodes;
    }
    runSummaries.push({
      id: st.run.id,
      kind: st.run.kind,
      usedFor: plan.usedFor,
      windows: Wr,
      abnormalWindows: abnormal,
      episodes,
      injections: faults.length,
      spans: st.spans.spanCount,
      logLines: st.logLines,
      metricServices: st.tables.length,
      seconds: S,
      start: t0,
      windowsWithoutRequests: withoutRequests,
      normalWindowsWithoutRequests: normalWithoutRequests,
      requestlessNormalExcluded: plan.usedFor === 'windows' ? plan.excluded ?? null : null,
      ...(plan.rangeFrom !== undefined ? { rangeFrom: plan.rangeFrom } : {}),
    });
    w0 += Wr;
  }
  onProgress?.('windows', plans.length, plans.length);
  // Absent inputs: a source a node has in some windowed run but not in this one.
  const absentInputs: AbsentInput[] = [];
  const runModalityMask: NonNullable<BuildReport['runModalityMask']> = {};
  for (const pr of runPresence) {
    const { st } = pr.plan;
    runModalityMask[st.run.id] = { metrics: Array.from(pr.metrics), traces: Array.from(pr.traces), logs: Array.from(pr.logs) };
    const f = files.get(st.run)!;
    for (let n = 0; n < N; n++) {
      const service = nodes[n]!;
      const windows = pr.plan.starts.length;
      if (hasMetrics[n] === 1 && pr.metrics[n] === 0) {
        const dir = f.metricsDir ?? path.join(st.run.dir, 'metrics');
        absentInputs.push({ run: st.run.id, service, source: 'metrics', what: `no metrics file ${service}.csv`, windows, file: dir });
      }
      if (hasTraces[n] === 1 && pr.traces[n] === 0) {
        absentInputs.push({ run: st.run.id, service, source: 'traces', what: 'no span served by the service', windows, file: f.spans ?? path.join(st.run.dir, 'spans.json') });
      }
      if (hasLogs[n] === 1 && pr.logs[n] === 0) {
        absentInputs.push({ run: st.run.id, service, source: 'logs', what: 'no log line of the service', windows, file: f.logs ?? path.join(st.run.dir, 'logs.json') });
      }
    }
  }
  if (cfg.absentInputs === 'error' && absentInputs.length > 0) {
    const a = absentInputs[0]!;
    throw new EadroError(`A run lacks a source that a service has in other runs (${absentInputs.length} such gap(s)).`, {
      file: a.file,
      field: `${a.source} of ${a.service} in run ${a.run}`,
      expected: `the ${a.source} of every service in every run (absentInputs: 'error')`,
      found: a.what,
      hint: "add the missing data, or set absentInputs: 'mask' to mask the service's source in that run and report it",
    });
  }
  endStage('windows');

  // ---- 4. Hawkes log features ---------------------------------------------------------------------
  const E = drain.size;
  const logs = new Float32Array(W * N * E);
  // All runs in one call: one worker pool for the whole build and one queue of chunks (log-features.ts).
  const hawkesPlans = plans.map((plan, p) => ({ plan, p })).filter(({ plan }) => plan.usedFor === 'windows' && plan.starts.length > 0);
  const hawkesRuns: LogFeatureRun[] = hawkesPlans.map(({ plan, p }) => ({
    windowStarts: plan.starts,
    out: logs.subarray(runOffsets[p]! * N * E, (runOffsets[p]! + plan.starts.length) * N * E),
    perService: nodes.map((name) => {
      const si = services.get(name);
      const buf = si >= 0 ? plan.st.logs[si] : undefined;
      return buf === undefined ? { times: new Float64Array(0), types: new Int32Array(0) } : buf.toServiceEvents();
    }),
  }));
  const hawkesOptions: Partial<LogFeatureOptions> = { seed: cfg.seed, ...cfg.hawkes };
  await computeLogFeaturesOfRuns(hawkesRuns, T, E, hawkesOptions, (done, total) => onProgress?.('hawkes', done, total));
  // The same events as per-second template counts (the derived multi-source baselines' log channels).
  // The runs with windows are contiguous in plan order, so their windows concatenate to [0, W).
  const logCounts = countLogEvents(hawkesRuns, T, E);
  if (logCounts.offsets.length !== W + 1) throw new Error(`buildWindowDataset: log counts cover ${logCounts.offsets.length - 1} windows, expected ${W}`);
  endStage('hawkes');

  // ---- 4b. whole traces of the windowed runs (the trace detectors' input), in the same run order ----
  const { traceSet, outsideWindows: tracesOutsideWindows } = assembleTraceSet(
    hawkesPlans.map(({ plan }) => ({ traces: plan.st.traces.traces, windowStarts: plan.starts })),
    T,
    traceVocab,
  );
  if (traceSet.windowOffsets.length !== W + 1) throw new Error(`buildWindowDataset: traces cover ${traceSet.windowOffsets.length - 1} windows, expected ${W}`);
  const windowedStates = new Set(hawkesPlans.map(({ plan }) => plan.st));
  const tracesOfUnwindowedRuns = states.filter((st) => !windowedStates.has(st)).reduce((a, st) => a + st.traces.traces.length, 0);
  for (const st of states) st.traces.traces.length = 0; // the compact copies are in traceSet now
  endStage('traces');

  // ---- 5. graph -----------------------------------------------------------------------------------
  const direction = resolvedDirection(cfg);
  const graphOptions = { direction, selfLoops: cfg.graph.selfLoops, minCalls: cfg.graph.minCalls };
  const pick = (kind: 'normal' | 'all' | string[]): RunState[] =>
    kind === 'all' ? states : kind === 'normal' ? states.filter((s) => s.run.kind === 'normal') : states.filter((s) => kind.includes(s.run.id));
  if (Array.isArray(cfg.graph.runs)) {
    const ids = new Set(states.map((s) => s.run.id));
    for (const id of cfg.graph.runs) {
      if (!ids.has(id)) throw new EadroError('graph.runs names a run that does not exist.', { field: 'graph.runs', found: id, expected: [...ids].join(', ') });
    }
  }
  let mineFrom = pick(cfg.graph.runs).filter((s) => s.calls.calls > 0);
  let note: string | null = null;
  if (mineFrom.length === 0 && cfg.graph.runs === 'normal') {
    mineFrom = states.filter((s) => s.calls.calls > 0);
    note = 'no fault-free run has spans: the graph is mined from the calls of all runs';
  }
  const counter = new CallCounter();
  for (const s of mineFrom) counter.merge(s.calls);
  const mined = mineGraph(nodes, counter, graphOptions);
  for (const [a, b] of mined.unknownPairs) skips.add(path.resolve(rawRoot), 'call between services outside the node list (no edge)', `${a} -> ${b}`);
  const system = cfg.graph.system ?? detectSystem(nodes);
  let official: ServiceGraph | null = null;
  if (system !== null) official = officialGraph(nodes, system, graphOptions).graph;
  if (cfg.graph.source === 'official' && official === null) {
    throw new EadroError('The official graph was asked for, but the nodes match neither TT nor SN.', {
      field: 'graph.source',
      expected: "services of TrainTicket or SocialNetwork, or graph.system 'TT' | 'SN'",
      found: nodes.slice(0, 5).join(', '),
    });
  }
  if (cfg.graph.source === 'mined' && mineFrom.length === 0) {
    throw new EadroError('No spans to mine the dependency graph from.', {
      file: path.resolve(rawRoot),
      field: 'graph.source',
      expected: 'spans.json in the training runs',
      hint: "set graph.source: 'official' for TT/SN data",
    });
  }
  const graph = cfg.graph.source === 'official' ? official! : mined.graph;
  const diff = official !== null && mineFrom.length > 0 ? diffGraphs(mined.graph, official) : null;
  endStage('graph');

  const abnormalWindows = labels.reduce((a, l) => a + (l >= 0 ? 1 : 0), 0);
  const dataset: WindowDataset = {
    nodes,
    edges: graph.edges,
    edgeDirection: graph.direction,
    T,
    metricNames: [...rawCfg.metricColumns],
    eventNum: E,
    W,
    logs,
    metrics,
    traces,
    labels,
    meta: { start: startCol, runId: runIdCol, episodeId: episodeCol, faultType: faultTypeCol, episodeService: episodeServiceCol },
    normalization: cfg.normalization,
    logCounts,
    traceSet,
  };
  const lackingOf = (mask: Uint8Array): string[] => nodes.filter((_, i) => mask[i] === 0);
  const report: BuildReport = {
    runs: runSummaries,
    windows: W,
    abnormalWindows,
    abnormalShare: W > 0 ? abnormalWindows / W : 0,
    episodes: episodeBase,
    perFaultType,
    perService,
    skipped: skips.reports(),
    skippedTotal: skips.total(),
    lacking: { metrics: lackingOf(hasMetrics), traces: lackingOf(hasTraces), logs: lackingOf(hasLogs) },
    modalityMask: { metrics: Array.from(hasMetrics), traces: Array.from(hasTraces), logs: Array.from(hasLogs) },
    runModalityMask,
    absentInputs,
    filledMetricValues,
    inferred: inference.result(),
    traces: {
      kept: traceSet.start.length,
      spans: traceSet.spanLabel.length,
      outsideWindows: tracesOutsideWindows + tracesOfUnwindowedRuns,
      labels: traceSet.labels.length,
      callPaths: traceSet.callPaths.length,
    },
    templates: { source: cfg.templates, eventNum: E, linesLearned, linesMatched, unseenLines },
    graph: {
      source: cfg.graph.source,
      direction: graph.direction,
      selfLoops: cfg.graph.selfLoops,
      minedFrom: mineFrom.map((s) => s.run.id),
      note,
      calls: counter.calls,
      orphanSpans: counter.orphanSpans,
      edges: graph.edges[0].length,
      diff,
    },
    warnings,
    stageSeconds,
  };
  return { dataset, report, counts: { requests, errors } };
}

/**
 * Copy a run's series into its windows: metrics [W, N, T, K] from series [N, S, K], and latency, request
 * and error counts [W, N, T] from [N, S], for windows w0 .. w0 + starts.length. Kept small and
 * monomorphic, without allocation: it is the hot loop.
 */
export function copyWindows(
  series: RunSeries,
  starts: Float64Array,
  w0: number,
  T: number,
  metrics: Float32Array,
  traces: Float32Array,
  requests: Float32Array,
  errors: Float32Array,
): void {
  const { N, S, K, t0 } = series;
  const src = series.metrics;
  const lat = series.latencyMs;
  const req = series.requests;
  const err = series.errors;
  const TK = T * K;
  const Wr = starts.length;
  for (let w = 0; w < Wr; w++) {
    const slot = (starts[w]! - t0) | 0;
    const gw = w0 + w;
    for (let n = 0; n < N; n++) {
      const from = (n * S + slot) * K;
      const to = (gw * N + n) * TK;
      for (let i = 0; i < TK; i++) metrics[to + i] = src[from + i]!;
      const lsrc = n * S + slot;
      const ldst = (gw * N + n) * T;
      for (let t = 0; t < T; t++) {
        traces[ldst + t] = lat[lsrc + t]!;
        requests[ldst + t] = req[lsrc + t]!;
        errors[ldst + t] = err[lsrc + t]!;
      }
    }
  }
}

/** One-screen summary of a build (CLI). */
export function formatBuildReport(report: BuildReport, opts: { skipsByFile?: boolean } = {}): string[] {
  const lines: string[] = [];
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  lines.push(`windows: ${report.windows} (${report.abnormalWindows} abnormal, ${pct(report.abnormalShare)}), episodes: ${report.episodes}`);
  for (const r of report.runs) {
    lines.push(`  run ${r.id} [${r.kind}${r.usedFor === 'templates-only' ? ', templates only' : ''}]: ${r.windows} windows, ` +
      `${r.abnormalWindows} abnormal, ${r.injections} injections, ${r.spans} spans, ${r.logLines} log lines, ${r.metricServices} metric files`);
  }
  lines.push('per fault type (abnormal windows):');
  for (const [t, n] of Object.entries(report.perFaultType).sort()) lines.push(`  ${t}: ${n}`);
  lines.push('per culprit service (abnormal windows / injections):');
  for (const [s, v] of Object.entries(report.perService).sort()) lines.push(`  ${s}: ${v.windows} / ${v.injections}`);
  lines.push(`log events: E = ${report.templates.eventNum} (templates from ${report.templates.source}; ` +
    `${report.templates.unseenLines} of ${report.templates.linesMatched} matched lines unseen -> event 0)`);
  const g = report.graph;
  lines.push(`graph: ${g.source}, ${g.direction}, ${g.edges} edges${g.selfLoops ? ' (self-loops added)' : ''}, mined from ${g.minedFrom.length} run(s)` +
    `${g.note === null ? '' : ` (${g.note})`}`);
  if (g.diff !== null) {
    lines.push(`  vs official: ${g.diff.shared} shared, ${g.diff.onlyInMined.length} only mined, ${g.diff.onlyInOfficial.length} only official`);
  }
  for (const m of ['metrics', 'traces', 'logs'] as const) {
    if (report.lacking[m].length > 0) lines.push(`lacking ${m} (zeros, masked): ${report.lacking[m].join(', ')}`);
  }
  if (report.filledMetricValues > 0) lines.push(`KPI values filled on the window grid: ${report.filledMetricValues}`);
  if (report.traces !== undefined) {
    const t = report.traces;
    lines.push(`traces: ${t.kept} kept (${t.spans} spans, ${t.labels} span labels, ${t.callPaths} call paths), ${t.outsideWindows} outside every window (not used)`);
  }
  if (report.absentInputs !== undefined && report.absentInputs.length > 0) {
    const windows = report.absentInputs.reduce((a, x) => a + x.windows, 0);
    lines.push(`absent inputs: ${report.absentInputs.length} (a service's source missing in one run while present in others; masked for that run, zeros in its ${windows} window-service cells):`);
    for (const a of report.absentInputs.slice(0, 20)) lines.push(`  run ${a.run}: ${a.service} ${a.source}: ${a.what} (${a.windows} windows; ${a.file})`);
    if (report.absentInputs.length > 20) lines.push(`  ... and ${report.absentInputs.length - 20} more (report.json: absentInputs)`);
  }
  const quiet = report.runs.filter((r) => (r.windowsWithoutRequests ?? 0) > 0);
  if (quiet.length > 0) {
    const total = quiet.reduce((a, r) => a + r.windowsWithoutRequests!, 0);
    const normal = quiet.reduce((a, r) => a + (r.normalWindowsWithoutRequests ?? 0), 0);
    lines.push(`windows without a request in any service, kept: ${total} (${normal} labelled normal), in ${quiet.length} run(s) (report.json runs[].windowsWithoutRequests)`);
  }
  const dropped = report.runs.filter((r) => (r.requestlessNormalExcluded ?? 0) > 0);
  if (dropped.length > 0) {
    const total = dropped.reduce((a, r) => a + r.requestlessNormalExcluded!, 0);
    lines.push(`normal windows without a request in any service, left out: ${total}, in ${dropped.length} run(s) (requestlessNormalWindows: 'keep' keeps them; report.json runs[].requestlessNormalExcluded)`);
  }
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  if (report.inferred !== undefined) lines.push(...formatInference(report.inferred));
  lines.push(`skipped items: ${report.skippedTotal}${report.skipped.length > 0 && opts.skipsByFile !== true ? ' (per file in report.json, or with --verbose)' : ''}`);
  for (const line of opts.skipsByFile === true ? formatSkipsByFile(report.skipped) : summarizeSkips(report.skipped)) lines.push(`  ${line}`);
  return lines;
}
