/**
 * Datasets of the harness by spec: the built-in testbed (simulated once per system/profile/seed into
 * the data folder, then reused) and raw folders in the released layout, both turned into windows by
 * the cached window builder (`src/windows/cache.ts`), so every run of a grid shares one build.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulate } from '../testbed/index.js';
import { buildWindowDatasetCached, type CachedBuild } from '../windows/cache.js';
import type { WindowConfig } from '../windows/build.js';
import { checksumPath, type DatasetChecksum } from '../core/hash.js';
import type { DatasetInfo } from '../core/manifest.js';

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
 * Simulate the testbed dataset unless a finished one is there (`testbed.json` is written last).
 * Returns its folder.
 */
export async function ensureTestbed(
  system: 'TT' | 'SN',
  profile: string,
  seed: number,
  onProgress?: (done: number, total: number) => void,
): Promise<string> {
  const root = testbedRoot(system, profile, seed);
  if (fs.existsSync(path.join(root, 'testbed.json'))) return root;
  fs.rmSync(root, { recursive: true, force: true });
  await simulate({ system: system === 'TT' ? 'tt' : 'sn', profile: profile as 'paper' | 'quick' | 'tiny', seed, out: root, onProgress });
  return root;
}

/** Content checksums this process already computed, by absolute raw folder (hashing gigabytes once). */
const checksums = new Map<string, DatasetChecksum>();

/** Windows of a raw folder with the pipeline config (cached by config hash and data checksum). */
export async function windowsOf(rawRoot: string, pipeline: Record<string, unknown>): Promise<CachedBuild> {
  const build = await buildWindowDatasetCached(rawRoot, pipeline as Partial<WindowConfig>);
  checksums.set(path.resolve(rawRoot), build.checksum);
  return build;
}

/** Provenance of a raw folder: reuses the checksum its window build computed, else hashes it now. */
export function rawDatasetInfo(rawRoot: string, description: string): DatasetInfo {
  const abs = path.resolve(rawRoot);
  let checksum = checksums.get(abs);
  if (checksum === undefined && fs.existsSync(abs)) checksums.set(abs, (checksum = checksumPath(abs)));
  return { path: abs, checksum: checksum ?? null, description };
}
