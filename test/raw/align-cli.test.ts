import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadAlignmentReport } from '../../src/raw/align.js';
import { tmpDir, writeSynthDataset } from './synth.js';

const BIN = path.resolve('bin/eadro.js');

describe('cli: eadro align', () => {
  it('prints offsets, evidence and the config snippet, and writes alignment.json with a manifest', function () {
    this.timeout(120000);
    const root = writeSynthDataset(tmpDir('align-cli'), { seed: 2, runs: 1, durationSeconds: 1200, shift: { logs: -3 * 3600 } }).root;
    const out = tmpDir('align-out');
    const r = spawnSync(process.execPath, [BIN, 'align', root, '--out', out], { encoding: 'utf8', env: { ...process.env, EADRO_QUIET: '1' } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /logs\s+10800 s\s+\(\+3 h\)/);
    assert.match(r.stdout, /logs vs spans: lag \+3 h, r [01]\.\d+, cross-correlation/);
    assert.match(r.stdout, /"offsets": \{\s+"spans": 0,\s+"logs": 10800,\s+"metrics": 0,\s+"records": 0/);
    const written = JSON.parse(fs.readFileSync(path.join(out, 'alignment.json'), 'utf8')) as { offsets: Record<string, number> };
    assert.deepEqual(written.offsets, { spans: 0, logs: 10800, metrics: 0, records: 0 });
    const loaded = loadAlignmentReport(path.join(out, 'alignment.json'));
    assert.deepEqual(loaded.offsets, written.offsets);
    assert.ok(loaded.evidence.some((e) => e.source === 'logs' && e.lagSeconds === 10800));
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { command: string };
    assert.equal(manifest.command, 'align');
  });
});
