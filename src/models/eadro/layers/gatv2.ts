/**
 * GATv2 (Brody et al. 2022, as DGL GATv2Conv) over a fixed service graph, batched with no gather or
 * scatter kernels (wasm lacks UnsortedSegmentSum): rows are node-major (row = n*B + b), so the node
 * features of a batch are an [N, B*F] matrix and "the features at the source of every edge" is one
 * matMul with a constant one-hot [nEdges, N] selection matrix; summing edge messages into their
 * target is one matMul with the transposed target selection. Only real edges are computed (not all
 * N x N pairs), which is what makes N = 27 cheap.
 *
 * For an edge j -> i (adjacency[i][j] = 1), per head h (slices of size D):
 *   e_ijh = a_h . LeakyReLU(W_dst h_i + b_dst + W_src h_j + b_src)
 *   alpha_ijh = softmax of e over the in-edges of i
 *   out_ih = sum_j alpha_ijh (W_src h_j + b_src)
 * A node without in-edges gets 0 (DGL allow_zero_in_degree). Heads are combined by max (reference
 * MaxPool1d over heads) or mean, then the activation psi.
 */
import * as tf from '@tensorflow/tfjs';
import { meanAxis, sumAxis } from './reduce.js';
import { gatherRows, readValues, scatterAddRows } from './row-gather.js';
import { opPlacement } from './placement.js';
import type { SelfLoops } from '../config.js';

/** tfjs-core's CustomGradientFunc, which the tfjs umbrella package does not re-export. */
export type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

export interface GatParams {
  /** [Din, H*D] and [H*D]: the message/source transform. */
  wSrc: tf.Tensor2D;
  bSrc: tf.Tensor1D;
  /** [Din, H*D] and [H*D]: the target transform (not shared, DGL share_weights=False). */
  wDst: tf.Tensor2D;
  bDst: tf.Tensor1D;
  /** [H, D] attention vectors. */
  attn: tf.Tensor2D;
}

export interface GatOptions {
  heads: number;
  negativeSlope: number;
  headCombine: 'max' | 'mean';
  activation: 'relu' | 'none';
}

/** The graph as constant selection matrices (built once per model). */
export interface GatGraph {
  N: number;
  nEdges: number;
  /** [nEdges, N] one-hot of each edge's source / target. */
  selectSrc: tf.Tensor2D;
  selectDst: tf.Tensor2D;
  /** [N, nEdges] = selectDst^T: sums edge values into their target node. */
  gatherToDst: tf.Tensor2D;
  /** Each edge's source and target node (the same graph as index lists, for row gathers). */
  srcIndex: Int32Array;
  dstIndex: Int32Array;
  /** The index lists as tensors, for device placement (placement.ts); made on first use. */
  device?: GatDeviceIndex;
}

interface GatDeviceIndex {
  /** [nEdges] int32 source / target of each edge. */
  src: tf.Tensor1D;
  dst: tf.Tensor1D;
  /** [N, nEdges, 1]: 0 where the edge's target is the node, -Infinity elsewhere (segment max by masking). */
  dstMask: tf.Tensor3D;
}

function deviceIndex(g: GatGraph): GatDeviceIndex {
  if (g.device === undefined || g.device.src.isDisposed) {
    const mask = new Float32Array(g.N * g.nEdges).fill(-Infinity);
    for (let e = 0; e < g.nEdges; e++) mask[g.dstIndex[e]! * g.nEdges + e] = 0;
    g.device = {
      src: tf.keep(tf.tensor1d(g.srcIndex, 'int32')),
      dst: tf.keep(tf.tensor1d(g.dstIndex, 'int32')),
      dstMask: tf.keep(tf.tensor3d(mask, [g.N, g.nEdges, 1])),
    };
  }
  return g.device;
}

/** Edge list (source j, target i) of a dense adjacency (row = target), ordered by target then source. */
export function adjacencyEdges(adjacency: Float32Array, N: number): { src: number[]; dst: number[] } {
  const src: number[] = [];
  const dst: number[] = [];
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) if (adjacency[i * N + j]) (src.push(j), dst.push(i));
  return { src, dst };
}

export function makeGatGraph(adjacency: Float32Array, N: number): GatGraph {
  const { src, dst } = adjacencyEdges(adjacency, N);
  const nEdges = src.length;
  const s = new Float32Array(Math.max(1, nEdges) * N);
  const d = new Float32Array(Math.max(1, nEdges) * N);
  const dT = new Float32Array(N * Math.max(1, nEdges));
  for (let e = 0; e < nEdges; e++) {
    s[e * N + src[e]!] = 1;
    d[e * N + dst[e]!] = 1;
    dT[dst[e]! * nEdges + e] = 1;
  }
  return {
    N,
    nEdges,
    selectSrc: tf.tensor2d(s.subarray(0, nEdges * N), [nEdges, N]),
    selectDst: tf.tensor2d(d.subarray(0, nEdges * N), [nEdges, N]),
    gatherToDst: tf.tensor2d(dT.subarray(0, N * nEdges), [N, nEdges]),
    srcIndex: Int32Array.from(src),
    dstIndex: Int32Array.from(dst),
  };
}

export function disposeGatGraph(g: GatGraph): void {
  tf.dispose([g.selectSrc, g.selectDst, g.gatherToDst]);
  if (g.device !== undefined) tf.dispose([g.device.src, g.device.dst, g.device.dstMask]);
  delete g.device;
}

/**
 * segmentMaxShift as tfjs ops (device placement): the max over each target's in-edges by adding a
 * [N, nEdges, 1] 0/-Infinity mask to the scores ([N, nEdges, C], 2.2 M floats at N = 27, B = 256),
 * then each edge takes its target's row. Zero gradient, as the host version (a constant shift).
 */
const segmentMaxShiftDevice = (e: tf.Tensor2D, index: GatDeviceIndex): tf.Tensor2D =>
  (tf.customGrad(((x: tf.Tensor2D) => ({
    value: tf.gather(tf.max(tf.add(tf.expandDims(x, 0), index.dstMask), 1), index.dst),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  })) as unknown as CustomGradientFunc)(e) as tf.Tensor2D);

/**
 * The softmax shift of every edge score: the maximum over the in-edges of the edge's TARGET node, per
 * column (window x head), as a constant (zero gradient; the shift cancels exactly in the softmax).
 * e: [nEdges, C] -> [nEdges, C]. A shift by the maximum over ALL edges (what this layer did before)
 * lets a target whose scores sit far below another target's underflow: its denominator becomes
 * denormal or 0 and the backward of the division (-ex / den^2) turns into Inf/NaN while the forward
 * still looks finite. Seen on SN `paper` windows after ~130 steps: every weight below the GAT NaN.
 */
function segmentMaxShift(e: tf.Tensor2D, dstIndex: Int32Array, N: number): tf.Tensor2D {
  const [nEdges, C] = e.shape;
  const ev = readValues(e);
  const max = new Float32Array(N * C).fill(-Infinity);
  for (let k = 0; k < nEdges; k++) {
    const m0 = dstIndex[k]! * C;
    const e0 = k * C;
    for (let c = 0; c < C; c++) if (ev[e0 + c]! > max[m0 + c]!) max[m0 + c] = ev[e0 + c]!;
  }
  const out = new Float32Array(nEdges * C);
  for (let k = 0; k < nEdges; k++) out.set(max.subarray(dstIndex[k]! * C, (dstIndex[k]! + 1) * C), k * C);
  return tf.tensor2d(out, [nEdges, C]);
}

/**
 * Max over the heads of [R, H, D] -> [R, D]; the gradient goes to the first maximal head only
 * (PyTorch MaxPool1d), through the winning head index kept from the forward pass. Runs on host
 * arrays (heap views on wasm): a 0/1 mask tensor the size of x cost ~0.2-0.4 s per step at N = 27.
 */
const headMax = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const [R, H, D] = x.shape as [number, number, number];
  const xv = readValues(x);
  const out = new Float32Array(R * D);
  const winner = new Int32Array(R * D);
  for (let r = 0; r < R; r++) {
    const x0 = r * H * D;
    const o0 = r * D;
    for (let d = 0; d < D; d++) out[o0 + d] = xv[x0 + d]!;
    for (let h = 1; h < H; h++) {
      const xh = x0 + h * D;
      for (let d = 0; d < D; d++) {
        const v = xv[xh + d]!;
        if (v > out[o0 + d]!) (out[o0 + d] = v), (winner[o0 + d] = h);
      }
    }
  }
  save([tf.tensor2d(winner, [R, D], 'int32')]);
  return {
    value: tf.tensor2d(out, [R, D]),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const w = saved[0]!.dataSync() as Int32Array;
      const g = readValues(dy);
      const dx = new Float32Array(R * H * D);
      for (let r = 0; r < R; r++) for (let d = 0; d < D; d++) dx[(r * H + w[r * D + d]!) * D + d] = g[r * D + d]!;
      return tf.tensor3d(dx, [R, H, D]);
    },
  };
}) as CustomGradientFunc);

/**
 * x: [N*B, Din] node features, node-major (row n*B + b). Returns [N*B, D]. `training` = false skips
 * the gradient bookkeeping of the head max (inference).
 */
export function gatv2(x: tf.Tensor2D, B: number, graph: GatGraph, p: GatParams, opts: GatOptions, training = true): tf.Tensor2D {
  const { N, nEdges } = graph;
  const H = opts.heads;
  const HD = p.wSrc.shape[1];
  const D = HD / H;
  if (nEdges === 0) return tf.zeros([N * B, D]);
  const src = tf.add(tf.matMul(x, p.wSrc), p.bSrc).reshape([N, B * HD]) as tf.Tensor2D;
  const dst = tf.add(tf.matMul(x, p.wDst), p.bDst).reshape([N, B * HD]) as tf.Tensor2D;
  // Host placement: row gathers/scatters on host arrays instead of matMuls with the selection matrices
  // (same values, ~10x faster on wasm). Device placement: the tfjs kernels, so nothing leaves the GPU.
  const onDevice = opPlacement() === 'device';
  const index = onDevice ? deviceIndex(graph) : null;
  const gatherSrc = (t: tf.Tensor2D): tf.Tensor2D => (index ? tf.gather(t, index.src) : gatherRows(t, graph.srcIndex));
  const gatherDst = (t: tf.Tensor2D): tf.Tensor2D => (index ? tf.gather(t, index.dst) : gatherRows(t, graph.dstIndex));
  const scatterDst = (t: tf.Tensor2D): tf.Tensor2D => (index ? tf.unsortedSegmentSum(t, index.dst, N) : scatterAddRows(t, graph.dstIndex, N));
  const srcE = gatherSrc(src); // [nE, B*H*D]
  const z = tf.add(srcE, gatherDst(dst));
  const act = tf.leakyRelu(z, opts.negativeSlope).reshape([nEdges * B, H, D]);
  const e = sumAxis(tf.mul(act, p.attn), 2).reshape([nEdges, B * H]) as tf.Tensor2D; // [nE, B*H]
  const shift = index ? segmentMaxShiftDevice(e, index) : segmentMaxShift(e, graph.dstIndex, N);
  const ex = tf.exp(tf.sub(e, shift)) as tf.Tensor2D; // shift is a constant: no gradient flows
  const den = gatherDst(scatterDst(ex)); // per edge, its target's sum
  const alpha = tf.div(ex, den).reshape([nEdges, B * H, 1]);
  const messages = tf.mul(srcE.reshape([nEdges, B * H, D]), alpha).reshape([nEdges, B * HD]) as tf.Tensor2D;
  const out = scatterDst(messages).reshape([N * B, H, D]);
  // Device placement: tf.max's own gradient (to every maximal head; ties have probability ~0 in float32).
  const combined =
    opts.headCombine === 'max' ? ((training && !onDevice ? headMax(out) : tf.max(out, 1)) as tf.Tensor2D) : (meanAxis(out, 1) as tf.Tensor2D);
  return opts.activation === 'relu' ? tf.relu(combined) : combined;
}

/**
 * Dense [N, N] adjacency (row = target) from edges [src[], dst[]]; self-loops as config.ts `selfLoops`
 * says (added to every node, kept as listed, or dropped).
 */
export function denseAdjacency(N: number, edges: [number[], number[]], selfLoops: SelfLoops): Float32Array {
  const adj = new Float32Array(N * N);
  const [src, dst] = edges;
  for (let e = 0; e < src.length; e++) {
    const s = src[e]!;
    const d = dst[e]!;
    if (s === d && selfLoops === 'none') continue;
    adj[d * N + s] = 1;
  }
  if (selfLoops === 'every-node') for (let i = 0; i < N; i++) adj[i * N + i] = 1;
  return adj;
}
