/**
 * A model trained by a grid opens like one trained by `eadro train`: the Eadro run keeps its selected
 * model in work/fold-0/model (weights + model-cli.json), and `eadro explain` / `eadro evaluate` take
 * the run folder itself as --model.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defineExperiment } from '../../src/experiments/config.js';
import { runExperiment } from '../../src/experiments/experiment.js';
import { openModelSection } from '../../src/experiments/reproduce.js';
import { listFinishedRuns } from '../../src/experiments/store.js';
import { simulate } from '../../src/testbed/index.js';

const BIN = path.resolve('bin/eadro.js');
const eadro = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, EADRO_QUIET: '1', EADRO_BACKEND: 'wasm' } });

describe('experiments: models trained by a grid open in eadro explain and evaluate', function () {
  this.timeout(300_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-grid-models-'));
  let runFolder = '';
  let testWindow = -1;

  before(async () => {
    const raw = path.join(tmp, 'raw');
    await simulate({ system: 'sn', profile: 'tiny', seed: 0, out: raw });
    const e = defineExperiment({
      name: 'grid-models',
      description: 'one short Eadro run on tiny SN',
      datasets: [{ kind: 'raw', path: raw, system: 'SN' }],
      methods: [{ name: 'eadro', variant: 'paper', params: { maxEpochs: 1, batchSize: 64 } }],
      protocols: [{ name: 'temporal' }],
      seeds: [0],
    });
    const r = await runExperiment(e, { resultsDir: path.join(tmp, 'store'), poolSize: 0, tables: { resamples: 50 } });
    assert.equal(r.summary.failed.length, 0, JSON.stringify(r.summary.failed));
    const run = listFinishedRuns(path.join(tmp, 'store'))[0]!;
    runFolder = run.dir;
    testWindow = run.predictions.windows.find((w, i) => run.predictions.labels[i]! >= 0) ?? run.predictions.windows[0]!;
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('the run keeps its selected model as a model folder', () => {
    const meta = JSON.parse(fs.readFileSync(path.join(runFolder, 'work', 'fold-0', 'model', 'model-cli.json'), 'utf8')) as { data: { path: string; sha256: string | null }; split: { test: number[] } };
    assert.equal(meta.data.path, path.join(tmp, 'raw'));
    assert.match(String(meta.data.sha256), /^[0-9a-f]{64}$/);
    assert.ok(meta.split.test.includes(testWindow));
  });

  it('eadro explain --model <run folder> ranks the services of a test window', () => {
    const r = eadro('explain', '--model', runFolder, '--window', String(testWindow));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /anomaly probability/);
    assert.ok(r.stdout.split('\n').filter((l) => /^\s+\d+\. /.test(l)).length >= 5);
  });

  it('eadro evaluate --model <run folder> scores its test split', () => {
    const r = eadro('evaluate', '--model', runFolder);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /F1/);
  });

  it("the main job's report names the commands that open it", () => {
    const runs = listFinishedRuns(path.join(tmp, 'store'));
    const lines = openModelSection(runs.map((r) => ({ ...r, metrics: { ...r.metrics, spec: { ...r.metrics.spec, dataset: { kind: 'testbed', system: 'SN', profile: 'tiny', seed: 0 } } } })) as typeof runs);
    const text = lines.join('\n');
    assert.match(text, /## Open a trained model/);
    // The store is under the system's temporary folder, outside the working directory: an absolute path.
    assert.ok(text.includes(`eadro explain --model ${runFolder} --window ${testWindow}`), text);
    assert.ok(text.includes(`eadro evaluate --model ${runFolder}`));
    assert.deepEqual(openModelSection([]), [], 'no Eadro run, no section');
  });

  it('a folder that is neither names both layouts it looked for', () => {
    const r = eadro('evaluate', '--model', tmp);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Not a trained model folder[\s\S]*field: --model[\s\S]*runs-store\/runs\/<hash>\/<seed>/);
  });
});
