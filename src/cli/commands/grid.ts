/** `eadro grid <experiment-file>`: run an experiment's grid on a pool of worker processes, then write the tables. */
import type { CommandModule } from 'yargs';
import { loadExperimentFile, expandGrid } from '../../experiments/grid.js';
import { runExperiment } from '../../experiments/experiment.js';
import { runnerDefaults } from '../../experiments/runner.js';
import { aggregateDefaults } from '../../experiments/aggregate.js';
import { withGlobalOptions, type GlobalArgs } from '../options.js';

export const order = 58;

interface GridArgs extends GlobalArgs {
  file: string;
  pool: number;
  extension: string[];
  resamples: number;
}

export const command: CommandModule<object, GridArgs> = {
  command: 'grid <file>',
  describe: 'run every unfinished run of an experiment file (experiments/*.ts) and write the paper tables',
  builder: (y) =>
    withGlobalOptions(y)
      .positional('file', { type: 'string', demandOption: true, describe: 'experiment file exporting `experiment` (or JSON)' })
      .option('pool', { type: 'number', default: runnerDefaults.poolSize, describe: 'worker processes (0 = in this process)' })
      .option('extension', { type: 'string', array: true, default: [] as string[], describe: 'extra module(s) exporting methods / dataset generators' })
      .option('resamples', { type: 'number', default: aggregateDefaults.resamples, describe: 'cluster-bootstrap resamples for the tables' }) as never,
  handler: async (args) => {
    const experiment = await loadExperimentFile(args.file);
    const resultsDir = args.out ?? 'results';
    const runs = expandGrid(experiment);
    console.log(`${experiment.name}: ${runs.length} runs (${new Set(runs.map((r) => r.configHash)).size} configurations x ${experiment.seeds.length} seeds) into ${resultsDir}/runs`);
    const r = await runExperiment(experiment, { resultsDir, poolSize: args.pool, extensions: args.extension, tables: { resamples: args.resamples, extensions: args.extension } });
    const s = r.summary;
    console.log(`${s.completed} run(s) done, ${s.skipped} already finished, ${s.failed.length} failed; ${r.tables.length} table files in ${resultsDir}/tables`);
    for (const f of s.failed) console.log(`  failed ${f.key}: ${f.error.split('\n')[0]}`);
    if (s.failed.length > 0) process.exitCode = 1;
  },
};
