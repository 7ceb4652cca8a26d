import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../../src/core/rng.js';
import { denseAdjacency, gatv2, makeGatGraph, disposeGatGraph, type GatOptions } from '../../../src/models/eadro/layers/gatv2.js';
import type { SelfLoops } from '../../../src/models/eadro/config.js';
import { maxRelDiff, useTestBackend, values } from './helpers.js';

/**
 * GATv2 written the slow, obvious way: for every window, target node, head, loop over the listed
 * edges into that target (tf ops on slices, so tf.grads can differentiate it independently).
 */
function naiveGat(
  x: tf.Tensor2D, // [N*B, Din] node-major
  B: number,
  N: number,
  edges: { src: number; dst: number }[],
  p: { wSrc: tf.Tensor2D; bSrc: tf.Tensor1D; wDst: tf.Tensor2D; bDst: tf.Tensor1D; attn: tf.Tensor2D },
  opts: GatOptions,
): tf.Tensor2D {
  const [H, D] = p.attn.shape;
  const rows: tf.Tensor[] = [];
  const node = (n: number, b: number): tf.Tensor2D => tf.slice(x, [n * B + b, 0], [1, -1]);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < B; b++) {
      const incoming = edges.filter((e) => e.dst === n);
      const heads: tf.Tensor[] = [];
      for (let h = 0; h < H; h++) {
        const wS = tf.slice(p.wSrc, [0, h * D], [-1, D]);
        const wD = tf.slice(p.wDst, [0, h * D], [-1, D]);
        const bS = tf.slice(p.bSrc, [h * D], [D]);
        const bD = tf.slice(p.bDst, [h * D], [D]);
        const a = tf.slice(p.attn, [h, 0], [1, D]).reshape([D]);
        if (incoming.length === 0) {
          heads.push(tf.zeros([D]));
          continue;
        }
        const target = tf.add(tf.matMul(node(n, b), wD).reshape([D]), bD);
        const scores: tf.Tensor[] = [];
        const msgs: tf.Tensor[] = [];
        for (const e of incoming) {
          const m = tf.add(tf.matMul(node(e.src, b), wS).reshape([D]), bS);
          msgs.push(m);
          scores.push(tf.sum(tf.mul(a, tf.leakyRelu(tf.add(target, m), opts.negativeSlope))));
        }
        const alpha = tf.softmax(tf.stack(scores));
        let acc: tf.Tensor = tf.zeros([D]);
        msgs.forEach((m, i) => (acc = tf.add(acc, tf.mul(m, tf.slice(alpha, [i], [1])))));
        heads.push(acc);
      }
      const stacked = tf.stack(heads); // [H, D]
      let out = opts.headCombine === 'max' ? tf.max(stacked, 0) : tf.mean(stacked, 0);
      if (opts.activation === 'relu') out = tf.relu(out);
      rows.push(out);
    }
  }
  return tf.stack(rows) as tf.Tensor2D;
}

function randn(rng: ReturnType<typeof createRng>, shape: number[], std = 0.5): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal(0, std)), shape);
}

describe('models/eadro/gatv2', () => {
  before(useTestBackend);

  for (const [label, selfLoops, opts] of [
    ['no self-loops, max over heads, no activation', 'none', { heads: 3, negativeSlope: 0.2, headCombine: 'max', activation: 'none' }],
    ['reference (listed self-loops, max over heads, no activation)', 'as-listed', { heads: 3, negativeSlope: 0.2, headCombine: 'max', activation: 'none' }],
    ['paper (self-loops, max over heads, ReLU)', 'every-node', { heads: 2, negativeSlope: 0.2, headCombine: 'max', activation: 'relu' }],
    ['mean over heads', 'every-node', { heads: 2, negativeSlope: 0.1, headCombine: 'mean', activation: 'none' }],
  ] as [string, SelfLoops, GatOptions][]) {
    it(`matches a per-edge loop in values and gradients: ${label}`, () => {
      const rng = createRng(3);
      const N = 5;
      const B = 2;
      const Din = 4;
      const D = 3;
      const H = opts.heads;
      // node 4 has no in-edges without self-loops: its output must be 0 there
      const edgeList: [number[], number[]] = [[0, 0, 1, 2, 3, 1], [1, 2, 3, 3, 0, 1]];
      const adj = denseAdjacency(N, edgeList, selfLoops);
      const graph = makeGatGraph(adj, N);
      const edges: { src: number; dst: number }[] = [];
      for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) if (adj[i * N + j]) edges.push({ src: j, dst: i });
      // The list has one self-loop (1 -> 1): kept as listed, dropped with none, one per node with every-node.
      const loops = edges.filter((e) => e.src === e.dst).map((e) => e.src);
      assert.deepEqual(loops, { none: [], 'as-listed': [1], 'every-node': [0, 1, 2, 3, 4] }[selfLoops]);
      const x = randn(rng, [N * B, Din]) as tf.Tensor2D;
      const params = [randn(rng, [Din, H * D]), randn(rng, [H * D], 0.1), randn(rng, [Din, H * D]), randn(rng, [H * D], 0.1), randn(rng, [H, D])];
      const weights = randn(rng, [N * B, D], 1);
      const asParams = (t: tf.Tensor[]) => ({ wSrc: t[0] as tf.Tensor2D, bSrc: t[1] as tf.Tensor1D, wDst: t[2] as tf.Tensor2D, bDst: t[3] as tf.Tensor1D, attn: t[4] as tf.Tensor2D });
      const fast = (...t: tf.Tensor[]) => tf.sum(tf.mul(gatv2(t[0] as tf.Tensor2D, B, graph, asParams(t.slice(1)), opts), weights));
      const slow = (...t: tf.Tensor[]) => tf.sum(tf.mul(naiveGat(t[0] as tf.Tensor2D, B, N, edges, asParams(t.slice(1)), opts), weights));
      const outFast = gatv2(x, B, graph, asParams(params), opts);
      const outSlow = naiveGat(x, B, N, edges, asParams(params), opts);
      assert.deepEqual(outFast.shape, [N * B, D]);
      assert.ok(maxRelDiff(values(outFast), values(outSlow)) < 1e-5, 'values');
      if (selfLoops !== 'every-node') {
        const row = values(outFast).slice(4 * B * D, 5 * B * D);
        assert.ok(row.every((v) => v === 0), 'a node without in-edges outputs 0');
      }
      const gFast = tf.grads(fast)([x, ...params]);
      const gSlow = tf.grads(slow)([x, ...params]);
      gFast.forEach((g, i) => assert.ok(maxRelDiff(values(g), values(gSlow[i]!)) < 1e-4, `gradient ${i}`));
      disposeGatGraph(graph);
    });
  }
});
