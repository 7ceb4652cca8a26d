/**
 * Training on WebGPU (Dawn; on CI Mesa's llvmpipe through OpenGL ES, a software adapter) against the
 * cpu backend, at small shapes: losses of every step, the first step's gradients, and the weights
 * after a few Adam steps; then a whole trainEadro run with its checkpoints and predictAsync. Skipped,
 * with the reason in the title, only where no WebGPU adapter can be made.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/core/backend.js';
import { findAdapter } from '../../../src/core/webgpu.js';
import { createEadro, disposeEadro, predictAsync, trainEadro, type EadroConfig } from '../../../src/models/eadro/index.js';
import { datasetDims } from '../../../src/models/eadro/data.js';
import { setOpPlacement } from '../../../src/models/eadro/layers/placement.js';
import { compareTraces, parityCases, parityDefaults, parityModel as small, traceSteps } from '../../../src/models/eadro/backend-parity.js';
import type { WindowDataset } from '../../../src/windows/types.js';
import { orderedSplit } from '../../../src/models/synthetic.js';
import { maxRelDiff, quietTraining, tinyDataset } from './helpers.js';

async function adapterProblem(): Promise<string | null> {
  try {
    const search = await findAdapter(true, (p) => import(p));
    return search.found === null ? `no WebGPU adapter: ${search.notes.join('; ')}` : null;
  } catch (err) {
    return `the webgpu package does not load: ${(err as Error).message.split('\n')[0]}`;
  }
}
const PROBLEM = await adapterProblem();
async function initialWeights(config: Partial<EadroConfig>, ds: WindowDataset): Promise<Float32Array> {
  const model = createEadro(config, datasetDims(ds), 3);
  const w = (await model.params.get('fuse.weight')!.data()) as Float32Array;
  disposeEadro(model);
  return w;
}

const title = (t: string): string => (PROBLEM === null ? t : `${t} [SKIPPED: ${PROBLEM}; bash scripts/setup-system.sh installs Mesa EGL/GLES]`);

describe('models/eadro on WebGPU (software adapter in CI) against the cpu backend', function () {
  this.timeout(240000);
  quietTraining();
  before(() => setOpPlacement('device')); // the cpu reference runs the same device ops
  after(async () => {
    setOpPlacement('auto');
    await initBackend(process.env['EADRO_BACKEND'] === 'cpu' ? 'cpu' : 'wasm');
  });

  for (const { variant, without } of parityCases) {
    const label = `${variant}${without.length ? ` without ${without.join(',')}` : ''}`;
    it(title(`${label}: losses of ${parityDefaults.steps} steps, the first gradients and the weights equal the cpu backend's`), async function () {
      if (PROBLEM !== null) return this.skip();
      const ds = tinyDataset({ N: 6, T: 7, W: 40, seed: 5 });
      const config = { variant, without, ...small };
      const cpu = await traceSteps('cpu', ds, config, 3);
      const gpu = await traceSteps('webgpu', ds, config, 3);
      assert.equal(gpu.backend, 'webgpu');
      assert.deepEqual([...gpu.firstGradients.keys()], [...cpu.firstGradients.keys()]);
      const report = compareTraces(gpu, cpu);
      assert.deepEqual(report.failures, []);
      assert.ok(report.ok && report.lossRelDiff.length === parityDefaults.steps);
      // the comparison is not vacuous: the weights moved, and a perturbed trace fails it
      assert.ok(maxRelDiff(gpu.weights.get('fuse.weight')!, await initialWeights(config, ds)) > 10 * parityDefaults.weightTolerance, 'weights moved');
      const perturbed = { ...gpu, losses: gpu.losses.map((l, i) => (i === 1 ? l * 1.01 : l)) };
      assert.ok(!compareTraces(perturbed, cpu).ok);
    });
  }

  it(title('--backend webgpu takes the software adapter and records it; auto never trains on one'), async function () {
    if (PROBLEM !== null) return this.skip();
    const forced = await initBackend('webgpu');
    assert.equal(forced.name, 'webgpu');
    assert.equal(forced.tfjsBackend, 'webgpu');
    assert.ok(forced.adapter !== undefined, 'adapter recorded');
    assert.equal(typeof forced.adapter.description, 'string');
    assert.ok((forced.adapter.limits['maxComputeWorkgroupSizeX'] ?? 0) >= 256, 'device requested with the adapter limits tfjs needs');
    // auto on a machine that looks as if it had a GPU (a render node), where the only adapter is software
    if (forced.adapter.software) {
      const auto = await initBackend('auto', { importPackage: (p) => import(p), gpuVisible: () => false, webgpuHint: () => '/dev/dri/renderD128' });
      assert.notEqual(auto.name, 'webgpu');
      const skip = auto.skipped.find((s) => s.name === 'webgpu');
      assert.ok(skip !== undefined && /no hardware WebGPU adapter/.test(skip.reason) && /software adapter/.test(skip.reason), skip?.reason);
    }
  });

  it(title('a NaN input stops training on webgpu with the window named (a GPU may not carry it into the loss)'), async function () {
    if (PROBLEM !== null) return this.skip();
    await initBackend('webgpu');
    const ds = tinyDataset({ N: 5, T: 6, W: 30, seed: 2 });
    ds.logs[7 * 5 * ds.eventNum] = Number.NaN; // window 7, first service
    const split = orderedSplit(ds.W);
    assert.ok(split.train.includes(7));
    await assert.rejects(trainEadro(ds, split, { variant: 'reference', ...small, maxEpochs: 1 }, { seed: 1 }), /not finite[\s\S]*logs of window 7/);
  });

  it(title('trainEadro runs on webgpu: the same epoch losses as cpu, checkpoints, and predictAsync equal'), async function () {
    if (PROBLEM !== null) return this.skip();
    const ds = tinyDataset({ N: 5, T: 6, W: 48, seed: 11 });
    const split = orderedSplit(ds.W);
    const config = { variant: 'reference' as const, ...small, maxEpochs: 2, patience: 5, batchSize: 16 };
    const runs: { history: number[]; prob: Float32Array; ranking: Int32Array; backendOfWeights: string }[] = [];
    for (const backend of ['cpu', 'webgpu'] as const) {
      await initBackend(backend);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `eadro-webgpu-${backend}-`));
      const trained = await trainEadro(ds, split, config, { seed: 4, checkpointDir: dir });
      assert.ok(fs.existsSync(path.join(dir, 'last', 'metadata.json')), 'checkpoint written');
      const pred = await predictAsync(trained.model, ds, split.test);
      runs.push({
        history: trained.history.map((h) => h.trainLoss),
        prob: pred.anomalyProb,
        ranking: pred.ranking,
        backendOfWeights: tf.getBackend(),
      });
      assert.equal(trained.step, 'autodiff');
      disposeEadro(trained.model);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const [cpu, gpu] = runs as [(typeof runs)[0], (typeof runs)[0]];
    assert.equal(gpu.backendOfWeights, 'webgpu');
    cpu.history.forEach((l, i) => assert.ok(Math.abs(l - gpu.history[i]!) < 1e-3 * Math.max(1, l), `epoch ${i + 1}: cpu ${l}, webgpu ${gpu.history[i]}`));
    assert.ok(maxRelDiff(gpu.prob, cpu.prob) < 1e-3, 'anomaly probabilities');
    assert.ok(cpu.prob.length === split.test.length && cpu.prob.every((p) => p >= 0 && p <= 1));
  });
});
