/**
 * `spans.json` reader: a Jaeger JSON export, a list of traces `{traceID, spans, processes}` (or the
 * Jaeger API wrapper `{"data": [...]}`), streamed one trace at a time (data-formats.md §1). A span's
 * service is `processes[processID].serviceName` of its trace (the callee that served it); its parent is
 * the CHILD_OF reference; it is an error when tag `error` is true or `http.status_code` >= 500.
 */
import { EadroError, preview } from '../core/errors.js';
import type { RawConfig } from './config.js';
import { streamJsonElements } from './json-stream.js';
import type { SkipCollector } from './skips.js';
import type { SpanRecord } from './types.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Tag value by key, from Jaeger's `[{key, type, value}]` list or a plain `{key: value}` map. */
export function tagValue(tags: unknown, key: string): unknown {
  if (Array.isArray(tags)) {
    for (const t of tags) if (isObject(t) && t['key'] === key) return t['value'];
    return undefined;
  }
  if (isObject(tags)) return tags[key];
  return undefined;
}

function asStatusCode(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\s*\d+\s*$/.test(v)) return Number(v);
  return null;
}

/** Thrown inside the per-span parser, turned into an error or a skip by the caller. */
class BadSpan extends Error {
  constructor(readonly field: string, readonly expected: string, readonly found: unknown) {
    super(field);
  }
}

function parseSpan(span: unknown, processes: Json | null, offsetUs: number): SpanRecord {
  if (!isObject(span)) throw new BadSpan('', 'a span object', span);
  const traceId = span['traceID'];
  const spanId = span['spanID'];
  if (typeof traceId !== 'string' || traceId === '') throw new BadSpan('traceID', 'a non-empty string', traceId);
  if (typeof spanId !== 'string' || spanId === '') throw new BadSpan('spanID', 'a non-empty string', spanId);
  const start = span['startTime'];
  const duration = span['duration'];
  if (typeof start !== 'number' || !Number.isFinite(start)) throw new BadSpan('startTime', 'microseconds since epoch (number)', start);
  if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 0) {
    throw new BadSpan('duration', 'non-negative microseconds (number)', duration);
  }

  let service: unknown;
  const pid = span['processID'];
  if (processes !== null && typeof pid === 'string' && isObject(processes[pid])) service = (processes[pid] as Json)['serviceName'];
  if (service === undefined && isObject(span['process'])) service = (span['process'] as Json)['serviceName'];
  if (typeof service !== 'string' || service === '') {
    throw new BadSpan('processID', "a key of the trace's processes with a serviceName", pid);
  }

  let parentSpanId: string | null = null;
  const refs = span['references'];
  if (Array.isArray(refs)) {
    for (const r of refs) {
      if (isObject(r) && typeof r['refType'] === 'string' && r['refType'].toUpperCase() === 'CHILD_OF' && typeof r['spanID'] === 'string') {
        parentSpanId = r['spanID'];
        break;
      }
    }
  }
  if (parentSpanId === null && typeof span['parentSpanID'] === 'string' && span['parentSpanID'] !== '') {
    parentSpanId = span['parentSpanID']; // older Jaeger exports carry the parent directly
  }

  const tags = span['tags'];
  const statusCode = asStatusCode(tagValue(tags, 'http.status_code'));
  const errorTag = tagValue(tags, 'error');
  const error = errorTag === true || errorTag === 'true' || (statusCode !== null && statusCode >= 500);

  return {
    traceId,
    spanId,
    parentSpanId,
    service,
    operation: typeof span['operationName'] === 'string' ? span['operationName'] : '',
    startUs: start + offsetUs,
    durationUs: duration,
    error,
    statusCode,
  };
}

export interface ReadTracesOptions {
  /** Read size in bytes (tests use small chunks to put boundaries inside strings). */
  chunkBytes?: number;
}

/**
 * Stream the traces of one `spans.json`: one array of spans per trace, `offsets.spans` applied.
 * Spans seen before (same traceID + spanID, anywhere in the file) are skipped and counted. The
 * duplicate check keeps one string per span: about 100 bytes each, so ~60 MB for 600k spans.
 */
export async function* readTraces(
  file: string,
  cfg: RawConfig,
  skips: SkipCollector,
  opts: ReadTracesOptions = {},
): AsyncGenerator<SpanRecord[]> {
  const offsetUs = cfg.offsets.spans * 1e6;
  const seen = new Set<string>();
  let sawWrapperData = false;
  let sawObjectTop = false;
  const expected = 'a JSON list of Jaeger traces [{traceID, spans, processes}, ...] or {"data": [...]}';
  const onMember = (key: string, kind: 'array' | 'value'): void => {
    if (key === 'data' && kind === 'array') sawWrapperData = true; // an empty {"data": []} is valid
  };
  const streamOpts = opts.chunkBytes === undefined ? { expected, onMember } : { expected, onMember, chunkBytes: opts.chunkBytes };
  for await (const batch of streamJsonElements(file, streamOpts)) {
    for (const el of batch) {
      if (el.key !== null) {
        sawObjectTop = true;
        if (el.key !== 'data' || el.index < 0) continue; // Jaeger API wrapper: total, limit, errors...
        sawWrapperData = true;
      }
      const traceField = el.key === null ? `[${el.index}]` : `data[${el.index}]`;
      const trace = el.value;
      if (!isObject(trace) || !Array.isArray(trace['spans'])) {
        if (cfg.onBadInput === 'error') {
          throw new EadroError('A trace is not {traceID, spans: [...], processes}.', {
            file,
            field: `${traceField} (byte ${el.offset})`,
            expected: 'an object with a spans array',
            found: preview(trace),
          });
        }
        skips.add(file, 'trace without a spans array', `${traceField}: ${preview(trace)}`);
        continue;
      }
      const processes = isObject(trace['processes']) ? trace['processes'] : null;
      const out: SpanRecord[] = [];
      const spans = trace['spans'] as unknown[];
      for (let j = 0; j < spans.length; j++) {
        let rec: SpanRecord;
        try {
          rec = parseSpan(spans[j], processes, offsetUs);
        } catch (err) {
          if (!(err instanceof BadSpan)) throw err;
          const field = `${traceField}.spans[${j}]${err.field === '' ? '' : `.${err.field}`}`;
          if (cfg.onBadInput === 'error') {
            throw new EadroError('A span has a missing or invalid field.', { file, field, expected: err.expected, found: preview(err.found) });
          }
          skips.add(file, `span with invalid ${err.field || 'shape'}`, `${field}: ${preview(err.found)}`);
          continue;
        }
        const key = `${rec.traceId}\u0000${rec.spanId}`;
        if (seen.has(key)) {
          skips.add(file, 'duplicate span (same traceID and spanID)', `${traceField}.spans[${j}]: traceID ${rec.traceId}, spanID ${rec.spanId}`);
          continue;
        }
        seen.add(key);
        out.push(rec);
      }
      if (out.length > 0) yield out;
    }
  }
  if (sawObjectTop && !sawWrapperData) {
    throw new EadroError('spans.json is an object without a "data" list of traces.', { file, expected });
  }
}
