import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../../src/core/backend.js';
import { EadroError } from '../../src/core/errors.js';
import { eadroMethod, prepareEadroData } from '../../src/experiments/methods/eadro.js';
import { officialCallPairs, officialNodes } from '../../src/features/graph.js';
import { createEadro, disposeEadro } from '../../src/models/eadro/index.js';
import { datasetDims } from '../../src/models/eadro/data.js';
import { getMethod } from '../../src/experiments/registry.js';
import { computeMetrics } from '../../src/evaluation/metrics.js';
import type { ProtocolSplit } from '../../src/evaluation/protocols.js';
import { makeSyntheticWindows, orderedSplit } from '../../src/models/synthetic.js';

function protocolSplit(W: number, modelSelection: 'validation' | 'test' = 'validation'): ProtocolSplit {
  return { ...orderedSplit(W), protocol: 'temporal', params: {}, modelSelection, fold: { index: 0, count: 1 }, purged: 0 } as ProtocolSplit;
}

describe('experiments/methods/eadro', function () {
  this.timeout(180_000);
  before(async () => {
    await initBackend('wasm', { importPackage: (p) => import(p), gpuVisible: () => false });
  });

  for (const system of ['SN', 'TT'] as const) {
    it(`reference variant: the model's adjacency is the official ${system} edge list, its self-loops included and none added`, () => {
      const nodes = [...officialNodes[system]];
      const ds = { ...makeSyntheticWindows({ N: nodes.length, T: 4, K: 2, E: 2, W: 20, seed: 1 }), nodes };
      const split = protocolSplit(ds.W);
      const prepared = prepareEadroData(ds, split, 'reference');
      const model = createEadro({ variant: 'reference', gatHidden: 4, fuseDim: 4, kpiFilters: 2, traceFilters: 2, logDim: 2 }, datasetDims(prepared.data), 0);
      const expected = new Set(officialCallPairs(system).map(([caller, callee]) => `${nodes.indexOf(callee)}<-${nodes.indexOf(caller)}`));
      const found = new Set<string>();
      const N = nodes.length;
      for (let target = 0; target < N; target++) for (let source = 0; source < N; source++) if (model.adjacency[target * N + source]) found.add(`${target}<-${source}`);
      assert.deepEqual([...found].sort(), [...expected].sort());
      const loops = [...found].filter((k) => k.split('<-')[0] === k.split('<-')[1]).length;
      assert.equal(loops, 8, 'the official lists hold 8 self-loops (reference-code-notes §0.2)');
      assert.equal(found.size, { SN: 24, TT: 44 }[system], 'edges of the official list');
      disposeEadro(model);
    });
  }

  it('is registered as a built-in method', async () => {
    assert.equal((await getMethod('eadro')).name, 'eadro');
  });

  it('trains, predicts every test window in order, and leaves the shared dataset untouched', async () => {
    const ds = makeSyntheticWindows({ N: 6, T: 10, K: 3, E: 4, W: 240, signal: 4, seed: 3 });
    const before = ds.metrics.slice();
    const split = protocolSplit(ds.W);
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-method-'));
    const progress: number[] = [];
    const r = await eadroMethod.fitAndEvaluate(ds, split, {
      seed: 1,
      workDir,
      method: { name: 'eadro', variant: 'paper', ablation: 'none', params: { maxEpochs: 12, batchSize: 64, patience: 12 } },
      progress: (done) => progress.push(done),
    });
    assert.deepEqual(r.windows, split.test);
    assert.equal(r.anomalyScore!.length, split.test.length);
    for (const row of r.ranking!) assert.deepEqual([...row].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(ds.metrics, before, 'normalisation must work on a copy');
    assert.equal(ds.normalization, 'none');
    assert.ok(progress.length >= 1);
    assert.equal(r.backend?.name, 'wasm');
    assert.ok((r.inferUsPerWindow ?? 0) > 0);
    // A planted signal of 4 sd is learnable: far above chance (1/6) on held-out windows.
    const m = computeMetrics({ labels: r.windows.map((w) => ds.labels[w] as number), anomalyScore: r.anomalyScore, predictedAnomalous: r.predictedAnomalous, ranking: r.ranking });
    assert.ok((m['loc.oracle.hr@1'] as number) > 0.5, `HR@1 ${m['loc.oracle.hr@1']}`);
    // The cut was chosen on the validation windows, recorded, and is the one the decisions use.
    const info = r.info!;
    assert.equal(info['thresholdRule'], 'validation-mcc');
    const cut = info['threshold'] as number;
    assert.ok(cut > 0 && cut < 1, String(cut));
    assert.deepEqual(r.predictedAnomalous, r.anomalyScore!.map((p) => p >= cut));
    assert.ok((info['validationMcc'] as number) >= (info['validationMccAtHalf'] as number), 'the chosen cut is at least as good on validation as 0.5');
    assert.ok((info['validationEce'] as number) >= 0 && (info['validationEce'] as number) <= 1);
    assert.ok((info['selectedValLoss'] as number) >= (info['lowestValLoss'] as number));
    assert.equal(typeof info['runawayEpochs'], 'number');
    assert.ok(fs.existsSync(path.join(workDir, 'checkpoints')));
    // the selected epoch's validation figures are recorded (configurations are compared on them, not on test)
    const f1 = r.info?.['selectedValF1'] as number;
    assert.ok(f1 >= 0 && f1 <= 1, `selectedValF1 ${f1}`);
    assert.ok((r.info?.['selectedValHR1'] as number) >= 0);
    assert.equal(r.info?.['forgottenLastEpoch'], 0);
  });

  it('runs the reference variant and every ablation', async () => {
    const ds = makeSyntheticWindows({ N: 4, T: 10, K: 2, E: 3, W: 60, seed: 5 });
    const split = protocolSplit(ds.W, 'test');
    for (const [variant, ablation] of [['reference', 'none'], ['paper', 'without-logs'], ['paper', 'without-kpis'], ['paper', 'without-traces'], ['paper', 'without-graph']] as const) {
      const r = await eadroMethod.fitAndEvaluate(ds, split, {
        seed: 0,
        workDir: fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-method-')),
        method: { name: 'eadro', variant, ablation, params: { maxEpochs: 1, batchSize: 32 } },
        progress: () => undefined,
      });
      assert.equal(r.predictedAnomalous.length, split.test.length, `${variant} ${ablation}`);
      assert.equal(r.info?.['selectedOn'], 'test');
    }
  });

  it('rejects an unknown variant with the field named', async () => {
    const ds = makeSyntheticWindows({ N: 3, T: 10, K: 2, E: 2, W: 20, seed: 1 });
    await assert.rejects(
      eadroMethod.fitAndEvaluate(ds, protocolSplit(ds.W), { seed: 0, workDir: os.tmpdir(), method: { name: 'eadro', variant: 'bogus' }, progress: () => undefined }),
      /method\.variant/,
    );
    await assert.rejects(
      eadroMethod.fitAndEvaluate(ds, protocolSplit(ds.W), { seed: 0, workDir: os.tmpdir(), method: { name: 'eadro', params: { thresholdRule: 'best' } }, progress: () => undefined }),
      (e: unknown) => e instanceof EadroError && e.details.field === 'method.params.thresholdRule',
    );
  });
  it('selects by the validation loss, and says so, when the validation part holds one class only', async () => {
    const ds = makeSyntheticWindows({ N: 4, T: 10, K: 2, E: 3, W: 60, seed: 6 });
    const split = protocolSplit(ds.W);
    for (const i of split.val) ds.labels[i] = 1; // every validation window faulty: F1 cannot select
    const r = await eadroMethod.fitAndEvaluate(ds, split, {
      seed: 0,
      workDir: fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-method-')),
      method: { name: 'eadro', variant: 'paper', ablation: 'none', params: { maxEpochs: 2, batchSize: 32 } },
      progress: () => undefined,
    });
    assert.match(String(r.info?.['selectionFallback']), /validation part holds only faulty windows .*selected by the validation loss/);
    // ... and the cut stays at 0.5, with the reason recorded.
    assert.equal(r.info?.['threshold'], 0.5);
    assert.match(String(r.info?.['thresholdFallback']), /validation windows are all faulty/);
  });
});
