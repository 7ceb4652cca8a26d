import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { EadroError } from '../../../src/core/errors.js';
import { createEadro, disposeEadro, loadCheckpoint, predict, saveCheckpoint, trainEadro, type EpochLog } from '../../../src/models/eadro/index.js';
import { smallLossTrainSet } from '../../../src/models/eadro/train.js';
import { simdSettings } from '../../../src/models/eadro/layers/simd/module.js';
import { datasetDims } from '../../../src/models/eadro/data.js';
import { orderedSplit } from '../../../src/models/synthetic.js';
import { flatParams, quietTraining, tinyDataset, useTestBackend, values } from './helpers.js';

const small = { gatHidden: 16, fuseDim: 16, kpiFilters: 8, traceFilters: 8, logDim: 8, detectHidden: 16, locateHidden: 16 };

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-test-'));
}

describe('models/eadro/train', function () {
  this.timeout(60000);
  before(useTestBackend);
  quietTraining();

  it('overfits a tiny dataset: HR@1 = 1 on its faulty training windows', async () => {
    const ds = tinyDataset({ W: 30, signal: 4 });
    // No validation split: the last epoch is the one returned.
    const split = { train: Array.from({ length: 24 }, (_, i) => i), val: [], test: [] };
    const { model, history } = await trainEadro(ds, split, { variant: 'reference', ...small, batchSize: 24, maxEpochs: 80, learningRate: 1e-2 }, { seed: 1 });
    const p = predict(model, ds, split.train);
    const faulty = split.train.filter((w) => ds.labels[w]! >= 0);
    assert.ok(faulty.length >= 10);
    const N = ds.nodes.length;
    const hits = faulty.filter((w) => p.ranking[split.train.indexOf(w) * N] === ds.labels[w]).length;
    assert.equal(hits / faulty.length, 1, `HR@1 on training windows: ${hits}/${faulty.length}`);
    assert.ok(history[history.length - 1]!.trainLoss < history[0]!.trainLoss / 3, 'training loss fell');
    disposeEadro(model);
  });

  it('selects the epoch by the validation score (mean of F1 and HR@1) and never reads the test split', async () => {
    const ds = tinyDataset({ W: 40 });
    const split = orderedSplit(40, 0.6, 0.2);
    // Poison the test windows' labels out of range: training must not look at them.
    for (const w of split.test) ds.labels[w] = 999;
    const logs: EpochLog[] = [];
    const { model, history, bestEpoch } = await trainEadro(ds, split, { variant: 'paper', ...small, batchSize: 8, maxEpochs: 4 }, { seed: 3, onEpoch: (e) => logs.push(e) });
    assert.equal(logs.length, history.length);
    const score = (h: EpochLog): number => ((Number.isFinite(h.valF1) ? h.valF1 : 0) + (Number.isFinite(h.valHR1) ? h.valHR1 : 0)) / 2;
    const best = Math.max(...history.map(score));
    assert.equal(score(history[bestEpoch - 1]!), best);
    // The first epoch with the best score wins unless a later one ties with a lower loss.
    const firstBest = history.findIndex((h) => score(h) === best);
    for (let e = firstBest + 1; e < bestEpoch - 1; e++) assert.ok(score(history[e]!) <= best);
    assert.ok(history.every((h) => Number.isFinite(h.valLoss) && h.windowsPerSecond > 0));
    disposeEadro(model);
  });

  it('stops at the first epoch whose training loss is not finite, keeps the epoch before it and says so', async () => {
    const ds = tinyDataset({ W: 40 });
    const split = orderedSplit(40, 0.6, 0.2);
    // One step per epoch (24 training windows, batch 24) at a learning rate of 1e30: epoch 1's loss is
    // taken before its update, so it is finite; every weight after it is not.
    const { model, history, bestEpoch, divergedAtEpoch } = await trainEadro(ds, split, { variant: 'paper', ...small, batchSize: 24, maxEpochs: 6, learningRate: 1e30 }, { seed: 3 });
    assert.equal(divergedAtEpoch, 2);
    assert.equal(history.length, 2, 'no epoch after the diverged one');
    assert.equal(history[1]!.diverged, true);
    assert.ok(!Number.isFinite(history[1]!.trainLoss));
    assert.equal(bestEpoch, 1);
    const p = predict(model, ds, split.test);
    assert.ok(Array.from(p.anomalyProb).every(Number.isFinite), 'the kept model is the finite epoch-1 one');
    disposeEadro(model);
    // Diverged within the first epoch (3 steps of 8): nothing to select, an error that says why.
    await assert.rejects(
      trainEadro(ds, split, { variant: 'paper', ...small, batchSize: 8, maxEpochs: 6, learningRate: 1e30 }, { seed: 3 }),
      (err: EadroError) => err instanceof EadroError && /diverged in its first epoch/.test(err.message),
    );
  });

  it('records which SIMD kernels ran: paper both, switched off neither, reference only the GAT, without graph no GAT', async () => {
    const ds = tinyDataset({ W: 20 });
    const split = { train: Array.from({ length: 16 }, (_, i) => i), val: [], test: [] };
    const run = async (variant: 'paper' | 'reference', without: ('graph')[] = []): Promise<[boolean | null, boolean | null]> => {
      const r = await trainEadro(ds, split, { variant, ...small, without, batchSize: 16, maxEpochs: 1 }, { seed: 1, step: 'manual' });
      disposeEadro(r.model);
      return [r.simdTimeAttention, r.simdGatEdges];
    };
    assert.deepEqual(await run('paper'), [true, true]);
    Object.assign(simdSettings, { attentionRows: false, gatEdges: false });
    try {
      assert.deepEqual(await run('paper'), [false, false]);
    } finally {
      Object.assign(simdSettings, { attentionRows: true, gatEdges: true });
    }
    assert.deepEqual(await run('reference'), [null, true]); // tanh-score attention has no rows kernel
    assert.deepEqual(await run('paper', ['graph']), [true, null]);
  });

  it("selectBy 'loss' picks the epoch with the lowest validation loss", async () => {
    const ds = tinyDataset({ W: 40 });
    const split = orderedSplit(40, 0.6, 0.2);
    const { model, history, bestEpoch } = await trainEadro(ds, split, { variant: 'paper', ...small, batchSize: 8, maxEpochs: 4, selectBy: 'loss' }, { seed: 3 });
    assert.equal(history[bestEpoch - 1]!.valLoss, Math.min(...history.map((h) => h.valLoss)));
    disposeEadro(model);
  });

  it('saves and loads a checkpoint: identical predictions and metadata', async () => {
    const ds = tinyDataset();
    const model = createEadro({ variant: 'reference', ...small }, datasetDims(ds), 4);
    const dir = path.join(tmpDir(), 'ckpt');
    await saveCheckpoint(model, dir, { epoch: 3, metrics: { valLoss: 0.5 } });
    const weights = JSON.parse(fs.readFileSync(path.join(dir, 'weights.json'), 'utf8'));
    assert.equal(weights.weightsManifest[0].paths[0], 'weights.bin');
    const loaded = loadCheckpoint(dir);
    assert.equal(loaded.metadata.variant, 'reference');
    assert.equal(loaded.metadata.epoch, 3);
    assert.deepEqual(loaded.metadata.dims.nodes, ds.nodes);
    const ids = [0, 1, 2, 3];
    const a = predict(model, ds, ids);
    const b = predict(loaded.model, ds, ids);
    assert.deepEqual(a.culpritProb, b.culpritProb);
    assert.deepEqual(a.anomalyProb, b.anomalyProb);
    fs.writeFileSync(path.join(dir, 'metadata.json'), '{"format":"other"}');
    assert.throws(() => loadCheckpoint(dir), (e: unknown) => e instanceof EadroError && /format/.test(e.message));
    disposeEadro(model);
    disposeEadro(loaded.model);
  });

  it('resumes an interrupted training: 2 epochs + kill + resume equals 4 uninterrupted epochs', async () => {
    const ds = tinyDataset({ W: 40 });
    const split = orderedSplit(40, 0.6, 0.2);
    const config = { variant: 'reference' as const, ...small, batchSize: 8, maxEpochs: 4, patience: 100 };
    const straight = await trainEadro(ds, split, config, { seed: 9 });

    const dir = tmpDir();
    await assert.rejects(
      trainEadro(ds, split, config, {
        seed: 9,
        checkpointDir: dir,
        onEpoch: (e) => {
          if (e.epoch === 2) throw new Error('killed');
        },
      }),
      /killed/,
    );
    assert.ok(fs.existsSync(path.join(dir, 'last', 'metadata.json')));
    const resumed = await trainEadro(ds, split, config, { seed: 9, checkpointDir: dir });
    assert.equal(resumed.history.length, 4);
    assert.deepEqual(resumed.history.map((h) => h.trainLoss), straight.history.map((h) => h.trainLoss));
    assert.equal(resumed.bestEpoch, straight.bestEpoch);
    assert.deepEqual(flatParams(resumed.model), flatParams(straight.model));
    await assert.rejects(trainEadro(ds, split, { ...config, kernelSize: 3 }, { seed: 9, checkpointDir: dir }), EadroError);
    disposeEadro(straight.model);
    disposeEadro(resumed.model);
  });

  describe('small-loss selection against noisy detector labels (labelNoiseForget)', () => {
    it('leaves out the ramped share of faulty-labelled windows the model finds least anomalous, never a normal one', async () => {
      const ds = tinyDataset({ W: 40 });
      const train = Array.from({ length: 30 }, (_, i) => i);
      const faulty = train.filter((w) => ds.labels[w]! >= 0);
      const model = createEadro({ variant: 'paper', ...small, labelNoiseForget: 0.5, labelNoiseRampEpochs: 4 }, datasetDims(ds), 3);
      const prob = predict(model, ds, faulty).anomalyProb;
      const ascending = faulty.map((w, i) => ({ w, p: prob[i]! })).sort((a, b) => a.p - b.p || a.w - b.w).map((x) => x.w);
      // epoch 1: ramp at 0; epoch 3: 0.5 * 2/4 = a quarter; epoch 5 and later: half
      for (const [epoch, share] of [[1, 0], [3, 0.25], [5, 0.5], [40, 0.5]] as const) {
        const { windows, forgotten } = await smallLossTrainSet(model, ds, train, epoch);
        const drop = Math.floor(share * faulty.length);
        assert.equal(forgotten, drop, `epoch ${epoch}`);
        assert.deepEqual(
          train.filter((w) => !windows.includes(w)),
          ascending.slice(0, drop).sort((a, b) => a - b),
          `epoch ${epoch}: the ${drop} lowest-probability faulty windows are out`,
        );
        for (const w of train) if (ds.labels[w]! < 0) assert.ok(windows.includes(w), `normal window ${w} stays`);
      }
      disposeEadro(model);
    });

    it('training forgets planted wrong labels (normal windows labelled faulty) and records what it left out', async () => {
      const clean = tinyDataset({ W: 60, signal: 4, seed: 11 });
      const train = Array.from({ length: 48 }, (_, i) => i);
      const flipped = train.filter((w) => clean.labels[w]! < 0).slice(0, 4);
      const labels = Int32Array.from(clean.labels);
      for (const w of flipped) labels[w] = 0; // faulty label, normal telemetry
      const ds = { ...clean, labels };
      const faultyCount = train.filter((w) => labels[w]! >= 0).length;
      const forget = 6 / faultyCount; // a little more than the planted noise, as one would set it
      const config = { variant: 'paper' as const, ...small, batchSize: 16, maxEpochs: 30, learningRate: 1e-2, labelNoiseRampEpochs: 5 };
      const flaggedPlanted = (m: Parameters<typeof predict>[0]): number => Array.from(predict(m, ds, flipped).anomalyProb).filter((p) => p >= 0.5).length;

      const plain = await trainEadro(ds, { train, val: [], test: [] }, config, { seed: 2 });
      assert.ok(flaggedPlanted(plain.model) >= 3, 'trained on every label, the model learns the wrong ones');
      assert.ok(plain.history.every((h) => h.forgotten === 0));
      disposeEadro(plain.model);

      const { model, history } = await trainEadro(ds, { train, val: [], test: [] }, { ...config, labelNoiseForget: forget }, { seed: 2 });
      assert.deepEqual(
        history.map((h) => h.forgotten),
        history.map((h) => Math.floor(forget * Math.min(1, (h.epoch - 1) / 5) * faultyCount)),
      );
      assert.equal(flaggedPlanted(model), 0, 'with small-loss selection it calls them normal');
      const { windows } = await smallLossTrainSet(model, ds, train, 30);
      assert.deepEqual(flipped.filter((w) => windows.includes(w)), [], 'and leaves them out of training');
      disposeEadro(model);
    });
  });
});
