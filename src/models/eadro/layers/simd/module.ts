/**
 * Which SIMD paths Eadro uses (rows-simd.ts, gat-simd.ts), and the loader they share
 * (src/core/wasm-simd.ts, re-exported here for the model's modules).
 */
export { instantiate, lazyInstance, put, regions, runsFor, view, type SimdExports } from '../../../../core/wasm-simd.js';

/**
 * Which SIMD paths the model uses; only the speed differs (equal to the JavaScript loops up to float32
 * rounding, tested). Each runs only where the runtime has WebAssembly SIMD and its width is a multiple
 * of 4. Benchmarks and tests switch them to compare; the data-parallel trainer copies them to its
 * workers, so that every replica computes alike.
 */
export const simdSettings = {
  // ours: the softmax-QKV attention's per-row products (rows-simd.ts). Measured (scratch, one thread,
  // R = 6,912, T = 10, C = 64): forward rows 44 -> 22 ms, backward rows 244 -> 15 ms; at inference
  // also the softmax and mean (rows.wat softmaxMean): 7.3 -> 4.5 ms at R = 3,072 (scratch, not kept);
  // in training also the weight gradient X^T dY (rows.wat transposeProduct): 41 -> 9 ms for [30720, 64]
  attentionRows: true,
  // ours: the GAT backward's per-edge work (gat-simd.ts); gatBackward's self time 440 -> 78 ms in a
  // batch-32 N = 27 profile
  gatEdges: true,
  // ours: the GAT's forward-only pass at inference (gat.wat edgeScores, gatherHeads; manual/gatv2.ts
  // gatPredictSimd): 24.6 -> 5.9 ms per predict pass over SN's
  // 445 test windows, paper variant (measured there)
  gatPredict: true,
};

export type SimdSettings = typeof simdSettings;
