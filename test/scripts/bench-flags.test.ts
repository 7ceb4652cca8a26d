/**
 * The bench scripts refuse an unknown or value-less flag by name, before any work (node:util parseArgs,
 * strict): a bench that ignored a mistyped `--out` once overwrote the kept figures of results/bench/.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';

function bench(script: string, ...args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `scripts/bench/${script}`, ...args], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr ?? '' };
}

describe('scripts/bench flags', function () {
  this.timeout(60_000);

  it('refuses an unknown flag, naming it', () => {
    for (const script of ['eadro.ts', 'log-features.ts', 'windows.ts']) {
      const r = bench(script, '--outt', '/tmp/never.json');
      assert.notEqual(r.status, 0, script);
      assert.match(r.stderr, /Unknown option '--outt'/, script);
    }
  });

  it('refuses a flag without its value, naming it', () => {
    const r = bench('eadro.ts', '--no-export', '--out');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /Option '--out <value>' argument missing/);
  });
});
