/**
 * Eadro's configuration: every hyper-parameter in ONE defaults object, each with its source, and the
 * two variants the harness can run.
 *
 * - `paper`: what ICSE'23 §IV / §V-C describes (kernel 3, GAT hidden 128, softmax QKV self-attention
 *   (Eq. 2), sigmoid + BCE detector, localizer loss on the windows the detector flags, callee -> caller
 *   edges with self-loops).
 * - `reference`: what the official code runs (`BEbillionaireUSD/Eadro@03ab600:codes/main.py`, `model.py`):
 *   kernel 2, hidden 64, tanh time-step scoring, 2-class cross-entropy, localizer masked by the ground
 *   truth, caller -> callee edges with the self-loops the edge list has (none added), BatchNorm computed
 *   before the chomp.
 *
 * The variant is recorded with every checkpoint and result (`resolveEadroConfig` returns the full
 * config, which callers store).
 */
import { EadroError } from '../../core/errors.js';

export type EadroVariant = 'paper' | 'reference';
export type Modality = 'logs' | 'kpis' | 'traces';
export type Ablation = Modality | 'graph';
export type SelfLoops = 'every-node' | 'as-listed' | 'none';
const SELF_LOOPS: readonly SelfLoops[] = ['every-node', 'as-listed', 'none'];

export interface EadroConfig {
  variant: EadroVariant;
  /** Dropped parts (paper §V-G): a modality branch, or the GAT (replaced by a per-node FC layer). */
  without: Ablation[];
  /** Causal-conv kernel size (time steps), KPI and trace branches. */
  kernelSize: number;
  /** Dilation of the (single) conv layer. */
  dilation: number;
  /** Conv filters of the KPI branch (E^K) and of the trace branch (E^T). */
  kpiFilters: number;
  traceFilters: number;
  /** Log embedding size E^L (FC over the Hawkes intensities). */
  logDim: number;
  /** Fusion FC output size 2E; the GLU halves it to E. */
  fuseDim: number;
  /** GAT output size per head E^G. */
  gatHidden: number;
  gatHeads: number;
  /** LeakyReLU negative slope inside GATv2 scoring. */
  gatNegativeSlope: number;
  /** How the heads are combined: max over heads (reference MaxPool1d) or mean. */
  gatHeadCombine: 'max' | 'mean';
  /** Activation psi after the GAT (paper: "usually ReLU"; DGL GATv2Conv default: none). */
  gatActivation: 'relu' | 'none';
  /** Time-step attention of the KPI/trace branches. */
  timeAttention: 'softmax-qkv' | 'tanh-score';
  /** BatchNorm statistics over the un-chomped conv output (reference ConvNet order Conv-BN-ReLU-Chomp). */
  batchNormBeforeChomp: boolean;
  batchNormEpsilon: number;
  /** Running-statistics momentum, PyTorch convention (new = (1-m) old + m batch). */
  batchNormMomentum: number;
  /** Hidden sizes of the detector and localizer MLPs. */
  detectHidden: number;
  locateHidden: number;
  /** Detector output: one sigmoid unit with BCE, or two logits with cross-entropy. */
  detector: 'sigmoid-bce' | 'softmax-ce';
  /** Which windows the localizer loss sees: those the detector flags (paper) or the true faulty ones. */
  locateMask: 'predicted' | 'ground-truth';
  /** Edge direction the GAT uses. */
  edgeDirection: 'callee->caller' | 'caller->callee';
  /**
   * Self-loops of the GAT's graph: `every-node` adds one to every node; `as-listed` keeps exactly the
   * self-loops the edge list has (the official edge lists have 8 on some nodes: DGL builds its graph from
   * the list as given); `none` drops them all. Stored configs from before this choice existed hold a
   * boolean: true = every-node, false = none (`resolveEadroConfig` reads both).
   */
  selfLoops: SelfLoops;
  /** Loss weight: beta * L_detect + (1 - beta) * L_locate. */
  beta: number;
  learningRate: number;
  adamBeta1: number;
  adamBeta2: number;
  adamEpsilon: number;
  batchSize: number;
  maxEpochs: number;
  /** Early stopping: epochs without a better validation selection score before stopping. */
  patience: number;
  /**
   * What picks the checkpoint on the validation split: `f1-hr1` = mean of detection F1 and HR@1
   * (ties broken by lower loss), or `loss` = lowest validation loss.
   */
  selectBy: 'f1-hr1' | 'loss';
  /**
   * An epoch whose validation loss exceeds this multiple of the lowest validation loss so far cannot be
   * selected (ours, issue 25: on unfamiliar data the paper variant's validation loss climbed from about 4
   * to 130 while validation F1 held near 0.88, and the run-away model was selected). Infinity = off.
   */
  selectLossCeiling: number;
  /**
   * Small-loss selection against noisy detector labels (ours, not in the paper; Han et al., Co-teaching,
   * NeurIPS 2018, one network): in each epoch, this share of the training windows labelled faulty whose
   * anomaly probability is lowest (largest detection loss) sits the epoch out. 0 = off (both variants).
   * Why: a window that overlaps a fault is labelled faulty even when the fault left no trace in it (a
   * network fault on a service nobody called: testbed.json `symptomSeconds`); such labels teach the
   * detector to flag normal-looking windows.
   */
  labelNoiseForget: number;
  /** Epochs over which the forgotten share ramps linearly from 0 to labelNoiseForget (Co-teaching T_k). */
  labelNoiseRampEpochs: number;
}

/** Defaults shared by both variants, then the per-variant overrides. Every value names its source. */
export const eadroDefaults = {
  common: {
    without: [] as Ablation[], // ours: the full model
    dilation: 1, // reference model.py ConvNet: dilation ** i with i = 0 for the single layer; paper has one layer (§V-C)
    kpiFilters: 64, // paper §V-C "every DCC layer shares the same filter number of 64"; reference main.py metric_hiddens [64]
    traceFilters: 64, // paper §V-C; reference main.py trace_hiddens [64]
    fuseDim: 128, // paper §V-C "the fusion dimension (i.e., 2E) are 128"; reference main.py fuse_dim 128
    gatHeads: 4, // paper §V-C "4-head mechanism"; reference main.py attn_head 4
    gatNegativeSlope: 0.2, // reference main.py activation 0.2 (LeakyReLU slope)
    gatHeadCombine: 'max' as const, // reference model.py GraphModel MaxPool1d(attn_head); the paper does not say
    batchNormEpsilon: 1e-5, // PyTorch BatchNorm1d default (reference)
    batchNormMomentum: 0.1, // PyTorch BatchNorm1d default (reference)
    detectHidden: 64, // paper §V-C "hidden size of all fully-connected layers is 64"; reference detect_hiddens [64]
    locateHidden: 64, // paper §V-C; reference locate_hiddens [64]
    beta: 0.5, // reference main.py alpha 0.5; the paper leaves beta unspecified
    learningRate: 1e-3, // paper §V-C; reference main.py lr
    adamBeta1: 0.9, // PyTorch Adam default (reference)
    adamBeta2: 0.999, // PyTorch Adam default (reference)
    adamEpsilon: 1e-8, // PyTorch Adam default (reference)
    batchSize: 256, // paper §V-C; reference main.py batch_size
    maxEpochs: 50, // paper §V-C; reference main.py epoches
    patience: 10, // reference main.py patience 10 (applied to the validation split here, never to test)
    // ours: the loss is a poor selector for a joint model: the paper variant's localizer loss only counts
    // flagged windows, so a detector that flags nothing has the lowest loss; and a localizer's CE grows
    // with confident errors while its HR@1 improves. The reference code selects by HR@1 (on test,
    // codes/base.py); we use both tasks, on validation.
    selectBy: 'f1-hr1' as 'f1-hr1' | 'loss',
    // ours (issue 25): 3x leaves the ordinary growth of a confident localizer's CE alone (see selectBy)
    // and refuses a run-away one (32x in the case that prompted it)
    selectLossCeiling: 3,
    labelNoiseForget: 0, // paper and reference train on every label; > 0 is our extension (see EadroConfig)
    labelNoiseRampEpochs: 10, // Han et al. 2018 §4 T_k = 10
  },
  paper: {
    variant: 'paper' as const,
    kernelSize: 3, // paper §V-C "kernel size of three"
    logDim: 64, // paper §V-C "hidden size of all fully-connected layers is 64"
    gatHidden: 128, // paper §V-C "The GAT's hidden size ... 128"
    gatActivation: 'relu' as const, // paper §IV-B3 psi "usually ReLU"
    timeAttention: 'softmax-qkv' as const, // paper Eq. 2
    batchNormBeforeChomp: false, // ours: a causal conv has no right padding to chomp; BN sees the T real steps
    detector: 'sigmoid-bce' as const, // paper Eq. 4
    locateMask: 'predicted' as const, // paper §IV-C "samples predicted as abnormal pass through the localizer"
    edgeDirection: 'callee->caller' as const, // paper §IV-B1 "v_b has invoked v_a"
    selfLoops: 'every-node' as SelfLoops, // ours (reference-code-notes §0.2): without them a node never sees its own features
  },
  reference: {
    variant: 'reference' as const,
    kernelSize: 2, // reference main.py metric/trace_kernel_sizes [2]
    logDim: 16, // reference main.py log_dim 16
    gatHidden: 64, // reference main.py graph_hiddens [64]
    gatActivation: 'none' as const, // DGL GATv2Conv activation=None (reference model.py passes none)
    timeAttention: 'tanh-score' as const, // reference model.py SelfAttention
    batchNormBeforeChomp: true, // reference model.py ConvNet: Conv1d(padding both sides) -> BN -> ReLU -> Chomp
    detector: 'softmax-ce' as const, // reference model.py FullyConnected(.., 2) + CrossEntropyLoss
    locateMask: 'ground-truth' as const, // reference model.py CrossEntropyLoss(ignore_index=-1)
    edgeDirection: 'caller->callee' as const, // reference preprocess/util.py hard-coded edges
    // reference preprocess/util.py edge lists hold 8 self-loops (TT and SN) and model.py builds its DGL
    // graph from them as given: kept, none added
    selfLoops: 'as-listed' as SelfLoops,
  },
};

const ABLATIONS: readonly Ablation[] = ['logs', 'kpis', 'traces', 'graph'];

/** Fill a partial config: variant defaults (paper unless said), then the caller's overrides. */
export function resolveEadroConfig(partial: Partial<EadroConfig> = {}): EadroConfig {
  const variant = partial.variant ?? 'paper';
  if (variant !== 'paper' && variant !== 'reference') {
    throw new EadroError(`Unknown Eadro variant "${String(variant)}".`, {
      field: 'variant',
      expected: 'paper or reference',
      found: String(variant),
    });
  }
  const config: EadroConfig = { ...eadroDefaults.common, ...eadroDefaults[variant], ...stripUndefined(partial) };
  // Configs stored before the three-way choice hold a boolean (true: a loop on every node; false: none).
  const loops = config.selfLoops as SelfLoops | boolean;
  if (typeof loops === 'boolean') config.selfLoops = loops ? 'every-node' : 'none';
  if (!SELF_LOOPS.includes(config.selfLoops)) {
    throw new EadroError(`Unknown selfLoops "${String(config.selfLoops)}".`, { field: 'selfLoops', expected: SELF_LOOPS.join(', '), found: String(config.selfLoops) });
  }
  config.without = [...new Set(config.without)].sort();
  for (const a of config.without) {
    if (!ABLATIONS.includes(a)) {
      throw new EadroError(`Unknown ablation "${String(a)}".`, {
        field: 'without',
        expected: ABLATIONS.join(', '),
        found: String(a),
      });
    }
  }
  if (config.without.includes('logs') && config.without.includes('kpis') && config.without.includes('traces')) {
    throw new EadroError('Every modality is dropped; nothing is left to learn from.', { field: 'without' });
  }
  if (config.fuseDim % 2 !== 0) config.fuseDim += 1; // reference model.py: odd fuse_dim is rounded up for the GLU
  for (const key of ['kernelSize', 'dilation', 'kpiFilters', 'traceFilters', 'logDim', 'gatHidden', 'gatHeads', 'batchSize'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1) {
      throw new EadroError(`Eadro config ${key} must be a positive integer.`, { field: key, found: String(config[key]) });
    }
  }
  if (!(config.labelNoiseForget >= 0 && config.labelNoiseForget < 1)) {
    throw new EadroError('Eadro config labelNoiseForget must lie in [0, 1).', { field: 'labelNoiseForget', expected: 'a share of the faulty training windows, 0 = off', found: String(config.labelNoiseForget) });
  }
  if (!Number.isInteger(config.labelNoiseRampEpochs) || config.labelNoiseRampEpochs < 0) {
    throw new EadroError('Eadro config labelNoiseRampEpochs must be a non-negative integer.', { field: 'labelNoiseRampEpochs', found: String(config.labelNoiseRampEpochs) });
  }
  if (!(config.selectLossCeiling >= 1)) {
    throw new EadroError('Eadro config selectLossCeiling must be at least 1 (Infinity = off).', { field: 'selectLossCeiling', found: String(config.selectLossCeiling) });
  }
  if (!(config.beta >= 0 && config.beta <= 1)) {
    throw new EadroError('Eadro config beta must lie in [0, 1].', { field: 'beta', found: String(config.beta) });
  }
  return config;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** Whether a modality branch (or the graph) is active. */
export function uses(config: EadroConfig, part: Ablation): boolean {
  return !config.without.includes(part);
}
