/**
 * Shared shapes of raw telemetry, as the reader (`src/raw/`) hands it to the feature stage, and as the
 * testbed (`src/testbed/`) writes it to disk in the released Eadro layout
 * (`../shared/specs/data-formats.md` §1). All times here are unix SECONDS (float) after the per-source
 * clock offsets have been applied, unless a field name says otherwise (`...Us` = microseconds).
 */

/** The three fault types of the paper (§III, §V-A2); users' data may add others (strings). */
export const PAPER_FAULT_TYPES = ['cpu_exhaustion', 'network_delay', 'packet_loss'] as const;
export type PaperFaultType = (typeof PAPER_FAULT_TYPES)[number];

/**
 * Every fault type the built-in testbed can inject (src/testbed/faults.ts): the paper's three, then
 * two code-level faults that public fault-injection benchmarks add and that leave CPU and latency flat:
 * `exception` (the target throws: error logs with a stack trace, 5xx spans) and `error_return` (the
 * target answers normally but wrongly; its callers notice). Readers treat fault types as strings.
 */
export const TESTBED_FAULT_TYPES = [...PAPER_FAULT_TYPES, 'exception', 'error_return'] as const;
export type TestbedFaultType = (typeof TESTBED_FAULT_TYPES)[number];

/** One injection from a `<run>.json` fault record, with the container name resolved to a service. */
export interface FaultInjection {
  /** Bare service name, as spans, logs and metric files use it (e.g. `ts-order-service`). */
  service: string;
  /** Container name as written in the record (e.g. `socialnetwork-text-service-1`). */
  container: string;
  /** Fault type name as written in the record (e.g. `cpu_exhaustion`). */
  type: string;
  /** Injection start, unix seconds. */
  start: number;
  /** Duration in seconds. */
  duration: number;
}

/** A `<run>.json` record: the run's own time range and its injections. */
export interface RunRecord {
  start: number;
  end: number;
  faults: FaultInjection[];
}

/** A run found under a raw root: `data/<run>/` with its record, or `no fault/<run>/`. */
export interface RawRun {
  /** Folder name of the run. */
  id: string;
  /** `fault` for `data/<run>`, `normal` for `no fault/<run>`. */
  kind: 'fault' | 'normal';
  /** Absolute path of the run folder. */
  dir: string;
  /** Absolute path of `data/<run>.json`, or null for normal runs. */
  recordFile: string | null;
}

/** Per-source clock offsets in seconds, ADDED to each source's timestamps when read. */
export interface ClockOffsets {
  spans: number;
  logs: number;
  metrics: number;
  records: number;
}

/** One span, flattened, with its service resolved through the trace's `processes`. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  /** spanID of the CHILD_OF parent in the same trace, or null for a root span. */
  parentSpanId: string | null;
  /** Service that served this span (the callee). */
  service: string;
  operation: string;
  /** Start, unix MICROseconds (offset applied). */
  startUs: number;
  /** Duration, MICROseconds. */
  durationUs: number;
  /** `error` tag true, or an HTTP status >= 500. */
  error: boolean;
  /** `http.status_code` tag, or null when absent. */
  statusCode: number | null;
}

/** One log line with its timestamp parsed and its service known. */
export interface LogLine {
  service: string;
  /** Unix seconds (offset applied). */
  time: number;
  /** The message part after the timestamp/level/logger header (what Drain parses). */
  content: string;
  /** The whole raw line. */
  raw: string;
}

/** A service's KPI table: one row per sample, columns by name. */
export interface MetricTable {
  service: string;
  /** Unix seconds (offset applied), ascending. */
  timestamps: Float64Array;
  columns: Record<string, Float64Array>;
}

/** A skipped item, counted and reported (never silently dropped). */
export interface SkipReport {
  /** File the items came from. */
  file: string;
  /** Why they were skipped, e.g. "duplicate spanID", "line matches no timestamp format". */
  reason: string;
  count: number;
  /** First offending item, quoted for the user. */
  example?: string;
}
