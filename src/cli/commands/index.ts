/**
 * Every CLI command, discovered from this folder: each `<name>.ts` exports `command` (a yargs
 * CommandModule) and `order` (its place in `eadro --help`, pipeline order: simulate 10, align 20,
 * windows 30, export 35, train 40, evaluate 50, explain 55, reproduce 60, figures 70, bench 80, info 90).
 * Adding a command is adding a file; no shared list to edit.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CommandModule } from 'yargs';

interface CommandFile {
  command: CommandModule<object, never>;
  order?: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const files = fs
  .readdirSync(here)
  .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !/^index\.(ts|js)$/.test(f));

const loaded: CommandFile[] = [];
for (const f of files) {
  const mod = (await import(pathToFileURL(path.join(here, f)).href)) as Partial<CommandFile>;
  if (mod.command === undefined) throw new Error(`src/cli/commands/${f}: must export \`command\``);
  loaded.push({ command: mod.command, order: mod.order ?? 1000 });
}
loaded.sort((a, b) => (a.order ?? 1000) - (b.order ?? 1000));

export const commands: CommandModule<object, never>[] = loaded.map((c) => c.command);
