/**
 * `eadro figures`: regenerate every figure that can be made from what exists into --out (default
 * results/figures): HTML + PNG per figure, figures.json and manifest.json.
 * Figs. 2-4 (motivation) come from raw telemetry: a folder given by --raw (released layout), or by
 * default a fresh `tiny` TrainTicket testbed simulation; --source synthetic uses synthetic data.
 * Figs. 6 and 7 need a trained model, which does not exist yet: they are drawn from synthetic data,
 * and the output says so for every figure.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { describeDataset, finishManifest, startManifest, type DatasetInfo } from '../../core/manifest.js';
import { catalogDefaults, syntheticFigureSet, syntheticModelFigures, telemetryMotivationFigures, type FigureEntry } from '../../figures/catalog.js';
import { exportFigures } from '../../figures/export.js';
import { loadMotivationData } from '../../figures/motivation-data.js';
import { simulate, type ProfileName } from '../../testbed/index.js';
import { withGlobalOptions, type GlobalArgs } from '../options.js';

export const order = 70;

interface FiguresArgs extends GlobalArgs {
  source: 'testbed' | 'synthetic';
  raw?: string;
  png: boolean;
  svg: boolean;
  tsneIterations: number;
}

export const figuresDefaults = {
  /** Output folder (README layout: results/figures). */
  out: 'results/figures',
  /** Testbed simulated for Figs. 2-4 when no --raw is given (ours: TT has the paper's services). */
  testbedSystem: 'tt' as const,
  /** Its profile unless --profile names one (ours: tiny simulates in seconds). */
  testbedProfile: 'tiny' as ProfileName,
};

export const command: CommandModule<object, FiguresArgs> = {
  command: 'figures',
  describe: 'regenerate every figure (HTML + PNG) into results/figures: Figs. 2-4 from testbed telemetry, 6-7 synthetic until a model exists',
  builder: (y) =>
    withGlobalOptions(y)
      .option('source', {
        type: 'string', default: 'testbed', choices: ['testbed', 'synthetic'],
        describe: 'data behind Figs. 2-4: testbed telemetry (simulated, or --raw) or synthetic; Figs. 6-7 are synthetic until a trained model exists',
      })
      .option('raw', { type: 'string', describe: 'raw telemetry folder (released layout: data/, "no fault/") for Figs. 2-4 instead of simulating' })
      .option('png', { type: 'boolean', default: true, describe: 'write PNGs (needs chromium); --no-png writes HTML only' })
      .option('svg', { type: 'boolean', default: false, describe: 'also write SVGs (needs chromium)' })
      .option('tsne-iterations', { type: 'number', default: catalogDefaults.tsneIterations, describe: 't-SNE iterations for Fig. 7' }) as unknown as Argv<FiguresArgs>,
  handler: async (args) => {
    const outDir = path.resolve(args.out ?? figuresDefaults.out);
    const config = { source: args.source, raw: args.raw ?? null, profile: args.profile ?? figuresDefaults.testbedProfile, png: args.png, svg: args.svg, tsneIterations: args.tsneIterations, out: outDir };
    const datasets: DatasetInfo[] = [];
    const manifest = startManifest({ command: 'figures', config, seeds: [args.seed], datasets });
    let entries: FigureEntry[];
    if (args.source === 'synthetic') {
      console.log(`figures: all from synthetic data (seed ${args.seed})`);
      entries = syntheticFigureSet(args.seed, { tsneIterations: args.tsneIterations });
    } else {
      let scratch: string | null = null;
      try {
        let rawRoot: string;
        let description: string;
        if (args.raw === undefined) {
          // simulate() validates the profile name and says which ones exist.
          const profile = (args.profile ?? figuresDefaults.testbedProfile) as ProfileName;
          scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-figures-testbed-'));
          rawRoot = scratch;
          description = `testbed simulation (${figuresDefaults.testbedSystem}, ${profile}, seed ${args.seed})`;
          await simulate({ system: figuresDefaults.testbedSystem, profile, seed: args.seed, out: rawRoot });
        } else {
          rawRoot = path.resolve(args.raw);
          description = `raw telemetry ${rawRoot}`;
        }
        datasets.push(describeDataset(rawRoot, description));
        const data = await loadMotivationData(rawRoot);
        console.log(`figures: Figs. 2-4 from ${description}, run ${data.run}${data.skipped > 0 ? ` (reader skipped ${data.skipped} items)` : ''}`);
        console.log(`figures: Figs. 6-7 from synthetic data (seed ${args.seed}): no trained model exists yet`);
        entries = [...telemetryMotivationFigures(data, description, args.raw === undefined ? 'testbed' : 'telemetry'), ...syntheticModelFigures(args.seed, { tsneIterations: args.tsneIterations })];
      } finally {
        if (scratch !== null) fs.rmSync(scratch, { recursive: true, force: true });
      }
    }
    const written = await exportFigures(entries, outDir, { png: args.png, svg: args.svg });
    finishManifest(manifest, outDir);
    for (const w of written) {
      const files = [w.files.html, w.files.png, w.files.svg].filter((f) => f !== undefined).join(', ');
      console.log(`  ${w.paperFigure.padEnd(14)} ${w.id.padEnd(16)} [${w.source}] ${files}`);
    }
    console.log(`wrote ${written.length} figures to ${outDir} (figures.json, manifest.json)`);
  },
};
