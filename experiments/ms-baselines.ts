/**
 * How much one seed says for the derived multi-source baselines (paper §V-B2): MS-RF, MS-SVM, MS-LSTM
 * and MS-DCC with the main job's budget on the quick TT and SN testbeds under `temporal`, seeds 0-2,
 * beside Eadro's seed spread (experiments/seed-spread.ts). The main job runs one seed of each.
 * Results: `eadro grid experiments/ms-baselines.ts --out results/ms-baselines`.
 */
import { defineExperiment } from '../src/experiments/config.js';
import { MS_BASELINES, reproduceDefaults } from '../src/experiments/reproduce.js';

const quick = reproduceDefaults.quick;

export const experiment = defineExperiment({
  name: 'ms-baselines',
  description: 'MS-RF, MS-SVM, MS-LSTM, MS-DCC at the quick budget on quick TT and SN, temporal, seeds 0-2',
  datasets: reproduceDefaults.systems.map((system) => ({ kind: 'testbed' as const, system, profile: quick.profile, seed: reproduceDefaults.testbedSeed })),
  pipeline: quick.pipeline,
  methods: [
    ...MS_BASELINES.map((name) => (name === 'ms-lstm' || name === 'ms-dcc' ? { name, params: { ...quick.msDeepParams } } : { name })),
    { name: 'all-anomalous' },
    { name: 'random-guess' },
  ],
  protocols: [{ name: 'temporal' }],
  seeds: [0, 1, 2],
});
