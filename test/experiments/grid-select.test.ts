import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { claimRun, recordFailure } from '../../src/experiments/claims.js';
import { defineExperiment } from '../../src/experiments/config.js';
import { expandGrid } from '../../src/experiments/grid.js';
import { describeRun, gridStatus, parseOnly, selectRuns, statusCounts } from '../../src/experiments/grid-select.js';
import { runDir } from '../../src/experiments/store.js';

const grid = expandGrid(defineExperiment({
  name: 'select',
  datasets: [{ kind: 'testbed', system: 'TT', profile: 'tiny', seed: 0 }, { kind: 'testbed', system: 'SN', profile: 'tiny', seed: 0 }],
  methods: [{ name: 'eadro', variant: 'paper' }, { name: 'eadro', variant: 'paper', ablation: 'without-logs', onlyProtocols: ['temporal'] }, { name: 'n-sigma' }],
  protocols: [{ name: 'temporal' }, { name: 'reference-random' }],
  seeds: [0, 1, 2, 3],
}));

describe('experiments/grid-select', () => {
  it('--only picks by any axis: AND across keys, OR within one, seed ranges, hash prefixes, any case', () => {
    assert.equal(grid.length, 2 * (2 + 1 + 2) * 4);
    const tt = selectRuns(grid, parseOnly('system=tt,method=eadro,seed=0-2'));
    assert.equal(tt.length, (2 + 1) * 3);
    assert.ok(tt.every((r) => r.spec.dataset.kind === 'testbed' && r.spec.dataset.system === 'TT' && r.spec.method.name === 'eadro' && r.seed <= 2));
    assert.equal(selectRuns(grid, parseOnly('method=eadro,method=n-sigma,ablation=none,protocol=temporal,seed=3')).length, 2 * 2);
    assert.equal(selectRuns(grid, parseOnly('ablation=without-logs')).length, 2 * 4);
    const one = grid[5]!;
    assert.deepEqual(selectRuns(grid, parseOnly(`hash=${one.configHash.slice(0, 6)},seed=${one.seed}`)), [one]);
    assert.equal(selectRuns(grid, parseOnly('profile=paper')).length, 0);
  });

  it('--only errors name the part it cannot read and the keys it knows', () => {
    assert.throws(() => parseOnly('sytem=tt'), /field: --only[\s\S]*keys: system, dataset[\s\S]*found: sytem=tt/);
    assert.throws(() => parseOnly('seed=3-1'), /low <= high[\s\S]*found: seed=3-1/);
    assert.throws(() => parseOnly('seed=a'), /seed=N or seed=low-high/);
    assert.throws(() => parseOnly('method'), /found: method/);
  });

  it('status: done, claimed, stale claim, failed and to do, with or without the grid', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-status-'));
    const [a, b, c, d] = grid;
    fs.mkdirSync(runDir(dir, a!.configHash, a!.seed), { recursive: true });
    fs.writeFileSync(path.join(runDir(dir, a!.configHash, a!.seed), 'metrics.json'), '{}');
    const held = claimRun(dir, b!.configHash, b!.seed)!;
    recordFailure(dir, c!.configHash, c!.seed, 'Error: boom\nstack');
    const stale = `${runDir(dir, d!.configHash, d!.seed)}.claim.json`;
    fs.writeFileSync(stale, JSON.stringify({ host: 'node7', pid: 1, startedAt: '2026-01-01T00:00:00Z', slurmJob: '12_4' }));
    const old = new Date(Date.now() - 3600_000);
    fs.utimesSync(stale, old, old);

    const withGrid = gridStatus(dir, grid.slice(0, 6));
    assert.deepEqual(withGrid.map((s) => s.state), ['done', 'claimed', 'failed', 'stale claim', 'to do', 'to do']);
    assert.match(withGrid[1]!.detail, new RegExp(`${os.hostname()} pid ${process.pid}`));
    assert.match(withGrid[2]!.detail, /Error: boom$/);
    assert.match(withGrid[3]!.detail, /node7 pid 1 \(SLURM 12_4\)[\s\S]*no heartbeat/);
    assert.match(describeRun(withGrid[2]!), /^failed +[0-9a-f]{12}\/\d eadro TT temporal seed \d/);
    assert.deepEqual(statusCounts(withGrid), { done: 1, claimed: 1, 'stale claim': 1, failed: 1, 'to do': 2 });
    // Without the grid: what the store knows (never-started runs are not there to list).
    const fromStore = gridStatus(dir, null);
    assert.deepEqual(statusCounts(fromStore), { done: 1, claimed: 1, 'stale claim': 1, failed: 1, 'to do': 0 });
    held.release();
    assert.throws(() => gridStatus(path.join(dir, 'nowhere'), null), /No results store here[\s\S]*file: .*nowhere\/runs/);
  });
});
