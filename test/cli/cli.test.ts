import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
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

  it('--version prints the package version and commit', () => {
    const r = eadro('--version');
    assert.equal(r.status, 0);
    const pkg = JSON.parse(fs.readFileSync(path.resolve('package.json'), 'utf8')) as { version: string };
    assert.match(r.stdout.trim(), new RegExp(`^eadro-ts ${pkg.version.replace(/\./g, '\\.')} \\((commit [0-9a-f]{12}(, modified)?|not a git checkout)\\)$`));
  });

  it('a missing input folder is reported in our error block (file, expected), not as a raw ENOENT', () => {
    const r = eadro('windows', path.join(os.tmpdir(), 'eadro-no-such-raw-folder'), '--out', path.join(os.tmpdir(), 'eadro-no-such-out'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^eadro: A file or folder does not exist\.\n  file: .*eadro-no-such-raw-folder\n  expected: an existing file or folder\n  found: ENOENT/);
    assert.doesNotMatch(r.stderr, /no such file or directory, stat/);
  });
});

