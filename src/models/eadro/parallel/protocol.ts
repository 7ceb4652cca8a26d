/** Messages between the data-parallel trainer (trainer.ts, main thread) and its workers (worker.ts). */
import type { BackendName } from '../../../core/backend.js';
import type { WindowDataset } from '../../../windows/types.js';
import type { SharedReductionMemory } from './reducer.js';
import type { SimdSettings } from '../layers/simd/module.js';
import type { ReplicaState } from './state.js';

/** The arrays of a WindowDataset that batches are made from (its `meta` stays on the main thread). */
export type BatchSource = Omit<WindowDataset, 'meta'>;

/** Given once, as workerData. */
export interface WorkerSetup {
  replica: number;
  memory: SharedReductionMemory;
  /** The main thread's backend: each worker initialises the same one. */
  backend: BackendName;
  /** Whether the main thread runs the replacement wasm kernels (../wasm-kernels.ts). */
  fastWasmKernels: boolean;
  /** The main thread's SIMD settings (../layers/simd/module.ts): every replica computes alike. */
  simd: SimdSettings;
  data: BatchSource;
  state: ReplicaState;
  /** Tests only: throw inside this replica's step with this 1-based number (counted over the run). */
  failAtStep?: number;
}

export type ToWorker =
  | { kind: 'epoch'; epoch: number; order: number[]; batchSize: number }
  | { kind: 'stop' };

export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'epoch-done'; epoch: number; fingerprint: string }
  | { kind: 'error'; message: string };
