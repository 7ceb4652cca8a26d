/**
 * scripts/setup-system.sh, run by `npm test` before the tests: without root or sudo and without the
 * tools, it names the exact install command and the tests that will be skipped, and exits 0 so that
 * the other tests run; with everything present it says nothing.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const SCRIPT = path.resolve('scripts', 'setup-system.sh');

describe('scripts/setup-system.sh', () => {
  it('without root, sudo or the tools: prints the install command and the skips, exits 0', function () {
    // Run as an unprivileged user with a PATH that has neither the tools nor sudo.
    const setpriv = spawnSync('setpriv', ['--version'], { encoding: 'utf8' });
    if (process.getuid?.() !== 0 || setpriv.error !== undefined) {
      console.log('    pending: needs root and setpriv to run the script as an unprivileged user');
      this.skip();
    }
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-setup-bin-'));
    fs.chmodSync(bin, 0o755);
    fs.symlinkSync('/usr/bin/id', path.join(bin, 'id'));
    const run = (...args: string[]) => spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'env', `PATH=${bin}`, '/bin/bash', SCRIPT, ...args], { encoding: 'utf8' });
    const r = run();
    // `npm start` checks Chromium only (the main job's PNG figures).
    const start = run('chromium');
    fs.rmSync(bin, { recursive: true, force: true });
    assert.equal(start.status, 0, start.stderr);
    assert.match(start.stderr, /missing chromium, and no root/);
    assert.match(start.stderr, /apt-get install -y --no-install-recommends chromium\n/);
    assert.match(start.stderr, /figures are written as HTML only/);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /missing jupyter-nbconvert jupyter-client chromium, and no root or passwordless sudo/);
    assert.match(r.stderr, /sudo apt-get update && sudo apt-get install -y --no-install-recommends jupyter-nbconvert jupyter-client chromium/);
    assert.match(r.stderr, /notebook, PNG, WebGPU and SLURM tests they need are SKIPPED/);
  });

  it('with the tools present it installs nothing and prints nothing', function () {
    const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
    if (!have('jupyter-nbconvert') || !have('chromium')) {
      console.log('    pending: Jupyter or Chromium absent on this machine');
      this.skip();
    }
    const r = spawnSync('/bin/bash', [SCRIPT], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.equal(r.stdout + r.stderr, '');
  });
});
