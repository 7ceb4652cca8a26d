import { strict as assert } from 'node:assert';
import { createRng } from '../../../src/core/rng.js';
import { gatEdgeGradients, simdGatAvailable, type GatEdgeInput } from '../../../src/models/eadro/layers/simd/gat-simd.js';
import { gatPredictRows, gatPredictScalar, gatPredictSimd, graphLists } from '../../../src/models/eadro/manual/gatv2.js';
import { maxRelDiff } from './helpers.js';

/**
 * A random GAT backward input: N nodes with in-degrees 0 to 3 (a self-loop among them), B windows,
 * H heads of D features; alpha a softmax over each node's in-edges; a winner per output feature.
 */
function edgeInput(seed: number, N: number, B: number, H: number, D: number, headCombine: 'max' | 'mean', zeroShare: number): GatEdgeInput {
  const rng = createRng(seed);
  const src: number[] = [];
  const dst: number[] = [];
  for (let i = 0; i < N; i++) {
    const degree = i % 4; // 0, 1, 2, 3 in-edges
    for (let k = 0; k < degree; k++) {
      src.push(k === 0 && i % 2 === 0 ? i : (i + 1 + k) % N); // a self-loop on even nodes
      dst.push(i);
    }
  }
  const g = graphLists(N, Int32Array.from(src), Int32Array.from(dst));
  const R = N * B;
  const HD = H * D;
  const alpha = new Float32Array(g.nEdges * B * H);
  for (let i = 0; i < N; i++) {
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        const w = Array.from(g.inEdges[i]!, () => Math.exp(rng.normal(0, 1)));
        const sum = w.reduce((a, x) => a + x, 0);
        g.inEdges[i]!.forEach((e, k) => (alpha[(e * B + b) * H + h] = w[k]! / sum));
      }
    }
  }
  return {
    B,
    R,
    H,
    D,
    sd: Float32Array.from({ length: R * 2 * HD }, () => rng.normal(0, 1)),
    alpha,
    winner: Uint8Array.from({ length: R * D }, () => Math.floor(rng.next() * H)),
    // some output gradients exactly 0 (a ReLU's), so that whole heads get none
    dOut: Float32Array.from({ length: R * D }, () => (rng.next() < zeroShare ? 0 : rng.normal(0, 1))),
    attn: Float32Array.from({ length: HD }, () => rng.normal(0, 0.3)),
    inEdges: g.inEdges,
    src: g.src,
    N,
    headCombine,
    negativeSlope: 0.2,
  };
}

describe('models/eadro/layers/simd/gat-simd', () => {
  it('runs on this Node for D a multiple of 4 only', () => {
    assert.equal(simdGatAvailable(128), true);
    assert.equal(simdGatAvailable(6), false);
  });

  const cases = [
    { N: 9, B: 5, H: 4, D: 16, headCombine: 'max' as const, zeroShare: 0.3 },
    { N: 7, B: 3, H: 2, D: 8, headCombine: 'mean' as const, zeroShare: 0 },
    { N: 5, B: 4, H: 1, D: 4, headCombine: 'max' as const, zeroShare: 0.9 },
  ];
  for (const c of cases) {
    it(`the SIMD edge loops equal the JavaScript ones (N=${c.N}, B=${c.B}, H=${c.H}, D=${c.D}, ${c.headCombine})`, () => {
      const p = edgeInput(3, c.N, c.B, c.H, c.D, c.headCombine, c.zeroShare);
      const W = p.R * 2 * p.H * p.D;
      const dsdJs = new Float32Array(W).fill(-7); // overwritten, not added to
      const dsdSimd = new Float32Array(W).fill(123); // overwritten, not added to
      const dAttnJs = gatEdgeGradients(p, dsdJs, false);
      const dAttnSimd = gatEdgeGradients(p, dsdSimd, true);
      assert.ok(dsdJs.some((v) => v !== 0) && dAttnJs.some((v) => v !== 0), 'gradients are not trivially zero');
      assert.ok(dsdJs.every(Number.isFinite) && p.alpha.every(Number.isFinite), 'finite input and gradients');
      assert.ok(maxRelDiff(dsdSimd, dsdJs) < 1e-5, `dsd differs by ${maxRelDiff(dsdSimd, dsdJs)}`);
      assert.ok(maxRelDiff(dAttnSimd, dAttnJs) < 1e-5, `dAttn differs by ${maxRelDiff(dAttnSimd, dAttnJs)}`);
    });
  }

  // The forward-only pass of inference: D = 16 (one four-vector block), 12 (single vectors only), 20
  // (a block and a single vector); in-degrees 0 to 3 (edgeInput's graph), both head combines, with and
  // without the ReLU
  const predictCases = [
    { N: 9, B: 5, H: 4, D: 16, headCombine: 'max' as const, relu: true },
    { N: 7, B: 3, H: 2, D: 12, headCombine: 'mean' as const, relu: false },
    { N: 6, B: 4, H: 3, D: 20, headCombine: 'max' as const, relu: false },
  ];
  for (const c of predictCases) {
    it(`the SIMD forward-only pass equals the JavaScript one (N=${c.N}, B=${c.B}, H=${c.H}, D=${c.D}, ${c.headCombine}${c.relu ? ', ReLU' : ''})`, () => {
      const p = edgeInput(5, c.N, c.B, c.H, c.D, c.headCombine, 0);
      const g = { N: p.N, inEdges: p.inEdges, src: p.src, nEdges: p.src.length };
      const rows = gatPredictRows(g);
      const HD = c.H * c.D;
      const rng = createRng(11);
      const S = Float32Array.from({ length: rows.srcNodes.length * c.B * HD }, () => rng.normal(0, 1));
      const Dt = Float32Array.from({ length: rows.dstNodes.length * c.B * HD }, () => rng.normal(0, 1));
      const settings = { heads: c.H, negativeSlope: 0.2, headCombine: c.headCombine, activation: c.relu ? ('relu' as const) : ('none' as const) };
      const js = new Float32Array(c.N * c.B * c.D).fill(-7); // overwritten
      const simd = new Float32Array(c.N * c.B * c.D).fill(123); // overwritten
      gatPredictScalar(S, Dt, c.B, g, rows, p.attn, settings, js);
      gatPredictSimd(S, Dt, c.B, g, rows, p.attn, settings, simd);
      assert.ok(maxRelDiff(simd, js) < 1e-5, `outputs differ by ${maxRelDiff(simd, js)}`);
      // node 0 has no in-edges (output 0); node 1 one (its source's features, combined over heads)
      assert.ok(simd.subarray(0, c.B * c.D).every((v) => v === 0), 'no in-edges: 0');
      assert.ok(js.some((v) => v > 0.1) && (c.relu ? js.every((v) => v >= 0) : js.some((v) => v < -0.1)), 'outputs are not trivial');
    });
  }
});
