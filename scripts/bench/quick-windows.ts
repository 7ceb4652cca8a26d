/**
 * What the per-method benchmarks share (ms-baselines.ts, trace-detectors.ts, localizers.ts): the main
 * job's `quick` testbed windows of a system with its `temporal` split (seed 0), and the provenance
 * every bench file records.
 */
import * as os from 'node:os';
import { codeVersion, machineInfo } from '../../src/core/manifest.js';
import { makeSplits, type ProtocolSplit } from '../../src/evaluation/protocols.js';
import { ensureTestbed, windowsOf } from '../../src/experiments/datasets.js';
import { reproduceDefaults } from '../../src/experiments/reproduce.js';
import type { WindowDataset } from '../../src/windows/types.js';

/** The main job's quick windows of `system` (made and cached on first use) and their temporal split. */
export async function quickTemporalSplit(system: 'TT' | 'SN'): Promise<{ ds: WindowDataset; split: ProtocolSplit }> {
  const quick = reproduceDefaults.quick;
  const root = await ensureTestbed(system, quick.profile, reproduceDefaults.testbedSeed);
  const ds = (await windowsOf(root, quick.pipeline)).dataset;
  return { ds, split: makeSplits(ds, { name: 'temporal' }, 0)[0]! };
}

/** Machine, load average, code version and date: the provenance fields of a bench file. */
export function benchProvenance(): Record<string, unknown> {
  return { machine: machineInfo(), loadAverage: os.loadavg(), code: codeVersion(), date: new Date().toISOString() };
}
