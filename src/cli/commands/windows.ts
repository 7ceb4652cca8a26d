/** `eadro windows <raw-dir> --out DIR`: raw telemetry -> labelled windows (.npy), cached, with a summary. */
import type { CommandModule } from 'yargs';
import { EadroError } from '../../core/errors.js';
import { formatPinSnippet } from '../../raw/infer.js';
import { formatBuildReport, type WindowConfig } from '../../windows/build.js';
import { buildWindowDatasetCached } from '../../windows/cache.js';
import { stageProgressBars, windowConfigFromFile, writeBuild } from '../../windows/cli-support.js';
import { withGlobalOptions, type GlobalArgs } from '../options.js';

export const order = 30;

interface WindowsArgs extends GlobalArgs {
  rawDir: string;
  variant?: 'paper' | 'reference';
  hawkesMode?: 'corrected' | 'reference' | 'counts';
  workers?: number;
  cache: boolean;
  refresh: boolean;
  json: boolean;
}

export const command: CommandModule<object, WindowsArgs> = {
  command: 'windows <raw-dir>',
  describe: 'build labelled windows (KPIs, latency, Hawkes log features, graph) from raw telemetry and write .npy',
  builder: (y) =>
    withGlobalOptions(y)
      .positional('raw-dir', { type: 'string', demandOption: true, describe: 'raw data folder (data/, "no fault/")' })
      .option('variant', { type: 'string', choices: ['paper', 'reference'], describe: 'paper (callee->caller graph) or reference (caller->callee)' })
      .option('hawkes-mode', { type: 'string', choices: ['corrected', 'reference', 'counts'], describe: 'log features: Hawkes baselines with window-relative times (corrected), the official code\'s (reference), or events per second without a fit (counts)' })
      .option('workers', { type: 'number', describe: 'worker threads for the Hawkes features' })
      .option('cache', { type: 'boolean', default: true, describe: 'reuse/write results/cache/windows (--no-cache to bypass)' })
      .option('refresh', { type: 'boolean', default: false, describe: 'rebuild even if a cache entry exists' })
      .option('json', { type: 'boolean', default: false, describe: 'print the build report as JSON' }) as never,
  handler: async (args) => {
    const started = new Date();
    if (args.out === undefined) throw new EadroError('eadro windows needs --out DIR.', { field: '--out', expected: 'an output folder' });
    const partial: Partial<WindowConfig> = windowConfigFromFile(args.config);
    partial.seed = args.seed;
    if (args.variant !== undefined) partial.variant = args.variant;
    if (args.hawkesMode !== undefined || args.workers !== undefined) {
      partial.hawkes = {
        ...(partial.hawkes ?? {}),
        ...(args.hawkesMode === undefined ? {} : { mode: args.hawkesMode }),
        ...(args.workers === undefined ? {} : { workers: args.workers }),
      };
    }
    const bars = stageProgressBars();
    let build;
    try {
      build = await buildWindowDatasetCached(args.rawDir, partial, { noCache: !args.cache, refresh: args.refresh, onProgress: bars.onProgress });
    } finally {
      bars.stop();
    }
    writeBuild(build, args.rawDir, args.out, 'windows', args.seed, started);
    if (args.json) {
      console.log(JSON.stringify(build.report, null, 2));
      return;
    }
    console.log(`${build.fromCache ? 'loaded from cache' : 'built'} (config ${build.configHash})${build.entry === null ? '' : `: ${build.entry}`}`);
    for (const line of formatBuildReport(build.report, { skipsByFile: args.verbose })) console.log(line);
    if (build.report.inferred !== undefined) for (const line of formatPinSnippet(build.report.inferred)) console.log(line);
    console.log(`written: ${args.out} (meta.json, logs.npy, metrics.npy, traces.npy, labels.npy, windows.json, report.json, manifest.json)`);
  },
};
