import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { claimDefaults, claimFile, claimRun, readClaim, recordFailure, clearFailure, readFailure } from '../../src/experiments/claims.js';
import { runDir } from '../../src/experiments/store.js';

const tmpDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-claims-'));

/** A pid that surely belongs to no process now: one that has just exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('experiments/claims', () => {
  it('one claim per run: a live claim blocks, a released one does not, a finished run cannot be claimed', () => {
    const dir = tmpDir();
    const first = claimRun(dir, 'abc123', 0);
    assert.ok(first !== null);
    const record = JSON.parse(fs.readFileSync(claimFile(dir, 'abc123', 0), 'utf8'));
    assert.equal(record.host, os.hostname());
    assert.equal(record.pid, process.pid);
    assert.equal(claimRun(dir, 'abc123', 0), null, 'held by a live process (this one)');
    assert.ok(claimRun(dir, 'abc123', 1) !== null, 'another seed is another run');
    first.release();
    const again = claimRun(dir, 'abc123', 0);
    assert.ok(again !== null);
    again.release();
    fs.mkdirSync(runDir(dir, 'abc123', 0), { recursive: true });
    fs.writeFileSync(path.join(runDir(dir, 'abc123', 0), 'metrics.json'), '{}');
    assert.equal(claimRun(dir, 'abc123', 0), null, 'finished');
    const redo = claimRun(dir, 'abc123', 0, { redo: true });
    assert.ok(redo !== null, 'a finished run redone on purpose (its dataset changed) is claimed');
    assert.equal(claimRun(dir, 'abc123', 0, { redo: true }), null, 'by one process only');
    redo.release();
  });

  it('takes over a claim without a heartbeat for too long, and one whose process is gone', () => {
    const dir = tmpDir();
    const file = claimFile(dir, 'def456', 0);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ host: 'other-node', pid: 1, startedAt: '2026-01-01T00:00:00Z', slurmJob: '77_3' }));
    const old = new Date(Date.now() - (claimDefaults.staleAfterSeconds + 5) * 1000);
    fs.utimesSync(file, old, old);
    assert.equal(readClaim(file)?.stale, true);
    const reasons: string[] = [];
    const taken = claimRun(dir, 'def456', 0, { onTakeover: (_f, reason) => reasons.push(reason) });
    assert.ok(taken !== null);
    assert.match(reasons[0] ?? '', /no heartbeat for \d+ s/);
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).pid, process.pid);
    // A heartbeat keeps a claim fresh.
    fs.utimesSync(file, old, old);
    taken.heartbeat();
    assert.equal(readClaim(file)?.stale, false);
    taken.release();

    // Same host, dead process: stale at once, whatever its age.
    fs.writeFileSync(file, JSON.stringify({ host: os.hostname(), pid: deadPid(), startedAt: new Date().toISOString(), slurmJob: null }));
    assert.match(readClaim(file)?.reason ?? '', /is gone/);
    assert.ok(claimRun(dir, 'def456', 0) !== null);
    // A fresh claim of a live process elsewhere is respected.
    fs.writeFileSync(file, JSON.stringify({ host: 'other-node', pid: 1, startedAt: new Date().toISOString(), slurmJob: null }));
    assert.equal(claimRun(dir, 'def456', 0), null);
  });

  it('keeps a failure beside the run until cleared', () => {
    const dir = tmpDir();
    assert.equal(readFailure(dir, 'aaa', 2), null);
    recordFailure(dir, 'aaa', 2, 'Error: out of memory\n  at x');
    assert.match(readFailure(dir, 'aaa', 2)!.error, /out of memory/);
    clearFailure(dir, 'aaa', 2);
    assert.equal(readFailure(dir, 'aaa', 2), null);
  });

  it('processes racing for the same runs: each run claimed by exactly one', async function () {
    this.timeout(60_000);
    const dir = tmpDir();
    const claims = path.resolve('src/experiments/claims.ts');
    const store = path.resolve('src/experiments/store.ts');
    // Each racer walks the same 20 runs; a claimed run is "done" (metrics.json) after a short pause.
    const racer = path.join(dir, 'racer.mts');
    fs.writeFileSync(racer, `
      import * as fs from 'node:fs';
      import * as path from 'node:path';
      import { claimRun } from ${JSON.stringify(claims)};
      import { runDir } from ${JSON.stringify(store)};
      const [dir, id] = process.argv.slice(2);
      const won: number[] = [];
      for (let seed = 0; seed < 20; seed++) {
        const claim = claimRun(dir!, 'race', seed);
        if (claim === null) continue;
        won.push(seed);
        fs.appendFileSync(path.join(dir!, 'log.txt'), seed + ' ' + id + '\\n');
        await new Promise((r) => setTimeout(r, 20));
        fs.mkdirSync(runDir(dir!, 'race', seed), { recursive: true });
        fs.writeFileSync(path.join(runDir(dir!, 'race', seed), 'metrics.json'), '{}');
        claim.release();
      }
      process.stdout.write(JSON.stringify(won));
    `);
    const results = await Promise.all([0, 1, 2, 3].map((id) => new Promise<number[]>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', racer, dir, String(id)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`racer exited ${code}`))));
    })));
    const all = results.flat().sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: 20 }, (_, i) => i), 'every run claimed once, none twice');
    const log = fs.readFileSync(path.join(dir, 'log.txt'), 'utf8').trim().split('\n');
    assert.equal(log.length, 20);
  });
});
