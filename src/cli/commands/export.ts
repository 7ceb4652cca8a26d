/**
 * `eadro export <windows-dir|raw-dir> --format npy --out DIR`: write a window dataset as a `.npy`
 * directory (data-formats.md §2), from an exported directory (re-written, meta.json extras kept) or from
 * raw telemetry (built through the cache first). With `--protocol NAME [--seed N] [--variant V]` it
 * writes what `eadro train` trains on (issue 27): the protocol's split in meta.json, the KPIs and
 * latency normalised with statistics fitted on the training part (also written, normalization-stats.json),
 * and the graph of the variant (the reference variant's official graph), so that a PyTorch user
 * trains on exactly the same arrays.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import { EadroError } from '../../core/errors.js';
import { writeJsonAtomic } from '../../core/io.js';
import { finishManifest, startManifest } from '../../core/manifest.js';
import { buildWindowDatasetCached } from '../../windows/cache.js';
import { stageProgressBars, windowConfigFromFile, writeBuild } from '../../windows/cli-support.js';
import { exportNpy, isNpyDir, loadNpy, loadNpyCounts, readNpyMeta } from '../../windows/export.js';
import { protocolNames } from '../../evaluation/protocols.js';
import { prepareEadroData } from '../../experiments/methods/eadro.js';
import { splitFor, statsToJson } from '../../experiments/model-cli.js';
import type { WindowDataset } from '../../windows/types.js';
import type { WindowCounts } from '../../windows/build.js';
import { withGlobalOptions, type GlobalArgs } from '../options.js';

export const order = 35;

interface ExportArgs extends GlobalArgs {
  input: string;
  format: string;
  protocol?: string;
  variant: string;
  fold: number;
}

/**
 * The arrays `eadro train` trains on for one protocol split (prepareEadroData, shared with the trainer):
 * written with the split, the normalisation statistics and the variant's graph.
 */
function exportPrepared(ds: WindowDataset, counts: WindowCounts | undefined, args: ExportArgs, provenance: Record<string, unknown>): string {
  const protocol = args.protocol!;
  const split = splitFor(ds, protocol, args.seed, args.fold);
  const variant = args.variant as 'paper' | 'reference';
  const prepared = prepareEadroData(ds, split, variant);
  exportNpy(prepared.data, args.out!, {
    split: { train: split.train, val: split.val, test: split.test },
    protocol: { name: protocol, seed: args.seed, fold: args.fold, folds: split.fold?.count ?? 1, modelSelection: split.modelSelection, purged: split.purged, params: split.params },
    variant,
    provenance: { ...provenance, protocol, seeds: [args.seed] },
  }, counts);
  const stats = prepared.normStats;
  writeJsonAtomic(path.join(args.out!, 'normalization-stats.json'), stats === null ? null : {
    ...statsToJson(stats),
    note: 'KPIs: (x - metricMean[n*K+k]) / metricStd[n*K+k]; latency: (x - latencyMean[n]) / latencyStd[n]; fitted on the split\'s train windows (src/windows/normalize.ts)',
  });
  return `${split.train.length} train / ${split.val.length} validation / ${split.test.length} test windows (${protocol}, seed ${args.seed}, fold ${args.fold}), ${variant} variant's graph (${prepared.data.edges[0].length} edges), normalised on the train windows`;
}

export const command: CommandModule<object, ExportArgs> = {
  command: 'export <input>',
  describe: 'export windows as a .npy directory, from an exported window directory or a raw data folder',
  builder: (y) =>
    withGlobalOptions(y)
      .positional('input', { type: 'string', demandOption: true, describe: 'window directory (meta.json + *.npy) or raw data folder' })
      .option('format', { type: 'string', default: 'npy', choices: ['npy'], describe: 'output format' })
      .option('protocol', { type: 'string', choices: [...protocolNames], describe: 'write what eadro train trains on under this protocol: split, train-fitted normalisation, the variant\'s graph' })
      .option('variant', { type: 'string', default: 'paper', choices: ['paper', 'reference'], describe: 'with --protocol: whose graph (reference: the official one)' })
      .option('fold', { type: 'number', default: 0, describe: 'with --protocol episode-disjoint: which fold' }) as never,
  handler: async (args) => {
    const started = new Date();
    if (args.out === undefined) throw new EadroError('eadro export needs --out DIR.', { field: '--out', expected: 'an output folder' });
    if (!fs.existsSync(args.input)) throw new EadroError('Input folder not found.', { file: path.resolve(args.input) });
    if (path.resolve(args.input) === path.resolve(args.out)) {
      throw new EadroError('--out must differ from the input folder.', { field: '--out', found: args.out });
    }
    if (isNpyDir(args.input)) {
      const meta = readNpyMeta(args.input);
      const ds = loadNpy(args.input);
      const { nodes: _n, edges: _e, T: _t, W: _w, metric_names: _m, event_num: _ev, normalization: _no, edge_direction: _d, format_version: _f, ...extra } = meta;
      const manifest = startManifest({ command: 'export', config: { format: args.format, from: 'npy', protocol: args.protocol ?? null, variant: args.variant, fold: args.fold }, seeds: [args.seed], datasets: [], startedAt: started });
      if (args.protocol !== undefined) {
        const what = exportPrepared(ds, loadNpyCounts(args.input) ?? undefined, args, { dataset: path.resolve(args.input) });
        finishManifest(manifest, args.out);
        console.log(`exported ${ds.W} windows from ${args.input} to ${args.out}: ${what}`);
        return;
      }
      exportNpy(ds, args.out, extra, loadNpyCounts(args.input) ?? undefined);
      const report = path.join(args.input, 'report.json');
      if (fs.existsSync(report)) writeJsonAtomic(path.join(args.out, 'report.json'), JSON.parse(fs.readFileSync(report, 'utf8')));
      finishManifest(manifest, args.out);
      console.log(`exported ${ds.W} windows (${ds.nodes.length} services, T ${ds.T}, E ${ds.eventNum}) from ${args.input} to ${args.out}`);
      return;
    }
    const partial = windowConfigFromFile(args.config);
    partial.seed = args.seed;
    const bars = stageProgressBars();
    let build;
    try {
      build = await buildWindowDatasetCached(args.input, partial, { onProgress: bars.onProgress });
    } finally {
      bars.stop();
    }
    if (args.protocol !== undefined) {
      const manifest = startManifest({
        command: 'export', config: { windows: build.config, protocol: args.protocol, variant: args.variant, fold: args.fold }, seeds: [args.seed],
        datasets: [{ path: path.resolve(args.input), checksum: build.checksum, description: 'raw telemetry' }], startedAt: started,
      });
      const what = exportPrepared(build.dataset, build.counts, args, { dataset: path.resolve(args.input), datasetSha256: build.checksum.sha256, configHash: build.configHash, code: manifest.code });
      writeJsonAtomic(path.join(args.out, 'report.json'), build.report);
      finishManifest(manifest, args.out);
      console.log(`exported ${build.dataset.W} windows from raw ${args.input} to ${args.out}: ${what}`);
      return;
    }
    writeBuild(build, args.input, args.out, 'export', args.seed, started);
    console.log(`exported ${build.dataset.W} windows (${build.report.abnormalWindows} abnormal) from raw ${args.input} to ${args.out}` +
      `${build.fromCache ? ' (from cache)' : ''}`);
  },
};
