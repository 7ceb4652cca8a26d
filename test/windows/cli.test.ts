import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadNpy, readNpyMeta } from '../../src/windows/export.js';
import { FIXTURE, writeFixture } from './fixture.js';

const BIN = path.resolve('bin/eadro.js');

describe('cli: eadro windows / eadro export', function () {
  this.timeout(120_000);
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-cli-cache-'));
  const eadro = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, EADRO_QUIET: '1', EADRO_CACHE_DIR: cacheDir } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  let root: string;
  let out: string;
  let cfg: string;

  before(() => {
    root = writeFixture();
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-cli-out-'));
    // One Hawkes worker (tiny data, shared cores); the same config makes `export <raw>` hit the cache.
    cfg = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-cli-cfg-')), 'cfg.json');
    fs.writeFileSync(cfg, JSON.stringify({ windows: { hawkes: { workers: 1 } } }));
  });

  it('windows builds, writes .npy + manifest, prints the summary', () => {
    const r = eadro('windows', root, '--out', out, '--config', cfg);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^built/m);
    assert.match(r.stdout, /windows: 282 \(39 abnormal, 13\.8%\)/);
    assert.match(r.stdout, /cpu_exhaustion: 39/);
    assert.match(r.stdout, /ts-station-service: 39 \/ 1/);
    assert.match(r.stdout, /skipped items: 0/);
    // What the reader inferred (issue 25), with the snippet that pins it; also in report.json.
    assert.match(r.stdout, /^metric columns: 7 \(auto: the 7 Eadro KPIs, present in all 6 files\): cpu_usage_system, /m);
    assert.match(r.stdout, /^metric sampling interval: 1 s in all 6 files/m);
    assert.match(r.stdout, /^log formats matched: tt-java \d+ line\(s\)$/m);
    const pin = r.stdout.slice(r.stdout.indexOf('to pin these choices'));
    assert.match(pin, /^to pin these choices, merge into the "raw" section of the --config file:\n\{\n {2}"raw": \{\n {4}"metricColumns": \[/);
    const savedReport = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as { inferred?: { metricColumns: { source: string } } };
    assert.equal(savedReport.inferred?.metricColumns.source, 'eadro');
    for (const f of ['meta.json', 'logs.npy', 'metrics.npy', 'traces.npy', 'labels.npy', 'windows.json', 'report.json', 'manifest.json']) {
      assert.ok(fs.existsSync(path.join(out, f)), f);
    }
    const meta = readNpyMeta(out);
    assert.equal(meta.T, 10);
    assert.deepEqual(meta.nodes, FIXTURE.services);
    assert.equal(meta.split, null);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { command: string; configHash: string };
    assert.equal(manifest.command, 'windows');
  });

  it('export re-writes a window directory; the copy loads identically', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-cli-copy-'));
    const r = eadro('export', out, '--format', 'npy', '--out', copy);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /exported 282 windows/);
    assert.deepEqual(loadNpy(copy), loadNpy(out));
    assert.deepEqual(readNpyMeta(copy).provenance, readNpyMeta(out).provenance);
  });

  it('export from a raw folder with the same config loads the cached build', () => {
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-cli-raw-'));
    const r = eadro('export', root, '--format', 'npy', '--out', dest, '--config', cfg);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /exported 282 windows \(39 abnormal\) from raw .* \(from cache\)/);
    assert.deepEqual(loadNpy(dest), loadNpy(out));
  });

  it('a misaligned clock is one clear error, no stack trace', () => {
    const bad = path.join(path.dirname(cfg), 'misaligned.json');
    fs.writeFileSync(bad, JSON.stringify({ raw: { offsets: { metrics: 16 * 3600 } } }));
    const r = eadro('windows', root, '--out', path.join(out, 'x'), '--config', bad, '--no-cache');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /do not overlap[\s\S]*metrics/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
