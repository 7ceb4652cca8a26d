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
import { createEadro, disposeEadro, predictAsync, trainEadro, type Ablation, type EadroVariant } from '../../../src/models/eadro/index.js';
import { datasetDims, disposeBatch, makeBatch } from '../../../src/models/eadro/data.js';
import { Adam } from '../../../src/models/eadro/adam.js';
import { applyStep, autodiffGradientTensors, chooseStep, trainStepAsync } from '../../../src/models/eadro/step.js';
import { setOpPlacement } from '../../../src/models/eadro/layers/placement.js';
import { orderedSplit } from '../../../src/models/synthetic.js';
import { maxRelDiff, quietTraining, tinyDataset } from './helpers.js';

const small = { gatHidden: 8, fuseDim: 10, kpiFilters: 6, traceFilters: 5, logDim: 4, detectHidden: 7, locateHidden: 9 };
const STEPS = 3;
/** float32 on two devices: sums in another order (measured: losses agree to ~1e-6, gradients ~1e-5). */
const LOSS_TOLERANCE = 1e-4;
const GRADIENT_TOLERANCE = 1e-3;
const WEIGHT_TOLERANCE = 1e-4;
/**
 * Parameters whose true gradient is zero: the conv biases feed BatchNorm (the batch mean removes them)
 * and the pooling gate's bias shifts a softmax. Their computed gradients are float32 noise (~1e-9),
 * which Adam divides by its own square root into steps of about the learning rate with a random sign:
 * their values differ between any two devices, so they are checked for a zero gradient instead.
 */
const ZERO_GRADIENT = /(conv\.bias|pool\.gate\.bias)$/;

async function adapterProblem(): Promise<string | null> {
  try {
    const search = await findAdapter(true, (p) => import(p));
    return search.found === null ? `no WebGPU adapter: ${search.notes.join('; ')}` : null;
  } catch (err) {
    return `the webgpu package does not load: ${(err as Error).message.split('\n')[0]}`;
  }
}
const PROBLEM = await adapterProblem();
const title = (t: string): string => (PROBLEM === null ? t : `${t} [SKIPPED: ${PROBLEM}; bash scripts/setup-system.sh installs Mesa EGL/GLES]`);

interface StepTrace {
  losses: number[];
  firstGradients: Map<string, Float32Array>;
  weights: Map<string, Float32Array>;
}

/** STEPS Adam steps from the seeded model on the named backend, everything read back to the host. */
async function traceSteps(backend: 'cpu' | 'webgpu', variant: EadroVariant, without: Ablation[]): Promise<StepTrace> {
  await initBackend(backend);
  const ds = tinyDataset({ N: 6, T: 7, W: 40, seed: 5 });
  const model = createEadro({ variant, without, ...small }, datasetDims(ds), 3);
  const adam = new Adam({ learningRate: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
  const step = chooseStep(model.config);
  assert.equal(step, 'autodiff', 'device placement trains by autodiff');
  const out: StepTrace = { losses: [], firstGradients: new Map(), weights: new Map() };
  for (let s = 0; s < STEPS; s++) {
    const batch = makeBatch(ds, Array.from({ length: 12 }, (_, i) => (i * 3 + s) % ds.W), model.config);
    if (s === 0) {
      const r = autodiffGradientTensors(model, batch);
      for (const [k, g] of r.grads) out.firstGradients.set(k, (await g.data()) as Float32Array);
      out.losses.push((await r.losses.data())[0]!);
      r.losses.dispose();
      applyStep(model, adam, { ...r, losses: { total: 0, detect: 0, locate: 0 } });
    } else {
      out.losses.push((await trainStepAsync(model, batch, adam, step)).total);
    }
    disposeBatch(batch);
  }
  for (const [k, v] of model.params) out.weights.set(k, (await v.data()) as Float32Array);
  disposeEadro(model);
  adam.dispose();
  return out;
}

describe('models/eadro on WebGPU (software adapter in CI) against the cpu backend', function () {
  this.timeout(240000);
  quietTraining();
  before(() => setOpPlacement('device')); // the cpu reference runs the same device ops
  after(async () => {
    setOpPlacement('auto');
    await initBackend(process.env['EADRO_BACKEND'] === 'cpu' ? 'cpu' : 'wasm');
  });

  const cases: { variant: EadroVariant; without: Ablation[] }[] = [
    { variant: 'paper', without: [] },
    { variant: 'reference', without: [] },
    { variant: 'paper', without: ['graph'] },
    { variant: 'reference', without: ['logs'] },
    { variant: 'reference', without: ['kpis'] },
    { variant: 'paper', without: ['traces'] },
  ];
  for (const { variant, without } of cases) {
    const label = `${variant}${without.length ? ` without ${without.join(',')}` : ''}`;
    it(title(`${label}: losses of ${STEPS} steps, the first gradients and the weights equal the cpu backend's`), async function () {
      if (PROBLEM !== null) return this.skip();
      const cpu = await traceSteps('cpu', variant, without);
      const gpu = await traceSteps('webgpu', variant, without);
      cpu.losses.forEach((l, i) => assert.ok(Math.abs(l - gpu.losses[i]!) <= LOSS_TOLERANCE * Math.max(1, Math.abs(l)), `step ${i + 1} loss: cpu ${l}, webgpu ${gpu.losses[i]}`));
      assert.ok(gpu.losses[STEPS - 1]! < gpu.losses[0]! || cpu.losses[STEPS - 1]! >= cpu.losses[0]!, 'webgpu learns where cpu does');
      assert.deepEqual([...gpu.firstGradients.keys()], [...cpu.firstGradients.keys()]);
      for (const [k, g] of cpu.firstGradients) {
        if (ZERO_GRADIENT.test(k)) {
          for (const trace of [cpu, gpu]) assert.ok(Math.max(...trace.firstGradients.get(k)!.map(Math.abs)) < 1e-5, `${k}: gradient should be 0`);
          continue;
        }
        const d = maxRelDiff(gpu.firstGradients.get(k)!, g);
        assert.ok(d < GRADIENT_TOLERANCE, `gradient ${k}: max relative difference ${d}`);
      }
      for (const [k, w] of cpu.weights) {
        if (ZERO_GRADIENT.test(k)) continue;
        const d = maxRelDiff(gpu.weights.get(k)!, w);
        assert.ok(d < WEIGHT_TOLERANCE, `weights ${k} after ${STEPS} steps: max relative difference ${d}`);
      }
    });
  }

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
