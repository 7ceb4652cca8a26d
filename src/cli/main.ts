/**
 * The `eadro` command line. Commands live one per file in `./commands/` and only parse flags and call
 * the library. Errors print one clear message and exit non-zero; stack traces only with --verbose.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EadroError } from '../core/errors.js';
import { commands } from './commands/index.js';

export async function runCli(argv: string[]): Promise<void> {
  const verbose = argv.includes('--verbose');
  let cli = yargs(argv)
    .scriptName('eadro')
    .usage('$0 <command> [options]\n\nEadro (ICSE\'23) in TypeScript: simulate telemetry, build windows, train and evaluate.')
    .strict()
    .demandCommand(1, 'Name a command; see the list above.')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((msg, err, y) => {
      if (err) throw err;
      console.error(y.help === undefined ? msg : `${msg}\nRun with --help for usage.`);
      process.exit(2);
    });
  for (const command of commands) cli = cli.command(command as never);
  try {
    await cli.parseAsync();
  } catch (err) {
    if (err instanceof EadroError) console.error(`eadro: ${err.message}`);
    else console.error(`eadro: ${err instanceof Error ? err.message : String(err)}`);
    if (verbose && err instanceof Error && err.stack) console.error(err.stack);
    process.exitCode = 1;
  }
}

await runCli(hideBin(process.argv));
