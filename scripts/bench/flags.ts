/**
 * Command-line flags of the bench scripts: `--name value` or `--name` alone, and positionals.
 * A flag a script does not know is refused by name: a bench silently ignoring a mistyped `--out`
 * once overwrote the kept figures of results/bench/.
 */
import { EadroError } from '../../src/core/errors.js';

export interface BenchFlagSpec {
  /** Flags followed by a value. */
  valued: readonly string[];
  /** Flags that stand alone (booleans). */
  alone?: readonly string[];
  /** How many positional arguments the script takes (default 0). */
  positionals?: number;
}

export interface BenchFlags {
  value(name: string): string | undefined;
  has(name: string): boolean;
  positionals: string[];
}

export function parseBenchFlags(argv: readonly string[], spec: BenchFlagSpec): BenchFlags {
  const values = new Map<string, string>();
  const present = new Set<string>();
  const positionals: string[] = [];
  const alone = spec.alone ?? [];
  const known = [...spec.valued, ...alone].map((f) => `--${f}`).join(', ');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      if (positionals.length >= (spec.positionals ?? 0)) throw new EadroError('Unexpected argument.', { field: a, expected: `flags: ${known}` });
      positionals.push(a);
      continue;
    }
    const name = a.slice(2);
    if (spec.valued.includes(name)) {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new EadroError('Flag without its value.', { field: a, expected: 'a value after it' });
      values.set(name, v);
      present.add(name);
      i++;
    } else if (alone.includes(name)) {
      present.add(name);
    } else {
      throw new EadroError('Unknown flag.', { field: a, expected: known });
    }
  }
  return { value: (name) => values.get(name), has: (name) => present.has(name), positionals };
}
