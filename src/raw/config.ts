/**
 * Configuration of the raw-telemetry reader: everything that differs between the released Eadro data,
 * the built-in testbed and a user's own telemetry is set here, never by changing code
 * (`../shared/specs/data-formats.md` §1, last paragraph). `normalizeRawConfig` fills defaults and
 * rejects bad fields with an `EadroError` that names the field.
 */
import { EadroError, preview } from '../core/errors.js';
import type { ClockOffsets } from './types.js';

/**
 * How a log timestamp text is parsed (src/raw/timestamps.ts). Zone-less text is read as UTC; the
 * per-source offset `offsets.logs` then shifts it.
 * - 'java' = 'YYYY-MM-DD HH:mm:ss.SSS'; 'cpp' = 'YYYY-Mon-DD HH:mm:ss.ffffff'; 'go' = 'YYYY/MM/DD HH:mm:ss[.ffffff]'
 * - 'iso' = ISO 8601 ('YYYY-MM-DD[T ]HH:mm[:ss[.f]][Z|+hh:mm]'; other Date.parse-able text as a fallback)
 * - 'epoch-s' | 'epoch-ms' | 'epoch-us' | 'epoch-ns' = a number in that unit since 1970
 * - 'epoch' = a number whose magnitude decides the unit (see `epochUnitThresholds` in timestamps.ts)
 * - 'iso-or-epoch' = 'epoch' for digits-only text (or a JSON number), else 'iso'
 */
export type TimestampKind = 'java' | 'cpp' | 'go' | 'iso' | 'epoch' | 'epoch-s' | 'epoch-ms' | 'epoch-us' | 'epoch-ns' | 'iso-or-epoch';

/**
 * Structured log lines (JSON objects, logfmt `key=value` pairs): the timestamp and message are read
 * from named keys by the log reader (src/raw/logs.ts), not by a regex.
 */
export interface StructuredLogFields {
  syntax: 'json' | 'logfmt';
  /** Keys holding the timestamp, tried in order (the first key present is used). */
  time: string[];
  /** Keys holding the message, tried in order; none present = the whole line is the message. */
  message: string[];
}

/** How a log line is recognised and where its timestamp and message are. */
export interface LogFormat {
  name: string;
  /**
   * Regex with named groups `ts` (timestamp text) and `msg` (message), optional `level`. With
   * `fields` set it is only a cheap pre-filter a line must match (no groups needed).
   */
  pattern: string;
  /** How to parse the timestamp text (or, with `fields`, the value of the time key). */
  timestamp: TimestampKind;
  /** Set for structured lines (JSON, logfmt): timestamp and message come from these keys. */
  fields?: StructuredLogFields;
}

export interface RawConfig {
  /** Seconds ADDED per source to its timestamps when read (default all 0). */
  offsets: ClockOffsets;
  /** Tried in order per line (the format that matched the previous line of a service is tried first). */
  logFormats: LogFormat[];
  /**
   * KPI columns read from each `metrics/<service>.csv`, in this order (K = length), or 'auto':
   * the 7 Eadro KPIs when every metric file has them all, else every numeric column present in every
   * metric file, in the first file's header order (src/raw/infer.ts `resolveMetricColumns`; the
   * choice and the columns dropped are reported). The window builder resolves 'auto' over all runs
   * before anything depends on K.
   */
  metricColumns: string[] | 'auto';
  /** Input sampling interval in seconds, or 'auto' (median timestamp step per file); resampled to 1 s. */
  metricIntervalSeconds: number | 'auto';
  /** Node set; 'discover' = union of span services, log keys and metric file names. */
  services: string[] | 'discover';
  /**
   * Regex with a named group `service` mapping fault-record container names to services. Tried before
   * the defaults (TT `<prefix>_<svc>_<n>`, SN `socialnetwork-<svc>-1`, then the bare name).
   */
  containerPattern?: string;
  /** Renames users' fault types (record name -> our name); unlisted names pass unchanged. */
  faultTypeMap: Record<string, string>;
  /**
   * 'error' = throw an EadroError on the first bad item; 'skip' = count it and report it. Missing KPI
   * samples (empty, NaN, null, None, Inf, ... cells: src/raw/metrics.ts `metricCellDefaults`) are not
   * bad items: they are always filled and counted per column.
   */
  onBadInput: 'error' | 'skip';
  /**
   * Lines matching this regex are continuation lines of a multi-line entry (Java stack traces): they
   * carry no timestamp, so they are skipped and counted (never an error). null = no such lines.
   */
  logContinuationPattern?: string | null;
  /** Name of the time column in metric CSVs (unix seconds). */
  metricTimestampColumn?: string;
}

/** Level words of common loggers (log4j/logback, Go, Python, zap, logrus), for the ISO 8601 line format. */
const LEVEL_WORDS = ['TRACE', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'WARN', 'ERROR', 'ERR', 'FATAL', 'CRITICAL', 'CRIT', 'PANIC'];
const LEVEL = `(?:${LEVEL_WORDS.flatMap((w) => [w, w.toLowerCase(), w[0] + w.slice(1).toLowerCase()]).join('|')})`;

/**
 * Default log formats, tried in this order (the format that matched a service's previous line goes
 * first). The two of the released data come first so that they keep winning on their own lines.
 * - tt-java (TT, Spring Boot): `2022-04-17 21:21:05.123  INFO 1 --- [http-nio-8080-exec-3] c.s.OrderServiceImpl : msg`
 *   (data-formats.md §1; message = text after the first ` : ` that follows the level).
 * - sn-cpp (SN, Boost.Log): `[2022-Apr-17 21:21:05.123456] <info>: (ComposePostHandler.h:120:ComposePost) msg`
 *   (data-formats.md §1; message = text after the `(file:line:fn) ` part, which is optional here).
 * Then common formats of other systems (issue 25), so that users' logs read without a regex:
 * - loki-tsv (Loki/Promtail `logcli --output raw`-style exports): `<epoch-ns or ISO>\t<line>`
 * - iso8601: `2024-01-02T03:04:05.123Z INFO msg` (zone, fraction and level optional; `T` or space)
 * - go-log (Go's `log` package, LstdFlags[|Lmicroseconds]): `2024/01/02 15:04:05[.123456] msg`
 * - logfmt (go-kit, logrus): `ts=2024-01-02T03:04:05Z level=info msg="..."` or `time="..."`
 * - loki-json (Loki API/Grafana exports): `{"timestamp": "<ISO or epoch>", "line": "...", ...}`
 * - json-lines (zap, logrus JSON, bunyan, pino, Elastic): `{"ts"|"time"|"timestamp"|"@timestamp": <ISO or epoch>,
 *   "msg"|"message"|"log": "..."}`
 * - epoch: `<epoch s, ms, us or ns> msg` (bare number at the line start; magnitude decides the unit)
 */
export const defaultLogFormats: LogFormat[] = [
  {
    name: 'tt-java',
    pattern:
      '^(?<ts>\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}:\\d{2}(?:[.,]\\d{1,9})?)\\s+(?<level>[A-Z]+)\\s+.*?\\s:\\s?(?<msg>.*)$',
    timestamp: 'java',
  },
  {
    name: 'sn-cpp',
    pattern:
      '^\\[(?<ts>\\d{4}-[A-Za-z]{3}-\\d{2} \\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,9})?)\\]\\s*<(?<level>\\w+)>:?\\s*(?:\\([^()]*:\\d+:[^()]*\\)\\s?)?(?<msg>.*)$',
    timestamp: 'cpp',
  },
  {
    name: 'loki-tsv',
    pattern: '^(?<ts>\\d{10,19}(?:\\.\\d+)?|\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:[.,]\\d+)?(?:Z|z|[+-]\\d{2}(?::?\\d{2})?)?)\\t(?<msg>.*)$',
    timestamp: 'iso-or-epoch',
  },
  {
    name: 'iso8601',
    pattern:
      '^\\[?(?<ts>\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(?::\\d{2}(?:[.,]\\d{1,9})?)?(?:Z|z|[+-]\\d{2}(?::?\\d{2})?)?)\\]?' +
      `(?:\\s+\\[?(?<level>${LEVEL})\\]?:?)?(?:\\s+|$)(?<msg>.*)$`,
    timestamp: 'iso',
  },
  {
    name: 'go-log',
    pattern: '^(?<ts>\\d{4}/\\d{2}/\\d{2} \\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,9})?)(?:\\s|$)(?<msg>.*)$',
    timestamp: 'go',
  },
  {
    name: 'logfmt',
    pattern: '(?:^|\\s)(?:ts|time|timestamp)=',
    timestamp: 'iso-or-epoch',
    fields: { syntax: 'logfmt', time: ['ts', 'time', 'timestamp'], message: ['msg', 'message'] },
  },
  {
    name: 'loki-json',
    pattern: '^\\s*\\{.*"line"\\s*:',
    timestamp: 'iso-or-epoch',
    fields: { syntax: 'json', time: ['timestamp', 'ts', 'time'], message: ['line'] },
  },
  {
    name: 'json-lines',
    pattern: '^\\s*\\{',
    timestamp: 'iso-or-epoch',
    fields: { syntax: 'json', time: ['ts', 'time', 'timestamp', '@timestamp'], message: ['msg', 'message', 'log'] },
  },
  {
    name: 'epoch',
    pattern: '^\\[?(?<ts>\\d{9,19}(?:\\.\\d+)?)\\]?(?:\\s+|$)(?<msg>.*)$',
    timestamp: 'epoch',
  },
];

/** The 7 KPIs the official code reads (data-formats.md §1). */
export const eadroMetricColumns = [
  'cpu_usage_system',
  'cpu_usage_total',
  'cpu_usage_user',
  'memory_usage',
  'memory_working_set',
  'rx_bytes',
  'tx_bytes',
];

export const rawDefaults: RawConfig = {
  // ours: no constant is trusted (data-formats.md §1 "Clock offsets"); measure with `eadro align`.
  offsets: { spans: 0, logs: 0, metrics: 0, records: 0 },
  // data-formats.md §1: TT Java and SN C++ line styles; then common formats of other systems (issue 25).
  logFormats: defaultLogFormats,
  // issue 25: the official preprocessing's 7 KPI columns (data-formats.md §1) when every file has them,
  // else the numeric columns shared by all files; explicit lists are read as given.
  metricColumns: 'auto',
  // ours: the released CSVs hold one row per second, but users' data may not; 'auto' measures it.
  metricIntervalSeconds: 'auto',
  // ours: the released data and the testbed name services consistently across sources.
  services: 'discover',
  // ours: identity; users rename their own fault types.
  faultTypeMap: {},
  // ours: fail loudly by default (reference-code-notes.md §2, issue #2: "fail loudly").
  onBadInput: 'error',
  // ours: Java stack-trace lines (`\tat ...`, `Caused by: ...`, `... 12 more`) that TT services log.
  logContinuationPattern: '^(?:\\s+at\\s|\\s*Caused by:|\\s*\\.\\.\\.\\s\\d+\\smore)',
  // data-formats.md §1: `timestamp` (unix seconds).
  metricTimestampColumn: 'timestamp',
};

const TIMESTAMP_KINDS: readonly TimestampKind[] = ['java', 'cpp', 'go', 'iso', 'epoch', 'epoch-s', 'epoch-ms', 'epoch-us', 'epoch-ns', 'iso-or-epoch'];

/** A RawConfig whose `metricColumns` is a concrete list (what the readers use; K = its length). */
export type ResolvedRawConfig = RawConfig & { metricColumns: string[] };

function bad(field: string, expected: string, found: unknown): EadroError {
  return new EadroError('Invalid raw-reader configuration.', { field, expected, found: preview(found) });
}

function checkRegex(field: string, pattern: unknown, groups: string[]): string {
  if (typeof pattern !== 'string') throw bad(field, 'a regular expression as a string', pattern);
  try {
    new RegExp(pattern);
  } catch (err) {
    throw bad(field, 'a valid regular expression', `${pattern} (${(err as Error).message})`);
  }
  for (const g of groups) {
    if (!pattern.includes(`(?<${g}>`)) throw bad(field, `a named group (?<${g}>...)`, pattern);
  }
  return pattern;
}

/** Fill defaults and validate. Throws EadroError naming the bad field. */
export function normalizeRawConfig(partial: Partial<RawConfig> = {}): RawConfig {
  if (partial === null || typeof partial !== 'object' || Array.isArray(partial)) {
    throw bad('(raw config)', 'an object', partial);
  }
  const offsetsIn = (partial.offsets ?? {}) as Partial<ClockOffsets>;
  if (offsetsIn === null || typeof offsetsIn !== 'object') throw bad('offsets', 'an object of seconds', offsetsIn);
  const offsets: ClockOffsets = { ...rawDefaults.offsets };
  for (const [key, value] of Object.entries(offsetsIn)) {
    if (!(key in offsets)) throw bad(`offsets.${key}`, 'one of spans, logs, metrics, records', key);
    if (typeof value !== 'number' || !Number.isFinite(value)) throw bad(`offsets.${key}`, 'a finite number of seconds', value);
    offsets[key as keyof ClockOffsets] = value;
  }

  const logFormats = partial.logFormats ?? rawDefaults.logFormats;
  if (!Array.isArray(logFormats) || logFormats.length === 0) throw bad('logFormats', 'a non-empty array', logFormats);
  logFormats.forEach((f, i) => {
    if (f === null || typeof f !== 'object') throw bad(`logFormats[${i}]`, '{name, pattern, timestamp}', f);
    if (typeof f.name !== 'string' || f.name === '') throw bad(`logFormats[${i}].name`, 'a non-empty string', f.name);
    // A structured format's pattern is only a pre-filter: its timestamp and message come from keys.
    checkRegex(`logFormats[${i}].pattern`, f.pattern, f.fields === undefined ? ['ts', 'msg'] : []);
    if (!TIMESTAMP_KINDS.includes(f.timestamp)) throw bad(`logFormats[${i}].timestamp`, TIMESTAMP_KINDS.join(' | '), f.timestamp);
    if (f.fields !== undefined) {
      const fl = f.fields as Partial<StructuredLogFields> | null;
      if (fl === null || typeof fl !== 'object') throw bad(`logFormats[${i}].fields`, '{syntax, time, message}', fl);
      if (fl.syntax !== 'json' && fl.syntax !== 'logfmt') throw bad(`logFormats[${i}].fields.syntax`, "'json' or 'logfmt'", fl.syntax);
      for (const key of ['time', 'message'] as const) {
        const keys = fl[key];
        const ok = Array.isArray(keys) && (key === 'message' || keys.length > 0) && keys.every((k) => typeof k === 'string' && k !== '');
        if (!ok) throw bad(`logFormats[${i}].fields.${key}`, `an array of key names${key === 'time' ? ' (at least one)' : ''}`, keys);
      }
    }
  });

  const metricColumns = partial.metricColumns ?? rawDefaults.metricColumns;
  if (metricColumns !== 'auto') {
    if (!Array.isArray(metricColumns) || metricColumns.length === 0 || metricColumns.some((c) => typeof c !== 'string' || c === '')) {
      throw bad('metricColumns', "'auto' or a non-empty array of column names", metricColumns);
    }
    if (new Set(metricColumns).size !== metricColumns.length) throw bad('metricColumns', 'distinct column names', metricColumns);
  }

  const interval = partial.metricIntervalSeconds ?? rawDefaults.metricIntervalSeconds;
  if (interval !== 'auto' && (typeof interval !== 'number' || !(interval > 0) || !Number.isFinite(interval))) {
    throw bad('metricIntervalSeconds', "a positive number of seconds or 'auto'", interval);
  }

  const services = partial.services ?? rawDefaults.services;
  if (services !== 'discover') {
    if (!Array.isArray(services) || services.length === 0 || services.some((s) => typeof s !== 'string' || s === '')) {
      throw bad('services', "'discover' or a non-empty array of service names", services);
    }
    if (new Set(services).size !== services.length) throw bad('services', 'distinct service names', services);
  }

  const containerPattern = partial.containerPattern;
  if (containerPattern !== undefined) checkRegex('containerPattern', containerPattern, ['service']);

  const faultTypeMap = partial.faultTypeMap ?? rawDefaults.faultTypeMap;
  if (faultTypeMap === null || typeof faultTypeMap !== 'object' || Array.isArray(faultTypeMap)) {
    throw bad('faultTypeMap', 'an object {recordName: ourName}', faultTypeMap);
  }
  for (const [k, v] of Object.entries(faultTypeMap)) {
    if (typeof v !== 'string' || v === '') throw bad(`faultTypeMap.${k}`, 'a non-empty string', v);
  }

  const onBadInput = partial.onBadInput ?? rawDefaults.onBadInput;
  if (onBadInput !== 'error' && onBadInput !== 'skip') throw bad('onBadInput', "'error' or 'skip'", onBadInput);

  const continuation = partial.logContinuationPattern === undefined ? rawDefaults.logContinuationPattern : partial.logContinuationPattern;
  if (continuation !== null && continuation !== undefined) checkRegex('logContinuationPattern', continuation, []);

  const tsColumn = partial.metricTimestampColumn ?? rawDefaults.metricTimestampColumn;
  if (typeof tsColumn !== 'string' || tsColumn === '') throw bad('metricTimestampColumn', 'a column name', tsColumn);

  const known = new Set(Object.keys(rawDefaults).concat(['containerPattern']));
  for (const key of Object.keys(partial)) {
    if (!known.has(key)) throw bad(key, `one of ${[...known].join(', ')}`, key);
  }

  const out: RawConfig = {
    offsets,
    logFormats: logFormats.map((f) => ({
      name: f.name,
      pattern: f.pattern,
      timestamp: f.timestamp,
      ...(f.fields === undefined ? {} : { fields: { syntax: f.fields.syntax, time: [...f.fields.time], message: [...f.fields.message] } }),
    })),
    metricColumns: metricColumns === 'auto' ? 'auto' : [...metricColumns],
    metricIntervalSeconds: interval,
    services: services === 'discover' ? 'discover' : [...services],
    faultTypeMap: { ...faultTypeMap },
    onBadInput,
    logContinuationPattern: continuation ?? null,
    metricTimestampColumn: tsColumn,
  };
  if (containerPattern !== undefined) out.containerPattern = containerPattern;
  return out;
}
