import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defineExperiment } from '../../src/experiments/config.js';
import type { EstimateBasis } from '../../src/experiments/estimate.js';
import { expandGrid } from '../../src/experiments/grid.js';
import { arrayScript, planSlurm, readSlurmPlan, runsOfTask, slurmTime, writeSlurm } from '../../src/experiments/slurm.js';
import { listFinishedRuns } from '../../src/experiments/store.js';

const tmpDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-slurm-'));

const experiment = defineExperiment({
  name: 'slurm-unit',
  datasets: [{ kind: 'testbed', system: 'TT', profile: 'quick', seed: 0 }, { kind: 'testbed', system: 'SN', profile: 'paper', seed: 0 }],
  pipeline: { stride: 3 }, // the main job's stride, as the measured basis
  methods: [{ name: 'eadro', variant: 'paper', params: { maxEpochs: 20 } }, { name: 'n-sigma' }],
  protocols: [{ name: 'temporal' }],
  seeds: [0, 1, 2],
});
const basis: EstimateBasis = {
  file: 'bench.json', backend: 'wasm', measuredAt: 'now', commit: null,
  runs: [{ method: 'eadro', system: 'TT', protocol: 'temporal', seconds: 600 }, { method: 'eadro', system: 'SN', protocol: 'temporal', seconds: 60 }],
};

describe('experiments/slurm: plans and scripts', () => {
  it('splits the runs into a train and a light array, with resources per class and estimated time limits', () => {
    const dir = tmpDir();
    const runs = expandGrid(experiment);
    const plan = planSlurm(runs, { experimentFile: 'experiments/x.ts', experimentName: 'slurm-unit', storeDir: dir, projectRoot: '/repo', backend: 'wasm', runsPerTask: 2, basis });
    assert.deepEqual(plan.arrays.map((a) => [a.name, a.tasks.length, a.tasks.flat().length]), [['train', 3, 6], ['light', 3, 6]]);
    const train = plan.arrays[0]!;
    assert.equal(train.memoryGb, 12, 'the paper profile sets the memory of the array');
    assert.equal(train.gpus, 0);
    // Tasks in grid order: [TT 0, TT 1], [TT 2, SN 0], [SN 1, SN 2]; the longest is the first, two TT
    // quick runs of 600 s measured (x1 windows, x1 epochs), 3x margin: 60 min. SN paper: 60 s x 5,093 / 1,713 windows each.
    assert.equal(train.timeMinutes, Math.ceil((3 * 2 * 600) / 60));
    assert.equal(plan.arrays[1]!.timeMinutes, 24 * 60, 'no measured n-sigma: a day');
    assert.equal(slurmTime(train.timeMinutes), '0-01:00:00');
    const script = arrayScript(plan, train, { partition: 'gpu', extraDirectives: ['--account=abc'] });
    assert.match(script, /^#!\/bin\/bash\n#SBATCH --job-name=eadro-slurm-unit-train\n#SBATCH --array=0-2\n#SBATCH --cpus-per-task=1\n#SBATCH --mem=12G\n#SBATCH --time=0-01:00:00\n/);
    assert.match(script, /#SBATCH --partition=gpu\n#SBATCH --account=abc\n/);
    assert.match(script, /exec node '\/repo\/bin\/eadro\.js' grid '[^']*experiments\/x\.ts' --out '[^']+' --array train --task "\$SLURM_ARRAY_TASK_ID" --pool 0\n/);
    const gpu = planSlurm(runs, { experimentFile: 'x.ts', experimentName: 'g', storeDir: dir, projectRoot: '/repo', backend: 'webgpu', basis });
    assert.equal(gpu.arrays[0]!.gpus, 1);
    assert.match(arrayScript(gpu, gpu.arrays[0]!), /#SBATCH --gres=gpu:1/);
    assert.equal(gpu.arrays[0]!.timeMinutes, 24 * 60, 'no measurement on webgpu: a day');
  });

  it('writes plan, scripts and submit.sh; a task finds its runs, and refuses a changed experiment', () => {
    const dir = tmpDir();
    const runs = expandGrid(experiment);
    const plan = planSlurm(runs, { experimentFile: 'x.ts', experimentName: 'w', storeDir: dir, projectRoot: '/repo', backend: 'auto', basis: null });
    const files = writeSlurm(plan);
    assert.deepEqual(files.map((f) => path.basename(f)), ['train.sbatch', 'light.sbatch', 'submit.sh', 'plan.json']);
    assert.ok((fs.statSync(files[0]!).mode & 0o111) !== 0, 'executable');
    assert.match(fs.readFileSync(files[2]!, 'utf8'), /sbatch --parsable '.*train\.sbatch'\nsbatch --parsable '.*light\.sbatch'/);
    const read = readSlurmPlan(dir);
    assert.deepEqual(runsOfTask(read, 'light', 1, runs).map((r) => r.spec.method.name), ['n-sigma']);
    assert.throws(() => runsOfTask(read, 'gpu', 0, runs), /field: --array[\s\S]*expected: train \| light/);
    assert.throws(() => runsOfTask(read, 'train', 6, runs), /field: --task[\s\S]*expected: 0-5/);
    assert.throws(() => runsOfTask(read, 'train', 0, runs.slice(1)), /no longer has a run of the SLURM plan/);
    assert.throws(() => readSlurmPlan(tmpDir()), /No SLURM plan in this store[\s\S]*plan\.json/);
  });
});

/** A Markdown table file with the cells of its `inferUs` columns blanked (they are wall-clock timings). */
function withoutTimings(markdown: string): string {
  let timing: number[] = [];
  return markdown.split('\n').map((line) => {
    if (!line.startsWith('|')) {
      timing = [];
      return line;
    }
    const cells = line.split('|');
    if (cells.some((c) => /^\s*inferUs/.test(c))) timing = cells.flatMap((c, i) => (/^\s*inferUs/.test(c) ? [i] : []));
    else for (const i of timing) cells[i] = ' (timing) ';
    return cells.join('|');
  }).join('\n');
}

/** Whether a one-node SLURM cluster can run here: root, the daemons installed, and it starts. */
function startCluster(): { ok: boolean; reason: string; started: boolean } {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'not root (the local SLURM daemons run as root)', started: false };
  if (!fs.existsSync('/usr/sbin/slurmctld') || !fs.existsSync('/usr/sbin/munged')) return { ok: false, reason: 'slurm-wlm or munge not installed (bash scripts/setup-system.sh)', started: false };
  const running = spawnSync('bash', ['scripts/slurm/local-cluster.sh', 'status']).status === 0;
  if (running) return { ok: true, reason: '', started: false };
  const r = spawnSync('bash', ['scripts/slurm/local-cluster.sh', 'start'], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? { ok: true, reason: '', started: true } : { ok: false, reason: `the daemons did not start: ${(r.stderr || r.stdout).trim().split('\n').pop()}`, started: false };
}

describe('experiments/slurm: a grid on a local SLURM cluster', function () {
  this.timeout(600_000);
  let cluster = { ok: false, reason: 'not checked', started: false };
  before(function () {
    cluster = startCluster();
    if (!cluster.ok) {
      console.log(`      SLURM test skipped: ${cluster.reason}`);
      this.skip();
    }
  });
  after(() => {
    if (cluster.started) spawnSync('bash', ['scripts/slurm/local-cluster.sh', 'stop']);
  });

  it('job arrays over a shared store give the tables of the same grid run locally; a cancelled array resumes', async () => {
    const work = tmpDir();
    const env = { ...process.env, EADRO_QUIET: '1', EADRO_DATA_DIR: path.join(work, 'data'), EADRO_CACHE_DIR: path.join(work, 'cache') };
    const expFile = path.join(work, 'grid.json');
    fs.writeFileSync(expFile, JSON.stringify({
      name: 'slurm-ci',
      datasets: [{ kind: 'testbed', system: 'SN', profile: 'tiny', seed: 0 }],
      methods: [{ name: 'n-sigma' }, { name: 'spot' }],
      protocols: [{ name: 'temporal' }],
      seeds: [0, 1, 2],
    }));
    const eadro = (...args: string[]) => {
      const r = spawnSync(process.execPath, ['bin/eadro.js', ...args], { encoding: 'utf8', env, timeout: 300_000 });
      assert.equal(r.status, 0, `eadro ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    };
    // The same grid with the local pool (also builds the data and the window cache the tasks then read).
    const local = path.join(work, 'local');
    eadro('grid', expFile, '--out', local, '--pool', '0', '--resamples', '200');

    const shared = path.join(work, 'shared');
    const emitted = eadro('grid', expFile, '--out', shared, '--emit', 'slurm');
    assert.match(emitted, /light: 6 task\(s\), 1 CPU, 2 GB/);
    const submit = (): string[] => {
      const r = spawnSync('bash', [path.join(shared, 'slurm', 'submit.sh')], { encoding: 'utf8', env });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim().split('\n').map((l) => l.split(';')[0]!);
    };
    const queued = (ids: string[]): number => {
      const r = spawnSync('squeue', ['-h', '-j', ids.join(',')], { encoding: 'utf8' });
      return r.stdout.trim() === '' ? 0 : r.stdout.trim().split('\n').length;
    };
    const waitFor = async (done: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 300_000;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    const finished = (): number => listFinishedRuns(shared).length;

    // First submission: cancelled once some runs are done (2 CPUs: the 6 tasks run two at a time).
    const first = submit();
    await waitFor(() => finished() >= 1 || queued(first) === 0, 'a first finished run');
    spawnSync('scancel', first);
    await waitFor(() => queued(first) === 0, 'the cancelled array to leave the queue');
    const afterCancel = finished();
    assert.ok(afterCancel >= 1 && afterCancel < 6, `cancelled midway (${afterCancel} of 6 runs finished)`);
    const status = eadro('grid', 'status', shared, '--experiment', expFile);
    assert.match(status, new RegExp(`: ${afterCancel} done, `));

    // Resubmitting the same script finishes the rest; finished runs are skipped.
    const second = submit();
    await waitFor(() => queued(second) === 0, 'the resubmitted array');
    assert.equal(finished(), 6, `every run finished (${afterCancel} before the resubmission)`);
    assert.match(eadro('grid', 'status', shared, '--experiment', expFile), /: 6 done, 0 claimed, 0 stale claim, 0 failed, 0 to do/);
    const logs = fs.readdirSync(path.join(shared, 'slurm', 'logs'));
    assert.ok(logs.length >= 6, `task logs kept (${logs.length})`);

    eadro('tables', '--results', shared, '--resamples', '200');
    const tables = (dir: string): Map<string, string> => {
      const out = new Map<string, string>();
      const walk = (d: string): void => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          const p = path.join(d, e.name);
          if (e.isDirectory()) walk(p);
          else if (e.name.endsWith('.md')) out.set(path.relative(dir, p), fs.readFileSync(p, 'utf8'));
        }
      };
      walk(dir);
      return out;
    };
    const a = tables(path.join(local, 'tables'));
    const b = tables(path.join(shared, 'tables'));
    assert.ok(a.size > 0);
    assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
    // Every number equal but the measured inference times (inferUs: wall-clock, different on every run).
    for (const [file, text] of a) assert.equal(withoutTimings(b.get(file) ?? ''), withoutTimings(text), `${file} differs between the SLURM and the local grid`);
    assert.ok([...a.values()].some((t) => t.includes('inferUs')), 'the timing column exists (and is the only one masked)');
    assert.match(a.get(path.join('temporal', 'table1.md')) ?? '', /N-sigma[\s\S]*SPOT/);
  });
});
