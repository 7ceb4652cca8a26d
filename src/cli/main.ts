/**
 * The `eadro` command line. Commands live one per file in `./commands/` and only parse flags and call
 * the library. Errors print one clear message and exit non-zero; stack traces only with --verbose.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EadroError, fileSystemError } from '../core/errors.js';
import { codeVersion } from '../core/manifest.js';
import { commands } from './commands/index.js';

/** `eadro-ts 0.1.0 (commit abc123def456, modified)`: what `--version` prints. */
export function versionText(): string {
  const v = codeVersion();
  const commit = v.commit === null ? 'not a git checkout' : `commit ${v.commit.slice(0, 12)}${v.dirty === true ? ', modified' : ''}`;
  return `eadro-ts ${v.package} (${commit})`;
}

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
    .version('version', 'print the version (package and git commit) and exit', versionText())
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((msg, err, y) => {
      if (err) throw err;
      console.error(y.help === undefined ? msg : `${msg}\nRun with --help for usage.`);
      process.exit(2);
    });
  for (const command of commands) cli = cli.command(command as never);
  try {
    await cli.parseAsync();
  } catch (caught) {
    // Node's raw file-system errors (ENOENT ...) are shown as our error block: file, what was expected.
    const err = fileSystemError(caught) ?? caught;
    if (err instanceof EadroError) console.error(`eadro: ${err.message}`);
    else console.error(`eadro: ${err instanceof Error ? err.message : String(err)}`);
    if (verbose && err instanceof Error && err.stack) console.error(err.stack);
    process.exitCode = 1;
  }
}

await runCli(hideBin(process.argv));
