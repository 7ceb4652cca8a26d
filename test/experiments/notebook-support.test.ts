import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { currentDatasetChecksum } from '../../src/experiments/execute.js';
import { expandGrid } from '../../src/experiments/grid.js';
import { reproduceDefaults } from '../../src/experiments/reproduce.js';
import {
  abnormalTestWindows, describeWindow, firstAnomalousPosition, metricsMarkdown, notebookExperiment, notebookScale,
  notebookStoreDir, notebookSupportDefaults, predictionMetrics, storedCheckpointRun, tablesSource, traceScoreSummary, trainNormalised,
} from '../../src/experiments/notebook-support.js';
import { runDir, type StoredRun } from '../../src/experiments/store.js';
import type { Prediction } from '../../src/models/eadro/index.js';
import { makeSyntheticWindows } from '../../src/models/synthetic.js';
import type { WindowDataset } from '../../src/windows/types.js';

/** Three windows of a 3-service system: normal, culprit 1, culprit 0 (starts 20, 10, 30 s). */
function tinyDataset(): WindowDataset {
  return {
    nodes: ['a', 'b', 'c'],
    T: 10,
    labels: Int32Array.from([-1, 1, 0]),
    meta: { start: Float64Array.from([20, 10, 30]), runId: ['r', 'r', 'r'], episodeId: Int32Array.from([0, 0, 1]), faultType: ['', 'cpu_exhaustion', 'network_delay'], episodeService: ['b', 'b', 'a'] },
  } as unknown as WindowDataset;
}

function tinyPrediction(): Prediction {
  return {
    anomalyProb: Float32Array.from([0.2, 0.9, 0.6]),
    culpritProb: Float32Array.from([0.5, 0.3, 0.2, 0.1, 0.8, 0.1, 0.3, 0.1, 0.6]),
    ranking: Int32Array.from([0, 1, 2, 1, 0, 2, 2, 0, 1]),
    fused: new Float32Array(6),
    fusedDim: 2,
  };
}

/** Write a minimal finished run (metrics.json marks it finished) for a grid run of an experiment. */
function writeFinishedRun(storeDir: string, configHash: string, seed: number, spec: unknown, datasetChecksum: string | null = null): string {
  const dir = runDir(storeDir, configHash, seed);
  fs.mkdirSync(dir, { recursive: true });
  // As executeRun records it: the run is current only while its dataset has this content checksum.
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ datasets: [{ checksum: datasetChecksum === null ? null : { sha256: datasetChecksum } }] }));
  fs.writeFileSync(path.join(dir, 'predictions.json'), JSON.stringify({ storeVersion: 1, nodeCount: 3, windows: [], labels: [], episodes: [], folds: [], anomalyScore: [], predictedAnomalous: [], ranking: [] }));
  fs.writeFileSync(path.join(dir, 'metrics.json'), JSON.stringify({ storeVersion: 1, configHash, seed, spec, metrics: {}, perFold: [], splits: [], info: [], coverage: null, warnings: [] }));
  return dir;
}

describe('experiments/notebook-support', () => {
  let tmp = '';
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-nb-support-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('reads the scale from EADRO_NOTEBOOK_SCALE, ci by default, and names the variable on a bad value', () => {
    assert.equal(notebookScale({}).name, 'ci');
    assert.equal(notebookScale({ EADRO_NOTEBOOK_SCALE: ' ' }).name, 'ci');
    const quick = notebookScale({ EADRO_NOTEBOOK_SCALE: 'quick' });
    assert.equal(quick.name, 'quick');
    assert.deepEqual(quick.gridSystems, ['TT', 'SN']);
    assert.ok(quick.gridEpochs > notebookScale({}).gridEpochs);
    // The quick scale is the main job's data: its profile and window pipeline, so the cache is shared.
    assert.equal(quick.profile, reproduceDefaults.quick.profile);
    assert.deepEqual(quick.pipeline, reproduceDefaults.quick.pipeline);
    assert.throws(() => notebookScale({ EADRO_NOTEBOOK_SCALE: 'huge' }), /field: EADRO_NOTEBOOK_SCALE[\s\S]*expected: ci \| quick[\s\S]*found: huge/);
  });

  it('small grid: both protocols; the full Eadro has one config hash in both parts, so it runs once', () => {
    const scale = notebookScale({});
    const main = notebookExperiment(scale, 'main');
    const ablation = notebookExperiment(scale, 'ablation');
    assert.deepEqual(main.protocols.map((p) => p.name), ['temporal', 'reference-random']);
    assert.deepEqual(main.methods.map((m) => m.name), ['eadro', 'all-anomalous', 'random-guess', 'culprit-prior', 'n-sigma', 'trace-anomaly', 'multimodal-trace', 'ms-rf', 'ms-svm', 'ms-lstm', 'ms-dcc', 'tbac', 'netmedic', 'monitor-rank', 'cloud-ranger', 'dycause']);
    assert.deepEqual(main.methods.find((m) => m.name === 'trace-anomaly')!.params, notebookSupportDefaults.traceDetectorParams['trace-anomaly'], 'the trace detectors at the tiny budget');
    assert.deepEqual(ablation.methods.map((m) => m.ablation), ['none', ...scale.gridAblations]);
    assert.ok(main.datasets.every((d) => d.kind === 'testbed' && d.profile === 'tiny' && d.system === 'SN'));
    const fullEadro = (e: typeof main) => new Set(expandGrid(e).filter((r) => r.spec.method.name === 'eadro' && r.spec.method.ablation === 'none').map((r) => r.configHash));
    assert.deepEqual(fullEadro(main), fullEadro(ablation));
    assert.equal(fullEadro(main).size, 2); // one per protocol
    const all = notebookExperiment(scale, 'all');
    assert.equal(all.methods.length, main.methods.length + scale.gridAblations.length);
  });

  it("summarises the trace detectors' kept trace verdicts by the kind of window, per run", () => {
    const store = path.join(tmp, 'store');
    const spec = (name: string) => ({ dataset: { kind: 'testbed', system: 'SN', profile: 'tiny', seed: 0 }, pipeline: {}, method: { name }, protocol: { name: 'temporal' } });
    const dir = writeFinishedRun(store, 'aaaaaaaaaaaa', 0, spec('trace-anomaly'));
    fs.mkdirSync(path.join(dir, 'work', 'fold-0'), { recursive: true });
    // Traces of normal windows: scores 1, 2, 3 (one judged anomalous); of faulty windows: 5, 9 (both).
    fs.writeFileSync(path.join(dir, 'work', 'fold-0', 'trace-scores.json'), JSON.stringify({ score: [1, 2, 3, 5, 9], anomalous: [0, 0, 1, 1, 1], inFaultyWindow: [0, 0, 0, 1, 1] }));
    writeFinishedRun(store, 'bbbbbbbbbbbb', 0, spec('eadro')); // not a trace detector: left out
    const md = traceScoreSummary(store);
    const rows = md.split('\n').filter((l) => l.startsWith('| trace-anomaly'));
    assert.equal(rows.length, 1);
    assert.match(rows[0]!, /\| SN \| temporal \| 0 \| 5 \| 3 \/ 2 \| 0\.333 \/ 1\.000 \| 2\.000 \/ 9\.000 \|/);
    assert.doesNotMatch(md, /eadro/);
    assert.match(traceScoreSummary(path.join(tmp, 'empty')), /no trace detector run/);
  });

  it('uses the main job store when it has finished runs, without running a grid', async () => {
    const mainStore = path.join(tmp, 'main');
    writeFinishedRun(mainStore, 'abcdefabcdef', 0, { method: { name: 'eadro' } });
    let ran = 0;
    const source = await tablesSource(notebookScale({}), 'main', { mainStore, notebookStore: path.join(tmp, 'nb'), run: async () => `${++ran}` });
    assert.equal(source.kind, 'main-job');
    assert.equal(source.storeDir, mainStore);
    assert.equal(source.runs, 1);
    assert.equal(ran, 0);
    assert.match(source.note, /main job's results store/);
  });

  it('runs the small grid into the notebook store when the main store is missing, and skips it once every run is finished', async () => {
    const scale = notebookScale({});
    const calls: { name: string; storeDir: string }[] = [];
    const run = async (e: { name: string }, storeDir: string): Promise<string> => {
      calls.push({ name: e.name, storeDir });
      for (const r of expandGrid(notebookExperiment(scale, 'main'))) {
        writeFinishedRun(storeDir, r.configHash, r.seed, r.spec, await currentDatasetChecksum(r.spec.dataset));
      }
      return 'grid ran';
    };
    const dataDirBefore = process.env['EADRO_DATA_DIR'];
    process.env['EADRO_DATA_DIR'] = path.join(tmp, 'data'); // the grid's testbed data, made here
    try {
      const opts = { mainStore: path.join(tmp, 'absent'), notebookStore: path.join(tmp, 'nb'), run };
      const first = await tablesSource(scale, 'main', opts);
      assert.equal(first.kind, 'notebook-grid');
      assert.equal(first.storeDir, notebookStoreDir(scale, path.join(tmp, 'nb')));
      assert.deepEqual(calls.map((c) => c.name), ['notebooks-ci-main']);
      assert.equal(first.gridLog, 'grid ran');
      assert.equal(first.runs, expandGrid(notebookExperiment(scale, 'main')).length);
      assert.match(first.note, /SMALL grid ran here/);
      const second = await tablesSource(scale, 'main', opts);
      assert.equal(calls.length, 1, 'no second grid run');
      assert.match(second.gridLog ?? '', /all \d+ runs already finished/);
    } finally {
      if (dataDirBefore === undefined) delete process.env['EADRO_DATA_DIR'];
      else process.env['EADRO_DATA_DIR'] = dataDirBefore;
    }
  });

  it('scores a prediction with the shared metrics and shows the headline ones', () => {
    const ds = tinyDataset();
    const m = predictionMetrics(ds, { windows: [0, 1, 2], prediction: tinyPrediction() });
    assert.equal(m['det.f1'], 1); // 2 TP, 1 TN
    assert.equal(m['loc.e2e.hr@1'], 0.5); // culprit 1 ranked first; culprit 0 ranked second
    assert.equal(m['loc.e2e.hr@3'], 1);
    // episodes r/0 (culprit 1, window 1 flagged) and r/1 (culprit 0, window 2 flagged): both detected;
    // the one normal window is not flagged; AC@1: culprit 1 first in r/0, culprit 0 second in r/1
    assert.equal(m['ep.recall'], 1);
    assert.equal(m['ep.falseAlarmsPerHour'], 0);
    assert.equal(m['ep.ac@1'], 0.5);
    const md = metricsMarkdown({ ...m, 'det.mcc': null });
    assert.match(md, /\| F1 \| 1 \|/);
    assert.match(md, /\| HR@1 end-to-end \| 0\.500 \|/);
    assert.match(md, /\| MCC \| n\/a \|/);
  });

  it('picks the first anomalous window in time order and describes it', () => {
    const ds = tinyDataset();
    const p = { windows: [0, 2, 1], prediction: { ...tinyPrediction(), anomalyProb: Float32Array.from([0.2, 0.6, 0.9]), ranking: Int32Array.from([0, 1, 2, 2, 0, 1, 1, 0, 2]) } };
    assert.equal(firstAnomalousPosition(ds, p.windows), 2); // window 1 starts at 10 s
    assert.deepEqual(abnormalTestWindows(ds, { test: [0, 2, 1] }), [2, 1]);
    const line = describeWindow(ds, p, 1);
    assert.match(line, /window 2 .*network_delay injected into a; P\(anomalous\) = 0\.600 .*ranked 2 of 3/);
    assert.throws(() => firstAnomalousPosition(ds, [0]), /No anomalous window/);
  });

  it('finds the stored best checkpoint of a temporal Eadro run with the asked ablation only', () => {
    const spec = (ablation: string, protocol: string) => ({ dataset: { kind: 'testbed', system: 'SN', profile: 'tiny', seed: 0 }, pipeline: {}, method: { name: 'eadro', variant: 'paper', ablation }, protocol: { name: protocol } });
    const runs = [
      { dir: path.join(tmp, 'r1'), metrics: { spec: spec('without-logs', 'reference-random'), seed: 0 } },
      { dir: path.join(tmp, 'r2'), metrics: { spec: spec('without-logs', 'temporal'), seed: 0 } },
      { dir: path.join(tmp, 'r3'), metrics: { spec: spec('none', 'temporal'), seed: 0 } },
    ] as unknown as StoredRun[];
    for (const r of ['r1', 'r2']) {
      fs.mkdirSync(path.join(tmp, r, 'work', 'fold-0', 'checkpoints', 'best'), { recursive: true });
      fs.writeFileSync(path.join(tmp, r, 'work', 'fold-0', 'checkpoints', 'best', 'metadata.json'), '{}');
    }
    assert.equal(storedCheckpointRun(runs, 'SN', 'without-logs')?.run.dir, path.join(tmp, 'r2'));
    assert.equal(storedCheckpointRun(runs, 'SN', 'none'), null, 'r3 has no checkpoint');
    assert.equal(storedCheckpointRun(runs, 'TT', 'without-logs'), null);
  });

  it('normalises a copy with training statistics and leaves the dataset untouched', () => {
    const ds = makeSyntheticWindows({ W: 40, N: 4, E: 3, seed: 3 });
    const before = ds.metrics.slice();
    const copy = trainNormalised(ds, Array.from({ length: 20 }, (_, i) => i));
    assert.equal(ds.normalization, 'none');
    assert.deepEqual(ds.metrics, before);
    assert.equal(copy.normalization, 'train-fitted');
    assert.notDeepEqual(copy.metrics, before);
  });
});
