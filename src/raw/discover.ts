/**
 * The node set and which sources each service has. With `services: 'discover'` the nodes are the union
 * of span service names, `logs.json` keys and metric file names over all runs (data-formats.md §1).
 * Services that lack a source are reported: the window builder gives them zeros plus a mask.
 */
import * as fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { RawConfig } from './config.js';
import { streamJsonElements } from './json-stream.js';
import { listMetricFiles } from './metrics.js';
import { runFiles } from './runs.js';
import type { RawRun } from './types.js';

export type SourceName = 'spans' | 'logs' | 'metrics';

export interface ServiceSurvey {
  /** The node set: configured, or discovered (sorted). */
  services: string[];
  /** Services seen per source, over all runs (sorted). */
  bySource: Record<SourceName, string[]>;
  /** Services of the node set that a source never mentions, per service. */
  missing: { service: string; sources: SourceName[] }[];
  /** Names a source mentions that are not in a configured node set (ignored by the builder). */
  unknown: { source: SourceName; service: string }[];
}

const SERVICE_NAME = /"serviceName"\s*:\s*"((?:[^"\\]|\\.)*)"/g;

/**
 * Service names in a span file, by scanning the bytes for `"serviceName": "..."` instead of parsing
 * every trace: discovery must stay cheap next to the real read.
 */
export async function scanSpanServices(file: string): Promise<Set<string>> {
  const found = new Set<string>();
  const decoder = new StringDecoder('utf8');
  let carry = '';
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    const text = carry + decoder.write(chunk as Buffer);
    let lastEnd = 0;
    SERVICE_NAME.lastIndex = 0;
    for (let m = SERVICE_NAME.exec(text); m !== null; m = SERVICE_NAME.exec(text)) {
      found.add(JSON.parse(`"${m[1]}"`) as string);
      lastEnd = m.index + m[0].length;
    }
    // Keep a tail that may hold a match cut by the chunk boundary.
    carry = text.slice(Math.max(lastEnd, text.length - 512));
  }
  return found;
}

/** Keys of a `logs.json` (services that log), without parsing the lines. */
export async function scanLogServices(file: string): Promise<Set<string>> {
  const found = new Set<string>();
  for await (const batch of streamJsonElements(file, { parseValues: false, expected: '{"<service>": [lines]}' })) {
    for (const el of batch) if (el.key !== null) found.add(el.key);
  }
  return found;
}

/** Survey all runs: the node set and each service's sources. */
export async function surveyServices(runs: RawRun[], cfg: RawConfig): Promise<ServiceSurvey> {
  const seen: Record<SourceName, Set<string>> = { spans: new Set(), logs: new Set(), metrics: new Set() };
  for (const run of runs) {
    const files = runFiles(run);
    if (files.spans !== null) for (const s of await scanSpanServices(files.spans)) seen.spans.add(s);
    if (files.logs !== null) for (const s of await scanLogServices(files.logs)) seen.logs.add(s);
    if (files.metricsDir !== null) for (const s of listMetricFiles(files.metricsDir).keys()) seen.metrics.add(s);
  }
  const sources: SourceName[] = ['spans', 'logs', 'metrics'];
  const services =
    cfg.services === 'discover' ? [...new Set([...seen.spans, ...seen.logs, ...seen.metrics])].sort() : [...cfg.services];
  const missing: ServiceSurvey['missing'] = [];
  for (const service of services) {
    const lacking = sources.filter((src) => !seen[src].has(service));
    if (lacking.length > 0) missing.push({ service, sources: lacking });
  }
  const nodeSet = new Set(services);
  const unknown: ServiceSurvey['unknown'] = [];
  for (const src of sources) for (const s of [...seen[src]].sort()) if (!nodeSet.has(s)) unknown.push({ source: src, service: s });
  return {
    services,
    bySource: { spans: [...seen.spans].sort(), logs: [...seen.logs].sort(), metrics: [...seen.metrics].sort() },
    missing,
    unknown,
  };
}
