/**
 * Glue shared by `eadro windows` and `eadro export`: the window part of a config file, per-stage
 * progress bars, and writing a built dataset with its report and manifest.
 */
import * as path from 'node:path';
import { writeJsonAtomic } from '../core/io.js';
import { finishManifest, startManifest } from '../core/manifest.js';
import { createProgress, type Progress } from '../core/progress.js';
import { readConfigFile } from '../cli/options.js';
import type { BuildProgress, WindowConfig } from './build.js';
import type { CachedBuild } from './cache.js';
import { exportNpy } from './export.js';

/**
 * The window config in a `--config` JSON file: its `windows` member if present (with a top-level `raw`
 * member used when `windows.raw` is absent, so one file can serve `eadro align` and `eadro windows`),
 * else the whole object.
 */
export function windowConfigFromFile(file: string | undefined): Partial<WindowConfig> {
  const all = readConfigFile(file);
  const section = all['windows'];
  if (section !== null && typeof section === 'object' && !Array.isArray(section)) {
    const cfg = { ...(section as Partial<WindowConfig>) };
    if (cfg.raw === undefined && all['raw'] !== undefined) cfg.raw = all['raw'] as WindowConfig['raw'];
    return cfg;
  }
  return all as Partial<WindowConfig>;
}

/** A BuildProgress that shows one bar per stage (src/core/progress.ts). */
export function stageProgressBars(): { onProgress: BuildProgress; stop: () => void } {
  let stage = '';
  let bar: Progress | null = null;
  let done = 0;
  const stop = (): void => {
    bar?.stop();
    bar = null;
  };
  const onProgress: BuildProgress = (name, d, total) => {
    if (name !== stage) {
      stop();
      stage = name;
      bar = createProgress(name, total);
      done = 0;
    }
    if (d > done) {
      bar?.tick(d - done);
      done = d;
    }
  };
  return { onProgress, stop };
}

/** Write a build as `.npy` + report.json + manifest.json into `out`. */
export function writeBuild(build: CachedBuild, rawDir: string, out: string, command: string, seed: number, startedAt: Date): void {
  const manifest = startManifest({
    command,
    config: build.config,
    seeds: [seed],
    datasets: [{ path: path.resolve(rawDir), checksum: build.checksum, description: 'raw telemetry' }],
    startedAt,
  });
  exportNpy(build.dataset, out, {
    provenance: {
      dataset: path.resolve(rawDir),
      datasetSha256: build.checksum.sha256,
      configHash: build.configHash,
      protocol: null,
      seeds: [seed],
      code: manifest.code,
    },
    modality_mask: build.report.modalityMask,
  }, build.counts);
  writeJsonAtomic(path.join(out, 'report.json'), build.report);
  finishManifest(manifest, out);
}
