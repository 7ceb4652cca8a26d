/**
 * `logs.json` reader: `{"<service>": ["<raw line>", ...]}` (data-formats.md §1), streamed. Each line is
 * matched against the configured formats in order (the format that matched the service's previous line
 * first, since a service writes one format); the timestamp is parsed as UTC and `offsets.logs` added.
 * Regex formats take the timestamp and message from named groups; structured formats (JSON objects,
 * logfmt pairs: `LogFormat.fields`) are parsed here and read by key.
 */
import { EadroError, preview } from '../core/errors.js';
import type { LogFormat, RawConfig, StructuredLogFields } from './config.js';
import { streamJsonElements } from './json-stream.js';
import type { SkipCollector } from './skips.js';
import { epochNumberToSeconds, parseTimestamp } from './timestamps.js';
import type { LogLine } from './types.js';

interface CompiledFormat {
  format: LogFormat;
  regex: RegExp;
}

/**
 * logfmt (`key=value key2="quoted \"value\"" flag`) to a key -> value map; a bare key has the value
 * ''. Null when the line holds no `key=` pair at all. Hand-written: one pass, no regex backtracking.
 */
export function parseLogfmt(line: string): Map<string, string> | null {
  const out = new Map<string, string>();
  const n = line.length;
  let i = 0;
  while (i < n) {
    while (i < n && line.charCodeAt(i) <= 32) i++;
    if (i >= n) break;
    const keyStart = i;
    while (i < n && line.charCodeAt(i) > 32 && line[i] !== '=') i++;
    const key = line.slice(keyStart, i);
    if (i >= n || line[i] !== '=') {
      if (key !== '' && !out.has(key)) out.set(key, '');
      continue;
    }
    i++; // '='
    let value = '';
    if (line[i] === '"') {
      i++;
      let chunkStart = i;
      while (i < n && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < n) {
          value += line.slice(chunkStart, i);
          const e = line[i + 1]!;
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          i += 2;
          chunkStart = i;
        } else i++;
      }
      value += line.slice(chunkStart, i);
      i++; // closing quote
    } else {
      const valueStart = i;
      while (i < n && line.charCodeAt(i) > 32) i++;
      value = line.slice(valueStart, i);
    }
    if (key !== '' && !out.has(key)) out.set(key, value);
  }
  return out.size > 0 ? out : null;
}

/** Timestamp and message of a structured line, or null when it is not one of this format. */
function parseStructured(line: string, fields: StructuredLogFields, kind: LogFormat['timestamp']): { time: number; content: string } | null {
  let get: (key: string) => unknown;
  if (fields.syntax === 'json') {
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      return null;
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return null;
    const rec = obj as Record<string, unknown>;
    get = (key) => (Object.prototype.hasOwnProperty.call(rec, key) ? rec[key] : undefined);
  } else {
    const pairs = parseLogfmt(line);
    if (pairs === null) return null;
    get = (key) => pairs.get(key);
  }
  let time = NaN;
  let found = false;
  for (const key of fields.time) {
    const v = get(key);
    if (v === undefined || v === null) continue;
    found = true;
    // A JSON number is an epoch in the unit its magnitude implies (the text kinds decide for strings).
    time = typeof v === 'number' ? epochNumberToSeconds(v) : typeof v === 'string' ? parseTimestamp(v, kind) : NaN;
    break;
  }
  if (!found || !Number.isFinite(time)) return null;
  for (const key of fields.message) {
    const v = get(key);
    if (v === undefined || v === null) continue;
    return { time, content: typeof v === 'string' ? v : JSON.stringify(v) };
  }
  // No message key: the whole line is the message (Drain still finds its template).
  return { time, content: line };
}

/** A compiled set of log formats; `parse` returns null when no format matches. */
export class LogLineParser {
  private readonly formats: CompiledFormat[];
  private readonly continuation: RegExp | null;
  /** Per service: index of the format that matched its last line. */
  private readonly lastFormat = new Map<string, number>();

  constructor(cfg: Pick<RawConfig, 'logFormats' | 'logContinuationPattern'>) {
    this.formats = cfg.logFormats.map((format) => ({ format, regex: new RegExp(format.pattern) }));
    const cont = cfg.logContinuationPattern;
    this.continuation = cont === null || cont === undefined ? null : new RegExp(cont);
  }

  /** Names of the formats, for error messages. */
  formatNames(): string[] {
    return this.formats.map((f) => f.format.name);
  }

  /** True for a continuation line of a multi-line entry (stack trace). */
  isContinuation(line: string): boolean {
    return this.continuation !== null && this.continuation.test(line);
  }

  /** Parse one line: time in unix seconds (no offset applied) and message content; null if none matches. */
  parse(service: string, line: string): { time: number; content: string; format: string } | null {
    const first = this.lastFormat.get(service) ?? 0;
    for (let k = 0; k < this.formats.length; k++) {
      const idx = (first + k) % this.formats.length;
      const { format, regex } = this.formats[idx]!;
      if (format.fields !== undefined) {
        if (!regex.test(line)) continue;
        const parsed = parseStructured(line, format.fields, format.timestamp);
        if (parsed === null) continue;
        this.lastFormat.set(service, idx);
        return { time: parsed.time, content: parsed.content.trim(), format: format.name };
      }
      const m = regex.exec(line);
      if (m === null || m.groups === undefined) continue;
      const tsText = m.groups['ts'];
      if (tsText === undefined) continue;
      const time = parseTimestamp(tsText, format.timestamp);
      if (!Number.isFinite(time)) continue;
      this.lastFormat.set(service, idx);
      return { time, content: (m.groups['msg'] ?? '').trim(), format: format.name };
    }
    return null;
  }
}

/**
 * Stream the log lines of one `logs.json`, in file order. A line that matches no format throws an
 * EadroError quoting it (onBadInput 'error') or is counted in `skips` ('skip'). Continuation lines
 * (stack traces, `cfg.logContinuationPattern`) are always counted, never an error. `formatCounts`,
 * when given, is incremented per line under the name of the format that matched it.
 */
export async function* readLogLines(
  file: string,
  cfg: RawConfig,
  skips: SkipCollector,
  formatCounts?: Record<string, number>,
): AsyncGenerator<LogLine> {
  const parser = new LogLineParser(cfg);
  const offset = cfg.offsets.logs;
  const expected = '{"<service>": ["<raw log line>", ...]}';
  for await (const batch of streamJsonElements(file, { expected })) {
    for (const el of batch) {
      if (el.key === null) {
        throw new EadroError('logs.json must be an object keyed by service, not an array.', { file, expected });
      }
      const service = el.key;
      if (el.index < 0) {
        if (cfg.onBadInput === 'error') {
          throw new EadroError('A logs.json member is not an array of lines.', {
            file,
            field: JSON.stringify(service),
            expected: 'an array of strings',
            found: preview(el.value),
          });
        }
        skips.add(file, 'logs.json member is not an array of lines', `${service}: ${preview(el.value)}`);
        continue;
      }
      const field = `${JSON.stringify(service)}[${el.index}]`;
      if (typeof el.value !== 'string') {
        if (cfg.onBadInput === 'error') {
          throw new EadroError('A log line is not a string.', { file, field, expected: 'a string', found: preview(el.value) });
        }
        skips.add(file, 'log line is not a string', `${field}: ${preview(el.value)}`);
        continue;
      }
      const raw = el.value;
      const parsed = parser.parse(service, raw);
      if (parsed === null) {
        if (parser.isContinuation(raw)) {
          skips.add(file, 'continuation line of a multi-line log entry (no timestamp)', `${field}: ${raw}`);
          continue;
        }
        if (raw.trim() === '') {
          skips.add(file, 'empty log line', field);
          continue;
        }
        if (cfg.onBadInput === 'error') {
          throw new EadroError('A log line matches no known log format.', {
            file,
            field,
            expected: `one of the formats ${parser.formatNames().join(', ')} (configure logFormats for your own format)`,
            found: preview(raw, 200),
            hint: 'add a {name, pattern, timestamp} entry to logFormats, or set onBadInput to "skip" to count such lines',
          });
        }
        skips.add(file, 'log line matches no known log format', `${field}: ${raw}`);
        continue;
      }
      if (formatCounts !== undefined) formatCounts[parsed.format] = (formatCounts[parsed.format] ?? 0) + 1;
      yield { service, time: parsed.time + offset, content: parsed.content, raw };
    }
  }
}
