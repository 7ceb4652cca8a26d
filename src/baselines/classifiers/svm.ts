/**
 * RBF support vector classifier of the MS-SVM baselines (paper §V-B2: "SVM"; `../shared/specs/baselines.md`
 * §3.4: RBF, C = 1, γ = scale, probability estimates as libsvm `-b 1`). Written here, after trying
 * `libsvm-js` 0.2.1 (libsvm 3.22 compiled by emscripten). Measured (scratch script, this project's 2-core
 * AMD EPYC VM, Node 20.20, one thread): it installs and loads under Node 20 ESM (through createRequire;
 * the main entry resolves asynchronously to the WebAssembly build, `libsvm-js/asm` loads synchronously).
 * With a PRECOMPUTED kernel (computing it from d = 17,000 columns is the real cost, see below), `-b 1`
 * trained in 1.06 s (wasm) / 2.24 s (asm) at n = 2,800, 2 classes, and 0.97 / 2.03 s at n = 1,500,
 * 27 classes; probabilities for 1,500 rows took 0.22-0.64 s. It is not used because
 * (1) the `-b 1` cross-validation draws its folds with libsvm's unseeded rand() and the package exports
 *     no srand: two fits on the same data in one process gave different probabilities (0.894433 vs
 *     0.893746 for the same row);
 * (2) its options go through a 256-byte command buffer (strcpy in its js-interfaces.c), so balanced
 *     class weights (`-wN w` per class, ≈ 350 characters for 27 classes) would overflow it;
 * (3) fit() here is synchronous, and its fast (wasm) build loads asynchronously.
 *
 * What this is, libsvm's algorithms ported (svm.cpp 3.x):
 * - C-SVC dual solved by SMO with libsvm's second-order working-set selection (WSS2) and stopping
 *   tolerance ε = 1e-3; no shrinking (ours: the solution is the same within ε; l ≤ a few thousand).
 *   ρ from the free support vectors, else the midpoint of the bounds. Class weights scale C per class.
 * - Multi-class: one-vs-one on the classes present in y, class a (+1) against class b (−1), a < b.
 * - `-b 1`: per pair, decision values by 5-fold cross-validation (svm_binary_svc_probability), a Platt
 *   sigmoid fitted to them by libsvm's Newton method (sigmoid_train), pairwise probabilities clipped to
 *   [1e-7, 1 − 1e-7], coupled by Wu-Lin-Weng's method 2 (multiclass_probability). ours: the fold
 *   permutation comes from `createRng(seed).fork('pair:a-b')`, so a seed fixes the probabilities.
 * - γ = 'scale' is sklearn's 1 / (d · Var(X)), Var over all n·d entries of the training X (1 if 0).
 * Checked against libsvm-js on the same precomputed kernel (scratch script, n = 400, 6 columns): ρ and
 * every α_i y_i of a 2-class machine equal libsvm's to its printed precision (|Δ| ≤ 5e-7); `-b 1`
 * probabilities differ by 0.0065 on average (2 classes; 0.0033 with 4), from the different folds, and
 * the most probable class agrees on 100 % (2 classes) / 99.75 % (4 classes) of the rows.
 * Kernel: K(x, z) = exp(−γ‖x − z‖²), with ‖x − z‖² = ‖x‖² + ‖z‖² − 2x·z over the columns that vary in
 * training, after centering them on their training means (centering leaves distances unchanged and keeps
 * the cancellation small); the columns constant in training add Σ (x_j − c_j)² exactly, in float64.
 * The products run in WebAssembly SIMD (`gramWat` below): float32 products, summed in float32 over
 * chunks of 512 columns and in float64 across chunks; K's relative error is then ~1e-6, far below the
 * solver's tolerance. Measured on the same VM: ≈ 6 multiply-adds per ns, against ≈ 1 for JavaScript
 * loops (V8 does not vectorise) and ≈ 11 for tfjs-wasm's XNNPACK matMul (which needs the async backend
 * set up first). A JavaScript fallback runs where WebAssembly SIMD does not.
 * Timings (scripts/bench/classifiers.ts -> results/bench/classifiers.json, same VM, quiet, d = 17,000
 * float32 columns, half of them constant 0, every training row a support vector): fit 8.0 s at
 * n = 2,800 / 2 classes (kernel 6.2 s, solver and Platt CV 1.7 s) and 3.2 s at n = 1,500 / 27 classes;
 * predictProba of 1,500 rows 5.4 / 3.3 s. With no constant column: fit 15 / 5.6 s, predictProba
 * 10-13.5 / 5.9 s. The products cost ≈ (n²/2 + rows · support vectors) · (varying columns) / 6e9 s.
 */
import { createRng, type Rng } from '../../core/rng.js';
import { EadroError } from '../../core/errors.js';
import { instantiate, regions, type SimdExports } from '../../core/wasm-simd.js';
import { checkLabels, checkMatrix, classCounts, classWeights, type Matrix, type ProbabilisticClassifier } from './types.js';

export const svmDefaults = {
  /** baselines.md §3.4 "C = 1" (also libsvm's and sklearn's default). */
  C: 1,
  /** baselines.md §3.4 "γ = scale": sklearn's 1 / (d · Var(X)); or a positive number. */
  gamma: 'scale' as 'scale' | number,
  /** baselines.md §3.4 "with probability estimates (libsvm -b 1)"; false: rows are one-vs-one vote shares. */
  probability: true,
  /** ours: unweighted, sklearn's default (class_weight=None); baselines.md §3.4 makes balanced weights optional ("report which"). */
  classWeight: null as 'balanced' | null,
  /** libsvm's default stopping tolerance (svm-train -e 0.001). */
  tolerance: 1e-3,
  /** libsvm: svm_binary_svc_probability's nr_fold = 5. */
  cvFolds: 5,
  /** libsvm: svm_predict_probability clips pairwise probabilities to [min_prob, 1 − min_prob], min_prob = 1e-7. */
  minProbability: 1e-7,
  /** ours: SMO iteration cap = max(minIterations, iterationsPerPoint·l); libsvm uses max(1e7, 100·l), too slow in JS for large l. */
  iterationsPerPoint: 100,
  /** ours: lower bound of the SMO iteration cap (small problems). */
  minIterations: 100_000,
  /** ours: test rows per block of kernel products in predictProba (bounds the memory: block · support vectors · 8 bytes). */
  predictBlockRows: 256,
  /** ours: the seed of the cross-validation folds of the probability estimates. */
  seed: 0,
};

export type SvmOptions = typeof svmDefaults;

// ---------------------------------------------------------------------------------------------------
// Kernel products in WebAssembly SIMD

/**
 * Source of the products module. Its bytes (`gramWasmBase64`) are what runs; the test
 * `test/baselines/classifiers/svm.test.ts` compiles this text with wabt (a devDependency) and checks that
 * it gives exactly these bytes, so edit both together (compile with wabt's parseWat, features { simd: true },
 * toBinary({ write_debug_names: false })).
 */
export const gramWat = `;; out[i, k] += a[i, :] · b[k, :] for i < nA, k < nB (only k < i + 4 when sym ≠ 0), as float32 products
;; summed in float32 over chunks of 512 values, each chunk's sum widened and added into float64 out [nA, nB].
;; a [nA, D], b [nB, D] float32 row-major at byte offsets; nA % 4 = 0, nB % 2 = 0, D % 16 = 0.
;; Blocking: a 512-value chunk of 64 rows of b (128 KiB) stays in L2 while every 4-row tile of a passes
;; over it; a 4 x 2 tile of outputs keeps 8 four-lane sums in registers; the inner loop is unrolled 4 times
;; (64 bytes per row per pass) with pointer bumps, which measured 25 % faster than one step with indexing.
(module (memory (export "memory") 1)
  (func (export "gram") (param $a i32) (param $b i32) (param $out i32) (param $nA i32) (param $nB i32) (param $D i32) (param $sym i32)
    (local $rowBytes i32) (local $j0 i32) (local $len i32) (local $k0 i32) (local $kEnd i32) (local $i i32) (local $k i32) (local $kStop i32) (local $o i32)
    (local $pa0 i32) (local $pa1 i32) (local $pa2 i32) (local $pa3 i32) (local $pb0 i32) (local $pb1 i32) (local $end i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128) (local $va v128) (local $b0 v128) (local $b1 v128)
    (local.set $rowBytes (i32.shl (local.get $D) (i32.const 2)))
    (local.set $j0 (i32.const 0))
    (block $doneJ (loop $loopJ (br_if $doneJ (i32.ge_u (local.get $j0) (local.get $rowBytes)))
      (local.set $len (i32.sub (local.get $rowBytes) (local.get $j0)))
      (if (i32.gt_u (local.get $len) (i32.const 2048)) (then (local.set $len (i32.const 2048))))
      (local.set $k0 (i32.const 0))
      (block $doneK0 (loop $loopK0 (br_if $doneK0 (i32.ge_u (local.get $k0) (local.get $nB)))
        (local.set $kEnd (i32.add (local.get $k0) (i32.const 64)))
        (if (i32.gt_u (local.get $kEnd) (local.get $nB)) (then (local.set $kEnd (local.get $nB))))
        (local.set $i (i32.const 0))
        (block $doneI (loop $loopI (br_if $doneI (i32.ge_u (local.get $i) (local.get $nA)))
          (local.set $kStop (local.get $kEnd))
          (if (local.get $sym) (then (if (i32.lt_u (i32.add (local.get $i) (i32.const 4)) (local.get $kStop)) (then (local.set $kStop (i32.add (local.get $i) (i32.const 4)))))))
          (local.set $k (local.get $k0))
          (block $doneK (loop $loopK (br_if $doneK (i32.ge_s (local.get $k) (local.get $kStop)))
            (local.set $pa0 (i32.add (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rowBytes))) (local.get $j0)))
            (local.set $pa1 (i32.add (local.get $pa0) (local.get $rowBytes)))
            (local.set $pa2 (i32.add (local.get $pa1) (local.get $rowBytes)))
            (local.set $pa3 (i32.add (local.get $pa2) (local.get $rowBytes)))
            (local.set $pb0 (i32.add (i32.add (local.get $b) (i32.mul (local.get $k) (local.get $rowBytes))) (local.get $j0)))
            (local.set $pb1 (i32.add (local.get $pb0) (local.get $rowBytes)))
            (local.set $end (i32.add (local.get $pb0) (local.get $len)))
            (local.set $c00 (v128.const i32x4 0 0 0 0))
            (local.set $c01 (v128.const i32x4 0 0 0 0))
            (local.set $c10 (v128.const i32x4 0 0 0 0))
            (local.set $c11 (v128.const i32x4 0 0 0 0))
            (local.set $c20 (v128.const i32x4 0 0 0 0))
            (local.set $c21 (v128.const i32x4 0 0 0 0))
            (local.set $c30 (v128.const i32x4 0 0 0 0))
            (local.set $c31 (v128.const i32x4 0 0 0 0))
            (block $doneP (loop $loopP (br_if $doneP (i32.ge_u (local.get $pb0) (local.get $end)))
              (local.set $b0 (v128.load (local.get $pb0)))
              (local.set $b1 (v128.load (local.get $pb1)))
              (local.set $va (v128.load (local.get $pa0)))
              (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $va) (local.get $b0))))
              (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $va) (local.get $b1))))
              (local.set $va (v128.load (local.get $pa1)))
              (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $va) (local.get $b0))))
              (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $va) (local.get $b1))))
              (local.set $va (v128.load (local.get $pa2)))
              (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $va) (local.get $b0))))
              (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $va) (local.get $b1))))
              (local.set $va (v128.load (local.get $pa3)))
              (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $va) (local.get $b0))))
              (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $va) (local.get $b1))))
              (local.set $b0 (v128.load offset=16 (local.get $pb0)))
              (local.set $b1 (v128.load offset=16 (local.get $pb1)))
              (local.set $va (v128.load offset=16 (local.get $pa0)))
              (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $va) (local.get $b0))))
              (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $va) (local.get $b1))))
              (local.set $va (v128.load offset=16 (local.get $pa1)))
              (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $va) (local.get $b0))))
              (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $va) (local.get $b1))))
              (local.set $va (v128.load offset=16 (local.get $pa2)))
              (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $va) (local.get $b0))))
              (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $va) (local.get $b1))))
              (local.set $va (v128.load offset=16 (local.get $pa3)))
              (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $va) (local.get $b0))))
              (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $va) (local.get $b1))))
              (local.set $b0 (v128.load offset=32 (local.get $pb0)))
              (local.set $b1 (v128.load offset=32 (local.get $pb1)))
              (local.set $va (v128.load offset=32 (local.get $pa0)))
              (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $va) (local.get $b0))))
              (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $va) (local.get $b1))))
              (local.set $va (v128.load offset=32 (local.get $pa1)))
              (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $va) (local.get $b0))))
              (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $va) (local.get $b1))))
              (local.set $va (v128.load offset=32 (local.get $pa2)))
              (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $va) (local.get $b0))))
              (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $va) (local.get $b1))))
              (local.set $va (v128.load offset=32 (local.get $pa3)))
              (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $va) (local.get $b0))))
              (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $va) (local.get $b1))))
              (local.set $b0 (v128.load offset=48 (local.get $pb0)))
              (local.set $b1 (v128.load offset=48 (local.get $pb1)))
              (local.set $va (v128.load offset=48 (local.get $pa0)))
              (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $va) (local.get $b0))))
              (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $va) (local.get $b1))))
              (local.set $va (v128.load offset=48 (local.get $pa1)))
              (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $va) (local.get $b0))))
              (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $va) (local.get $b1))))
              (local.set $va (v128.load offset=48 (local.get $pa2)))
              (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $va) (local.get $b0))))
              (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $va) (local.get $b1))))
              (local.set $va (v128.load offset=48 (local.get $pa3)))
              (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $va) (local.get $b0))))
              (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $va) (local.get $b1))))
              (local.set $pa0 (i32.add (local.get $pa0) (i32.const 64)))
              (local.set $pa1 (i32.add (local.get $pa1) (i32.const 64)))
              (local.set $pa2 (i32.add (local.get $pa2) (i32.const 64)))
              (local.set $pa3 (i32.add (local.get $pa3) (i32.const 64)))
              (local.set $pb0 (i32.add (local.get $pb0) (i32.const 64)))
              (local.set $pb1 (i32.add (local.get $pb1) (i32.const 64)))
              (br $loopP)))
            (local.set $o (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $nB)) (local.get $k)) (i32.const 3))))
            (call $add2 (local.get $o) (local.get $c00) (local.get $c01))
            (local.set $o (i32.add (local.get $o) (i32.shl (local.get $nB) (i32.const 3))))
            (call $add2 (local.get $o) (local.get $c10) (local.get $c11))
            (local.set $o (i32.add (local.get $o) (i32.shl (local.get $nB) (i32.const 3))))
            (call $add2 (local.get $o) (local.get $c20) (local.get $c21))
            (local.set $o (i32.add (local.get $o) (i32.shl (local.get $nB) (i32.const 3))))
            (call $add2 (local.get $o) (local.get $c30) (local.get $c31))
            (local.set $k (i32.add (local.get $k) (i32.const 2)))
            (br $loopK)))
          (local.set $i (i32.add (local.get $i) (i32.const 4))) (br $loopI)))
        (local.set $k0 (i32.add (local.get $k0) (i32.const 64))) (br $loopK0)))
      (local.set $j0 (i32.add (local.get $j0) (i32.const 2048))) (br $loopJ))))
  (func $add2 (param $o i32) (param $x v128) (param $y v128)
    (f64.store (local.get $o) (f64.add (f64.load (local.get $o)) (f64.promote_f32
      (f32.add (f32.add (f32x4.extract_lane 0 (local.get $x)) (f32x4.extract_lane 1 (local.get $x)))
               (f32.add (f32x4.extract_lane 2 (local.get $x)) (f32x4.extract_lane 3 (local.get $x)))))))
    (f64.store offset=8 (local.get $o) (f64.add (f64.load offset=8 (local.get $o)) (f64.promote_f32
      (f32.add (f32.add (f32x4.extract_lane 0 (local.get $y)) (f32x4.extract_lane 1 (local.get $y)))
               (f32.add (f32x4.extract_lane 2 (local.get $y)) (f32x4.extract_lane 3 (local.get $y)))))))))

`;

/** The compiled `gramWat` (1,324 bytes), base64. */
export const gramWasmBase64 =
  'AGFzbQEAAAABEQJgB39/f39/f38AYAN/e3sAAwMCAAEFAwEAAQcRAgZtZW1vcnkCAARncmFtAAAK8QkCpQkCEH8LeyAFQQJ0IQdB' +
  'ACEIAkADQCAIIAdPDQEgByAIayEJIAlBgBBLBEBBgBAhCQtBACEKAkADQCAKIARPDQEgCkHAAGohCyALIARLBEAgBCELC0EAIQwC' +
  'QANAIAwgA08NASALIQ4gBgRAIAxBBGogDkkEQCAMQQRqIQ4LCyAKIQ0CQANAIA0gDk4NASAAIAwgB2xqIAhqIRAgECAHaiERIBEg' +
  'B2ohEiASIAdqIRMgASANIAdsaiAIaiEUIBQgB2ohFSAUIAlqIRb9DAAAAAAAAAAAAAAAAAAAAAAhF/0MAAAAAAAAAAAAAAAAAAAA' +
  'ACEY/QwAAAAAAAAAAAAAAAAAAAAAIRn9DAAAAAAAAAAAAAAAAAAAAAAhGv0MAAAAAAAAAAAAAAAAAAAAACEb/QwAAAAAAAAAAAAA' +
  'AAAAAAAAIRz9DAAAAAAAAAAAAAAAAAAAAAAhHf0MAAAAAAAAAAAAAAAAAAAAACEeAkADQCAUIBZPDQEgFP0ABAAhICAV/QAEACEh' +
  'IBD9AAQAIR8gFyAfICD95gH95AEhFyAYIB8gIf3mAf3kASEYIBH9AAQAIR8gGSAfICD95gH95AEhGSAaIB8gIf3mAf3kASEaIBL9' +
  'AAQAIR8gGyAfICD95gH95AEhGyAcIB8gIf3mAf3kASEcIBP9AAQAIR8gHSAfICD95gH95AEhHSAeIB8gIf3mAf3kASEeIBT9AAQQ' +
  'ISAgFf0ABBAhISAQ/QAEECEfIBcgHyAg/eYB/eQBIRcgGCAfICH95gH95AEhGCAR/QAEECEfIBkgHyAg/eYB/eQBIRkgGiAfICH9' +
  '5gH95AEhGiAS/QAEECEfIBsgHyAg/eYB/eQBIRsgHCAfICH95gH95AEhHCAT/QAEECEfIB0gHyAg/eYB/eQBIR0gHiAfICH95gH9' +
  '5AEhHiAU/QAEICEgIBX9AAQgISEgEP0ABCAhHyAXIB8gIP3mAf3kASEXIBggHyAh/eYB/eQBIRggEf0ABCAhHyAZIB8gIP3mAf3k' +
  'ASEZIBogHyAh/eYB/eQBIRogEv0ABCAhHyAbIB8gIP3mAf3kASEbIBwgHyAh/eYB/eQBIRwgE/0ABCAhHyAdIB8gIP3mAf3kASEd' +
  'IB4gHyAh/eYB/eQBIR4gFP0ABDAhICAV/QAEMCEhIBD9AAQwIR8gFyAfICD95gH95AEhFyAYIB8gIf3mAf3kASEYIBH9AAQwIR8g' +
  'GSAfICD95gH95AEhGSAaIB8gIf3mAf3kASEaIBL9AAQwIR8gGyAfICD95gH95AEhGyAcIB8gIf3mAf3kASEcIBP9AAQwIR8gHSAf' +
  'ICD95gH95AEhHSAeIB8gIf3mAf3kASEeIBBBwABqIRAgEUHAAGohESASQcAAaiESIBNBwABqIRMgFEHAAGohFCAVQcAAaiEVDAAL' +
  'CyACIAwgBGwgDWpBA3RqIQ8gDyAXIBgQASAPIARBA3RqIQ8gDyAZIBoQASAPIARBA3RqIQ8gDyAbIBwQASAPIARBA3RqIQ8gDyAd' +
  'IB4QASANQQJqIQ0MAAsLIAxBBGohDAwACwsgCkHAAGohCgwACwsgCEGAEGohCAwACwsLSAAgACAAKwMAIAH9HwAgAf0fAZIgAf0f' +
  'AiAB/R8DkpK7oDkDACAAIAArAwggAv0fACAC/R8BkiAC/R8CIAL9HwOSkrugOQMICw==';

interface GramExports extends SimdExports {
  /** out[i, k] += a[i, :]·b[k, :] (k < i + 4 only when sym ≠ 0); byte offsets; nA % 4 = 0, nB % 2 = 0, D % 16 = 0. */
  gram(a: number, b: number, out: number, nA: number, nB: number, D: number, sym: number): void;
}

/** Which engine computes the products: 'simd' (WebAssembly, when the runtime has SIMD) or 'js'. Tests switch it. */
export const svmKernelSettings = { engine: 'simd' as 'simd' | 'js' };

/**
 * Dot products of float32 rows in float64: out [nA, nB] with out[i, k] = A[i, :]·B[k, :]; A [nA, D],
 * B [nB, D] row-major, D % 16 = 0. With B null, B = A and only k ≤ i is filled (the caller mirrors).
 * Returns the engine that ran too.
 */
export function rowDots(A: Float32Array, nA: number, B: Float32Array | null, nB: number, D: number): { dots: Float64Array; engine: 'simd' | 'js' } {
  const sym = B === null;
  if (svmKernelSettings.engine === 'simd' && D > 0) {
    const k = instantiate<GramExports>(gramWasmBase64);
    if (k !== null) return { dots: simdDots(k, A, nA, B, nB, D), engine: 'simd' };
  }
  const out = new Float64Array(nA * nB);
  const Bm = B ?? A;
  for (let i = 0; i < nA; i++) {
    const oa = i * D;
    const kEnd = sym ? i + 1 : nB;
    for (let r = 0; r < kEnd; r++) {
      const ob = r * D;
      let s = 0;
      for (let j = 0; j < D; j++) s += (A[oa + j] as number) * (Bm[ob + j] as number);
      out[i * nB + r] = s;
    }
  }
  return { dots: out, engine: 'js' };
}

/** rowDots by the SIMD module, in a fresh instance (its memory is released with it): rows padded with zeros to the module's multiples. */
function simdDots(k: GramExports, A: Float32Array, nA: number, B: Float32Array | null, nB: number, D: number): Float64Array {
  const sym = B === null;
  const pA = Math.ceil(nA / 4) * 4;
  const pB = sym ? pA : Math.ceil(nB / 2) * 2;
  const [offA, offB, offOut] = regions(k, [pA * D * 4, sym ? 0 : pB * D * 4, pA * pB * 8], 'SVM kernel products');
  const buf = k.memory.buffer;
  new Float32Array(buf, offA as number, nA * D).set(A.subarray(0, nA * D));
  if (!sym) new Float32Array(buf, offB as number, nB * D).set((B as Float32Array).subarray(0, nB * D));
  // a fresh instance's memory is zero: the padding rows and the output start at 0
  k.gram(offA as number, sym ? (offA as number) : (offB as number), offOut as number, pA, pB, D, sym ? 1 : 0);
  const raw = new Float64Array(k.memory.buffer, offOut as number, pA * pB);
  const out = new Float64Array(nA * nB);
  for (let i = 0; i < nA; i++) out.set(raw.subarray(i * pB, i * pB + nB), i * nB);
  return out;
}

/** Columns that vary in training, their means, and the values of the constant ones: how rows are packed for the kernel. */
interface ColumnPlan {
  /** Training columns that vary, in order. */
  keep: Int32Array;
  /** The constant training columns and their value. */
  constant: Int32Array;
  constantValue: Float64Array;
  /** Training mean of every column [d]. */
  mean: Float64Array;
  /** Packed width: keep.length rounded up to a multiple of 16 (the SIMD loop's step). */
  D: number;
}

/**
 * Rows of X packed for the kernel: the kept columns centered on the training means, float32 [rows, D];
 * their squared norms (float64 sums of the float32 values); and Σ over the training-constant columns of
 * (x_j − c_j)² (float64, 0 for training rows). `from`/`to`: the row range. When `colSS` [d] is given,
 * Σ (x_j − mean_j)² of each kept column is added to it (exact, float64).
 */
function packRows(X: Matrix, plan: ColumnPlan, from: number, to: number, colSS?: Float64Array): { data: Float32Array; sq: Float64Array; extra: Float64Array } {
  const { keep, constant, constantValue, mean, D } = plan;
  const rows = to - from;
  const d = X.cols;
  const v = X.values;
  const data = new Float32Array(rows * D);
  const sq = new Float64Array(rows);
  const extra = new Float64Array(rows);
  const m = keep.length;
  for (let r = 0; r < rows; r++) {
    const base = (from + r) * d;
    const o = r * D;
    let s = 0;
    for (let k = 0; k < m; k++) {
      const j = keep[k] as number;
      const t = (v[base + j] as number) - (mean[j] as number);
      if (colSS !== undefined) colSS[j]! += t * t;
      const x = Math.fround(t);
      data[o + k] = x;
      s += x * x;
    }
    sq[r] = s;
    let e = 0;
    for (let k = 0; k < constant.length; k++) {
      const t = (v[base + (constant[k] as number)] as number) - (constantValue[k] as number);
      e += t * t;
    }
    extra[r] = e;
  }
  return { data, sq, extra };
}

// ---------------------------------------------------------------------------------------------------
// libsvm's solver, sigmoid fit and coupling

/** A solved C-SVC dual: f(x) = Σ_t alpha_t y_t K(x_t, x) − rho. */
export interface CsvcSolution {
  alpha: Float64Array;
  rho: number;
  iterations: number;
  /** False when the iteration cap stopped it before the tolerance was met. */
  converged: boolean;
}

/**
 * libsvm's Solver for C-SVC without shrinking: min ½αᵀQα − eᵀα, 0 ≤ α_t ≤ C_t, yᵀα = 0, with
 * Q_st = y_s y_t K_st; K dense [m, m] row-major, y ±1, C_t = Cp for y_t = +1 and Cn for −1. Working sets
 * by WSS2 (Fan, Chen & Lin 2005), stop when the maximal violation m(α) − M(α) < eps.
 */
export function solveCsvc(K: Float64Array, m: number, y: Int8Array, Cp: number, Cn: number, eps: number, maxIter: number): CsvcSolution {
  const TAU = 1e-12; // libsvm
  const alpha = new Float64Array(m);
  const G = new Float64Array(m).fill(-1); // gradient Qα − e at α = 0
  const C = new Float64Array(m);
  const diag = new Float64Array(m);
  for (let t = 0; t < m; t++) {
    C[t] = (y[t] as number) > 0 ? Cp : Cn;
    diag[t] = K[t * m + t] as number;
  }
  let iter = 0;
  let converged = false;
  while (iter < maxIter) {
    // i: the maximal violator in I_up
    let Gmax = -Infinity;
    let i = -1;
    for (let t = 0; t < m; t++) {
      const g = G[t] as number;
      if ((y[t] as number) > 0) {
        if ((alpha[t] as number) < (C[t] as number) && -g >= Gmax) {
          Gmax = -g;
          i = t;
        }
      } else if ((alpha[t] as number) > 0 && g >= Gmax) {
        Gmax = g;
        i = t;
      }
    }
    // j: in I_low, the largest second-order decrease with i
    let Gmax2 = -Infinity;
    let j = -1;
    let objMin = Infinity;
    const oi = i * m;
    const Kii = i >= 0 ? (diag[i] as number) : 0;
    for (let t = 0; t < m; t++) {
      const g = G[t] as number;
      let gradDiff: number;
      if ((y[t] as number) > 0) {
        if (!((alpha[t] as number) > 0)) continue;
        if (g >= Gmax2) Gmax2 = g;
        gradDiff = Gmax + g;
      } else {
        if (!((alpha[t] as number) < (C[t] as number))) continue;
        if (-g >= Gmax2) Gmax2 = -g;
        gradDiff = Gmax - g;
      }
      if (gradDiff > 0) {
        const quad = Kii + (diag[t] as number) - 2 * (K[oi + t] as number);
        const obj = -(gradDiff * gradDiff) / (quad > 0 ? quad : TAU);
        if (obj <= objMin) {
          objMin = obj;
          j = t;
        }
      }
    }
    if (Gmax + Gmax2 < eps || j === -1) {
      converged = true;
      break;
    }
    iter++;
    // the two-variable update, clipped to the box (libsvm Solver::Solve)
    const yi = y[i] as number;
    const yj = y[j] as number;
    const Ci = C[i] as number;
    const Cj = C[j] as number;
    const oj = j * m;
    const Kij = K[oi + j] as number;
    const oldAi = alpha[i] as number;
    const oldAj = alpha[j] as number;
    let ai = oldAi;
    let aj = oldAj;
    if (yi !== yj) {
      let quad = Kii + (diag[j] as number) + 2 * (-Kij); // Q_ii + Q_jj + 2 Q_ij with Q_ij = −K_ij
      if (quad <= 0) quad = TAU;
      const delta = (-(G[i] as number) - (G[j] as number)) / quad;
      const diff = ai - aj;
      ai += delta;
      aj += delta;
      if (diff > 0) {
        if (aj < 0) {
          aj = 0;
          ai = diff;
        }
      } else if (ai < 0) {
        ai = 0;
        aj = -diff;
      }
      if (diff > Ci - Cj) {
        if (ai > Ci) {
          ai = Ci;
          aj = Ci - diff;
        }
      } else if (aj > Cj) {
        aj = Cj;
        ai = Cj + diff;
      }
    } else {
      let quad = Kii + (diag[j] as number) - 2 * Kij;
      if (quad <= 0) quad = TAU;
      const delta = ((G[i] as number) - (G[j] as number)) / quad;
      const sum = ai + aj;
      ai -= delta;
      aj += delta;
      if (sum > Ci) {
        if (ai > Ci) {
          ai = Ci;
          aj = sum - Ci;
        }
      } else if (aj < 0) {
        aj = 0;
        ai = sum;
      }
      if (sum > Cj) {
        if (aj > Cj) {
          aj = Cj;
          ai = sum - Cj;
        }
      } else if (ai < 0) {
        ai = 0;
        aj = sum;
      }
    }
    alpha[i] = ai;
    alpha[j] = aj;
    // G_t += Q_ti Δα_i + Q_tj Δα_j
    const di = yi * (ai - oldAi);
    const dj = yj * (aj - oldAj);
    for (let t = 0; t < m; t++) G[t]! += (y[t] as number) * (di * (K[oi + t] as number) + dj * (K[oj + t] as number));
  }
  // ρ (libsvm calculate_rho)
  let ub = Infinity;
  let lb = -Infinity;
  let nFree = 0;
  let sumFree = 0;
  for (let t = 0; t < m; t++) {
    const yt = y[t] as number;
    const yG = yt * (G[t] as number);
    const a = alpha[t] as number;
    if (a >= (C[t] as number)) {
      if (yt < 0) ub = Math.min(ub, yG);
      else lb = Math.max(lb, yG);
    } else if (a <= 0) {
      if (yt > 0) ub = Math.min(ub, yG);
      else lb = Math.max(lb, yG);
    } else {
      nFree++;
      sumFree += yG;
    }
  }
  const rho = nFree > 0 ? sumFree / nFree : (ub + lb) / 2;
  return { alpha, rho, iterations: iter, converged };
}

/**
 * libsvm's sigmoid_train (Platt 2000 with the Newton method and target smoothing of Lin, Lin & Weng 2007):
 * A, B minimising the cross-entropy of P(+1 | f) = 1 / (1 + exp(A f + B)) on decision values f with labels
 * y (±1).
 */
export function sigmoidTrain(dec: Float64Array, y: Int8Array): { A: number; B: number } {
  const l = dec.length;
  let prior1 = 0;
  for (let i = 0; i < l; i++) if ((y[i] as number) > 0) prior1++;
  const prior0 = l - prior1;
  const maxIter = 100;
  const minStep = 1e-10;
  const sigma = 1e-12;
  const eps = 1e-5;
  const hiTarget = (prior1 + 1) / (prior1 + 2);
  const loTarget = 1 / (prior0 + 2);
  const t = new Float64Array(l);
  for (let i = 0; i < l; i++) t[i] = (y[i] as number) > 0 ? hiTarget : loTarget;
  const objective = (A: number, B: number): number => {
    let f = 0;
    for (let i = 0; i < l; i++) {
      const fApB = (dec[i] as number) * A + B;
      f += fApB >= 0 ? (t[i] as number) * fApB + Math.log1p(Math.exp(-fApB)) : ((t[i] as number) - 1) * fApB + Math.log1p(Math.exp(fApB));
    }
    return f;
  };
  let A = 0;
  let B = Math.log((prior0 + 1) / (prior1 + 1));
  let fval = objective(A, B);
  for (let iter = 0; iter < maxIter; iter++) {
    let h11 = sigma;
    let h22 = sigma;
    let h21 = 0;
    let g1 = 0;
    let g2 = 0;
    for (let i = 0; i < l; i++) {
      const di = dec[i] as number;
      const fApB = di * A + B;
      let p: number;
      let q: number;
      if (fApB >= 0) {
        const e = Math.exp(-fApB);
        p = e / (1 + e);
        q = 1 / (1 + e);
      } else {
        const e = Math.exp(fApB);
        p = 1 / (1 + e);
        q = e / (1 + e);
      }
      const d2 = p * q;
      h11 += di * di * d2;
      h22 += d2;
      h21 += di * d2;
      const d1 = (t[i] as number) - p;
      g1 += di * d1;
      g2 += d1;
    }
    if (Math.abs(g1) < eps && Math.abs(g2) < eps) break;
    const det = h11 * h22 - h21 * h21;
    const dA = -(h22 * g1 - h21 * g2) / det;
    const dB = -(-h21 * g1 + h11 * g2) / det;
    const gd = g1 * dA + g2 * dB;
    let step = 1;
    while (step >= minStep) {
      const newA = A + step * dA;
      const newB = B + step * dB;
      const newf = objective(newA, newB);
      if (newf < fval + 0.0001 * step * gd) {
        A = newA;
        B = newB;
        fval = newf;
        break;
      }
      step /= 2;
    }
    if (step < minStep) break; // libsvm: "line search fails"
  }
  return { A, B };
}

/** libsvm's sigmoid_predict: 1 / (1 + exp(A f + B)), computed without overflow. */
export function sigmoidPredict(f: number, A: number, B: number): number {
  const fApB = f * A + B;
  return fApB >= 0 ? Math.exp(-fApB) / (1 + Math.exp(-fApB)) : 1 / (1 + Math.exp(fApB));
}

/**
 * libsvm's multiclass_probability: Wu, Lin & Weng (2004) method 2. r [k, k] row-major with
 * r[i, j] = P(class i | i or j) (r[j, i] = 1 − r[i, j]); writes the class probabilities into p [k].
 */
export function multiclassProbability(k: number, r: Float64Array, p: Float64Array): void {
  const maxIter = Math.max(100, k);
  const Q = new Float64Array(k * k);
  const Qp = new Float64Array(k);
  const eps = 0.005 / k;
  for (let t = 0; t < k; t++) {
    p[t] = 1 / k;
    Q[t * k + t] = 0;
    for (let j = 0; j < t; j++) {
      Q[t * k + t]! += (r[j * k + t] as number) ** 2;
      Q[t * k + j] = Q[j * k + t] as number;
    }
    for (let j = t + 1; j < k; j++) {
      Q[t * k + t]! += (r[j * k + t] as number) ** 2;
      Q[t * k + j] = -(r[j * k + t] as number) * (r[t * k + j] as number);
    }
  }
  for (let iter = 0; iter < maxIter; iter++) {
    let pQp = 0;
    for (let t = 0; t < k; t++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += (Q[t * k + j] as number) * (p[j] as number);
      Qp[t] = s;
      pQp += (p[t] as number) * s;
    }
    let maxError = 0;
    for (let t = 0; t < k; t++) maxError = Math.max(maxError, Math.abs((Qp[t] as number) - pQp));
    if (maxError < eps) break;
    for (let t = 0; t < k; t++) {
      const Qtt = Q[t * k + t] as number;
      const diff = (-(Qp[t] as number) + pQp) / Qtt;
      p[t]! += diff;
      pQp = (pQp + diff * (diff * Qtt + 2 * (Qp[t] as number))) / (1 + diff) / (1 + diff);
      for (let j = 0; j < k; j++) {
        Qp[j] = ((Qp[j] as number) + diff * (Q[t * k + j] as number)) / (1 + diff);
        p[j]! /= 1 + diff;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// The classifier

/** One one-vs-one machine: class a (+1) against class b (−1). */
interface PairModel {
  a: number;
  b: number;
  /** Support vectors: indices into the model's support-vector rows, and α_t y_t. */
  sv: Int32Array;
  coef: Float64Array;
  rho: number;
  /** Platt sigmoid: P(a | a or b, f) = 1 / (1 + exp(A f + B)). */
  A: number;
  B: number;
}

/** The kernel block K[rows(g), cols(g)] of a dense [n, n] kernel, for the index list g. */
function subKernel(K: Float64Array, n: number, g: Int32Array): Float64Array {
  const m = g.length;
  const out = new Float64Array(m * m);
  for (let s = 0; s < m; s++) {
    const o = (g[s] as number) * n;
    const os = s * m;
    for (let t = 0; t < m; t++) out[os + t] = K[o + (g[t] as number)] as number;
  }
  return out;
}

export class RbfSvm implements ProbabilisticClassifier {
  readonly options: SvmOptions;
  private classes = 0;
  private cols = 0;
  private present: number[] = [];
  private plan: ColumnPlan | null = null;
  private gammaValue = 0;
  private pairs: PairModel[] = [];
  private svRows = new Float32Array(0);
  private svSq = new Float64Array(0);
  private svCount = 0;
  private facts: Record<string, unknown> = {};

  /** `options`: any of `svmDefaults`. */
  constructor(options: Partial<SvmOptions> = {}) {
    this.options = { ...svmDefaults, ...options };
    const o = this.options;
    const positive = (v: number, field: string): void => {
      if (!(v > 0) || !Number.isFinite(v)) throw new EadroError('RbfSvm: bad option', { field, expected: 'a positive finite number', found: String(v) });
    };
    positive(o.C, 'C');
    positive(o.tolerance, 'tolerance');
    if (o.gamma !== 'scale') positive(o.gamma, 'gamma');
    if (!Number.isInteger(o.cvFolds) || o.cvFolds < 2) throw new EadroError('RbfSvm: bad option', { field: 'cvFolds', expected: 'an integer ≥ 2', found: String(o.cvFolds) });
    if (!Number.isInteger(o.predictBlockRows) || o.predictBlockRows < 1) {
      throw new EadroError('RbfSvm: bad option', { field: 'predictBlockRows', expected: 'a positive integer', found: String(o.predictBlockRows) });
    }
  }

  /** Fit on X [n, d] with labels y [n] in 0..classes−1. */
  fit(X: Matrix, y: Int32Array, classes: number): void {
    checkMatrix(X, 'X');
    checkLabels(X, y, classes);
    const o = this.options;
    const t0 = performance.now();
    const n = X.rows;
    const d = X.cols;
    const counts = classCounts(y, classes);
    this.present = [];
    for (let c = 0; c < classes; c++) if ((counts[c] as number) > 0) this.present.push(c);
    this.classes = classes;
    this.cols = d;
    this.pairs = [];
    this.svCount = 0;
    this.svRows = new Float32Array(0);
    this.svSq = new Float64Array(0);
    const base = {
      implementation: 'ours: libsvm C-SVC SMO (WSS2, no shrinking) + Platt + Wu-Lin-Weng coupling (src/baselines/classifiers/svm.ts)',
      C: o.C,
      gammaRule: o.gamma === 'scale' ? 'scale: 1 / (d · Var(X))' : 'given',
      probability: o.probability,
      classWeight: o.classWeight,
      tolerance: o.tolerance,
      cvFolds: o.cvFolds,
      seed: o.seed,
      rows: n,
      cols: d,
      classes,
      presentClasses: this.present.length,
    };
    if (this.present.length < 2) {
      // one class in y: it gets probability 1, no machine is trained
      this.plan = null;
      this.facts = { ...base, gamma: null, pairs: 0, supportVectors: 0, note: 'a single class in y: probability 1 for it' };
      return;
    }

    // columns: means, constants, the variance of all entries (law of total variance over the columns)
    const v = X.values;
    const sum = new Float64Array(d);
    const lo = new Float64Array(d).fill(Infinity);
    const hi = new Float64Array(d).fill(-Infinity);
    for (let i = 0; i < n; i++) {
      const b = i * d;
      for (let j = 0; j < d; j++) {
        const x = v[b + j] as number;
        sum[j]! += x;
        if (x < (lo[j] as number)) lo[j] = x;
        if (x > (hi[j] as number)) hi[j] = x;
      }
    }
    const mean = new Float64Array(d);
    let grand = 0;
    for (let j = 0; j < d; j++) {
      mean[j] = (sum[j] as number) / n;
      grand += mean[j] as number;
    }
    grand /= d;
    const keepList: number[] = [];
    const constList: number[] = [];
    for (let j = 0; j < d; j++) (lo[j] === hi[j] ? constList : keepList).push(j);
    const plan: ColumnPlan = {
      keep: Int32Array.from(keepList),
      constant: Int32Array.from(constList),
      constantValue: Float64Array.from(constList, (j) => lo[j] as number),
      mean,
      D: Math.ceil(keepList.length / 16) * 16,
    };
    // the training rows packed for the kernel, and the column sums of squares on the way
    const colSS = new Float64Array(d);
    const packed = packRows(X, plan, 0, n, colSS);
    let variance = 0;
    for (let j = 0; j < d; j++) variance += (colSS[j] as number) / n + ((mean[j] as number) - grand) ** 2;
    variance /= d;
    const gamma = o.gamma === 'scale' ? (variance > 0 ? 1 / (d * variance) : 1) : o.gamma;
    this.plan = plan;
    this.gammaValue = gamma;

    // the training kernel [n, n]
    const { dots: K, engine } = rowDots(packed.data, n, null, n, plan.D);
    const sq = packed.sq;
    for (let i = 0; i < n; i++) {
      const oi = i * n;
      const si = sq[i] as number;
      for (let k = 0; k < i; k++) {
        const dist = si + (sq[k] as number) - 2 * (K[oi + k] as number);
        const kv = Math.exp(-gamma * (dist > 0 ? dist : 0));
        K[oi + k] = kv;
        K[k * n + i] = kv;
      }
      K[oi + i] = 1;
    }
    const tKernel = performance.now();

    // one-vs-one machines
    const weights = classWeights(y, classes, o.classWeight);
    const byClass = new Map<number, number[]>();
    for (const c of this.present) byClass.set(c, []);
    for (let i = 0; i < n; i++) byClass.get(y[i] as number)!.push(i);
    const root = createRng(o.seed);
    const isSv = new Int32Array(n).fill(-1);
    const rawPairs: { a: number; b: number; g: Int32Array; sol: CsvcSolution; yy: Int8Array; A: number; B: number }[] = [];
    let iterations = 0;
    let capped = 0;
    const solve = (Ksub: Float64Array, yy: Int8Array, Cp: number, Cn: number): CsvcSolution => {
      const m = yy.length;
      const sol = solveCsvc(Ksub, m, yy, Cp, Cn, o.tolerance, Math.max(o.minIterations, o.iterationsPerPoint * m));
      iterations += sol.iterations;
      if (!sol.converged) capped++;
      return sol;
    };
    for (let ai = 0; ai < this.present.length; ai++) {
      for (let bi = ai + 1; bi < this.present.length; bi++) {
        const a = this.present[ai] as number;
        const b = this.present[bi] as number;
        const ga = byClass.get(a)!;
        const gb = byClass.get(b)!;
        const g = Int32Array.from([...ga, ...gb]);
        const yy = Int8Array.from(g, (_, t) => (t < ga.length ? 1 : -1));
        const Cp = o.C * (weights[a] as number);
        const Cn = o.C * (weights[b] as number);
        let A = 0;
        let B = 0;
        if (o.probability) ({ A, B } = this.plattCv(K, n, g, yy, Cp, Cn, root.fork(`pair:${a}-${b}`), solve));
        const sol = solve(subKernel(K, n, g), yy, Cp, Cn);
        for (let t = 0; t < g.length; t++) if ((sol.alpha[t] as number) > 0) isSv[g[t] as number] = 0;
        rawPairs.push({ a, b, g, sol, yy, A, B });
      }
    }
    // the support vectors of all machines, packed once for prediction
    let nSv = 0;
    for (let i = 0; i < n; i++) if ((isSv[i] as number) >= 0) isSv[i] = nSv++;
    const D = plan.D;
    this.svRows = new Float32Array(nSv * D);
    this.svSq = new Float64Array(nSv);
    for (let i = 0; i < n; i++) {
      const s = isSv[i] as number;
      if (s < 0) continue;
      this.svRows.set(packed.data.subarray(i * D, (i + 1) * D), s * D);
      this.svSq[s] = sq[i] as number;
    }
    this.svCount = nSv;
    const perPair: number[] = [];
    for (const p of rawPairs) {
      const sv: number[] = [];
      const coef: number[] = [];
      for (let t = 0; t < p.g.length; t++) {
        const al = p.sol.alpha[t] as number;
        if (al > 0) {
          sv.push(isSv[p.g[t] as number] as number);
          coef.push(al * (p.yy[t] as number));
        }
      }
      perPair.push(sv.length);
      this.pairs.push({ a: p.a, b: p.b, sv: Int32Array.from(sv), coef: Float64Array.from(coef), rho: p.sol.rho, A: p.A, B: p.B });
    }
    const t1 = performance.now();
    this.facts = {
      ...base,
      gamma,
      varianceX: variance,
      classWeights: o.classWeight === null ? null : Array.from(weights),
      constantColumns: plan.constant.length,
      kernelColumns: plan.keep.length,
      kernelEngine: engine === 'simd' ? 'WebAssembly SIMD, float32 products' : 'JavaScript, float64',
      pairs: this.pairs.length,
      supportVectors: nSv,
      supportVectorsPerPairMean: perPair.reduce((s, x) => s + x, 0) / perPair.length,
      smoIterations: iterations,
      smoIterationCapHits: capped,
      ...(this.pairs.length <= 3 ? { platt: this.pairs.map((p) => ({ a: p.a, b: p.b, A: p.A, B: p.B, rho: p.rho })) } : {}),
      kernelSeconds: (tKernel - t0) / 1000,
      solveSeconds: (t1 - tKernel) / 1000,
      fitSeconds: (t1 - t0) / 1000,
    };
  }

  /**
   * libsvm's svm_binary_svc_probability for one pair: decision values by cvFolds-fold cross-validation
   * over a seeded permutation, then sigmoidTrain. `g`: training indices of the pair (class a first).
   */
  private plattCv(
    K: Float64Array,
    n: number,
    g: Int32Array,
    yy: Int8Array,
    Cp: number,
    Cn: number,
    rng: Rng,
    solve: (Ksub: Float64Array, yy: Int8Array, Cp: number, Cn: number) => CsvcSolution,
  ): { A: number; B: number } {
    const l = g.length;
    const folds = this.options.cvFolds;
    const perm = rng.shuffle(Array.from({ length: l }, (_, i) => i));
    const dec = new Float64Array(l);
    for (let f = 0; f < folds; f++) {
      const begin = Math.floor((f * l) / folds);
      const end = Math.floor(((f + 1) * l) / folds);
      const train = [...perm.slice(0, begin), ...perm.slice(end)];
      let pos = 0;
      for (const t of train) if ((yy[t] as number) > 0) pos++;
      const neg = train.length - pos;
      if (pos === 0 || neg === 0) {
        // libsvm: a fold whose training part holds one class predicts that class's sign (0 if empty)
        const value = pos > 0 ? 1 : neg > 0 ? -1 : 0;
        for (let q = begin; q < end; q++) dec[perm[q] as number] = value;
        continue;
      }
      const gt = Int32Array.from(train, (t) => g[t] as number);
      const yt = Int8Array.from(train, (t) => yy[t] as number);
      const sol = solve(subKernel(K, n, gt), yt, Cp, Cn);
      for (let q = begin; q < end; q++) {
        const row = (g[perm[q] as number] as number) * n;
        let s = -sol.rho;
        for (let t = 0; t < gt.length; t++) {
          const al = sol.alpha[t] as number;
          if (al > 0) s += al * (yt[t] as number) * (K[row + (gt[t] as number)] as number);
        }
        dec[perm[q] as number] = s;
      }
    }
    return sigmoidTrain(dec, yy);
  }

  /** [rows, classes] row-major: libsvm -b 1 probabilities (or vote shares when probability is false); absent classes 0. */
  predictProba(X: Matrix): Float64Array {
    if (this.present.length === 0) throw new EadroError('RbfSvm: predictProba before fit', { field: 'fit', expected: 'fit() called first' });
    checkMatrix(X, 'X', this.cols);
    const Kc = this.classes;
    const out = new Float64Array(X.rows * Kc);
    if (this.plan === null) {
      const c = this.present[0] as number;
      for (let r = 0; r < X.rows; r++) out[r * Kc + c] = 1;
      return out;
    }
    const plan = this.plan;
    const o = this.options;
    const gamma = this.gammaValue;
    const k = this.present.length;
    const slot = new Map<number, number>(this.present.map((c, i) => [c, i]));
    const nSv = this.svCount;
    const pairwise = new Float64Array(k * k);
    const p = new Float64Array(k);
    const dec = new Float64Array(this.pairs.length);
    for (let from = 0; from < X.rows; from += o.predictBlockRows) {
      const to = Math.min(X.rows, from + o.predictBlockRows);
      const rows = to - from;
      const packed = packRows(X, plan, from, to);
      const { dots } = rowDots(packed.data, rows, this.svRows, nSv, plan.D);
      for (let r = 0; r < rows; r++) {
        const or = r * nSv;
        const sr = packed.sq[r] as number;
        const er = packed.extra[r] as number;
        for (let s = 0; s < nSv; s++) {
          const dist = sr + (this.svSq[s] as number) - 2 * (dots[or + s] as number);
          dots[or + s] = Math.exp(-gamma * ((dist > 0 ? dist : 0) + er));
        }
        for (let q = 0; q < this.pairs.length; q++) {
          const pm = this.pairs[q] as PairModel;
          let f = -pm.rho;
          for (let t = 0; t < pm.sv.length; t++) f += (pm.coef[t] as number) * (dots[or + (pm.sv[t] as number)] as number);
          dec[q] = f;
        }
        const ro = (from + r) * Kc;
        if (!o.probability) {
          // libsvm's vote: f > 0 for a, else b
          for (let q = 0; q < this.pairs.length; q++) {
            const pm = this.pairs[q] as PairModel;
            out[ro + ((dec[q] as number) > 0 ? pm.a : pm.b)]! += 1 / this.pairs.length;
          }
          continue;
        }
        for (let q = 0; q < this.pairs.length; q++) {
          const pm = this.pairs[q] as PairModel;
          const pr = Math.min(Math.max(sigmoidPredict(dec[q] as number, pm.A, pm.B), o.minProbability), 1 - o.minProbability);
          const ia = slot.get(pm.a) as number;
          const ib = slot.get(pm.b) as number;
          pairwise[ia * k + ib] = pr;
          pairwise[ib * k + ia] = 1 - pr;
        }
        if (k === 2) {
          p[0] = pairwise[1] as number;
          p[1] = pairwise[2] as number;
        } else {
          multiclassProbability(k, pairwise, p);
        }
        for (let i = 0; i < k; i++) out[ro + (this.present[i] as number)] = p[i] as number;
      }
    }
    return out;
  }

  fitted(): Record<string, unknown> {
    return { ...this.facts };
  }
}
