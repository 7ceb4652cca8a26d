import { strict as assert } from 'node:assert';
import { protocolComparison, reproduceExperiment } from '../../src/experiments/reproduce.js';
import { expandGrid } from '../../src/experiments/grid.js';
import type { StoredRun } from '../../src/experiments/store.js';

describe('experiments/reproduce', () => {
  it('quick: Eadro under two protocols, its 4 ablations under temporal, 2 trivial baselines and 3 Table I detectors, on TT and SN', () => {
    const e = reproduceExperiment('quick');
    assert.deepEqual(e.datasets.map((d) => d.system), ['TT', 'SN']);
    assert.ok(e.datasets.every((d) => d.kind === 'testbed' && d.profile === 'quick'));
    assert.deepEqual(e.methods.filter((m) => m.name === 'eadro').map((m) => m.ablation), ['none', 'without-logs', 'without-kpis', 'without-traces', 'without-graph']);
    assert.deepEqual(e.protocols.map((p) => p.name), ['temporal', 'reference-random']);
    // Per system: full Eadro, the 2 trivial baselines and N-sigma, SPOT, FE+ML under both protocols, the 4 ablations under temporal.
    assert.deepEqual(e.methods.filter((m) => m.name !== 'eadro').map((m) => m.name), ['all-anomalous', 'random-guess', 'n-sigma', 'spot', 'fe-ml']);
    const runs = expandGrid(e);
    assert.equal(runs.length, (6 * 2 + 4) * 2 * e.seeds.length);
    assert.ok(runs.filter((r) => (r.spec.method.ablation ?? 'none') !== 'none').every((r) => r.spec.protocol.name === 'temporal'));
  });

  it('full: paper profile, 5 seeds, paper epochs; overrides apply', () => {
    const e = reproduceExperiment('full');
    assert.ok(e.datasets.every((d) => d.kind === 'testbed' && d.profile === 'paper'));
    assert.deepEqual(e.seeds, [0, 1, 2, 3, 4]);
    assert.equal(expandGrid(e).length, 10 * 2 * 2 * 5, 'every ablation under every protocol');
    const o = reproduceExperiment('quick', { seeds: [7, 8], maxEpochs: 2 });
    assert.deepEqual(o.seeds, [7, 8]);
    assert.equal((o.methods[0]!.params as { maxEpochs: number }).maxEpochs, 2);
  });

  it('compares the protocols from stored runs, only for the full Eadro model', () => {
    const run = (system: 'TT' | 'SN', protocol: string, ablation: string, f1: number): StoredRun =>
      ({
        dir: '',
        predictions: {} as never,
        metrics: {
          seed: 0,
          spec: { dataset: { kind: 'testbed', system, profile: 'quick', seed: 0 }, pipeline: {}, method: { name: 'eadro', ablation }, protocol: { name: protocol } },
          metrics: { 'det.f1': f1, 'ref.hr@1': null },
        },
      }) as unknown as StoredRun;
    const table = protocolComparison([run('TT', 'temporal', 'none', 0.5), run('TT', 'reference-random', 'none', 0.9), run('TT', 'temporal', 'without-logs', 0.1)]);
    const f1Row = table.split('\n').find((l) => l.startsWith('| TT | F1 (TN counted)'))!;
    assert.equal(f1Row, '| TT | F1 (TN counted) | 0.500 | 0.900 | +0.400 |');
    assert.match(table, /\| TT \| HR@1 as codes\/base\.py computes it \| n\/a \| n\/a \| n\/a \|/);
    assert.match(table, /\| SN \| F1 \(TN counted\) \| n\/a \| n\/a \| n\/a \|/);
  });
});
