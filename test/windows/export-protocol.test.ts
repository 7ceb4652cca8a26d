import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeSplits } from '../../src/evaluation/protocols.js';
import { prepareEadroData } from '../../src/experiments/methods/eadro.js';
import { buildWindowDatasetCached } from '../../src/windows/cache.js';
import { loadNpy, readNpyMeta } from '../../src/windows/export.js';
import { writeFixture } from './fixture.js';

const HAVE_NUMPY = spawnSync('python3', ['-c', 'import numpy']).status === 0;

describe('cli: eadro export --protocol (what eadro train trains on, for a PyTorch user)', function () {
  this.timeout(120_000);

  it('writes the split, the train-fitted normalised arrays with their statistics and the variant\'s graph, equal to the trainer\'s', async function () {
    const root = writeFixture();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-export-protocol-'));
    const cacheDir = path.join(work, 'cache');
    const out = path.join(work, 'out');
    const r = spawnSync(process.execPath, ['bin/eadro.js', 'export', root, '--protocol', 'temporal', '--seed', '0', '--variant', 'reference', '--out', out], {
      encoding: 'utf8', env: { ...process.env, EADRO_QUIET: '1', EADRO_CACHE_DIR: cacheDir },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /train \/ \d+ validation \/ \d+ test windows \(temporal, seed 0, fold 0\), reference variant's graph/);

    // What the trainer prepares from the same windows (the cache the export filled).
    const build = await buildWindowDatasetCached(root, { seed: 0 }, { cacheDir });
    const split = makeSplits(build.dataset, { name: 'temporal' }, 0)[0]!;
    const prepared = prepareEadroData(build.dataset, split, 'reference');
    const exported = loadNpy(out);
    const meta = readNpyMeta(out);
    assert.deepEqual(meta.split, { train: split.train, val: split.val, test: split.test });
    assert.equal((meta['protocol'] as { name: string }).name, 'temporal');
    assert.equal(meta.normalization, 'train-fitted');
    assert.deepEqual(exported.metrics, prepared.data.metrics, 'KPIs as the trainer normalises them');
    assert.deepEqual(exported.traces, prepared.data.traces);
    assert.deepEqual(exported.edges, prepared.data.edges, "the reference variant's graph");
    const stats = JSON.parse(fs.readFileSync(path.join(out, 'normalization-stats.json'), 'utf8')) as { fittedOn: number; metricMean: number[] };
    assert.equal(stats.fittedOn, split.train.length);
    assert.equal(stats.metricMean.length, prepared.normStats!.metricMean.length);

    if (!HAVE_NUMPY) {
      console.log('      NumPy part skipped: python3 has no numpy (apt-get install python3-numpy)');
      return;
    }
    // A NumPy user: load the arrays, take the train windows from meta.json, and see them normalised.
    const py = spawnSync('python3', ['-c', `
import json, numpy as np, sys
d = sys.argv[1]
meta = json.load(open(d + '/meta.json'))
m = np.load(d + '/metrics.npy')
train = np.array(meta['split']['train'])
print(json.dumps({'shape': list(m.shape), 'train': int(train.size), 'first': float(m[train[0], 0, 0, 0]), 'mean': float(m[train].astype(np.float64).mean())}))
`, out], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    const seen = JSON.parse(py.stdout) as { shape: number[]; train: number; first: number; mean: number };
    const N = prepared.data.nodes.length;
    const K = prepared.data.metricNames.length;
    assert.deepEqual(seen.shape, [prepared.data.W, N, 10, K]);
    assert.equal(seen.train, split.train.length);
    assert.equal(seen.first, prepared.data.metrics[split.train[0]! * N * 10 * K]);
    assert.ok(Math.abs(seen.mean) < 0.05, `train KPIs z-scored (mean ${seen.mean})`);
  });
});
