/** `eadro reproduce [--quick]`: the main job (src/experiments/reproduce.ts). */
import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import { describeEstimate, loadEstimateBasis } from '../../experiments/estimate.js';
import { gridStatus } from '../../experiments/grid-select.js';
import { expandGrid } from '../../experiments/grid.js';
import { reproduce, reproduceDefaults, reproduceExperiment } from '../../experiments/reproduce.js';
import { withGlobalOptions, type GlobalArgs } from '../options.js';

export const order = 60;

interface ReproduceArgs extends GlobalArgs {
  quick: boolean;
  seeds?: number[];
  epochs?: number;
  pool?: number;
  figures: boolean;
  'dry-run': boolean;
}

export const command: CommandModule<object, ReproduceArgs> = {
  command: 'reproduce',
  describe: 'the main job: simulate TT and SN, build windows, run Eadro and ablations under two protocols, write tables, report and figures',
  builder: (y) =>
    withGlobalOptions(y)
      .option('quick', { type: 'boolean', default: false, describe: 'the quick form (about 15 min on 2 cores); without it, the paper-sized grid' })
      .option('seeds', { type: 'array', number: true, describe: 'seeds of the runs (default: quick 0; full 0..4)' })
      .option('epochs', { type: 'number', describe: 'override Eadro max epochs' })
      .option('pool', { type: 'number', describe: 'worker processes (default 2)' })
      .option('figures', { type: 'boolean', default: true, describe: 'write figures (--no-figures to skip)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'print the runs left to do and their estimated time per backend; run nothing' }) as never,
  handler: async (args) => {
    const form = args.quick ? 'quick' : 'full';
    const out = args.out ?? path.join('results', `reproduce-${form}`);
    if (args['dry-run']) {
      const runs = expandGrid(reproduceExperiment(form, { seeds: args.seeds, maxEpochs: args.epochs, profile: args.profile }));
      const todo = gridStatus(path.join(out, 'runs-store'), runs).filter((s) => s.state !== 'done').map((s) => s.run!);
      const pool = args.pool ?? reproduceDefaults.poolSize;
      console.log(`eadro reproduce${args.quick ? ' --quick' : ''}: ${runs.length} runs, ${runs.length - todo.length} finished in ${out}/runs-store, ${todo.length} to do; estimated time of those:`);
      for (const line of describeEstimate(todo, loadEstimateBasis(), pool)) console.log(`  ${line}`);
      console.log(`On a cluster: eadro grid experiments/reproduce-${form}.ts --out ${out}/runs-store --emit slurm (README, Grids on a cluster).`);
      return;
    }
    const r = await reproduce({
      form,
      out,
      seeds: args.seeds,
      maxEpochs: args.epochs,
      poolSize: args.pool,
      backend: args.backend,
      figures: args.figures,
      profile: args.profile,
    });
    console.log(`report: ${r.reportFile}`);
    for (const t of r.tables.filter((f) => f.endsWith('.md'))) console.log(`table: ${t}`);
    for (const f of r.figures) console.log(`figure: ${path.join(out, f)}`);
    if (r.failed.length > 0) {
      console.error(`${r.failed.length} run(s) failed; rerun the same command to retry them.`);
      process.exitCode = 1;
    }
  },
};
