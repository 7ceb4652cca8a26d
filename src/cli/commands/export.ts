/**
 * `eadro export <windows-dir|raw-dir> --format npy --out DIR`: write a window dataset as a `.npy`
 * directory (data-formats.md §2), from an exported directory (re-written, meta.json extras kept) or from
 * raw telemetry (built through the cache first).
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
import { withGlobalOptions, type GlobalArgs } from '../options.js';

export const order = 35;

interface ExportArgs extends GlobalArgs {
  input: string;
  format: string;
}

export const command: CommandModule<object, ExportArgs> = {
  command: 'export <input>',
  describe: 'export windows as a .npy directory, from an exported window directory or a raw data folder',
  builder: (y) =>
    withGlobalOptions(y)
      .positional('input', { type: 'string', demandOption: true, describe: 'window directory (meta.json + *.npy) or raw data folder' })
      .option('format', { type: 'string', default: 'npy', choices: ['npy'], describe: 'output format' }) as never,
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
      const manifest = startManifest({ command: 'export', config: { format: args.format, from: 'npy' }, seeds: [], datasets: [], startedAt: started });
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
    writeBuild(build, args.input, args.out, 'export', args.seed, started);
    console.log(`exported ${build.dataset.W} windows (${build.report.abnormalWindows} abnormal) from raw ${args.input} to ${args.out}` +
      `${build.fromCache ? ' (from cache)' : ''}`);
  },
};
