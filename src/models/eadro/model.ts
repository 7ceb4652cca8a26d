/**
 * The Eadro network (paper §IV): per-modality encoders (KPIs and latency: causal conv + BN + ReLU +
 * time attention; logs: FC over Hawkes intensities), concat -> FC -> GLU fusion, GATv2 over the service
 * graph (or a per-node FC layer when the graph is ablated), global attention pooling, and the detector
 * and localizer MLPs. Forward only; the loss is in loss.ts, training in train.ts.
 *
 * Row layout: a batch of B windows is laid out node-major, row r = n*B + b, so a node's features over
 * the batch are contiguous and graph lookups are matMuls of one [N, B*F] matrix (layers/gatv2.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../core/rng.js';
import { EadroError } from '../../core/errors.js';
import { resolveEadroConfig, uses, type EadroConfig } from './config.js';
import { causalConvBlock, type BatchNormState, type ConvOutput } from './layers/causal-conv.js';
import { softmaxQkvAttention, softmaxQkvAttentionPlain, tanhScoreAttention, timeAttentionSettings } from './layers/time-attention.js';
import { denseAdjacency, disposeGatGraph, gatv2, makeGatGraph, type GatGraph } from './layers/gatv2.js';
import { attentionPooling } from './layers/attention-pooling.js';
import { opPlacement } from './layers/placement.js';
import { filled, glorotUniform, torchDefaultUniform, xavierNormal } from './init.js';

/** Sizes of one window: N services, T time steps, K KPIs, E log event types, and the service graph. */
export interface EadroDims {
  N: number;
  T: number;
  K: number;
  E: number;
  /** [src ids, dst ids]. */
  edges: [number[], number[]];
  /** Direction of `edges`; when it differs from the config's, edges are reversed. Default: the config's. */
  edgeDirection?: 'callee->caller' | 'caller->callee';
  /** Service names (recorded in checkpoints). */
  nodes?: string[];
}

export interface EadroModel {
  config: EadroConfig;
  /** Dims with `edges` already in the config's direction (self-loops added by the adjacency only). */
  dims: Required<Omit<EadroDims, 'edgeDirection'>>;
  /** Trainable parameters by name, in a fixed order (the checkpoint order). */
  params: Map<string, tf.Variable>;
  /** BatchNorm running statistics of the conv branches (not trained by gradients). */
  bnState: Map<'kpi' | 'trace', BatchNormState>;
  /** [N, N] 0/1, row = target node: adjacency[i][j] = 1 iff a message flows j -> i (self-loops per config). */
  adjacency: Float32Array;
  /** The same graph as edge-selection matrices for the GAT. */
  graph: GatGraph;
  seed: number;
}

/** One batch: B windows as node-major rows (row n*B + b). */
export interface EadroBatch {
  B: number;
  /** [N*B, E] */
  logs: tf.Tensor2D;
  /** [N*B, T, K] */
  metrics: tf.Tensor3D;
  /** [N*B, T, 1] */
  traces: tf.Tensor3D;
  /** [B] -1 normal, else culprit node. */
  labels: Int32Array;
  /** Host-built im2col of the conv inputs ([N*B*tOut, k*Cin]), when the batch was made for this config. */
  kpiTaps?: { cols: tf.Tensor2D; tOut: number };
  traceTaps?: { cols: tf.Tensor2D; tOut: number };
}

export interface EadroOutputs {
  /** [B, 1] (sigmoid-bce) or [B, 2] (softmax-ce). */
  detectLogits: tf.Tensor2D;
  /** [B, N] */
  locateLogits: tf.Tensor2D;
  /** [B, G] the fused representation H_F. */
  fused: tf.Tensor2D;
  /** Per conv branch, the batch statistics (training only). */
  bnStats: Map<'kpi' | 'trace', ConvOutput>;
}

interface ParamSpec {
  name: string;
  shape: number[];
  init: () => Float32Array;
}

/** Sizes of the fusion input and of the node representation after the graph. */
export function featureSizes(config: EadroConfig): { fuseIn: number; nodeDim: number; graphDim: number } {
  let fuseIn = 0;
  if (uses(config, 'traces')) fuseIn += config.traceFilters;
  if (uses(config, 'logs')) fuseIn += config.logDim;
  if (uses(config, 'kpis')) fuseIn += config.kpiFilters;
  return { fuseIn, nodeDim: config.fuseDim / 2, graphDim: config.gatHidden };
}

function paramSpecs(config: EadroConfig, dims: EadroModel['dims'], seed: number): ParamSpec[] {
  const rng = createRng(seed).fork('eadro-init');
  const specs: ParamSpec[] = [];
  // Each parameter draws from its own substream: adding or dropping a branch leaves the others' values.
  const linear = (name: string, fanIn: number, fanOut: number): void => {
    specs.push({ name: `${name}.weight`, shape: [fanIn, fanOut], init: () => torchDefaultUniform(rng.fork(`${name}.weight`), fanIn * fanOut, fanIn) });
    specs.push({ name: `${name}.bias`, shape: [fanOut], init: () => torchDefaultUniform(rng.fork(`${name}.bias`), fanOut, fanIn) });
  };
  const convBranch = (name: string, cin: number, filters: number): void => {
    const k = config.kernelSize;
    linear(`${name}.conv`, k * cin, filters); // PyTorch Conv1d: fan_in = Cin * k
    specs.push({ name: `${name}.bn.gamma`, shape: [filters], init: () => filled(filters, 1) });
    specs.push({ name: `${name}.bn.beta`, shape: [filters], init: () => filled(filters, 0) });
    if (config.timeAttention === 'tanh-score') {
      // reference SelfAttention: atten_w [T, C, 1] glorot over (C, 1); bias zero
      specs.push({ name: `${name}.attn.weight`, shape: [dims.T, filters], init: () => glorotUniform(rng.fork(`${name}.attn.weight`), dims.T * filters, filters, 1) });
      specs.push({ name: `${name}.attn.bias`, shape: [dims.T], init: () => filled(dims.T, 0) });
    } else {
      // W_q | W_k | W_v, each PyTorch Linear(C, C) default init (fan_in = C)
      specs.push({ name: `${name}.attn.wqkv`, shape: [filters, 3 * filters], init: () => torchDefaultUniform(rng.fork(`${name}.attn.wqkv`), 3 * filters * filters, filters) });
    }
  };
  if (uses(config, 'traces')) convBranch('trace', 1, config.traceFilters);
  if (uses(config, 'logs')) linear('log.fc', dims.E, config.logDim);
  if (uses(config, 'kpis')) convBranch('kpi', dims.K, config.kpiFilters);
  const { fuseIn, nodeDim, graphDim } = featureSizes(config);
  linear('fuse', fuseIn, config.fuseDim);
  if (uses(config, 'graph')) {
    const HD = config.gatHeads * graphDim;
    for (const side of ['Src', 'Dst']) {
      specs.push({ name: `gat.w${side}`, shape: [nodeDim, HD], init: () => xavierNormal(rng.fork(`gat.w${side}`), nodeDim * HD, nodeDim, HD) });
      specs.push({ name: `gat.b${side}`, shape: [HD], init: () => filled(HD, 0) });
    }
    specs.push({ name: 'gat.attn', shape: [config.gatHeads, graphDim], init: () => xavierNormal(rng.fork('gat.attn'), HD, HD, graphDim) });
  } else {
    linear('nograph.fc', nodeDim, graphDim);
  }
  linear('pool.gate', graphDim, 1);
  linear('detect.fc1', graphDim, config.detectHidden);
  linear('detect.fc2', config.detectHidden, config.detector === 'sigmoid-bce' ? 1 : 2);
  linear('locate.fc1', graphDim, config.locateHidden);
  linear('locate.fc2', config.locateHidden, dims.N);
  return specs;
}

/** Build a model with seeded initial weights. */
export function createEadro(partial: Partial<EadroConfig>, dims: EadroDims, seed: number): EadroModel {
  const config = resolveEadroConfig(partial);
  for (const key of ['N', 'T', 'K', 'E'] as const) {
    if (!Number.isInteger(dims[key]) || dims[key] < 1) {
      throw new EadroError(`Eadro dims.${key} must be a positive integer.`, { field: `dims.${key}`, found: String(dims[key]) });
    }
  }
  const [src, dst] = dims.edges;
  if (src.length !== dst.length) {
    throw new EadroError('Edge lists differ in length.', { field: 'edges', expected: 'equal-length [src[], dst[]]', found: `${src.length} vs ${dst.length}` });
  }
  for (const id of [...src, ...dst]) {
    if (!Number.isInteger(id) || id < 0 || id >= dims.N) {
      throw new EadroError('Edge endpoint out of range.', { field: 'edges', expected: `node ids in [0, ${dims.N})`, found: String(id) });
    }
  }
  const reverse = dims.edgeDirection !== undefined && dims.edgeDirection !== config.edgeDirection;
  const edges: [number[], number[]] = reverse ? [[...dst], [...src]] : [[...src], [...dst]];
  const modelDims = {
    N: dims.N,
    T: dims.T,
    K: dims.K,
    E: dims.E,
    edges,
    nodes: dims.nodes ?? Array.from({ length: dims.N }, (_, i) => `node${i}`),
  };
  const params = new Map<string, tf.Variable>();
  for (const spec of paramSpecs(config, modelDims, seed)) {
    params.set(spec.name, tf.variable(tf.tensor(spec.init(), spec.shape), true, `eadro/${spec.name}/${nextModelId}`));
  }
  nextModelId++;
  const bnState = new Map<'kpi' | 'trace', BatchNormState>();
  if (uses(config, 'kpis')) bnState.set('kpi', { mean: tf.zeros([config.kpiFilters]), variance: tf.ones([config.kpiFilters]) });
  if (uses(config, 'traces')) bnState.set('trace', { mean: tf.zeros([config.traceFilters]), variance: tf.ones([config.traceFilters]) });
  const adjacency = denseAdjacency(dims.N, edges, config.selfLoops);
  return { config, dims: modelDims, params, bnState, adjacency, graph: makeGatGraph(adjacency, dims.N), seed };
}

// tf.variable names must be unique per process: several models (tests, benches) may coexist.
let nextModelId = 0;

/** Free every tensor the model holds. */
export function disposeEadro(model: EadroModel): void {
  for (const v of model.params.values()) v.dispose();
  for (const s of model.bnState.values()) {
    s.mean.dispose();
    s.variance.dispose();
  }
  disposeGatGraph(model.graph);
}

export function param<R extends tf.Rank>(params: Map<string, tf.Tensor>, name: string): tf.Tensor<R> {
  const p = params.get(name);
  if (p === undefined) throw new Error(`Eadro parameter ${name} is missing`);
  return p as tf.Tensor<R>;
}

/** Number of trainable scalars. */
export function parameterCount(model: EadroModel): number {
  let n = 0;
  for (const v of model.params.values()) n += v.size;
  return n;
}

function convBranch(
  model: EadroModel,
  params: Map<string, tf.Tensor>,
  name: 'kpi' | 'trace',
  x: tf.Tensor3D,
  training: boolean,
  stats: Map<'kpi' | 'trace', ConvOutput>,
  taps?: { cols: tf.Tensor2D; tOut: number },
): tf.Tensor2D {
  const c = model.config;
  const conv = causalConvBlock(
    x,
    {
      weight: param(params, `${name}.conv.weight`),
      bias: param(params, `${name}.conv.bias`),
      gamma: param(params, `${name}.bn.gamma`),
      beta: param(params, `${name}.bn.beta`),
    },
    model.bnState.get(name)!,
    { kernelSize: c.kernelSize, dilation: c.dilation, batchNormBeforeChomp: c.batchNormBeforeChomp, epsilon: c.batchNormEpsilon },
    training,
    taps,
  );
  stats.set(name, conv);
  if (c.timeAttention === 'tanh-score') {
    return tanhScoreAttention(conv.y, { weight: param(params, `${name}.attn.weight`), bias: param(params, `${name}.attn.bias`) });
  }
  const qkv = { wqkv: param<tf.Rank.R2>(params, `${name}.attn.wqkv`) };
  // The fused op loops over host arrays: on device placement (a GPU) the plain formula keeps it there.
  return timeAttentionSettings.fusedSoftmaxQkv && opPlacement() === 'host' ? softmaxQkvAttention(conv.y, qkv) : softmaxQkvAttentionPlain(conv.y, qkv);
}

function dense(params: Map<string, tf.Tensor>, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(x, param(params, `${name}.weight`)), param(params, `${name}.bias`)) as tf.Tensor2D;
}

/**
 * Forward pass. `training` uses batch statistics in BatchNorm (and reports them in bnStats); otherwise
 * running statistics. `params` defaults to the model's variables (tests pass plain tensors to take
 * gradients with respect to them).
 */
export function forwardEadro(
  model: EadroModel,
  batch: EadroBatch,
  training: boolean,
  params: Map<string, tf.Tensor> = model.params,
): EadroOutputs {
  const c = model.config;
  const B = batch.B;
  const stats = new Map<'kpi' | 'trace', ConvOutput>();
  const parts: tf.Tensor2D[] = [];
  if (uses(c, 'traces')) parts.push(convBranch(model, params, 'trace', batch.traces, training, stats, batch.traceTaps));
  if (uses(c, 'logs')) parts.push(dense(params, 'log.fc', batch.logs));
  if (uses(c, 'kpis')) parts.push(convBranch(model, params, 'kpi', batch.metrics, training, stats, batch.kpiTaps));
  const fuseIn = parts.length === 1 ? parts[0]! : (tf.concat(parts, 1) as tf.Tensor2D);
  const fusedPre = dense(params, 'fuse', fuseIn); // [N*B, 2E]
  const half = c.fuseDim / 2;
  const nodes = tf.mul(
    tf.slice(fusedPre, [0, 0], [-1, half]),
    tf.sigmoid(tf.slice(fusedPre, [0, half], [-1, half])),
  ) as tf.Tensor2D; // GLU: [N*B, E]
  let graphOut: tf.Tensor2D;
  if (uses(c, 'graph')) {
    graphOut = gatv2(
      nodes,
      B,
      model.graph,
      {
        wSrc: param(params, 'gat.wSrc'),
        bSrc: param(params, 'gat.bSrc'),
        wDst: param(params, 'gat.wDst'),
        bDst: param(params, 'gat.bDst'),
        attn: param(params, 'gat.attn'),
      },
      { heads: c.gatHeads, negativeSlope: c.gatNegativeSlope, headCombine: c.gatHeadCombine, activation: c.gatActivation },
      training,
    );
  } else {
    // Ablation "w/o G" (paper §V-G): a per-node FC layer instead of the GAT, with the same activation.
    const fc = dense(params, 'nograph.fc', nodes);
    graphOut = c.gatActivation === 'relu' ? tf.relu(fc) : fc;
  }
  const fused = attentionPooling(graphOut, B, { weight: param(params, 'pool.gate.weight'), bias: param(params, 'pool.gate.bias') });
  const detectLogits = dense(params, 'detect.fc2', tf.relu(dense(params, 'detect.fc1', fused)));
  const locateLogits = dense(params, 'locate.fc2', tf.relu(dense(params, 'locate.fc1', fused)));
  return { detectLogits, locateLogits, fused, bnStats: stats };
}
