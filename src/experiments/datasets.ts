/**
 * Datasets of the harness by spec: the built-in testbed (simulated once per system/profile/seed into
 * the data folder, then reused) and raw folders in the released layout, both turned into windows by
 * the cached window builder (`src/windows/cache.ts`), so every run of a grid shares one build.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveProfile, resolveSystem, simulate, TESTBED_VERSION, type TestbedManifest } from '../testbed/index.js';
import { buildWindowDatasetCached, type CachedBuild } from '../windows/cache.js';
import type { WindowConfig } from '../windows/build.js';
import { checksumPath, type DatasetChecksum } from '../core/hash.js';
import type { DatasetInfo } from '../core/manifest.js';
import { EadroError } from '../core/errors.js';
import { publishDir, stagingSibling } from '../core/io.js';
import type { RecordedDistractors, RecordedFault } from '../evaluation/detectability.js';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const datasetDefaults = {
  /** Where simulated testbed data is written (gitignored); EADRO_DATA_DIR overrides. Ours. */
  dataDir: path.join(PROJECT_ROOT, 'results', 'data'),
};

export function dataDir(): string {
  return process.env['EADRO_DATA_DIR'] ?? datasetDefaults.dataDir;
}

/** Folder of a testbed dataset: `<data>/testbed/<system>-<profile>-seed<seed>`. */
export function testbedRoot(system: 'TT' | 'SN', profile: string, seed: number): string {
  return path.join(dataDir(), 'testbed', `${system.toLowerCase()}-${profile}-seed${seed}`);
}

/**
 * Whether a finished testbed folder was made by this generator version with the current schedule of
 * its profile (a changed profile, e.g. a longer fault-free run, must not reuse old data silently).
 */
export function testbedIsCurrent(root: string, system: 'TT' | 'SN', profile: string): boolean {
  try {
    const stored = readTestbedManifest(root);
    if (stored === null) return false;
    const topology = resolveSystem(system === 'TT' ? 'tt' : 'sn');
    // testbed.json records the profile's timings (not `tiny`'s fixed pair list): compare those.
    const { pairs: _pairs, ...current } = resolveProfile(topology, profile as 'paper' | 'quick' | 'tiny');
    return stored.version === TESTBED_VERSION && JSON.stringify(stored.schedule) === JSON.stringify(current);
  } catch {
    return false;
  }
}

/**
 * Simulate the testbed dataset unless a finished, current one is there (`testbed.json` is written
 * last; `testbedIsCurrent`). Returns its folder.
 */
export async function ensureTestbed(
  system: 'TT' | 'SN',
  profile: string,
  seed: number,
  onProgress?: (done: number, total: number) => void,
): Promise<string> {
  const root = testbedRoot(system, profile, seed);
  if (testbedIsCurrent(root, system, profile)) return root;
  // Simulated into a staging folder and published whole: the grid's worker processes may all ask for
  // the same data at once, and none may see (or remove) another's half-written folder.
  const staging = stagingSibling(root);
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    await simulate({ system: system === 'TT' ? 'tt' : 'sn', profile: profile as 'paper' | 'quick' | 'tiny', seed, out: staging, onProgress });
    publishDir(staging, root, () => testbedIsCurrent(root, system, profile));
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return root;
}

/**
 * The faults of a testbed folder with their symptom seconds (testbed.json), for the detectability
 * ceiling (src/evaluation/detectability.ts); null when the folder is not a testbed's or its generator
 * did not record symptoms (before testbed 1.2.1).
 */
export function testbedFaults(root: string): RecordedFault[] | null {
  const manifest = readTestbedManifest(root);
  if (manifest === null) return null;
  const faults: RecordedFault[] = [];
  for (const run of manifest.runs ?? []) {
    for (const f of run.faults) {
      if (f.symptomSeconds === undefined) return null;
      faults.push({ service: f.service, type: f.type, start: f.start, duration: f.duration, symptomSeconds: f.symptomSeconds });
    }
  }
  return faults;
}

/**
 * The distractors of a testbed folder (testbed.json runs[].distractors: background jobs and noisy
 * neighbours), for the false-alarm breakdown (src/evaluation/detectability.ts normalWindowContext);
 * null when the folder is not a testbed's.
 */
export function testbedDistractors(root: string): RecordedDistractors | null {
  const manifest = readTestbedManifest(root);
  if (manifest?.runs === undefined) return null;
  const out: RecordedDistractors = { jobs: [], neighbours: [] };
  for (const run of manifest.runs) {
    if (run.distractors === undefined) return null;
    for (const j of run.distractors.jobs) out.jobs.push({ start: j.start, end: j.end });
    for (const n of run.distractors.noisyNeighbours) out.neighbours.push({ start: n.start, end: n.end });
  }
  return out;
}

/** A folder's testbed.json, or null when there is none (not a testbed's folder, or not finished). */
function readTestbedManifest(root: string): Partial<TestbedManifest> | null {
  const file = path.join(root, 'testbed.json');
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<TestbedManifest>;
  } catch (err) {
    throw new EadroError('Cannot read the testbed manifest.', { file, expected: 'JSON written by the testbed', found: (err as Error).message });
  }
}

/** Content checksums this process already computed, by absolute raw folder (hashing gigabytes once). */
const checksums = new Map<string, DatasetChecksum>();

/** Windows of a raw folder with the pipeline config (cached by config hash and data checksum). */
export async function windowsOf(rawRoot: string, pipeline: Record<string, unknown>): Promise<CachedBuild> {
  const build = await buildWindowDatasetCached(rawRoot, pipeline as Partial<WindowConfig>);
  checksums.set(path.resolve(rawRoot), build.checksum);
  return build;
}

/** The content checksum of a raw folder as it is now (hashed afresh, and remembered for rawDatasetInfo); null when absent. */
export function freshRawChecksum(rawRoot: string): DatasetChecksum | null {
  const abs = path.resolve(rawRoot);
  if (!fs.existsSync(abs)) return null;
  const checksum = checksumPath(abs);
  checksums.set(abs, checksum);
  return checksum;
}

/** Provenance of a raw folder: reuses the checksum its window build computed, else hashes it now. */
export function rawDatasetInfo(rawRoot: string, description: string): DatasetInfo {
  const abs = path.resolve(rawRoot);
  let checksum = checksums.get(abs);
  if (checksum === undefined && fs.existsSync(abs)) checksums.set(abs, (checksum = checksumPath(abs)));
  return { path: abs, checksum: checksum ?? null, description };
}
