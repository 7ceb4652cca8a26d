import { strict as assert } from 'node:assert';
import { createRng } from '../../../src/core/rng.js';
import { attentionBackwardRowsScalar, softmaxMeanRowsScalar } from '../../../src/models/eadro/layers/time-attention.js';
import { simdAttentionBackwardRows, simdRowsAvailable, simdSoftmaxMeanRows, simdTransposeProduct } from '../../../src/models/eadro/layers/simd/rows-simd.js';
import { buildWasmModule, wasmSources } from '../../../scripts/build-wasm.js';
import { maxRelDiff } from './helpers.js';
import * as fs from 'node:fs';

function randn(seed: number, label: string, n: number, std: number): Float32Array {
  const rng = createRng(seed).fork(label);
  return Float32Array.from({ length: n }, () => rng.normal(0, std));
}

describe('models/eadro/layers/simd/rows-simd', () => {
  it('the committed module is the build of its .wat (scripts/build-wasm.ts)', async function () {
    this.timeout(20000);
    for (const { wat, out } of wasmSources) assert.equal(fs.readFileSync(out, 'utf8'), await buildWasmModule(wat), `${out} is stale: run npx tsx scripts/build-wasm.ts`);
  });

  it('runs on this Node (WebAssembly SIMD) for C a multiple of 4 only', () => {
    assert.equal(simdRowsAvailable(64), true);
    assert.equal(simdRowsAvailable(5), false);
    assert.throws(() => simdSoftmaxMeanRows(new Float32Array(10), new Float32Array(10), 1, 2, 5, 1, new Float32Array(5), null), /C = 5/);
  });

  // T odd and even (the scores' pair loop and its tail); C = 64 (four-vector blocks only), 20 (one block
  // and a single vector), 8 and 4 (single vectors only); T = 1 (a softmax of 1)
  const cases = [
    { R: 9, T: 10, C: 64, std: 1 },
    { R: 6, T: 7, C: 20, std: 2 },
    { R: 5, T: 3, C: 8, std: 3 },
    { R: 4, T: 1, C: 4, std: 1 },
  ];
  for (const { R, T, C, std } of cases) {
    it(`equals the JavaScript rows in the forward and the backward (R=${R}, T=${T}, C=${C})`, () => {
      const y = randn(2, 'y', R * T * C, std);
      const x = randn(2, 'x', R * T * C, std);
      const dxbar = randn(2, 'g', R * C, 1);
      const scale = 1 / Math.sqrt(C);
      const xbarJs = new Float32Array(R * C);
      const attnJs = new Float32Array(R * T * T);
      const xbarSimd = new Float32Array(R * C);
      const attnSimd = new Float32Array(R * T * T);
      softmaxMeanRowsScalar(y, x, R, T, C, scale, xbarJs, attnJs);
      simdSoftmaxMeanRows(y, x, R, T, C, scale, xbarSimd, attnSimd);
      assert.ok(maxRelDiff(xbarSimd, xbarJs) < 1e-5, `xbar differs by ${maxRelDiff(xbarSimd, xbarJs)}`);
      assert.ok(maxRelDiff(attnSimd, attnJs) < 1e-5, `attention differs by ${maxRelDiff(attnSimd, attnJs)}`);
      // without the attention kept (inference), the softmax and mean run in SIMD too (rows.wat softmaxMean)
      const xbarInfer = new Float32Array(R * C);
      simdSoftmaxMeanRows(y, x, R, T, C, scale, xbarInfer, null);
      assert.ok(maxRelDiff(xbarInfer, xbarJs) < 1e-5, `xbar (inference) differs by ${maxRelDiff(xbarInfer, xbarJs)}`);
      const js = attentionBackwardRowsScalar(y, x, attnJs, dxbar, R, T, C, scale);
      const simd = simdAttentionBackwardRows(y, x, attnJs, dxbar, R, T, C, scale);
      assert.ok(maxRelDiff(simd.dx, js.dx) < 1e-5, `dx differs by ${maxRelDiff(simd.dx, js.dx)}`);
      assert.ok(maxRelDiff(simd.dy, js.dy) < 1e-5, `dy differs by ${maxRelDiff(simd.dy, js.dy)}`);
      if (T > 1) assert.ok(js.dy.some((v) => Math.abs(v) > 1e-3), 'the gradient is not trivially zero');
    });
  }

  it('inference rows: exp over a wide range of scores (clamped below e^-87.3) and a NaN kept in its own row', () => {
    const R = 7; // padded to 8 inside: lanes of four rows
    const T = 10;
    const C = 8;
    const y = randn(6, 'y', R * T * C, 20); // scores up to ~1000 apart: most terms far below e^-87
    const x = randn(6, 'x', R * T * C, 20);
    const js = new Float32Array(R * C);
    const simd = new Float32Array(R * C);
    softmaxMeanRowsScalar(y, x, R, T, C, 1, js, null);
    simdSoftmaxMeanRows(y, x, R, T, C, 1, simd, null);
    assert.ok(maxRelDiff(simd, js) < 1e-5, `xbar differs by ${maxRelDiff(simd, js)}`);
    // softmax of equal scores: abar = 1/T for every u, so xbar is the mean of the rows (a known answer)
    const same = new Float32Array(R * T * C);
    const xs = randn(7, 'x', R * T * C, 1);
    const mean = new Float32Array(R * C);
    simdSoftmaxMeanRows(same, xs, R, T, C, 1, mean, null);
    for (let r = 0; r < R; r++) {
      for (let c = 0; c < C; c++) {
        let m = 0;
        for (let t = 0; t < T; t++) m += xs[(r * T + t) * C + c]! / T;
        assert.ok(Math.abs(mean[r * C + c]! - m) < 1e-6, `row ${r}, column ${c}: ${mean[r * C + c]} vs ${m}`);
      }
    }
    const withNan = y.slice();
    withNan[2 * T * C + 5] = Number.NaN; // row 2 (lane 2 of the first four)
    simdSoftmaxMeanRows(withNan, x, R, T, C, 1, simd, null);
    for (let r = 0; r < R; r++) {
      const row = simd.subarray(r * C, (r + 1) * C);
      if (r === 2) assert.ok(row.every(Number.isNaN), 'the NaN row is NaN');
      else assert.deepEqual(Array.from(row, (v, c) => Math.abs(v - js[r * C + c]!) < 1e-5 * Math.max(1, Math.abs(js[r * C + c]!))), new Array(C).fill(true), `row ${r} unaffected`);
    }
  });

  // X^T Y in chunks of 256 rows and 4 x 8 tiles: R past one chunk and not a multiple of it, Cy with
  // and without a 4-wide tail, Cx = 4 (one tile row)
  for (const { R, Cx, Cy } of [{ R: 600, Cx: 8, Cy: 12 }, { R: 257, Cx: 4, Cy: 16 }, { R: 3, Cx: 12, Cy: 4 }]) {
    it(`transposeProduct equals X^T Y summed in float64 (R=${R}, Cx=${Cx}, Cy=${Cy})`, () => {
      const x = randn(8, 'x', R * Cx, 1);
      const y = randn(8, 'y', R * Cy, 1);
      const ref = new Float64Array(Cx * Cy);
      for (let r = 0; r < R; r++) for (let i = 0; i < Cx; i++) for (let j = 0; j < Cy; j++) ref[i * Cy + j]! += x[r * Cx + i]! * y[r * Cy + j]!;
      const out = simdTransposeProduct(x, y, R, Cx, Cy);
      assert.equal(out.length, Cx * Cy);
      assert.ok(maxRelDiff(out, ref) < 1e-5, `differs by ${maxRelDiff(out, ref)}`);
      assert.deepEqual(simdTransposeProduct(x, y, R, Cx, Cy), out, 'a second call (reused memory) gives the same');
    });
  }

  it('transposeProduct reads an input that is a view of its memory in place (the backward rows\' dy)', () => {
    const R = 40;
    const T = 10;
    const C = 8;
    const y = randn(9, 'y', R * T * C, 1);
    const x = randn(9, 'x', R * T * C, 1);
    const attn = new Float32Array(R * T * T);
    softmaxMeanRowsScalar(y, x, R, T, C, 0.3, new Float32Array(R * C), attn);
    const { dy } = simdAttentionBackwardRows(y, x, attn, randn(9, 'g', R * C, 1), R, T, C, 0.3);
    const dyCopy = dy.slice();
    const inPlace = simdTransposeProduct(x, dy, R * T, C, C);
    // read where it lies, not overwritten (nor detached by a memory growth: its length would be 0)
    assert.deepEqual(dy, dyCopy);
    const ref = simdTransposeProduct(x, dyCopy, R * T, C, C); // a host copy: copied in
    assert.deepEqual(inPlace, ref);
    assert.ok(ref.some((v) => Math.abs(v) > 1e-3), 'not trivially zero');
  });

  it('grows its memory for a larger batch and gives the same rows as before for the first windows', () => {
    const T = 10;
    const C = 64;
    const small = 3;
    const large = 3000; // 3000 x 10 x 64 floats: 7.7 MB per matrix, past the module's first 64 KiB
    const y = randn(4, 'y', large * T * C, 1);
    const x = randn(4, 'x', large * T * C, 1);
    const first = new Float32Array(small * C);
    simdSoftmaxMeanRows(y, x, small, T, C, 0.125, first, null);
    const all = new Float32Array(large * C);
    simdSoftmaxMeanRows(y, x, large, T, C, 0.125, all, null);
    assert.deepEqual(all.subarray(0, small * C), first);
    const js = new Float32Array(large * C);
    softmaxMeanRowsScalar(y, x, large, T, C, 0.125, js, null);
    assert.ok(maxRelDiff(all, js) < 1e-5);
  });
});
