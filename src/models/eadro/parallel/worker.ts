/**
 * A worker replica of the data-parallel trainer (trainer.ts; started through worker.mjs). It sets up
 * its own tfjs backend and a copy of the model and optimiser (workerData), then for each epoch message
 * runs its part of every batch (replica-step.ts) in lockstep with the other replicas through the shared
 * reducer, and answers with a fingerprint of its weights. On any error it aborts the reducer first (a
 * main thread blocked in a barrier then throws instead of hanging) and reports the message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../../../core/backend.js';
import type { WindowDataset } from '../../../windows/types.js';
import { ensureFastWasmKernels, uninstallFastWasmKernels } from '../wasm-kernels.js';
import { simdSettings } from '../layers/simd/module.js';
import { SharedSumReducer } from './reducer.js';
import { replicaStep } from './replica-step.js';
import { restoreState, weightsFingerprint } from './state.js';
import type { FromWorker, ToWorker, WorkerSetup } from './protocol.js';

const port = parentPort;
if (port === null) throw new Error('parallel/worker.ts must run as a worker thread');
const setup = workerData as WorkerSetup;
const reducer = new SharedSumReducer(setup.memory, setup.replica);
// makeBatch reads only the arrays; the per-window bookkeeping stays with the main thread.
const data: WindowDataset = {
  ...setup.data,
  meta: { start: new Float64Array(0), runId: [], episodeId: new Int32Array(0), faultType: [], episodeService: [] },
};
const send = (msg: FromWorker): void => port.postMessage(msg);

function fail(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  reducer.abort(`worker replica ${setup.replica}: ${message}`);
  send({ kind: 'error', message });
}

try {
  await initBackend(setup.backend);
  if (setup.fastWasmKernels) ensureFastWasmKernels();
  else uninstallFastWasmKernels();
  Object.assign(simdSettings, setup.simd);
  const { model, adam } = restoreState(setup.state);
  let steps = 0;
  port.on('message', (msg: ToWorker) => {
    if (msg.kind === 'stop') {
      port.close();
      return;
    }
    try {
      const replicas = setup.memory.replicas;
      const stepsPerEpoch = Math.ceil(msg.order.length / msg.batchSize);
      for (let s = 0; s < stepsPerEpoch; s++) {
        steps++;
        if (setup.failAtStep === steps) throw new Error(`injected failure at step ${steps} (test)`);
        const ids = msg.order.slice(s * msg.batchSize, (s + 1) * msg.batchSize);
        replicaStep(model, adam, data, ids, reducer, replicas, setup.replica);
      }
      send({ kind: 'epoch-done', epoch: msg.epoch, fingerprint: weightsFingerprint(model) });
    } catch (err) {
      fail(err);
    }
  });
  send({ kind: 'ready' });
} catch (err) {
  fail(err);
}
