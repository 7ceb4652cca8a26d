import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { computeMetrics } from '../../src/evaluation/metrics.js';
import { defineExperiment } from '../../src/experiments/config.js';
import { expandGrid } from '../../src/experiments/grid.js';
import { failureFile, readFailure } from '../../src/experiments/claims.js';
import { runGrid } from '../../src/experiments/runner.js';
import { isRunFinished, listFinishedRuns, runDir, storedDatasetChecksum } from '../../src/experiments/store.js';
import { simulate } from '../../src/testbed/index.js';
import { FAKE_METHODS, slowGrid, smallGrid } from './fixtures/experiments.js';

const tmpDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-runner-'));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every file under a folder with its mtime (ns), relative path → mtime. */
function mtimes(root: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(root, p), fs.statSync(p, { bigint: true }).mtimeNs);
    }
  };
  if (fs.existsSync(root)) walk(root);
  return out;
}

describe('experiments/runner', function () {
  this.timeout(60_000);
  let quietBefore: string | undefined;
  before(() => {
    quietBefore = process.env['EADRO_QUIET'];
    process.env['EADRO_QUIET'] = '1';
  });
  after(() => {
    if (quietBefore === undefined) delete process.env['EADRO_QUIET'];
    else process.env['EADRO_QUIET'] = quietBefore;
  });

  it('runs in-process, stores predictions, manifest and metrics; a rerun skips and touches nothing', async () => {
    const dir = tmpDir();
    const runs = expandGrid(smallGrid).slice(0, 4);
    const s = await runGrid(runs, { resultsDir: dir, poolSize: 0, extensions: [FAKE_METHODS] });
    assert.deepEqual(s, { total: 4, skipped: 0, completed: 4, failed: [], claimedElsewhere: [] });
    for (const r of runs) {
      const d = runDir(dir, r.configHash, r.seed);
      const manifest = JSON.parse(fs.readFileSync(path.join(d, 'manifest.json'), 'utf8'));
      assert.equal(manifest.configHash, r.configHash, 'manifest hash = folder name');
      assert.deepEqual(manifest.seeds, [r.seed]);
      assert.equal(manifest.protocol, r.spec.protocol.name);
      assert.ok(manifest.endedAt !== null);
    }
    // Metrics are computed by the harness from the stored predictions, the same way for every method.
    for (const run of listFinishedRuns(dir)) {
      // Window-level keys are recomputable from predictions.json alone; the episode-level ones (ep.*) also need window starts from the dataset.
      const windowLevel = Object.fromEntries(Object.entries(run.metrics.metrics).filter(([k]) => !k.startsWith('ep.')));
      assert.deepEqual(windowLevel, computeMetrics(run.predictions, run.metrics.metrics['inferUsPerWindow'] ?? null));
      const episodeRecall = run.metrics.metrics['ep.recall'];
      assert.ok(typeof episodeRecall === 'number' && episodeRecall >= 0 && episodeRecall <= 1, `ep.recall stored (${episodeRecall})`);
      assert.ok(run.metrics.perFold.every((m) => 'ep.recall' in m), 'ep.recall stored per fold');
      assert.equal(run.predictions.windows.length, run.metrics.splits[0]!.test);
    }
    const before = mtimes(dir);
    const again = await runGrid(runs, { resultsDir: dir, poolSize: 0, extensions: [FAKE_METHODS] });
    assert.deepEqual(again, { total: 4, skipped: 4, completed: 0, failed: [], claimedElsewhere: [] });
    assert.deepEqual(mtimes(dir), before);
  });

  it('runs on a pool of worker processes; a failing method is reported and retried on rerun', async () => {
    const dir = tmpDir();
    const e = defineExperiment({ ...smallGrid, methods: [{ name: 'fake-noisy-oracle' }, { name: 'fake-crash' }], protocols: [{ name: 'temporal' }], seeds: [0] });
    const runs = expandGrid(e);
    const events: string[] = [];
    const s = await runGrid(runs, { resultsDir: dir, poolSize: 2, extensions: [FAKE_METHODS], onEvent: (ev) => events.push(ev.type) });
    assert.equal(s.completed, 2);
    assert.equal(s.failed.length, 2);
    assert.match(s.failed[0]!.error, /fake-crash: deliberate failure/);
    assert.ok(events.includes('progress'), 'per-run progress reaches the runner');
    const crashed = runs.filter((r) => r.spec.method.name === 'fake-crash');
    for (const r of crashed) assert.equal(isRunFinished(runDir(dir, r.configHash, r.seed)), false);
    // The error is kept beside the run (eadro grid status shows it); no claim is left behind.
    for (const r of crashed) {
      assert.match(readFailure(dir, r.configHash, r.seed)?.error ?? '', /fake-crash: deliberate failure/);
      assert.equal(fs.existsSync(`${runDir(dir, r.configHash, r.seed)}.claim.json`), false);
    }
    const ok = runs.find((r) => r.spec.method.name !== 'fake-crash')!;
    assert.equal(fs.existsSync(failureFile(dir, ok.configHash, ok.seed)), false);
    // (in-process here: the retry logic is the runner's, and worker start-up is slow on a loaded machine)
    const again = await runGrid(runs, { resultsDir: dir, poolSize: 0, extensions: [FAKE_METHODS] });
    assert.equal(again.skipped, 2);
    assert.equal(again.failed.length, 2, 'failed runs are retried, not skipped');
  });

  it('a finished run is done again when its dataset has changed since (its stored checksum differs)', async () => {
    const dir = tmpDir();
    const raw = path.join(tmpDir(), 'raw');
    await simulate({ system: 'sn', profile: 'tiny', seed: 2, out: raw });
    const runs = expandGrid(defineExperiment({
      name: 'changed-data',
      datasets: [{ kind: 'raw', path: raw, system: 'SN' }],
      methods: [{ name: 'all-anomalous' }],
      protocols: [{ name: 'temporal' }],
      seeds: [0],
    }));
    const first = await runGrid(runs, { resultsDir: dir, poolSize: 0 });
    assert.deepEqual(first, { total: 1, skipped: 0, completed: 1, failed: [], claimedElsewhere: [] });
    const d = runDir(dir, runs[0]!.configHash, runs[0]!.seed);
    const checksumBefore = storedDatasetChecksum(d);
    assert.match(checksumBefore ?? '', /^[0-9a-f]{64}$/);
    assert.deepEqual(await runGrid(runs, { resultsDir: dir, poolSize: 0 }), { total: 1, skipped: 1, completed: 0, failed: [], claimedElsewhere: [] });
    // Same spec, same config hash, other content: the stored numbers no longer describe this data.
    fs.writeFileSync(path.join(raw, 'README.txt'), 'a file added after the run\n');
    assert.deepEqual(await runGrid(runs, { resultsDir: dir, poolSize: 0 }), { total: 1, skipped: 0, completed: 1, failed: [], claimedElsewhere: [] });
    const checksumAfter = storedDatasetChecksum(d);
    assert.match(checksumAfter ?? '', /^[0-9a-f]{64}$/);
    assert.notEqual(checksumAfter, checksumBefore);
  });

  it('a grid killed with SIGKILL and rerun completes with nothing lost or duplicated', async () => {
    const dir = tmpDir();
    const runs = expandGrid(slowGrid(250));
    const script = path.resolve('test/experiments/fixtures/run-grid.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir, '250'], {
      detached: true, // its own process group: the kill takes the grid process and its workers at once
      stdio: 'ignore',
      env: { ...process.env, EADRO_QUIET: '1' },
    });
    const finished = (): number => runs.filter((r) => isRunFinished(runDir(dir, r.configHash, r.seed))).length;
    const deadline = Date.now() + 40_000;
    while (finished() < 3 && Date.now() < deadline) await sleep(25);
    const exited = new Promise((r) => child.on('exit', r));
    process.kill(-(child.pid as number), 'SIGKILL');
    await exited;
    await sleep(200);
    const doneBefore = runs.filter((r) => isRunFinished(runDir(dir, r.configHash, r.seed)));
    assert.ok(doneBefore.length >= 3 && doneBefore.length < runs.length, `killed midway (${doneBefore.length}/${runs.length} finished)`);
    const before = new Map(doneBefore.map((r) => {
      const d = runDir(dir, r.configHash, r.seed);
      return [d, mtimes(d)] as const;
    }));

    const s = await runGrid(runs, { resultsDir: dir, poolSize: 2, extensions: [FAKE_METHODS] });
    assert.equal(s.skipped, doneBefore.length);
    assert.equal(s.completed, runs.length - doneBefore.length);
    assert.deepEqual(s.failed, []);
    // Every run exactly once: one folder per (config hash, seed), nothing else, each finished and whole.
    const folders = fs.readdirSync(path.join(dir, 'runs')).flatMap((h) => fs.readdirSync(path.join(dir, 'runs', h)).map((seed) => `${h}/${seed}`));
    assert.deepEqual(folders.sort(), runs.map((r) => `${r.configHash}/${r.seed}`).sort());
    for (const r of runs) {
      const d = runDir(dir, r.configHash, r.seed);
      const files = fs.readdirSync(d).filter((f) => f !== 'work').sort();
      assert.deepEqual(files, ['manifest.json', 'metrics.json', 'predictions.json'], `${d}: no leftover temporary files`);
    }
    // Runs finished before the kill are untouched.
    for (const [d, m] of before) assert.deepEqual(mtimes(d), m, `${d} was rewritten`);
    assert.equal(listFinishedRuns(dir).length, runs.length);
  });
  it('grids racing in several processes over one store never run a run twice', async () => {
    const dir = tmpDir();
    const runs = expandGrid(slowGrid(150));
    const script = path.resolve('test/experiments/fixtures/run-grid.ts');
    // Three grids at once, each in-process (pool 0), on the same store and the same runs.
    const outputs = await Promise.all([0, 1, 2].map(() => new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, dir, '150', '0'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, EADRO_QUIET: '1' } });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`grid process exited ${code}`))));
    })));
    const summaries = outputs.map((o) => JSON.parse(o.trim().split('\n').pop()!) as { completed: number; skipped: number; claimedElsewhere: string[]; failed: unknown[] });
    // Every run was done by exactly one process: the completions add up to the grid, no run failed.
    assert.equal(summaries.reduce((a, s) => a + s.completed, 0), runs.length, JSON.stringify(summaries));
    assert.ok(summaries.every((s) => s.failed.length === 0));
    for (const s of summaries) assert.equal(s.completed + s.skipped + s.claimedElsewhere.length, runs.length);
    assert.equal(listFinishedRuns(dir).length, runs.length);
    const leftovers = fs.readdirSync(path.join(dir, 'runs')).flatMap((h) => fs.readdirSync(path.join(dir, 'runs', h)).filter((f) => !/^\d+$/.test(f)));
    assert.deepEqual(leftovers, [], 'no claim or failure file left');
  });
});
