/**
 * The derived multi-source baselines (paper §V-B2) at Eadro's budget: MS-RF, MS-SVM, and MS-LSTM and
 * MS-DCC trained as the main job trains Eadro (batch 32, up to 20 epochs, patience 8; the main job gives
 * them a smaller budget to stay inside its 15 minutes), on the quick TT and SN testbeds under
 * `temporal`, seeds 0-2, beside Eadro's seed spread (experiments/seed-spread.ts).
 * Results: `eadro grid experiments/ms-baselines.ts --out results/ms-baselines`.
 */
import { defineExperiment } from '../src/experiments/config.js';
import { MS_BASELINES, reproduceDefaults } from '../src/experiments/reproduce.js';

const quick = reproduceDefaults.quick;

export const experiment = defineExperiment({
  name: 'ms-baselines',
  description: "MS-RF, MS-SVM, MS-LSTM, MS-DCC (the deep ones at Eadro's quick budget) on quick TT and SN, temporal, seeds 0-2",
  datasets: reproduceDefaults.systems.map((system) => ({ kind: 'testbed' as const, system, profile: quick.profile, seed: reproduceDefaults.testbedSeed })),
  pipeline: quick.pipeline,
  methods: [
    ...MS_BASELINES.map((name) => (name === 'ms-lstm' || name === 'ms-dcc' ? { name, params: { ...quick.eadroParams } } : { name })),
    { name: 'all-anomalous' },
    { name: 'random-guess' },
  ],
  protocols: [{ name: 'temporal' }],
  seeds: [0, 1, 2],
});
