/**
 * Runs of a raw root (data-formats.md §1): `data/<run>/` folders paired with `data/<run>.json` fault
 * records by name, and fault-free `no fault/<run>/` folders. Records name containers; they are mapped
 * to the bare service names that spans, logs and metric files use.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EadroError, preview } from '../core/errors.js';
import type { RawConfig } from './config.js';
import { readSmallJson } from './json-stream.js';
import type { SkipCollector } from './skips.js';
import type { FaultInjection, RawRun, RunRecord } from './types.js';

export const runsDefaults = {
  // data-formats.md §1: folder and file names of the raw layout.
  faultDir: 'data',
  // data-formats.md §1 (with the space, as released)
  normalDir: 'no fault',
  // data-formats.md §1
  spansFile: 'spans.json',
  // data-formats.md §1
  logsFile: 'logs.json',
  // data-formats.md §1
  metricsDir: 'metrics',
  /**
   * data-formats.md §1: container -> service patterns, TT `<prefix>_<svc>_<n>`, SN `socialnetwork-<svc>-1`.
   * After these, the bare name, then any known service that ends the container name as a
   * `-`/`_`-delimited token (optionally followed by a replica number) is accepted.
   */
  containerPatterns: ['^[^_]+_(?<service>[^_]+)_\\d+$', '^socialnetwork[-_](?<service>.+?)[-_]\\d+$'],
};

/** Timestamp-like tokens in a run name, e.g. `2022-04-17T212101`, `20220417_212101`, `2022-04-17 21:21:01`. */
const TIME_TOKEN = /(\d{4})-?(\d{2})-?(\d{2})[T_ ]?(\d{2}):?(\d{2}):?(\d{2})/g;

function timeTokens(name: string): string[] {
  return [...name.matchAll(TIME_TOKEN)].map((m) => `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`);
}

/** Start time of a run from its name (first timestamp token, read as UTC), or NaN. */
export function runNameTime(name: string): number {
  const t = timeTokens(name)[0];
  return t === undefined ? NaN : Date.parse(`${t}Z`) / 1000;
}

function compareByTime(a: string, b: string): number {
  const ta = runNameTime(a);
  const tb = runNameTime(b);
  if (Number.isFinite(ta) && Number.isFinite(tb) && ta !== tb) return ta - tb;
  if (Number.isFinite(ta) !== Number.isFinite(tb)) return Number.isFinite(ta) ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function subdirs(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name);
}

export interface ListRunsOptions {
  /** Where pairing warnings go (default: stderr). */
  warn?: (message: string) => void;
  /** 'skip': a fault run without a record is left out and counted instead of throwing. */
  onBadInput?: RawConfig['onBadInput'];
  skips?: SkipCollector;
}

/**
 * Runs under `root`, sorted by the time in their names (then by name). Fault runs pair with records by
 * exact name, then by the shared time-stamp part of the name, then (with a warning) by sorted order.
 * Throws EadroError when the root has neither `data/` nor `no fault/`, or a fault run has no record.
 */
export function listRuns(root: string, opts: ListRunsOptions = {}): RawRun[] {
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  const abs = path.resolve(root);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) {
    throw new EadroError('Raw data folder not found.', { file: abs, expected: `a folder with ${runsDefaults.faultDir}/ and/or "${runsDefaults.normalDir}/"` });
  }
  const faultRoot = path.join(abs, runsDefaults.faultDir);
  const normalRoot = path.join(abs, runsDefaults.normalDir);
  const hasFault = fs.existsSync(faultRoot) && fs.statSync(faultRoot).isDirectory();
  const hasNormal = fs.existsSync(normalRoot) && fs.statSync(normalRoot).isDirectory();
  if (!hasFault && !hasNormal) {
    throw new EadroError('Raw data folder has neither data/ nor "no fault/".', {
      file: abs,
      expected: 'data/<run>/ with data/<run>.json records, and/or "no fault/<run>/" (data-formats.md §1)',
      found: preview(fs.readdirSync(abs).join(', ')),
    });
  }

  const runs: RawRun[] = [];
  if (hasFault) {
    const folders = subdirs(faultRoot).sort(compareByTime);
    const records = fs
      .readdirSync(faultRoot)
      .filter((f) => f.toLowerCase().endsWith('.json') && fs.statSync(path.join(faultRoot, f)).isFile())
      .map((f) => f.slice(0, -5))
      .sort(compareByTime);
    const pairs = new Map<string, string>();
    const freeRecords = new Set(records);
    // 1. exact name
    for (const f of folders) {
      if (freeRecords.has(f)) {
        pairs.set(f, f);
        freeRecords.delete(f);
      }
    }
    // 2. shared time-stamp part
    for (const f of folders) {
      if (pairs.has(f)) continue;
      const key = timeTokens(f).join('/');
      if (key === '') continue;
      const matches = [...freeRecords].filter((r) => timeTokens(r).join('/') === key);
      if (matches.length === 1) {
        pairs.set(f, matches[0]!);
        freeRecords.delete(matches[0]!);
      }
    }
    // 3. sorted order, only when the leftovers are equally many
    const leftFolders = folders.filter((f) => !pairs.has(f));
    const leftRecords = [...freeRecords].sort(compareByTime);
    if (leftFolders.length > 0 && leftFolders.length === leftRecords.length) {
      leftFolders.forEach((f, i) => {
        pairs.set(f, leftRecords[i]!);
        warn(`run ${runsDefaults.faultDir}/${f} paired with record ${leftRecords[i]}.json by sorted order (names share no time stamp)`);
      });
      freeRecords.clear();
    }
    for (const r of freeRecords) warn(`record ${runsDefaults.faultDir}/${r}.json has no run folder; ignored`);
    for (const f of folders) {
      const record = pairs.get(f);
      if (record === undefined) {
        const expectedFile = path.join(faultRoot, `${f}.json`);
        if (opts.onBadInput === 'skip') {
          opts.skips?.add(expectedFile, 'fault run without a fault record (run left out)', f);
          warn(`run ${runsDefaults.faultDir}/${f} has no fault record; left out`);
          continue;
        }
        throw new EadroError('Fault run has no fault record.', {
          file: expectedFile,
          field: `${runsDefaults.faultDir}/${f}/`,
          expected: `a record ${f}.json beside the run folder ({"start", "end", "faults": [...]})`,
          found: 'no such file, and no unpaired record shares its time stamp',
        });
      }
      runs.push({ id: f, kind: 'fault', dir: path.join(faultRoot, f), recordFile: path.join(faultRoot, `${record}.json`) });
    }
  }
  if (hasNormal) {
    for (const f of subdirs(normalRoot)) runs.push({ id: f, kind: 'normal', dir: path.join(normalRoot, f), recordFile: null });
  }
  runs.sort((a, b) => compareByTime(a.id, b.id) || (a.kind === b.kind ? 0 : a.kind === 'normal' ? -1 : 1));
  return runs;
}

/** Paths of a run's source files, null where absent (a service or run may lack a modality). */
export function runFiles(run: RawRun): { spans: string | null; logs: string | null; metricsDir: string | null } {
  const spans = path.join(run.dir, runsDefaults.spansFile);
  const logs = path.join(run.dir, runsDefaults.logsFile);
  const metricsDir = path.join(run.dir, runsDefaults.metricsDir);
  return {
    spans: fs.existsSync(spans) ? spans : null,
    logs: fs.existsSync(logs) ? logs : null,
    metricsDir: fs.existsSync(metricsDir) && fs.statSync(metricsDir).isDirectory() ? metricsDir : null,
  };
}

/**
 * Map a record's container name to a known service: `cfg.containerPattern`, the TT and SN defaults, the
 * bare name, then the longest known service that ends the name as a delimited token. null if none.
 */
export function containerToService(container: string, services: readonly string[], cfg: Pick<RawConfig, 'containerPattern'>): string | null {
  const known = new Set(services);
  const patterns = cfg.containerPattern === undefined ? runsDefaults.containerPatterns : [cfg.containerPattern, ...runsDefaults.containerPatterns];
  for (const p of patterns) {
    const svc = new RegExp(p).exec(container)?.groups?.['service'];
    if (svc !== undefined && known.has(svc)) return svc;
  }
  if (known.has(container)) return container;
  let best: string | null = null;
  for (const s of services) {
    const escaped = s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (new RegExp(`(?:^|[-_])${escaped}(?:[-_]\\d+)?$`).test(container) && (best === null || s.length > best.length)) best = s;
  }
  return best;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Read a run's fault record (null for fault-free runs): `offsets.records` added to every time, container
 * names mapped to `services`, fault types renamed by `faultTypeMap`. Throws EadroError naming the file
 * and field on a missing file, a bad field, or a container that maps to no known service.
 */
export function readRunRecord(run: RawRun, cfg: RawConfig, services: string[]): RunRecord | null {
  if (run.kind === 'normal' || run.recordFile === null) return null;
  const file = run.recordFile;
  const expected = '{"start": <unix s>, "end": <unix s>, "faults": [{"name", "fault", "start", "duration"}]}';
  const value = readSmallJson(file, expected);
  if (!isObject(value)) throw new EadroError('Fault record is not a JSON object.', { file, expected, found: preview(value) });
  const num = (v: unknown, field: string): number => {
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
    throw new EadroError('Fault record field is missing or not a number.', { file, field, expected: 'unix seconds (number)', found: preview(v) });
  };
  const off = cfg.offsets.records;
  const start = num(value['start'], 'start') + off;
  const end = num(value['end'], 'end') + off;
  if (!(end > start)) throw new EadroError('Fault record ends before it starts.', { file, field: 'end', expected: `> start (${start - off})`, found: String(end - off) });
  const faultsIn = value['faults'];
  if (!Array.isArray(faultsIn)) throw new EadroError('Fault record has no faults list.', { file, field: 'faults', expected: 'an array', found: preview(faultsIn) });
  const faults: FaultInjection[] = faultsIn.map((f, i) => {
    const field = `faults[${i}]`;
    if (!isObject(f)) throw new EadroError('Fault entry is not an object.', { file, field, expected: '{"name", "fault", "start", "duration"}', found: preview(f) });
    const container = f['name'];
    if (typeof container !== 'string' || container === '') {
      throw new EadroError('Fault entry has no container name.', { file, field: `${field}.name`, expected: 'a container name', found: preview(container) });
    }
    const type = f['fault'];
    if (typeof type !== 'string' || type === '') {
      throw new EadroError('Fault entry has no fault type.', { file, field: `${field}.fault`, expected: 'a fault type name', found: preview(type) });
    }
    const service = containerToService(container, services, cfg);
    if (service === null) {
      throw new EadroError('Fault record names a container of no known service.', {
        file,
        field: `${field}.name`,
        expected: `a container of one of ${services.length} services (${preview(services.join(', '), 200)})`,
        found: container,
        hint: 'set containerPattern (a regex with a (?<service>...) group) or list the service in services',
      });
    }
    const duration = num(f['duration'], `${field}.duration`);
    if (duration < 0) throw new EadroError('Fault duration is negative.', { file, field: `${field}.duration`, expected: '>= 0 seconds', found: String(duration) });
    return { service, container, type: cfg.faultTypeMap[type] ?? type, start: num(f['start'], `${field}.start`) + off, duration };
  });
  faults.sort((a, b) => a.start - b.start);
  return { start, end, faults };
}
