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

/** A grid of two trivial baselines on toy data (the `toy` generator of FAKE_METHODS) in a fresh folder. */
function toyExperiment(name: string, seeds: number[]): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-cli-'));
  const file = path.join(dir, 'e.json');
  fs.writeFileSync(file, JSON.stringify({
    name,
    datasets: [{ kind: 'generated', generator: 'toy', system: 'SN', params: { runs: 2, episodesPerRun: 2, windowsPerEpisode: 100, faultWindows: 80, nodes: 4 } }],
    methods: [{ name: 'all-anomalous' }, { name: 'random-guess' }],
    protocols: [{ name: 'temporal' }],
    seeds,
  }));
  return { dir, file };
}

describe('experiments/cli: eadro grid and eadro tables', function () {
  this.timeout(60_000);

  it('grid runs an experiment file and writes tables; tables rebuilds the same files from the store', () => {
    const { dir, file } = toyExperiment('cli-test', [0, 1]);
    const results = path.join(dir, 'results');
    const g = eadro('grid', file, '--out', results, '--pool', '0', '--extension', FAKE_METHODS, '--resamples', '100');
    assert.equal(g.status, 0, g.stderr);
    assert.match(g.stdout, /cli-test: 4 runs \(2 configurations\) into /);
    assert.match(g.stdout, /4 run\(s\) done, 0 already finished, 0 failed\n13 table files/);
    const t = eadro('tables', '--results', results, '--out', path.join(dir, 't2'), '--resamples', '100', '--extension', FAKE_METHODS);
    assert.equal(t.status, 0, t.stderr);
    for (const f of fs.readdirSync(path.join(results, 'tables', 'temporal'))) {
      assert.equal(fs.readFileSync(path.join(dir, 't2', 'temporal', f), 'utf8'), fs.readFileSync(path.join(results, 'tables', 'temporal', f), 'utf8'), f);
    }
  });

  it('--only runs part of a grid, --dry-run and status tell what is done and what it costs, errors name the flag', () => {
    const { dir, file } = toyExperiment('cli-steer', [0, 1, 2]);
    const results = path.join(dir, 'results');
    const part = eadro('grid', file, '--out', results, '--pool', '0', '--only', 'method=random-guess,seed=1-2', '--resamples', '100', '--extension', FAKE_METHODS);
    assert.equal(part.status, 0, part.stderr);
    assert.match(part.stdout, /cli-steer: 2 runs \(1 configurations\) \(--only method=random-guess,seed=1-2: 2 of 6\)/);
    assert.match(part.stdout, /2 run\(s\) done, 0 already finished, 0 failed/);
    const dry = eadro('grid', file, '--out', results, '--dry-run');
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /state: 2 done, 0 claimed, 0 stale claim, 0 failed, 4 to do/);
    assert.match(dry.stdout, /done +[0-9a-f]{12}\/1 random-guess SN temporal seed 1/);
    assert.match(dry.stdout, /wasm: no estimate \(generated dataset: its window count is known only once its windows are built\)/);
    const status = eadro('grid', 'status', results, '--experiment', file);
    assert.match(status.stdout, /: 2 done, 0 claimed, 0 stale claim, 0 failed, 4 to do/);
    assert.match(eadro('grid', 'status', results).stdout, /: 2 done, .* \(runs never started are not listed without --experiment\)/);
    const bad = eadro('grid', file, '--out', results, '--only', 'colour=red');
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /Cannot read --only[\s\S]*found: colour=red/);
  });

  it('the full reproduction: --dry-run estimates it per backend from the kept benchmark, --only picks from it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-cli-'));
    const dry = eadro('reproduce', '--dry-run', '--out', dir);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /eadro reproduce: 460 runs, 0 finished in .*, 460 to do/);
    assert.match(dry.stdout, /wasm: [\d.]+ days of runs \(4[0-9][0-9] runs\), about [\d.]+ days on 2 process\(es\)/);
    assert.match(dry.stdout, /tensorflow-gpu: no estimate \(no main-job benchmark on the tensorflow-gpu backend yet\)/);
    const only = eadro('grid', 'experiments/reproduce-full.ts', '--out', dir, '--dry-run', '--only', 'system=sn,method=eadro,ablation=none,variant=paper,seed=0-1');
    assert.equal(only.status, 0, only.stderr);
    assert.match(only.stdout, /4 runs \(2 configurations\) \(--only system=sn,method=eadro,ablation=none,variant=paper,seed=0-1: 4 of 460\)/);
    assert.match(only.stdout, /wasm: .* of runs \(4 runs\)/);
  });
});
