/**
 * scripts/pytorch: prepare.ts on tiny generated windows, then the torch-free `selftest` of
 * eadro_reference.py on what it wrote (data, split, weights, the model's forward pass in NumPy against
 * the tfjs first step, metrics on a hand case cross-checked with src/evaluation/metrics.ts), and its
 * error messages. Skipped, with the reason, where python3 or numpy is absent.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeSyntheticWindows } from '../../src/models/synthetic.js';
import { exportNpy } from '../../src/windows/export.js';
import { makeSplits } from '../../src/evaluation/protocols.js';
import { computeMetrics } from '../../src/evaluation/metrics.js';
import { firstTrainingBatch } from '../../scripts/pytorch/prepare.js';
import type { WindowDataset } from '../../src/windows/types.js';

const PREPARE = path.resolve('scripts/pytorch/prepare.ts');
const PORT = path.resolve('scripts/pytorch/eadro_reference.py');

function python(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('python3', args, { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error) : '') };
}

/** Why the Python tests cannot run here, or null when they can. */
function pythonMissing(): string | null {
  const r = spawnSync('python3', ['-c', 'import numpy, sys; assert sys.version_info >= (3, 8)'], { encoding: 'utf8' });
  if (r.error) return `python3 not found (${r.error.message})`;
  if (r.status !== 0) return `python3 >= 3.8 with numpy is needed: ${r.stderr.trim().split('\n').pop()}`;
  return null;
}

/** Tiny windows in 3 episodes of 30 one-second-apart windows, so the temporal protocol has all parts. */
function tinyWindows(): WindowDataset {
  const ds = makeSyntheticWindows({ N: 5, T: 6, K: 3, E: 4, W: 90, seed: 11 });
  for (let w = 0; w < ds.W; w++) {
    ds.meta.start[w] = 1_700_000_000 + w;
    ds.meta.episodeId[w] = Math.floor(w / 30);
  }
  return ds;
}

interface Check {
  name: string;
  ok: boolean;
  maxRel?: number | null;
  found?: number;
  expected?: number;
}

describe('scripts/pytorch (prepare.ts + eadro_reference.py selftest)', function () {
  const missing = pythonMissing();
  let dir = '';
  let ds: WindowDataset;

  before(function () {
    if (missing !== null) {
      process.stderr.write(`  skipping scripts/pytorch tests: ${missing}\n`);
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-pytorch-'));
    ds = tinyWindows();
    exportNpy(ds, path.join(dir, 'windows'));
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', PREPARE, '--data', path.join(dir, 'windows'), '--seed', '0', '--split', path.join(dir, 'split.json'), '--pack', path.join(dir, 'pack'), '--compress',
        '--first-step', path.join(dir, 'first-step.json'), '--checkpoint', path.join(dir, 'init'), '--batch-size', '16', '--backend', 'cpu'],
      { encoding: 'utf8', env: { ...process.env, EADRO_QUIET: '1' } },
    );
    assert.equal(r.status, 0, `prepare.ts failed: ${r.stderr}`);
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('eadro_reference.py compiles', () => {
    const r = python('-m', 'py_compile', PORT);
    assert.equal(r.status, 0, r.stderr);
  });

  it('prepare.ts writes the temporal split, a compressed pack and the first step of train.ts', () => {
    const split = JSON.parse(fs.readFileSync(path.join(dir, 'split.json'), 'utf8')) as { train: number[]; val: number[]; test: number[]; selection: number[]; W: number; protocol: string };
    const expected = makeSplits(ds, { name: 'temporal' }, 0)[0]!;
    assert.equal(split.protocol, 'temporal');
    assert.equal(split.W, 90);
    assert.deepEqual(split.train, expected.train);
    assert.deepEqual(split.val, expected.val);
    assert.deepEqual(split.test, expected.test);
    assert.deepEqual(split.selection, expected.val); // temporal selects on validation, never on test
    assert.ok(split.train.length > 0 && split.val.length > 0 && split.test.length > 0);
    for (const name of ['logs', 'metrics', 'traces', 'labels']) {
      assert.ok(fs.existsSync(path.join(dir, 'pack', `${name}.npy.gz`)), `${name}.npy.gz`);
      assert.ok(!fs.existsSync(path.join(dir, 'pack', `${name}.npy`)), `${name}.npy removed`);
    }
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'pack', 'meta.json'), 'utf8')) as { normalization: string; edge_direction: string; provenance: { variant: string } };
    assert.equal(meta.normalization, 'train-fitted');
    assert.equal(meta.provenance.variant, 'reference');
    const first = JSON.parse(fs.readFileSync(path.join(dir, 'first-step.json'), 'utf8')) as { windows: number[]; labels: number[]; grads: Record<string, { shape: number[]; values: number[] }>; losses: { total: number; detect: number; locate: number } };
    assert.deepEqual(first.windows, firstTrainingBatch(expected.train, 0, 16));
    assert.deepEqual(first.labels, first.windows.map((w) => ds.labels[w]));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'init', 'weights.json'), 'utf8')) as { weightsManifest: { weights: { name: string; shape: number[] }[] }[] };
    const params = manifest.weightsManifest[0]!.weights.filter((w) => w.name.startsWith('param/'));
    assert.deepEqual(Object.keys(first.grads).sort(), params.map((p) => p.name.slice('param/'.length)).sort());
    for (const p of params) assert.deepEqual(first.grads[p.name.slice('param/'.length)]!.shape, p.shape, p.name);
    assert.ok(Math.abs(first.losses.total - (0.5 * first.losses.detect + 0.5 * first.losses.locate)) < 1e-5, 'beta 0.5 weighting');
  });

  it('selftest: the NumPy forward reproduces the tfjs losses, BN statistics and logits; metrics agree with metrics.ts', () => {
    const out = path.join(dir, 'selftest.json');
    const r = python(PORT, 'selftest', '--windows', path.join(dir, 'pack'), '--split', path.join(dir, 'split.json'), '--init', path.join(dir, 'init'), '--batch', path.join(dir, 'first-step.json'), '--out', out);
    assert.equal(r.status, 0, `selftest failed:\n${r.stdout.slice(-3000)}\n${r.stderr}`);
    const result = JSON.parse(fs.readFileSync(out, 'utf8')) as { ok: boolean; checks: Check[]; forward: { windows: number }; handCase: Record<string, number | null>; dataset: { W: number; N: number } };
    assert.equal(result.ok, true);
    assert.equal(result.dataset.W, 90);
    const train = (JSON.parse(fs.readFileSync(path.join(dir, 'split.json'), 'utf8')) as { train: number[] }).train;
    assert.equal(result.forward.windows, Math.min(16, train.length)); // the first training batch
    const byName = new Map(result.checks.map((c) => [c.name, c]));
    for (const name of ['split.matches-meta', 'graph.matches-first-step', 'numpy-forward.loss.total', 'numpy-forward.loss.detect', 'numpy-forward.loss.locate', 'numpy-forward.bn.kpi.mean', 'numpy-forward.bn.trace.variance', 'numpy-forward.eval.detectLogits', 'numpy-forward.eval.locateLogits', 'numpy-forward.train.locateLogits']) {
      const c = byName.get(name);
      assert.ok(c !== undefined, `check ${name} present`);
      assert.equal(c.ok, true, name);
      if (c.maxRel !== undefined && c.maxRel !== null) assert.ok(c.maxRel < 1e-4, `${name} maxRel ${c.maxRel}`); // float32 tfjs vs float64 NumPy
    }
    // The same hand case through src/evaluation/metrics.ts (see hand_case_checks in the script).
    const labels = [-1, -1, 0, 1, 2, 2];
    const ours = computeMetrics({
      labels,
      anomalyScore: null,
      predictedAnomalous: [false, true, true, false, true, true],
      ranking: [[0, 1, 2, 3], [3, 2, 1, 0], [0, 1, 2, 3], [1, 2, 0, 3], [0, 2, 1, 3], [0, 1, 3, 2]],
    });
    for (const key of ['det.tp', 'det.fp', 'det.fn', 'det.tn', 'det.precision', 'det.recall', 'det.f1', 'det.mcc', 'loc.oracle.hr@1', 'loc.oracle.hr@3', 'loc.oracle.hr@5', 'loc.e2e.hr@1', 'loc.e2e.hr@3', 'loc.e2e.hr@5', 'loc.oracle.ndcg@3', 'loc.e2e.ndcg@5']) {
      const a = result.handCase[key];
      const b = ours[key];
      assert.ok(a !== undefined && b !== undefined, key);
      assert.ok(a !== null && b !== null && Math.abs(a - b) < 1e-12, `${key}: python ${a} vs metrics.ts ${b}`);
    }
    assert.equal(result.handCase['det.f1'], 0.75);
    assert.equal(result.handCase['loc.e2e.hr@1'], 0.25);
  });

  it('selftest without a checkpoint uses NumPy initial weights of the same shapes', () => {
    const r = python(PORT, 'selftest', '--windows', path.join(dir, 'pack'), '--split', path.join(dir, 'split.json'));
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { ok: boolean; checks: Check[]; parameterShapes: Record<string, number[]> };
    assert.equal(result.ok, true);
    assert.deepEqual(result.parameterShapes['gat.wSrc'], [64, 256]);
    assert.deepEqual(result.parameterShapes['locate.fc2.weight'], [64, 5]);
    assert.deepEqual(result.parameterShapes['kpi.conv.weight'], [6, 64]); // kernel 2 x K 3 rows, 64 filters
  });

  it('paper variant: after warm-up epochs, the NumPy forward reproduces the hand-written step\'s losses, with the predicted-mask localizer exercised', function () {
    this.timeout(60_000);
    const fsFile = path.join(dir, 'first-step-paper.json');
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', PREPARE, '--data', path.join(dir, 'windows'), '--variant', 'paper', '--seed', '0', '--split', path.join(dir, 'split-paper.json'), '--pack', path.join(dir, 'pack-paper'),
        '--first-step', fsFile, '--checkpoint', path.join(dir, 'init-paper'), '--batch-size', '16', '--backend', 'cpu', '--step', 'manual', '--warm-epochs', '6'],
      { encoding: 'utf8', env: { ...process.env, EADRO_QUIET: '1' } },
    );
    assert.equal(r.status, 0, `prepare.ts failed: ${r.stderr}`);
    const first = JSON.parse(fs.readFileSync(fsFile, 'utf8')) as { variant: string; step: string; warmEpochs: number; windows: number[]; losses: { total: number; detect: number; locate: number } };
    assert.equal(first.variant, 'paper');
    assert.equal(first.step, 'manual');
    assert.equal(first.warmEpochs, 6);
    const train = (JSON.parse(fs.readFileSync(path.join(dir, 'split-paper.json'), 'utf8')) as { train: number[] }).train;
    assert.deepEqual(first.windows, firstTrainingBatch(train, 0, 16, 7)); // the first batch of epoch 7
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'pack-paper', 'meta.json'), 'utf8')) as { provenance: { variant: string } };
    assert.equal(meta.provenance.variant, 'paper');

    const out = path.join(dir, 'selftest-paper.json');
    const t = python(PORT, 'selftest', '--windows', path.join(dir, 'pack-paper'), '--init', path.join(dir, 'init-paper'), '--batch', fsFile, '--out', out);
    assert.equal(t.status, 0, `selftest failed:\n${t.stdout.slice(-3000)}\n${t.stderr}`);
    const result = JSON.parse(fs.readFileSync(out, 'utf8')) as { ok: boolean; checks: Check[]; config: { variant: string; timeAttention: string }; parameterShapes: Record<string, number[]> };
    assert.equal(result.ok, true);
    assert.equal(result.config.timeAttention, 'softmax-qkv');
    assert.deepEqual(result.parameterShapes['kpi.attn.wqkv'], [64, 192]); // W_q | W_k | W_v
    assert.deepEqual(result.parameterShapes['detect.fc2.weight'], [64, 1]); // one sigmoid unit
    assert.deepEqual(result.parameterShapes['kpi.conv.weight'], [9, 64]); // kernel 3 x K 3
    const byName = new Map(result.checks.map((c) => [c.name, c]));
    const masked = byName.get('numpy-forward.locate.maskedWindows');
    assert.ok(masked !== undefined && masked.found !== undefined && masked.found > 0, 'some flagged faulty windows feed the localizer loss');
    assert.ok(first.losses.locate > 0);
    for (const name of ['numpy-forward.loss.total', 'numpy-forward.loss.detect', 'numpy-forward.loss.locate', 'numpy-forward.bn.kpi.variance', 'numpy-forward.train.detectLogits', 'numpy-forward.eval.detectLogits', 'numpy-forward.eval.locateLogits']) {
      const c = byName.get(name);
      assert.ok(c !== undefined, `check ${name} present`);
      assert.equal(c.ok, true, name);
      assert.ok(c.maxRel !== undefined && c.maxRel !== null && c.maxRel < 1e-4, `${name} maxRel ${c.maxRel}`);
    }

    // The same warmed model through tfjs autodiff (--from-checkpoint): same batch, same losses.
    const autodiffFile = path.join(dir, 'first-step-paper-autodiff.json');
    const ad = spawnSync(
      process.execPath,
      ['--import', 'tsx', PREPARE, '--data', path.join(dir, 'windows'), '--variant', 'paper', '--seed', '0', '--split', path.join(dir, 'split-paper.json'),
        '--first-step', autodiffFile, '--checkpoint', path.join(dir, 'init-paper-autodiff'), '--batch-size', '16', '--backend', 'cpu', '--step', 'autodiff', '--from-checkpoint', path.join(dir, 'init-paper')],
      { encoding: 'utf8', env: { ...process.env, EADRO_QUIET: '1' } },
    );
    assert.equal(ad.status, 0, `prepare.ts --from-checkpoint failed: ${ad.stderr}`);
    const viaAutodiff = JSON.parse(fs.readFileSync(autodiffFile, 'utf8')) as { step: string; warmEpochs: number; windows: number[]; losses: { total: number; detect: number; locate: number } };
    assert.equal(viaAutodiff.step, 'autodiff');
    assert.equal(viaAutodiff.warmEpochs, 6);
    assert.deepEqual(viaAutodiff.windows, first.windows);
    for (const k of ['total', 'detect', 'locate'] as const) assert.ok(Math.abs(viaAutodiff.losses[k] - first.losses[k]) < 1e-5, `loss ${k}`);

    // Asking for the other variant than the checkpoint holds is an input error naming the field.
    const wrong = python(PORT, 'selftest', '--windows', path.join(dir, 'pack-paper'), '--init', path.join(dir, 'init-paper'), '--variant', 'reference');
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /another variant/);
    assert.match(wrong.stderr, /config\.variant/);
  });

  it('input problems name the file and the field', () => {
    const broken = path.join(dir, 'init-broken');
    fs.cpSync(path.join(dir, 'init'), broken, { recursive: true });
    const bin = path.join(broken, 'weights.bin');
    fs.writeFileSync(bin, fs.readFileSync(bin).subarray(0, 4000));
    const r = python(PORT, 'selftest', '--windows', path.join(dir, 'pack'), '--init', broken);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Checkpoint weights are truncated/);
    assert.match(r.stderr, /init-broken\/weights\.bin/);
    assert.doesNotMatch(r.stderr, /Traceback/);

    const split = JSON.parse(fs.readFileSync(path.join(dir, 'split.json'), 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(path.join(dir, 'split-other.json'), JSON.stringify({ ...split, W: 91 }));
    const s = python(PORT, 'selftest', '--windows', path.join(dir, 'pack'), '--split', path.join(dir, 'split-other.json'));
    assert.equal(s.status, 2);
    assert.match(s.stderr, /Split was made for another window set/);
    assert.match(s.stderr, /field: W/);
  });
});
