/**
 * Fig. 7's input from a results store: the fused representations H_F of the abnormal test windows of
 * Eadro's stored models (full model and ablations, paper variant, `temporal`), each recomputed from
 * the run's selected checkpoint on the same data, split and normalisation as the run. Used by the main
 * job's report (reproduce.ts) and notebook 04 (notebook-support.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeSplits, type ProtocolSplit } from '../evaluation/protocols.js';
import type { RepresentationSet } from '../figures/model-figures.js';
import { disposeEadro, loadCheckpoint, predictAsync, type Prediction } from '../models/eadro/index.js';
import type { WindowDataset } from '../windows/types.js';
import type { Ablation } from './config.js';
import { ensureTestbed, windowsOf } from './datasets.js';
import { normalisedCopy } from './methods/eadro.js';
import type { StoredRun } from './store.js';

export type SystemName = 'TT' | 'SN';

/** Readable names of the ablations (paper Table IV rows). */
export const ablationLabels: Record<Ablation, string> = {
  none: 'Eadro',
  'without-logs': 'Eadro w/o logs',
  'without-kpis': 'Eadro w/o KPIs',
  'without-traces': 'Eadro w/o traces',
  'without-graph': 'Eadro w/o graph',
};

/**
 * A copy whose KPIs and latency are z-scored with statistics of the training windows only (the same
 * code as the Eadro method of the harness, src/experiments/methods/eadro.ts), leaving `ds` untouched.
 */
export function trainNormalised(ds: WindowDataset, train: readonly number[]): WindowDataset {
  return normalisedCopy(ds, train).data;
}

/** Which windows of a split are abnormal test windows (label >= 0), in split order. */
export function abnormalTestWindows(ds: WindowDataset, split: Pick<ProtocolSplit, 'test'>): number[] {
  return split.test.filter((w) => (ds.labels[w] as number) >= 0);
}

/** The finished temporal run of Eadro (paper variant) with this ablation on `system`, with a best checkpoint. */
export function storedCheckpointRun(runs: readonly StoredRun[], system: SystemName, ablation: Ablation): { run: StoredRun; checkpoint: string } | null {
  for (const run of runs) {
    const spec = run.metrics.spec;
    if (spec.method.name !== 'eadro' || (spec.method.variant ?? 'paper') !== 'paper' || (spec.method.ablation ?? 'none') !== ablation) continue;
    if (spec.protocol.name !== 'temporal' || spec.dataset.system !== system || spec.dataset.kind !== 'testbed') continue;
    const checkpoint = path.join(run.dir, 'work', 'fold-0', 'checkpoints', 'best');
    if (fs.existsSync(path.join(checkpoint, 'metadata.json'))) return { run, checkpoint };
  }
  return null;
}

/** One stored model's predictions on its run's abnormal test windows (testbed runs). */
export interface StoredRepresentation {
  ablation: Ablation;
  ds: WindowDataset;
  /** [B] dataset indices, in prediction order. */
  windows: number[];
  prediction: Prediction;
  epoch: number;
  checkpoint: string;
}

/**
 * `windows`: datasets already loaded, by dataset and pipeline (the variants of one figure share their
 * windows: each is read from the cache once).
 */
export async function storedRepresentation(stored: { run: StoredRun; checkpoint: string }, ablation: Ablation, windowsCache: Map<string, WindowDataset> = new Map()): Promise<StoredRepresentation> {
  const spec = stored.run.metrics.spec;
  const d = spec.dataset as { system: SystemName; profile: string; seed: number };
  const key = JSON.stringify([d, spec.pipeline]);
  let ds = windowsCache.get(key);
  if (ds === undefined) {
    ds = (await windowsOf(await ensureTestbed(d.system, d.profile, d.seed), spec.pipeline)).dataset;
    windowsCache.set(key, ds);
  }
  const split = makeSplits(ds, spec.protocol, stored.run.metrics.seed)[0] as ProtocolSplit;
  const data = trainNormalised(ds, split.train);
  const windows = abnormalTestWindows(ds, split);
  const loaded = loadCheckpoint(stored.checkpoint);
  try {
    const prediction = await predictAsync(loaded.model, data, windows);
    return { ablation, ds, windows, prediction, epoch: loaded.metadata.epoch, checkpoint: stored.checkpoint };
  } finally {
    disposeEadro(loaded.model);
    loaded.adam?.dispose();
  }
}

/** A Fig. 7 panel's input: H_F rows and root causes of the predicted windows. */
export function representationSet(ablation: Ablation, ds: WindowDataset, windows: readonly number[], prediction: Prediction): RepresentationSet {
  const n = prediction.fusedDim;
  return {
    variant: ablationLabels[ablation],
    rows: windows.map((_, b) => prediction.fused.subarray(b * n, (b + 1) * n)),
    rootCauses: windows.map((w) => ds.nodes[ds.labels[w] as number] as string),
  };
}
