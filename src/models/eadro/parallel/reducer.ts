/**
 * Cross-replica sums for data-parallel training (trainer.ts): every replica (the main thread and its
 * worker threads) calls `sum` with a vector of the same length at the same point of its step, and each
 * gets back the element-wise sum over replicas, BIT-IDENTICAL on every replica (each adds the slots in
 * replica order 0, 1, ...), so the replicas apply identical updates and their weights never drift apart.
 *
 * Shared memory (one SharedArrayBuffer, handed to the workers once):
 *   Int32 control words (arrival count, barrier generation, abort flag, abort text length, per-slot
 *   lengths) | abort text (UTF-8) | float64 slots: 2 phases x P replicas x capacity.
 * One barrier per sum: a replica writes its slot of the current phase, arrives, waits for the others,
 * then reads all slots. Phases alternate by call count, so a replica that runs ahead into the next sum
 * writes the other phase's slot and never overwrites values a slower replica is still reading (it
 * cannot pass the next barrier before everyone has finished reading this one).
 *
 * Failure: a replica that fails calls `abort(message)`; every replica waiting in (or later entering) a
 * barrier throws an EadroError carrying that message instead of hanging. A replica that dies without
 * aborting is caught by the barrier timeout.
 */
import { EadroError } from '../../../core/errors.js';

/** What the hand-written step (../manual/) needs from the replicas' communication. */
export interface ReplicaReducer {
  /** Element-wise sum of `values` over all replicas; the same result on every replica. */
  sum(values: Float64Array): Float64Array;
}

export const reducerDefaults = {
  // ours: one barrier never legitimately waits longer than a training step's imbalance (well under a
  // second at batch 256); a replica that died without aborting is reported after this many seconds
  barrierTimeoutSeconds: 120,
  // ours: Atomics.wait slice; between slices the abort flag and the timeout are checked
  waitSliceMs: 200,
  // ours: bytes kept for the abort message (longer messages are cut)
  abortTextBytes: 4096,
  // ours: how long a reader waits for an aborting replica to finish writing its message
  abortTextWaitMs: 1000,
};

const ARRIVED = 0;
const GENERATION = 1;
const ABORTED = 2;
const ABORT_LENGTH = 3;
const CONTROL_HEADER = 4;

/** Where the abort state lives in the shared memory (Int32 word indices; text byte offset): for tests. */
export const reducerLayout = {
  abortedWord: ABORTED,
  abortLengthWord: ABORT_LENGTH,
  abortTextOffset: (replicas: number): number => (CONTROL_HEADER + 2 * replicas) * 4,
};

/** The shared memory of one group of replicas, as sent to workers (structured-cloneable). */
export interface SharedReductionMemory {
  buffer: SharedArrayBuffer;
  replicas: number;
  /** Float64 values per slot (the longest vector `sum` accepts). */
  capacity: number;
}

export function createReductionMemory(replicas: number, capacity: number): SharedReductionMemory {
  if (!Number.isInteger(replicas) || replicas < 1) throw new EadroError('Replica count must be a positive integer.', { field: 'replicas', found: String(replicas) });
  const bytes = controlBytes(replicas) + 2 * replicas * capacity * 8;
  return { buffer: new SharedArrayBuffer(bytes), replicas, capacity };
}

/** Control words and the abort text, rounded up to whole float64s. */
function controlBytes(replicas: number): number {
  const raw = (CONTROL_HEADER + 2 * replicas) * 4 + reducerDefaults.abortTextBytes;
  return Math.ceil(raw / 8) * 8;
}

/** One replica's end of the shared memory. */
export class SharedSumReducer implements ReplicaReducer {
  private readonly control: Int32Array;
  private readonly text: Uint8Array;
  private readonly slots: Float64Array;
  private calls = 0;
  private waitedMs = 0;
  /** Sums done (for tests and progress reports). */
  get reductions(): number {
    return this.calls;
  }
  /** Wall seconds this replica spent waiting for the others in barriers (load imbalance + latency). */
  get waitSeconds(): number {
    return this.waitedMs / 1000;
  }

  constructor(
    private readonly memory: SharedReductionMemory,
    /** This replica's index, 0 = main thread. */
    readonly replica: number,
  ) {
    if (!Number.isInteger(replica) || replica < 0 || replica >= memory.replicas) {
      throw new EadroError('Replica index out of range.', { field: 'replica', expected: `0..${memory.replicas - 1}`, found: String(replica) });
    }
    const P = memory.replicas;
    this.control = new Int32Array(memory.buffer, 0, CONTROL_HEADER + 2 * P);
    this.text = new Uint8Array(memory.buffer, (CONTROL_HEADER + 2 * P) * 4, reducerDefaults.abortTextBytes);
    this.slots = new Float64Array(memory.buffer, controlBytes(P), 2 * P * memory.capacity);
  }

  sum(values: Float64Array): Float64Array {
    const { replicas: P, capacity } = this.memory;
    if (values.length > capacity) {
      throw new EadroError('Cross-replica sum longer than the shared buffer.', { field: 'values.length', expected: `at most ${capacity}`, found: String(values.length) });
    }
    this.throwIfAborted();
    const phase = this.calls & 1;
    this.calls++;
    const base = phase * P * capacity;
    this.slots.set(values, base + this.replica * capacity);
    Atomics.store(this.control, CONTROL_HEADER + phase * P + this.replica, values.length);
    this.barrier();
    const out = new Float64Array(values.length);
    for (let p = 0; p < P; p++) {
      const length = Atomics.load(this.control, CONTROL_HEADER + phase * P + p);
      if (length !== values.length) {
        const message = `replica ${p} reduced ${length} values where replica ${this.replica} reduced ${values.length} (the replicas' steps disagree)`;
        this.abort(message);
        throw new EadroError('Data-parallel training failed.', { found: message });
      }
      const o = base + p * capacity;
      for (let i = 0; i < out.length; i++) out[i] = out[i]! + this.slots[o + i]!;
    }
    return out;
  }

  /** Make every replica's current and future `sum` throw with `message` (first message wins). */
  abort(message: string): void {
    if (Atomics.compareExchange(this.control, ABORTED, 0, 1) === 0) {
      const bytes = new TextEncoder().encode(message).subarray(0, this.text.length);
      this.text.set(bytes);
      Atomics.store(this.control, ABORT_LENGTH, bytes.length);
      Atomics.store(this.control, ABORTED, 2); // text complete
      Atomics.notify(this.control, ABORTED);
    }
    Atomics.add(this.control, GENERATION, 0);
    Atomics.notify(this.control, GENERATION);
  }

  /** The abort message, or null while no replica has aborted. */
  abortMessage(): string | null {
    let state = Atomics.load(this.control, ABORTED);
    if (state === 0) return null;
    // State 1: the aborting replica is writing its text (microseconds). Wait for it, so the message
    // says why; a replica that died in between leaves 1, and the bound keeps this from hanging.
    const deadline = Date.now() + reducerDefaults.abortTextWaitMs;
    while (state === 1 && Date.now() < deadline) {
      Atomics.wait(this.control, ABORTED, 1, reducerDefaults.waitSliceMs);
      state = Atomics.load(this.control, ABORTED);
    }
    if (state === 1) return 'another replica failed';
    return new TextDecoder().decode(this.text.slice(0, Atomics.load(this.control, ABORT_LENGTH)));
  }

  private throwIfAborted(): void {
    const message = this.abortMessage();
    if (message !== null) throw new EadroError('Data-parallel training failed in another replica.', { found: message });
  }

  private barrier(): void {
    const P = this.memory.replicas;
    const generation = Atomics.load(this.control, GENERATION);
    if (Atomics.add(this.control, ARRIVED, 1) === P - 1) {
      // Last to arrive: reset the count BEFORE releasing, so the next barrier counts from zero.
      Atomics.store(this.control, ARRIVED, 0);
      Atomics.add(this.control, GENERATION, 1);
      Atomics.notify(this.control, GENERATION);
      return;
    }
    const started = performance.now();
    const deadline = Date.now() + reducerDefaults.barrierTimeoutSeconds * 1000;
    while (Atomics.load(this.control, GENERATION) === generation) {
      this.throwIfAborted();
      if (Date.now() > deadline) {
        const message = `replica ${this.replica} waited ${reducerDefaults.barrierTimeoutSeconds} s for the others at reduction ${this.calls}`;
        this.abort(message);
        throw new EadroError('Data-parallel training stalled: a replica stopped answering.', { found: message });
      }
      Atomics.wait(this.control, GENERATION, generation, reducerDefaults.waitSliceMs);
    }
    this.waitedMs += performance.now() - started;
    this.throwIfAborted();
  }
}
