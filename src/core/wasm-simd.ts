/**
 * Loading and feeding the project's WebAssembly SIMD modules (Eadro's rows-simd.ts and gat-simd.ts, the
 * RBF SVM's kernel in baselines/classifiers/svm.ts): each module has its own memory, into which inputs
 * are copied and from which results are read. One instance per module and thread (each worker of the
 * data-parallel trainer loads its own), made on first use. In core/ because models and baselines both
 * use it (data flows one way: neither imports the other).
 */

// Node's WebAssembly API, as much as is used here (the project's lib, ES2023 without DOM, has no types for it)
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: object };
};

export interface SimdExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
}

/** The module's exports, or null when this runtime cannot run it (no WebAssembly SIMD). */
export function instantiate<X extends SimdExports>(base64: string): X | null {
  const bytes = Buffer.from(base64, 'base64');
  if (typeof WebAssembly === 'undefined' || !WebAssembly.validate(bytes)) return null;
  return new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as X;
}

/** A loader that instantiates the module on its first call (null on every call when the runtime cannot run it). */
export function lazyInstance<X extends SimdExports>(base64: string): () => X | null {
  let instance: X | null | undefined;
  return () => {
    if (instance === undefined) instance = instantiate<X>(base64);
    return instance;
  };
}

/** Whether a module runs for vectors of `width` float32 values: a positive multiple of 4, and the module loads. */
export function runsFor(width: number, load: () => SimdExports | null): boolean {
  return width > 0 && width % 4 === 0 && load() !== null;
}

/**
 * Byte offsets of consecutive regions of the given byte sizes (16-byte aligned), from byte `start`
 * on, the memory grown to hold them all. Regions are valid until the next call (one caller at a time: JavaScript is single-threaded).
 */
export function regions(k: SimdExports, bytes: readonly number[], what: string, start = 0): number[] {
  const offsets: number[] = [];
  let end = Math.ceil(start / 16) * 16; // past `start` (bytes the caller still reads there)
  for (const n of bytes) {
    offsets.push(end);
    end += Math.ceil(n / 16) * 16;
  }
  const have = k.memory.buffer.byteLength;
  if (end > have) {
    try {
      k.memory.grow(Math.ceil((end - have) / 65536));
    } catch (err) {
      // past WebAssembly's 4 GiB: a batch far larger than training uses
      throw new Error(`${what}: cannot grow the module's memory to ${(end / 2 ** 20).toFixed(0)} MiB (${err instanceof Error ? err.message : String(err)}); use a smaller batch or switch the SIMD path off`);
    }
  }
  return offsets;
}

/** A float32 view of `length` values at byte `offset` (valid until the memory grows). */
export function view(k: SimdExports, offset: number, length: number): Float32Array {
  return new Float32Array(k.memory.buffer, offset, length);
}

/** Copy `data` to byte `offset`. */
export function put(k: SimdExports, offset: number, data: Float32Array): void {
  view(k, offset, data.length).set(data);
}
