/**
 * The trivial baselines alone (no model code needed): chance rows for every table, quick to run.
 */
import { defineExperiment } from '../src/experiments/config.js';

export const experiment = defineExperiment({
  name: 'trivial-baselines',
  description: 'all-anomalous and random-guess on both systems under temporal and reference-random',
  datasets: [
    { kind: 'testbed', system: 'TT', profile: 'quick', seed: 0 },
    { kind: 'testbed', system: 'SN', profile: 'quick', seed: 0 },
  ],
  methods: [{ name: 'all-anomalous' }, { name: 'random-guess' }],
  protocols: [{ name: 'temporal' }, { name: 'reference-random' }],
  seeds: [0, 1, 2, 3, 4],
});
