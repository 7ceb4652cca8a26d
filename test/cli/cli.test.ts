import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { commands } from '../../src/cli/commands/index.js';

const BIN = path.resolve('bin/eadro.js');

function eadro(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, EADRO_QUIET: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function commandName(c: { command?: string | readonly string[] }): string {
  const spec = Array.isArray(c.command) ? c.command[0] : c.command;
  return String(spec).split(' ')[0]!;
}

describe('cli', () => {
  it('--help lists every command', () => {
    const r = eadro('--help');
    assert.equal(r.status, 0);
    for (const c of commands) assert.match(r.stdout, new RegExp(`eadro ${commandName(c)}\\b`));
  });

  it('every command has --help with the shared flags', () => {
    for (const c of commands) {
      const r = eadro(commandName(c), '--help');
      assert.equal(r.status, 0, `${commandName(c)} --help: ${r.stderr}`);
      for (const flag of ['--seed', '--out', '--backend', '--verbose']) assert.match(r.stdout, new RegExp(flag));
    }
  });

  it('an unknown command exits non-zero with one clear message', () => {
    const r = eadro('no-such-command');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /Unknown argument: no-such-command/);
    assert.doesNotMatch(r.stderr, /\n\s+at /); // no stack trace
  });

  it('forcing an absent backend prints the install hint, no stack unless --verbose', () => {
    const r = eadro('info', '--backend', 'tensorflow');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /npm install @tensorflow\/tfjs-node/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    const v = eadro('info', '--backend', 'tensorflow', '--verbose');
    assert.match(v.stderr, /\n\s+at /);
  });
});
