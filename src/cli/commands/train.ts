/**
 * `eadro train --data <raw-dir|windows-dir> --out DIR`: train Eadro on a protocol's split (normalised
 * on its training part, checkpoints selected on validation), save the selected model with its split
 * and normalisation statistics, the training history and a manifest. Rerunning with the same --out
 * resumes from DIR/checkpoints/last.
 */
import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import { initBackend, normalizeBackendRequest } from '../../core/backend.js';
import { EadroError } from '../../core/errors.js';
import { finishManifest, startManifest } from '../../core/manifest.js';
import { protocolNames } from '../../evaluation/protocols.js';
import { loadWindows, modelCliDefaults, trainModel } from '../../experiments/model-cli.js';
import type { Ablation, EadroConfig } from '../../models/eadro/index.js';
import type { WindowConfig } from '../../windows/build.js';
import { stageProgressBars, windowConfigFromFile } from '../../windows/cli-support.js';
import { readConfigFile, withGlobalOptions, type GlobalArgs } from '../options.js';

export const order = 40;

const ABLATIONS: readonly Ablation[] = ['logs', 'kpis', 'traces', 'graph'];

interface TrainArgs extends GlobalArgs {
  data: string;
  variant: 'paper' | 'reference';
  without?: string | string[];
  protocol: string;
  fold: number;
  epochs?: number;
  batchSize?: number;
  patience?: number;
  threads?: number;
  labelNoiseForget?: number;
}

/** `--without logs,kpis` or `--without logs --without kpis`, checked. */
export function parseAblations(value: string | string[] | undefined): Ablation[] {
  if (value === undefined) return [];
  const names = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter((s) => s !== '');
  for (const n of names) {
    if (!ABLATIONS.includes(n as Ablation)) throw new EadroError('Unknown ablation.', { field: '--without', expected: ABLATIONS.join(', '), found: n });
  }
  return names as Ablation[];
}

function positiveInteger(flag: string, v: number | undefined): number | undefined {
  if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new EadroError('Expected a positive integer.', { field: flag, found: String(v) });
  return v;
}

export const command: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'train Eadro on windows (or raw data, windows built with the cache) under a protocol; saves the selected model',
  builder: (y) =>
    withGlobalOptions(y)
      .option('data', { type: 'string', demandOption: true, describe: 'exported window folder (meta.json + *.npy) or raw telemetry folder' })
      .option('variant', { type: 'string', default: 'paper', choices: ['paper', 'reference'], describe: 'paper design or the official code\'s (also the window pipeline variant for raw data, unless --config sets one)' })
      .option('without', { type: 'string', describe: 'ablations, comma-separated: logs, kpis, traces, graph (paper §V-G)' })
      .option('protocol', { type: 'string', default: modelCliDefaults.protocol, choices: [...protocolNames], describe: 'how windows are split into train / validation / test' })
      .option('fold', { type: 'number', default: modelCliDefaults.fold, describe: 'which fold of episode-disjoint to train (0-based)' })
      .option('epochs', { type: 'number', describe: 'maximum epochs (default 50, paper §V-C)' })
      .option('batch-size', { type: 'number', describe: 'batch size (default 256, paper §V-C)' })
      .option('patience', { type: 'number', describe: 'early-stopping patience in epochs (default 10)' })
      .option('threads', { type: 'number', describe: 'training threads: 2 splits every batch over both cores, same model (default 1, or EADRO_TRAIN_THREADS)' })
      .option('label-noise-forget', { type: 'number', describe: 'ours, not the paper: each epoch leaves out this share of the faulty-labelled training windows the model finds least anomalous (small-loss selection; default 0 = off)' })
      .example('eadro train --data results/windows/tt --variant reference --seed 1 --out results/models/tt-ref', '')
      .epilog('--config JSON may hold `windows` (window pipeline for raw data), `eadro` (any Eadro config field) and `protocol` (protocol parameters). ' +
        'Writes DIR/model (weights, metadata.json, model-cli.json), DIR/checkpoints, DIR/history.json, DIR/manifest.json.') as never,
  handler: async (args) => {
    const started = new Date();
    if (args.out === undefined) throw new EadroError('eadro train needs --out DIR.', { field: '--out', expected: 'a folder for the model, checkpoints and history' });
    const without = parseAblations(args.without);
    const fileConfig = readConfigFile(args.config);
    const eadroSection = (fileConfig['eadro'] ?? {}) as Partial<EadroConfig>;
    const protocolParams = (fileConfig['protocol'] ?? {}) as Record<string, number | string | boolean>;
    const params: Partial<EadroConfig> = { ...eadroSection };
    const epochs = positiveInteger('--epochs', args.epochs);
    const batchSize = positiveInteger('--batch-size', args.batchSize);
    const patience = positiveInteger('--patience', args.patience);
    const threads = positiveInteger('--threads', args.threads);
    if (epochs !== undefined) params.maxEpochs = epochs;
    if (args.labelNoiseForget !== undefined) {
      if (!(args.labelNoiseForget >= 0 && args.labelNoiseForget < 1)) {
        throw new EadroError('Expected a share in [0, 1).', { field: '--label-noise-forget', expected: 'the share of faulty-labelled training windows left out per epoch, 0 = off', found: String(args.labelNoiseForget) });
      }
      params.labelNoiseForget = args.labelNoiseForget;
    }
    if (batchSize !== undefined) params.batchSize = batchSize;
    if (patience !== undefined) params.patience = patience;
    const windowConfig: Partial<WindowConfig> = args.config === undefined ? {} : windowConfigFromFile(args.config);
    windowConfig.seed ??= args.seed;
    windowConfig.variant ??= args.variant;

    const backend = await initBackend(normalizeBackendRequest(args.backend));
    const bars = stageProgressBars();
    let windows;
    try {
      windows = await loadWindows(args.data, windowConfig, { onProgress: bars.onProgress });
    } finally {
      bars.stop();
    }
    const manifest = startManifest({
      command: 'train',
      config: { variant: args.variant, without, params, protocol: args.protocol, protocolParams, fold: args.fold, windowConfig: windows.kind === 'raw' ? windowConfig : null },
      seeds: [args.seed],
      protocol: args.protocol,
      backend,
      datasets: [windows.info],
      startedAt: started,
    });
    const result = await trainModel(windows, {
      variant: args.variant,
      without,
      params,
      protocol: args.protocol,
      protocolParams,
      fold: args.fold,
      seed: args.seed,
      out: args.out,
      windowConfig: windows.kind === 'raw' ? windowConfig : null,
      ...(threads === undefined ? {} : { threads }),
    });
    manifest.config = { ...(manifest.config as object), eadro: result.config };
    finishManifest(manifest, args.out);

    const s = result.split;
    const best = result.history[result.bestEpoch - 1];
    const fmt = (x: number | undefined, d = 4): string => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));
    console.log(`data: ${windows.path} (${windows.kind}${windows.kind === 'raw' ? (windows.fromCache ? ', windows from cache' : ', windows built') : ''}): ` +
      `${windows.dataset.W} windows, ${windows.dataset.nodes.length} services`);
    console.log(`backend: ${backend.name}${result.fastWasmKernels ? ' (fast wasm kernels)' : ''}${result.simdTimeAttention === null ? '' : result.simdTimeAttention ? ' (SIMD attention rows)' : ' (JavaScript attention rows)'}${result.simdGatEdges === true ? ' (SIMD GAT backward)' : ''}, variant ${result.config.variant}` +
      `${without.length > 0 ? `, without ${without.join(',')}` : ''}, seed ${args.seed}`);
    console.log(`protocol: ${s.protocol}${s.fold === null ? '' : ` fold ${s.fold.index + 1}/${s.fold.count}`}: train ${s.train.length}, validation ${s.val.length}, test ${s.test.length}, purged ${s.purged}` +
      `${s.modelSelection === 'test' ? ' (checkpoint selected on the TEST part, as the official code does)' : ''}`);
    console.log(`epochs: ${result.history.length} run (${result.epochsThisCall} in this call), selected epoch ${result.bestEpoch}: ` +
      `train loss ${fmt(best?.trainLoss)}, val loss ${fmt(best?.valLoss)}, val F1 ${fmt(best?.valF1, 3)}, val HR@1 ${fmt(best?.valHR1, 3)}`);
    if (result.divergedAtEpoch !== null) console.log(`warning: the training loss was not finite in epoch ${result.divergedAtEpoch}: training stopped there; epoch ${result.bestEpoch} is the selected one`);
    if (s.val.length === 0 && s.modelSelection !== 'test') console.log('note: no validation windows: the last epoch is the selected one (no early stopping)');
    const last = result.history[result.history.length - 1];
    if (last !== undefined) console.log(`speed: ${last.windowsPerSecond.toFixed(0)} training windows/s (last epoch)`);
    if (last !== undefined && result.config.labelNoiseForget > 0) {
      console.log(`label noise: small-loss selection left out ${last.forgotten} faulty-labelled training window(s) in the last epoch (share ${result.config.labelNoiseForget}, ramped over ${result.config.labelNoiseRampEpochs} epochs)`);
    }
    console.log(`written: ${path.join(args.out, 'model')} (weights, metadata.json, model-cli.json), ${path.join(args.out, 'checkpoints')}, history.json, manifest.json`);
  },
};
