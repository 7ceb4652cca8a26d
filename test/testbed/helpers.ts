/**
 * Test helpers: parse the testbed's raw files directly (JSON.parse, CSV split), independent of the
 * raw reader in src/raw/ (which is developed separately).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestbedManifest } from '../../src/testbed/index.js';

export interface ParsedSpan {
  traceId: string;
  spanId: string;
  parentId: string | null;
  service: string;
  /** Jaeger operationName. */
  operation: string;
  /** Unix seconds. */
  start: number;
  /** Microseconds. */
  duration: number;
  error: boolean;
  status: number | null;
}

export function tmpDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `eadro-testbed-${label}-`));
}

export function readManifest(root: string): TestbedManifest {
  return JSON.parse(fs.readFileSync(path.join(root, 'testbed.json'), 'utf8')) as TestbedManifest;
}

export function readSpans(runDir: string): ParsedSpan[] {
  const traces = JSON.parse(fs.readFileSync(path.join(runDir, 'spans.json'), 'utf8')) as Array<{
    traceID: string;
    spans: Array<{ spanID: string; operationName: string; references: Array<{ spanID: string }>; startTime: number; duration: number; processID: string; tags: Array<{ key: string; value: unknown }> }>;
    processes: Record<string, { serviceName: string }>;
  }>;
  const out: ParsedSpan[] = [];
  for (const tr of traces) {
    for (const s of tr.spans) {
      const status = s.tags.find((t) => t.key === 'http.status_code');
      out.push({
        traceId: tr.traceID,
        spanId: s.spanID,
        parentId: s.references[0]?.spanID ?? null,
        service: tr.processes[s.processID]!.serviceName,
        operation: s.operationName,
        start: s.startTime / 1e6,
        duration: s.duration,
        error: s.tags.some((t) => t.key === 'error' && t.value === true),
        status: status === undefined ? null : Number(status.value),
      });
    }
  }
  return out;
}

export function readMetric(runDir: string, service: string, column: string): Array<[number, number]> {
  const lines = fs.readFileSync(path.join(runDir, 'metrics', `${service}.csv`), 'utf8').split('\n').filter((l) => l.length > 0);
  const header = lines[0]!.split(',');
  const c = header.indexOf(column);
  if (c < 0) throw new Error(`no column ${column} in ${service}.csv`);
  return lines.slice(1).map((l) => {
    const cells = l.split(',');
    return [Number(cells[0]), Number(cells[c])];
  });
}

export function readLogs(runDir: string): Record<string, string[]> {
  return JSON.parse(fs.readFileSync(path.join(runDir, 'logs.json'), 'utf8')) as Record<string, string[]>;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Java: `2022-04-17 21:21:05.123  INFO ...`; cpp: `[2022-Apr-17 21:21:05.123456] <info>: ...`. */
export const JAVA_LINE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3}) +(INFO|WARN|ERROR) 1 --- \[[^\]]+\] \S+ : .+$/;
export const CPP_LINE = /^\[(\d{4})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{6})\] <(info|warning|error)>: \([^)]+:\d+:[^)]+\) .+$/;

/** Unix seconds of a log line (UTC wall time), or NaN when it matches neither format. */
export function logTime(line: string): number {
  let m = JAVA_LINE.exec(line);
  if (m !== null) return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000 + Number(m[7]) / 1000;
  m = CPP_LINE.exec(line);
  if (m !== null) return Date.UTC(+m[1]!, MONTHS.indexOf(m[2]!), +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000 + Number(m[7]) / 1e6;
  return Number.NaN;
}

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function sd(xs: number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** Every file under a directory, relative paths, sorted. */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}
