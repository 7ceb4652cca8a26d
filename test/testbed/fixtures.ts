/** `tiny` testbed outputs shared by the test files of this folder (generated once per mocha process). */
import * as path from 'node:path';
import { simulate, type SystemName, type TestbedManifest } from '../../src/testbed/index.js';
import { readLogs, readSpans, tmpDir, logTime, type ParsedSpan } from './helpers.js';

export const TINY_SEED = Number(process.env['EADRO_TESTBED_TEST_SEED'] ?? 7);

export interface TinyData {
  root: string;
  manifest: TestbedManifest;
  /** Spans of every run, with the run they came from. */
  spans: ParsedSpan[];
  /** [service, unix seconds, raw line] of every log line. */
  logs: Array<[string, number, string]>;
  /** Fault windows [start, end) in unix seconds. */
  windows: Array<[number, number]>;
  /** Seconds of fault-free time over all runs. */
  faultFreeSeconds: number;
}

const cache = new Map<SystemName, Promise<TinyData>>();

export function tinyData(system: SystemName): Promise<TinyData> {
  let p = cache.get(system);
  if (p === undefined) {
    p = (async () => {
      const root = tmpDir(`${system}-tiny`);
      const manifest = await simulate({ system, profile: 'tiny', seed: TINY_SEED, out: root });
      const spans: ParsedSpan[] = [];
      const logs: Array<[string, number, string]> = [];
      for (const run of manifest.runs) {
        const dir = path.join(root, run.dir);
        spans.push(...readSpans(dir));
        for (const [service, lines] of Object.entries(readLogs(dir))) for (const l of lines) logs.push([service, logTime(l), l]);
      }
      const windows = manifest.runs.flatMap((r) => r.faults.map((f): [number, number] => [f.start, f.start + f.duration]));
      const total = manifest.runs.reduce((a, r) => a + (r.end - r.start), 0);
      const faulty = windows.reduce((a, [s, e]) => a + (e - s), 0);
      return { root, manifest, spans, logs, windows, faultFreeSeconds: total - faulty };
    })();
    cache.set(system, p);
  }
  return p;
}

export function inFault(data: TinyData, t: number): boolean {
  return data.windows.some(([s, e]) => t >= s && t < e);
}
