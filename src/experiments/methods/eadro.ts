/**
 * Eadro as a method of the harness: normalise on the split's training windows, train with model
 * selection on validation (or on test, only when the protocol is the reference one and asks for its
 * leak), predict the test windows, and return raw outputs for the shared metrics.
 *
 * Method spec: `{ name: 'eadro', variant: 'paper' | 'reference', ablation, params }`, where `params`
 * may override any EadroConfig field (e.g. `maxEpochs`, `batchSize`, `patience`).
 */
import { initBackend, activeBackend, normalizeBackendRequest } from '../../core/backend.js';
import { EadroError } from '../../core/errors.js';
import { finiteOrNull } from '../../core/stats.js';
import { officialGraph, detectSystem } from '../../features/graph.js';
import { normalizeTrainFitted, type NormStats } from '../../windows/normalize.js';
import type { Split, WindowDataset } from '../../windows/types.js';
import { splitClassWarnings, type ProtocolSplit } from '../../evaluation/protocols.js';
import { chooseThreshold, expectedCalibrationError, type ThresholdChoice } from '../../evaluation/calibration.js';
import { eadroDefaults, type EadroConfig, type Ablation as ModelAblation } from '../../models/eadro/config.js';
import { trainEadro, predictAsync, disposeEadro, resolveEadroConfig, type Prediction } from '../../models/eadro/index.js';
import type { WindowConfig } from '../../windows/build.js';
import type { Ablation } from '../config.js';
import type { Method } from '../method.js';

export const eadroMethodDefaults = {
  variant: 'paper' as const, // ours: the paper's design is the default; 'reference' reproduces the official code
  threshold: 0.5, // the fixed cut: probability 0.5 (reference base.py argmax of 2 classes; sigmoid > 0.5 for BCE)
  // ours (issue 25): the cut is chosen on the selection windows (validation) by MCC and recorded; 'fixed'
  // keeps 0.5 as the paper and the reference code do. Method params: { thresholdRule: 'fixed' }.
  thresholdRule: 'validation-mcc' as ThresholdRule,
};

export type ThresholdRule = 'validation-mcc' | 'fixed';

/**
 * The detector's cut for a trained model: chosen on the selection windows by `rule` (calibration.ts),
 * with the validation ECE and loss-free figures recorded. Under the reference protocol's leak the
 * selection windows are the test windows, as its checkpoint selection is.
 */
export async function decideThreshold(
  model: Parameters<typeof predictAsync>[0],
  data: WindowDataset,
  selection: readonly number[],
  rule: ThresholdRule,
): Promise<ThresholdChoice & { validationEce: number | null }> {
  const pred = selection.length > 0 ? await predictAsync(model, data, [...selection]) : null;
  const prob = pred === null ? new Float32Array(0) : pred.anomalyProb;
  const positive = selection.map((w) => (data.labels[w] as number) >= 0);
  const chosen = chooseThreshold(prob, positive);
  const validationEce = finiteOrNull(expectedCalibrationError(prob, positive));
  if (rule === 'fixed') return { ...chosen, threshold: eadroMethodDefaults.threshold, rule: 'fixed', fallback: 'fixed cut by configuration', validationEce };
  return { ...chosen, validationEce };
}

/** Harness ablation names (paper §V-G) to the model's `without` list. */
export const ablationToModel: Record<Ablation, ModelAblation[]> = {
  none: [],
  'without-logs': ['logs'],
  'without-kpis': ['kpis'],
  'without-traces': ['traces'],
  'without-graph': ['graph'],
};

/**
 * A per-run copy of the tensors that normalisation rewrites, so that a dataset shared by the runs of
 * one worker process is never changed (statistics are fitted per split on its training windows).
 * Returns the fitted statistics too (null when the dataset came normalised), so that a saved model can
 * normalise other windows the same way (`eadro evaluate` / `eadro explain`).
 */
export function normalisedCopy(ds: WindowDataset, train: readonly number[]): { data: WindowDataset; normStats: NormStats | null } {
  if (ds.normalization !== 'none') return { data: ds, normStats: null }; // already normalised at build time (reference-per-run)
  // Only KPIs and latency are normalised (normalize.ts); the log features are shared, not copied.
  const copy: WindowDataset = { ...ds, metrics: ds.metrics.slice(), traces: ds.traces.slice() };
  const normStats = normalizeTrainFitted(copy, train);
  return { data: copy, normStats };
}

/**
 * The reference variant runs on the official hard-coded caller -> callee edge list as given, its own
 * self-loops included and none added (reference-code-notes.md §0.1-0.2; config `selfLoops: 'as-listed'`),
 * where the system is recognised; otherwise on the dataset's mined graph with self-loops removed (the
 * window builder adds one to every node by default, and a dataset does not record which were mined).
 */
function referenceGraph(ds: WindowDataset): Pick<WindowDataset, 'edges' | 'edgeDirection'> {
  const system = detectSystem(ds.nodes);
  if (system !== null) {
    const { graph } = officialGraph(ds.nodes, system, { direction: 'reference', selfLoops: false });
    return { edges: graph.edges, edgeDirection: graph.direction };
  }
  const [src, dst] = ds.edges;
  const keep = src.map((s, i) => s !== dst[i]);
  return { edges: [src.filter((_, i) => keep[i]), dst.filter((_, i) => keep[i])], edgeDirection: ds.edgeDirection };
}

/** What Eadro trains on for one protocol split (shared by the harness method and `eadro train`). */
export interface PreparedEadroData {
  /** The windows the model sees: a train-fitted normalised copy, with the reference graph for `reference`. */
  data: WindowDataset;
  /** Statistics fitted on `split.train`, or null when the dataset came normalised. */
  normStats: NormStats | null;
  /** The split handed to trainEadro: `val` selects checkpoints; it is the test part only under the reference protocol's leak. */
  trainSplit: Split;
}

export function prepareEadroData(ds: WindowDataset, split: ProtocolSplit, variant: EadroConfig['variant']): PreparedEadroData {
  const normalised = normalisedCopy(ds, split.train);
  let data = normalised.data;
  if (variant === 'reference') data = { ...data, ...referenceGraph(data) };
  // The reference protocol selects its checkpoint on the test set (codes/base.py): reproduced only
  // when the protocol asks for it, by handing the test windows to the selection step.
  const selectOn = split.modelSelection === 'test' ? split.test : split.val;
  return { data, normStats: normalised.normStats, trainSplit: { train: split.train, val: selectOn, test: [] } };
}

export const eadroMethod: Method = {
  name: 'eadro',
  description: 'Eadro (paper §IV): modal-wise DCC + self-attention, Hawkes log features, GLU fusion, GATv2, joint detection and localization',
  fitAndEvaluate: async (ds, split, ctx) => {
    const backend = activeBackend() ?? (await initBackend(normalizeBackendRequest(undefined)));
    const variant = (ctx.method.variant ?? eadroMethodDefaults.variant) as EadroConfig['variant'];
    if (variant !== 'paper' && variant !== 'reference') {
      throw new EadroError('Unknown Eadro variant.', { field: 'method.variant', expected: 'paper | reference', found: String(variant) });
    }
    const ablation = ctx.method.ablation ?? 'none';
    const { thresholdRule = eadroMethodDefaults.thresholdRule, ...modelParams } = (ctx.method.params ?? {}) as Partial<EadroConfig> & { thresholdRule?: ThresholdRule };
    if (thresholdRule !== 'validation-mcc' && thresholdRule !== 'fixed') {
      throw new EadroError('Unknown Eadro threshold rule.', { field: 'method.params.thresholdRule', expected: 'validation-mcc | fixed', found: String(thresholdRule) });
    }
    const config: Partial<EadroConfig> = {
      ...modelParams,
      variant,
      without: ablationToModel[ablation],
    };
    const { data, normStats, trainSplit } = prepareEadroData(ds, split, variant);
    // issue 26: on a selection part without both classes F1 (and so 'f1-hr1') cannot discriminate:
    // select by the validation loss instead, and say so in the run's info.
    let selectionFallback: string | null = null;
    if ((config.selectBy ?? eadroDefaults.common.selectBy) === 'f1-hr1') {
      const [problem] = splitClassWarnings(ds, { val: trainSplit.val, test: [] });
      if (problem !== undefined) {
        config.selectBy = 'loss';
        selectionFallback = `${problem}; checkpoints selected by the validation loss instead of F1 and HR@1`;
      }
    }
    const trained = await trainEadro(data, trainSplit, config, {
      seed: ctx.seed,
      checkpointDir: `${ctx.workDir}/checkpoints`,
      onEpoch: (e) => ctx.progress(e.epoch, config.maxEpochs ?? 50, `loss ${e.trainLoss.toFixed(3)} val ${e.valLoss.toFixed(3)}`),
    });
    const cut = await decideThreshold(trained.model, data, trainSplit.val, thresholdRule);
    const t0 = process.hrtime.bigint();
    const pred = await predictAsync(trained.model, data, split.test);
    const inferUs = Number(process.hrtime.bigint() - t0) / 1000;
    const { anomalyScore, predictedAnomalous, ranking } = predictionScores(pred, data.nodes.length, cut.threshold);
    // The selected model as a model folder (`eadro evaluate|explain --model <run folder>` opens it);
    // imported here, not at the top: model-cli.ts imports this module.
    let modelFolder: string | null = null;
    try {
      if (ctx.dataSource !== undefined) {
        const { writeModelFolder } = await import('../model-cli.js');
        const resolved = resolveEadroConfig(config);
        await writeModelFolder(`${ctx.workDir}/model`, trained, {
          data: { kind: 'raw', path: ctx.dataSource.path, sha256: ctx.dataSource.sha256, windowConfig: ctx.dataSource.windowConfig as Partial<WindowConfig>, windowConfigHash: null },
          split,
          normStats,
          config: resolved,
          seed: ctx.seed,
          nodes: ds.nodes,
          threshold: cut.threshold,
        });
        modelFolder = ctx.workDir;
      }
    } finally {
      disposeEadro(trained.model);
    }
    const last = trained.history[trained.history.length - 1];
    const selected = trained.history[trained.bestEpoch - 1];
    return {
      windows: [...split.test],
      anomalyScore,
      predictedAnomalous,
      ranking,
      inferUsPerWindow: split.test.length > 0 ? inferUs / split.test.length : null,
      backend,
      info: {
        variant,
        ablation,
        epochsRun: trained.history.length,
        bestEpoch: trained.bestEpoch,
        selectedOn: split.modelSelection,
        fastWasmKernels: trained.fastWasmKernels,
        step: trained.step, // hand-written ('manual') or tfjs autodiff gradients
        simdTimeAttention: trained.simdTimeAttention, // attention rows in WebAssembly SIMD (float32 sums) or JavaScript
        simdGatEdges: trained.simdGatEdges, // the GAT backward's edge loops likewise
        trainWindowsPerSecond: last?.windowsPerSecond ?? null,
        // the selected epoch's validation figures (what picked it; lets configurations be compared on
        // validation, never on test), and what small-loss selection left out in the last epoch
        selectedValF1: finiteOrNull(selected?.valF1),
        selectedValHR1: finiteOrNull(selected?.valHR1),
        selectedValLoss: finiteOrNull(selected?.valLoss),
        lowestValLoss: finiteOrNull(Math.min(...trained.history.map((h) => (Number.isFinite(h.valLoss) ? h.valLoss : Infinity)))),
        runawayEpochs: trained.history.filter((h) => h.runawayValLoss === true).length, // not selectable (config.selectLossCeiling)
        // the detector's cut (issue 25): rule, value, validation MCC at it and at 0.5, validation ECE
        threshold: cut.threshold,
        thresholdRule: cut.rule,
        thresholdFallback: cut.fallback,
        validationMcc: cut.validationMcc,
        validationMccAtHalf: cut.validationMccAtHalf,
        validationEce: cut.validationEce,
        forgottenLastEpoch: last?.forgotten ?? 0,
        divergedAtEpoch: trained.divergedAtEpoch, // null unless the training loss stopped being finite
        selectionFallback, // null unless the selection part lacked a class (then: the loss selected)
        modelSaved: modelFolder !== null, // work/fold-<k>/model: eadro evaluate|explain --model <run folder>
      },
    };
  },
};

/** A prediction as the shared metrics read it: [B] scores, [B] decisions at `threshold`, [B][N] ranking rows. */
export function predictionScores(pred: Pick<Prediction, 'anomalyProb' | 'ranking'>, N: number, threshold: number): { anomalyScore: number[]; predictedAnomalous: boolean[]; ranking: number[][] } {
  const anomalyScore = Array.from(pred.anomalyProb);
  const ranking: number[][] = anomalyScore.map((_, b) => Array.from(pred.ranking.subarray(b * N, (b + 1) * N)));
  return { anomalyScore, predictedAnomalous: anomalyScore.map((p) => p >= threshold), ranking };
}
