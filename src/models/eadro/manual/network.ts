/**
 * Eadro's whole forward pass and hand-written backward (no tf autodiff), block by block (conv-bn.ts,
 * time-attention.ts, dense.ts, glu.ts, gatv2.ts, pooling.ts, loss.ts). tfjs-wasm serves as a kernel
 * library (../../../shared/specs/fast-tfjs-wasm.md): plain 2-D matMuls (the conv's with BatchNorm and
 * ReLU fused in), the transposed-A matMul of wasm-kernels.ts for weight gradients; the rest are loops
 * over host arrays and heap views with float64 sums. `manualGradients` returns what
 * `autodiffGradients` (../step.ts) returns, so `applyStep` and Adam are shared. `manualForward`
 * (training = false) is the plain eval-mode forward of this step (tests); ../infer.ts predicts with
 * the leaner eval-forward.ts (BatchNorm folded, no tape, inputs straight from the dataset), tested
 * against forwardEadro. Every tensor a pass makes is disposed
 * before it returns (the tensor count stays flat); host buffers are reused across passes (host.ts
 * Workspace), so a pass's outputs are valid until the next pass on the same model.
 *
 * Row layout as model.ts: node-major, row n*B + b; R = N*B rows.
 */
import * as tf from '@tensorflow/tfjs';
import { uses, type EadroConfig } from '../config.js';
import type { EadroBatch, EadroModel } from '../model.js';
import type { GradientResult } from '../step.js';
import { causalTapsHost } from '../layers/causal-conv.js';
import { cachedFor, hostMatrix, hostValues, paramTensor, Workspace, type HostMatrix } from './host.js';
import { readValues } from '../layers/row-gather.js';
import { convBnBackward, convBnForward, reluGradient, type ConvBnSaved, type ConvBnWeights } from './conv-bn.js';
import { qkvAttentionBackward, qkvAttentionForward, tanhAttentionBackward, tanhAttentionForward, type QkvSaved, type TanhSaved } from './time-attention.js';
import { denseBackward, denseForward, reluBackwardInPlace, reluInPlace } from './dense.js';
import { gluBackward, gluForward, type GluSaved } from './glu.js';
import { gatBackward, gatForward, graphLists, type GatGraphLists, type GatSaved, type GatSettings, type GatWeights } from './gatv2.js';
import { poolBackward, poolForward, type PoolSaved } from './pooling.js';
import { hostLoss } from './loss.js';
import type { ReplicaReducer } from '../parallel/reducer.js';

/**
 * Whether the hand-written step covers this config. Every option of EadroConfig is implemented (both
 * variants, every ablation, max or mean over heads, both detectors and localizer masks); the check
 * stays so that a future option defaults to autodiff until it is written here.
 */
export function supportsManualStep(config: EadroConfig): boolean {
  return (
    (config.timeAttention === 'tanh-score' || config.timeAttention === 'softmax-qkv') &&
    (config.gatHeadCombine === 'max' || config.gatHeadCombine === 'mean') &&
    (config.gatActivation === 'relu' || config.gatActivation === 'none') &&
    (config.detector === 'softmax-ce' || config.detector === 'sigmoid-bce') &&
    (config.locateMask === 'ground-truth' || config.locateMask === 'predicted') &&
    config.gatHeads <= 255 // winner indices are bytes
  );
}

type Branch = 'kpi' | 'trace';

interface BranchTape {
  name: Branch;
  weights: ConvBnWeights;
  conv: ConvBnSaved;
  attention: TanhSaved | QkvSaved;
  /** Conv positions per row (T, or more before the chomp). */
  tOut: number;
  /** Column offset of this branch in the fusion input. */
  offset: number;
  width: number;
}

interface Tape {
  branches: BranchTape[];
  logOffset: number;
  fuseIn: HostMatrix;
  glu: GluSaved;
  nodes: HostMatrix;
  gat?: { saved: GatSaved; weights: GatWeights; lists: GatGraphLists };
  nographOut?: Float32Array;
  pool: PoolSaved;
  poolWeight: Float32Array;
  fused: HostMatrix;
  detectHidden: HostMatrix;
  locateHidden: HostMatrix;
}

export interface ManualForwardResult {
  /** [B, 1|2] */
  detectLogits: Float32Array;
  /** [B, N] */
  locateLogits: Float32Array;
  /** [B, D] */
  fused: Float32Array;
  bnBatch: Map<Branch, { mean: Float32Array; variance: Float32Array; rows: number }>;
  tape?: Tape;
  /** Tensors made for this pass (freed by disposeForward). */
  temps: tf.Tensor[];
}

/** Host buffers per model, reused by every pass (see Workspace). */
const workspaces = new WeakMap<EadroModel, Workspace>();
const modelWorkspace = (model: EadroModel): Workspace => cachedFor(workspaces, model, () => new Workspace());

/** Graph lists are derived once per model (the graph never changes). */
const listsCache = new WeakMap<EadroModel, GatGraphLists>();
export const modelLists = (model: EadroModel): GatGraphLists =>
  cachedFor(listsCache, model, () => graphLists(model.dims.N, model.graph.srcIndex, model.graph.dstIndex));

function taps(model: EadroModel, batch: EadroBatch, branch: Branch, temps: tf.Tensor[]): { cols: tf.Tensor2D; tOut: number } {
  const given = branch === 'kpi' ? batch.kpiTaps : batch.traceTaps;
  if (given !== undefined) return given;
  const c = model.config;
  const x = branch === 'kpi' ? batch.metrics : batch.traces;
  const [R, T, Cin] = x.shape;
  const opts = { kernelSize: c.kernelSize, dilation: c.dilation, batchNormBeforeChomp: c.batchNormBeforeChomp, epsilon: c.batchNormEpsilon };
  const { cols, tOut } = causalTapsHost(hostValues(x), R, T, Cin, opts);
  const t = tf.tensor2d(cols, [R * tOut, c.kernelSize * Cin]);
  temps.push(t);
  return { cols: t, tOut };
}

/** [R, tOut, C] -> its first T positions per row, [R, T, C] (the chomp). */
function chompRows(x: Float32Array, R: number, tOut: number, T: number, C: number, out: Float32Array): Float32Array {
  for (let r = 0; r < R; r++) out.set(x.subarray(r * tOut * C, (r * tOut + T) * C), r * T * C);
  return out;
}

/** The chomp's gradient: [R, T, C] into the first T positions of a zeroed [R, tOut, C]. */
function unchompRows(dx: Float32Array, R: number, tOut: number, T: number, C: number, out: Float32Array): Float32Array {
  for (let r = 0; r < R; r++) out.set(dx.subarray(r * T * C, (r + 1) * T * C), r * tOut * C);
  return out;
}

function pv(params: Map<string, tf.Tensor>, name: string): Float32Array {
  return hostValues(paramTensor(params, name));
}

/**
 * Forward pass; with `training`, batch statistics in BatchNorm and a tape for the backward. With
 * `reducer` (training on one replica's part of a batch, ../parallel/), BatchNorm uses the whole batch's
 * statistics, summed across replicas (conv-bn.ts).
 */
export function manualForward(model: EadroModel, batch: EadroBatch, training: boolean, reducer?: ReplicaReducer): ManualForwardResult {
  const c = model.config;
  const params = model.params as Map<string, tf.Tensor>;
  const { N, T } = model.dims;
  const B = batch.B;
  const R = N * B;
  const temps: tf.Tensor[] = [];
  const ws = modelWorkspace(model);
  const bnBatch: ManualForwardResult['bnBatch'] = new Map();
  // Fusion input [R, fuseIn]: trace | log | kpi columns, as model.ts concatenates them.
  const parts: { kind: Branch | 'log'; width: number }[] = [];
  if (uses(c, 'traces')) parts.push({ kind: 'trace', width: c.traceFilters });
  if (uses(c, 'logs')) parts.push({ kind: 'log', width: c.logDim });
  if (uses(c, 'kpis')) parts.push({ kind: 'kpi', width: c.kpiFilters });
  const fuseWidth = parts.reduce((a, p) => a + p.width, 0);
  const fuseIn = hostMatrix(ws.take('fuse/in', R * fuseWidth), R, fuseWidth);
  const branches: BranchTape[] = [];
  let offset = 0;
  let logOffset = -1;
  for (const part of parts) {
    let block: Float32Array;
    if (part.kind === 'log') {
      logOffset = offset;
      block = denseForward(batch.logs, paramTensor(params, 'log.fc.weight') as tf.Tensor2D, pv(params, 'log.fc.bias'), ws, 'log').data;
    } else {
      const name = part.kind;
      const { cols, tOut } = taps(model, batch, name, temps);
      const weights: ConvBnWeights = {
        weight: paramTensor(params, `${name}.conv.weight`) as tf.Tensor2D,
        bias: pv(params, `${name}.conv.bias`),
        gamma: pv(params, `${name}.bn.gamma`),
        beta: pv(params, `${name}.bn.beta`),
      };
      const state = model.bnState.get(name)!;
      const running = training ? undefined : { mean: hostValues(state.mean), variance: hostValues(state.variance) };
      const conv = convBnForward(cols, weights, c.batchNormEpsilon, temps, ws, `${name}/conv`, running, training ? reducer : undefined);
      if (training) bnBatch.set(name, { mean: conv.batchMean!, variance: conv.batchVariance!, rows: conv.rows! });
      const C = part.width;
      let attention: TanhSaved | QkvSaved | undefined;
      if (c.timeAttention === 'tanh-score') {
        block = ws.take(`${name}/attn/out`, R * C);
        attention = tanhAttentionForward(conv.y, R, T, pv(params, `${name}.attn.weight`), pv(params, `${name}.attn.bias`), training, block).saved;
      } else {
        const x = chompRows(readValues(conv.y), R, tOut, T, C, ws.take(`${name}/attn/x`, R * T * C));
        const a = qkvAttentionForward(x, R, T, C, pv(params, `${name}.attn.wqkv`), training, ws, `${name}/attn`);
        block = a.out;
        attention = a.saved;
      }
      if (training) branches.push({ name, weights, conv: conv.saved!, attention: attention!, offset, width: C, tOut });
    }
    const w = part.width;
    for (let r = 0; r < R; r++) fuseIn.data.set(block.subarray(r * w, (r + 1) * w), r * fuseWidth + offset);
    offset += w;
  }
  const fusedPre = denseForward(fuseIn, paramTensor(params, 'fuse.weight') as tf.Tensor2D, pv(params, 'fuse.bias'), ws, 'fuse');
  const glu = gluForward(fusedPre.data, R, c.fuseDim, training, ws);
  const E = c.fuseDim / 2;
  const nodes = hostMatrix(glu.out, R, E);
  let graphOut: Float32Array;
  let gatTape: Tape['gat'];
  let nographOut: Float32Array | undefined;
  if (uses(c, 'graph')) {
    const wCat = tf.concat([paramTensor(params, 'gat.wSrc'), paramTensor(params, 'gat.wDst')], 1) as tf.Tensor2D;
    temps.push(wCat);
    const bSrc = pv(params, 'gat.bSrc');
    const bCat = new Float32Array(2 * bSrc.length);
    bCat.set(bSrc, 0);
    bCat.set(pv(params, 'gat.bDst'), bSrc.length);
    const weights: GatWeights = { w: wCat, b: bCat, attn: pv(params, 'gat.attn') };
    const lists = modelLists(model);
    const g = gatForward(nodes, B, lists, weights, gatSettings(c), training, ws);
    graphOut = g.out;
    if (training) gatTape = { saved: g.saved!, weights, lists };
  } else {
    graphOut = denseForward(nodes, paramTensor(params, 'nograph.fc.weight') as tf.Tensor2D, pv(params, 'nograph.fc.bias'), ws, 'nograph').data;
    if (c.gatActivation === 'relu') reluInPlace(graphOut);
    nographOut = graphOut;
  }
  const D = c.gatHidden;
  const poolWeight = pv(params, 'pool.gate.weight');
  const pool = poolForward(graphOut, N, B, D, poolWeight, pv(params, 'pool.gate.bias')[0]!, training);
  const fused = hostMatrix(pool.out, B, D);
  const detectHidden = reluInPlace(denseForward(fused, paramTensor(params, 'detect.fc1.weight') as tf.Tensor2D, pv(params, 'detect.fc1.bias'), ws, 'detect.fc1').data);
  const detectLogits = denseForward(hostMatrix(detectHidden, B, c.detectHidden), paramTensor(params, 'detect.fc2.weight') as tf.Tensor2D, pv(params, 'detect.fc2.bias'), ws, 'detect.fc2').data;
  const locateHidden = reluInPlace(denseForward(fused, paramTensor(params, 'locate.fc1.weight') as tf.Tensor2D, pv(params, 'locate.fc1.bias'), ws, 'locate.fc1').data);
  const locateLogits = denseForward(hostMatrix(locateHidden, B, c.locateHidden), paramTensor(params, 'locate.fc2.weight') as tf.Tensor2D, pv(params, 'locate.fc2.bias'), ws, 'locate.fc2').data;
  const result: ManualForwardResult = { detectLogits, locateLogits, fused: pool.out, bnBatch, temps };
  if (training) {
    const tape: Tape = {
      branches,
      logOffset,
      fuseIn,
      glu: glu.saved!,
      nodes,
      pool: pool.saved!,
      poolWeight,
      fused,
      detectHidden: hostMatrix(detectHidden, B, c.detectHidden),
      locateHidden: hostMatrix(locateHidden, B, c.locateHidden),
    };
    if (gatTape !== undefined) tape.gat = gatTape;
    if (nographOut !== undefined) tape.nographOut = nographOut;
    result.tape = tape;
  }
  return result;
}

function gatSettings(c: EadroConfig): GatSettings {
  return { heads: c.gatHeads, negativeSlope: c.gatNegativeSlope, headCombine: c.gatHeadCombine, activation: c.gatActivation };
}

/** Free the tensors a forward pass made. */
export function disposeForward(f: ManualForwardResult): void {
  tf.dispose(f.temps);
  f.temps.length = 0;
}

/**
 * Loss, every parameter's gradient and the BatchNorm batch statistics, by the hand-written backward.
 * With `reducer`, `batch` is this replica's part of a larger batch and the result is the WHOLE batch's
 * (identical on every replica): BatchNorm statistics and loss normalisers are summed across replicas
 * during the pass, and the gradients and losses (each replica's share) at its end, in one reduction.
 * Without it the computation is exactly the single-process one.
 */
export function manualGradients(model: EadroModel, batch: EadroBatch, reducer?: ReplicaReducer): GradientResult {
  const c = model.config;
  const params = model.params as Map<string, tf.Tensor>;
  const { N, T } = model.dims;
  const B = batch.B;
  const R = N * B;
  const ws = modelWorkspace(model);
  const f = manualForward(model, batch, true, reducer);
  try {
    const tape = f.tape!;
    const loss = hostLoss(c, f.detectLogits, f.locateLogits, batch.labels, N, true, reducer);
    const host = new Map<string, Float32Array>();
    // Heads: logits -> hidden (ReLU) -> fused; both heads add into dFused.
    const dFused = new Float32Array(B * c.gatHidden);
    for (const [head, dLogits, hidden, outWidth] of [
      ['detect', loss.dDetect!, tape.detectHidden, c.detector === 'sigmoid-bce' ? 1 : 2],
      ['locate', loss.dLocate!, tape.locateHidden, N],
    ] as const) {
      const fc2 = denseBackward(hidden, paramTensor(params, `${head}.fc2.weight`) as tf.Tensor2D, hostMatrix(dLogits, B, outWidth), true, ws, `${head}.fc2`);
      host.set(`${head}.fc2.weight`, fc2.weight).set(`${head}.fc2.bias`, fc2.bias);
      const dHidden = reluBackwardInPlace(fc2.dx!, hidden.data);
      const fc1 = denseBackward(tape.fused, paramTensor(params, `${head}.fc1.weight`) as tf.Tensor2D, hostMatrix(dHidden, B, hidden.cols), true, ws, `${head}.fc1`);
      host.set(`${head}.fc1.weight`, fc1.weight).set(`${head}.fc1.bias`, fc1.bias);
      for (let i = 0; i < dFused.length; i++) dFused[i] = dFused[i]! + fc1.dx![i]!;
    }
    const pool = poolBackward(tape.pool, tape.poolWeight, dFused, ws);
    host.set('pool.gate.weight', pool.dw).set('pool.gate.bias', Float32Array.of(pool.db));
    let dNodes: Float32Array;
    if (tape.gat !== undefined) {
      const g = gatBackward(tape.gat.saved, tape.gat.lists, tape.gat.weights, gatSettings(c), pool.dx, ws);
      const HD = g.b.length / 2;
      const Din = g.w.length / (2 * HD);
      const wSrc = new Float32Array(Din * HD);
      const wDst = new Float32Array(Din * HD);
      for (let r = 0; r < Din; r++) {
        wSrc.set(g.w.subarray(r * 2 * HD, r * 2 * HD + HD), r * HD);
        wDst.set(g.w.subarray(r * 2 * HD + HD, (r + 1) * 2 * HD), r * HD);
      }
      host.set('gat.wSrc', wSrc).set('gat.wDst', wDst).set('gat.bSrc', g.b.slice(0, HD)).set('gat.bDst', g.b.slice(HD)).set('gat.attn', g.attn);
      dNodes = g.dx;
    } else {
      const dOut = c.gatActivation === 'relu' ? reluBackwardInPlace(pool.dx, tape.nographOut!) : pool.dx;
      const fc = denseBackward(tape.nodes, paramTensor(params, 'nograph.fc.weight') as tf.Tensor2D, hostMatrix(dOut, R, c.gatHidden), true, ws, 'nograph');
      host.set('nograph.fc.weight', fc.weight).set('nograph.fc.bias', fc.bias);
      dNodes = fc.dx!;
    }
    const dFusedPre = gluBackward(tape.glu, dNodes, ws);
    const fuse = denseBackward(tape.fuseIn, paramTensor(params, 'fuse.weight') as tf.Tensor2D, hostMatrix(dFusedPre, R, c.fuseDim), true, ws, 'fuse');
    host.set('fuse.weight', fuse.weight).set('fuse.bias', fuse.bias);
    const dFuseIn = fuse.dx!;
    const fuseWidth = tape.fuseIn.cols;
    if (tape.logOffset >= 0) {
      const dLog = ws.take('log/dy', R * c.logDim);
      for (let r = 0; r < R; r++) dLog.set(dFuseIn.subarray(r * fuseWidth + tape.logOffset, r * fuseWidth + tape.logOffset + c.logDim), r * c.logDim);
      const log = denseBackward(batch.logs, paramTensor(params, 'log.fc.weight') as tf.Tensor2D, hostMatrix(dLog, R, c.logDim), false, ws, 'log');
      host.set('log.fc.weight', log.weight).set('log.fc.bias', log.bias);
    }
    for (const br of tape.branches) {
      let g: tf.Tensor2D; // the conv output's gradient through its ReLU, [M, C]
      if (br.attention.kind === 'tanh-score') {
        const a = tanhAttentionBackward(br.attention, T, dFuseIn, fuseWidth, br.offset, ws, `${br.name}/attn`);
        host.set(`${br.name}.attn.weight`, a.dWeight).set(`${br.name}.attn.bias`, a.dBias);
        g = a.g;
      } else {
        const a = qkvAttentionBackward(br.attention, dFuseIn, fuseWidth, br.offset, ws, `${br.name}/attn`);
        host.set(`${br.name}.attn.wqkv`, a.dWqkv);
        const C = br.width;
        g = reluGradient(br.conv, unchompRows(a.dx, R, br.tOut, T, C, ws.zeroed(`${br.name}/attn/dx`, R * br.tOut * C)));
      }
      const conv = convBnBackward(br.conv, br.weights, g);
      g.dispose();
      host
        .set(`${br.name}.conv.weight`, conv.weight)
        .set(`${br.name}.conv.bias`, conv.bias)
        .set(`${br.name}.bn.gamma`, conv.gamma)
        .set(`${br.name}.bn.beta`, conv.beta);
    }
    for (const name of model.params.keys()) {
      if (!host.has(name)) throw new Error(`manual step: no gradient computed for ${name}`);
    }
    let losses = { total: loss.total, detect: loss.detect, locate: loss.locate };
    if (reducer !== undefined) losses = sumAcrossReplicas(reducer, model, host, losses);
    const grads = new Map<string, tf.Tensor>();
    for (const [name, v] of model.params) grads.set(name, tf.tensor(host.get(name)!, v.shape));
    const bnBatch: GradientResult['bnBatch'] = new Map();
    for (const [branch, s] of f.bnBatch) bnBatch.set(branch, { mean: tf.tensor1d(s.mean), variance: tf.tensor1d(s.variance), rows: s.rows });
    return { losses, grads, bnBatch };
  } finally {
    disposeForward(f);
  }
}

/**
 * One reduction of every gradient (params order) and the three losses: each replica's share in, the
 * whole batch's out, replacing `host`'s arrays. Layout: [grad of param 0 | ... | total, detect, locate].
 */
function sumAcrossReplicas(reducer: ReplicaReducer, model: EadroModel, host: Map<string, Float32Array>, losses: { total: number; detect: number; locate: number }): { total: number; detect: number; locate: number } {
  let length = 3;
  for (const name of model.params.keys()) length += host.get(name)!.length;
  const local = new Float64Array(length);
  let o = 0;
  for (const name of model.params.keys()) {
    const g = host.get(name)!;
    local.set(g, o);
    o += g.length;
  }
  local[o] = losses.total;
  local[o + 1] = losses.detect;
  local[o + 2] = losses.locate;
  const total = reducer.sum(local);
  o = 0;
  for (const name of model.params.keys()) {
    const n = host.get(name)!.length;
    host.set(name, Float32Array.from(total.subarray(o, o + n)));
    o += n;
  }
  return { total: total[o]!, detect: total[o + 1]!, locate: total[o + 2]! };
}
