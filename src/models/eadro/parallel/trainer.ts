/**
 * Data-parallel Eadro training on several threads of one process (issue 5: the wasm backend computes
 * on ONE thread per process in Node, and the machine has two cores). The main thread and `threads - 1`
 * worker threads each hold their own tfjs backend and a copy of the model and Adam state; every batch
 * is cut into contiguous parts, one per replica (replica-step.ts); the hand-written step sums, across
 * replicas, the BatchNorm statistics and loss normalisers during the pass and the gradients and losses at
 * its end (reducer.ts: SharedArrayBuffer + Atomics barrier), so each replica gets the whole batch's
 * gradients and applies the identical Adam update: no weights are sent after the start. The result is
 * the batch-B model up to float32 rounding (summation order), not bit for bit the one-thread run.
 *
 * The main thread's model is the one trained, checkpointed and returned (train.ts); workers get a copy
 * of it at the start (also after a resume), and after every epoch each worker's weight fingerprint must
 * equal the main thread's. Workers are terminated by `close`, which train.ts calls on success and error.
 */
import { Worker } from 'node:worker_threads';
import * as os from 'node:os';
import { EadroError } from '../../../core/errors.js';
import { activeBackend } from '../../../core/backend.js';
import type { WindowDataset } from '../../../windows/types.js';
import type { Adam } from '../adam.js';
import { parameterCount, type EadroModel } from '../model.js';
import type { StepLosses } from '../step.js';
import { createReductionMemory, SharedSumReducer, type SharedReductionMemory } from './reducer.js';
import { replicaStep } from './replica-step.js';
import { captureState, weightsFingerprint } from './state.js';
import type { FromWorker, ToWorker, WorkerSetup } from './protocol.js';
import { simdSettings } from '../layers/simd/module.js';

export const parallelDefaults = {
  // ours: one thread unless asked (TrainOptions.threads or EADRO_TRAIN_THREADS): see the measurements
  // in results/bench/eadro.json (rows with threads = 2) and the module comment of train.ts
  threads: 1,
};

/**
 * Training threads: `requested` (TrainOptions.threads), else EADRO_TRAIN_THREADS, else 1. More threads
 * than cores is allowed (it only slows down) but not fewer than one.
 */
export function resolveTrainThreads(requested?: number): number {
  const fromEnv = process.env['EADRO_TRAIN_THREADS'];
  const raw = requested ?? (fromEnv === undefined || fromEnv.trim() === '' ? parallelDefaults.threads : Number(fromEnv));
  if (!Number.isInteger(raw) || raw < 1) {
    throw new EadroError('Training threads must be a positive integer.', {
      field: requested === undefined ? 'EADRO_TRAIN_THREADS' : 'threads',
      expected: `an integer >= 1 (this machine has ${os.cpus().length} cores)`,
      found: requested === undefined ? String(fromEnv) : String(requested),
    });
  }
  return raw;
}

export interface ParallelTrainerOptions {
  ds: WindowDataset;
  /** The main thread's model and optimiser (replica 0); the workers start from copies. */
  model: EadroModel;
  adam: Adam;
  /** Replicas including the main thread, >= 2. */
  threads: number;
  /** Whether the replacement wasm kernels are active on the main thread (workers do the same). */
  fastWasmKernels: boolean;
  /** Tests only: make worker replica 1 throw at this 1-based step. */
  failWorkerAtStep?: number;
}

interface WorkerHandle {
  worker: Worker;
  exited: boolean;
  /** Messages not yet taken by `next`. */
  inbox: FromWorker[];
  wake: (() => void) | null;
  failure: Error | null;
}

/** The vector lengths the step reduces: gradients + 3 losses, the taps' co-moments and sums. */
function reductionCapacity(model: EadroModel): number {
  const c = model.config;
  const widest = c.kernelSize * Math.max(model.dims.K, 1);
  return Math.max(parameterCount(model) + 3, widest * widest, widest + 1, 2);
}

export class ParallelTrainer {
  private closed = false;

  private constructor(
    private readonly opts: ParallelTrainerOptions,
    private readonly reducer: SharedSumReducer,
    private readonly workers: WorkerHandle[],
  ) {}

  /** Start the worker replicas and wait until each has its backend and model. */
  static async start(opts: ParallelTrainerOptions): Promise<ParallelTrainer> {
    if (!Number.isInteger(opts.threads) || opts.threads < 2) {
      throw new EadroError('The data-parallel trainer needs at least two threads.', { field: 'threads', expected: 'an integer >= 2', found: String(opts.threads) });
    }
    const backend = activeBackend();
    if (backend === null) throw new EadroError('No tfjs backend is initialised.', { hint: 'call initBackend before training' });
    const memory: SharedReductionMemory = createReductionMemory(opts.threads, reductionCapacity(opts.model));
    const { meta: _meta, ...data } = opts.ds;
    const state = captureState(opts.model, opts.adam);
    const entry = new URL('./worker.mjs', import.meta.url);
    const handles: WorkerHandle[] = [];
    for (let replica = 1; replica < opts.threads; replica++) {
      const setup: WorkerSetup = { replica, memory, backend: backend.name, fastWasmKernels: opts.fastWasmKernels, simd: { ...simdSettings }, data, state };
      if (replica === 1 && opts.failWorkerAtStep !== undefined) setup.failAtStep = opts.failWorkerAtStep;
      const handle: WorkerHandle = { worker: new Worker(entry, { workerData: setup }), exited: false, inbox: [], wake: null, failure: null };
      const notify = (): void => {
        const wake = handle.wake;
        handle.wake = null;
        wake?.();
      };
      handle.worker.on('message', (msg: FromWorker) => {
        handle.inbox.push(msg);
        notify();
      });
      handle.worker.on('error', (err) => {
        handle.failure ??= err;
        notify();
      });
      handle.worker.on('exit', (code) => {
        handle.exited = true;
        handle.failure ??= new Error(`worker replica ${replica} exited (code ${code})`);
        notify();
      });
      handles.push(handle);
    }
    const trainer = new ParallelTrainer(opts, new SharedSumReducer(memory, 0), handles);
    try {
      for (const h of handles) await trainer.next(h, 'ready');
    } catch (err) {
      await trainer.close();
      throw err;
    }
    return trainer;
  }

  /** Replicas including the main thread. */
  get threads(): number {
    return this.opts.threads;
  }

  /** Wall seconds the main thread has waited for the workers at reductions (imbalance + latency). */
  get mainWaitSeconds(): number {
    return this.reducer.waitSeconds;
  }

  /** Worker threads still running (0 after close). */
  get liveWorkers(): number {
    return this.workers.filter((h) => !h.exited).length;
  }

  /**
   * One epoch over `order` in batches of `batchSize`, on every replica. `onStep` gets each batch's
   * losses (the whole batch's) and window count. Resolves once every worker has finished the epoch
   * with weights identical to the main thread's.
   */
  async runEpoch(epoch: number, order: readonly number[], batchSize: number, onStep: (losses: StepLosses, windows: number) => void): Promise<void> {
    if (this.closed) throw new Error('ParallelTrainer: runEpoch after close');
    const msg: ToWorker = { kind: 'epoch', epoch, order: [...order], batchSize };
    for (const h of this.workers) h.worker.postMessage(msg);
    const { model, adam, ds, threads } = this.opts;
    const steps = Math.ceil(order.length / batchSize);
    try {
      for (let s = 0; s < steps; s++) {
        const ids = order.slice(s * batchSize, (s + 1) * batchSize);
        onStep(replicaStep(model, adam, ds, ids, this.reducer, threads, 0), ids.length);
      }
    } catch (err) {
      // A worker's own report says more than "aborted": prefer it when it has arrived.
      this.reducer.abort(`main replica: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
    const fingerprint = weightsFingerprint(model);
    for (const h of this.workers) {
      const done = await this.next(h, 'epoch-done');
      if (done.kind === 'epoch-done' && done.fingerprint !== fingerprint) {
        throw new EadroError('Data-parallel replicas diverged: a worker holds other weights than the main thread.', {
          field: `epoch ${epoch}`,
          expected: `weights fingerprint ${fingerprint.slice(0, 12)}`,
          found: done.fingerprint.slice(0, 12),
          hint: 'train with threads = 1 and report this as a bug',
        });
      }
    }
  }

  /** Stop and terminate every worker (idempotent); also unblocks workers waiting in a barrier. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reducer.abort('training stopped');
    await Promise.all(
      this.workers.map(async (h) => {
        if (h.exited) return;
        const stop: ToWorker = { kind: 'stop' };
        h.worker.postMessage(stop);
        await h.worker.terminate();
        h.exited = true;
      }),
    );
  }

  /** The next message of a worker, which must be of `kind`; its error or exit as an EadroError. */
  private async next(h: WorkerHandle, kind: FromWorker['kind']): Promise<FromWorker> {
    for (;;) {
      const msg = h.inbox.shift();
      if (msg !== undefined) {
        if (msg.kind === 'error') throw new EadroError('Data-parallel training failed in a worker thread.', { found: msg.message });
        if (msg.kind !== kind) throw new Error(`ParallelTrainer: expected ${kind} from a worker, got ${msg.kind}`);
        return msg;
      }
      if (h.failure !== null) throw new EadroError('Data-parallel training failed in a worker thread.', { found: h.failure.message });
      await new Promise<void>((resolve) => {
        h.wake = resolve;
      });
    }
  }
}
