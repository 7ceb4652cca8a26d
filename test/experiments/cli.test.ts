import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FAKE_METHODS } from './fixtures/experiments.js';

const BIN = path.resolve('bin/eadro.js');

function eadro(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, EADRO_QUIET: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('experiments/cli: eadro grid and eadro tables', function () {
  this.timeout(60_000);

  it('grid runs an experiment file and writes tables; tables rebuilds the same files from the store', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-cli-'));
    const file = path.join(dir, 'e.json');
    fs.writeFileSync(file, JSON.stringify({
      name: 'cli-test',
      datasets: [{ kind: 'generated', generator: 'toy', system: 'SN', params: { runs: 2, episodesPerRun: 2, windowsPerEpisode: 100, faultWindows: 80, nodes: 4 } }],
      methods: [{ name: 'all-anomalous' }, { name: 'random-guess' }],
      protocols: [{ name: 'temporal' }],
      seeds: [0, 1],
    }));
    const results = path.join(dir, 'results');
    const g = eadro('grid', file, '--out', results, '--pool', '0', '--extension', FAKE_METHODS, '--resamples', '100');
    assert.equal(g.status, 0, g.stderr);
    assert.match(g.stdout, /cli-test: 4 runs \(2 configurations x 2 seeds\)/);
    assert.match(g.stdout, /4 run\(s\) done, 0 already finished, 0 failed; 13 table files/);
    const t = eadro('tables', '--results', results, '--out', path.join(dir, 't2'), '--resamples', '100', '--extension', FAKE_METHODS);
    assert.equal(t.status, 0, t.stderr);
    for (const f of fs.readdirSync(path.join(results, 'tables', 'temporal'))) {
      assert.equal(fs.readFileSync(path.join(dir, 't2', 'temporal', f), 'utf8'), fs.readFileSync(path.join(results, 'tables', 'temporal', f), 'utf8'), f);
    }
  });
});
