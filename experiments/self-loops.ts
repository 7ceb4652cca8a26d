/**
 * The reference variant with and without the official edge lists' self-loops (issue 27): the official
 * code builds its DGL graph from the hard-coded lists as given, 8 self-loops included (`as-listed`, the
 * default since session 14); before, our reference variant dropped them (`none`). Main job data and
 * budget, `temporal`, seeds 0-2. Results: `eadro grid experiments/self-loops.ts --out results/self-loops`.
 */
import { defineExperiment } from '../src/experiments/config.js';
import { reproduceDefaults } from '../src/experiments/reproduce.js';

const quick = reproduceDefaults.quick;

export const experiment = defineExperiment({
  name: 'self-loops',
  description: 'Eadro reference variant: official self-loops kept (as-listed) or dropped (none), quick TT and SN, temporal, seeds 0-2',
  datasets: reproduceDefaults.systems.map((system) => ({ kind: 'testbed' as const, system, profile: quick.profile, seed: reproduceDefaults.testbedSeed })),
  pipeline: quick.pipeline,
  methods: [
    { name: 'eadro', variant: 'reference', params: { ...quick.eadroParams } },
    { name: 'eadro', variant: 'reference', params: { ...quick.eadroParams, selfLoops: 'none' } },
  ],
  protocols: [{ name: 'temporal' }],
  seeds: [0, 1, 2],
});
