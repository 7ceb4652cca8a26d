/**
 * Eadro's forward pass for inference only (../infer.ts predict): the same outputs as
 * network.ts manualForward(training = false) and model.ts forwardEadro(training = false) (tested),
 * with everything that only training needs left out, and the per-call work done once per predict():
 *
 * - `prepareEvalPlan` (once per predict call): BatchNorm in eval mode is an affine map, folded into
 *   the conv's weights and bias (W gamma / sqrt(var + eps), (b - mean) gamma / sqrt(var + eps) + beta),
 *   so each conv branch is ONE fused GEMM with bias and ReLU; the fusion FC is split into its value and
 *   gate halves so that the GLU's sigmoid runs inside the gate GEMM (wasm) and the product on the heap;
 *   the GAT's rows that cannot change an output are found (gatv2.ts gatPredictRows). Weight tensors
 *   live as long as the plan, so XNNPACK packs them once per predict call instead of once per batch.
 * - Only the nodes that can change an output go through the branches, the fusion and the GLU
 *   (`activeNodes`): with the GAT, a node's own features reach the outputs only as a message source
 *   (S_j) or through the attention scores at a node with two or more in-edges (D_i); a node with
 *   neither (a leaf of a call tree whose edges point to callees, e.g. 15 of the 27 TT services with the
 *   reference code's edges, reference-code-notes §0.2) has no effect on any output, so its rows are
 *   skipped, which is exact. Every node still gets its GAT output (from its in-neighbours) and enters
 *   the pooling. Without the GAT every node is active.
 * - `evalForward` (per batch): inputs straight from the dataset (eval-input.ts: no metric or trace
 *   tensors, no conv position past T, which only BatchNorm's batch statistics would read), the time
 *   attention written straight into the fusion input's columns, GEMM products read through heap views
 *   where they are consumed at once (no host copy), no tape, no saved activations.
 *
 * Rows node-major as network.ts: up to the GAT, row s*B + b is active node activeNodes[s] of window b
 * (R = activeNodes.length * B); the GAT output and the pooling have all N nodes (row n*B + b). Host
 * buffers come from one Workspace per model (host.ts): a pass's outputs are valid until the next pass
 * on the same model. Tensors made in a pass are disposed in it (the tensor count stays flat).
 */
import * as tf from '@tensorflow/tfjs';
import { uses, type EadroConfig } from '../config.js';
import type { EadroModel } from '../model.js';
import { readValues } from '../layers/row-gather.js';
import { cachedFor, columnBlock, hostValues, paramTensor, transpose, Workspace } from './host.js';
import { modelLists } from './network.js';
import { foldBatchNorm } from './conv-bn.js';
import { tanhAttentionPredict } from './time-attention.js';
import { softmaxMeanRows } from '../layers/time-attention.js';
import { gatPredict, gatPredictRows, type GatGraphLists, type GatPredictRows, type GatSettings } from './gatv2.js';
import { poolPredict } from './pooling.js';
import type { EvalInput } from './eval-input.js';

type Branch = 'kpi' | 'trace';

interface BranchPlan {
  /** [k*Cin, C] conv weight with BatchNorm folded in, and [C] the folded bias. */
  weight: tf.Tensor2D;
  bias: tf.Tensor1D;
  /** tanh-score: [C, T] the score weights transposed, and [T] their bias. */
  scoreWeight?: tf.Tensor2D;
  scoreBias?: Float32Array;
  /** softmax-qkv: [C, C] = W_q W_k^T and [C, C] W_v. */
  qk?: tf.Tensor2D;
  wv?: tf.Tensor2D;
}

/** A fully-connected layer: [in, out] weight and [out] bias tensors (the model's own or the plan's). */
interface DensePlan {
  weight: tf.Tensor2D;
  bias: tf.Tensor1D;
}

export interface EvalPlan {
  config: EadroConfig;
  N: number;
  T: number;
  /** Nodes whose inputs can change an output, ascending (see the module comment); pass to fillEvalInput. */
  activeNodes: Int32Array;
  /** Fusion input parts in model.ts order (trace | log | kpi). */
  parts: ({ kind: 'log'; width: number } | { kind: Branch; width: number; branch: BranchPlan })[];
  fuseWidth: number;
  log?: DensePlan;
  /** The fusion FC's value half [F, E] and gate half [F, E] (GLU: value * sigmoid(gate)). */
  fuseValue: DensePlan;
  fuseGate: DensePlan;
  gat?: {
    src: DensePlan;
    dst: DensePlan;
    attn: Float32Array;
    lists: GatGraphLists;
    rows: GatPredictRows;
    settings: GatSettings;
    /** Row blocks of the source / multi-in-edge target nodes among the active nodes' rows. */
    srcBlocks: Int32Array;
    dstBlocks: Int32Array;
  };
  nograph?: DensePlan;
  poolWeight: Float32Array;
  poolBias: number;
  detect: [DensePlan, DensePlan];
  locate: [DensePlan, DensePlan];
  /** Tensors made by the plan (the model's own parameters are used in place, not copied). */
  owned: tf.Tensor[];
  ws: Workspace;
}

export interface EvalOutputs {
  /** [B, 1|2] */
  detectLogits: Float32Array;
  /** [B, N] */
  locateLogits: Float32Array;
  /** [B, D] H_F */
  fused: Float32Array;
}

/** Host buffers per model, reused by every pass (host.ts Workspace). */
const workspaces = new WeakMap<EadroModel, Workspace>();


/**
 * Weights and folded constants for `evalForward`, from the model's current parameters and BatchNorm
 * state (make a new plan after training steps). Dispose with disposeEvalPlan.
 */
export function prepareEvalPlan(model: EadroModel): EvalPlan {
  const owned: tf.Tensor[] = [];
  try {
    return buildEvalPlan(model, owned);
  } catch (err) {
    tf.dispose(owned); // a parameter missing or misshapen: free what was made so far
    throw err;
  }
}

function buildEvalPlan(model: EadroModel, owned: tf.Tensor[]): EvalPlan {
  const c = model.config;
  const params = model.params as Map<string, tf.Tensor>;
  const { N, T } = model.dims;
  const own = <X extends tf.Tensor>(t: X): X => {
    owned.push(t);
    return t;
  };
  const param2 = (name: string): tf.Tensor2D => paramTensor(params, name) as tf.Tensor2D;
  const param1 = (name: string): tf.Tensor1D => paramTensor(params, name) as tf.Tensor1D;
  const dense = (name: string): DensePlan => ({ weight: param2(`${name}.weight`), bias: param1(`${name}.bias`) });
  const ws = cachedFor(workspaces, model, () => new Workspace());
  const branch = (name: Branch): BranchPlan => {
    const w = paramTensor(params, `${name}.conv.weight`);
    const [KC, C] = w.shape as [number, number];
    const weight = hostValues(w);
    const bias = hostValues(paramTensor(params, `${name}.conv.bias`));
    const gamma = hostValues(paramTensor(params, `${name}.bn.gamma`));
    const beta = hostValues(paramTensor(params, `${name}.bn.beta`));
    const state = model.bnState.get(name)!;
    const mean = hostValues(state.mean);
    const variance = hostValues(state.variance);
    const { scaled, shift } = foldBatchNorm(weight, bias, gamma, beta, mean, variance, c.batchNormEpsilon, KC, C);
    const plan: BranchPlan = { weight: own(tf.tensor2d(scaled, [KC, C])), bias: own(tf.tensor1d(shift)) };
    if (c.timeAttention === 'tanh-score') {
      plan.scoreWeight = own(tf.tensor2d(transpose(hostValues(paramTensor(params, `${name}.attn.weight`)), T, C), [C, T]));
      plan.scoreBias = hostValues(paramTensor(params, `${name}.attn.bias`));
    } else {
      const wqkv = hostValues(paramTensor(params, `${name}.attn.wqkv`)); // [C, 3C] = W_q | W_k | W_v
      const wq = tf.tensor2d(columnBlock(wqkv, C, 3 * C, 0, C), [C, C]);
      const wk = tf.tensor2d(columnBlock(wqkv, C, 3 * C, C, C), [C, C]);
      plan.qk = own(tf.matMul(wq, wk, false, true) as tf.Tensor2D); // as time-attention.ts qkvAttentionForward: W_q W_k^T
      plan.wv = own(tf.tensor2d(columnBlock(wqkv, C, 3 * C, 2 * C, C), [C, C]));
      tf.dispose([wq, wk]);
    }
    return plan;
  };
  const parts: EvalPlan['parts'] = [];
  if (uses(c, 'traces')) parts.push({ kind: 'trace', width: c.traceFilters, branch: branch('trace') });
  if (uses(c, 'logs')) parts.push({ kind: 'log', width: c.logDim });
  if (uses(c, 'kpis')) parts.push({ kind: 'kpi', width: c.kpiFilters, branch: branch('kpi') });
  const fuseWidth = parts.reduce((a, p) => a + p.width, 0);
  const E = c.fuseDim / 2;
  const fuseW = hostValues(paramTensor(params, 'fuse.weight'));
  const fuseB = hostValues(paramTensor(params, 'fuse.bias'));
  const half = (from: number): DensePlan => ({
    weight: own(tf.tensor2d(columnBlock(fuseW, fuseWidth, c.fuseDim, from, E), [fuseWidth, E])),
    bias: own(tf.tensor1d(fuseB.slice(from, from + E))),
  });
  const all = Int32Array.from({ length: N }, (_, n) => n);
  const plan: EvalPlan = {
    config: c,
    N,
    T,
    activeNodes: all,
    parts,
    fuseWidth,
    fuseValue: half(0),
    fuseGate: half(E),
    poolWeight: hostValues(paramTensor(params, 'pool.gate.weight')),
    poolBias: hostValues(paramTensor(params, 'pool.gate.bias'))[0]!,
    detect: [dense('detect.fc1'), dense('detect.fc2')],
    locate: [dense('locate.fc1'), dense('locate.fc2')],
    owned,
    ws,
  };
  if (uses(c, 'logs')) plan.log = dense('log.fc');
  if (uses(c, 'graph')) {
    const lists = modelLists(model);
    const rows = gatPredictRows(lists);
    const active = all.filter((n) => rows.srcSlot[n]! >= 0 || rows.dstSlot[n]! >= 0);
    const slotOf = new Int32Array(N).fill(-1);
    active.forEach((n, s) => (slotOf[n] = s));
    plan.activeNodes = active;
    plan.gat = {
      src: { weight: param2('gat.wSrc'), bias: param1('gat.bSrc') },
      dst: { weight: param2('gat.wDst'), bias: param1('gat.bDst') },
      attn: hostValues(paramTensor(params, 'gat.attn')),
      lists,
      rows,
      settings: { heads: c.gatHeads, negativeSlope: c.gatNegativeSlope, headCombine: c.gatHeadCombine, activation: c.gatActivation },
      srcBlocks: rows.srcNodes.map((n) => slotOf[n]!),
      dstBlocks: rows.dstNodes.map((n) => slotOf[n]!),
    };
  } else {
    plan.nograph = dense('nograph.fc');
  }
  return plan;
}

export function disposeEvalPlan(plan: EvalPlan): void {
  tf.dispose(plan.owned);
  plan.owned.length = 0;
}

/** y = x W + b (ReLU'd when asked) as one fused GEMM; the caller disposes the result. */
function gemm(x: tf.Tensor2D, d: DensePlan, activation?: 'relu' | 'sigmoid'): tf.Tensor2D {
  return tf.fused.matMul(activation === undefined ? { a: x, b: d.weight, bias: d.bias } : { a: x, b: d.weight, bias: d.bias, activation }) as tf.Tensor2D;
}

/**
 * x [rows, w] into columns offset..offset+w of out [rows, stride]. A function of its own: as a loop
 * inside evalForward (called once per batch) it ran unoptimised, ~20 ns per value in the profile.
 */
function intoColumns(x: Float32Array, rows: number, w: number, out: Float32Array, stride: number, offset: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * stride + offset;
    const i = r * w;
    for (let j = 0; j < w; j++) out[o + j] = x[i + j]!;
  }
}

/** Row blocks `blocks` (B rows each) of x [n*B, F] as a tensor; x itself when they are all of x in order. */
function rowBlocks(x: tf.Tensor2D, blocks: Int32Array, B: number, ws: Workspace, key: string): tf.Tensor2D {
  const F = x.shape[1];
  if (blocks.length * B === x.shape[0] && blocks.every((blk, s) => blk === s)) return x;
  const buf = ws.take(key, blocks.length * B * F);
  const xv = readValues(x);
  for (let s = 0; s < blocks.length; s++) buf.set(xv.subarray(blocks[s]! * B * F, (blocks[s]! + 1) * B * F), s * B * F);
  return tf.tensor2d(buf, [blocks.length * B, F]);
}

/** One batch through the forward-only pass. Outputs live in the plan's workspace until the next pass. */
export function evalForward(plan: EvalPlan, input: EvalInput): EvalOutputs {
  const c = plan.config;
  const { N, T, ws } = plan;
  const B = input.B;
  if (input.nodes.length !== plan.activeNodes.length || input.nodes.some((n, s) => n !== plan.activeNodes[s])) {
    throw new Error('evalForward: the input was not filled for the plan\'s active nodes (fillEvalInput(..., plan.activeNodes))');
  }
  const R = plan.activeNodes.length * B; // rows of the active nodes up to the GAT
  const F = plan.fuseWidth;
  const fuseIn = ws.take('fuse/in', R * F);
  let offset = 0;
  for (const part of plan.parts) {
    const w = part.width;
    if (part.kind === 'log') {
      const logs = tf.tensor2d(input.logs.data, [R, input.logs.cols]);
      const y = gemm(logs, plan.log!);
      logs.dispose();
      const yv = readValues(y);
      intoColumns(yv, R, w, fuseIn, F, offset);
      y.dispose();
    } else {
      const bp = part.branch;
      const taps = part.kind === 'kpi' ? input.kpiTaps! : input.traceTaps!;
      const cols = tf.tensor2d(taps.data, [taps.rows, taps.cols]);
      const y = gemm(cols, bp, 'relu'); // [R*T, C]: conv, BatchNorm (folded) and ReLU
      cols.dispose();
      if (bp.scoreWeight !== undefined) {
        const p = tf.matMul(y, bp.scoreWeight); // [R*T, T]; row r*T + t keeps column t
        tanhAttentionPredict(readValues(y), readValues(p), R, T, w, bp.scoreBias!, fuseIn, F, offset);
        p.dispose();
      } else {
        // softmax-qkv: Y = X (W_q W_k^T) on the heap, the attention rows on views, then xbar W_v
        const yq = tf.matMul(y, bp.qk!);
        const xbar = ws.take(`${part.kind}/attn/xbar`, R * w);
        softmaxMeanRows(readValues(yq), readValues(y), R, T, w, 1 / Math.sqrt(w), xbar, null);
        yq.dispose();
        const xbarT = tf.tensor2d(xbar, [R, w]);
        const out = tf.matMul(xbarT, bp.wv!);
        const ov = readValues(out);
        intoColumns(ov, R, w, fuseIn, F, offset);
        tf.dispose([xbarT, out]);
      }
      y.dispose();
    }
    offset += w;
  }
  // Fusion FC and GLU on the heap: value * sigmoid(gate), [R, E]
  const fin = tf.tensor2d(fuseIn, [R, F]);
  const value = gemm(fin, plan.fuseValue);
  const gate = gemm(fin, plan.fuseGate, 'sigmoid');
  const nodes = tf.mul(value, gate) as tf.Tensor2D;
  tf.dispose([fin, value, gate]);
  const D = c.gatHidden;
  const graphOut = ws.take('graph/out', N * B * D); // every node's GAT output, [N*B, D]
  if (plan.gat !== undefined) {
    const g = plan.gat;
    const srcIn = rowBlocks(nodes, g.srcBlocks, B, ws, 'gat/srcIn');
    const S = gemm(srcIn, g.src);
    let Dt: tf.Tensor2D | undefined;
    if (g.rows.dstNodes.length > 0) {
      const dstIn = rowBlocks(nodes, g.dstBlocks, B, ws, 'gat/dstIn');
      Dt = gemm(dstIn, g.dst);
      if (dstIn !== nodes) dstIn.dispose();
    }
    gatPredict(readValues(S), Dt === undefined ? undefined : readValues(Dt), B, g.lists, g.rows, g.attn, g.settings, graphOut);
    if (srcIn !== nodes) srcIn.dispose();
    tf.dispose([S, ...(Dt === undefined ? [] : [Dt])]);
  } else {
    const y = gemm(nodes, plan.nograph!, c.gatActivation === 'relu' ? 'relu' : undefined);
    graphOut.set(readValues(y));
    y.dispose();
  }
  nodes.dispose();
  const fused = ws.take('pool/out', B * D);
  poolPredict(graphOut, N, B, D, plan.poolWeight, plan.poolBias, fused);
  const fusedT = tf.tensor2d(fused, [B, D]);
  const head = (layers: [DensePlan, DensePlan], key: string): Float32Array => {
    const hidden = gemm(fusedT, layers[0], 'relu');
    const logits = gemm(hidden, layers[1]);
    const out = ws.take(key, logits.size);
    out.set(readValues(logits));
    tf.dispose([hidden, logits]);
    return out;
  };
  const detectLogits = head(plan.detect, 'detect/logits');
  const locateLogits = head(plan.locate, 'locate/logits');
  fusedT.dispose();
  return { detectLogits, locateLogits, fused };
}
