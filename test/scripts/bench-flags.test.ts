/** scripts/bench/flags.ts: values, booleans, positionals, and unknown or incomplete flags refused by name. */
import { strict as assert } from 'node:assert';
import { EadroError } from '../../src/core/errors.js';
import { parseBenchFlags } from '../../scripts/bench/flags.js';

describe('scripts/bench/flags', () => {
  const spec = { valued: ['out', 'windows'], alone: ['no-export'], positionals: 1 };

  it('reads values, flags standing alone and the positional', () => {
    const f = parseBenchFlags(['raw', '--windows', '256', '--no-export', '--out', '/tmp/x.json'], spec);
    assert.equal(f.value('windows'), '256');
    assert.equal(f.value('out'), '/tmp/x.json');
    assert.equal(f.has('no-export'), true);
    assert.equal(f.has('windows'), true);
    assert.equal(f.value('missing'), undefined);
    assert.deepEqual(f.positionals, ['raw']);
  });

  it('refuses an unknown flag, a flag without its value and a surplus argument, naming it', () => {
    const refused = (argv: string[], field: string, message: RegExp): void =>
      assert.throws(() => parseBenchFlags(argv, spec), (e: unknown) => e instanceof EadroError && e.details.field === field && message.test(e.message));
    refused(['--outt', 'x'], '--outt', /Unknown flag[\s\S]*--out, --windows, --no-export/);
    refused(['--out'], '--out', /without its value/);
    refused(['--out', '--no-export'], '--out', /without its value/);
    refused(['a', 'b'], 'b', /Unexpected argument/);
  });
});
