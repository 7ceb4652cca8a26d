import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseOnly } from '../../src/cli/commands/bench.js';
import { parseAblations } from '../../src/cli/commands/train.js';
import { makeSyntheticWindows } from '../../src/models/synthetic.js';
import { exportNpy } from '../../src/windows/export.js';

const BIN = path.resolve('bin/eadro.js');

function eadro(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, EADRO_QUIET: '1', EADRO_BACKEND: 'wasm' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The first number after `label` in `text`. */
function numberAfter(text: string, label: string): number {
  // The label must start a word (not sit inside a path such as /tmp/eadro-cli-train-8x...) and be
  // followed by white space before its number.
  const m = new RegExp(`(?:^|[\\s(,])${label.replace(/[.*+?^${}()|[\]\\@]/g, '\\$&')}\\s*:?\\s+(-?[0-9.]+|n/a)`, 'm').exec(text);
  assert.ok(m !== null, `no "${label}" in:\n${text}`);
  return m[1] === 'n/a' ? Number.NaN : Number(m[1]);
}

const readJson = (file: string): Record<string, any> => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, any>;

/** 200 windows of 6 services; episodes of 20 consecutive windows so the temporal split has all three parts. */
function writeWindows(dir: string, seed: number): ReturnType<typeof makeSyntheticWindows> {
  const ds = makeSyntheticWindows({ N: 6, T: 10, K: 3, E: 4, W: 200, signal: 4, seed });
  for (let w = 0; w < ds.W; w++) ds.meta.episodeId[w] = Math.floor(w / 20);
  exportNpy(ds, dir);
  return ds;
}

describe('cli train / evaluate / explain', function () {
  this.timeout(120_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-cli-train-'));
  const data = path.join(tmp, 'windows');
  const other = path.join(tmp, 'other');
  const out = path.join(tmp, 'model');
  const trainArgs = ['train', '--data', data, '--epochs', '2', '--batch-size', '64', '--seed', '1', '--out', out];
  let ds: ReturnType<typeof makeSyntheticWindows>;
  let trainStdout = '';

  before(() => {
    ds = writeWindows(data, 3);
    writeWindows(other, 4);
    const r = eadro(...trainArgs);
    assert.equal(r.status, 0, r.stderr);
    trainStdout = r.stdout;
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('train writes the model, its split and normalisation, the history and a manifest', () => {
    for (const f of ['model/weights.bin', 'model/weights.json', 'model/metadata.json', 'model/model-cli.json', 'checkpoints/last/metadata.json', 'history.json', 'manifest.json']) {
      assert.ok(fs.existsSync(path.join(out, f)), f);
    }
    const meta = readJson(path.join(out, 'model', 'model-cli.json'));
    assert.equal(meta['split'].protocol, 'temporal');
    assert.equal(meta['config'].variant, 'paper');
    assert.equal(meta['config'].maxEpochs, 2);
    assert.equal(meta['normalization'].N, 6);
    assert.equal(meta['normalization'].metricMean.length, 6 * 3);
    assert.equal(meta['normalization'].fittedOn, meta['split'].train.length);
    // The printed split sizes are those saved with the model.
    assert.equal(numberAfter(trainStdout, 'train'), meta['split'].train.length);
    assert.equal(numberAfter(trainStdout, 'validation'), meta['split'].val.length);
    assert.equal(numberAfter(trainStdout, 'test'), meta['split'].test.length);
    assert.ok(meta['split'].val.length > 0 && meta['split'].test.length > 0);
    const history = readJson(path.join(out, 'history.json')) as unknown as { epoch: number; trainLoss: number; step: string; threads: number }[];
    assert.deepEqual(history.map((h) => h.epoch), [1, 2]);
    assert.ok(history.every((h) => Number.isFinite(h.trainLoss)));
    assert.ok(history.every((h) => h.step === 'manual' && h.threads === 1), 'the hand-written step on one thread by default');
    const manifest = readJson(path.join(out, 'manifest.json'));
    assert.equal(manifest['command'], 'train');
    assert.equal(manifest['backend'].name, 'wasm');
    assert.deepEqual(manifest['seeds'], [1]);
  });

  it('rerunning resumes (no epoch trained again); other settings are refused naming the field', () => {
    const again = eadro(...trainArgs);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /2 run \(0 in this call\)/);
    const changed = eadro(...trainArgs.slice(0, -2), '--out', out, '--variant', 'reference');
    assert.equal(changed.status, 1);
    assert.match(changed.stderr, /field: .*variant/);
    assert.match(changed.stderr, /--out/);
  });

  it('evaluate scores the saved test split and writes metrics.json that matches the printout', () => {
    const r = eadro('evaluate', '--model', out);
    assert.equal(r.status, 0, r.stderr);
    const file = readJson(path.join(out, 'evaluation', 'metrics.json'));
    const meta = readJson(path.join(out, 'model', 'model-cli.json'));
    assert.equal(file['windows'], meta['split'].test.length);
    assert.equal(numberAfter(r.stdout, 'scored'), meta['split'].test.length);
    const m = file['metrics'] as Record<string, number | null>;
    const faulty = (meta['split'].test as number[]).filter((w) => ds.labels[w]! >= 0).length;
    assert.equal(m['loc.faultyWindows'], faulty);
    assert.equal(m['det.tp']! + m['det.fp']! + m['det.fn']! + m['det.tn']!, meta['split'].test.length);
    for (const [label, key] of [['F1', 'det.f1'], ['MCC', 'det.mcc'], ['PR-AUC', 'det.prAuc']] as const) {
      const printed = numberAfter(r.stdout, label);
      if (m[key] === null) assert.ok(Number.isNaN(printed));
      else assert.ok(Math.abs(printed - m[key]!) < 6e-4, `${label} ${printed} vs ${m[key]}`);
    }
    const oracleLine = r.stdout.split('\n').find((l) => l.startsWith('localization (oracle'))!;
    assert.ok(Math.abs(numberAfter(oracleLine, 'HR@5') - m['loc.oracle.hr@5']!) < 6e-4);
    assert.match(r.stdout, /official code's formulas/);
    assert.ok(numberAfter(r.stdout, 'inference') > 0);
    assert.equal(readJson(path.join(out, 'evaluation', 'manifest.json'))['command'], 'evaluate');
  });

  it('evaluate --data scores every window of other data', () => {
    const dest = path.join(tmp, 'eval-other');
    const r = eadro('evaluate', '--model', out, '--data', other, '--out', dest);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readJson(path.join(dest, 'metrics.json'))['windows'], 200);
    assert.match(r.stdout, /200 windows \(all windows\)/);
  });

  it('explain ranks the services of a window (--window and --time agree), true culprit marked', () => {
    const meta = readJson(path.join(out, 'model', 'model-cli.json'));
    const w = (meta['split'].test as number[]).find((i) => ds.labels[i]! >= 0)!;
    const r = eadro('explain', '--model', out, '--window', String(w));
    assert.equal(r.status, 0, r.stderr);
    const p = numberAfter(r.stdout, 'anomaly probability');
    assert.ok(p >= 0 && p <= 1);
    const rows = r.stdout.split('\n').filter((l) => /^\s+\d+\. /.test(l));
    assert.equal(rows.length, 6);
    const probs = rows.map((l) => Number(/ ([0-9.]+)(\s|$)/.exec(l.replace(/^\s+\d+\./, ''))![1]));
    for (let i = 1; i < probs.length; i++) assert.ok(probs[i]! <= probs[i - 1]!);
    assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-3, 'softmax over all services sums to 1');
    const marked = rows.filter((l) => l.includes('<- true culprit'));
    assert.equal(marked.length, 1);
    assert.match(marked[0]!, new RegExp(`svc${ds.labels[w]}\\b`));
    assert.match(r.stdout, /\(test\)/);
    const byTime = eadro('explain', '--model', out, '--time', new Date((ds.meta.start[w]! + 3) * 1000).toISOString());
    assert.equal(byTime.status, 0, byTime.stderr);
    assert.equal(byTime.stdout, r.stdout);
  });

  it('errors name the flag: a bad --model folder, an out-of-range --window', () => {
    const bad = eadro('evaluate', '--model', tmp);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /field: --model/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /);
    const range = eadro('explain', '--model', out, '--window', '200');
    assert.equal(range.status, 1);
    assert.match(range.stderr, /field: --window/);
    assert.match(range.stderr, /\[0, 199\]/);
    const threads = eadro('train', '--data', data, '--threads', '0', '--out', path.join(tmp, 'never'));
    assert.equal(threads.status, 1);
    assert.match(threads.stderr, /--threads/);
    const forget = eadro('train', '--data', data, '--label-noise-forget', '1.5', '--out', path.join(tmp, 'never'));
    assert.equal(forget.status, 1);
    assert.match(forget.stderr, /field: --label-noise-forget[\s\S]*found: 1\.5/);
  });

  it('--without takes a comma list or repeated flags and names an unknown ablation', () => {
    assert.deepEqual(parseAblations(undefined), []);
    assert.deepEqual(parseAblations('logs, graph'), ['logs', 'graph']);
    assert.deepEqual(parseAblations(['kpis', 'traces,logs']), ['kpis', 'traces', 'logs']);
    assert.throws(() => parseAblations('logs,bogus'), /field: --without[\s\S]*found: bogus/);
  });
});

describe('cli bench', () => {
  it('--dry-run lists each script with its arguments and output file; --quick keeps its figures apart from the full ones', () => {
    const r = eadro('bench', '--dry-run', '--quick', '--only', 'windows,log-features,eadro', '--raw', '.');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^windows: .*scripts\/bench\/windows\.ts \S+ .*--out results\/bench\/windows-quick\.json/);
    assert.match(lines[1]!, /^log-features: .*scripts\/bench\/log-features\.ts --hours 0\.1 --reference-windows 1 --out results\/bench\/log-features-quick\.json\s+-> results\/bench\/log-features-quick\.json/);
    assert.match(lines[2]!, /^eadro: .*scripts\/bench\/eadro\.ts --backends wasm --windows 256 --no-export --out results\/bench\/eadro-quick\.json\s+-> results\/bench\/eadro-quick\.json/);
    const full = eadro('bench', '--dry-run', '--only', 'eadro');
    assert.match(full.stdout, /--out results\/bench\/eadro\.json\s+-> results\/bench\/eadro\.json/);
  });

  it('--only picks benchmarks in pipeline order and refuses an unknown name', () => {
    assert.deepEqual(parseOnly(undefined), ['testbed', 'windows', 'log-features', 'eadro', 'eadro-scaling', 'ms-baselines', 'trace-detectors', 'localizers', 'reproduce']);
    // vs-pytorch needs PyTorch: only when named
    assert.deepEqual(parseOnly('vs-pytorch,eadro'), ['eadro', 'vs-pytorch']);
    assert.deepEqual(parseOnly('ms-baselines,eadro'), ['eadro', 'ms-baselines']);
    assert.deepEqual(parseOnly('reproduce,windows'), ['windows', 'reproduce']);
    assert.deepEqual(parseOnly('eadro,testbed'), ['testbed', 'eadro']);
    assert.throws(() => parseOnly('eadro,nope'), /field: --only[\s\S]*found: nope/);
    assert.throws(() => parseOnly(','), /field: --only/);
  });
});
