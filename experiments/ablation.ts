/**
 * Paper Table IV: Eadro and its four ablations (paper §V-G) on both systems, 5 seeds
 * (protocol.md §4.2: at least 5 per configuration), under the honest and the reference protocol.
 * Needs the `eadro` method and testbed datasets in src/experiments/registry.ts.
 */
import { ablations, defineExperiment } from '../src/experiments/config.js';

export const experiment = defineExperiment({
  name: 'ablation',
  description: 'Table IV: {full, w/o logs, w/o KPIs, w/o traces, w/o graph} x {TT, SN} x 5 seeds',
  datasets: [
    { kind: 'testbed', system: 'TT', profile: 'quick', seed: 0 },
    { kind: 'testbed', system: 'SN', profile: 'quick', seed: 0 },
  ],
  methods: ablations.map((ablation) => ({ name: 'eadro', variant: 'paper', ablation })),
  protocols: [{ name: 'temporal' }, { name: 'reference-random' }],
  seeds: [0, 1, 2, 3, 4],
});
