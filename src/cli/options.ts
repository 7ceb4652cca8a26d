/**
 * Flags shared by every command, so that `--seed`, `--out`, `--backend`, `--profile`, `--config` and
 * `--verbose` mean the same thing everywhere.
 */
import { BACKEND_PREFERENCE } from '../core/backend.js';
import * as fs from 'node:fs';
import type { Argv } from 'yargs';
import { EadroError } from '../core/errors.js';

export interface GlobalArgs {
  seed: number;
  out?: string;
  backend: string;
  profile?: string;
  config?: string;
  verbose: boolean;
}

export function withGlobalOptions<T>(y: Argv<T>): Argv<T & GlobalArgs> {
  return y
    .option('seed', { type: 'number', default: 0, describe: 'seed of every random choice (non-negative integer)' })
    .option('out', { type: 'string', describe: 'output directory' })
    .option('backend', {
      type: 'string',
      default: 'auto',
      choices: ['auto', ...BACKEND_PREFERENCE],
      describe: `TensorFlow.js backend (auto: ${BACKEND_PREFERENCE.join(' > ')}; webgpu automatically only on a hardware GPU adapter); also EADRO_BACKEND`,
    })
    .option('profile', { type: 'string', describe: 'size profile (paper | quick | tiny), where the command has one' })
    .option('config', { type: 'string', describe: 'JSON config file; flags override its values' })
    .option('verbose', { type: 'boolean', default: false, describe: 'print stack traces on errors' }) as unknown as Argv<
    T & GlobalArgs
  >;
}

/** Read a JSON config file given by --config, with a clear error if it is missing or malformed. */
export function readConfigFile(file: string | undefined): Record<string, unknown> {
  if (file === undefined) return {};
  if (!fs.existsSync(file)) throw new EadroError('Config file not found.', { file, field: '--config' });
  try {
    const value: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new EadroError('Config file must hold a JSON object.', { file, expected: '{ ... }' });
    }
    return value as Record<string, unknown>;
  } catch (err) {
    if (err instanceof EadroError) throw err;
    throw new EadroError('Config file is not valid JSON.', { file, found: (err as Error).message });
  }
}
