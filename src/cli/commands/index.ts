/** Every CLI command, in the order `eadro --help` lists them (pipeline order). */
import type { CommandModule } from 'yargs';
import { infoCommand } from './info.js';

export const commands: CommandModule<object, never>[] = [infoCommand as unknown as CommandModule<object, never>];
