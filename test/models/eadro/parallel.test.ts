import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { EadroError } from '../../../src/core/errors.js';
import { createEadro, disposeEadro, trainEadro, type EadroConfig, type EadroVariant } from '../../../src/models/eadro/index.js';
import { datasetDims, disposeBatch, makeBatch } from '../../../src/models/eadro/data.js';
import { Adam } from '../../../src/models/eadro/adam.js';
import type { GradientResult } from '../../../src/models/eadro/step.js';
import { manualGradients } from '../../../src/models/eadro/manual/network.js';
import { orderedSplit } from '../../../src/models/synthetic.js';
import type { ReplicaReducer } from '../../../src/models/eadro/parallel/reducer.js';
import { createReductionMemory, reducerLayout, SharedSumReducer } from '../../../src/models/eadro/parallel/reducer.js';
import { replicaPart } from '../../../src/models/eadro/parallel/replica-step.js';
import { ParallelTrainer, resolveTrainThreads } from '../../../src/models/eadro/parallel/trainer.js';
import { flatParams, gradientsToHost, maxRelDiff, quietTraining, tinyDataset, type HostResult, useTestBackend, values } from './helpers.js';
import { parityModel } from '../../../src/models/eadro/backend-parity.js';

/** The parity tests' small layer sizes (src/models/eadro/backend-parity.ts). */
const small = parityModel;
const TOLERANCE = 1e-4;
const medium = { gatHidden: 16, fuseDim: 16, kpiFilters: 8, traceFilters: 8, logDim: 8, detectHidden: 16, locateHidden: 16 };

const toHost = gradientsToHost;

function twoReplicaStep(run: (replica: number, reducer: ReplicaReducer) => HostResult): { results: HostResult[]; calls: number } {
  let sent: Float64Array[][] = [[], []];
  for (let round = 0; round < 20; round++) {
    const now: Float64Array[][] = [[], []];
    const results = [0, 1].map((replica) =>
      run(replica, {
        sum(v: Float64Array): Float64Array {
          const i = now[replica]!.length;
          now[replica]!.push(v.slice());
          const other = sent[1 - replica]![i];
          const out = new Float64Array(v.length);
          // replica order 0 + 1 on both, as SharedSumReducer adds the slots
          for (let k = 0; k < v.length; k++) out[k] = replica === 0 ? v[k]! + (other?.[k] ?? 0) : (other?.[k] ?? 0) + v[k]!;
          return out;
        },
      }),
    );
    const same = [0, 1].every((r) => now[r]!.length === sent[r]!.length && now[r]!.every((v, i) => v.every((x, k) => x === sent[r]![i]![k])));
    if (same) return { results, calls: now[0]!.length };
    sent = now;
  }
  throw new Error('two-replica step did not settle');
}

describe('models/eadro/parallel (data-parallel training on two threads)', function () {
  this.timeout(60000);
  before(useTestBackend);
  quietTraining();

  it('cuts a batch into contiguous parts, and gives a batch shorter than the replica count to every replica whole', () => {
    const ids = [5, 6, 7, 8, 9];
    assert.deepEqual(replicaPart(ids, 2, 0), { ids: [5, 6, 7], whole: false });
    assert.deepEqual(replicaPart(ids, 2, 1), { ids: [8, 9], whole: false });
    assert.deepEqual(replicaPart([3], 2, 1), { ids: [3], whole: true });
  });

  const cases: { variant: EadroVariant; extra?: Partial<EadroConfig> }[] = [
    { variant: 'reference' },
    { variant: 'paper' }, // softmax detector, predicted localizer mask: the count is known only after the forward
    { variant: 'reference', extra: { batchNormBeforeChomp: true, without: ['logs'] } },
  ];
  for (const { variant, extra } of cases) {
    it(`one step on 2 replicas gives the whole batch's losses, gradients and BatchNorm statistics: ${variant} ${extra ? JSON.stringify(extra) : ''}`, () => {
      const ds = tinyDataset({ N: 6, T: 7, W: 40, seed: 5 });
      const model = createEadro({ variant, ...small, ...extra }, datasetDims(ds), 3);
      const ids = Array.from({ length: 13 }, (_, i) => i * 3); // odd: parts of 7 and 6 windows
      const whole = makeBatch(ds, ids, model.config);
      const single = toHost(manualGradients(model, whole));
      disposeBatch(whole);
      const { results, calls } = twoReplicaStep((replica, reducer) => {
        const part = makeBatch(ds, replicaPart(ids, 2, replica).ids, model.config);
        const r = toHost(manualGradients(model, part, reducer));
        disposeBatch(part);
        return r;
      });
      // 2 per conv branch (taps' sums, co-moments), 1 for the loss counts, 1 for gradients and losses
      assert.equal(calls, 2 * (extra?.without?.includes('kpis') ? 1 : 2) + 2);
      const [a, b] = results as [HostResult, HostResult];
      // both replicas hold the same numbers, bit for bit
      assert.deepEqual(a.losses, b.losses);
      for (const [k, g] of a.grads) assert.deepEqual(g, b.grads.get(k), `replicas differ in ${k}`);
      single.losses.forEach((l, i) => assert.ok(Math.abs(l - a.losses[i]!) <= TOLERANCE * Math.max(1, Math.abs(l)), `loss ${i}: ${l} vs ${a.losses[i]}`));
      assert.deepEqual([...a.grads.keys()], [...single.grads.keys()]);
      for (const [k, g] of single.grads) {
        const d = maxRelDiff(a.grads.get(k)!, g);
        assert.ok(d < TOLERANCE, `gradient ${k}: max relative difference ${d}`);
      }
      assert.equal(a.bn.get('kpi.rows')![0], single.bn.get('kpi.rows')![0], 'BatchNorm rows are the whole batch');
      for (const [k, v] of single.bn) assert.ok(maxRelDiff(a.bn.get(k)!, v) < TOLERANCE, `BatchNorm ${k}`);
      disposeEadro(model);
    });
  }

  it('sums across two threads through shared memory, bit-identically on both, and carries an abort across', async () => {
    const memory = createReductionMemory(2, 8);
    const { Worker } = await import('node:worker_threads');
    // Replica 1 in a plain eval'd worker that loads reducer.ts through tsx: two sums, then an abort when
    // told (an abort right after the second sum could land before this thread left that sum's barrier,
    // which then rightly throws: the test must not race it).
    const peer = new Worker(
      `const { workerData: d, parentPort } = require('node:worker_threads');
       (async () => {
         (await import('tsx/esm/api')).register();
         const { SharedSumReducer } = await import(d.reducer);
         const r = new SharedSumReducer(d.memory, 1);
         const a = r.sum(Float64Array.of(10, 20));
         const b = r.sum(Float64Array.of(0.1, 0.2, 0.3));
         parentPort.once('message', () => r.abort('peer failed: disk full'));
         parentPort.postMessage([Array.from(a), Array.from(b)]);
       })();`,
      { eval: true, workerData: { memory, reducer: new URL('../../../src/models/eadro/parallel/reducer.ts', import.meta.url).href } },
    );
    const fromPeer = new Promise<number[][]>((resolve) => peer.once('message', resolve));
    const main = new SharedSumReducer(memory, 0);
    const a = main.sum(Float64Array.of(1, 2));
    const b = main.sum(Float64Array.of(0.7, 0.8, 0.9));
    assert.deepEqual([...a], [11, 22]);
    assert.deepEqual([...b], [0.7 + 0.1, 0.8 + 0.2, 0.9 + 0.3]);
    assert.deepEqual(await fromPeer, [[...a], [...b]]);
    peer.postMessage('abort'); // the next sum waits at its barrier until the abort wakes it
    assert.throws(() => main.sum(Float64Array.of(1)), (e: unknown) => e instanceof EadroError && /disk full/.test(e.message));
    await peer.terminate();
    // One replica: the identity; vectors beyond the buffer are refused.
    const solo = new SharedSumReducer(createReductionMemory(1, 4), 0);
    assert.deepEqual([...solo.sum(Float64Array.of(1, 2, 3))], [1, 2, 3]);
    assert.throws(() => solo.sum(new Float64Array(5)), (e: unknown) => e instanceof EadroError && /at most 4/.test(e.message));
  });

  it('an abort read while its text is still being written waits for the text (the reason, not "another replica failed")', async () => {
    const memory = createReductionMemory(2, 4);
    const { Worker } = await import('node:worker_threads');
    // The peer marks the abort, then takes 300 ms to write its text: a reader in between must wait.
    const peer = new Worker(
      `const { workerData: d, parentPort } = require('node:worker_threads');
       const c = new Int32Array(d.buffer);
       Atomics.store(c, d.aborted, 1);
       parentPort.postMessage('writing');
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
       const bytes = new TextEncoder().encode('peer failed: out of memory');
       new Uint8Array(d.buffer, d.textOffset, bytes.length).set(bytes);
       Atomics.store(c, d.length, bytes.length);
       Atomics.store(c, d.aborted, 2);
       Atomics.notify(c, d.aborted);`,
      { eval: true, workerData: { buffer: memory.buffer, aborted: reducerLayout.abortedWord, length: reducerLayout.abortLengthWord, textOffset: reducerLayout.abortTextOffset(2) } },
    );
    await new Promise((resolve) => peer.once('message', resolve));
    const main = new SharedSumReducer(memory, 0);
    assert.throws(() => main.sum(Float64Array.of(1)), (e: unknown) => e instanceof EadroError && /out of memory/.test(e.message));
    await peer.terminate();
  });

  it('reads the thread count from options or EADRO_TRAIN_THREADS, and refuses nonsense', () => {
    const saved = process.env['EADRO_TRAIN_THREADS'];
    try {
      delete process.env['EADRO_TRAIN_THREADS'];
      assert.equal(resolveTrainThreads(), 1);
      process.env['EADRO_TRAIN_THREADS'] = '2';
      assert.equal(resolveTrainThreads(), 2);
      assert.equal(resolveTrainThreads(1), 1);
      process.env['EADRO_TRAIN_THREADS'] = 'two';
      assert.throws(() => resolveTrainThreads(), (e: unknown) => e instanceof EadroError && /EADRO_TRAIN_THREADS/.test(e.message));
      assert.throws(() => resolveTrainThreads(0), (e: unknown) => e instanceof EadroError && /threads/.test(e.message));
    } finally {
      if (saved === undefined) delete process.env['EADRO_TRAIN_THREADS'];
      else process.env['EADRO_TRAIN_THREADS'] = saved;
    }
  });

  it('trainEadro with threads = 2 reaches the weights of threads = 1, and records the threads', async () => {
    const ds = tinyDataset({ W: 40 });
    const split = orderedSplit(40, 0.6, 0.2);
    // 24 training windows in batches of 7: parts of 4 and 3, and a last batch of 3 cut into 2 and 1
    const config = { variant: 'reference' as const, ...medium, batchSize: 7, maxEpochs: 3, patience: 100 };
    const one = await trainEadro(ds, split, config, { seed: 4, threads: 1 });
    const two = await trainEadro(ds, split, config, { seed: 4, threads: 2 });
    assert.equal(one.threads, 1);
    assert.equal(two.threads, 2);
    assert.ok(two.history.every((h) => h.threads === 2));
    two.history.forEach((h, i) => assert.ok(Math.abs(h.trainLoss - one.history[i]!.trainLoss) < 1e-4 * Math.max(1, one.history[i]!.trainLoss), `epoch ${i + 1} train loss`));
    const d = maxRelDiff(flatParams(two.model), flatParams(one.model));
    assert.ok(d < 1e-3, `weights: max relative difference ${d}`);
    disposeEadro(one.model);
    disposeEadro(two.model);
  });

  it('a batch of one window is computed whole by both replicas, which still agree', async () => {
    const ds = tinyDataset({ W: 30 });
    const split = { train: Array.from({ length: 9 }, (_, i) => i), val: [], test: [] };
    // batches of 4: 4, 4, 1 (the last one below the replica count)
    const config = { variant: 'paper' as const, ...medium, batchSize: 4, maxEpochs: 2 };
    const one = await trainEadro(ds, split, config, { seed: 6, threads: 1 });
    const two = await trainEadro(ds, split, config, { seed: 6, threads: 2 }); // replicas' fingerprints are compared every epoch
    const d = maxRelDiff(flatParams(two.model), flatParams(one.model));
    assert.ok(d < 1e-3, `weights: max relative difference ${d}`);
    disposeEadro(one.model);
    disposeEadro(two.model);
  });

  it('resumes a two-thread run from its checkpoint: the same weights as uninterrupted, bit for bit', async () => {
    const ds = tinyDataset({ W: 40 });
    const split = orderedSplit(40, 0.6, 0.2);
    const config = { variant: 'reference' as const, ...medium, batchSize: 8, maxEpochs: 3, patience: 100 };
    const straight = await trainEadro(ds, split, config, { seed: 8, threads: 2 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-parallel-'));
    // an error on the main thread after epoch 2 (the workers must be terminated, or mocha would hang)
    await assert.rejects(
      trainEadro(ds, split, config, {
        seed: 8,
        threads: 2,
        checkpointDir: dir,
        onEpoch: (e) => {
          if (e.epoch === 2) throw new Error('killed');
        },
      }),
      /killed/,
    );
    const resumed = await trainEadro(ds, split, config, { seed: 8, threads: 2, checkpointDir: dir });
    assert.deepEqual(resumed.history.map((h) => h.trainLoss), straight.history.map((h) => h.trainLoss));
    assert.deepEqual(flatParams(resumed.model), flatParams(straight.model));
    disposeEadro(straight.model);
    disposeEadro(resumed.model);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses threads > 1 with the autodiff step', async () => {
    const ds = tinyDataset({ W: 20 });
    await assert.rejects(
      trainEadro(ds, { train: [0, 1, 2, 3], val: [], test: [] }, { variant: 'reference', ...small, maxEpochs: 1 }, { seed: 1, threads: 2, step: 'autodiff' }),
      (e: unknown) => e instanceof EadroError && /hand-written step/.test(e.message),
    );
  });

  it('an error inside the worker surfaces as an EadroError in the caller, and the worker is gone', async () => {
    const ds = tinyDataset({ W: 30 });
    const model = createEadro({ variant: 'reference', ...small }, datasetDims(ds), 2);
    const adam = new Adam({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    const trainer = await ParallelTrainer.start({ ds, model, adam, threads: 2, fastWasmKernels: false, failWorkerAtStep: 2 });
    assert.equal(trainer.liveWorkers, 1);
    const order = Array.from({ length: 24 }, (_, i) => i);
    let steps = 0;
    await assert.rejects(
      trainer.runEpoch(1, order, 8, () => steps++),
      (e: unknown) => e instanceof EadroError && /injected failure at step 2/.test(e.message),
    );
    assert.equal(steps, 1, 'the first step completed on both replicas');
    await trainer.close();
    assert.equal(trainer.liveWorkers, 0);
    adam.dispose();
    disposeEadro(model);
  });
});
