/**
 * scripts/pytorch/summarize.ts: port results scored by src/evaluation, grouped by variant and budget,
 * mean ± sd over seeds; results that do not belong to --data are refused with file and field.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeSyntheticWindows } from '../../src/models/synthetic.js';
import { exportNpy } from '../../src/windows/export.js';
import { computeMetrics } from '../../src/evaluation/metrics.js';
import { createRng } from '../../src/core/rng.js';
import { EadroError } from '../../src/core/errors.js';
import { loadWindows } from '../../src/experiments/model-cli.js';
import { main as summarize, type GroupSummary } from '../../scripts/pytorch/summarize.js';
import { tinyData } from '../testbed/fixtures.js';

describe('scripts/pytorch/summarize.ts', () => {
  let dir = '';
  const test = Array.from({ length: 40 }, (_, i) => 50 + i);
  const ds = makeSyntheticWindows({ N: 5, T: 6, K: 3, E: 4, W: 90, seed: 11 });

  /** A port result: P(anomalous) and a top-5 ranking per test window, drawn from a seeded RNG. */
  function portResult(seed: number, batchSize: number, W = ds.W): Record<string, unknown> {
    const rng = createRng(seed);
    return {
      format: 'eadro-ts-pytorch-result/1',
      mode: 'train',
      seed,
      bestEpoch: 3,
      epochsRun: 5,
      divergedAtEpoch: seed === 1 ? 5 : null,
      device: 'cuda',
      environment: { torch: '2.11.0', gpu: 'NVIDIA H200' },
      dataset: { W, N: 5, provenance: null },
      model: { config: { variant: 'paper', batchSize, maxEpochs: 20, patience: 8, learningRate: 1e-3 } },
      predictions: {
        windows: test,
        anomalyProbability: test.map(() => rng.next()),
        top5: test.map(() => rng.shuffle([0, 1, 2, 3, 4])),
      },
    };
  }

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-summarize-'));
    exportNpy(ds, path.join(dir, 'windows'));
    for (const [seed, batch] of [[0, 32], [1, 32], [2, 256]] as const) {
      fs.writeFileSync(path.join(dir, `train-${seed}.json`), JSON.stringify(portResult(seed, batch)));
    }
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('scores each result with computeMetrics and groups them by variant and budget', async () => {
    const out = path.join(dir, 'summary.json');
    await summarize(['--data', path.join(dir, 'windows'), '--out', out, ...[0, 1, 2].map((s) => path.join(dir, `train-${s}.json`))], () => {});
    const summary = JSON.parse(fs.readFileSync(out, 'utf8')) as { groups: GroupSummary[]; trivial: { testWindows: number; prevalence: number; allAnomalousF1: number; randomHR1: number } };
    assert.deepEqual(summary.groups.map((g) => [g.group, g.runs.length]), [['PyTorch port paper batch 32, 20 epochs, patience 8', 2], ['PyTorch port paper batch 256, 20 epochs, patience 8', 1]]);
    const labels = test.map((w) => ds.labels[w]!);
    const expected = [0, 1].map((seed) => {
      const r = portResult(seed, 32) as { predictions: { anomalyProbability: number[]; top5: number[][] } };
      return computeMetrics({ labels, anomalyScore: r.predictions.anomalyProbability, predictedAnomalous: r.predictions.anomalyProbability.map((p) => p >= 0.5), ranking: r.predictions.top5 });
    });
    const g = summary.groups[0]!;
    for (const key of ['det.f1', 'det.mcc', 'det.prAuc', 'loc.e2e.hr@1']) {
      assert.equal(g.runs[0]!.metrics[key], expected[0]![key], key);
      const a = expected[0]![key]!;
      const b = expected[1]![key]!;
      assert.ok(Math.abs(g.mean[key]! - (a + b) / 2) < 1e-12, `${key} mean`);
      assert.ok(Math.abs(g.sd[key]! - Math.abs(a - b) / Math.SQRT2) < 1e-12, `${key} sd (n - 1)`);
    }
    assert.equal(g.runs[1]!.divergedAtEpoch, 5);
    assert.equal(g.runs[0]!.ranOn, 'cuda, NVIDIA H200, torch 2.11.0');
    assert.equal(summary.groups[1]!.sd['det.f1'], null); // one seed: no spread
    const prevalence = labels.filter((l) => l >= 0).length / labels.length;
    assert.equal(summary.trivial.testWindows, 40);
    assert.ok(Math.abs(summary.trivial.prevalence - prevalence) < 1e-12);
    assert.ok(Math.abs(summary.trivial.allAnomalousF1 - (2 * prevalence) / (1 + prevalence)) < 1e-12);
    assert.ok(Math.abs(summary.trivial.randomHR1 - 1 / 5) < 1e-12);
  });

  it('--store adds our grid runs made from the same data, scored by the same code; other data is skipped', async () => {
    const checksum = (await loadWindows(path.join(dir, 'windows'))).info.checksum?.sha256 ?? null;
    assert.ok(checksum !== null);
    const store = path.join(dir, 'store');
    const rng = createRng(7);
    const anomalyScore = test.map(() => rng.next());
    const predictedAnomalous = anomalyScore.map((x) => x >= 0.5);
    const ranking = test.map(() => rng.shuffle([0, 1, 2, 3, 4]));
    const labels = test.map((w) => ds.labels[w]!);
    const writeRun = (hash: string, seed: number, sha: string, ablation = 'none'): void => {
      const runDir = path.join(store, 'runs', hash, String(seed));
      fs.mkdirSync(runDir, { recursive: true });
      const spec = { dataset: { kind: 'testbed', system: 'SN', profile: 'quick', seed: 0 }, pipeline: {}, method: { name: 'eadro', variant: 'paper', ablation, params: { maxEpochs: 20, patience: 8, batchSize: 32 } }, protocol: { name: 'temporal' } };
      fs.writeFileSync(path.join(runDir, 'manifest.json'), JSON.stringify({ datasets: [{ checksum: { sha256: sha } }] }));
      fs.writeFileSync(path.join(runDir, 'predictions.json'), JSON.stringify({ storeVersion: 1, nodeCount: 5, windows: test, labels, episodes: test.map(() => 'r/0'), folds: test.map(() => 0), anomalyScore, predictedAnomalous, ranking }));
      fs.writeFileSync(path.join(runDir, 'metrics.json'), JSON.stringify({ storeVersion: 1, configHash: hash, seed, spec, metrics: {}, perFold: [], splits: [], info: [{ bestEpoch: 4, epochsRun: 6, step: 'manual' }], coverage: null, warnings: [] }));
    };
    writeRun('aaaa', 0, checksum);
    writeRun('bbbb', 0, 'another-dataset');
    writeRun('cccc', 0, checksum, 'without-graph');
    const out = path.join(dir, 'summary-store.json');
    await summarize(['--data', path.join(dir, 'windows'), '--store', store, '--out', out, path.join(dir, 'train-0.json')], () => {});
    const summary = JSON.parse(fs.readFileSync(out, 'utf8')) as { groups: GroupSummary[] };
    const tfjs = summary.groups.find((g) => g.group === 'tfjs paper batch 32, 20 epochs, patience 8');
    assert.ok(tfjs !== undefined);
    // An ablation is a group of its own, named by what differs from the variant's defaults.
    assert.equal(summary.groups.filter((g) => g.group === 'tfjs paper without=graph batch 32, 20 epochs, patience 8').length, 1);
    assert.equal(tfjs.runs.length, 1, 'the run of another dataset is skipped');
    const expected = computeMetrics({ labels, anomalyScore, predictedAnomalous, ranking });
    for (const key of ['det.f1', 'det.mcc', 'det.prAuc', 'loc.e2e.hr@1']) assert.equal(tfjs.runs[0]!.metrics[key], expected[key], key);
    assert.equal(tfjs.runs[0]!.bestEpoch, 4);
    assert.ok(summary.groups.some((g) => g.group.startsWith('PyTorch port')));
  });

  it('refuses a result trained on other windows, naming the file and the field', async () => {
    const other = path.join(dir, 'train-other.json');
    fs.writeFileSync(other, JSON.stringify(portResult(3, 32, 91)));
    await assert.rejects(summarize(['--data', path.join(dir, 'windows'), other], () => {}), (err: EadroError) => {
      assert.match(err.message, /other windows/);
      assert.equal(err.details.file, other);
      assert.match(String(err.details.field), /dataset\.W/);
      return true;
    });
    const noPredictions = path.join(dir, 'train-old.json');
    const old = portResult(4, 32);
    delete old['predictions'];
    fs.writeFileSync(noPredictions, JSON.stringify(old));
    await assert.rejects(summarize(['--data', path.join(dir, 'windows'), noPredictions], () => {}), /no per-window predictions/);
  });

  it('refuses grid runs built with another window pipeline than --stride gives (their indices would name other windows)', async function () {
    this.timeout(120000);
    const raw = (await tinyData('sn')).root;
    const savedCache = process.env['EADRO_CACHE_DIR'];
    process.env['EADRO_CACHE_DIR'] = path.join(dir, 'cache'); // not the project's results/cache
    try {
      await checkPipelineRefusal(raw);
    } finally {
      if (savedCache === undefined) delete process.env['EADRO_CACHE_DIR'];
      else process.env['EADRO_CACHE_DIR'] = savedCache;
    }
  });

  async function checkPipelineRefusal(raw: string): Promise<void> {
    const loaded = await loadWindows(raw, { stride: 2 });
    const checksum = loaded.info.checksum?.sha256 ?? '';
    const store = path.join(dir, 'store-raw');
    const windows = Array.from({ length: Math.min(10, loaded.dataset.W) }, (_, i) => i);
    const runDir = path.join(store, 'runs', 'dddd', '0');
    fs.mkdirSync(runDir, { recursive: true });
    const spec = { dataset: { kind: 'testbed', system: 'SN', profile: 'tiny', seed: 0 }, pipeline: { stride: 2 }, method: { name: 'eadro', variant: 'paper', params: {} }, protocol: { name: 'temporal' } };
    fs.writeFileSync(path.join(runDir, 'manifest.json'), JSON.stringify({ datasets: [{ checksum: { sha256: checksum } }] }));
    fs.writeFileSync(path.join(runDir, 'predictions.json'), JSON.stringify({ storeVersion: 1, nodeCount: loaded.dataset.nodes.length, windows, labels: windows.map((w) => loaded.dataset.labels[w]!), episodes: windows.map(() => 'r/0'), folds: windows.map(() => 0), anomalyScore: windows.map(() => 0.9), predictedAnomalous: windows.map(() => true), ranking: windows.map(() => loaded.dataset.nodes.map((_, n) => n)) }));
    fs.writeFileSync(path.join(runDir, 'metrics.json'), JSON.stringify({ storeVersion: 1, configHash: 'dddd', seed: 0, spec, metrics: {}, perFold: [], splits: [], info: [{ bestEpoch: 1, epochsRun: 1, step: 'manual' }], coverage: null, warnings: [] }));
    await assert.rejects(summarize(['--data', raw, '--store', store], () => {}), (err: EadroError) => {
      assert.match(err.message, /other windows than --data and --stride/);
      assert.equal(err.details.file, path.join(runDir, 'metrics.json'));
      assert.equal(err.details.field, 'spec.pipeline');
      assert.match(String(err.details.found), /"stride":2/);
      return true;
    });
    const out = path.join(dir, 'summary-raw.json');
    await summarize(['--data', raw, '--stride', '2', '--store', store, '--out', out], () => {});
    const summary = JSON.parse(fs.readFileSync(out, 'utf8')) as { groups: GroupSummary[] };
    assert.equal(summary.groups.reduce((a, g) => a + g.runs.length, 0), 1, 'with the grid\'s stride the run is scored');
  }
});
