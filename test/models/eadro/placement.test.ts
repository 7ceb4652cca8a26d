import { strict as assert } from 'node:assert';
import { createEadro, disposeEadro, predict, predictAsync, type EadroVariant } from '../../../src/models/eadro/index.js';
import { datasetDims, disposeBatch, makeBatch } from '../../../src/models/eadro/data.js';
import { autodiffGradients, chooseStep } from '../../../src/models/eadro/step.js';
import { opPlacement, setOpPlacement } from '../../../src/models/eadro/layers/placement.js';
import { EadroError } from '../../../src/core/errors.js';
import { initBackend } from '../../../src/core/backend.js';
import { gradientsToHost, maxRelDiff, tinyDataset, useTestBackend } from './helpers.js';
import { parityModel } from '../../../src/models/eadro/backend-parity.js';

/** The parity tests' small layer sizes (src/models/eadro/backend-parity.ts). */
const small = parityModel;
const TOLERANCE = 2e-4;

describe('models/eadro/layers/placement (host loops vs device ops)', function () {
  this.timeout(60000);
  // The cpu backend: it has every kernel of the device ops (wasm lacks UnsortedSegmentSum).
  before(async () => {
    await useTestBackend();
    await initBackend('cpu');
  });
  after(async () => {
    await initBackend(process.env['EADRO_BACKEND'] === 'cpu' ? 'cpu' : 'wasm');
  });
  afterEach(() => setOpPlacement('auto'));

  it('decides by the backend, and EADRO_OPS or setOpPlacement force it', () => {
    assert.equal(opPlacement(), 'host', 'cpu: host loops');
    setOpPlacement('device');
    assert.equal(opPlacement(), 'device');
    assert.equal(chooseStep(createEadroConfigOnly()), 'autodiff', 'device placement trains by autodiff');
    assert.throws(() => chooseStep(createEadroConfigOnly(), 'manual'), (err: unknown) => err instanceof EadroError && /host arrays/.test(err.message));
    setOpPlacement('auto');
    process.env['EADRO_OPS'] = 'gpu';
    try {
      assert.throws(() => opPlacement(), /Unknown op placement "gpu"[\s\S]*EADRO_OPS/);
    } finally {
      delete process.env['EADRO_OPS'];
    }
  });

  for (const variant of ['paper', 'reference'] as EadroVariant[]) {
    for (const extra of [{}, { gatHeadCombine: 'mean' as const }]) {
      it(`${variant} ${JSON.stringify(extra)}: losses, gradients and BatchNorm statistics equal on both placements`, () => {
        const ds = tinyDataset({ N: 6, T: 7, W: 40, seed: 5 });
        const model = createEadro({ variant, ...small, ...extra }, datasetDims(ds), 3);
        const batch = makeBatch(ds, Array.from({ length: 12 }, (_, i) => i * 3), model.config);
        setOpPlacement('host');
        const host = gradientsToHost(autodiffGradients(model, batch));
        setOpPlacement('device');
        const device = gradientsToHost(autodiffGradients(model, batch));
        host.losses.forEach((l, i) => assert.ok(Math.abs(l - device.losses[i]!) <= TOLERANCE * Math.max(1, Math.abs(l)), `loss ${i}`));
        for (const [k, g] of host.grads) assert.ok(maxRelDiff(device.grads.get(k)!, g) < TOLERANCE, `gradient ${k}`);
        for (const [k, v] of host.bn) assert.ok(maxRelDiff(device.bn.get(k)!, v) < TOLERANCE, `BatchNorm ${k}`);
        disposeBatch(batch);
        disposeEadro(model);
      });
    }
  }

  it('predictAsync equals predict (manual path on host, forwardEadro on device)', async () => {
    const ds = tinyDataset({ W: 30 });
    const model = createEadro({ variant: 'reference', ...small }, datasetDims(ds), 2);
    const ids = Array.from({ length: 30 }, (_, i) => i);
    const sync = predict(model, ds, ids, { withLoss: true, batchSize: 7 }); // the loss is a per-batch mean: same batches
    setOpPlacement('device');
    const viaDevice = await predictAsync(model, ds, ids, { withLoss: true, batchSize: 7 });
    assert.ok(maxRelDiff(viaDevice.anomalyProb, sync.anomalyProb) < TOLERANCE);
    assert.ok(maxRelDiff(viaDevice.culpritProb, sync.culpritProb) < TOLERANCE);
    assert.ok(maxRelDiff(viaDevice.fused, sync.fused) < TOLERANCE);
    assert.ok(Math.abs(viaDevice.loss! - sync.loss!) < TOLERANCE * Math.max(1, sync.loss!));
    disposeEadro(model);
  });
});

function createEadroConfigOnly() {
  const ds = tinyDataset({ W: 10 });
  const model = createEadro({ variant: 'reference', ...small }, datasetDims(ds), 1);
  const config = model.config;
  disposeEadro(model);
  return config;
}
