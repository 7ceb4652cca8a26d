import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { denseAdjacency, gatv2, makeGatGraph, disposeGatGraph } from '../../../src/models/eadro/layers/gatv2.js';
import { useTestBackend } from './helpers.js';

describe('models/eadro/layers/gatv2 numerical stability', () => {
  before(useTestBackend);

  it('keeps gradients finite when one target scores hundreds above another (softmax shifted per target)', () => {
    // Two targets with their own sources: 0 <- 1 and 2 <- 3. The attention vector and features make
    // the edge scores into target 0 about +150 and into target 2 about -150 (one window, one head).
    // Shifting every edge by the maximum over ALL edges would underflow target 2's exponentials to 0
    // and turn the backward of the division into NaN.
    const N = 4;
    const graph = makeGatGraph(denseAdjacency(N, [[1, 3], [0, 2]], 'none'), N);
    const x = tf.tensor2d([[10], [10], [-10], [-10]]); // [N*B, Din] with B = 1, Din = 1
    const params = {
      wSrc: tf.tensor2d([[1]]),
      bSrc: tf.tensor1d([0]),
      wDst: tf.tensor2d([[1]]),
      bDst: tf.tensor1d([0]),
      attn: tf.tensor2d([[7.5]]),
    };
    const opts = { heads: 1, negativeSlope: 1, headCombine: 'max' as const, activation: 'none' as const };
    const f = (xx: tf.Tensor, w: tf.Tensor): tf.Scalar => tf.sum(gatv2(xx as tf.Tensor2D, 1, graph, { ...params, wSrc: w as tf.Tensor2D }, opts));
    const [gx, gw] = tf.grads(f)([x, params.wSrc]);
    const out = gatv2(x, 1, graph, params, opts).dataSync();
    // Each target has one in-edge: alpha = 1, out = W_src h_src (+0): [10, 0, -10, 0] (no in-edges -> 0).
    assert.deepEqual(Array.from(out), [10, 0, -10, 0]);
    for (const v of [...gx!.dataSync(), ...gw!.dataSync()]) assert.ok(Number.isFinite(v), `gradient ${v} is finite`);
    // d out / d h_src = W_src = 1 for the two sources, 0 elsewhere (alpha is constant 1 with one edge).
    assert.deepEqual(Array.from(gx!.dataSync()), [0, 1, 0, 1]);
    assert.deepEqual(Array.from(gw!.dataSync()), [0]); // sum of outputs = 10 - 10 = 0 -> d/dW = h1 + h3 = 0
    tf.dispose([x, gx!, gw!, ...Object.values(params)]);
    disposeGatGraph(graph);
  });
});
