/**
 * How much one seed says: Eadro (paper variant) with the main job's quick budget on the quick TT and SN
 * testbeds under `temporal`, seeds 0-9, beside the trivial rows. The main job runs one seed; this grid
 * gives the spread its single figures sit in, and the tfjs side of the comparison with the PyTorch
 * port trained on the same prepared windows with the same budget (scripts/pytorch/summarize.ts
 * --store results/seed-spread). Results: `eadro grid experiments/seed-spread.ts --out results/seed-spread`.
 */
import { defineExperiment } from '../src/experiments/config.js';
import { reproduceDefaults } from '../src/experiments/reproduce.js';

const quick = reproduceDefaults.quick;

export const experiment = defineExperiment({
  name: 'seed-spread',
  description: 'Eadro (paper) at the quick budget on quick TT and SN, temporal, seeds 0-9',
  datasets: reproduceDefaults.systems.map((system) => ({ kind: 'testbed' as const, system, profile: quick.profile, seed: reproduceDefaults.testbedSeed })),
  pipeline: quick.pipeline,
  methods: [{ name: 'eadro', variant: 'paper', params: { ...quick.eadroParams } }, { name: 'all-anomalous' }, { name: 'random-guess' }],
  protocols: [{ name: 'temporal' }],
  seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
});
