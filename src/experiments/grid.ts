/**
 * Grid expansion: the cross product datasets × methods × protocols (less the protocols a method's
 * `onlyProtocols` leaves out), each with every seed. A run is
 * identified by the hash of its `RunSpec` (seed excluded, so the seeds of one configuration sit side
 * by side in `results/runs/<config-hash>/<seed>/`) and its seed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { configHash } from '../core/hash.js';
import { EadroError } from '../core/errors.js';
import { validateExperiment, type ExperimentConfig, type MethodSpec, type RunSpec } from './config.js';

export interface GridRun {
  spec: RunSpec;
  seed: number;
  /** Hash of `spec` (12 hex digits): the results folder name. */
  configHash: string;
}

/** A run's key in the store and in progress lines: `<config hash>/<seed>` (its folder under runs/). */
export function runKey(r: Pick<GridRun, 'configHash' | 'seed'>): string {
  return `${r.configHash}/${r.seed}`;
}

/** A method with its ablation, as tables of run times name it: `eadro/without-logs`, `n-sigma`. */
export function methodLabel(m: Pick<MethodSpec, 'name' | 'ablation'>): string {
  return m.ablation !== undefined && m.ablation !== 'none' ? `${m.name}/${m.ablation}` : m.name;
}

/** Every run of an experiment, in a stable order (datasets, then methods, then protocols, then seeds). */
export function expandGrid(e: ExperimentConfig): GridRun[] {
  const runs: GridRun[] = [];
  for (const dataset of e.datasets) {
    for (const { onlyProtocols, ...method } of e.methods) {
      for (const protocol of e.protocols) {
        if (onlyProtocols !== undefined && !onlyProtocols.includes(protocol.name)) continue;
        const spec: RunSpec = { dataset, pipeline: e.pipeline ?? {}, method, protocol };
        const hash = configHash(spec);
        for (const seed of e.seeds) runs.push({ spec, seed, configHash: hash });
      }
    }
  }
  const seen = new Set<string>();
  for (const r of runs) {
    const key = runKey(r);
    if (seen.has(key)) throw new EadroError('Experiment lists the same run twice.', { field: 'datasets/methods/protocols/seeds', found: key, expected: 'distinct values on every axis' });
    seen.add(key);
  }
  return runs;
}

/** Load a typed experiment file (a `.ts` module exporting `experiment`, or a JSON file). */
export async function loadExperimentFile(file: string): Promise<ExperimentConfig> {
  const abs = path.resolve(file);
  let value: unknown;
  try {
    if (abs.endsWith('.json')) {
      value = JSON.parse(fs.readFileSync(abs, 'utf8'));
    } else {
      const mod = (await import(pathToFileURL(abs).href)) as { experiment?: unknown; default?: unknown };
      value = mod.experiment ?? mod.default;
    }
  } catch (err) {
    throw new EadroError('Cannot load experiment file.', { file: abs, found: (err as Error).message });
  }
  return validateExperiment(value, abs);
}
