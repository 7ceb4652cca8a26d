import { strict as assert } from 'node:assert';
import { clearGpuError, isSoftwareAdapter, recordGpuError, throwIfGpuError } from '../../src/core/webgpu.js';
import { EadroError } from '../../src/core/errors.js';
import { createEadro, disposeEadro, predictAsync } from '../../src/models/eadro/index.js';
import { datasetDims, disposeBatch, makeBatch } from '../../src/models/eadro/data.js';
import { Adam } from '../../src/models/eadro/adam.js';
import { trainStepAsync } from '../../src/models/eadro/step.js';
import { parityModel } from '../../src/models/eadro/backend-parity.js';
import { tinyDataset, useTestBackend } from '../models/eadro/helpers.js';

describe('core/webgpu', () => {
  afterEach(() => clearGpuError());

  it('tells software adapters from hardware ones by name or the fallback flag', () => {
    const base = { vendor: '', architecture: '', device: '', description: '' };
    assert.equal(isSoftwareAdapter({ ...base, device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL ES 3.2 Mesa 22.3.6' }), true);
    assert.equal(isSoftwareAdapter({ ...base, vendor: 'google', device: 'SwiftShader Device (Subzero)' }), true);
    assert.equal(isSoftwareAdapter({ ...base, description: 'llvmpipe (LLVM 15.0.6, 256 bits)', device: 'lavapipe' }), true);
    assert.equal(isSoftwareAdapter({ ...base, vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' }), false);
    assert.equal(isSoftwareAdapter({ ...base, vendor: 'nvidia', isFallbackAdapter: true }), true);
  });

  it('a GPU error fails the next training step and inference batch with its first message', async function () {
    this.timeout(60000);
    await useTestBackend();
    const ds = tinyDataset({ W: 20 });
    const model = createEadro({ variant: 'reference', ...parityModel }, datasetDims(ds), 1);
    const adam = new Adam({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    const batch = makeBatch(ds, [0, 1, 2, 3], model.config);
    try {
      await trainStepAsync(model, batch, adam, 'autodiff'); // the step a GPU runs; fine before any error
      recordGpuError('Out of memory\n - While calling [Device].CreateBuffer');
      recordGpuError('a later error');
      await assert.rejects(trainStepAsync(model, batch, adam, 'autodiff'), (err: unknown) => {
        assert.ok(err instanceof EadroError);
        assert.match(err.message, /The GPU reported an error; the results of this run cannot be trusted: Out of memory \| - While calling/);
        assert.doesNotMatch(err.message, /a later error/);
        return true;
      });
      await assert.rejects(predictAsync(model, ds, [0, 1]), /GPU reported an error/);
      clearGpuError();
      assert.doesNotThrow(throwIfGpuError);
    } finally {
      disposeBatch(batch);
      adam.dispose();
      disposeEadro(model);
    }
  });
});
