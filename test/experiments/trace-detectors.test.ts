/**
 * TraceAnomaly and MultimodalTrace as methods of the harness on tiny SN: trained on the traces of the
 * normal training windows, every test window scored and decided at a threshold chosen on validation,
 * trace scores kept for notebooks, reproducible for a seed; bad parameters and window sets without
 * traces are refused by name; they fill their Table II rows.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeSplits, type ProtocolSplit } from '../../src/evaluation/protocols.js';
import { resolveTraceDetectorParams } from '../../src/experiments/methods/trace-detector.js';
import { paperRowOf, paperTables, tableDefs } from '../../src/experiments/paper-tables.js';
import { getMethod } from '../../src/experiments/registry.js';
import type { RunResult } from '../../src/experiments/method.js';
import { traceAnomalyDefaults } from '../../src/models/trace-detectors/trace-anomaly.js';
import { simulate } from '../../src/testbed/index.js';
import { buildWindowDatasetCached } from '../../src/windows/cache.js';
import type { WindowDataset } from '../../src/windows/types.js';
import { useTestBackend } from '../models/eadro/helpers.js';

const budgets: Record<string, Record<string, unknown>> = {
  'trace-anomaly': { posteriorFlow: false, hidden: 32, maxEpochs: 10, evalEvery: 5, scoreSamples: 8 },
  'multimodal-trace': { hidden: 8, maxEpochs: 2, maxTrainTraces: 150 },
};

describe('experiments: the trace anomaly detectors TraceAnomaly and MultimodalTrace (paper Table II)', function () {
  this.timeout(180_000);
  let root: string;
  let ds: WindowDataset;
  let split: ProtocolSplit;

  before(async () => {
    await useTestBackend();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-tracedet-'));
    await simulate({ system: 'sn', profile: 'tiny', seed: 0, out: path.join(root, 'raw') });
    ds = (await buildWindowDatasetCached(path.join(root, 'raw'), {}, { noCache: true })).dataset;
    split = makeSplits(ds, { name: 'temporal' }, 0)[0]!;
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const run = async (name: string, seed: number, params: Record<string, unknown>, dataset = ds): Promise<RunResult> =>
    (await getMethod(name)).fitAndEvaluate(dataset, split, { seed, workDir: path.join(root, `${name}-${seed}`), method: { name, params }, progress: () => undefined });

  for (const name of ['trace-anomaly', 'multimodal-trace']) {
    it(`${name}: scores and decides every test window at the validation-chosen threshold, keeps trace scores, reproducible`, async () => {
      const r = await run(name, 0, budgets[name]!);
      assert.deepEqual(r.windows, split.test);
      assert.equal(r.anomalyScore!.length, split.test.length);
      assert.equal(r.ranking, null, 'a detector only');
      const info = r.info as Record<string, unknown>;
      assert.equal(info['selectedOn'], 'validation');
      const threshold = (info['windowThreshold'] as number | null) ?? Number.POSITIVE_INFINITY;
      r.anomalyScore!.forEach((s, i) => assert.equal(r.predictedAnomalous[i], s >= threshold));
      assert.ok((info['fitTraces'] as number) > 0 && (info['heldOutTraces'] as number) > 0);
      assert.ok((info['judgedTraces'] as number) > 0);
      assert.ok(r.inferUsPerWindow !== null && r.inferUsPerWindow > 0);
      const kept = JSON.parse(fs.readFileSync(path.join(root, `${name}-0`, 'trace-scores.json'), 'utf8')) as { traces: number[]; score: number[] };
      assert.equal(kept.traces.length, info['judgedTraces']);
      assert.equal(kept.score.length, kept.traces.length);
      const again = await run(name, 0, budgets[name]!);
      assert.deepEqual(again.anomalyScore, r.anomalyScore, 'same seed, same scores');
    });
  }

  it('trace-anomaly: the default window rule is the max trace score; records the model that ran', async () => {
    const r = await run('trace-anomaly', 1, budgets['trace-anomaly']!);
    const info = r.info as { run: { windowRule: string }; model: string; callPaths: number };
    assert.equal(info.run.windowRule, 'max');
    assert.match(info.model, /plain VAE/);
    assert.ok(info.callPaths > 0);
  });

  it('refuses unknown or mistyped parameters and window sets without traces, by name', async () => {
    assert.throws(() => resolveTraceDetectorParams('trace-anomaly', traceAnomalyDefaults, { hiden: 3 }), /Unknown trace-anomaly parameter[\s\S]*method\.params\.hiden/);
    assert.throws(() => resolveTraceDetectorParams('trace-anomaly', traceAnomalyDefaults, { hidden: '3' }), /method\.params\.hidden[\s\S]*a number/);
    assert.throws(() => resolveTraceDetectorParams('trace-anomaly', traceAnomalyDefaults, { windowRule: 'mean' }), /windowRule[\s\S]*share \| max/);
    const { traceSet: _dropped, ...withoutTraces } = ds;
    await assert.rejects(run('multimodal-trace', 0, {}, withoutTraces), /MultimodalTrace reads whole traces[\s\S]*traceSet[\s\S]*eadro windows --refresh/);
  });

  it('fill the Table II rows', () => {
    const rows = Object.keys(paperTables().tableII_detection);
    assert.equal(paperRowOf({ name: 'trace-anomaly' }, rows), 'TraceAnomaly');
    assert.equal(paperRowOf({ name: 'multimodal-trace' }, rows), 'MultimodalTrace');
    const table2 = tableDefs.find((t) => t.id === 'table2')!;
    assert.ok(table2.accepts({ name: 'trace-anomaly' }) && table2.accepts({ name: 'multimodal-trace' }));
  });
});
