/**
 * Our extension, not the paper: does small-loss selection (EadroConfig.labelNoiseForget) help Eadro
 * when faulty windows carry no symptom of their fault? On the `quick` testbed (1.3) 17 % of TT's faulty
 * test windows are silent (a network fault on a service nobody called in those seconds) and 7 % of
 * SN's (`eadro reproduce` report, "How detectable the faults are": 131 of 774 and 11 of 168). Eadro, paper variant, with the main
 * job's quick budget, leaving out 0 / 10 / 20 % of the faulty-labelled training windows per epoch;
 * the trivial rows for scale. Results: `eadro grid experiments/label-noise.ts --out results/label-noise`,
 * then results/label-noise/tables/temporal/table4.md (the Variant column shows the share).
 */
import { defineExperiment, type MethodSpec } from '../src/experiments/config.js';
import { reproduceDefaults } from '../src/experiments/reproduce.js';

const quick = reproduceDefaults.quick;
const shares = [0, 0.1, 0.2];

export const experiment = defineExperiment({
  name: 'label-noise',
  description: 'Eadro (paper) with small-loss selection at 0 / 0.1 / 0.2 on quick TT and SN, temporal, 3 seeds',
  datasets: reproduceDefaults.systems.map((system) => ({ kind: 'testbed' as const, system, profile: quick.profile, seed: reproduceDefaults.testbedSeed })),
  pipeline: quick.pipeline,
  methods: [
    ...shares.map((share): MethodSpec => ({
      name: 'eadro',
      variant: 'paper',
      params: share === 0 ? { ...quick.eadroParams } : { ...quick.eadroParams, labelNoiseForget: share },
    })),
    { name: 'all-anomalous' },
    { name: 'random-guess' },
  ],
  protocols: [{ name: 'temporal' }],
  seeds: [0, 1, 2],
});
