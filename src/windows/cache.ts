/**
 * Cache of built window datasets under `results/cache/windows/` (gitignored), keyed by the hash of the
 * fully resolved config (window + raw reader defaults filled in, plus the builder's format version) and
 * the content checksum of the raw root (src/core/hash.ts). A rerun with the same config and data loads
 * the `.npy` directory instead of rebuilding. Entries are written to a temporary folder and renamed
 * into place, so a crash never leaves a half entry that would later be trusted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checksumPath, configHash, type DatasetChecksum } from '../core/hash.js';
import { publishDir, stagingSibling, writeJsonAtomic } from '../core/io.js';
import { normalizeRawConfig } from '../raw/index.js';
import { buildWindowDataset, normalizeWindowConfig, type BuildProgress, type BuildReport, type WindowConfig, type WindowCounts } from './build.js';
import { exportNpy, isNpyDir, loadNpy, loadNpyCounts } from './export.js';
import type { WindowDataset } from './types.js';

/** Bumped whenever the builder's output for the same config and data changes. */
export const WINDOW_BUILDER_VERSION = 7; // 2: Drain threshold per variant (build.ts resolvedDrainOptions); 3: log template counts per second (logCounts); 4: whole traces (traceSet); 5: absent inputs per run in the report; 6: windows without requests counted per run; 7: fault-free runs span their traffic, request-less normal windows left out by default

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const windowCacheDefaults = {
  /** results/cache/windows under the project root (ours; results/cache/ is gitignored); EADRO_CACHE_DIR overrides. */
  dir: path.join(PROJECT_ROOT, 'results', 'cache', 'windows'),
} as const;

export interface CachedBuildOptions {
  cacheDir?: string;
  /** Ignore an existing entry and rebuild (the entry is replaced). */
  refresh?: boolean;
  /** Do not read or write the cache. */
  noCache?: boolean;
  onProgress?: BuildProgress;
}

export interface CachedBuild {
  dataset: WindowDataset;
  report: BuildReport;
  /** [W, N, T] span counts per window (see WindowCounts). */
  counts: WindowCounts;
  /** The resolved config that was hashed. */
  config: WindowConfig;
  configHash: string;
  checksum: DatasetChecksum;
  /** Cache entry folder (null with noCache). */
  entry: string | null;
  fromCache: boolean;
}

/** Resolved config (raw defaults filled too) as hashed for the cache and manifests. */
export function resolvedWindowConfig(partial: Partial<WindowConfig> = {}): WindowConfig {
  const cfg = normalizeWindowConfig(partial);
  return { ...cfg, raw: normalizeRawConfig(cfg.raw) };
}

/** The hash of a window config as the cache and manifests record it (windowConfigHash). */
export function windowConfigHashOf(partial: Partial<WindowConfig> = {}): string {
  return configHash({ builder: WINDOW_BUILDER_VERSION, config: resolvedWindowConfig(partial) });
}

/** The cache key of a config and a raw root checksum. */
export function windowCacheKey(config: WindowConfig, checksum: DatasetChecksum): string {
  return `${configHash({ builder: WINDOW_BUILDER_VERSION, config })}-${checksum.sha256.slice(0, 12)}`;
}

/** Build, or load from the cache when an entry for the same config and data exists. */
export async function buildWindowDatasetCached(
  rawRoot: string,
  partial: Partial<WindowConfig> = {},
  options: CachedBuildOptions = {},
): Promise<CachedBuild> {
  const config = resolvedWindowConfig(partial);
  const hash = windowConfigHashOf(config);
  const checksum = checksumPath(path.resolve(rawRoot));
  if (options.noCache === true) {
    const { dataset, report, counts } = await buildWindowDataset(rawRoot, config, options.onProgress);
    report.configHash = hash;
    return { dataset, report, counts, config, configHash: hash, checksum, entry: null, fromCache: false };
  }
  const dir = options.cacheDir ?? process.env['EADRO_CACHE_DIR'] ?? windowCacheDefaults.dir;
  const entry = path.join(dir, windowCacheKey(config, checksum));
  const reportFile = path.join(entry, 'report.json');
  // A finished entry this call may use (written whole by publishDir, by this process or another).
  const entryIsUsable = (): boolean => options.refresh !== true && isNpyDir(entry) && fs.existsSync(reportFile);
  const cachedCounts = entryIsUsable() ? loadNpyCounts(entry) : null;
  if (cachedCounts !== null) {
    const dataset = loadNpy(entry);
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as BuildReport;
    return { dataset, report, counts: cachedCounts, config, configHash: hash, checksum, entry, fromCache: true };
  }
  const { dataset, report, counts } = await buildWindowDataset(rawRoot, config, options.onProgress);
  report.configHash = hash;
  const tmp = stagingSibling(entry, 'tmp');
  fs.rmSync(tmp, { recursive: true, force: true });
  exportNpy(dataset, tmp, {
    provenance: { source: path.resolve(rawRoot), configHash: hash, datasetSha256: checksum.sha256, builderVersion: WINDOW_BUILDER_VERSION },
    modality_mask: report.modalityMask,
  }, counts);
  writeJsonAtomic(path.join(tmp, 'report.json'), report);
  // Another process may have built the same entry meanwhile: then its copy stays (same inputs, same bytes).
  publishDir(tmp, entry, entryIsUsable);
  return { dataset, report, counts, config, configHash: hash, checksum, entry, fromCache: false };
}
