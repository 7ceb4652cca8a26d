/** MS-LSTM / MS-DCC training: it learns a planted signal, is reproducible for a seed, resumes exactly, and stops on a non-finite loss. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { orderedSplit } from '../../../src/models/synthetic.js';
import { resolveMsConfig } from '../../../src/models/ms-baselines/config.js';
import { disposeMsModel } from '../../../src/models/ms-baselines/model.js';
import { predictMs, trainMs } from '../../../src/models/ms-baselines/train.js';
import { fitMultiSourceLayout } from '../../../src/windows/multi-source.js';
import { tinyDataset, useTestBackend } from '../eadro/helpers.js';

const ds = tinyDataset({ W: 120, signal: 4 });
const split = orderedSplit(ds.W);
const layout = fitMultiSourceLayout(ds, split.train);

async function trained(encoder: 'lstm' | 'dcc', seed: number, extra: Record<string, unknown> = {}, checkpointDir?: string, onEpoch?: (e: { epoch: number }) => void) {
  const config = resolveMsConfig(encoder, { maxEpochs: 6, patience: 6, batchSize: 16, learningRate: 3e-3, ...extra });
  const r = await trainMs(ds, layout, split, config, { seed, checkpointDir, onEpoch });
  const pred = await predictMs(r.model, ds, layout, split.test);
  disposeMsModel(r.model);
  return { r, pred };
}

describe('models/ms-baselines train', () => {
  before(useTestBackend);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-ms-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const encoder of ['lstm', 'dcc'] as const) {
    it(`${encoder}: learns the planted culprit signal (test HR@1 far above 1/N) and repeats itself for a seed`, async () => {
      const a = await trained(encoder, 3);
      const faulty = split.test.map((w, i) => [ds.labels[w]!, i] as const).filter(([l]) => l >= 0);
      const N = ds.nodes.length;
      const hr1 = faulty.filter(([l, i]) => a.pred.ranking[i * N] === l).length / faulty.length;
      assert.ok(hr1 > 2 / N, `HR@1 ${hr1} against chance ${1 / N}`);
      const b = await trained(encoder, 3);
      assert.deepEqual(Array.from(b.pred.anomalyProb), Array.from(a.pred.anomalyProb), 'same seed, same model');
      const c = await trained(encoder, 4);
      assert.notDeepEqual(Array.from(c.pred.anomalyProb), Array.from(a.pred.anomalyProb), 'another seed, another model');
    });
  }

  it('resumes an interrupted run from its last checkpoint to the same model as an uninterrupted one', async () => {
    const whole = await trained('dcc', 5, {}, path.join(dir, 'whole'));
    await assert.rejects(trained('dcc', 5, {}, path.join(dir, 'cut'), (e) => {
      if (e.epoch === 3) throw new Error('killed');
    }), /killed/);
    const resumed = await trained('dcc', 5, {}, path.join(dir, 'cut'));
    assert.equal(resumed.r.history.length, whole.r.history.length);
    assert.equal(resumed.r.bestEpoch, whole.r.bestEpoch);
    assert.deepEqual(Array.from(resumed.pred.anomalyProb), Array.from(whole.pred.anomalyProb));
    // Another seed in the same folder is refused rather than mixed in.
    await assert.rejects(trained('dcc', 6, {}, path.join(dir, 'cut')), /another config, seed or input channels[\s\S]*last\.json/);
  });

  it('stops with a clear error when the first epoch diverges', async () => {
    const bad = { ...ds, metrics: ds.metrics.slice() };
    const badLayout = fitMultiSourceLayout(bad, split.train);
    bad.metrics.fill(Number.NaN, 0, 10);
    const config = resolveMsConfig('lstm', { maxEpochs: 2, batchSize: 16 });
    await assert.rejects(trainMs(bad, badLayout, split, config, { seed: 0 }), /diverged in its first epoch[\s\S]*field: trainLoss \(epoch 1\)/);
  });
});
