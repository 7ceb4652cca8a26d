import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { checksumPath } from '../../src/core/hash.js';
import { rawDatasetInfo, testbedDistractors, testbedFaults, testbedIsCurrent, testbedRoot } from '../../src/experiments/datasets.js';
import { resolveProfile, resolveSystem, TESTBED_VERSION } from '../../src/testbed/index.js';

describe('experiments/datasets', () => {
  it('describes a raw folder by its content checksum, and an absent one with none', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-raw-info-'));
    fs.mkdirSync(path.join(dir, 'data'));
    fs.writeFileSync(path.join(dir, 'data', 'run.json'), '{"start":0,"end":1,"faults":[]}');
    const info = rawDatasetInfo(dir, 'unit');
    assert.deepEqual(info.checksum, checksumPath(dir));
    assert.equal(info.path, path.resolve(dir));
    assert.equal(info.description, 'unit');
    assert.equal(rawDatasetInfo(path.join(dir, 'missing'), 'none').checksum, null);
  });

  it('puts each testbed dataset in its own folder under the data directory', () => {
    const prev = process.env['EADRO_DATA_DIR'];
    process.env['EADRO_DATA_DIR'] = '/data';
    try {
      assert.equal(testbedRoot('TT', 'quick', 3), path.join('/data', 'testbed', 'tt-quick-seed3'));
    } finally {
      if (prev === undefined) delete process.env['EADRO_DATA_DIR'];
      else process.env['EADRO_DATA_DIR'] = prev;
    }
  });

  it('reads the recorded faults with their symptom seconds, and none from folders without them', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-faults-'));
    assert.equal(testbedFaults(root), null, 'no testbed.json');
    const fault = { service: 'ts-order-service', container: 'ts-order-service', type: 'network_delay', start: 100, duration: 60, severity: {} };
    const write = (faults: object[]): void => fs.writeFileSync(path.join(root, 'testbed.json'), JSON.stringify({ runs: [{ faults: [] }, { faults }] }));
    write([{ ...fault, symptomSeconds: [0, 7] }, { ...fault, type: 'cpu_exhaustion', start: 200, duration: 2, symptomSeconds: [0, 1] }]);
    assert.deepEqual(testbedFaults(root), [
      { service: 'ts-order-service', type: 'network_delay', start: 100, duration: 60, symptomSeconds: [0, 7] },
      { service: 'ts-order-service', type: 'cpu_exhaustion', start: 200, duration: 2, symptomSeconds: [0, 1] },
    ]);
    write([fault]);
    assert.equal(testbedFaults(root), null, 'written before testbed 1.2.1');
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('reads the recorded distractors (jobs, noisy neighbours) of every run', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-distractors-'));
    assert.equal(testbedDistractors(root), null, 'no testbed.json');
    const job = { service: 'ts-order-service', name: 'fullGc', start: 10, end: 40, cpuPercent: 50 };
    const neighbour = { host: 1, services: ['a'], start: 100, end: 160, slowdown: 2 };
    fs.writeFileSync(path.join(root, 'testbed.json'), JSON.stringify({ runs: [{ faults: [], distractors: { jobs: [job], noisyNeighbours: [] } }, { faults: [], distractors: { jobs: [{ ...job, start: 500, end: 520 }], noisyNeighbours: [neighbour] } }] }));
    assert.deepEqual(testbedDistractors(root), { jobs: [{ start: 10, end: 40 }, { start: 500, end: 520 }], neighbours: [{ start: 100, end: 160 }] });
    fs.writeFileSync(path.join(root, 'testbed.json'), JSON.stringify({ runs: [{ faults: [] }] }));
    assert.equal(testbedDistractors(root), null, 'a run without distractors recorded');
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('reuses simulated testbed data only when its generator version and profile timings are current', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-datasets-'));
    assert.equal(testbedIsCurrent(root, 'TT', 'quick'), false, 'no testbed.json: simulate');
    const { pairs: _pairs, ...schedule } = resolveProfile(resolveSystem('tt'), 'quick');
    const write = (o: object): void => fs.writeFileSync(path.join(root, 'testbed.json'), JSON.stringify(o));
    write({ version: TESTBED_VERSION, schedule });
    assert.equal(testbedIsCurrent(root, 'TT', 'quick'), true);
    write({ version: TESTBED_VERSION, schedule: { ...schedule, normalSeconds: schedule.normalSeconds / 2 } });
    assert.equal(testbedIsCurrent(root, 'TT', 'quick'), false, 'a changed profile is simulated again');
    write({ version: '0.0.1', schedule });
    assert.equal(testbedIsCurrent(root, 'TT', 'quick'), false, 'another generator version');
    fs.writeFileSync(path.join(root, 'testbed.json'), '{ truncated');
    assert.equal(testbedIsCurrent(root, 'TT', 'quick'), false, 'an unreadable record');
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('two processes asking for the same missing testbed data at once both get it, whole', async function () {
    this.timeout(60000);
    // The grid's workers do this when the data is missing or from an older generator version: before
    // staging + publishing, one of them removed or overwrote the folder the other was writing.
    const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-concurrent-'));
    const module = path.resolve('src/experiments/datasets.ts');
    const child = (): Promise<{ code: number | null; out: string }> =>
      new Promise((resolve) => {
        const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { ensureTestbed } from ${JSON.stringify(module)}; console.log(await ensureTestbed('SN', 'tiny', 5));`], {
          env: { ...process.env, EADRO_DATA_DIR: dataRoot },
        });
        let out = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (out += d.toString()));
        p.on('close', (code) => resolve({ code, out }));
      });
    const results = await Promise.all([child(), child()]);
    for (const r of results) assert.equal(r.code, 0, r.out);
    const root = path.join(dataRoot, 'testbed', 'sn-tiny-seed5');
    assert.ok(testbedIsCurrent(root, 'SN', 'tiny'));
    assert.deepEqual(fs.readdirSync(path.join(dataRoot, 'testbed')), ['sn-tiny-seed5'], 'no staging folder left behind');
    fs.rmSync(dataRoot, { recursive: true, force: true });
  });
});
