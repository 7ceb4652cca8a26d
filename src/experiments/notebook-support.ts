/**
 * What the notebooks (notebooks/00, 02, 03, 04) call, so that their cells stay thin: the size of the
 * work (one environment variable), the built-in testbed's windows, Eadro trained or loaded from a
 * stored checkpoint, predictions scored with the shared metrics, and the paper tables from a results
 * store: the main job's (`eadro reproduce --quick`) when it exists, else a small grid run here.
 *
 * Why the grid runs in a child process (`node bin/eadro.js grid`): the notebooks run on tslab, which
 * compiles every module a notebook imports to CommonJS, where the grid runner's
 * `import.meta.resolve('tsx')` (src/experiments/runner.ts) does not exist. The CLI runs the same
 * library code, in ESM, with its worker pool.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { activeBackend, initBackend, normalizeBackendRequest, type BackendInfo } from '../core/backend.js';
import { EadroError } from '../core/errors.js';
import { writeJsonAtomic } from '../core/io.js';
import { episodeKey, windowAndEpisodeMetrics } from '../evaluation/episode-metrics.js';
import type { MetricRecord } from '../evaluation/metrics.js';
import { makeSplits, type ProtocolSplit } from '../evaluation/protocols.js';
import { markdownTable } from '../figures/markdown.js';
import type { RepresentationSet } from '../figures/model-figures.js';
import { disposeEadro, predictAsync, trainEadro, type EpochLog, type Prediction } from '../models/eadro/index.js';
import { ablationToModel } from './methods/eadro.js';
import type { WindowDataset } from '../windows/types.js';
import type { CachedBuild } from '../windows/cache.js';
import { defineExperiment, type Ablation, type ExperimentConfig, type MethodSpec } from './config.js';
import { ensureTestbed, windowsOf } from './datasets.js';
import { eadroMethodDefaults, predictionScores } from './methods/eadro.js';
import { LOCALIZATION_PRIORS, MS_BASELINES, QUICK_PIPELINE, TRACE_DETECTORS, TRACE_LOCALIZERS } from './method-sets.js';
import { renderTablesFromStore } from './report.js';
import { expandGrid } from './grid.js';
import { listFinishedRuns } from './store.js';
import { unfinishedRuns } from './execute.js';
import { ablationLabels, abnormalTestWindows, representationSet, storedCheckpointRun, storedRepresentation, trainNormalised } from './representations.js';

export { ablationLabels, abnormalTestWindows, storedCheckpointRun, trainNormalised };

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export type NotebookScaleName = 'ci' | 'quick';
export type SystemName = 'TT' | 'SN';

/** How much work the notebooks do. */
export interface NotebookScale {
  name: NotebookScaleName;
  /** Testbed size profile (src/testbed/schedule.ts). */
  profile: 'tiny' | 'quick';
  /** Systems of the small grid run when the main job's store is missing. */
  gridSystems: SystemName[];
  /** Seeds of the small grid. */
  gridSeeds: number[];
  /** Eadro epochs in the small grid. */
  gridEpochs: number;
  /** Ablations (besides the full model) in the small grid, for Table IV. */
  gridAblations: Ablation[];
  /** Window pipeline options (passed to the window builder). */
  pipeline: Record<string, unknown>;
  /** Eadro epochs of the quickstart and of Fig. 7's models when no stored checkpoint exists. */
  trainEpochs: number;
  /** t-SNE iterations of Fig. 7. */
  tsneIterations: number;
}

const ALL_ABLATIONS: Ablation[] = ['without-logs', 'without-kpis', 'without-traces', 'without-graph'];

export const notebookSupportDefaults = {
  /** The one environment variable that sizes the notebooks (issue 7: CI runs them on a loaded 2-core machine). */
  scaleEnvVar: 'EADRO_NOTEBOOK_SCALE',
  /** ours: CI executes the notebooks on every submission, so the default is the CI-sized form. */
  scale: 'ci' as NotebookScaleName,
  scales: {
    // ours: each notebook about 1-2 minutes on a loaded 2-core machine (wasm backend, one thread).
    // SN only (12 services; the paper's Fig. 7 also uses SN), tiny profile (873 windows at stride 1),
    // 3 epochs: enough to run every step end to end, far too little to train Eadro well. Only the
    // ablations of Fig. 7 (each Eadro run costs about 30 s there); Table IV says "not run" for the others.
    ci: {
      name: 'ci', profile: 'tiny', gridSystems: ['SN'], gridSeeds: [0], gridEpochs: 3, gridAblations: ['without-logs', 'without-kpis'],
      pipeline: {}, trainEpochs: 8, tsneIterations: 500,
    },
    // ours: the main job's data (`quick` profile, the stride of method-sets.ts QUICK_PIPELINE, so the
    // window cache is shared) and its Eadro epochs (20). Notebooks 02-04 read the main job's store; only
    // without one do they run their own grid here (both systems, all ablations: tens of minutes on 2
    // cores). The committed notebooks show the outputs of this scale (scripts/notebooks/refresh-outputs.ts).
    quick: {
      name: 'quick', profile: 'quick', gridSystems: ['TT', 'SN'], gridSeeds: [0], gridEpochs: 20, gridAblations: ALL_ABLATIONS,
      pipeline: { ...QUICK_PIPELINE }, trainEpochs: 20, tsneIterations: 500,
    },
  } satisfies Record<NotebookScaleName, NotebookScale>,
  /** Where `eadro reproduce --quick` keeps its runs (src/cli/commands/reproduce.ts: results/reproduce-quick + runs-store). */
  mainStore: path.join(PROJECT_ROOT, 'results', 'reproduce-quick', 'runs-store'),
  /** Where the notebooks' own small grid goes (one folder per scale, so scales never mix in one table). */
  notebookStore: path.join(PROJECT_ROOT, 'results', 'notebooks', 'store'),
  /** Figures written by the notebooks (HTML beside the inline PNGs). */
  figuresDir: path.join(PROJECT_ROOT, 'results', 'figures'),
  /** Paper §V-G: Fig. 7 shows the test set of SN; ours: the quickstart uses SN too (small and fast). */
  system: 'SN' as SystemName,
  /** ours: one simulated dataset, as the main job (reproduce.ts testbedSeed). */
  testbedSeed: 0,
  /** Seed of the models the notebooks train (weights, batch order). */
  trainSeed: 0,
  /**
   * ours: the tiny testbed gives about 340 training windows; the paper's batch of 256 (§V-C) would
   * make 2 optimizer steps per epoch, so a few epochs would barely move the weights.
   */
  batchSize: 32,
  /** ours: the project machine has 2 cores (runner.ts poolSize). */
  gridPool: 2,
  /** The variants of the paper's Fig. 7, in its order. */
  fig7Ablations: ['none', 'without-logs', 'without-kpis'] as Ablation[],
  /**
   * ours: the trace detectors in the small grid, sized for the tiny testbed (a few hundred training
   * traces; a few seconds each): TraceAnomaly a plain VAE, MultimodalTrace 16 units and 3 epochs.
   */
  traceDetectorParams: {
    'trace-anomaly': { posteriorFlow: false, hidden: 64, maxEpochs: 20, evalEvery: 5, scoreSamples: 16 },
    'multimodal-trace': { hidden: 16, maxEpochs: 3, maxTrainTraces: 400 },
  } as Record<string, Record<string, unknown>>,
};




/** The scale named by EADRO_NOTEBOOK_SCALE (default `ci`); an unknown name throws, naming the variable. */
export function notebookScale(env: Record<string, string | undefined> = process.env): NotebookScale {
  const raw = (env[notebookSupportDefaults.scaleEnvVar] ?? '').trim();
  const name = raw === '' ? notebookSupportDefaults.scale : raw;
  const scales = notebookSupportDefaults.scales as Record<string, NotebookScale>;
  const scale = scales[name];
  if (scale === undefined) {
    throw new EadroError('Unknown notebook scale.', {
      field: notebookSupportDefaults.scaleEnvVar, expected: Object.keys(scales).join(' | '), found: raw,
    });
  }
  return { ...scale, gridSystems: [...scale.gridSystems], gridSeeds: [...scale.gridSeeds], gridAblations: [...scale.gridAblations], pipeline: { ...scale.pipeline } };
}

/** One line saying which scale runs and how to change it. */
export function describeScale(s: NotebookScale): string {
  return `notebook scale '${s.name}' (${notebookSupportDefaults.scaleEnvVar}=ci|quick): testbed profile ${s.profile}, `
    + `grid on ${s.gridSystems.join('+')} with ${s.gridEpochs} epochs and seeds [${s.gridSeeds.join(', ')}], `
    + `${s.trainEpochs} epochs for models trained here`;
}

/** The built-in testbed's windows for a system at this scale (simulated once, windows cached). */
export async function testbedWindows(system: SystemName, scale: NotebookScale): Promise<{ rawRoot: string; build: CachedBuild }> {
  const rawRoot = await ensureTestbed(system, scale.profile, notebookSupportDefaults.testbedSeed);
  return { rawRoot, build: await windowsOf(rawRoot, scale.pipeline) };
}

/**
 * Counts of a window dataset for a notebook's first table: windows, abnormal share, services,
 * fault episodes and log event types.
 */
export function datasetSummary(ds: WindowDataset): { windows: number; abnormal: number; services: number; episodes: number; logEvents: number; T: number } {
  let abnormal = 0;
  const episodes = new Set<string>();
  const keyOf = episodeKey(ds);
  for (let i = 0; i < ds.W; i++) {
    if ((ds.labels[i] as number) >= 0) {
      abnormal++;
      episodes.add(keyOf(i));
    }
  }
  return { windows: ds.W, abnormal, services: ds.nodes.length, episodes: episodes.size, logEvents: ds.eventNum, T: ds.T };
}

/** The temporal split (protocol.md §4.2) of a dataset, as the harness makes it. */
export function temporalSplitOf(ds: WindowDataset, seed = notebookSupportDefaults.trainSeed): ProtocolSplit {
  return makeSplits(ds, { name: 'temporal' }, seed)[0] as ProtocolSplit;
}

/** A model's outputs on test windows, and where the model came from. */
export interface NotebookPrediction {
  ablation: Ablation;
  /** [B] dataset indices of the predicted windows, in prediction order. */
  windows: number[];
  prediction: Prediction;
  /** 'trained here' with epochs, or the stored checkpoint's folder. */
  source: string;
  history: EpochLog[];
  backend: BackendInfo;
}

async function backend(): Promise<BackendInfo> {
  return activeBackend() ?? (await initBackend(normalizeBackendRequest(undefined)));
}

/**
 * Train Eadro (paper variant) on `split.train`, selecting the epoch by its score on
 * `split.val` (config.selectBy: the mean of F1 and HR@1 by default, as the harness does), then predict
 * `windows` (default: the test windows).
 */
export async function trainAndPredict(
  ds: WindowDataset,
  split: ProtocolSplit,
  options: { ablation?: Ablation; maxEpochs: number; batchSize?: number; seed?: number; windows?: readonly number[]; onEpoch?: (e: EpochLog) => void },
): Promise<NotebookPrediction> {
  const info = await backend();
  const ablation = options.ablation ?? 'none';
  const data = trainNormalised(ds, split.train);
  const trained = await trainEadro(data, split, { variant: 'paper', without: ablationToModel[ablation], maxEpochs: options.maxEpochs, batchSize: options.batchSize ?? notebookSupportDefaults.batchSize }, {
    seed: options.seed ?? notebookSupportDefaults.trainSeed,
    onEpoch: options.onEpoch,
  });
  const windows = [...(options.windows ?? split.test)];
  const prediction = await predictAsync(trained.model, data, windows);
  disposeEadro(trained.model);
  return {
    ablation, windows, prediction, history: trained.history, backend: info,
    source: `trained here: ${trained.history.length} epoch(s), epoch ${trained.bestEpoch} selected on ${split.val.length} validation windows`,
  };
}

/** The shared metrics (src/evaluation/metrics.ts) of a prediction, with the Eadro method's 0.5 threshold. */
export function predictionMetrics(ds: WindowDataset, p: Pick<NotebookPrediction, 'windows' | 'prediction'>): MetricRecord {
  const scored = { labels: p.windows.map((w) => ds.labels[w] as number), ...predictionScores(p.prediction, ds.nodes.length, eadroMethodDefaults.threshold) };
  return windowAndEpisodeMetrics(ds, p.windows, scored);
}

/** The metrics a reader looks at first, with what each means. */
const HEADLINE_METRICS: [key: string, label: string, meaning: string][] = [
  ['det.f1', 'F1', 'detection, true negatives counted'],
  ['det.precision', 'precision', 'flagged windows that are faulty'],
  ['det.recall', 'recall', 'faulty windows flagged'],
  ['det.mcc', 'MCC', 'detection, chance = 0'],
  ['det.prAuc', 'PR-AUC', 'detection scores, threshold-free'],
  ['loc.e2e.hr@1', 'HR@1 end-to-end', 'culprit ranked first (a missed window counts as a miss)'],
  ['loc.e2e.hr@3', 'HR@3 end-to-end', 'culprit in the top 3'],
  ['loc.oracle.hr@1', 'HR@1 oracle detection', 'culprit ranked first, every faulty window ranked'],
  ['loc.e2e.ndcg@5', 'NDCG@5 end-to-end', 'rank-discounted hit in the top 5'],
  ['loc.faultyWindows', 'faulty test windows', 'windows the localization metrics average over'],
  ['ep.recall', 'episodes detected', 'share of fault episodes with a flagged faulty window'],
  ['ep.falseAlarmsPerHour', 'false alarms per hour', 'alarms on normal windows per hour of normal time'],
  ['ep.ac@1', 'AC@1 per episode', 'culprit first in the episode\'s aggregated ranking'],
];

/** A Markdown table of the headline metrics; undefined values (zero denominators) read "n/a". */
export function metricsMarkdown(m: MetricRecord): string {
  return markdownTable(['metric', 'value', 'meaning'], HEADLINE_METRICS.map(([key, label, meaning]) => {
    const v = m[key];
    return [label, v === null || v === undefined ? 'n/a' : v, meaning];
  }));
}

/** Position (row of the prediction) of the first ground-truth anomalous window, in time order. */
export function firstAnomalousPosition(ds: WindowDataset, windows: readonly number[]): number {
  let best = -1;
  windows.forEach((w, b) => {
    if ((ds.labels[w] as number) < 0) return;
    if (best < 0 || (ds.meta.start[w] as number) < (ds.meta.start[windows[best] as number] as number)) best = b;
  });
  if (best < 0) throw new EadroError('No anomalous window among the predicted windows.', { field: 'windows', expected: 'at least one window with label >= 0' });
  return best;
}

/**
 * One line about the window at `position` of a prediction: its start (UTC), injected fault, the
 * detector's probability and the 1-based rank the model gave the true culprit.
 */
export function describeWindow(ds: WindowDataset, p: Pick<NotebookPrediction, 'windows' | 'prediction'>, position: number): string {
  const w = p.windows[position];
  if (w === undefined) throw new EadroError('Window position out of range.', { field: 'position', expected: `an integer in [0, ${p.windows.length - 1}]`, found: String(position) });
  const n = ds.nodes.length;
  const label = ds.labels[w] as number;
  const start = new Date((ds.meta.start[w] as number) * 1000).toISOString().replace('.000Z', 'Z');
  const pAnomalous = (p.prediction.anomalyProb[position] as number).toFixed(3);
  if (label < 0) return `window ${w} (start ${start}, run ${ds.meta.runId[w]}): normal; P(anomalous) = ${pAnomalous}`;
  const ranking = p.prediction.ranking.subarray(position * n, (position + 1) * n);
  const rank = Array.from(ranking).indexOf(label) + 1;
  return `window ${w} (start ${start}, run ${ds.meta.runId[w]}): ${ds.meta.faultType[w]} injected into ${ds.nodes[label]}; `
    + `P(anomalous) = ${pAnomalous} (threshold ${eadroMethodDefaults.threshold}); the true culprit is ranked ${rank} of ${n}`;
}

// ---------------------------------------------------------------------------------------------------
// Results stores and the paper tables

export type TablesPart = 'main' | 'ablation';

/**
 * The notebooks' small grid: Eadro (paper variant), the trivial baselines, N-sigma, the trace detectors,
 * the derived multi-source baselines and the trace localizers (Tables I-III) or
 * Eadro and its ablations (Table IV), on the tiny testbed, under both protocols of the main job.
 * Both parts list the full Eadro with the same spec, so it runs once and serves both.
 */
export function notebookExperiment(scale: NotebookScale, part: TablesPart | 'all'): ExperimentConfig {
  const eadro = (ablation: Ablation): MethodSpec => ({ name: 'eadro', variant: 'paper', ablation, params: { maxEpochs: scale.gridEpochs, batchSize: notebookSupportDefaults.batchSize } });
  // The derived multi-source baselines fill Tables II and III beside Eadro (paper §V-B2): the classic
  // ones fit in seconds on the tiny testbed; the deep ones train as many epochs as Eadro does here.
  const derived: MethodSpec[] = MS_BASELINES.map((name) => (name === 'ms-lstm' || name === 'ms-dcc' ? { name, params: { maxEpochs: scale.gridEpochs, batchSize: notebookSupportDefaults.batchSize } } : { name }));
  // The trace detectors (Table II) at a budget that fits the tiny testbed's few hundred training traces.
  const traceDetectors: MethodSpec[] = TRACE_DETECTORS.map((name) => ({ name, params: notebookSupportDefaults.traceDetectorParams[name] ?? {} }));
  const main: MethodSpec[] = [eadro('none'), { name: 'all-anomalous' }, { name: 'random-guess' }, ...LOCALIZATION_PRIORS.map((name) => ({ name })), { name: 'n-sigma' }, ...traceDetectors, ...derived, ...TRACE_LOCALIZERS.map((name) => ({ name }))];
  const ablation: MethodSpec[] = [eadro('none'), ...scale.gridAblations.map(eadro)];
  const methods = part === 'main' ? main : part === 'ablation' ? ablation : [...main, ...ablation.slice(1)];
  return defineExperiment({
    name: `notebooks-${scale.name}-${part}`,
    description: `notebooks' small grid (${part}): tiny testbed, ${scale.gridEpochs} epochs`,
    datasets: scale.gridSystems.map((system) => ({ kind: 'testbed', system, profile: scale.profile, seed: notebookSupportDefaults.testbedSeed })),
    pipeline: scale.pipeline,
    methods,
    protocols: [{ name: 'temporal' }, { name: 'reference-random' }],
    seeds: scale.gridSeeds,
  });
}

/** Where a notebook's tables come from. */
export interface TablesSource {
  kind: 'main-job' | 'notebook-grid';
  storeDir: string;
  /** Finished runs in the store. */
  runs: number;
  /** One paragraph for the notebook output: which store, and how it was made. */
  note: string;
  /** Output of the grid command when this call ran it. */
  gridLog: string | null;
}

/** Store of the notebooks' own grid at a scale. */
export function notebookStoreDir(scale: NotebookScale, root = notebookSupportDefaults.notebookStore): string {
  return path.join(root, scale.name);
}

/**
 * The main job's store when it holds finished runs; otherwise run (or finish: the grid is resumable)
 * the notebooks' small grid for `part` and use its store.
 */
export async function tablesSource(
  scale: NotebookScale,
  part: TablesPart,
  options: { mainStore?: string; notebookStore?: string; run?: (e: ExperimentConfig, storeDir: string) => Promise<string> } = {},
): Promise<TablesSource> {
  const mainStore = options.mainStore ?? notebookSupportDefaults.mainStore;
  const mainRuns = listFinishedRuns(mainStore).length;
  if (mainRuns > 0) {
    return {
      kind: 'main-job', storeDir: mainStore, runs: mainRuns, gridLog: null,
      note: `Source: the main job's results store \`${path.relative(PROJECT_ROOT, mainStore)}\` (made by \`eadro reproduce --quick\`), ${mainRuns} finished runs.`,
    };
  }
  const storeDir = notebookStoreDir(scale, options.notebookStore);
  const experiment = notebookExperiment(scale, part);
  const grid = expandGrid(experiment);
  const todo = (await unfinishedRuns(grid, storeDir)).length;
  // Every run finished already (e.g. by an earlier notebook): no need to start the grid command.
  const gridLog = todo === 0
    ? `${experiment.name}: all ${grid.length} runs already finished in ${path.relative(PROJECT_ROOT, storeDir)}`
    : await (options.run ?? runGridCommand)(experiment, storeDir);
  const runs = listFinishedRuns(storeDir).length;
  return {
    kind: 'notebook-grid', storeDir, runs, gridLog,
    note: `Source: the main job's store \`${path.relative(PROJECT_ROOT, mainStore)}\` is missing (run \`eadro reproduce --quick\` to make it), `
      + `so a SMALL grid ran here into \`${path.relative(PROJECT_ROOT, storeDir)}\` (${runs} finished runs): `
      + `testbed ${scale.profile} profile on ${scale.gridSystems.join(' and ')}, seeds [${scale.gridSeeds.join(', ')}], Eadro trained ${scale.gridEpochs} epochs. `
      + 'These numbers show that the pipeline runs end to end; at this size they say little about Eadro itself.',
  };
}

/**
 * Run `eadro grid` on an experiment in a child process (see the module comment for why), writing
 * into `storeDir`; finished runs are skipped. Returns the command's output; throws with its tail on
 * failure.
 */
export async function runGridCommand(experiment: ExperimentConfig, storeDir: string, pool = notebookSupportDefaults.gridPool): Promise<string> {
  const file = path.join(storeDir, 'experiments', `${experiment.name}.json`);
  writeJsonAtomic(file, experiment);
  const args = [path.join(PROJECT_ROOT, 'bin', 'eadro.js'), 'grid', file, '--out', storeDir, '--pool', String(pool)];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env: { ...process.env, EADRO_QUIET: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, output: text }));
  });
  if (code !== 0) {
    throw new EadroError('The notebooks\' grid failed.', { file, found: `exit ${code}: ${output.slice(-2000)}`, hint: `rerun: node ${args.map((a) => path.relative(PROJECT_ROOT, a) || a).join(' ')}` });
  }
  return output.trim();
}

/** One rendered paper table (Markdown) per protocol present in the store, for one table id. */
export async function paperTableMarkdown(storeDir: string, table: 'table2' | 'table3' | 'table4'): Promise<{ protocol: string; markdown: string }[]> {
  const files = await renderTablesFromStore(storeDir);
  const out: { protocol: string; markdown: string }[] = [];
  for (const [name, content] of files) {
    const m = /^([^/]+)\/(table\d)\.md$/.exec(name);
    if (m !== null && m[2] === table) out.push({ protocol: m[1] as string, markdown: content });
  }
  // The honest protocol first, then the reference one, then any other (alphabetically).
  const order = (p: string): string => `${['temporal', 'reference-random'].indexOf(p) >= 0 ? ['temporal', 'reference-random'].indexOf(p) : 9}${p}`;
  return out.sort((a, b) => order(a.protocol).localeCompare(order(b.protocol)));
}

// ---------------------------------------------------------------------------------------------------
// Fig. 7: fused representations of abnormal test windows

/**
 * H_F of the abnormal test windows for each Fig. 7 variant: from the stored checkpoint of the
 * store's temporal run when there is one (same data, split and normalisation as that run), else from
 * a model trained here on the tiny testbed.
 */
export async function fig7Representations(
  scale: NotebookScale,
  storeDir: string | null,
  ablations: readonly Ablation[] = notebookSupportDefaults.fig7Ablations,
  system: SystemName = notebookSupportDefaults.system,
): Promise<{ sets: RepresentationSet[]; sources: string[] }> {
  await backend();
  const runs = storeDir === null ? [] : listFinishedRuns(storeDir);
  const sets: RepresentationSet[] = [];
  const sources: string[] = [];
  const windowsCache = new Map<string, WindowDataset>();
  for (const ablation of ablations) {
    const stored = storedCheckpointRun(runs, system, ablation);
    let ds: WindowDataset;
    let p: NotebookPrediction;
    if (stored !== null) {
      const r = await storedRepresentation(stored, ablation, windowsCache);
      ds = r.ds;
      p = { ablation, windows: r.windows, prediction: r.prediction, history: [], backend: await backend(), source: `stored checkpoint ${path.relative(PROJECT_ROOT, r.checkpoint)} (epoch ${r.epoch})` };
    } else {
      ds = (await testbedWindows(system, scale)).build.dataset;
      const split = temporalSplitOf(ds);
      p = await trainAndPredict(ds, split, { ablation, maxEpochs: scale.trainEpochs, windows: abnormalTestWindows(ds, split) });
    }
    sets.push(representationSet(ablation, ds, p.windows, p.prediction));
    sources.push(`${ablationLabels[ablation]}: ${p.source}; ${p.windows.length} abnormal test windows of ${system}`);
  }
  return { sets, sources };
}

/**
 * What the trace detectors' runs in a store say at the trace level (each run keeps `trace-scores.json`,
 * src/experiments/methods/trace-detector.ts): per run, the traces judged, the share judged anomalous
 * among traces of normal windows and among traces of faulty windows, and the median score of each.
 * A detector whose verdicts do not differ between the two has nothing for the window rule to use.
 */
export function traceScoreSummary(storeDir: string): string {
  const rows: string[][] = [];
  for (const run of listFinishedRuns(storeDir)) {
    const name = run.metrics.spec.method.name;
    if (!(TRACE_DETECTORS as readonly string[]).includes(name)) continue;
    const file = path.join(run.dir, 'work', 'fold-0', 'trace-scores.json');
    if (!fs.existsSync(file)) continue;
    const kept = JSON.parse(fs.readFileSync(file, 'utf8')) as { score: number[]; anomalous: number[]; inFaultyWindow?: number[] };
    if (kept.inFaultyWindow === undefined) continue; // written before the flag was kept
    const part = (faulty: number): { n: number; share: number; median: number } => {
      const idx = kept.score.map((_, i) => i).filter((i) => kept.inFaultyWindow![i] === faulty);
      const scores = idx.map((i) => kept.score[i]!).sort((a, b) => a - b);
      return { n: idx.length, share: idx.length === 0 ? Number.NaN : idx.filter((i) => kept.anomalous[i] === 1).length / idx.length, median: scores.length === 0 ? Number.NaN : scores[Math.floor(scores.length / 2)]! };
    };
    const normal = part(0);
    const faulty = part(1);
    const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
    rows.push([name, run.metrics.spec.dataset.system ?? '', run.metrics.spec.protocol.name, String(run.metrics.seed), String(kept.score.length),
      `${normal.n} / ${faulty.n}`, `${f(normal.share)} / ${f(faulty.share)}`, `${f(normal.median)} / ${f(faulty.median)}`]);
  }
  if (rows.length === 0) return '(no trace detector run with trace scores in this store)';
  rows.sort((a, b) => a.join('\u0000').localeCompare(b.join('\u0000')));
  return markdownTable(['method', 'system', 'protocol', 'seed', 'traces judged', 'traces in normal / faulty windows', 'judged anomalous: normal / faulty', 'median score: normal / faulty'], rows);
}

