import { strict as assert } from 'node:assert';
import { initBackend, normalizeBackendRequest, type BackendProbe } from '../../src/core/backend.js';
import { EadroError } from '../../src/core/errors.js';

/** A probe on which the native packages are absent, as on this machine and any offline one. */
function probeWithout(absent: string[], gpu = false): BackendProbe {
  return {
    importPackage: async (pkg) => {
      if (absent.includes(pkg)) throw new Error(`Cannot find package '${pkg}'`);
      return import(pkg);
    },
    gpuVisible: () => gpu,
    webgpuHint: () => null,
  };
}

const NATIVE = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

describe('core/backend', () => {
  it('falls back past absent native packages to wasm and records why', async () => {
    const info = await initBackend('auto', probeWithout(NATIVE, true));
    assert.equal(info.name, 'wasm');
    assert.equal(info.tfjsBackend, 'wasm');
    assert.equal(info.threads, 1);
    assert.equal(info.requested, 'auto');
    assert.deepEqual(info.skipped.map((s) => s.name), ['tensorflow-gpu', 'webgpu', 'tensorflow']);
    assert.match(info.skipped[1]!.reason, /no GPU device visible/);
    assert.match(info.skipped[2]!.reason, /tfjs-node/);
    assert.match(info.version, /^\d+\.\d+\.\d+/);
  });

  it('skips tensorflow-gpu when no GPU is visible, without importing it', async () => {
    const imported: string[] = [];
    const probe: BackendProbe = {
      importPackage: async (pkg) => {
        imported.push(pkg);
        if (NATIVE.includes(pkg)) throw new Error('absent');
        return import(pkg);
      },
      gpuVisible: () => false,
      webgpuHint: () => null,
    };
    const info = await initBackend('auto', probe);
    assert.equal(info.skipped[0]!.reason, 'no GPU visible');
    assert.ok(!imported.includes('@tensorflow/tfjs-node-gpu'));
    // no GPU device node: Dawn is never loaded (it would probe Vulkan and print warnings)
    assert.ok(!imported.includes('webgpu'));
  });

  it('falls back to cpu when wasm is absent too', async () => {
    const info = await initBackend('auto', probeWithout([...NATIVE, '@tensorflow/tfjs-backend-wasm']));
    assert.equal(info.name, 'cpu');
    assert.equal(info.skipped.length, 4);
    await initBackend('wasm', probeWithout(NATIVE)); // leave the faster backend active for later tests
  });

  it('forcing an absent backend is an error with the install command', async () => {
    await assert.rejects(initBackend('tensorflow', probeWithout(NATIVE)), (err: unknown) => {
      assert.ok(err instanceof EadroError);
      assert.match(err.message, /Backend "tensorflow" was requested/);
      assert.match(err.message, /npm install @tensorflow\/tfjs-node@4\.22\.0/);
      return true;
    });
    await assert.rejects(initBackend('tensorflow-gpu', probeWithout(NATIVE, true)), /tfjs-node-gpu@4\.22\.0/);
  });

  it('forcing an available backend uses it', async () => {
    const info = await initBackend('cpu', probeWithout(NATIVE));
    assert.equal(info.name, 'cpu');
    assert.equal(info.requested, 'cpu');
    await initBackend('wasm', probeWithout(NATIVE));
  });

  it('parses backend requests and rejects unknown names', () => {
    assert.equal(normalizeBackendRequest('auto'), 'auto');
    assert.equal(normalizeBackendRequest('wasm'), 'wasm');
    assert.throws(() => normalizeBackendRequest('webgl'), /Unknown backend "webgl"/);
  });
});
