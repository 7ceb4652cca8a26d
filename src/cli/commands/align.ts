/** `eadro align <raw-dir>`: measure per-source clock offsets from the data and print their evidence. */
import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import { describeDataset, finishManifest, startManifest } from '../../core/manifest.js';
import { writeJsonAtomic } from '../../core/io.js';
import { alignDefaults, formatLag, measureAlignment, offsetsToUse, type TelemetrySource } from '../../raw/align.js';
import { normalizeRawConfig, type RawConfig } from '../../raw/config.js';
import { SkipCollector, summarizeSkips } from '../../raw/skips.js';
import { readConfigFile, withGlobalOptions, type GlobalArgs } from '../options.js';

export const order = 20;

interface AlignArgs extends GlobalArgs {
  rawDir: string;
  json: boolean;
  reference?: string;
  maxRuns?: number;
  maxLagHours?: number;
}

/** The raw-reader part of a config file: its `raw` member if present, else the whole object. */
function rawConfigFrom(file: string | undefined): Partial<RawConfig> {
  const all = readConfigFile(file);
  const raw = all['raw'];
  return (raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? raw : all) as Partial<RawConfig>;
}

export const command: CommandModule<object, AlignArgs> = {
  command: 'align <raw-dir>',
  describe: 'measure per-source clock offsets (spans, logs, metrics, records) from raw telemetry, with evidence',
  builder: (y) =>
    withGlobalOptions(y)
      .positional('raw-dir', { type: 'string', demandOption: true, describe: 'raw data folder (data/, "no fault/")' })
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' })
      .option('reference', { type: 'string', choices: ['spans', 'logs', 'metrics'], describe: `reference clock (default ${alignDefaults.reference})` })
      .option('max-runs', { type: 'number', describe: `runs read (default ${alignDefaults.maxRuns})` })
      .option('max-lag-hours', { type: 'number', describe: `largest offset searched (default ${alignDefaults.maxLagHours} h)` }) as never,
  handler: async (args) => {
    const started = new Date();
    const cfg = normalizeRawConfig(rawConfigFrom(args.config));
    const skips = new SkipCollector();
    const warnings: string[] = [];
    const report = await measureAlignment(args.rawDir, cfg, {
      skips,
      warn: (m) => warnings.push(m),
      ...(args.reference === undefined ? {} : { reference: args.reference as TelemetrySource }),
      ...(args.maxRuns === undefined ? {} : { maxRuns: args.maxRuns }),
      ...(args.maxLagHours === undefined ? {} : { maxLagHours: args.maxLagHours }),
    });
    const toUse = offsetsToUse(report, cfg.offsets);
    const out = { ...report, offsetsToUse: toUse.offsets, weak: toUse.weak, skipped: skips.reports(), warnings };
    if (args.out !== undefined) {
      const manifest = startManifest({
        command: 'align',
        config: { raw: cfg, reference: args.reference ?? null, maxRuns: args.maxRuns ?? null, maxLagHours: args.maxLagHours ?? null },
        seeds: [],
        datasets: [describeDataset(args.rawDir, 'raw telemetry')],
        startedAt: started,
      });
      writeJsonAtomic(path.join(args.out, 'alignment.json'), out);
      finishManifest(manifest, args.out);
    }
    if (args.json) {
      console.log(JSON.stringify(out, null, 2));
      return;
    }
    for (const w of warnings) console.log(`warning: ${w}`);
    console.log('measured offsets (seconds added to each source):');
    for (const [src, off] of Object.entries(report.offsets)) console.log(`  ${src.padEnd(8)} ${String(off).padStart(8)} s  (${formatLag(off)})`);
    console.log('evidence:');
    for (const e of report.evidence) {
      if (e.source === e.reference) {
        console.log(`  ${e.source}: reference clock, ${e.note}`);
        continue;
      }
      const score = Number.isFinite(e.score) ? `r ${e.score.toFixed(3)}` : 'not measured';
      console.log(`  ${e.source} vs ${e.reference}: lag ${formatLag(e.lagSeconds)}, ${score}, ${e.method}`);
      console.log(`    ${e.note}`);
    }
    if (skips.total() > 0) {
      console.log(`skipped while reading (${skips.total()}):`);
      for (const line of args.verbose ? skips.format() : summarizeSkips(skips.reports())) console.log(`  ${line}`);
    }
    console.log('raw config to use:');
    console.log(JSON.stringify({ raw: { offsets: toUse.offsets } }, null, 2));
    if (toUse.weak.length > 0) {
      console.log('held out of the config above (weak evidence; the configured offset is kept):');
      for (const w of toUse.weak) console.log(`  ${w.source}: measured ${w.measured} s (${formatLag(w.measured)}), kept ${w.kept} s. To confirm: ${w.confirm}`);
    }
    if (args.out !== undefined) console.log(`wrote ${path.join(args.out, 'alignment.json')} and manifest.json`);
  },
};
