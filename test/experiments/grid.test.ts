import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EadroError } from '../../src/core/errors.js';
import { configHash } from '../../src/core/hash.js';
import { ablations, defineExperiment, validateExperiment } from '../../src/experiments/config.js';
import { expandGrid, loadExperimentFile } from '../../src/experiments/grid.js';

describe('experiments/grid', () => {
  it('expands the ablation grid: 5 variants x 2 systems x 5 seeds', () => {
    const e = defineExperiment({
      name: 'ablation',
      datasets: (['TT', 'SN'] as const).map((system) => ({ kind: 'testbed' as const, system, profile: 'quick', seed: 0 })),
      methods: ablations.map((ablation) => ({ name: 'eadro', variant: 'paper', ablation })),
      protocols: [{ name: 'temporal' }],
      seeds: [0, 1, 2, 3, 4],
    });
    const runs = expandGrid(e);
    assert.equal(runs.length, 50);
    assert.equal(new Set(runs.map((r) => r.configHash)).size, 10, 'one config hash per (system, ablation)');
    assert.equal(new Set(runs.map((r) => `${r.configHash}/${r.seed}`)).size, 50);
    for (const r of runs) assert.equal(r.configHash, configHash(r.spec), 'the hash is of the spec without the seed');
  });

  it('runs a method only under its onlyProtocols, with the same hash as without the field', () => {
    const base = { name: 'p', datasets: [{ kind: 'raw' as const, path: '/x', system: 'SN' as const }], protocols: [{ name: 'temporal' as const }, { name: 'reference-random' as const }], seeds: [0] };
    const e = defineExperiment({ ...base, methods: [{ name: 'eadro', ablation: 'without-logs' as const, onlyProtocols: ['temporal'] }, { name: 'eadro' }] });
    const runs = expandGrid(e);
    assert.deepEqual(runs.map((r) => `${r.spec.method.ablation ?? 'none'}/${r.spec.protocol.name}`), ['without-logs/temporal', 'none/temporal', 'none/reference-random']);
    assert.ok(!('onlyProtocols' in runs[0]!.spec.method), 'the field stays out of the run spec');
    const plain = expandGrid(defineExperiment({ ...base, methods: [{ name: 'eadro', ablation: 'without-logs' as const }] }));
    assert.equal(runs[0]!.configHash, plain[0]!.configHash, 'same run, same results folder');
    assert.throws(() => validateExperiment({ ...base, methods: [{ name: 'eadro', onlyProtocols: ['episode-disjoint'] }] }, 'e.ts'), /methods\[0\]\.onlyProtocols/);
  });

  it('refuses duplicate runs and names the bad field of an invalid config', () => {
    const dup = defineExperiment({ name: 'd', datasets: [{ kind: 'raw', path: '/x', system: 'TT' }], methods: [{ name: 'a' }, { name: 'a' }], protocols: [{ name: 'temporal' }], seeds: [0] });
    assert.throws(() => expandGrid(dup), EadroError);
    const bad = { name: 'x', datasets: [{ kind: 'testbed', system: 'XX', profile: 'quick', seed: 0 }], methods: [{ name: 'm' }], protocols: [{ name: 'temporal' }], seeds: [0] };
    assert.throws(() => validateExperiment(bad, 'exp.ts'), (err: unknown) => err instanceof EadroError && /field: datasets\[0\]\.system/.test(err.message) && /file: exp\.ts/.test(err.message));
    assert.throws(() => validateExperiment({ ...bad, datasets: [{ kind: 'raw', path: 'p', system: 'TT' }], protocols: [{ name: 'random' }] }, 'e'), /protocols\[0\]\.name/);
    assert.throws(() => validateExperiment({ ...bad, datasets: [{ kind: 'raw', path: 'p', system: 'TT' }], seeds: [-1] }, 'e'), /seeds\[0\]/);
    // paperData marks the released Eadro dataset (the tables then show the paper's values plainly).
    assert.doesNotThrow(() => validateExperiment({ ...bad, datasets: [{ kind: 'raw', path: 'p', system: 'TT', paperData: true }] }, 'e'));
    assert.throws(() => validateExperiment({ ...bad, datasets: [{ kind: 'testbed', system: 'TT', profile: 'quick', seed: 0, paperData: true }] }, 'e'), /datasets\[0\]\.paperData[\s\S]*on a raw dataset only/);
  });

  it('loads the typed experiment files in experiments/', async () => {
    for (const f of fs.readdirSync('experiments').filter((x) => x.endsWith('.ts'))) {
      const e = await loadExperimentFile(path.join('experiments', f));
      assert.ok(expandGrid(e).length > 0, f);
    }
  });

  it('loads JSON experiment files and reports unreadable ones', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-grid-'));
    const file = path.join(dir, 'e.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'j', datasets: [{ kind: 'raw', path: 'p', system: 'SN' }], methods: [{ name: 'all-anomalous' }], protocols: [{ name: 'temporal' }], seeds: [1, 2] }));
    assert.equal(expandGrid(await loadExperimentFile(file)).length, 2);
    await assert.rejects(loadExperimentFile(path.join(dir, 'missing.ts')), /Cannot load experiment file/);
  });
});
