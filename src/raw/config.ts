/**
 * Configuration of the raw-telemetry reader: everything that differs between the released Eadro data,
 * the built-in testbed and a user's own telemetry is set here, never by changing code
 * (`../shared/specs/data-formats.md` §1, last paragraph). `normalizeRawConfig` fills defaults and
 * rejects bad fields with an `EadroError` that names the field.
 */
import { EadroError, preview } from '../core/errors.js';
import type { ClockOffsets } from './types.js';

/** How a log line is recognised and where its timestamp and message are. */
export interface LogFormat {
  name: string;
  /** Regex with named groups `ts` (timestamp text) and `msg` (message), optional `level`. */
  pattern: string;
  /**
   * How to parse `ts`: 'java' = 'YYYY-MM-DD HH:mm:ss.SSS', 'cpp' = 'YYYY-Mon-DD HH:mm:ss.ffffff',
   * 'iso' (ISO 8601; no zone = UTC), 'epoch-s', 'epoch-ms'. Zone-less text is read as UTC; the
   * per-source offset `offsets.logs` then shifts it.
   */
  timestamp: 'java' | 'cpp' | 'iso' | 'epoch-s' | 'epoch-ms';
}

export interface RawConfig {
  /** Seconds ADDED per source to its timestamps when read (default all 0). */
  offsets: ClockOffsets;
  /** Tried in order per line (the format that matched the previous line of a service is tried first). */
  logFormats: LogFormat[];
  /** KPI columns read from each `metrics/<service>.csv`, in this order (K = length). */
  metricColumns: string[];
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
  /** 'error' = throw an EadroError on the first bad item; 'skip' = count it and report it. */
  onBadInput: 'error' | 'skip';
  /**
   * Lines matching this regex are continuation lines of a multi-line entry (Java stack traces): they
   * carry no timestamp, so they are skipped and counted (never an error). null = no such lines.
   */
  logContinuationPattern?: string | null;
  /** Name of the time column in metric CSVs (unix seconds). */
  metricTimestampColumn?: string;
}

/**
 * Default log formats.
 * TT (Java, Spring Boot): `2022-04-17 21:21:05.123  INFO 1 --- [http-nio-8080-exec-3] c.s.OrderServiceImpl : msg`
 *   (data-formats.md §1; message = text after the first ` : ` that follows the level).
 * SN (C++, Boost.Log): `[2022-Apr-17 21:21:05.123456] <info>: (ComposePostHandler.h:120:ComposePost) msg`
 *   (data-formats.md §1; message = text after the `(file:line:fn) ` part, which is optional here).
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
  // data-formats.md §1: TT Java and SN C++ line styles.
  logFormats: defaultLogFormats,
  // data-formats.md §1: the official preprocessing's 7 KPI columns.
  metricColumns: eadroMetricColumns,
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

const TIMESTAMP_KINDS = ['java', 'cpp', 'iso', 'epoch-s', 'epoch-ms'] as const;

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
    checkRegex(`logFormats[${i}].pattern`, f.pattern, ['ts', 'msg']);
    if (!TIMESTAMP_KINDS.includes(f.timestamp)) throw bad(`logFormats[${i}].timestamp`, TIMESTAMP_KINDS.join(' | '), f.timestamp);
  });

  const metricColumns = partial.metricColumns ?? rawDefaults.metricColumns;
  if (!Array.isArray(metricColumns) || metricColumns.length === 0 || metricColumns.some((c) => typeof c !== 'string' || c === '')) {
    throw bad('metricColumns', 'a non-empty array of column names', metricColumns);
  }
  if (new Set(metricColumns).size !== metricColumns.length) throw bad('metricColumns', 'distinct column names', metricColumns);

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
    logFormats: logFormats.map((f) => ({ name: f.name, pattern: f.pattern, timestamp: f.timestamp })),
    metricColumns: [...metricColumns],
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
