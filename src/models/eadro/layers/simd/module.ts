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
  // also the softmax and mean (rows.wat softmaxMean): 7.3 -> 4.5 ms at R = 3,072 (scratch, not kept)
  attentionRows: true,
  // ours: every weight gradient x^T dy of the hand-written backward whose widths are multiples of 4
  // (rows.wat transposeProduct, via manual/host.ts weightGradient; XNNPACK runs these long-K shapes
  // memory-bound). Scratch timing, one thread, against tf.matMul: [30720, 64]^T [30720, 64] 41 -> 9 ms
  // (the attention's X^T dY at N = 12), [3072, 64]^T [3072, 1024] 20.3 -> 17.1 (GAT), [3072, 192]^T
  // [3072, 128] 6.3 -> 3.2 (fusion), [256, 128]^T [256, 64] 0.38 -> 0.18 (heads). Not in run info: the
  // same float32 products summed in the same row order as XNNPACK's (weights after 6 Adam steps
  // bit-identical either way, both variants)
  weightGradients: true,
  // ours: the GAT's per-edge work (gat-simd.ts): the backward's edge loops, gatBackward's self time
  // 440 -> 78 ms in a batch-32 N = 27 profile; and the forward-only pass at inference (gat.wat
  // edgeScores, gatherHeads; manual/gatv2.ts gatPredictSimd), 24.6 -> 5.9 ms per predict pass over
  // SN's 445 test windows, paper variant. One switch, so that run info's simdGatEdges records both
  gatEdges: true,
};

export type SimdSettings = typeof simdSettings;
