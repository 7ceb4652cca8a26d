/** `eadro tables`: rebuild the paper tables (Markdown, CSV, LaTeX; one set per protocol) from the stored runs. */
import type { CommandModule } from 'yargs';
import { aggregateDefaults } from '../../experiments/aggregate.js';
import { writeTablesFromStore } from '../../experiments/report.js';
import { withGlobalOptions, type GlobalArgs } from '../options.js';

export const order = 59;

interface TablesArgs extends GlobalArgs {
  results: string;
  resamples: number;
  extension: string[];
  'paper-on-other-data': string;
}

export const command: CommandModule<object, TablesArgs> = {
  command: 'tables',
  describe: 'rebuild the paper tables from results/runs (our numbers beside the paper\'s, per protocol)',
  builder: (y) =>
    withGlobalOptions(y)
      .option('results', { type: 'string', default: 'results', describe: 'results folder holding runs/' })
      .option('resamples', { type: 'number', default: aggregateDefaults.resamples, describe: 'cluster-bootstrap resamples' })
      .option('extension', { type: 'string', array: true, default: [] as string[], describe: 'extra method module(s), so their rows read "not run" rather than "not implemented"' })
      .option('paper-on-other-data', { type: 'string', choices: ['mark', 'omit'], default: 'mark', describe: 'the paper\'s values beside results on data that is not the paper\'s (raw data without paperData: true, generated windows): marked "(TT, other data)" or left out' }) as never,
  handler: async (args) => {
    const files = await writeTablesFromStore(args.results, { resamples: args.resamples, extensions: args.extension, otherDataPaperValues: args['paper-on-other-data'] as 'mark' | 'omit', ...(args.out === undefined ? {} : { outDir: args.out }) });
    if (files.length === 0) console.log(`no finished runs under ${args.results}/runs: nothing to tabulate`);
    else console.log(`${files.length} table files written to ${args.out ?? `${args.results}/tables`}`);
  },
};
