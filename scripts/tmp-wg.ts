import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/core/backend.js';
import { makeSyntheticWindows } from '../src/models/synthetic.js';
import { createEadro, disposeEadro } from '../src/models/eadro/model.js';
import { datasetDims, makeBatch, disposeBatch } from '../src/models/eadro/data.js';
import { Adam } from '../src/models/eadro/adam.js';
import { trainStepAsync, chooseStep } from '../src/models/eadro/step.js';
import { setOpPlacement } from '../src/models/eadro/layers/placement.js';

const ds = makeSyntheticWindows({ N: 6, T: 7, K: 3, E: 4, W: 40, seed: 5 });
const small = { gatHidden: 8, fuseDim: 10, kpiFilters: 6, traceFilters: 5, logDim: 4, detectHidden: 7, locateHidden: 9 };
async function run(backend: 'cpu' | 'webgpu', variant: 'paper' | 'reference') {
  await initBackend(backend);
  setOpPlacement('device');
  const model = createEadro({ variant, ...small }, datasetDims(ds), 3);
  const adam = new Adam({ learningRate: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
  const losses: number[] = [];
  const t0 = performance.now();
  for (let s = 0; s < 4; s++) {
    const batch = makeBatch(ds, Array.from({ length: 12 }, (_, i) => (i * 3 + s) % 40), model.config);
    losses.push((await trainStepAsync(model, batch, adam, chooseStep(model.config))).total);
    disposeBatch(batch);
  }
  const ms = (performance.now() - t0) / 4;
  const w: Record<string, Float32Array> = {};
  for (const [k, v] of model.params) w[k] = (await v.data()) as Float32Array;
  disposeEadro(model); adam.dispose();
  return { losses, w, ms };
}
for (const variant of ['paper', 'reference'] as const) {
  const a = await run('cpu', variant);
  const b = await run('webgpu', variant);
  let d = 0;
  for (const k of Object.keys(a.w)) { let dk = 0; for (let i = 0; i < a.w[k]!.length; i++) dk = Math.max(dk, Math.abs(a.w[k]![i]! - b.w[k]![i]!)); if (dk > 1e-5) console.log('  ', k, dk.toExponential(2)); d = Math.max(d, dk); }
  console.log(variant, a.losses.map((x) => x.toFixed(6)).join(' '), '|', b.losses.map((x) => x.toFixed(6)).join(' '), 'max|dw|', d, 'ms/step', a.ms.toFixed(0), b.ms.toFixed(0));
}
console.log('done');
