/**
 * The `.npy` directory of a window dataset (data-formats.md §2), and its loader.
 *
 * ```
 * meta.json     nodes, edges, T, metric_names, event_num, split, provenance (+ edge_direction,
 *               normalization, W, format_version, and whatever the caller adds)
 * logs.npy      float32 [W, N, E]
 * metrics.npy   float32 [W, N, T, K]
 * traces.npy    float32 [W, N, T, 1]
 * labels.npy    int64   [W]
 * windows.json  per-window bookkeeping (start, run id, episode id, fault type, episode service),
 *               columnar and dictionary-encoded (run and string columns as index + table)
 * requests.npy  float32 [W, N, T, 1] spans served per second (optional, for baselines)
 * errors.npy    float32 [W, N, T, 1] spans with the error flag per second (optional)
 * log_counts_offsets.npy  int64 [W + 1]  log template counts per second, sparse by window
 * log_counts_cell.npy     int64 [nnz]    (optional; see LogCounts in types.ts: flat n·T·E + t·E + e)
 * log_counts_count.npy    float32 [nnz]  lines in that cell
 * trace_vocab.json        whole traces (optional; TraceSet in src/features/trace-records.ts): span
 *                         label and call-path vocabularies
 * trace_start.npy         float64 [nTraces]      trace start, unix seconds
 * trace_span_offsets.npy  int64 [nTraces + 1]    spans of each trace (rows of the trace_span_* files)
 * trace_span_label.npy    int64 [nSpans]         label id (service:operation), spans by start time
 * trace_span_path.npy     int64 [nSpans]         call-path id
 * trace_span_duration_us.npy float32 [nSpans]    duration, microseconds
 * trace_span_error.npy    int64 [nSpans]         1 = error tag or HTTP status >= 500
 * trace_window_offsets.npy int64 [W + 1]         traces of each window (rows of trace_window_traces)
 * trace_window_traces.npy int64 [nMembers]       trace ids
 * ```
 * `split` is null when the dataset has not been split yet (`eadro windows` builds windows; protocols
 * split them and write the split with their own export).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EadroError } from '../core/errors.js';
import { writeJsonAtomic } from '../core/io.js';
import { readNpy, writeNpyFloat32, writeNpyFloat64, writeNpyInt64 } from './npy.js';
import type { LogCounts, Split, WindowDataset } from './types.js';
import type { TraceSet } from '../features/trace-records.js';
import type { WindowCounts } from './build.js';

/** Bumped when the directory layout changes. */
export const NPY_EXPORT_VERSION = 1;

export const NPY_FILES = ['meta.json', 'logs.npy', 'metrics.npy', 'traces.npy', 'labels.npy', 'windows.json'] as const;

/** The optional sparse log-count files (LogCounts), in field order offsets, cell, count. */
export const LOG_COUNT_FILES = ['log_counts_offsets.npy', 'log_counts_cell.npy', 'log_counts_count.npy'] as const;

/** The optional whole-trace files (TraceSet), vocabulary last. */
export const TRACE_FILES = [
  'trace_start.npy',
  'trace_span_offsets.npy',
  'trace_span_label.npy',
  'trace_span_path.npy',
  'trace_span_duration_us.npy',
  'trace_span_error.npy',
  'trace_window_offsets.npy',
  'trace_window_traces.npy',
  'trace_vocab.json',
] as const;

export interface NpyMeta {
  format_version: number;
  nodes: string[];
  edges: [number[], number[]];
  edge_direction: WindowDataset['edgeDirection'];
  T: number;
  W: number;
  metric_names: string[];
  event_num: number;
  normalization: WindowDataset['normalization'];
  split: Split | null;
  provenance: Record<string, unknown>;
  [extra: string]: unknown;
}

interface WindowsJson {
  start: number[];
  runs: string[];
  runIndex: number[];
  episodeId: number[];
  strings: string[];
  faultType: number[];
  episodeService: number[];
}

/** Dictionary-encode a string column. */
function encode(values: string[], table: string[], index: Map<string, number>): number[] {
  return values.map((v) => {
    let i = index.get(v);
    if (i === undefined) {
      i = table.length;
      table.push(v);
      index.set(v, i);
    }
    return i;
  });
}

/**
 * Write `ds` to `dir`. `extra` goes into meta.json: `split` and `provenance` are recognised, any other
 * key is copied as is (e.g. `modality_mask`, `report`).
 */
export function exportNpy(ds: WindowDataset, dir: string, extra: Record<string, unknown> = {}, counts?: WindowCounts): void {
  const N = ds.nodes.length;
  const K = ds.metricNames.length;
  const { W, T } = ds;
  const E = ds.eventNum;
  const check = (name: string, got: number, want: number): void => {
    if (got !== want) throw new Error(`exportNpy: ${name} has ${got} values, expected ${want}`);
  };
  check('logs', ds.logs.length, W * N * E);
  check('metrics', ds.metrics.length, W * N * T * K);
  check('traces', ds.traces.length, W * N * T);
  check('labels', ds.labels.length, W);
  fs.mkdirSync(dir, { recursive: true });
  writeNpyFloat32(path.join(dir, 'logs.npy'), ds.logs, [W, N, E]);
  writeNpyFloat32(path.join(dir, 'metrics.npy'), ds.metrics, [W, N, T, K]);
  writeNpyFloat32(path.join(dir, 'traces.npy'), ds.traces, [W, N, T, 1]);
  writeNpyInt64(path.join(dir, 'labels.npy'), ds.labels, [W]);
  if (counts !== undefined) {
    check('requests', counts.requests.length, W * N * T);
    check('errors', counts.errors.length, W * N * T);
    writeNpyFloat32(path.join(dir, 'requests.npy'), counts.requests, [W, N, T, 1]);
    writeNpyFloat32(path.join(dir, 'errors.npy'), counts.errors, [W, N, T, 1]);
  } else {
    // A rewrite into an old directory must not leave counts of another dataset beside the new one.
    fs.rmSync(path.join(dir, 'requests.npy'), { force: true });
    fs.rmSync(path.join(dir, 'errors.npy'), { force: true });
  }

  const [offsetsFile, cellFile, countFile] = LOG_COUNT_FILES.map((f) => path.join(dir, f)) as [string, string, string];
  if (ds.logCounts !== undefined) {
    const lc = ds.logCounts;
    check('log_counts offsets', lc.offsets.length, W + 1);
    check('log_counts count', lc.count.length, lc.cell.length);
    writeNpyInt64(offsetsFile, lc.offsets, [W + 1]);
    writeNpyInt64(cellFile, lc.cell, [lc.cell.length]);
    writeNpyFloat32(countFile, lc.count, [lc.count.length]);
  } else {
    for (const f of [offsetsFile, cellFile, countFile]) fs.rmSync(f, { force: true });
  }

  const traceFiles = TRACE_FILES.map((f) => path.join(dir, f));
  if (ds.traceSet !== undefined) writeTraceSet(ds.traceSet, dir, W);
  else for (const f of traceFiles) fs.rmSync(f, { force: true });

  const runs: string[] = [];
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const windows: WindowsJson = {
    start: Array.from(ds.meta.start),
    runs,
    runIndex: encode(ds.meta.runId, runs, new Map()),
    episodeId: Array.from(ds.meta.episodeId),
    strings,
    faultType: encode(ds.meta.faultType, strings, stringIndex),
    episodeService: encode(ds.meta.episodeService, strings, stringIndex),
  };
  writeJsonAtomic(path.join(dir, 'windows.json'), windows);

  const { split, provenance, ...rest } = extra;
  const meta: NpyMeta = {
    ...rest,
    format_version: NPY_EXPORT_VERSION,
    nodes: ds.nodes,
    edges: ds.edges,
    edge_direction: ds.edgeDirection,
    T,
    W,
    metric_names: ds.metricNames,
    event_num: E,
    normalization: ds.normalization,
    split: (split as Split | undefined) ?? null,
    provenance: (provenance as Record<string, unknown> | undefined) ?? {},
  };
  // meta.json last: a directory with meta.json is complete.
  writeJsonAtomic(path.join(dir, 'meta.json'), meta);
}

function readJsonFile<X>(file: string): X {
  if (!fs.existsSync(file)) throw new EadroError('Missing file in the window directory.', { file });
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as X;
  } catch (err) {
    throw new EadroError('Invalid JSON in the window directory.', { file, found: (err as Error).message });
  }
}

/** meta.json of an exported directory. */
export function readNpyMeta(dir: string): NpyMeta {
  const meta = readJsonFile<NpyMeta>(path.join(dir, 'meta.json'));
  for (const key of ['nodes', 'edges', 'T', 'metric_names', 'event_num'] as const) {
    if (meta[key] === undefined) throw new EadroError('meta.json lacks a field.', { file: path.join(dir, 'meta.json'), field: key });
  }
  return meta;
}

/** Whether `dir` looks like an exported window directory. */
export function isNpyDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'meta.json')) && fs.existsSync(path.join(dir, 'labels.npy'));
}

/** Load an exported directory back into a WindowDataset (shapes checked against meta.json). */
export function loadNpy(dir: string): WindowDataset {
  const meta = readNpyMeta(dir);
  const N = meta.nodes.length;
  const K = meta.metric_names.length;
  const T = meta.T;
  const E = meta.event_num;
  const logs = readNpy(path.join(dir, 'logs.npy'));
  const metrics = readNpy(path.join(dir, 'metrics.npy'));
  const traces = readNpy(path.join(dir, 'traces.npy'));
  const labels = readNpy(path.join(dir, 'labels.npy'));
  const W = labels.shape[0] ?? 0;
  const expectShape = (name: string, got: number[], want: number[]): void => {
    if (got.join(',') !== want.join(',')) {
      throw new EadroError('Array shape does not match meta.json.', {
        file: path.join(dir, `${name}.npy`),
        field: 'shape',
        expected: `[${want.join(', ')}]`,
        found: `[${got.join(', ')}]`,
      });
    }
  };
  expectShape('labels', labels.shape, [W]);
  expectShape('logs', logs.shape, [W, N, E]);
  expectShape('metrics', metrics.shape, [W, N, T, K]);
  expectShape('traces', traces.shape, [W, N, T, 1]);
  const asF32 = (a: ReturnType<typeof readNpy>): Float32Array => (a.data instanceof Float32Array ? a.data : Float32Array.from(a.data));
  const win = readJsonFile<WindowsJson>(path.join(dir, 'windows.json'));
  const logCounts = loadLogCounts(dir, W, N * T * E);
  const traceSet = loadTraceSet(dir, W);
  if (win.start.length !== W) {
    throw new EadroError('windows.json does not match labels.npy.', { file: path.join(dir, 'windows.json'), field: 'start', expected: `${W} windows`, found: `${win.start.length}` });
  }
  return {
    nodes: meta.nodes,
    edges: meta.edges,
    edgeDirection: meta.edge_direction ?? 'callee->caller',
    T,
    metricNames: meta.metric_names,
    eventNum: E,
    W,
    logs: asF32(logs),
    metrics: asF32(metrics),
    traces: asF32(traces),
    labels: labels.data instanceof Int32Array ? labels.data : Int32Array.from(labels.data),
    meta: {
      start: Float64Array.from(win.start),
      runId: win.runIndex.map((i) => win.runs[i]!),
      episodeId: Int32Array.from(win.episodeId),
      faultType: win.faultType.map((i) => win.strings[i]!),
      episodeService: win.episodeService.map((i) => win.strings[i]!),
    },
    normalization: meta.normalization ?? 'none',
    ...(logCounts === null ? {} : { logCounts }),
    ...(traceSet === null ? {} : { traceSet }),
  };
}

function writeTraceSet(ts: TraceSet, dir: string, W: number): void {
  const nT = ts.start.length;
  const nS = ts.spanLabel.length;
  const check = (name: string, got: number, want: number): void => {
    if (got !== want) throw new Error(`exportNpy: traceSet.${name} has ${got} values, expected ${want}`);
  };
  check('spanOffsets', ts.spanOffsets.length, nT + 1);
  check('spanPath', ts.spanPath.length, nS);
  check('spanDurationUs', ts.spanDurationUs.length, nS);
  check('spanError', ts.spanError.length, nS);
  check('windowOffsets', ts.windowOffsets.length, W + 1);
  const [start, spanOffsets, label, pathIds, duration, error, windowOffsets, windowTraces, vocab] = TRACE_FILES.map((f) => path.join(dir, f)) as string[];
  writeNpyFloat64(start!, ts.start, [nT]);
  writeNpyInt64(spanOffsets!, ts.spanOffsets, [nT + 1]);
  writeNpyInt64(label!, ts.spanLabel, [nS]);
  writeNpyInt64(pathIds!, ts.spanPath, [nS]);
  writeNpyFloat32(duration!, ts.spanDurationUs, [nS]);
  writeNpyInt64(error!, Int32Array.from(ts.spanError), [nS]);
  writeNpyInt64(windowOffsets!, ts.windowOffsets, [W + 1]);
  writeNpyInt64(windowTraces!, ts.windowTraces, [ts.windowTraces.length]);
  // The vocabulary last: its presence marks a complete set.
  writeJsonAtomic(vocab!, { labels: ts.labels, callPaths: ts.callPaths });
}

/** The optional whole traces of an exported directory (checked against W and their own sizes), or null. */
function loadTraceSet(dir: string, W: number): TraceSet | null {
  const files = TRACE_FILES.map((f) => path.join(dir, f));
  const present = files.filter((f) => fs.existsSync(f));
  if (present.length === 0) return null;
  if (present.length < files.length) {
    throw new EadroError('Incomplete trace files in the window directory.', { file: files.find((f) => !fs.existsSync(f))!, expected: `all of ${TRACE_FILES.join(', ')}, or none` });
  }
  const ints = (f: string): Int32Array => {
    const a = readNpy(f);
    return a.data instanceof Int32Array ? a.data : Int32Array.from(a.data);
  };
  const [startFile, spanOffsetsFile, labelFile, pathFile, durationFile, errorFile, windowOffsetsFile, windowTracesFile, vocabFile] = files as [string, string, string, string, string, string, string, string, string];
  const startNpy = readNpy(startFile);
  const start = startNpy.data instanceof Float64Array ? startNpy.data : Float64Array.from(startNpy.data);
  const spanOffsets = ints(spanOffsetsFile);
  const spanLabel = ints(labelFile);
  const spanPath = ints(pathFile);
  const durationNpy = readNpy(durationFile);
  const spanDurationUs = durationNpy.data instanceof Float32Array ? durationNpy.data : Float32Array.from(durationNpy.data);
  const spanError = Uint8Array.from(ints(errorFile));
  const windowOffsets = ints(windowOffsetsFile);
  const windowTraces = ints(windowTracesFile);
  const vocab = readJsonFile<{ labels: string[]; callPaths: string[] }>(vocabFile);
  const bad = (file: string, field: string, expected: string, found: string): never => {
    throw new EadroError('Trace files do not match the window set.', { file, field, expected, found });
  };
  const nT = start.length;
  const nS = spanLabel.length;
  if (!Array.isArray(vocab.labels) || !Array.isArray(vocab.callPaths)) bad(vocabFile, 'labels, callPaths', 'two lists of strings', JSON.stringify(Object.keys(vocab)));
  if (spanOffsets.length !== nT + 1 || spanOffsets[0] !== 0 || spanOffsets[nT] !== nS) bad(spanOffsetsFile, 'offsets', `[${nT + 1}] from 0 to ${nS}`, `[${spanOffsets.length}] from ${spanOffsets[0]} to ${spanOffsets[spanOffsets.length - 1]}`);
  for (const [file, len] of [[pathFile, spanPath.length], [durationFile, spanDurationUs.length], [errorFile, spanError.length]] as const) {
    if (len !== nS) bad(file, 'shape', `[${nS}] (one value per span)`, `[${len}]`);
  }
  if (windowOffsets.length !== W + 1 || windowOffsets[0] !== 0 || windowOffsets[W] !== windowTraces.length) {
    bad(windowOffsetsFile, 'offsets', `[${W + 1}] (W + 1) from 0 to ${windowTraces.length}`, `[${windowOffsets.length}]`);
  }
  for (let i = 0; i < nS; i++) {
    if (spanLabel[i]! < 0 || spanLabel[i]! >= vocab.labels.length) bad(labelFile, `[${i}]`, `0 <= id < ${vocab.labels.length} (trace_vocab.json labels)`, String(spanLabel[i]));
    if (spanPath[i]! < 0 || spanPath[i]! >= vocab.callPaths.length) bad(pathFile, `[${i}]`, `0 <= id < ${vocab.callPaths.length} (trace_vocab.json callPaths)`, String(spanPath[i]));
  }
  for (let i = 0; i < windowTraces.length; i++) {
    if (windowTraces[i]! < 0 || windowTraces[i]! >= nT) bad(windowTracesFile, `[${i}]`, `0 <= trace id < ${nT}`, String(windowTraces[i]));
  }
  return { labels: vocab.labels, callPaths: vocab.callPaths, start, spanOffsets, spanLabel, spanPath, spanDurationUs, spanError, windowOffsets, windowTraces };
}

/** The optional sparse log counts of an exported directory (checked against W, N, T, E), or null. */
function loadLogCounts(dir: string, W: number, cellsPerWindow: number): LogCounts | null {
  const files = LOG_COUNT_FILES.map((f) => path.join(dir, f));
  const present = files.filter((f) => fs.existsSync(f));
  if (present.length === 0) return null;
  if (present.length < files.length) {
    throw new EadroError('Incomplete log counts in the window directory.', { file: files.find((f) => !fs.existsSync(f))!, expected: `all of ${LOG_COUNT_FILES.join(', ')}, or none` });
  }
  const [o, c, v] = files.map((f) => readNpy(f)) as [ReturnType<typeof readNpy>, ReturnType<typeof readNpy>, ReturnType<typeof readNpy>];
  const offsets = o.data instanceof Int32Array ? o.data : Int32Array.from(o.data);
  const cell = c.data instanceof Int32Array ? c.data : Int32Array.from(c.data);
  const count = v.data instanceof Float32Array ? v.data : Float32Array.from(v.data);
  const bad = (file: string, field: string, expected: string, found: string): never => {
    throw new EadroError('Log counts do not match the window set.', { file, field, expected, found });
  };
  if (offsets.length !== W + 1) bad(files[0]!, 'shape', `[${W + 1}] (W + 1)`, `[${offsets.length}]`);
  if (offsets[0] !== 0 || offsets[W] !== cell.length) bad(files[0]!, 'offsets', `0 .. ${cell.length} (the cells)`, `${offsets[0]} .. ${offsets[W]}`);
  if (count.length !== cell.length) bad(files[2]!, 'shape', `[${cell.length}] (one count per cell)`, `[${count.length}]`);
  for (let i = 0; i < cell.length; i++) {
    if ((cell[i] as number) < 0 || (cell[i] as number) >= cellsPerWindow) bad(files[1]!, `cell[${i}]`, `0 <= cell < N·T·E = ${cellsPerWindow}`, String(cell[i]));
  }
  return { offsets, cell, count };
}

/** The optional span counts of an exported directory, or null when it has none. */
export function loadNpyCounts(dir: string): WindowCounts | null {
  const req = path.join(dir, 'requests.npy');
  const err = path.join(dir, 'errors.npy');
  if (!fs.existsSync(req) || !fs.existsSync(err)) return null;
  const a = readNpy(req);
  const b = readNpy(err);
  if (!(a.data instanceof Float32Array) || !(b.data instanceof Float32Array)) {
    throw new EadroError('Span counts must be float32.', { file: req, field: 'descr', expected: "'<f4'" });
  }
  return { requests: a.data, errors: b.data };
}
