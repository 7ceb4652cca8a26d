/** `eadro simulate` end to end: flags, summary, testbed.json + manifest.json, clear errors. */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from './helpers.js';

const BIN = path.resolve('bin/eadro.js');

function eadro(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, EADRO_QUIET: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cli: eadro simulate', function () {
  this.timeout(120_000);

  it('writes the raw layout, testbed.json and manifest.json, and prints a summary', () => {
    const out = tmpDir('cli');
    const r = eadro('simulate', '--system', 'sn', '--profile', 'tiny', '--seed', '3', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /runs: 3 \(1 fault-free, 2 with faults\)/);
    assert.match(r.stdout, /faults: 6 \(cpu_exhaustion 2, network_delay 2, packet_loss 2\)/);
    assert.match(r.stdout, /spans: \d+, log lines: \d+/);
    assert.match(r.stdout, /bytes: \d+/);
    const testbed = JSON.parse(fs.readFileSync(path.join(out, 'testbed.json'), 'utf8')) as { seed: number; system: string };
    assert.equal(testbed.seed, 3);
    assert.equal(testbed.system, 'sn');
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { command: string; seeds: number[]; datasets: Array<{ checksum: unknown }> };
    assert.equal(manifest.command, 'simulate');
    assert.deepEqual(manifest.seeds, [3]);
    assert.ok(manifest.datasets[0]!.checksum !== null);
    assert.ok(fs.existsSync(path.join(out, 'no fault')) && fs.existsSync(path.join(out, 'data')));
  });

  it('--kpi-interval 30 writes 30-s KPI rows; a bad interval is one clear error', () => {
    const out = tmpDir('cli-kpi');
    const r = eadro('simulate', '--system', 'sn', '--profile', 'tiny', '--seed', '3', '--kpi-interval', '30', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const testbed = JSON.parse(fs.readFileSync(path.join(out, 'testbed.json'), 'utf8')) as { kpiIntervalSeconds: number; runs: Array<{ dir: string; start: number }> };
    assert.equal(testbed.kpiIntervalSeconds, 30);
    const csv = fs.readFileSync(path.join(out, testbed.runs[0]!.dir, 'metrics', 'nginx-web-server.csv'), 'utf8').trim().split('\n');
    const times = csv.slice(1).map((l) => Number(l.split(',')[0]));
    assert.deepEqual(times.slice(0, 3), [testbed.runs[0]!.start, testbed.runs[0]!.start + 30, testbed.runs[0]!.start + 60]);
    const bad = eadro('simulate', '--system', 'sn', '--profile', 'tiny', '--kpi-interval', '0.5', '--out', tmpDir('cli-kpi-bad'));
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /field: --kpi-interval/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /);
  });

  it('a bad topology file is one clear error, no stack trace', () => {
    const dir = tmpDir('cli-bad');
    const topo = path.join(dir, 'topo.json');
    fs.writeFileSync(topo, JSON.stringify({ services: ['a'], flows: [{ name: 'f', weight: 1, root: { service: 'b' } }] }));
    const r = eadro('simulate', '--system', topo, '--profile', 'tiny', '--out', path.join(dir, 'out'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Invalid topology file/);
    assert.match(r.stderr, /field: flows\[0\]\.root\.service/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
